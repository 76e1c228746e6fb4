package sqlite

import (
	"context"
	"embed"
	"fmt"
	"io/fs"
	"path"
	"sort"
	"strconv"
	"strings"
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

// migrate applies the migrations not yet recorded in schema_migrations, all
// in one transaction: either the schema moves to the newest version or it
// stays where it was.
func (s *Store) migrate(ctx context.Context) error {
	list, err := migrations()
	if err != nil {
		return err
	}
	if err := s.lockWriter(ctx); err != nil {
		return fmt.Errorf("waiting for the writer: %w", err)
	}
	defer s.unlockWriter()
	var done []int
	err = s.inTx(ctx, func() error {
		done = nil
		return s.applyMigrations(ctx, list, &done)
	})
	if err != nil {
		return err
	}
	if len(done) > 0 {
		s.logger.Info("applied schema migrations", "versions", done)
	}
	return nil
}

// applyMigrations runs, on the writer connection inside a transaction, the
// migrations of list not yet recorded, appending their versions to done.
func (s *Store) applyMigrations(ctx context.Context, list []migration, done *[]int) error {
	c := s.wconn
	if _, err := c.ExecContext(ctx, `CREATE TABLE IF NOT EXISTS schema_migrations (
		version    INTEGER PRIMARY KEY,
		name       TEXT    NOT NULL,
		applied_at INTEGER NOT NULL
	)`); err != nil {
		return fmt.Errorf("creating schema_migrations: %w", interpretError(err))
	}
	applied := make(map[int]bool)
	rows, err := c.QueryContext(ctx, `SELECT version FROM schema_migrations`)
	if err != nil {
		return fmt.Errorf("reading schema_migrations: %w", interpretError(err))
	}
	for rows.Next() {
		var v int
		if err := rows.Scan(&v); err != nil {
			rows.Close()
			return fmt.Errorf("reading schema_migrations: %w", err)
		}
		applied[v] = true
	}
	if err := rows.Close(); err != nil {
		return fmt.Errorf("reading schema_migrations: %w", err)
	}
	if err := rows.Err(); err != nil {
		return fmt.Errorf("reading schema_migrations: %w", err)
	}
	for _, m := range list {
		if applied[m.version] {
			continue
		}
		if _, err := c.ExecContext(ctx, m.sql); err != nil {
			return fmt.Errorf("applying migration %03d_%s: %w", m.version, m.name, interpretError(err))
		}
		if _, err := c.ExecContext(ctx,
			`INSERT INTO schema_migrations (version, name, applied_at) VALUES (?, ?, ?)`,
			m.version, m.name, timeValue(s.clock())); err != nil {
			return fmt.Errorf("recording migration %03d_%s: %w", m.version, m.name, interpretError(err))
		}
		*done = append(*done, m.version)
	}
	return nil
}

// SchemaVersion returns the newest applied migration version.
func (s *Store) SchemaVersion(ctx context.Context) (int, error) {
	var v int
	if err := s.r.QueryRowContext(ctx, `SELECT COALESCE(MAX(version), 0) FROM schema_migrations`).Scan(&v); err != nil {
		return 0, fmt.Errorf("reading schema version: %w", interpretError(err))
	}
	return v, nil
}
