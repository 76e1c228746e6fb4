package postgres

import (
	"context"
	"embed"
	"fmt"
	"io/fs"
	"path"
	"sort"
	"strconv"
	"strings"

	"github.com/jackc/pgx/v5"
)

//go:embed migration/*.up.sql
var migrationFS embed.FS

// migration is one numbered schema change.
type migration struct {
	version int
	name    string
	sql     string
}

// migrations lists the embedded migrations by ascending version.
func migrations() ([]migration, error) {
	files, err := fs.Glob(migrationFS, "migration/*.up.sql")
	if err != nil {
		return nil, fmt.Errorf("listing migrations: %w", err)
	}
	out := make([]migration, 0, len(files))
	seen := make(map[int]string, len(files))
	for _, f := range files {
		base := strings.TrimSuffix(path.Base(f), ".up.sql")
		num, name, ok := strings.Cut(base, "_")
		if !ok {
			return nil, fmt.Errorf("parsing migration file name %q: want NNN_name.up.sql", f)
		}
		v, err := strconv.Atoi(num)
		if err != nil || v <= 0 {
			return nil, fmt.Errorf("parsing migration file name %q: bad version", f)
		}
		if prev, dup := seen[v]; dup {
			return nil, fmt.Errorf("parsing migrations: version %d in both %q and %q", v, prev, f)
		}
		seen[v] = f
		body, err := migrationFS.ReadFile(f)
		if err != nil {
			return nil, fmt.Errorf("reading migration %q: %w", f, err)
		}
		out = append(out, migration{version: v, name: name, sql: string(body)})
	}
	sort.Slice(out, func(i, j int) bool { return out[i].version < out[j].version })
	return out, nil
}

// migrateLock is the advisory lock that serialises migrations of one
// schema: processes starting at once wait for the first to finish, then
// find nothing left to apply. It is transaction-scoped, so a process that
// dies holding it releases it with its connection.
const migrateLock = `SELECT pg_advisory_xact_lock(hashtextextended('integrator schema migrations ' || current_schema(), 0))`

// migrate applies the migrations not yet recorded in schema_migrations, all
// in one transaction: either the schema moves to the newest version or it
// stays where it was.
func (s *Store) migrate(ctx context.Context) error {
	list, err := migrations()
	if err != nil {
		return err
	}
	var done []int
	err = pgx.BeginFunc(ctx, s.pool, func(tx pgx.Tx) error {
		if _, err := tx.Exec(ctx, migrateLock); err != nil {
			return fmt.Errorf("locking the schema for migrations: %w", interpretError(err))
		}
		if _, err := tx.Exec(ctx, `CREATE TABLE IF NOT EXISTS schema_migrations (
			version    integer     PRIMARY KEY,
			name       text        NOT NULL,
			applied_at timestamptz NOT NULL
		)`); err != nil {
			return fmt.Errorf("creating schema_migrations: %w", interpretError(err))
		}
		rows, err := tx.Query(ctx, `SELECT version FROM schema_migrations`)
		if err != nil {
			return fmt.Errorf("reading schema_migrations: %w", interpretError(err))
		}
		applied, err := pgx.CollectRows(rows, pgx.RowTo[int32])
		if err != nil {
			return fmt.Errorf("reading schema_migrations: %w", interpretError(err))
		}
		have := make(map[int]bool, len(applied))
		for _, v := range applied {
			have[int(v)] = true
		}
		for _, m := range list {
			if have[m.version] {
				continue
			}
			// No arguments: the simple protocol runs a file of several
			// statements.
			if _, err := tx.Exec(ctx, m.sql, pgx.QueryExecModeSimpleProtocol); err != nil {
				return fmt.Errorf("applying migration %03d_%s: %w", m.version, m.name, interpretError(err))
			}
			if _, err := tx.Exec(ctx,
				`INSERT INTO schema_migrations (version, name, applied_at) VALUES ($1, $2, $3)`,
				m.version, m.name, s.clock()); err != nil {
				return fmt.Errorf("recording migration %03d_%s: %w", m.version, m.name, interpretError(err))
			}
			done = append(done, m.version)
		}
		return nil
	})
	if err != nil {
		return err
	}
	if len(done) > 0 {
		s.logger.Info("applied schema migrations", "versions", done)
	}
	return nil
}

// SchemaVersion returns the newest applied migration version.
func (s *Store) SchemaVersion(ctx context.Context) (int, error) {
	var v int32
	if err := s.pool.QueryRow(ctx, `SELECT COALESCE(MAX(version), 0) FROM schema_migrations`).Scan(&v); err != nil {
		return 0, fmt.Errorf("reading schema version: %w", interpretError(err))
	}
	return int(v), nil
}
