package postgres

import (
	"context"
	"fmt"
	"sync"
	"time"

	"github.com/jackc/pgx/v5"
)

// A sync grows tables much faster than autovacuum refreshes their
// statistics: a first sync of a large tenant fills links, users and the
// seen marks from nothing within minutes, while the planner still believes
// they hold a handful of rows and picks nested loops that scan them once
// per row (a 20,000-user sync spent minutes resolving managers that way).
// So the store counts the rows its own transactions write to each table
// and, once a table has taken as many rows as it had at its last ANALYZE
// (and at least analyzeMin), analyzes it in the background. Tables double
// between two runs of ANALYZE, so a load from zero to a million rows
// analyzes each table about ten times, each time sampling at most 30,000
// rows (PostgreSQL's default statistics target).

// analyzeMin is the fewest written rows that make a table worth
// analyzing.
const analyzeMin = 2000

// statsKeeper schedules ANALYZE of the tables the store writes.
type statsKeeper struct {
	mu      sync.Mutex
	pending map[string]int64 // rows written since the last ANALYZE
	size    map[string]int64 // rows at the last ANALYZE
	queued  map[string]bool
	queue   chan string
	done    chan struct{}
}

func newStatsKeeper() *statsKeeper {
	return &statsKeeper{
		pending: map[string]int64{},
		size:    map[string]int64{},
		queued:  map[string]bool{},
		queue:   make(chan string, 32),
		done:    make(chan struct{}),
	}
}

// note adds the rows a committed transaction wrote, by table, and queues
// the tables that grew enough.
func (k *statsKeeper) note(wrote map[string]int64) {
	if len(wrote) == 0 {
		return
	}
	k.mu.Lock()
	defer k.mu.Unlock()
	for table, n := range wrote {
		k.pending[table] += n
		if k.queued[table] || k.pending[table] < max(analyzeMin, k.size[table]) {
			continue
		}
		select {
		case k.queue <- table:
			k.queued[table] = true
		default:
			// The worker is behind; a later commit queues it again.
		}
	}
}

// run analyzes queued tables until ctx ends, then closes done.
func (k *statsKeeper) run(ctx context.Context, s *Store) {
	defer close(k.done)
	for {
		select {
		case <-ctx.Done():
			return
		case table := <-k.queue:
			k.analyze(ctx, s, table)
		}
	}
}

func (k *statsKeeper) analyze(ctx context.Context, s *Store, table string) {
	k.mu.Lock()
	written := k.pending[table]
	k.mu.Unlock()
	start := time.Now()
	var rows float64
	// SKIP_LOCKED: a table another session is analyzing is left to it;
	// the rows stay pending and a later commit queues it again.
	_, err := s.pool.Exec(ctx, `ANALYZE (SKIP_LOCKED) `+pgx.Identifier{table}.Sanitize())
	if err == nil {
		err = s.pool.QueryRow(ctx, `SELECT reltuples FROM pg_class WHERE oid = $1::regclass`, table).Scan(&rows)
	}
	k.mu.Lock()
	defer k.mu.Unlock()
	k.queued[table] = false
	if err != nil {
		if ctx.Err() == nil {
			s.logger.Warn("refreshing planner statistics", "table", table, "error", err)
		}
		return
	}
	k.pending[table] -= written
	k.size[table] = int64(rows)
	s.logger.Debug("refreshed planner statistics", "table", table, "rows", int64(rows), "took", time.Since(start))
}

// staleTables lists those of tables that changed by more than half their
// rows (and at least analyzeMin) since their last ANALYZE, by anyone.
const staleTables = `SELECT s.relname FROM pg_stat_user_tables s JOIN pg_class c ON c.oid = s.relid
	WHERE s.schemaname = current_schema() AND s.relname = ANY($1::text[])
		AND s.n_mod_since_analyze > GREATEST($2, c.reltuples / 2)`

// freshStats analyzes, inside the transaction, those of tables whose
// statistics are stale, before a statement whose plan depends on them.
// The background analysis follows this process's own writes only; this
// covers the rest: a run whose pages several processes wrote, a store just
// migrated, a process that died before analyzing. SKIP_LOCKED leaves a
// table another session is analyzing to that session.
func (t *tx) freshStats(ctx context.Context, tables ...string) error {
	rows, err := t.q.Query(ctx, staleTables, tables, analyzeMin)
	if err != nil {
		return interpretError(err)
	}
	stale, err := pgx.CollectRows(rows, pgx.RowTo[string])
	if err != nil {
		return interpretError(err)
	}
	for _, table := range stale {
		if _, err := t.q.Exec(ctx, `ANALYZE (SKIP_LOCKED) `+pgx.Identifier{table}.Sanitize()); err != nil {
			return fmt.Errorf("analyzing %s: %w", table, interpretError(err))
		}
	}
	return nil
}
