package sqlite

import (
	"context"
	"database/sql"
	"fmt"

	"github.com/integrator-oss/integrator/internal/record"
	"github.com/integrator-oss/integrator/internal/store"
)

// SeenMark marks external IDs seen in a run; marking twice is harmless.
// The IDs are written in key order.
func (t *tx) SeenMark(ctx context.Context, p *store.SeenMarkParams) error {
	ids := sortedSet(p.ExternalIDs)
	err := forBatches(len(ids), 3, func(start, rows int) error {
		args := t.args(rows * 3)
		for _, id := range ids[start : start+rows] {
			args = append(args, p.RunID, string(p.Kind), id)
		}
		_, err := t.exec(ctx, batchKey("seen.mark", rows), func() string {
			return `INSERT INTO run_seen (run_id, kind, external_id) VALUES ` + placeholders(3, rows) +
				` ON CONFLICT DO NOTHING`
		}, args...)
		return err
	})
	if err != nil {
		return fmt.Errorf("marking seen: %w", err)
	}
	return nil
}

const pendingWidth = 6

// PendingAdd queues records for the run, numbering them after the run's
// last queued record and setting each one's Seq.
func (t *tx) PendingAdd(ctx context.Context, runID int64, recs []store.Pending) error {
	if len(recs) == 0 {
		return nil
	}
	var last int64
	if err := t.queryRow(ctx, "pending.maxseq", text(`SELECT COALESCE(MAX(seq), 0) FROM run_pending WHERE run_id = ?`),
		runID).Scan(&last); err != nil {
		return fmt.Errorf("queueing pending records: %w", interpretError(err))
	}
	for i := range recs {
		recs[i].Seq = last + int64(i) + 1
	}
	err := forBatches(len(recs), pendingWidth, func(start, rows int) error {
		args := t.args(rows * pendingWidth)
		for _, r := range recs[start : start+rows] {
			args = append(args, runID, r.Seq, string(r.Kind), r.ExternalID, textValue(r.Record), r.Reason)
		}
		_, err := t.exec(ctx, batchKey("pending.add", rows), func() string {
			return `INSERT INTO run_pending (run_id, seq, kind, external_id, record, reason)
			VALUES ` + placeholders(pendingWidth, rows)
		}, args...)
		return err
	})
	if err != nil {
		return fmt.Errorf("queueing pending records: %w", err)
	}
	return nil
}

// PendingList returns up to limit of the run's queued records with Seq
// above afterSeq, by Seq. A limit of 0 or less means no limit.
func (t *tx) PendingList(ctx context.Context, runID int64, afterSeq int64, limit int) ([]store.Pending, error) {
	if limit <= 0 {
		limit = -1
	}
	rows, err := t.query(ctx, "pending.list", text(`SELECT seq, kind, external_id, record, reason FROM run_pending
		WHERE run_id = ? AND seq > ? ORDER BY seq LIMIT ?`), runID, afterSeq, limit)
	if err != nil {
		return nil, fmt.Errorf("listing pending records: %w", err)
	}
	defer rows.Close()
	var out []store.Pending
	for rows.Next() {
		var (
			p    store.Pending
			kind string
			rec  sql.NullString
		)
		if err := rows.Scan(&p.Seq, &kind, &p.ExternalID, &rec, &p.Reason); err != nil {
			return nil, fmt.Errorf("listing pending records: %w", err)
		}
		p.Kind = record.Kind(kind)
		p.Record = bytesOf(rec)
		out = append(out, p)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("listing pending records: %w", interpretError(err))
	}
	return out, nil
}

// RescopeAdd queues member external IDs for re-scoping; queueing one twice
// keeps one entry.
func (t *tx) RescopeAdd(ctx context.Context, runID int64, memberIDs []string) error {
	err := forBatches(len(memberIDs), 2, func(start, rows int) error {
		args := t.args(rows * 2)
		for _, id := range memberIDs[start : start+rows] {
			args = append(args, runID, id)
		}
		_, err := t.exec(ctx, batchKey("rescope.add", rows), func() string {
			return `INSERT INTO run_rescope (run_id, member_external_id) VALUES ` + placeholders(2, rows) +
				` ON CONFLICT DO NOTHING`
		}, args...)
		return err
	})
	if err != nil {
		return fmt.Errorf("queueing members to re-scope: %w", err)
	}
	return nil
}

// RescopeList returns up to limit queued member IDs of the run that are
// above after and have no user seen mark in the run, ascending. A limit of
// 0 or less means no limit.
func (t *tx) RescopeList(ctx context.Context, runID int64, after string, limit int) ([]string, error) {
	if limit <= 0 {
		limit = -1
	}
	rows, err := t.query(ctx, "rescope.list", text(`SELECT r.member_external_id FROM run_rescope r
		WHERE r.run_id = ? AND r.member_external_id > ?
			AND NOT EXISTS (SELECT 1 FROM run_seen s
				WHERE s.run_id = r.run_id AND s.kind = ? AND s.external_id = r.member_external_id)
		ORDER BY r.member_external_id LIMIT ?`), runID, after, string(record.KindUser), limit)
	if err != nil {
		return nil, fmt.Errorf("listing members to re-scope: %w", err)
	}
	defer rows.Close()
	var out []string
	for rows.Next() {
		var id string
		if err := rows.Scan(&id); err != nil {
			return nil, fmt.Errorf("listing members to re-scope: %w", err)
		}
		out = append(out, id)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("listing members to re-scope: %w", interpretError(err))
	}
	return out, nil
}

// RunScratchClear drops the run's seen marks, membership seen marks,
// pending records and re-scope queue.
func (t *tx) RunScratchClear(ctx context.Context, runID int64) error {
	for _, table := range []string{"run_seen", "run_seen_members", "run_pending", "run_rescope"} {
		if _, err := t.exec(ctx, "clear."+table, text(`DELETE FROM `+table+` WHERE run_id = ?`), runID); err != nil {
			return fmt.Errorf("clearing %s of run %d: %w", table, runID, err)
		}
	}
	return nil
}
