package postgres

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"runtime"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"
	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/integrator-oss/integrator/internal/store"
)

var _ store.Store = (*Store)(nil)

// Store is the PostgreSQL store. Its methods are safe for concurrent use.
type Store struct {
	reader
	pool   *pgxpool.Pool
	logger *slog.Logger
	now    func() time.Time
	// where names the server and database, without credentials, for
	// errors and logs.
	where string

	stats     *statsKeeper
	stopStats context.CancelFunc

	closed    atomic.Bool
	closeOnce sync.Once
}

// Open connects to the database that dsn (a postgres:// URL or a key=value
// string, completed from the PG* environment variables) names, and applies
// the pending schema migrations.
func Open(ctx context.Context, dsn string, logger *slog.Logger) (*Store, error) {
	if logger == nil {
		logger = slog.New(slog.DiscardHandler)
	}
	cfg, err := pgxpool.ParseConfig(dsn)
	if err != nil {
		// pgconn's parse errors redact the password.
		return nil, fmt.Errorf("opening postgres store: %w", err)
	}
	if !hasPoolMax(dsn) {
		cfg.MaxConns = int32(max(4, runtime.NumCPU()))
	}
	params := cfg.ConnConfig.RuntimeParams
	if params["application_name"] == "" {
		params["application_name"] = "integrator"
	}
	// pgx prepares and caches every statement. A cached statement's
	// generic plan, made without the parameters' values, serves an
	// integration of ten users and one of a million alike; planning each
	// execution costs a fraction of a millisecond next to a page's work.
	// A SET after connecting rather than a startup parameter, which
	// connection poolers such as PgBouncer refuse.
	if _, set := params["plan_cache_mode"]; !set {
		cfg.AfterConnect = func(ctx context.Context, c *pgx.Conn) error {
			_, err := c.Exec(ctx, "SET plan_cache_mode = force_custom_plan")
			return err
		}
	}
	where := describe(cfg.ConnConfig)
	pool, err := pgxpool.NewWithConfig(ctx, cfg)
	if err != nil {
		return nil, fmt.Errorf("opening postgres store %s: %w", where, err)
	}
	s := &Store{pool: pool, logger: logger, now: time.Now, where: where, stats: newStatsKeeper()}
	s.reader = reader{q: pool, s: s}
	if err := s.migrate(ctx); err != nil {
		pool.Close()
		return nil, fmt.Errorf("opening postgres store %s: %w", where, err)
	}
	sctx, stop := context.WithCancel(context.Background())
	s.stopStats = stop
	go s.stats.run(sctx, s)
	logger.Debug("postgres store opened", "database", where)
	return s, nil
}

// hasPoolMax tells whether the connection string sets the pool size.
func hasPoolMax(dsn string) bool {
	return strings.Contains(strings.ToLower(dsn), "pool_max_conns")
}

// describe names a connection's server, database and user, not its
// password.
func describe(c *pgx.ConnConfig) string {
	return fmt.Sprintf("%s@%s:%d/%s", c.User, c.Host, c.Port, c.Database)
}

// errClosed is returned by a Tx on a closed store.
var errClosed = errors.New("postgres store is closed")

// Close closes the pool. Safe to call more than once; it waits for running
// transactions to give their connections back, and a Tx after it fails.
func (s *Store) Close() error {
	s.closeOnce.Do(func() {
		s.closed.Store(true)
		s.stopStats()
		<-s.stats.done
		s.pool.Close()
	})
	return nil
}

// String names the store's server, database and user, without the
// password, for messages.
func (s *Store) String() string { return s.where }

// Pool returns the store's connection pool, for the job engine to share
// the database. Callers must not close it.
func (s *Store) Pool() *pgxpool.Pool { return s.pool }

// Tx runs fn in one transaction on one pooled connection. If fn returns an
// error (or panics) the transaction is rolled back and the error returned
// unchanged.
func (s *Store) Tx(ctx context.Context, fn func(store.Tx) error) error {
	if s.closed.Load() {
		return errClosed
	}
	ptx, err := s.pool.Begin(ctx)
	if err != nil {
		return fmt.Errorf("beginning transaction on %s: %w", s.where, interpretError(err))
	}
	committed := false
	defer func() {
		if committed {
			return
		}
		// Roll back even when ctx is done; a panic in fn still unwinds
		// through here.
		rctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 10*time.Second)
		defer cancel()
		if err := ptx.Rollback(rctx); err != nil && !errors.Is(err, pgx.ErrTxClosed) {
			s.logger.Debug("rolling back transaction", "error", err)
		}
	}()
	t := &tx{reader: reader{q: ptx, s: s}, tx: ptx}
	if err := fn(t); err != nil {
		return err
	}
	if err := ptx.Commit(ctx); err != nil {
		return fmt.Errorf("committing transaction: %w", interpretError(err))
	}
	committed = true
	s.stats.note(t.wrote)
	return nil
}

// tx is one write transaction.
type tx struct {
	reader
	tx pgx.Tx
	// wrote counts the rows written, by table, for the planner
	// statistics kept after the commit.
	wrote map[string]int64
}

// count records n rows written to table.
func (t *tx) count(table string, n int64) {
	if n <= 0 {
		return
	}
	if t.wrote == nil {
		t.wrote = make(map[string]int64, 8)
	}
	t.wrote[table] += n
}

var _ store.Tx = (*tx)(nil)

// querier is what reads and writes run on: the pool or a transaction.
type querier interface {
	Exec(ctx context.Context, sql string, args ...any) (pgconn.CommandTag, error)
	Query(ctx context.Context, sql string, args ...any) (pgx.Rows, error)
	QueryRow(ctx context.Context, sql string, args ...any) pgx.Row
	CopyFrom(ctx context.Context, table pgx.Identifier, columns []string, src pgx.CopyFromSource) (int64, error)
}

// reader implements store.Reader over a querier.
type reader struct {
	q querier
	s *Store
}

// clock returns now at the precision the store keeps, so that timestamps
// the store sets on structs equal what a later read returns.
func (s *Store) clock() time.Time {
	return s.now().UTC().Truncate(time.Microsecond)
}
