package jobs

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"strings"

	"github.com/riverqueue/river/riverdriver/riversqlite"
	_ "modernc.org/sqlite" // registers the cgo-free "sqlite" driver
)

// sqlitePragmas: WAL lets readers and a writer in other processes share the
// file, busy_timeout waits for their locks instead of failing, and immediate
// transactions take the write lock up front so two processes cannot
// deadlock upgrading read locks.
const sqlitePragmas = "_pragma=busy_timeout(10000)&_pragma=journal_mode(WAL)&_txlock=immediate"

// OpenSQLite opens a Scheduler on the SQLite database at path (":memory:"
// for a throwaway one), with its own connection pool of one connection as
// River's SQLite driver needs, and migrates River's tables up. The database
// may be the store's file or a separate one. Close releases it.
func OpenSQLite(ctx context.Context, path string, cfg Config) (*Scheduler, error) {
	if path == "" || strings.ContainsAny(path, "?#") {
		return nil, fmt.Errorf("opening job database: invalid path %q", path)
	}
	db, err := sql.Open("sqlite", path+"?"+sqlitePragmas)
	if err != nil {
		return nil, fmt.Errorf("opening job database: %w", err)
	}
	// One connection: River works concurrently and SQLite allows one writer;
	// the pool serialises access instead of returning SQLITE_BUSY. Keeping
	// the connection forever also keeps a ":memory:" database alive.
	db.SetMaxOpenConns(1)
	db.SetMaxIdleConns(1)
	db.SetConnMaxLifetime(0)
	db.SetConnMaxIdleTime(0)
	if err := db.PingContext(ctx); err != nil {
		return nil, errors.Join(fmt.Errorf("opening job database: %w", err), db.Close())
	}
	s, err := newScheduler(ctx, riversqlite.New(db), cfg, db.Close, nil)
	if err != nil {
		return nil, errors.Join(err, db.Close())
	}
	return s, nil
}
