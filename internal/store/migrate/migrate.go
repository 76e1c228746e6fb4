// Package migrate copies a SQLite store into an empty PostgreSQL store:
// every table the two schemas share, with its IDs, so that links, cursors,
// runs and the audit trail carry over and the next delta run continues
// from the migrated cursors. It backs `integrator migrate-store`.
//
// Both stores are opened (and so migrated) to the newest schema first. The
// copy reads one SQLite snapshot and writes one PostgreSQL transaction: a
// table at a time, streamed row by row through COPY, so memory stays flat
// whatever the size; then the ID sequences move past the copied IDs and
// every table's rows are counted on both sides before the commit, and
// the copied tables are analyzed for the planner. A copy that fails leaves
// the target as empty as it found it.
//
// Run scratch (seen marks and queues of running runs) is not copied, and
// runs still "running" in the source (a process that died) are closed as
// failed, as the SQLite daemon would have on its next start. The job engine's own tables are not copied either; periodic jobs
// are created afresh from the configuration.
package migrate

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"log/slog"
	"slices"
	"strings"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/integrator-oss/integrator/internal/store/postgres"
	"github.com/integrator-oss/integrator/internal/store/sqlite"
)

// skipped are the SQLite tables that are not platform data.
var skipped = map[string]bool{
	"schema_migrations": true,
	"run_seen":          true,
	"run_seen_members":  true,
	"run_pending":       true,
	"run_rescope":       true,
}

// Table is what the copy did to one table.
type Table struct {
	Name string
	// Source is the table's row count in the SQLite snapshot, Copied the
	// rows COPY wrote, Target the count read back from PostgreSQL before
	// the commit.
	Source, Copied, Target int64
	// MaxID is the highest ID copied, for tables with an ID sequence; the
	// sequence continues after it.
	MaxID int64
}

// Report is the outcome of a copy, by table in the order copied.
type Report struct {
	// Target names the PostgreSQL server, database and user, without the
	// password.
	Target   string
	Tables   []Table
	Duration time.Duration
	// Abandoned counts the runs the source left "running", which the copy
	// closes as failed: no process will finish them.
	Abandoned int64
}

// ErrTargetNotEmpty is returned when the PostgreSQL store already has
// rows; the error names the tables.
var ErrTargetNotEmpty = errors.New("the target PostgreSQL store is not empty")

// Options tune a copy.
type Options struct {
	Logger *slog.Logger
	// Progress, if set, is called after each table.
	Progress func(Table)
}

// Copy copies the SQLite store at sqlitePath into the PostgreSQL store at
// postgresDSN, which must be empty (ErrTargetNotEmpty otherwise). The
// source must not be written meanwhile: stop the integrator first.
func Copy(ctx context.Context, sqlitePath, postgresDSN string, o Options) (*Report, error) {
	if o.Logger == nil {
		o.Logger = slog.New(slog.DiscardHandler)
	}
	start := time.Now()
	// Opening applies the pending migrations, so both schemas are the
	// newest this build knows.
	src, err := sqlite.Open(ctx, sqlitePath, o.Logger)
	if err != nil {
		return nil, fmt.Errorf("opening the source: %w", err)
	}
	if err := src.Close(); err != nil {
		return nil, fmt.Errorf("closing the source: %w", err)
	}
	db, err := sql.Open("sqlite", "file:"+sqlitePath+"?mode=ro&_pragma=busy_timeout(10000)")
	if err != nil {
		return nil, fmt.Errorf("opening the source %s: %w", sqlitePath, err)
	}
	defer db.Close()
	dst, err := postgres.Open(ctx, postgresDSN, o.Logger)
	if err != nil {
		return nil, fmt.Errorf("opening the target: %w", err)
	}
	defer dst.Close()

	// One connection and one read transaction: every table comes from the
	// same snapshot.
	conn, err := db.Conn(ctx)
	if err != nil {
		return nil, fmt.Errorf("reading the source: %w", err)
	}
	defer conn.Close()
	rtx, err := conn.BeginTx(ctx, &sql.TxOptions{ReadOnly: true})
	if err != nil {
		return nil, fmt.Errorf("reading the source: %w", err)
	}
	defer rtx.Rollback()

	rep := &Report{Target: dst.String()}
	err = pgx.BeginFunc(ctx, dst.Pool(), func(ptx pgx.Tx) error {
		c := &copier{src: rtx, dst: ptx, logger: o.Logger}
		tables, err := c.plan(ctx)
		if err != nil {
			return err
		}
		if err := c.refuseNonEmpty(ctx, tables); err != nil {
			return err
		}
		for _, name := range tables {
			t, err := c.copyTable(ctx, name)
			if err != nil {
				return fmt.Errorf("copying table %s: %w", name, err)
			}
			rep.Tables = append(rep.Tables, t)
			if o.Progress != nil {
				o.Progress(t)
			}
		}
		if err := c.verify(rep.Tables); err != nil {
			return err
		}
		rep.Abandoned, err = c.abandonRuns(ctx)
		return err
	})
	if err != nil {
		return nil, err
	}
	// Fresh statistics, so that the first runs on the new store are
	// planned for the tables' real sizes.
	for _, t := range rep.Tables {
		if _, err := dst.Pool().Exec(ctx, `ANALYZE `+pgx.Identifier{t.Name}.Sanitize()); err != nil {
			return nil, fmt.Errorf("analyzing the copied %s: %w", t.Name, err)
		}
	}
	rep.Duration = time.Since(start)
	return rep, nil
}

// copier copies tables from a SQLite read transaction into a PostgreSQL
// transaction.
type copier struct {
	src    *sql.Tx
	dst    pgx.Tx
	logger *slog.Logger
}

// plan lists the SQLite tables to copy, parents before the tables whose
// foreign keys point at them, and checks that PostgreSQL has each.
func (c *copier) plan(ctx context.Context) ([]string, error) {
	rows, err := c.src.QueryContext(ctx, `SELECT name FROM sqlite_master
		WHERE type = 'table' AND name NOT LIKE 'sqlite_%' ORDER BY name`)
	if err != nil {
		return nil, fmt.Errorf("listing the source's tables: %w", err)
	}
	var names []string
	for rows.Next() {
		var n string
		if err := rows.Scan(&n); err != nil {
			rows.Close()
			return nil, fmt.Errorf("listing the source's tables: %w", err)
		}
		if !skipped[n] {
			names = append(names, n)
		}
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("listing the source's tables: %w", err)
	}
	prows, err := c.dst.Query(ctx, `SELECT table_name FROM information_schema.tables
		WHERE table_schema = current_schema() AND table_type = 'BASE TABLE'`)
	if err != nil {
		return nil, fmt.Errorf("listing the target's tables: %w", err)
	}
	have, err := pgx.CollectRows(prows, pgx.RowTo[string])
	if err != nil {
		return nil, fmt.Errorf("listing the target's tables: %w", err)
	}
	var missing []string
	for _, n := range names {
		if !slices.Contains(have, n) {
			missing = append(missing, n)
		}
	}
	if len(missing) > 0 {
		return nil, fmt.Errorf("the source has tables the target's schema lacks (%s): this build's PostgreSQL migrations are behind its SQLite ones",
			strings.Join(missing, ", "))
	}
	frows, err := c.dst.Query(ctx, `SELECT ch.relname, pa.relname FROM pg_constraint k
		JOIN pg_class ch ON ch.oid = k.conrelid JOIN pg_class pa ON pa.oid = k.confrelid
		WHERE k.contype = 'f' AND k.connamespace = current_schema()::regnamespace`)
	if err != nil {
		return nil, fmt.Errorf("reading the target's foreign keys: %w", err)
	}
	parents := map[string][]string{}
	var child, parent string
	if _, err := pgx.ForEachRow(frows, []any{&child, &parent}, func() error {
		if child != parent {
			parents[child] = append(parents[child], parent)
		}
		return nil
	}); err != nil {
		return nil, fmt.Errorf("reading the target's foreign keys: %w", err)
	}
	// Depth-first, in name order: a table comes after its parents.
	var (
		order []string
		state = map[string]int{} // 1 visiting, 2 done
		visit func(n string) error
	)
	visit = func(n string) error {
		switch state[n] {
		case 1:
			return fmt.Errorf("the target's foreign keys form a cycle through %s", n)
		case 2:
			return nil
		}
		state[n] = 1
		ps := slices.Clone(parents[n])
		slices.Sort(ps)
		for _, p := range ps {
			if slices.Contains(names, p) {
				if err := visit(p); err != nil {
					return err
				}
			}
		}
		state[n] = 2
		order = append(order, n)
		return nil
	}
	for _, n := range names {
		if err := visit(n); err != nil {
			return nil, err
		}
	}
	return order, nil
}

// refuseNonEmpty returns ErrTargetNotEmpty, naming the tables with rows,
// if any table to copy into has any.
func (c *copier) refuseNonEmpty(ctx context.Context, tables []string) error {
	var full []string
	for _, t := range tables {
		var n int64
		if err := c.dst.QueryRow(ctx, `SELECT COUNT(*) FROM `+pgx.Identifier{t}.Sanitize()).Scan(&n); err != nil {
			return fmt.Errorf("counting the target's %s: %w", t, err)
		}
		if n > 0 {
			full = append(full, fmt.Sprintf("%s has %d rows", t, n))
		}
	}
	if len(full) > 0 {
		return fmt.Errorf("%w: %s; migrate into a new database or schema", ErrTargetNotEmpty, strings.Join(full, ", "))
	}
	return nil
}

// column is one column of a target table and how to convert SQLite values
// into it.
type column struct {
	name     string
	pgType   string
	identity bool
}

// columns returns the target table's columns that the source table has,
// and fails on a source column the target lacks.
func (c *copier) columns(ctx context.Context, table string) ([]column, error) {
	rows, err := c.dst.Query(ctx, `SELECT column_name, data_type, is_identity = 'YES' OR COALESCE(column_default LIKE 'nextval(%', false)
		FROM information_schema.columns WHERE table_schema = current_schema() AND table_name = $1
		ORDER BY ordinal_position`, table)
	if err != nil {
		return nil, fmt.Errorf("reading the target's columns: %w", err)
	}
	var (
		target []column
		col    column
	)
	if _, err := pgx.ForEachRow(rows, []any{&col.name, &col.pgType, &col.identity}, func() error {
		target = append(target, col)
		return nil
	}); err != nil {
		return nil, fmt.Errorf("reading the target's columns: %w", err)
	}
	srows, err := c.src.QueryContext(ctx, `SELECT name FROM pragma_table_info(?)`, table)
	if err != nil {
		return nil, fmt.Errorf("reading the source's columns: %w", err)
	}
	defer srows.Close()
	var out []column
	for srows.Next() {
		var name string
		if err := srows.Scan(&name); err != nil {
			return nil, fmt.Errorf("reading the source's columns: %w", err)
		}
		i := slices.IndexFunc(target, func(c column) bool { return c.name == name })
		if i < 0 {
			return nil, fmt.Errorf("column %s.%s has no counterpart in the target's schema", table, name)
		}
		out = append(out, target[i])
	}
	return out, srows.Err()
}

// copyTable streams one table through COPY and moves its ID sequence past
// the copied IDs.
func (c *copier) copyTable(ctx context.Context, table string) (Table, error) {
	t := Table{Name: table}
	if err := c.src.QueryRowContext(ctx, `SELECT COUNT(*) FROM "`+table+`"`).Scan(&t.Source); err != nil {
		return t, fmt.Errorf("counting the source's rows: %w", err)
	}
	cols, err := c.columns(ctx, table)
	if err != nil {
		return t, err
	}
	names := make([]string, len(cols))
	quoted := make([]string, len(cols))
	for i, col := range cols {
		names[i] = col.name
		quoted[i] = `"` + col.name + `"`
	}
	rows, err := c.src.QueryContext(ctx, `SELECT `+strings.Join(quoted, ", ")+` FROM "`+table+`"`)
	if err != nil {
		return t, fmt.Errorf("reading the source: %w", err)
	}
	defer rows.Close()
	t.Copied, err = c.dst.CopyFrom(ctx, pgx.Identifier{table}, names, &rowSource{rows: rows, cols: cols, table: table})
	if err != nil {
		return t, err
	}
	if err := c.dst.QueryRow(ctx, `SELECT COUNT(*) FROM `+pgx.Identifier{table}.Sanitize()).Scan(&t.Target); err != nil {
		return t, fmt.Errorf("counting the copied rows: %w", err)
	}
	for _, col := range cols {
		if !col.identity {
			continue
		}
		// The next ID is MAX + 1, or 1 for an empty table.
		err := c.dst.QueryRow(ctx, `SELECT COALESCE(MAX(`+pgx.Identifier{col.name}.Sanitize()+`), 0) FROM `+
			pgx.Identifier{table}.Sanitize()).Scan(&t.MaxID)
		if err != nil {
			return t, fmt.Errorf("reading the highest %s: %w", col.name, err)
		}
		if _, err := c.dst.Exec(ctx, `SELECT setval(pg_get_serial_sequence($1, $2), GREATEST($3::bigint, 1), $3::bigint > 0)`,
			pgx.Identifier{table}.Sanitize(), col.name, t.MaxID); err != nil {
			return t, fmt.Errorf("moving the %s sequence past %d: %w", col.name, t.MaxID, err)
		}
	}
	c.logger.Info("copied table", "table", table, "rows", t.Copied)
	return t, nil
}

// abandonedReason is the error of a run the source left running.
const abandonedReason = "the process running it stopped before the end; the store was then migrated to PostgreSQL"

// abandonRuns fails the copied runs still marked running: on SQLite the
// next start would have closed them, but the job that ran them is gone.
func (c *copier) abandonRuns(ctx context.Context) (int64, error) {
	tag, err := c.dst.Exec(ctx, `UPDATE runs SET status = 'failed', error = $1, finished_at = now()
		WHERE status = 'running'`, abandonedReason)
	if err != nil {
		return 0, fmt.Errorf("closing the runs left running: %w", err)
	}
	return tag.RowsAffected(), nil
}

// verify checks that every table has in PostgreSQL the rows it has in
// the SQLite snapshot.
func (c *copier) verify(tables []Table) error {
	var bad []string
	for _, t := range tables {
		if t.Source != t.Copied || t.Source != t.Target {
			bad = append(bad, fmt.Sprintf("%s: %d in the source, %d copied, %d in the target", t.Name, t.Source, t.Copied, t.Target))
		}
	}
	if len(bad) > 0 {
		return fmt.Errorf("row counts differ, nothing committed: %s", strings.Join(bad, "; "))
	}
	return nil
}

// rowSource feeds COPY from a SQLite result set, converting each value to
// its target column's type.
type rowSource struct {
	rows  *sql.Rows
	cols  []column
	table string
	vals  []any
	err   error
	n     int64
}

func (r *rowSource) Next() bool {
	if !r.rows.Next() {
		return false
	}
	raw := make([]any, len(r.cols))
	ptrs := make([]any, len(r.cols))
	for i := range raw {
		ptrs[i] = &raw[i]
	}
	if r.err = r.rows.Scan(ptrs...); r.err != nil {
		return false
	}
	r.n++
	r.vals = raw
	for i, col := range r.cols {
		v, err := convert(raw[i], col.pgType)
		if err != nil {
			r.err = fmt.Errorf("row %d, column %s: %w", r.n, col.name, err)
			return false
		}
		r.vals[i] = v
	}
	return true
}

func (r *rowSource) Values() ([]any, error) { return r.vals, r.err }

func (r *rowSource) Err() error {
	if r.err != nil {
		return r.err
	}
	return r.rows.Err()
}

// convert turns a value as the SQLite driver returns it (int64, float64,
// string, []byte or nil) into what pgx writes to a column of the given
// PostgreSQL type, following the SQLite store's storage conventions:
// times are microseconds since the epoch, booleans 0 or 1, JSON text.
func convert(v any, pgType string) (any, error) {
	if v == nil {
		return nil, nil
	}
	switch pgType {
	case "timestamp with time zone":
		us, ok := v.(int64)
		if !ok {
			return nil, fmt.Errorf("want microseconds since the epoch, have %T", v)
		}
		return time.UnixMicro(us).UTC(), nil
	case "boolean":
		n, ok := v.(int64)
		if !ok {
			return nil, fmt.Errorf("want 0 or 1, have %T", v)
		}
		return n != 0, nil
	case "bigint", "integer", "smallint":
		n, ok := v.(int64)
		if !ok {
			return nil, fmt.Errorf("want an integer, have %T %v", v, v)
		}
		return n, nil
	case "text", "jsonb", "json":
		switch s := v.(type) {
		case string:
			return s, nil
		case []byte:
			return string(s), nil
		}
		return nil, fmt.Errorf("want text, have %T", v)
	case "bytea":
		switch b := v.(type) {
		case []byte:
			return b, nil
		case string:
			return []byte(b), nil
		}
		return nil, fmt.Errorf("want bytes, have %T", v)
	}
	return nil, fmt.Errorf("no conversion into %s", pgType)
}
