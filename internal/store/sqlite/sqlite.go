package sqlite

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"log/slog"
	"runtime"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	// The cgo-free driver, registered as "sqlite".
	_ "modernc.org/sqlite"

	"github.com/integrator-oss/integrator/internal/store"
)

var _ store.Store = (*Store)(nil)

// Store is the SQLite store. Its methods are safe for concurrent use.
type Store struct {
	reader
	w      *sql.DB   // the writer pool, of one connection
	wconn  *sql.Conn // that connection, held for the Store's life
	wsem   chan struct{}
	closed chan struct{} // closed by Close
	r      *sql.DB       // readers: Reader calls outside a Tx
	logger *slog.Logger
	now    func() time.Time

	// stmts caches statements prepared on wconn, by key. Guarded by wsem.
	stmts map[string]*sql.Stmt
	// argBuf is the argument list of the batch statement being run on
	// wconn, reused from one to the next. Guarded by wsem.
	argBuf []any

	closeOnce sync.Once
	closeErr  error
}

// memoryDSN is the DSN of a private in-memory database.
const memoryDSN = ":memory:"

// memorySeq tells apart the in-memory databases of one process.
var memorySeq atomic.Int64

// walAutocheckpoint is how many WAL pages (4 KiB each) a commit lets
// accumulate before it copies them back into the database file. SQLite's
// 1,000 made a sync checkpoint every few batches of users, copying and
// syncing the same index pages again and again; at 10,000 (some 40 MB of
// WAL file between checkpoints, on disk, not in memory) a page rewritten by
// many batches is copied once per checkpoint.
const walAutocheckpoint = "wal_autocheckpoint(10000)"

// Pragmas every connection runs. busy_timeout comes first (the driver
// orders it so) so that the others wait rather than fail on a locked file.
var commonPragmas = []string{
	"busy_timeout(10000)",
	"foreign_keys(1)",
	"temp_store(MEMORY)",
}

// Open opens (creating if needed) the database at dsn, a file path or
// ":memory:", and applies the pending schema migrations.
func Open(ctx context.Context, dsn string, logger *slog.Logger) (*Store, error) {
	if dsn == "" {
		return nil, errors.New("opening sqlite store: empty path")
	}
	if logger == nil {
		logger = slog.New(slog.DiscardHandler)
	}
	s := &Store{logger: logger, now: time.Now, wsem: make(chan struct{}, 1), closed: make(chan struct{}), stmts: map[string]*sql.Stmt{}}
	memory := dsn == memoryDSN
	path := dsn
	readerPragmas := append([]string{"query_only(1)"}, commonPragmas...)
	writerPragmas := append([]string{"synchronous(NORMAL)", "cache_size(-32000)"}, commonPragmas...)
	if memory {
		// A named shared-cache database, private to this Store, that the
		// writer and the readers all see. Shared-cache readers would wait
		// on the writer's table locks, which no busy timeout covers, so
		// they read uncommitted data instead.
		path = fmt.Sprintf("file:integrator-%d-%d?mode=memory&cache=shared",
			time.Now().UnixNano(), memorySeq.Add(1))
		readerPragmas = append(readerPragmas, "read_uncommitted(1)")
	} else {
		writerPragmas = append(writerPragmas, "journal_mode(WAL)", walAutocheckpoint)
	}

	w, err := sql.Open("sqlite", buildDSN(path, writerPragmas))
	if err != nil {
		return nil, fmt.Errorf("opening sqlite writer: %w", err)
	}
	// One writer connection, held for good: SQLite serialises writers
	// anyway, queueing them here is cheaper than spinning on SQLITE_BUSY,
	// statements prepared on it stay valid, and an in-memory database
	// lives only while a connection to it is open.
	w.SetMaxOpenConns(1)
	w.SetMaxIdleConns(1)
	w.SetConnMaxLifetime(0)
	w.SetConnMaxIdleTime(0)
	s.w = w
	if s.wconn, err = w.Conn(ctx); err != nil {
		_ = w.Close()
		return nil, fmt.Errorf("connecting sqlite writer: %w", interpretError(err))
	}

	if err := s.migrate(ctx); err != nil {
		_ = s.wconn.Close()
		_ = w.Close()
		return nil, err
	}

	r, err := sql.Open("sqlite", buildDSN(path, readerPragmas))
	if err != nil {
		_ = s.wconn.Close()
		_ = w.Close()
		return nil, fmt.Errorf("opening sqlite readers: %w", err)
	}
	n := max(4, runtime.GOMAXPROCS(0))
	r.SetMaxOpenConns(n)
	r.SetMaxIdleConns(n)
	s.r = r
	s.reader = reader{q: s.r, s: s}
	logger.Debug("sqlite store opened", "memory", memory)
	return s, nil
}

// buildDSN adds the driver parameters to a path, keeping any query the
// caller gave.
func buildDSN(dsn string, pragmas []string) string {
	var b strings.Builder
	b.WriteString(dsn)
	sep := byte('?')
	if strings.Contains(dsn, "?") {
		sep = '&'
	}
	for _, p := range pragmas {
		b.WriteByte(sep)
		b.WriteString("_pragma=")
		b.WriteString(p)
		sep = '&'
	}
	return b.String()
}

// errClosed is returned by a Tx on a closed store.
var errClosed = errors.New("sqlite store is closed")

// Close closes the store. Safe to call more than once; it waits for a
// running Tx to end, and a Tx after it fails.
func (s *Store) Close() error {
	s.closeOnce.Do(func() {
		// Take the writer for good.
		s.wsem <- struct{}{}
		close(s.closed)
		// Let SQLite refresh the statistics its planner uses, within a
		// bounded amount of work.
		if _, err := s.wconn.ExecContext(context.Background(), "PRAGMA analysis_limit=400; PRAGMA optimize"); err != nil {
			s.logger.Debug("optimizing sqlite store", "error", err)
		}
		errs := []error{}
		for _, st := range s.stmts {
			errs = append(errs, st.Close())
		}
		errs = append(errs, s.wconn.Close(), s.r.Close(), s.w.Close())
		if err := errors.Join(errs...); err != nil {
			s.closeErr = fmt.Errorf("closing sqlite store: %w", err)
		}
	})
	return s.closeErr
}

// lockWriter waits for the writer connection, or for ctx.
func (s *Store) lockWriter(ctx context.Context) error {
	select {
	case s.wsem <- struct{}{}:
		return nil
	case <-s.closed:
		return errClosed
	case <-ctx.Done():
		return ctx.Err()
	}
}

func (s *Store) unlockWriter() { <-s.wsem }

// Tx runs fn in one write transaction on the writer connection. The
// transaction begins IMMEDIATE: it takes the write lock up front, so a
// transaction that reads and then writes never fails to upgrade. If fn
// returns an error (or panics) the transaction is rolled back and the error
// returned unchanged. Transactions do not nest: calling Tx from inside fn
// deadlocks.
func (s *Store) Tx(ctx context.Context, fn func(store.Tx) error) error {
	if err := s.lockWriter(ctx); err != nil {
		return fmt.Errorf("waiting for the writer: %w", err)
	}
	defer s.unlockWriter()
	return s.inTx(ctx, func() error {
		return fn(&tx{reader: reader{q: s.wconn, s: s, cached: true}})
	})
}

// inTx runs fn between BEGIN IMMEDIATE and COMMIT on the writer
// connection, which the caller holds.
func (s *Store) inTx(ctx context.Context, fn func() error) error {
	_, err := s.wconn.ExecContext(ctx, "BEGIN IMMEDIATE")
	if err != nil && strings.Contains(err.Error(), "within a transaction") {
		// A transaction left open by a failed rollback: end it, then
		// begin afresh.
		s.logger.Warn("rolling back a transaction left open", "error", err)
		_, _ = s.wconn.ExecContext(ctx, "ROLLBACK")
		_, err = s.wconn.ExecContext(ctx, "BEGIN IMMEDIATE")
	}
	if err != nil {
		return fmt.Errorf("beginning transaction: %w", interpretError(err))
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
		if _, err := s.wconn.ExecContext(rctx, "ROLLBACK"); err != nil && !strings.Contains(err.Error(), "no transaction is active") {
			s.logger.Warn("rolling back transaction", "error", err)
		}
	}()
	if err := fn(); err != nil {
		return err
	}
	if _, err := s.wconn.ExecContext(ctx, "COMMIT"); err != nil {
		return fmt.Errorf("committing transaction: %w", interpretError(err))
	}
	committed = true
	return nil
}

// tx is one write transaction.
type tx struct {
	reader
}

// args returns an empty argument list with room for n values, for one
// statement at a time: the next call reuses it. A page's batch statement
// has thousands of arguments, and a new list for each was garbage the
// collector then had to trace.
func (t *tx) args(n int) []any {
	if cap(t.s.argBuf) < n {
		t.s.argBuf = make([]any, 0, n)
	}
	clear(t.s.argBuf[:cap(t.s.argBuf)])
	return t.s.argBuf[:0]
}

var _ store.Tx = (*tx)(nil)

// querier is what reads and writes run on: the read pool or the writer
// connection.
type querier interface {
	ExecContext(ctx context.Context, query string, args ...any) (sql.Result, error)
	QueryContext(ctx context.Context, query string, args ...any) (*sql.Rows, error)
	QueryRowContext(ctx context.Context, query string, args ...any) *sql.Row
}

// reader implements store.Reader over a querier.
type reader struct {
	q querier
	s *Store
	// cached is set inside a Tx, where q is the writer connection and
	// statements may be prepared once and kept.
	cached bool
}

// stmt returns the prepared statement cached under key, preparing the
// text build returns on first use. Only for a reader with cached set.
func (r reader) stmt(ctx context.Context, key string, build func() string) (*sql.Stmt, error) {
	if st, ok := r.s.stmts[key]; ok {
		return st, nil
	}
	st, err := r.s.wconn.PrepareContext(ctx, build())
	if err != nil {
		return nil, interpretError(err)
	}
	r.s.stmts[key] = st
	return st, nil
}

// exec runs a statement, through the statement cache inside a Tx.
func (r reader) exec(ctx context.Context, key string, build func() string, args ...any) (sql.Result, error) {
	if !r.cached {
		res, err := r.q.ExecContext(ctx, build(), args...)
		return res, interpretError(err)
	}
	st, err := r.stmt(ctx, key, build)
	if err != nil {
		return nil, err
	}
	res, err := st.ExecContext(ctx, args...)
	return res, interpretError(err)
}

// query runs a query, through the statement cache inside a Tx.
func (r reader) query(ctx context.Context, key string, build func() string, args ...any) (*sql.Rows, error) {
	if !r.cached {
		rows, err := r.q.QueryContext(ctx, build(), args...)
		return rows, interpretError(err)
	}
	st, err := r.stmt(ctx, key, build)
	if err != nil {
		return nil, err
	}
	rows, err := st.QueryContext(ctx, args...)
	return rows, interpretError(err)
}

// queryRow runs a one-row query, through the statement cache inside a Tx.
// Errors, sql.ErrNoRows included, surface from Scan.
func (r reader) queryRow(ctx context.Context, key string, build func() string, args ...any) *sql.Row {
	if !r.cached {
		return r.q.QueryRowContext(ctx, build(), args...)
	}
	st, err := r.stmt(ctx, key, build)
	if err != nil {
		// Let Scan report the preparation error.
		return r.q.QueryRowContext(ctx, build(), args...)
	}
	return st.QueryRowContext(ctx, args...)
}

// text returns a builder of a fixed statement.
func text(q string) func() string { return func() string { return q } }
