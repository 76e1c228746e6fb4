package main

import (
	"errors"
	"fmt"
	"io"
	"os"
	"slices"
	"sync"
	"time"

	"github.com/spf13/cobra"
	"golang.org/x/term"

	"github.com/integrator-oss/integrator/internal/daemon"
	"github.com/integrator-oss/integrator/internal/engine"
	"github.com/integrator-oss/integrator/internal/jobs"
	"github.com/integrator-oss/integrator/internal/record"
	"github.com/integrator-oss/integrator/internal/store"
)

func newSync(g *globals) *cobra.Command {
	var full, dry, allow bool
	c := &cobra.Command{
		Use:   "sync NAME",
		Short: "Run one integration now and print what it changed",
		Long: `Run one integration now, through the same job path as the schedule.

--dry-run prints the plan (what would be created, changed, deactivated and
why) and writes nothing, not even the cursor. --allow-mass-deactivation
confirms a run that the deactivation threshold would otherwise hold.`,
		Args: cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			cfg, err := g.load()
			if err != nil {
				return err
			}
			name := args[0]
			if _, ok := cfg.Integration(name); !ok {
				return fmt.Errorf("no integration named %q in %s", name, cfg.Path)
			}
			bar := newProgressBar(g.stderr)
			var (
				mu     sync.Mutex
				result *engine.Result
			)
			app, err := daemon.Open(cmd.Context(), cfg, g.logger(cfg), daemon.Options{
				Progress: func(_ string, p engine.Progress) { bar.update(p) },
				Finished: func(in string, res *engine.Result, _ error) {
					if in == name {
						mu.Lock()
						result = res
						mu.Unlock()
					}
				},
			})
			if err != nil {
				return err
			}
			defer app.Close()
			if dry {
				res, err := app.Plan(cmd.Context(), name, full)
				bar.done()
				if err != nil {
					return err
				}
				printPlan(g.stdout, res)
				return nil
			}
			if err := app.StartJobs(cmd.Context(), false); err != nil {
				return err
			}
			id, err := app.Enqueue(cmd.Context(), jobs.RunRequest{Integration: name, Full: full, AllowMassDeactivation: allow, Trigger: "manual"})
			if errors.Is(err, jobs.ErrAlreadyRunning) && id != 0 {
				// One run at a time: follow the one in progress (possibly
				// a run a stopped process left, requeued at start).
				fmt.Fprintf(g.stderr, "a run of %s is already queued or in progress (job %d); waiting for it instead of starting another\n", name, id)
				err = nil
			}
			if err == nil {
				err = app.Wait(cmd.Context(), id)
			}
			bar.done()
			stopErr := app.StopJobs(cmd.Context())
			mu.Lock()
			res := result
			mu.Unlock()
			if res != nil {
				printSummary(g.stdout, name, res)
			}
			if err != nil {
				return fmt.Errorf("run failed: %w", err)
			}
			if res != nil && res.Held {
				return exitError{code: 3}
			}
			return stopErr
		},
	}
	c.Flags().BoolVar(&full, "full", false, "enumerate everything instead of fetching changes since the last run")
	c.Flags().BoolVar(&dry, "dry-run", false, "print the plan and write nothing")
	c.Flags().BoolVar(&allow, "allow-mass-deactivation", false, "apply deactivations above the safety threshold")
	return c
}

// printSummary prints a run's outcome per kind.
func printSummary(w io.Writer, name string, res *engine.Result) {
	r := res.Run
	fmt.Fprintf(w, "%s: run %d %s (%s%s) in %s\n", name, r.ID, r.Status, modeWord(r.Full), dryWord(r.DryRun),
		r.FinishedAt.Sub(r.StartedAt).Round(time.Millisecond))
	printCounts(w, r.ByKind)
	if r.Notes != "" {
		fmt.Fprintln(w, r.Notes)
	}
	if r.Error != "" {
		fmt.Fprintln(w, "error:", r.Error)
	}
}

func printCounts(w io.Writer, byKind map[record.Kind]store.Counts) {
	kinds := make([]string, 0, len(byKind))
	for k := range byKind {
		kinds = append(kinds, string(k))
	}
	slices.Sort(kinds)
	fmt.Fprintf(w, "  %-8s %9s %8s %8s %9s %11s %11s %12s %7s\n", "kind", "fetched", "created", "updated", "unchanged", "deactivated", "reactivated", "out of scope", "failed")
	for _, k := range kinds {
		c := byKind[record.Kind(k)]
		fmt.Fprintf(w, "  %-8s %9d %8d %8d %9d %11d %11d %12d %7d\n", k+"s", c.Fetched, c.Created, c.Updated, c.Unchanged, c.Deactivated, c.Reactivated, c.OutOfScope, c.Failed)
	}
}

func modeWord(full bool) string {
	if full {
		return "full"
	}
	return "delta"
}

func dryWord(dry bool) string {
	if dry {
		return ", dry run"
	}
	return ""
}

// printPlan prints a dry run's plan.
func printPlan(w io.Writer, res *engine.Result) {
	r := res.Run
	fmt.Fprintf(w, "Plan (%s run, nothing was written):\n", modeWord(r.Full))
	printCounts(w, r.ByKind)
	if res.Held {
		fmt.Fprintf(w, "This run would be HELD: %s\n", r.Notes)
	}
	for _, p := range res.Plan {
		fmt.Fprintf(w, "  %-11s %-5s %-30s %s\n", p.Action, p.Kind, trunc(p.Name, 30), p.Reason)
	}
	total := r.Counts.Created + r.Counts.Updated + r.Counts.Deactivated + r.Counts.Reactivated
	if int64(len(res.Plan)) < total {
		fmt.Fprintf(w, "  ... and %d more\n", total-int64(len(res.Plan)))
	}
}

func trunc(s string, n int) string {
	if len(s) <= n {
		return s
	}
	return s[:n-1] + "…"
}

// progressBar draws one status line on a terminal, at most 5 times a
// second; elsewhere it draws nothing.
type progressBar struct {
	w     io.Writer
	tty   bool
	start time.Time
	mu    sync.Mutex
	last  time.Time
	drawn bool
}

func newProgressBar(w io.Writer) *progressBar {
	f, ok := w.(*os.File)
	return &progressBar{w: w, tty: ok && term.IsTerminal(int(f.Fd())), start: time.Now()}
}

func (b *progressBar) update(p engine.Progress) {
	if !b.tty {
		return
	}
	b.mu.Lock()
	defer b.mu.Unlock()
	if time.Since(b.last) < 200*time.Millisecond {
		return
	}
	b.last = time.Now()
	c := p.Counts
	applied := c.Created + c.Updated + c.Unchanged + c.Deactivated + c.Reactivated + c.OutOfScope
	rate := float64(c.Fetched) / time.Since(b.start).Seconds()
	wait := ""
	if p.Waiting > 0 {
		wait = fmt.Sprintf(" · throttled, waiting %s", p.Waiting.Round(time.Second))
	}
	budget := ""
	if p.Budgeted {
		budget = fmt.Sprintf(" (budget: %d left)", p.Budget)
	}
	fmt.Fprintf(b.w, "\r\033[K%s fetched %d · applied %d · %d requests%s · %.0f records/s%s", spinner(b.last), c.Fetched, applied, p.Requests, budget, rate, wait)
	b.drawn = true
}

func (b *progressBar) done() {
	b.mu.Lock()
	defer b.mu.Unlock()
	if b.drawn {
		fmt.Fprint(b.w, "\r\033[K")
	}
}

func spinner(t time.Time) string {
	return string(`|/-\`[t.UnixMilli()/200%4])
}
