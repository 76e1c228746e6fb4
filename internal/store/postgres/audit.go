package postgres

import (
	"context"
	"fmt"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgtype"

	"github.com/integrator-oss/integrator/internal/record"
	"github.com/integrator-oss/integrator/internal/store"
)

const auditColumns = `id, at, run_id, integration_id, kind, entity_id, action, reason, changes`

// AuditInsertMany appends audit events, setting their IDs (ascending, from
// the table's sequence) and, when zero, their At to now.
//
// IDs ascend within a call, but transactions in several processes take
// them concurrently and commit in any order: a reader that pages by ID
// while runs write may see an ID appear behind one it already read.
func (t *tx) AuditInsertMany(ctx context.Context, events []store.AuditEvent) error {
	if len(events) == 0 {
		return nil
	}
	ids, err := t.nextIDs(ctx, "audit_events", len(events))
	if err != nil {
		return fmt.Errorf("appending audit events: %w", err)
	}
	now := t.s.clock()
	for i := range events {
		events[i].ID = ids[i]
		if events[i].At.IsZero() {
			events[i].At = now
		}
	}
	if len(events) >= copyThreshold {
		_, err = t.q.CopyFrom(ctx, pgx.Identifier{"audit_events"},
			[]string{"id", "at", "run_id", "integration_id", "kind", "entity_id", "action", "reason", "changes"},
			pgx.CopyFromSlice(len(events), func(i int) ([]any, error) {
				e := &events[i]
				return []any{e.ID, e.At.UTC(), e.RunID, e.IntegrationID, string(e.Kind), e.EntityID,
					e.Action, e.Reason, textValue(e.Changes)}, nil
			}))
	} else {
		var (
			at                      = make([]time.Time, len(events))
			runs, integs, entities  = make([]int64, len(events)), make([]int64, len(events)), make([]int64, len(events))
			kinds, actions, reasons = make([]string, len(events)), make([]string, len(events)), make([]string, len(events))
			changes                 = make([]*string, len(events))
		)
		for i, e := range events {
			at[i], runs[i], integs[i], entities[i] = e.At.UTC(), e.RunID, e.IntegrationID, e.EntityID
			kinds[i], actions[i], reasons[i], changes[i] = string(e.Kind), e.Action, e.Reason, textValue(e.Changes)
		}
		_, err = t.q.Exec(ctx, `INSERT INTO audit_events (`+auditColumns+`)
			SELECT * FROM unnest($1::bigint[], $2::timestamptz[], $3::bigint[], $4::bigint[], $5::text[],
				$6::bigint[], $7::text[], $8::text[], $9::text[])`,
			ids, at, runs, integs, kinds, entities, actions, reasons, changes)
	}
	if err != nil {
		for i := range events {
			events[i].ID = 0
		}
		return fmt.Errorf("appending audit events: %w", interpretError(err))
	}
	t.count("audit_events", int64(len(events)))
	return nil
}

// AuditList lists audit events by ascending ID after p.AfterID, filtered by
// p. Since is inclusive, Until exclusive.
func (r reader) AuditList(ctx context.Context, p *store.AuditListParams) ([]store.AuditEvent, error) {
	if p == nil {
		p = &store.AuditListParams{}
	}
	var w where
	if p.IntegrationID != 0 {
		w.add("integration_id = ", p.IntegrationID)
	}
	if p.RunID != 0 {
		w.add("run_id = ", p.RunID)
	}
	if p.Kind != "" {
		w.add("kind = ", string(p.Kind))
	}
	if p.EntityID != 0 {
		w.add("entity_id = ", p.EntityID)
	}
	if p.Action != "" {
		w.add("action = ", p.Action)
	}
	if !p.Since.IsZero() {
		w.add("at >= ", timeValue(p.Since))
	}
	if !p.Until.IsZero() {
		w.add("at < ", timeValue(p.Until))
	}
	if p.AfterID != 0 {
		w.add("id > ", p.AfterID)
	}
	q := `SELECT ` + auditColumns + ` FROM audit_events` + w.String() + ` ORDER BY id` + w.limit(p.Limit)
	rows, err := r.q.Query(ctx, q, w.args...)
	if err != nil {
		return nil, fmt.Errorf("listing audit events: %w", interpretError(err))
	}
	out, err := pgx.CollectRows(rows, func(row pgx.CollectableRow) (store.AuditEvent, error) {
		var (
			e       store.AuditEvent
			at      pgtype.Timestamptz
			kind    string
			changes *string
		)
		err := row.Scan(&e.ID, &at, &e.RunID, &e.IntegrationID, &kind, &e.EntityID, &e.Action, &e.Reason, &changes)
		e.At = timeOf(at)
		e.Kind = record.Kind(kind)
		e.Changes = bytesOf(changes)
		return e, err
	})
	if err != nil {
		return nil, fmt.Errorf("listing audit events: %w", interpretError(err))
	}
	return out, nil
}
