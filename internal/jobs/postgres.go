package jobs

import (
	"context"
	"errors"
	"fmt"
	"strings"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"
	"github.com/riverqueue/river/riverdriver/riverpgxv5"
	"github.com/riverqueue/river/rivermigrate"
)

// migrationLockKey is the PostgreSQL advisory lock taken while River's
// tables are migrated, so that processes starting together migrate one after
// the other instead of racing on CREATE TABLE. The value is arbitrary but
// fixed: every integrator build must use the same one.
const migrationLockKey int64 = 0x696e746567726174 // "integrat"

// extraConns are the pool connections a Scheduler needs beside one per
// worker: River's LISTEN connection, the producers' fetches and
// completions, the leader's maintenance services and RunNow/Wait.
const extraConns = 8

// OpenPostgres opens a Scheduler on the PostgreSQL database at dsn (a
// postgres:// URL or a key=value string; unset parts come from the PG*
// environment variables, and TLS from sslmode and the sslrootcert, sslcert
// and sslkey parameters), with a pgx pool of its own, and migrates River's
// tables up under an advisory lock, so that any number of processes may
// start at once on the same database. Close releases the pool.
//
// Several processes may work the same database: a run of one integration
// never runs twice at once across all of them (the sync job is unique in
// the database), only River's elected leader enqueues periodic ticks and
// cleans up, and a job left running by a process that died is made
// available again by the leader's rescuer once the run's timeout and a
// grace period have passed. RescueOrphans must not be used in that mode.
//
// The pool defaults to one connection per worker plus a few; a
// pool_max_conns parameter in dsn overrides that.
func OpenPostgres(ctx context.Context, dsn string, cfg Config) (*Scheduler, error) {
	pcfg, err := pgxpool.ParseConfig(dsn)
	if err != nil {
		// pgx's parse errors may quote the DSN, password included.
		return nil, errors.New("opening job database: invalid PostgreSQL connection string")
	}
	if !strings.Contains(dsn, "pool_max_conns") {
		pcfg.MaxConns = int32(max(cfg.Workers, DefaultWorkers) + extraConns) //nolint:gosec // bounded by QueueNumWorkersMax
	}
	pcfg.ConnConfig.RuntimeParams["application_name"] = "integrator-jobs"
	pool, err := pgxpool.NewWithConfig(ctx, pcfg)
	if err != nil {
		return nil, fmt.Errorf("opening job database on %s: %w", hostOf(pcfg), err)
	}
	if err := pool.Ping(ctx); err != nil {
		pool.Close()
		return nil, fmt.Errorf("opening job database on %s: %w", hostOf(pcfg), err)
	}
	closePool := func() error { pool.Close(); return nil }
	s, err := newScheduler(ctx, riverpgxv5.New(pool), cfg, closePool, func(ctx context.Context, m *rivermigrate.Migrator[pgx.Tx]) error {
		return migrateLocked(ctx, pool, m)
	})
	if err != nil {
		pool.Close()
		return nil, err
	}
	return s, nil
}

// migrateLocked migrates River's tables up while holding migrationLockKey
// on a connection of its own: a process that waited for the lock finds the
// tables migrated and does nothing. (River's migrations cannot all run in
// one transaction: one adds an enum value that a later one uses.)
func migrateLocked(ctx context.Context, pool *pgxpool.Pool, m *rivermigrate.Migrator[pgx.Tx]) error {
	conn, err := pool.Acquire(ctx)
	if err != nil {
		return fmt.Errorf("taking migration lock: %w", err)
	}
	defer conn.Release()
	if _, err := conn.Exec(ctx, "SELECT pg_advisory_lock($1)", migrationLockKey); err != nil {
		return fmt.Errorf("taking migration lock: %w", err)
	}
	_, merr := m.Migrate(ctx, rivermigrate.DirectionUp, nil)
	if _, err := conn.Exec(context.WithoutCancel(ctx), "SELECT pg_advisory_unlock($1)", migrationLockKey); err != nil {
		// A connection still holding the lock must not go back to the pool.
		_ = conn.Conn().Close(context.WithoutCancel(ctx))
		return errors.Join(merr, fmt.Errorf("releasing migration lock: %w", err))
	}
	return merr
}

// hostOf names the server of a pool config for errors, without user or
// password.
func hostOf(c *pgxpool.Config) string {
	return fmt.Sprintf("%s:%d/%s", c.ConnConfig.Host, c.ConnConfig.Port, c.ConnConfig.Database)
}
