package postgres

import (
	"context"
	"fmt"

	"github.com/jackc/pgx/v5"

	"github.com/integrator-oss/integrator/internal/record"
	"github.com/integrator-oss/integrator/internal/store"
)

// SeenMark marks external IDs seen in a run; marking twice is harmless.
// The IDs are written in key order.
func (t *tx) SeenMark(ctx context.Context, p *store.SeenMarkParams) error {
	ids := sortedSet(p.ExternalIDs)
	if len(ids) == 0 {
		return nil
	}
	tag, err := t.q.Exec(ctx, `INSERT INTO run_seen (run_id, kind, external_id)
		SELECT $1, $2, x FROM unnest($3::text[]) AS x ON CONFLICT DO NOTHING`,
		p.RunID, string(p.Kind), ids)
	if err != nil {
		return fmt.Errorf("marking %d %s IDs seen in run %d: %w", len(ids), p.Kind, p.RunID, interpretError(err))
	}
	t.count("run_seen", tag.RowsAffected())
	return nil
}

// PendingAdd queues records for the run, numbering them after the run's
// last queued record and setting each one's Seq.
func (t *tx) PendingAdd(ctx context.Context, runID int64, recs []store.Pending) error {
	if len(recs) == 0 {
		return nil
	}
	var last int64
	if err := t.q.QueryRow(ctx, `SELECT COALESCE(MAX(seq), 0) FROM run_pending WHERE run_id = $1`,
		runID).Scan(&last); err != nil {
		return fmt.Errorf("queueing pending records of run %d: %w", runID, interpretError(err))
	}
	n := len(recs)
	var (
		seqs                 = make([]int64, n)
		kinds, exts, reasons = make([]string, n), make([]string, n), make([]string, n)
		bodies               = make([]*string, n)
	)
	for i := range recs {
		recs[i].Seq = last + int64(i) + 1
		r := &recs[i]
		seqs[i], kinds[i], exts[i], bodies[i], reasons[i] = r.Seq, string(r.Kind), r.ExternalID, textValue(r.Record), r.Reason
	}
	if _, err := t.q.Exec(ctx, `INSERT INTO run_pending (run_id, seq, kind, external_id, record, reason)
		SELECT $1, * FROM unnest($2::bigint[], $3::text[], $4::text[], $5::text[], $6::text[])`,
		runID, seqs, kinds, exts, bodies, reasons); err != nil {
		return fmt.Errorf("queueing pending records of run %d: %w", runID, interpretError(err))
	}
	t.count("run_pending", int64(n))
	return nil
}

// PendingList returns up to limit of the run's queued records with Seq
// above afterSeq, by Seq. A limit of 0 or less means no limit.
func (t *tx) PendingList(ctx context.Context, runID int64, afterSeq int64, limit int) ([]store.Pending, error) {
	rows, err := t.q.Query(ctx, `SELECT seq, kind, external_id, record, reason FROM run_pending
		WHERE run_id = $1 AND seq > $2 ORDER BY seq LIMIT $3`, runID, afterSeq, limitValue(limit))
	if err != nil {
		return nil, fmt.Errorf("listing pending records of run %d: %w", runID, interpretError(err))
	}
	out, err := pgx.CollectRows(rows, func(row pgx.CollectableRow) (store.Pending, error) {
		var (
			p    store.Pending
			kind string
			rec  *string
		)
		err := row.Scan(&p.Seq, &kind, &p.ExternalID, &rec, &p.Reason)
		p.Kind = record.Kind(kind)
		p.Record = bytesOf(rec)
		return p, err
	})
	if err != nil {
		return nil, fmt.Errorf("listing pending records of run %d: %w", runID, interpretError(err))
	}
	return out, nil
}

// RescopeAdd queues member external IDs for re-scoping; queueing one twice
// keeps one entry.
func (t *tx) RescopeAdd(ctx context.Context, runID int64, memberIDs []string) error {
	ids := sortedSet(memberIDs)
	if len(ids) == 0 {
		return nil
	}
	tag, err := t.q.Exec(ctx, `INSERT INTO run_rescope (run_id, member_external_id)
		SELECT $1, x FROM unnest($2::text[]) AS x ON CONFLICT DO NOTHING`, runID, ids)
	if err != nil {
		return fmt.Errorf("queueing members of run %d to re-scope: %w", runID, interpretError(err))
	}
	t.count("run_rescope", tag.RowsAffected())
	return nil
}

// RescopeList returns up to limit queued member IDs of the run that are
// above after and have no user seen mark in the run, ascending. A limit of
// 0 or less means no limit. IDs compare byte by byte (the column's
// collation is "C"), as in the SQLite store.
func (t *tx) RescopeList(ctx context.Context, runID int64, after string, limit int) ([]string, error) {
	rows, err := t.q.Query(ctx, `SELECT r.member_external_id FROM run_rescope r
		WHERE r.run_id = $1 AND r.member_external_id > $2
			AND NOT EXISTS (SELECT 1 FROM run_seen s
				WHERE s.run_id = r.run_id AND s.kind = $3 AND s.external_id = r.member_external_id)
		ORDER BY r.member_external_id LIMIT $4`, runID, after, string(record.KindUser), limitValue(limit))
	if err != nil {
		return nil, fmt.Errorf("listing members of run %d to re-scope: %w", runID, interpretError(err))
	}
	out, err := pgx.CollectRows(rows, pgx.RowTo[string])
	if err != nil {
		return nil, fmt.Errorf("listing members of run %d to re-scope: %w", runID, interpretError(err))
	}
	return out, nil
}

// RunScratchClear drops the run's seen marks, membership seen marks,
// pending records and re-scope queue.
func (t *tx) RunScratchClear(ctx context.Context, runID int64) error {
	for _, table := range []string{"run_seen", "run_seen_members", "run_pending", "run_rescope"} {
		tag, err := t.q.Exec(ctx, `DELETE FROM `+table+` WHERE run_id = $1`, runID)
		if err != nil {
			return fmt.Errorf("clearing %s of run %d: %w", table, runID, interpretError(err))
		}
		t.count(table, tag.RowsAffected())
	}
	return nil
}
