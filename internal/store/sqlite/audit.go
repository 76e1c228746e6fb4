package sqlite

import (
	"context"
	"database/sql"
	"fmt"
	"strings"

	"github.com/integrator-oss/integrator/internal/record"
	"github.com/integrator-oss/integrator/internal/store"
)

const auditColumns = `id, at, run_id, integration_id, kind, entity_id, action, reason, changes`

const auditWidth = 9

// AuditInsertMany appends audit events, setting their IDs (allocated as in
// UserInsertMany) and, when zero, their At to now.
func (t *tx) AuditInsertMany(ctx context.Context, events []store.AuditEvent) error {
	if len(events) == 0 {
		return nil
	}
	var maxID int64
	if err := t.queryRow(ctx, "audit.maxid", text(`SELECT COALESCE(MAX(id), 0) FROM audit_events`)).Scan(&maxID); err != nil {
		return fmt.Errorf("appending audit events: %w", interpretError(err))
	}
	now := t.s.clock()
	for i := range events {
		events[i].ID = maxID + int64(i) + 1
		if events[i].At.IsZero() {
			events[i].At = now
		}
	}
	err := forBatches(len(events), auditWidth, func(start, rows int) error {
		args := t.args(rows * auditWidth)
		for _, e := range events[start : start+rows] {
			args = append(args, e.ID, timeValue(e.At), e.RunID, e.IntegrationID, string(e.Kind), e.EntityID,
				e.Action, e.Reason, textValue(e.Changes))
		}
		_, err := t.exec(ctx, batchKey("audit.insert", rows), func() string {
			return `INSERT INTO audit_events (` + auditColumns + `) VALUES ` + placeholders(auditWidth, rows)
		}, args...)
		return err
	})
	if err != nil {
		for i := range events {
			events[i].ID = 0
		}
		return fmt.Errorf("appending audit events: %w", err)
	}
	return nil
}

// AuditList lists audit events by ascending ID after p.AfterID, filtered by
// p. Since is inclusive, Until exclusive.
func (r reader) AuditList(ctx context.Context, p *store.AuditListParams) ([]store.AuditEvent, error) {
	if p == nil {
		p = &store.AuditListParams{}
	}
	var (
		where []string
		args  []any
	)
	add := func(cond string, v any) {
		where = append(where, cond)
		args = append(args, v)
	}
	if p.IntegrationID != 0 {
		add("integration_id = ?", p.IntegrationID)
	}
	if p.RunID != 0 {
		add("run_id = ?", p.RunID)
	}
	if p.Kind != "" {
		add("kind = ?", string(p.Kind))
	}
	if p.EntityID != 0 {
		add("entity_id = ?", p.EntityID)
	}
	if p.Action != "" {
		add("action = ?", p.Action)
	}
	if !p.Since.IsZero() {
		add("at >= ?", timeValue(p.Since))
	}
	if !p.Until.IsZero() {
		add("at < ?", timeValue(p.Until))
	}
	if p.AfterID != 0 {
		add("id > ?", p.AfterID)
	}
	q := `SELECT ` + auditColumns + ` FROM audit_events`
	if len(where) > 0 {
		q += ` WHERE ` + strings.Join(where, " AND ")
	}
	q += ` ORDER BY id`
	if p.Limit > 0 {
		q += ` LIMIT ?`
		args = append(args, p.Limit)
	}
	rows, err := r.q.QueryContext(ctx, q, args...)
	if err != nil {
		return nil, fmt.Errorf("listing audit events: %w", interpretError(err))
	}
	defer rows.Close()
	var out []store.AuditEvent
	for rows.Next() {
		var (
			e       store.AuditEvent
			at      sql.NullInt64
			kind    string
			changes sql.NullString
		)
		if err := rows.Scan(&e.ID, &at, &e.RunID, &e.IntegrationID, &kind, &e.EntityID, &e.Action,
			&e.Reason, &changes); err != nil {
			return nil, fmt.Errorf("listing audit events: %w", err)
		}
		e.At = timeOf(at)
		e.Kind = record.Kind(kind)
		e.Changes = bytesOf(changes)
		out = append(out, e)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("listing audit events: %w", interpretError(err))
	}
	return out, nil
}
