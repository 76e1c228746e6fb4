package daemon

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"time"

	"github.com/integrator-oss/integrator/internal/config"
	"github.com/integrator-oss/integrator/internal/connector"
	"github.com/integrator-oss/integrator/internal/engine"
	"github.com/integrator-oss/integrator/internal/record"
	"github.com/integrator-oss/integrator/internal/store"
)

// ErrNotSupported is returned when a connector type lacks an optional
// capability (a connection check, a group list).
var ErrNotSupported = errors.New("not supported by this connector type")

// openSource opens an integration's connector; close it with the returned
// function.
func (a *App) openSource(in *config.Integration) (connector.Source, func(), error) {
	src, err := in.Connector.Open(in.Settings.Name, a.logger.With("integration", in.Settings.Name))
	if err != nil {
		return nil, nil, fmt.Errorf("opening connector: %w", err)
	}
	closer := func() {}
	if c, ok := src.(connector.Closer); ok {
		closer = func() { c.Close() }
	}
	return src, closer, nil
}

// Check tests an integration's connection and credentials with one light
// request per resource (connector.Checker).
func (a *App) Check(ctx context.Context, name string) error {
	in, ok := a.lookup(name)
	if !ok {
		return fmt.Errorf("integration %q: %w", name, store.ErrNotFound)
	}
	src, closeSrc, err := a.openSource(in)
	if err != nil {
		return err
	}
	defer closeSrc()
	c, ok := src.(connector.Checker)
	if !ok {
		return fmt.Errorf("checking the connection of %s: %w", in.Settings.Type, ErrNotSupported)
	}
	return c.Check(ctx)
}

// ListGroups lists the source's groups to map (connector.Lister).
func (a *App) ListGroups(ctx context.Context, name string) ([]connector.Option, error) {
	in, ok := a.lookup(name)
	if !ok {
		return nil, fmt.Errorf("integration %q: %w", name, store.ErrNotFound)
	}
	src, closeSrc, err := a.openSource(in)
	if err != nil {
		return nil, err
	}
	defer closeSrc()
	l, ok := src.(connector.Lister)
	if !ok {
		return nil, fmt.Errorf("listing the groups of %s: %w", in.Settings.Type, ErrNotSupported)
	}
	return l.ListGroups(ctx)
}

// Preview is what a change of settings would do, computed by a full dry
// run with the unsaved settings.
type Preview struct {
	// Imported are users that would be created or reactivated.
	Imported int64 `json:"imported"`
	Updated  int64 `json:"updated"`
	// Moved are users that would move to another site.
	Moved int64 `json:"moved"`
	// Agents are users that would become agents, Demoted agents that would
	// become end users.
	Agents      int64 `json:"agents"`
	Demoted     int64 `json:"demoted"`
	Deactivated int64 `json:"deactivated"`
	OutOfScope  int64 `json:"out_of_scope"`
	Conflicts   int64 `json:"conflicts"`
	// Held is set when the run would be held by the threshold.
	Held bool `json:"held"`
	// Changes lists the first planned changes.
	Changes []engine.PlanItem `json:"changes"`
	Took    time.Duration     `json:"took_ns"`
}

// PreviewSettings computes what an integration would do with patch (the
// keys of IntegrationPatch) applied, writing nothing. An empty patch
// previews the saved settings. Settings of a file integration cannot be
// previewed changed: they are edited in the file.
func (a *App) PreviewSettings(ctx context.Context, name string, patch map[string]any) (*Preview, error) {
	in, ok := a.lookup(name)
	if !ok {
		return nil, fmt.Errorf("integration %q: %w", name, store.ErrNotFound)
	}
	if len(patch) > 0 {
		ld, err := a.storedDef(name)
		if err != nil {
			return nil, err
		}
		doc, err := mergePatch(ld.doc, patch)
		if err != nil {
			return nil, err
		}
		fields := secretFields(a.defs.reg, in.Settings.Type)
		secrets, err := splitSecrets(doc, fields, ld.secrets)
		if err != nil {
			return nil, err
		}
		if in, err = a.defs.parse(doc, secrets); err != nil {
			return nil, err
		}
	}
	row, err := a.Store.IntegrationGet(ctx, name)
	if err != nil {
		return nil, fmt.Errorf("reading integration %s: %w", name, err)
	}
	src, closeSrc, err := a.openSource(in)
	if err != nil {
		return nil, err
	}
	defer closeSrc()
	start := time.Now()
	res, err := a.engine.Run(ctx, engine.RunParams{
		Integration: row, Settings: in.Settings, Source: src, Full: true, DryRun: true, Trigger: "manual", PlanLimit: 500,
	})
	if err != nil {
		return nil, err
	}
	return summarise(res, time.Since(start)), nil
}

func summarise(res *engine.Result, took time.Duration) *Preview {
	u := res.Run.ByKind[record.KindUser]
	p := &Preview{Imported: u.Created + u.Reactivated, Updated: u.Updated, Deactivated: u.Deactivated,
		OutOfScope: u.OutOfScope, Conflicts: u.Failed, Held: res.Held, Changes: res.Plan, Took: took}
	if p.Changes == nil {
		p.Changes = []engine.PlanItem{}
	}
	for _, it := range res.Plan {
		if it.Kind != record.KindUser || it.Action != store.ActionUpdated {
			continue
		}
		var ch map[string][2]any
		if json.Unmarshal([]byte(it.Reason), &ch) != nil {
			continue
		}
		if _, ok := ch["site_id"]; ok {
			p.Moved++
		}
		if r, ok := ch["role"]; ok {
			switch r[1] {
			case store.RoleAgent:
				p.Agents++
			case store.RoleUser:
				p.Demoted++
			}
		}
	}
	return p
}

// ConfirmHeld confirms a held mass deactivation: a full run allowed to
// cross the threshold. It returns the job's ID.
func (a *App) ConfirmHeld(ctx context.Context, name string) (int64, error) {
	row, err := a.Store.IntegrationGet(ctx, name)
	if err != nil {
		return 0, fmt.Errorf("integration %q: %w", name, err)
	}
	runs, err := a.Store.RunList(ctx, &store.RunListParams{IntegrationID: row.ID, Limit: 20})
	if err != nil {
		return 0, err
	}
	for _, r := range runs {
		if r.Status == store.RunSkipped || r.DryRun {
			continue
		}
		if r.Status != store.RunHeld {
			return 0, fmt.Errorf("integration %q: its last run was %s, not held: nothing to confirm: %w", name, r.Status, store.ErrConflict)
		}
		break
	}
	return a.Enqueue(ctx, jobRequest(name, true, true, "api"))
}

// JobsStarted reports whether the job engine runs in this process.
func (a *App) JobsStarted() bool { return a.scheduler() != nil }
