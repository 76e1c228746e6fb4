package main

import (
	"errors"
	"fmt"
	"io"
	"strings"
	"time"

	"github.com/spf13/cobra"

	"github.com/integrator-oss/integrator/internal/store/migrate"
)

func newMigrateStore(g *globals) *cobra.Command {
	var from, to string
	c := &cobra.Command{
		Use:   "migrate-store --from sqlite:PATH --to postgres://...",
		Short: "Copy a SQLite store into an empty PostgreSQL database, keeping every ID, link, cursor, run and audit event",
		Long: `Copies every table of a SQLite store (clients, sites, integrations, cursors,
runs, users, groups, memberships, links, the audit trail, the review queue,
integration definitions, administrators and credentials) into an empty
PostgreSQL store, keeping their IDs, then moves PostgreSQL's ID sequences past
them and checks every table's row count before it commits. The copy streams
through COPY in one transaction: a failed copy leaves the target empty.

Stop the integrator first: the source must not change during the copy. Then
point the configuration's "store:" at the PostgreSQL URL; the next delta run
continues from the migrated cursors. The target must be empty (a new database
or schema); the command refuses otherwise and names the tables that have rows.

--to is a postgres:// URL or a key=value connection string; PG* environment
variables (PGPASSWORD, PGSSLMODE, ...) fill what it leaves out.`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			path, err := sqlitePathOf(from)
			if err != nil {
				return err
			}
			if to == "" {
				return errors.New("--to: the PostgreSQL URL or connection string is required")
			}
			if strings.HasPrefix(to, "sqlite:") {
				return errors.New("--to: the target must be PostgreSQL (postgres://...)")
			}
			out := g.stdout
			fmt.Fprintf(out, "copying %s into PostgreSQL\n", path)
			rep, err := migrate.Copy(cmd.Context(), path, to, migrate.Options{
				Progress: func(t migrate.Table) { fmt.Fprintf(out, "  %s: %d rows\n", t.Name, t.Copied) },
			})
			if err != nil {
				return fmt.Errorf("migrating the store: %w", err)
			}
			printMigrateReport(out, rep)
			return nil
		},
	}
	c.Flags().StringVar(&from, "from", "", "the SQLite store: sqlite:PATH (or PATH)")
	c.Flags().StringVar(&to, "to", "", "the PostgreSQL store: postgres://USER@HOST:PORT/DB?sslmode=... or key=value")
	return c
}

// sqlitePathOf turns --from into a file path.
func sqlitePathOf(from string) (string, error) {
	if from == "" {
		return "", errors.New("--from: the SQLite store (sqlite:PATH) is required")
	}
	if strings.Contains(from, "://") {
		return "", fmt.Errorf("--from: %q is not a SQLite store; want sqlite:PATH", from)
	}
	path := strings.TrimPrefix(from, "sqlite:")
	if path == "" || path == ":memory:" {
		return "", errors.New("--from: want the path of a SQLite file")
	}
	return path, nil
}

// printMigrateReport prints the per-table counts of a copy.
func printMigrateReport(out io.Writer, rep *migrate.Report) {
	fmt.Fprintf(out, "copied into %s in %s; row counts verified:\n", rep.Target, rep.Duration.Round(time.Millisecond))
	width := len("table")
	for _, t := range rep.Tables {
		width = max(width, len(t.Name))
	}
	fmt.Fprintf(out, "  %-*s %12s %12s %10s\n", width, "table", "SQLite", "PostgreSQL", "next ID")
	var total int64
	for _, t := range rep.Tables {
		next := ""
		if t.MaxID > 0 {
			next = fmt.Sprint(t.MaxID + 1)
		}
		fmt.Fprintln(out, strings.TrimRight(fmt.Sprintf("  %-*s %12d %12d %10s", width, t.Name, t.Source, t.Target, next), " "))
		total += t.Target
	}
	if rep.Abandoned > 0 {
		fmt.Fprintf(out, "%d run(s) the source left running were closed as failed.\n", rep.Abandoned)
	}
	fmt.Fprintf(out, "%d rows in %d tables. Point the configuration's store: at the PostgreSQL URL and start the integrator.\n",
		total, len(rep.Tables))
}
