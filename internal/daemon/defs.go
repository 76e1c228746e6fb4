package daemon

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"maps"
	"path/filepath"
	"reflect"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/integrator-oss/integrator/internal/config"
	"github.com/integrator-oss/integrator/internal/connector"
	"github.com/integrator-oss/integrator/internal/connector/all"
	"github.com/integrator-oss/integrator/internal/integration"
	"github.com/integrator-oss/integrator/internal/jobs"
	"github.com/integrator-oss/integrator/internal/secret"
	"github.com/integrator-oss/integrator/internal/secretbox"
	"github.com/integrator-oss/integrator/internal/store"
)

// Where an integration is defined.
const (
	// SourceFile: the config file; read-only to the API and the console.
	SourceFile = "file"
	// SourceAPI: created through the API or the console, kept in the store.
	SourceAPI = "api"
)

// ErrReadOnly is returned for a change to an integration of the config
// file: it is edited there.
var ErrReadOnly = errors.New("defined in the config file: edit it there")

// ErrNoConsoleStore is returned when the store cannot keep integrations
// (a backend without store.Console).
var ErrNoConsoleStore = errors.New("this store cannot keep integrations created through the API")

// ValidationError is an integration document with problems, each naming
// its field.
type ValidationError struct {
	Problems []config.Error
}

func (e *ValidationError) Error() string {
	parts := make([]string, len(e.Problems))
	for i, p := range e.Problems {
		parts[i] = p.Field + ": " + p.Msg
		if p.Field == "" {
			parts[i] = p.Msg
		}
	}
	return "invalid integration: " + strings.Join(parts, "; ")
}

func invalid(field, format string, args ...any) error {
	return &ValidationError{Problems: []config.Error{{Field: field, Msg: fmt.Sprintf(format, args...)}}}
}

// defs are the integrations created through the API, as last loaded.
type defs struct {
	cs  store.Console
	box *secretbox.Box
	reg connector.Registry

	mu   sync.RWMutex
	list []config.Integration
	// byName holds each definition's stored row and opened secrets.
	byName map[string]*loadedDef
	// broken holds definitions that no longer load, with why, and their
	// stored rows.
	broken     map[string]string
	brokenRows map[string]store.IntegrationDef
}

type loadedDef struct {
	row     store.IntegrationDef
	doc     map[string]any
	secrets map[string]string
}

// openDefs loads the integrations kept in the store. The secrets key is
// INTEGRATOR_SECRET_KEY or a key file beside the SQLite database.
func (a *App) openDefs(ctx context.Context, dbPath string) error {
	cs, ok := a.Store.(store.Console)
	if !ok {
		return nil
	}
	keyPath := ""
	if dbPath != "" && jobsPathFor(dbPath) != ":memory:" {
		keyPath = strings.TrimSuffix(dbPath, filepath.Ext(dbPath)) + ".key"
	}
	box, err := secretbox.Load(keyPath)
	if err != nil {
		return err
	}
	a.defs = &defs{cs: cs, box: box, reg: all.Registry(), byName: map[string]*loadedDef{}}
	return a.ReloadIntegrations(ctx)
}

// ConsoleStore returns the store's console side, nil when it has none.
func (a *App) ConsoleStore() store.Console {
	if a.defs == nil {
		return nil
	}
	return a.defs.cs
}

// Registry returns the connector types integrations may use.
func (a *App) Registry() connector.Registry {
	if a.defs == nil {
		return all.Registry()
	}
	return a.defs.reg
}

// Integrations lists every integration this process runs: the config
// file's, then those created through the API by name. A stored one whose
// name the file also uses is hidden by the file's.
func (a *App) Integrations() []config.Integration {
	out := slices.Clone(a.cfg.Integrations)
	if a.defs == nil {
		return out
	}
	a.defs.mu.RLock()
	defer a.defs.mu.RUnlock()
	for _, in := range a.defs.list {
		if _, inFile := a.cfg.Integration(in.Settings.Name); !inFile {
			out = append(out, in)
		}
	}
	return out
}

// lookup finds an integration by name, in the file first.
func (a *App) lookup(name string) (*config.Integration, bool) {
	if in, ok := a.cfg.Integration(name); ok {
		return in, true
	}
	if a.defs == nil {
		return nil, false
	}
	a.defs.mu.RLock()
	defer a.defs.mu.RUnlock()
	for i := range a.defs.list {
		if a.defs.list[i].Settings.Name == name {
			in := a.defs.list[i]
			return &in, true
		}
	}
	return nil, false
}

// SourceOf says where an integration is defined: SourceFile, SourceAPI,
// or "" when it is unknown.
func (a *App) SourceOf(name string) string {
	if _, ok := a.cfg.Integration(name); ok {
		return SourceFile
	}
	if _, ok := a.lookup(name); ok {
		return SourceAPI
	}
	return ""
}

// ReloadIntegrations reads the stored integrations again, records them in
// the integrations table, and hands the schedules to the job engine when it
// runs. The API calls it after each change; a daemon of several processes
// calls it periodically (WatchIntegrations).
func (a *App) ReloadIntegrations(ctx context.Context) error {
	d := a.defs
	if d == nil {
		return nil
	}
	rows, err := d.cs.IntegrationDefList(ctx)
	if err != nil {
		return err
	}
	var list []config.Integration
	byName := map[string]*loadedDef{}
	broken := map[string]string{}
	brokenRows := map[string]store.IntegrationDef{}
	for _, row := range rows {
		ld, in, err := d.load(row)
		if err != nil {
			a.logger.Error("integration stored in the database does not load", "integration", row.Name, "err", err)
			broken[row.Name] = err.Error()
			brokenRows[row.Name] = row
			continue
		}
		byName[row.Name] = ld
		list = append(list, *in)
	}
	d.mu.Lock()
	d.list, d.byName, d.broken, d.brokenRows = list, byName, broken, brokenRows
	d.mu.Unlock()
	err = a.Store.Tx(ctx, func(tx store.Tx) error {
		for _, in := range list {
			if _, inFile := a.cfg.Integration(in.Settings.Name); inFile {
				continue
			}
			if err := recordOne(ctx, tx, in.Settings); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		return err
	}
	if s := a.scheduler(); s != nil {
		if err := s.SetSchedules(ctx, schedulesOf(a.Integrations())); err != nil {
			return err
		}
	}
	return nil
}

// WatchIntegrations reloads the stored integrations every interval until
// ctx ends, so that a change made through another process's API reaches
// this one.
func (a *App) WatchIntegrations(ctx context.Context, every time.Duration) {
	if a.defs == nil {
		return
	}
	t := time.NewTicker(every)
	defer t.Stop()
	last := a.defsVersion()
	for {
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
		rows, err := a.defs.cs.IntegrationDefList(ctx)
		if err != nil {
			continue
		}
		v := versionsOf(rows)
		if v == last {
			continue
		}
		if err := a.ReloadIntegrations(ctx); err != nil {
			a.logger.Warn("reloading integrations", "err", err)
			continue
		}
		last = v
	}
}

func (a *App) defsVersion() string {
	a.defs.mu.RLock()
	defer a.defs.mu.RUnlock()
	rows := make([]store.IntegrationDef, 0, len(a.defs.byName))
	for _, ld := range a.defs.byName {
		rows = append(rows, ld.row)
	}
	slices.SortFunc(rows, func(x, y store.IntegrationDef) int { return strings.Compare(x.Name, y.Name) })
	return versionsOf(rows)
}

func versionsOf(rows []store.IntegrationDef) string {
	var b strings.Builder
	for _, r := range rows {
		fmt.Fprintf(&b, "%s@%d;", r.Name, r.Version)
	}
	return b.String()
}

func schedulesOf(list []config.Integration) []jobs.Schedule {
	var scheds []jobs.Schedule
	for _, in := range list {
		s := in.Settings
		scheds = append(scheds, jobs.Schedule{
			Name: s.Name, Enabled: s.Enabled, Every: s.Schedule.Every, Cron: s.Schedule.Cron, RunTimeout: s.RunTimeout,
		})
	}
	return scheds
}

func recordOne(ctx context.Context, tx store.Tx, s integration.Settings) error {
	b, err := json.Marshal(s)
	if err != nil {
		return fmt.Errorf("encoding settings of %s: %w", s.Name, err)
	}
	if _, err := tx.IntegrationUpsert(ctx, &store.IntegrationUpsertParams{
		Name: s.Name, Type: s.Type, Enabled: s.Enabled, Settings: b,
	}); err != nil {
		return fmt.Errorf("recording integration %s: %w", s.Name, err)
	}
	return nil
}

// load opens a stored definition's secrets and parses it.
func (d *defs) load(row store.IntegrationDef) (*loadedDef, *config.Integration, error) {
	ld := &loadedDef{row: row, secrets: map[string]string{}}
	if err := json.Unmarshal(row.Document, &ld.doc); err != nil {
		return nil, nil, fmt.Errorf("decoding the stored document: %w", err)
	}
	if len(row.Sealed) > 0 {
		plain, err := d.box.Open(row.Sealed, row.Name)
		if err != nil {
			return nil, nil, err
		}
		if err := json.Unmarshal(plain, &ld.secrets); err != nil {
			return nil, nil, fmt.Errorf("decoding the stored secrets: %w", err)
		}
	}
	in, err := d.parse(ld.doc, ld.secrets)
	if err != nil {
		return nil, nil, err
	}
	return ld, in, nil
}

// parse validates a document with its secrets put back into its config
// block, through the config file's own checks.
func (d *defs) parse(doc map[string]any, secrets map[string]string) (*config.Integration, error) {
	full := maps.Clone(doc)
	block, _ := full["config"].(map[string]any)
	block = maps.Clone(block)
	if block == nil {
		block = map[string]any{}
	}
	for k, v := range secrets {
		block[k] = v
	}
	full["config"] = block
	data, err := json.Marshal(full)
	if err != nil {
		return nil, err
	}
	in, err := config.ParseIntegration(data, d.reg)
	var errs *config.Errors
	if errors.As(err, &errs) {
		ve := &ValidationError{}
		for _, e := range *errs {
			ve.Problems = append(ve.Problems, config.Error{Field: e.Field, Msg: e.Msg})
		}
		return nil, ve
	}
	return in, err
}

// secretFields lists the config-block keys of a connector type that hold
// secrets (fields of type secret.String, in inline structs too).
func secretFields(reg connector.Registry, typ string) []string {
	t, ok := reg[typ]
	if !ok || t.New == nil {
		return nil
	}
	var out []string
	var walk func(rt reflect.Type)
	walk = func(rt reflect.Type) {
		for rt.Kind() == reflect.Pointer {
			rt = rt.Elem()
		}
		if rt.Kind() != reflect.Struct {
			return
		}
		for i := 0; i < rt.NumField(); i++ {
			f := rt.Field(i)
			tag := f.Tag.Get("yaml")
			name, opts, _ := strings.Cut(tag, ",")
			if f.Type == reflect.TypeOf(secret.String{}) {
				if name == "" {
					name = strings.ToLower(f.Name)
				}
				out = append(out, name)
				continue
			}
			if f.Anonymous || strings.Contains(opts, "inline") {
				walk(f.Type)
			}
		}
	}
	walk(reflect.TypeOf(t.New()))
	return out
}

// IntegrationView is an integration as the API and the console show it.
type IntegrationView struct {
	Name   string `json:"name"`
	Type   string `json:"type"`
	Source string `json:"source"`
	// Version changes on every write; pass it back to replace.
	Version int64 `json:"version,omitempty"`
	// Document has the keys of a config file entry; each secret shows only
	// as {"set": true|false}.
	Document map[string]any       `json:"document"`
	Settings integration.Settings `json:"settings"`
	// Error says why a stored integration does not load.
	Error string `json:"error,omitempty"`
}

// IntegrationGetView returns one integration as the API shows it.
func (a *App) IntegrationGetView(ctx context.Context, name string) (*IntegrationView, error) {
	if in, ok := a.cfg.Integration(name); ok {
		return fileView(a.Registry(), in), nil
	}
	if a.defs != nil {
		a.defs.mu.RLock()
		ld, ok := a.defs.byName[name]
		why, isBroken := a.defs.broken[name]
		row := a.defs.brokenRows[name]
		a.defs.mu.RUnlock()
		if ok {
			in, _ := a.lookup(name)
			return &IntegrationView{Name: name, Type: ld.row.Type, Source: SourceAPI, Version: ld.row.Version,
				Document: redactDoc(ld.doc, secretFields(a.defs.reg, ld.row.Type), ld.secrets), Settings: in.Settings}, nil
		}
		if isBroken {
			doc := map[string]any{}
			_ = json.Unmarshal(row.Document, &doc)
			return &IntegrationView{Name: name, Type: row.Type, Source: SourceAPI, Version: row.Version, Error: why,
				Document: redactDoc(doc, secretFields(a.defs.reg, row.Type), nil)}, nil
		}
	}
	return nil, fmt.Errorf("integration %q: %w", name, store.ErrNotFound)
}

func fileView(reg connector.Registry, in *config.Integration) *IntegrationView {
	doc := map[string]any{}
	// The connector block as JSON; secrets marshal as a placeholder,
	// replaced below by whether they are set.
	if b, err := json.Marshal(in.Connector); err == nil {
		block := map[string]any{}
		if json.Unmarshal(b, &block) == nil {
			for _, f := range secretFields(reg, in.Settings.Type) {
				_, set := block[f]
				set = set && block[f] != ""
				block[f] = map[string]bool{"set": set}
			}
			doc["config"] = block
		}
	}
	s := in.Settings
	doc["name"], doc["type"], doc["enabled"] = s.Name, s.Type, s.Enabled
	return &IntegrationView{Name: s.Name, Type: s.Type, Source: SourceFile, Document: doc, Settings: s}
}

func redactDoc(doc map[string]any, fields []string, secrets map[string]string) map[string]any {
	out := maps.Clone(doc)
	block, _ := out["config"].(map[string]any)
	block = maps.Clone(block)
	if block == nil {
		block = map[string]any{}
	}
	for _, f := range fields {
		_, set := secrets[f]
		block[f] = map[string]bool{"set": set}
	}
	out["config"] = block
	return out
}

// splitSecrets moves the secret keys of doc's config block into a map of
// their own. A secret given as a string is set; as null, cleared; as
// {"set": true} (what a read shows), kept; absent, kept. File and
// environment references are for the config file only: through the API a
// process could otherwise be made to read its own files.
func splitSecrets(doc map[string]any, fields []string, old map[string]string) (map[string]string, error) {
	secrets := maps.Clone(old)
	if secrets == nil {
		secrets = map[string]string{}
	}
	block, _ := doc["config"].(map[string]any)
	if block == nil {
		return secrets, nil
	}
	block = maps.Clone(block)
	doc["config"] = block
	var problems []config.Error
	for _, f := range fields {
		v, given := block[f]
		delete(block, f)
		if !given {
			continue
		}
		switch v := v.(type) {
		case nil:
			delete(secrets, f)
		case string:
			if v == "" {
				delete(secrets, f)
			} else {
				secrets[f] = v
			}
		case map[string]any:
			if set, ok := v["set"].(bool); ok && len(v) == 1 {
				if !set {
					delete(secrets, f)
				}
				continue
			}
			problems = append(problems, config.Error{Field: "config." + f, Msg: "a secret is a string here; {file: ...} and {env: ...} references work only in the config file"})
		default:
			problems = append(problems, config.Error{Field: "config." + f, Msg: "a secret is a string"})
		}
	}
	if len(problems) > 0 {
		return nil, &ValidationError{Problems: problems}
	}
	return secrets, nil
}

// IntegrationCreate creates an integration from a document with the keys
// of a config file entry (secrets included in its config block).
func (a *App) IntegrationCreate(ctx context.Context, doc map[string]any) (*IntegrationView, error) {
	if a.defs == nil {
		return nil, ErrNoConsoleStore
	}
	name, _ := doc["name"].(string)
	if name == "" {
		return nil, invalid("name", "required")
	}
	if _, ok := a.cfg.Integration(name); ok {
		return nil, fmt.Errorf("integration %q: %w", name, store.ErrConflict)
	}
	return a.writeDef(ctx, name, doc, 0, nil)
}

// IntegrationReplace replaces a stored integration's document. version is
// the one read (0: whatever is stored). Secrets absent from the new
// document keep their value.
func (a *App) IntegrationReplace(ctx context.Context, name string, doc map[string]any, version int64) (*IntegrationView, error) {
	ld, err := a.storedDef(name)
	if err != nil {
		return nil, err
	}
	if n, ok := doc["name"]; ok && n != name {
		return nil, invalid("name", "cannot be changed (it is %q); create a new integration instead", name)
	}
	doc["name"] = name
	if version == 0 {
		version = ld.row.Version
	}
	return a.writeDef(ctx, name, doc, version, ld.secrets)
}

// IntegrationPatch sets the top-level keys of patch in a stored
// integration's document (the Imports settings, enabled, ...); a key with
// the value null returns to its default. A "config" key is merged key by
// key into the connector block.
func (a *App) IntegrationPatch(ctx context.Context, name string, patch map[string]any) (*IntegrationView, error) {
	ld, err := a.storedDef(name)
	if err != nil {
		return nil, err
	}
	doc, err := mergePatch(ld.doc, patch)
	if err != nil {
		return nil, err
	}
	return a.writeDef(ctx, name, doc, ld.row.Version, ld.secrets)
}

func mergePatch(base, patch map[string]any) (map[string]any, error) {
	doc := maps.Clone(base)
	for k, v := range patch {
		switch {
		case k == "name" && v != doc["name"]:
			return nil, invalid("name", "cannot be changed")
		case k == "config":
			block, ok := v.(map[string]any)
			if !ok {
				return nil, invalid("config", "must be an object")
			}
			old, _ := doc["config"].(map[string]any)
			merged := maps.Clone(old)
			if merged == nil {
				merged = map[string]any{}
			}
			maps.Copy(merged, block)
			doc["config"] = merged
		case v == nil:
			delete(doc, k)
		default:
			doc[k] = v
		}
	}
	return doc, nil
}

// IntegrationDelete deletes a stored integration: its schedule stops; its
// runs, links, entities and audit trail stay.
func (a *App) IntegrationDelete(ctx context.Context, name string) error {
	if _, err := a.storedDef(name); err != nil {
		return err
	}
	if err := a.defs.cs.IntegrationDefDelete(ctx, name); err != nil {
		return err
	}
	return a.ReloadIntegrations(ctx)
}

// IntegrationSetEnabled enables or disables an integration created
// through the API.
func (a *App) IntegrationSetEnabled(ctx context.Context, name string, enabled bool) (*IntegrationView, error) {
	return a.IntegrationPatch(ctx, name, map[string]any{"enabled": enabled})
}

func (a *App) storedDef(name string) (*loadedDef, error) {
	if _, ok := a.cfg.Integration(name); ok {
		return nil, fmt.Errorf("integration %q: %w", name, ErrReadOnly)
	}
	if a.defs == nil {
		return nil, ErrNoConsoleStore
	}
	a.defs.mu.RLock()
	defer a.defs.mu.RUnlock()
	ld, ok := a.defs.byName[name]
	if !ok {
		if row, broken := a.defs.brokenRows[name]; broken {
			// A definition that no longer loads can still be changed: its
			// secrets must be entered again.
			doc := map[string]any{}
			if err := json.Unmarshal(row.Document, &doc); err != nil {
				doc = map[string]any{"name": name, "type": row.Type}
			}
			return &loadedDef{doc: doc, row: row}, nil
		}
		return nil, fmt.Errorf("integration %q: %w", name, store.ErrNotFound)
	}
	return ld, nil
}

// writeDef validates and stores a document, then reloads.
func (a *App) writeDef(ctx context.Context, name string, doc map[string]any, version int64, oldSecrets map[string]string) (*IntegrationView, error) {
	d := a.defs
	doc = maps.Clone(doc)
	typ, _ := doc["type"].(string)
	secrets, err := splitSecrets(doc, secretFields(d.reg, typ), oldSecrets)
	if err != nil {
		return nil, err
	}
	if _, err := d.parse(doc, secrets); err != nil {
		return nil, err
	}
	plainDoc, err := json.Marshal(doc)
	if err != nil {
		return nil, err
	}
	var sealed []byte
	if len(secrets) > 0 {
		b, err := json.Marshal(secrets)
		if err != nil {
			return nil, err
		}
		sealed = d.box.Seal(b, name)
	}
	if _, err := d.cs.IntegrationDefPut(ctx, &store.IntegrationDefPutParams{
		Name: name, Type: typ, Document: plainDoc, Sealed: sealed, Version: version,
	}); err != nil {
		return nil, err
	}
	if err := a.ReloadIntegrations(ctx); err != nil {
		return nil, err
	}
	return a.IntegrationGetView(ctx, name)
}

// Unloadable lists the stored integrations that do not load (their
// secrets do not open, or they no longer validate), with why. They do not
// run until replaced.
func (a *App) Unloadable() map[string]string {
	if a.defs == nil {
		return nil
	}
	a.defs.mu.RLock()
	defer a.defs.mu.RUnlock()
	return maps.Clone(a.defs.broken)
}
