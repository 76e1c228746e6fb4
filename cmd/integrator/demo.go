package main

import (
	"context"
	"crypto/rand"
	"encoding/hex"
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

	"github.com/integrator-oss/integrator/internal/config"
	"github.com/integrator-oss/integrator/internal/connector/all"
	"github.com/integrator-oss/integrator/internal/daemon"
	"github.com/integrator-oss/integrator/internal/emulator/graph"
	"github.com/integrator-oss/integrator/internal/engine"
	"github.com/integrator-oss/integrator/internal/jobs"
	"github.com/integrator-oss/integrator/internal/record"
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
renames, disables, group moves and restores. The API is served on --listen.`,
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

	cfgPath, err := writeDemoConfig(o, em, base, secret)
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
	)
	app, err := daemon.Open(ctx, cfg, g.logger(cfg), daemon.Options{
		Finished: func(name string, res *engine.Result, err error) {
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

	fmt.Fprintf(out, `Integrator demo
  emulated Entra ID tenant: %d users in %d groups at %s
  configuration:            %s
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
	return serve(ctx, app, cfg.Listen, func(addr string) {
		fmt.Fprintf(out, `Where to look:
  integrations and their status  http://%[1]s/api/v1/integrations
  runs                           http://%[1]s/api/v1/runs
  users (try ?search=&active=)   http://%[1]s/api/v1/users
  audit trail                    http://%[1]s/api/v1/audit
  from a shell                   integrator status -c %[2]s

Running the first full sync now. Press Ctrl-C to stop.

`, addr, cfgPath)
		go func() {
			err := app.RunNow(ctx, jobs.RunRequest{Integration: "demo-entra", Full: true, Trigger: "manual"})
			if err != nil && ctx.Err() == nil {
				fmt.Fprintln(out, "first sync:", err)
			}
		}()
	})
}

// writeDemoConfig writes the demo's configuration file (and its secret in
// a file of its own, as a real deployment would keep it).
func writeDemoConfig(o demoOptions, em *graph.Emulator, base, secret string) (string, error) {
	secretPath := filepath.Join(o.dataDir, "entra-client-secret")
	if err := os.WriteFile(secretPath, []byte(secret+"\n"), 0o600); err != nil {
		return "", err
	}
	groups := em.Groups()
	sites := []string{"London", "Manchester", "Leeds"}
	var maps strings.Builder
	for i, gr := range groups {
		switch {
		case i < len(sites):
			fmt.Fprintf(&maps, "        - {group: %q, site: %s}\n", gr.DisplayName, sites[i])
		case i == len(sites):
			fmt.Fprintf(&maps, "        - {group: %q, site: London, role: agent}\n", gr.DisplayName)
		}
	}
	cfg := fmt.Sprintf(`# Written by "integrator demo". Every key is documented in the README.
store: sqlite:%s
listen: %s
log:
  level: warn
integrations:
  - name: demo-entra
    type: entra
    schedule: %s
    full_sync_every: 1h
    client: Contoso
    threshold: {max_count: 500, max_percent: 10}
    scope:
      default_site: London
      mappings:
%s    matching: [immutable_id, upn, email]
    config:
      tenant_id: %s
      client_id: %s
      client_secret: {file: %s}
      token_url: %s
      graph_url: %s
`, filepath.Join(o.dataDir, "integrator.db"), o.listen, o.every, maps.String(),
		em.TenantID(), em.ClientID(), secretPath, em.TokenURL(base), em.GraphURL(base))
	path := filepath.Join(o.dataDir, "integrator.yaml")
	return path, os.WriteFile(path, []byte(cfg), 0o600)
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
