package main

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	mrand "math/rand/v2"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"runtime/pprof"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/spf13/cobra"

	"github.com/integrator-oss/integrator/internal/connector"
	"github.com/integrator-oss/integrator/internal/connector/entra"
	"github.com/integrator-oss/integrator/internal/emulator/graph"
	"github.com/integrator-oss/integrator/internal/engine"
	"github.com/integrator-oss/integrator/internal/integration"
	"github.com/integrator-oss/integrator/internal/record"
	"github.com/integrator-oss/integrator/internal/secret"
	"github.com/integrator-oss/integrator/internal/store"
)

// benchOptions are the bench command's flags.
type benchOptions struct {
	users    int
	groups   int
	pageSize int
	changes  int
	repeat   int
	dir      string
	cpuProf  string
	store    string
}

func newBench(g *globals) *cobra.Command {
	o := benchOptions{}
	c := &cobra.Command{
		Use:   "bench",
		Short: "Measure sync speed and memory against the Graph emulator (see BENCHMARKS.md)",
		Long: `Measures, for N emulated users in groups: paging through the emulator alone
(fetch + decode, no store), inserting the same rows into SQLite alone, the
initial full sync into a fresh SQLite store, a no-op full resync (and the
rows it wrote), and a delta of --changes renames; then the process's peak
RSS. The emulator runs in a child process so its memory is not counted.
Each figure is the median of --repeat runs. With --store postgres://...,
the stores are PostgreSQL schemas created (and dropped) in that database,
and the limit is a raw binary COPY of the same rows.`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error { return runBench(cmd.Context(), g.stdout, o) },
	}
	f := c.Flags()
	f.IntVar(&o.users, "users", 100_000, "users in the emulated tenant")
	f.IntVar(&o.groups, "groups", 50, "groups in the emulated tenant")
	f.IntVar(&o.pageSize, "page-size", 999, "the emulator's delta page size")
	f.IntVar(&o.changes, "changes", 1000, "renames in the delta run")
	f.IntVar(&o.repeat, "repeat", 3, "runs of each measurement (the median is reported)")
	f.StringVar(&o.dir, "dir", "", "directory for the databases (default: a temporary directory)")
	f.StringVar(&o.store, "store", "", "a postgres:// URL: measure the PostgreSQL store, in new schemas of that database, instead of SQLite")
	f.StringVar(&o.cpuProf, "cpuprofile", "", "write CPU profiles of the first repetition's engine runs to FILE.initial, FILE.noop and FILE.delta")
	c.AddCommand(newBenchEmulator())
	return c
}

// newBenchEmulator serves the emulator for the bench parent: it prints its
// base URL on a line, then serves until stdin closes. POST /bench/rename?n=N
// renames N users.
func newBenchEmulator() *cobra.Command {
	var users, groups, pageSize int
	c := &cobra.Command{
		Use: "emulator", Hidden: true, Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			em := graph.New(graph.Options{ClientSecret: benchSecret, PageSize: pageSize, DisableReplay: true})
			em.Generate(users, groups, 1)
			mux := http.NewServeMux()
			mux.Handle("/", em.Handler())
			rng := mrand.New(mrand.NewPCG(1, 2))
			mux.HandleFunc("POST /bench/rename", func(w http.ResponseWriter, r *http.Request) {
				n, _ := strconv.Atoi(r.URL.Query().Get("n"))
				all := em.Users()
				for i := range n {
					u := all[rng.IntN(len(all))]
					em.UpdateUser(u.ID, func(u *graph.User) { u.DisplayName = fmt.Sprintf("Renamed %d %s", i, u.DisplayName) })
				}
				fmt.Fprintln(w, "ok")
			})
			ln, err := net.Listen("tcp", "127.0.0.1:0")
			if err != nil {
				return err
			}
			srv := &http.Server{Handler: mux, ReadHeaderTimeout: 10 * time.Second}
			go srv.Serve(ln)
			fmt.Printf("http://%s\n", ln.Addr())
			io.Copy(io.Discard, os.Stdin)
			return srv.Close()
		},
	}
	c.Flags().IntVar(&users, "users", 100_000, "")
	c.Flags().IntVar(&groups, "groups", 50, "")
	c.Flags().IntVar(&pageSize, "page-size", 999, "")
	return c
}

const benchSecret = "bench-secret"

func runBench(ctx context.Context, out io.Writer, o benchOptions) error {
	if o.dir == "" {
		d, err := os.MkdirTemp("", "integrator-bench-")
		if err != nil {
			return err
		}
		defer os.RemoveAll(d)
		o.dir = d
	}
	self, err := os.Executable()
	if err != nil {
		return err
	}
	child := exec.CommandContext(ctx, self, "bench", "emulator", "--users", strconv.Itoa(o.users),
		"--groups", strconv.Itoa(o.groups), "--page-size", strconv.Itoa(o.pageSize))
	stdin, err := child.StdinPipe()
	if err != nil {
		return err
	}
	stdout, err := child.StdoutPipe()
	if err != nil {
		return err
	}
	child.Stderr = os.Stderr
	if err := child.Start(); err != nil {
		return err
	}
	defer func() { stdin.Close(); child.Wait() }()
	base, err := bufio.NewReader(stdout).ReadString('\n')
	if err != nil {
		return fmt.Errorf("starting the emulator: %w", err)
	}
	base = strings.TrimSpace(base)
	em := graph.New(graph.Options{}) // for its URL layout only
	cfg := &entra.Config{TenantID: em.TenantID(), ClientID: em.ClientID(), ClientSecret: secret.New(benchSecret),
		TokenURL: em.TokenURL(base), GraphURL: em.GraphURL(base)}
	logger := slog.New(slog.DiscardHandler)
	open := func() (connector.Source, error) {
		c := cfg.WithDefaults()
		return c.Open("bench", logger)
	}
	fmt.Fprintf(out, "bench: %d users in %d groups, delta page size %d, median of %d; GOMAXPROCS=%s\n",
		o.users, o.groups, o.pageSize, o.repeat, cmpOr(os.Getenv("GOMAXPROCS"), "default"))

	stores := &benchStores{dir: o.dir, pg: o.store}
	defer stores.cleanup(context.WithoutCancel(ctx))
	kinds := []record.Kind{record.KindUser, record.KindGroup}
	var fetchT, rawT, initT, noopT, deltaT []time.Duration
	var noopWrites, deltaUpdated int64
	for i := range o.repeat {
		// 1. The emulator alone: fetch and decode, no store.
		src, err := open()
		if err != nil {
			return err
		}
		t0 := time.Now()
		n := &countSink{}
		if _, err := src.Fetch(ctx, connector.FetchRequest{Kinds: kinds, Full: true}, n); err != nil {
			return fmt.Errorf("fetch-only: %w", err)
		}
		fetchT = append(fetchT, time.Since(t0))

		// 2. SQLite alone: the same number of user rows with their links.
		t0 = time.Now()
		if err := stores.baseline(ctx, fmt.Sprintf("raw-%d", i), o.users); err != nil {
			return fmt.Errorf("baseline: %w", err)
		}
		rawT = append(rawT, time.Since(t0))

		// 3–5. The engine: initial full sync, no-op resync, a delta.
		st, err := stores.open(ctx, fmt.Sprintf("sync-%d", i), logger)
		if err != nil {
			return err
		}
		var in *store.Integration
		if err := st.Tx(ctx, func(tx store.Tx) error {
			in, err = tx.IntegrationUpsert(ctx, &store.IntegrationUpsertParams{Name: "bench", Type: "entra", Enabled: true})
			return err
		}); err != nil {
			return err
		}
		eng := engine.New(st, logger)
		set := integration.Settings{Name: "bench", Type: "entra", Enabled: true,
			Scope:     integration.Scope{AllUsers: true},
			Threshold: integration.Threshold{MaxCount: -1, MaxPercent: -1}}.WithDefaults()
		run := func(full bool) (*engine.Result, time.Duration, error) {
			src, err := open()
			if err != nil {
				return nil, 0, err
			}
			t0 := time.Now()
			res, err := eng.Run(ctx, engine.RunParams{Integration: in, Settings: set, Source: src, Full: full, Trigger: "bench"})
			return res, time.Since(t0), err
		}
		profile := func(phase string) func() {
			if o.cpuProf == "" || i > 0 {
				return func() {}
			}
			f, err := os.Create(o.cpuProf + "." + phase)
			if err == nil {
				err = pprof.StartCPUProfile(f)
			}
			if err != nil {
				fmt.Fprintln(os.Stderr, "cpu profile:", err)
				return func() {}
			}
			return func() { pprof.StopCPUProfile(); f.Close() }
		}
		stop := profile("initial")
		res, d, err := run(true)
		stop()
		if err != nil {
			return fmt.Errorf("initial sync: %w", err)
		}
		initT = append(initT, d)
		stop = profile("noop")
		res, d, err = run(true)
		stop()
		if err != nil {
			return fmt.Errorf("no-op resync: %w", err)
		}
		noopT = append(noopT, d)
		noopWrites = max(noopWrites, res.Run.Counts.Writes)
		resp, err := http.Post(base+"/bench/rename?n="+strconv.Itoa(o.changes), "text/plain", nil)
		if err != nil {
			return err
		}
		resp.Body.Close()
		stop = profile("delta")
		res, d, err = run(false)
		stop()
		if err != nil {
			return fmt.Errorf("delta: %w", err)
		}
		deltaT = append(deltaT, d)
		deltaUpdated = res.Run.Counts.Updated
		st.Close()
		os.Remove(filepath.Join(o.dir, fmt.Sprintf("sync-%d.db", i)))
		os.Remove(filepath.Join(o.dir, fmt.Sprintf("raw-%d.db", i)))
		if err := stores.cleanup(ctx); err != nil {
			return err
		}
	}
	rate := func(ds []time.Duration) float64 { return float64(o.users) / median(ds).Seconds() }
	slower := max(median(fetchT), median(rawT))
	fmt.Fprintf(out, "| measurement | median | users/s |\n|---|---|---|\n")
	fmt.Fprintf(out, "| limit: emulator paging alone (fetch + decode) | %s | %.0f |\n", median(fetchT).Round(time.Millisecond), rate(fetchT))
	fmt.Fprintf(out, "| limit: %s | %s | %.0f |\n", stores.limitName(), median(rawT).Round(time.Millisecond), rate(rawT))
	fmt.Fprintf(out, "| initial full sync | %s | %.0f (%.2f× the slower limit) |\n", median(initT).Round(time.Millisecond), rate(initT), median(initT).Seconds()/slower.Seconds())
	fmt.Fprintf(out, "| no-op full resync (rows written: %d) | %s | %.0f |\n", noopWrites, median(noopT).Round(time.Millisecond), rate(noopT))
	fmt.Fprintf(out, "| delta of %d renames (%d users updated) | %s | |\n", o.changes, deltaUpdated, median(deltaT).Round(time.Millisecond))
	fmt.Fprintf(out, "| peak RSS of the integrator process | %s | |\n", peakRSS())
	return nil
}

// countSink counts records and drops them.
type countSink struct{ n int }

func (c *countSink) Page(_ context.Context, recs []record.Record) error {
	c.n += len(recs)
	return nil
}

func (c *countSink) Progress(connector.Progress) {}

func median(ds []time.Duration) time.Duration {
	s := slices.Clone(ds)
	slices.Sort(s)
	return s[len(s)/2]
}

// peakRSS reads the process's high-water resident set size (Linux).
func peakRSS() string {
	b, err := os.ReadFile("/proc/self/status")
	if err != nil {
		return "unknown"
	}
	for _, line := range strings.Split(string(b), "\n") {
		if v, ok := strings.CutPrefix(line, "VmHWM:"); ok {
			kb, err := strconv.Atoi(strings.TrimSpace(strings.TrimSuffix(strings.TrimSpace(v), "kB")))
			if err != nil {
				return strings.TrimSpace(v)
			}
			return fmt.Sprintf("%d MB", kb/1024)
		}
	}
	return errors.New("VmHWM not found").Error()
}
