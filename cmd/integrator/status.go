package main

import (
	"encoding/json"
	"fmt"
	"time"

	"github.com/spf13/cobra"

	"github.com/integrator-oss/integrator/internal/daemon"
)

func newStatus(g *globals) *cobra.Command {
	var asJSON bool
	c := &cobra.Command{
		Use:   "status",
		Short: "Show each integration: schedule, next and last run, last success and error, cursor age, user counts",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			cfg, err := g.load()
			if err != nil {
				return err
			}
			app, err := daemon.Open(cmd.Context(), cfg, g.logger(cfg), daemon.Options{})
			if err != nil {
				return err
			}
			defer app.Close()
			sts, err := app.Status(cmd.Context())
			if err != nil {
				return err
			}
			if asJSON {
				enc := json.NewEncoder(g.stdout)
				enc.SetIndent("", "  ")
				return enc.Encode(sts)
			}
			for _, s := range sts {
				printStatus(g, s)
			}
			return nil
		},
	}
	c.Flags().BoolVar(&asJSON, "json", false, "print JSON")
	return c
}

func printStatus(g *globals, s daemon.IntegrationStatus) {
	w := g.stdout
	state := "enabled"
	if !s.Enabled {
		state = "DISABLED (nothing runs)"
	}
	fmt.Fprintf(w, "%s (%s) — %s, %s\n", s.Name, s.Type, state, s.Schedule)
	fmt.Fprintf(w, "  next run:      %s\n", when(s.NextRun))
	if s.LastRun != nil {
		r := s.LastRun
		fmt.Fprintf(w, "  last run:      #%d %s, %s, started %s, took %s\n", r.ID, r.Status, modeWord(r.Full), when(r.StartedAt), r.FinishedAt.Sub(r.StartedAt).Round(time.Millisecond))
		c := r.Counts
		fmt.Fprintf(w, "                 created %d, updated %d, deactivated %d, reactivated %d, unchanged %d, out of scope %d, failed %d\n",
			c.Created, c.Updated, c.Deactivated, c.Reactivated, c.Unchanged, c.OutOfScope, c.Failed)
	} else {
		fmt.Fprintf(w, "  last run:      never\n")
	}
	fmt.Fprintf(w, "  last success:  %s\n", when(s.LastSuccess))
	if s.LastError != "" {
		fmt.Fprintf(w, "  last error:    %s\n", s.LastError)
	}
	if s.Held {
		fmt.Fprintf(w, "  HELD:          %s\n", s.LastRun.Notes)
	}
	if s.SkippedTicks > 0 {
		fmt.Fprintf(w, "  skipped ticks: %d (a run was still going; consider a longer interval)\n", s.SkippedTicks)
	}
	if s.CursorAge > 0 {
		fmt.Fprintf(w, "  cursor age:    %s (last full run %s)\n", s.CursorAge, when(s.LastFullRun))
	}
	fmt.Fprintf(w, "  users:         %d active, %d inactive\n", s.ActiveUsers, s.Inactive)
}

func when(t time.Time) string {
	if t.IsZero() {
		return "never"
	}
	d := time.Until(t).Round(time.Second)
	switch {
	case d > 0:
		return fmt.Sprintf("%s (in %s)", t.Local().Format(time.DateTime), d)
	case d == 0:
		return "now"
	}
	return fmt.Sprintf("%s (%s ago)", t.Local().Format(time.DateTime), -d)
}
