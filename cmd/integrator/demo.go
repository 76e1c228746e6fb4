package main

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	mrand "math/rand/v2"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"time"

	"github.com/spf13/cobra"

	"github.com/integrator-oss/integrator/internal/auth"
	"github.com/integrator-oss/integrator/internal/config"
	"github.com/integrator-oss/integrator/internal/connector/all"
	"github.com/integrator-oss/integrator/internal/daemon"
	"github.com/integrator-oss/integrator/internal/emulator/graph"
	"github.com/integrator-oss/integrator/internal/engine"
	"github.com/integrator-oss/integrator/internal/jobs"
	"github.com/integrator-oss/integrator/internal/metrics"
	"github.com/integrator-oss/integrator/internal/record"
	"github.com/integrator-oss/integrator/internal/store"
)

// demoOptions are the demo's flags.
type demoOptions struct {
	dataDir string
	listen  string
	users   int
	groups  int
	every   time.Duration
	churn   int
	runs    int
}

func newDemo(g *globals) *cobra.Command {
	o := demoOptions{}
	c := &cobra.Command{
		Use:   "demo",
		Short: "Run a self-contained demo: an emulated Entra ID tenant that keeps changing, synced every few seconds",
		Long: `Starts the bundled Microsoft Graph emulator with a generated tenant, writes a
configuration for an Entra ID integration pointed at it (with site and agent
mappings), runs the first full sync into an embedded SQLite file, then keeps
syncing on a short schedule while the tenant changes: hires, leavers,
renames, disables, group moves and restores. The console and the API are served
on --listen; the integration is created in the database, editable in the console.`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error { return runDemo(cmd.Context(), g, o) },
	}
	f := c.Flags()
	f.StringVar(&o.dataDir, "data", "", "directory for the demo's database and config (default: a new temporary directory)")
	f.StringVar(&o.listen, "listen", "127.0.0.1:8080", "API address")
	f.IntVar(&o.users, "users", 2000, "users in the emulated tenant")
	f.IntVar(&o.groups, "groups", 8, "groups in the emulated tenant")
	f.DurationVar(&o.every, "every", 20*time.Second, "sync interval")
	f.IntVar(&o.churn, "changes", 8, "changes the tenant makes between syncs")
	f.IntVar(&o.runs, "runs", 0, "stop after this many scheduled runs (0: run until interrupted)")
	return c
}

func runDemo(ctx context.Context, g *globals, o demoOptions) error {
	out := g.stdout
	if o.dataDir == "" {
		d, err := os.MkdirTemp("", "integrator-demo-")
		if err != nil {
			return err
		}
		o.dataDir = d
	}
	if err := os.MkdirAll(o.dataDir, 0o700); err != nil {
		return err
	}

	// The emulated tenant, on a loopback port of its own.
	secret := randomHex(24)
	em := graph.New(graph.Options{ClientSecret: secret})
	em.Generate(o.users, o.groups, 1)
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return err
	}
	emSrv := &http.Server{Handler: em.Handler(), ReadHeaderTimeout: 10 * time.Second}
	go emSrv.Serve(ln)
	defer emSrv.Close()
	base := "http://" + ln.Addr().String()

	cfgPath, err := writeDemoConfig(o)
	if err != nil {
		return err
	}
	cfg, err := config.Load(cfgPath, all.Registry())
	if err != nil {
		return fmt.Errorf("demo config: %w", err)
	}
	cfg.Listen = o.listen

	var (
		mu   sync.Mutex
		runs int
		done = make(chan struct{})
		m    *metrics.Metrics
	)
	app, err := daemon.Open(ctx, cfg, g.logger(cfg), daemon.Options{
		Finished: func(name string, res *engine.Result, err error) {
			if m != nil {
				m.Observe(name, res, err)
			}
			mu.Lock()
			defer mu.Unlock()
			narrateRun(out, name, res, err)
			runs++
			if o.runs > 0 && runs == o.runs {
				close(done)
			}
		},
	})
	if err != nil {
		return err
	}
	defer app.Close()
	m = metrics.New(app, app.Store)

	// The demo integration is created the way an operator would in the
	// console, so it can be edited there; its secret is sealed in the store.
	if err := createDemoIntegration(ctx, app, demoDocument(o, em, base, secret)); err != nil {
		return fmt.Errorf("creating the demo integration: %w", err)
	}
	login, token, err := demoCredentials(ctx, app)
	if err != nil {
		return err
	}

	fmt.Fprintf(out, `Integrator demo
  emulated Entra ID tenant: %d users in %d groups at %s
  configuration:            %s (the integration is kept in the database, editable in the console)
  database (SQLite):        %s
  sync:                     every %s, the tenant changes in between

`, o.users, o.groups, base, cfgPath, strings.TrimPrefix(cfg.Store, "sqlite:"), o.every)

	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	go func() {
		select {
		case <-done:
			cancel()
		case <-ctx.Done():
		}
	}()
	go churn(ctx, out, em, o, &mu)
	return serve(ctx, app, cfg, m, func(base, _ string) {
		fmt.Fprintf(out, `Open the console:  %[1]s/integrations/demo-entra
  user:            %[2]s
  password:        %[3]s   (made for this demo run)

The API, with a read-only token made for this demo run:
  curl -H "Authorization: Bearer %[4]s" %[1]s/api/v1/integrations
  OpenAPI document: %[1]s/api/v1/openapi.json
From a shell:       integrator status -c %[5]s

Running the first full sync now. Press Ctrl-C to stop.

`, base, auth.FirstAdmin, login, token, cfgPath)
		go func() {
			err := app.RunNow(ctx, jobs.RunRequest{Integration: "demo-entra", Full: true, Trigger: "manual"})
			if err != nil && ctx.Err() == nil {
				fmt.Fprintln(out, "first sync:", err)
			}
		}()
	})
}

// writeDemoConfig writes the demo's configuration file: the store and the
// listen address; the integration itself lives in the database.
func writeDemoConfig(o demoOptions) (string, error) {
	cfg := fmt.Sprintf(`# Written by "integrator demo". Every key is documented in the README.
store: sqlite:%s
listen: %s
log:
  level: warn
`, filepath.Join(o.dataDir, "integrator.db"), o.listen)
	path := filepath.Join(o.dataDir, "integrator.yaml")
	return path, os.WriteFile(path, []byte(cfg), 0o600)
}

// demoDocument is the demo integration, as the console would create it:
// three groups mapped to sites, a fourth as agents.
func demoDocument(o demoOptions, em *graph.Emulator, base, secret string) map[string]any {
	sites := []string{"London", "Manchester", "Leeds"}
	var maps []any
	for i, gr := range em.Groups() {
		switch {
		case i < len(sites):
			maps = append(maps, map[string]any{"group": gr.DisplayName, "site": sites[i]})
		case i == len(sites):
			maps = append(maps, map[string]any{"group": gr.DisplayName, "site": "London", "role": "agent"})
		}
	}
	return map[string]any{
		"name": "demo-entra", "type": "entra", "schedule": o.every.String(), "full_sync_every": "1h", "client": "Contoso",
		"threshold": map[string]any{"max_count": 500, "max_percent": 10},
		"scope":     map[string]any{"default_site": "London", "mappings": maps},
		"matching":  []any{"immutable_id", "upn", "email"},
		"config": map[string]any{
			"tenant_id": em.TenantID(), "client_id": em.ClientID(), "client_secret": secret,
			"token_url": em.TokenURL(base), "graph_url": em.GraphURL(base),
		},
	}
}

// createDemoIntegration creates the demo integration, or points the one a
// kept --data directory has at this run's emulator.
func createDemoIntegration(ctx context.Context, app *daemon.App, doc map[string]any) error {
	_, err := app.IntegrationCreate(ctx, doc)
	if errors.Is(err, store.ErrConflict) {
		_, err = app.IntegrationReplace(ctx, "demo-entra", doc, 0)
	}
	return err
}

// demoCredentials gives the administrator a fresh password and makes a
// read-only API token, both for this demo run.
func demoCredentials(ctx context.Context, app *daemon.App) (string, string, error) {
	a := auth.New(app.ConsoleStore(), app.Logger(), false)
	password := randomHex(9)
	if err := a.SetPassword(ctx, auth.FirstAdmin, password); err != nil {
		return "", "", err
	}
	tok, _, err := a.CreateToken(ctx, &auth.Principal{Scope: store.ScopeAdmin}, "demo", store.ScopeRead, 24*time.Hour)
	return password, tok, err
}

// churn changes the tenant between syncs and says what it did.
func churn(ctx context.Context, out io.Writer, em *graph.Emulator, o demoOptions, mu *sync.Mutex) {
	rng := mrand.New(mrand.NewPCG(uint64(time.Now().UnixNano()), 1))
	t := time.NewTicker(o.every)
	defer t.Stop()
	// Offset the changes to fall between runs.
	select {
	case <-time.After(o.every / 2):
	case <-ctx.Done():
		return
	}
	for {
		changes := em.Churn(rng, 1+rng.IntN(max(o.churn, 1)))
		mu.Lock()
		fmt.Fprintf(out, "tenant changed (%d): %s\n", len(changes), strings.Join(changes, "; "))
		mu.Unlock()
		select {
		case <-t.C:
		case <-ctx.Done():
			return
		}
	}
}

// narrateRun says in plain words what a run did.
func narrateRun(out io.Writer, name string, res *engine.Result, err error) {
	if res == nil {
		fmt.Fprintf(out, "%s %s: run failed before it started: %v\n", time.Now().Format(time.TimeOnly), name, err)
		return
	}
	r := res.Run
	u := r.ByKind[record.KindUser]
	gr := r.ByKind[record.KindGroup]
	fmt.Fprintf(out, "%s %s: run %d %s (%s) in %s — users: %d fetched, %d created, %d updated, %d deactivated, %d reactivated, %d out of scope; groups: %d created, %d updated\n",
		time.Now().Format(time.TimeOnly), name, r.ID, r.Status, modeWord(r.Full), r.FinishedAt.Sub(r.StartedAt).Round(time.Millisecond),
		u.Fetched, u.Created, u.Updated, u.Deactivated, u.Reactivated, u.OutOfScope, gr.Created, gr.Updated)
	if r.Notes != "" {
		fmt.Fprintln(out, "  "+r.Notes)
	}
	if err != nil {
		fmt.Fprintln(out, "  error:", r.Error)
	}
}

func randomHex(n int) string {
	b := make([]byte, n)
	rand.Read(b)
	return hex.EncodeToString(b)
}
