package sqlite

import (
	"context"
	"database/sql"
	"encoding/json"
	"fmt"
	"strings"

	"github.com/integrator-oss/integrator/internal/record"
	"github.com/integrator-oss/integrator/internal/store"
)

const runColumns = `id, integration_id, status, mode, full_run, dry_run, trigger_name,
	started_at, finished_at, counts, by_kind, error, notes`

func scanRun(sc interface{ Scan(...any) error }) (store.Run, error) {
	var (
		run               store.Run
		started, finished sql.NullInt64
		counts            string
		byKind            sql.NullString
	)
	if err := sc.Scan(&run.ID, &run.IntegrationID, &run.Status, &run.Mode, &run.Full, &run.DryRun,
		&run.Trigger, &started, &finished, &counts, &byKind, &run.Error, &run.Notes); err != nil {
		return run, err
	}
	run.StartedAt = timeOf(started)
	run.FinishedAt = timeOf(finished)
	if counts != "" {
		if err := json.Unmarshal([]byte(counts), &run.Counts); err != nil {
			return run, fmt.Errorf("decoding counts of run %d: %w", run.ID, err)
		}
	}
	if byKind.Valid && byKind.String != "" {
		if err := json.Unmarshal([]byte(byKind.String), &run.ByKind); err != nil {
			return run, fmt.Errorf("decoding counts by kind of run %d: %w", run.ID, err)
		}
	}
	return run, nil
}

// byKindValue stores counts by kind as a JSON object, or NULL when empty.
func byKindValue(m map[record.Kind]store.Counts) (any, error) {
	if len(m) == 0 {
		return nil, nil
	}
	b, err := json.Marshal(m)
	if err != nil {
		return nil, fmt.Errorf("encoding counts by kind: %w", err)
	}
	return string(b), nil
}

func countsValue(c store.Counts) (string, error) {
	b, err := json.Marshal(c)
	if err != nil {
		return "", fmt.Errorf("encoding counts: %w", err)
	}
	return string(b), nil
}

// RunGet returns a run by ID, or store.ErrNotFound.
func (r reader) RunGet(ctx context.Context, id int64) (*store.Run, error) {
	run, err := scanRun(r.q.QueryRowContext(ctx, `SELECT `+runColumns+` FROM runs WHERE id = ?`, id))
	if err != nil {
		return nil, fmt.Errorf("getting run %d: %w", id, interpretError(err))
	}
	return &run, nil
}

// RunList lists runs newest first, filtered by p.
func (r reader) RunList(ctx context.Context, p *store.RunListParams) ([]store.Run, error) {
	if p == nil {
		p = &store.RunListParams{}
	}
	var (
		where []string
		args  []any
	)
	if p.IntegrationID != 0 {
		where = append(where, "integration_id = ?")
		args = append(args, p.IntegrationID)
	}
	if p.Status != "" {
		where = append(where, "status = ?")
		args = append(args, p.Status)
	}
	if !p.Since.IsZero() {
		where = append(where, "started_at >= ?")
		args = append(args, timeValue(p.Since))
	}
	q := `SELECT ` + runColumns + ` FROM runs`
	if len(where) > 0 {
		q += ` WHERE ` + strings.Join(where, " AND ")
	}
	q += ` ORDER BY started_at DESC, id DESC`
	if p.Limit > 0 {
		q += ` LIMIT ?`
		args = append(args, p.Limit)
	}
	rows, err := r.q.QueryContext(ctx, q, args...)
	if err != nil {
		return nil, fmt.Errorf("listing runs: %w", interpretError(err))
	}
	defer rows.Close()
	var out []store.Run
	for rows.Next() {
		run, err := scanRun(rows)
		if err != nil {
			return nil, fmt.Errorf("listing runs: %w", err)
		}
		out = append(out, run)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("listing runs: %w", interpretError(err))
	}
	return out, nil
}

// RunStart opens a run in status running. A zero p.At means now.
func (t *tx) RunStart(ctx context.Context, p *store.RunStartParams) (*store.Run, error) {
	at := p.At
	if at.IsZero() {
		at = t.s.clock()
	}
	counts, err := countsValue(store.Counts{})
	if err != nil {
		return nil, fmt.Errorf("starting run: %w", err)
	}
	run, err := scanRun(t.q.QueryRowContext(ctx, `
		INSERT INTO runs (integration_id, status, mode, full_run, dry_run, trigger_name,
			started_at, finished_at, counts, by_kind, error, notes)
		VALUES (?, ?, ?, 0, ?, ?, ?, NULL, ?, NULL, '', '')
		RETURNING `+runColumns,
		p.IntegrationID, store.RunRunning, p.Mode, p.DryRun, p.Trigger, timeValue(at), counts))
	if err != nil {
		return nil, fmt.Errorf("starting run: %w", interpretError(err))
	}
	return &run, nil
}

// RunProgress updates the counts of a running run. It returns
// store.ErrNotFound for an unknown run and store.ErrConflict for a run that
// is no longer running.
func (t *tx) RunProgress(ctx context.Context, id int64, c store.Counts) error {
	counts, err := countsValue(c)
	if err != nil {
		return fmt.Errorf("updating run %d progress: %w", id, err)
	}
	res, err := t.q.ExecContext(ctx, `UPDATE runs SET counts = ? WHERE id = ? AND status = ?`,
		counts, id, store.RunRunning)
	if err != nil {
		return fmt.Errorf("updating run %d progress: %w", id, interpretError(err))
	}
	if n, _ := res.RowsAffected(); n == 1 {
		return nil
	}
	if _, err := t.RunGet(ctx, id); err != nil {
		return fmt.Errorf("updating run progress: %w", err)
	}
	return fmt.Errorf("updating run %d progress: %w: run is not running", id, store.ErrConflict)
}

// RunFinish closes a run with its final status and counts. A zero p.At
// means now.
func (t *tx) RunFinish(ctx context.Context, p *store.RunFinishParams) error {
	at := p.At
	if at.IsZero() {
		at = t.s.clock()
	}
	counts, err := countsValue(p.Counts)
	if err != nil {
		return fmt.Errorf("finishing run %d: %w", p.ID, err)
	}
	byKind, err := byKindValue(p.ByKind)
	if err != nil {
		return fmt.Errorf("finishing run %d: %w", p.ID, err)
	}
	res, err := t.q.ExecContext(ctx, `
		UPDATE runs SET status = ?, full_run = ?, counts = ?, by_kind = ?, error = ?, notes = ?,
			finished_at = ?
		WHERE id = ?`,
		p.Status, p.Full, counts, byKind, p.Error, p.Notes, timeValue(at), p.ID)
	if err != nil {
		return fmt.Errorf("finishing run %d: %w", p.ID, interpretError(err))
	}
	if n, _ := res.RowsAffected(); n == 0 {
		return fmt.Errorf("finishing run %d: %w", p.ID, store.ErrNotFound)
	}
	return nil
}

// RunSkip records a skipped tick as a run in status skipped, started and
// finished at p.At, with the reason in its notes.
func (t *tx) RunSkip(ctx context.Context, p *store.RunSkipParams) (*store.Run, error) {
	at := p.At
	if at.IsZero() {
		at = t.s.clock()
	}
	counts, err := countsValue(store.Counts{})
	if err != nil {
		return nil, fmt.Errorf("recording skipped run: %w", err)
	}
	run, err := scanRun(t.q.QueryRowContext(ctx, `
		INSERT INTO runs (integration_id, status, mode, full_run, dry_run, trigger_name,
			started_at, finished_at, counts, by_kind, error, notes)
		VALUES (?, ?, '', 0, 0, 'schedule', ?, ?, ?, NULL, '', ?)
		RETURNING `+runColumns,
		p.IntegrationID, store.RunSkipped, timeValue(at), timeValue(at), counts, p.Reason))
	if err != nil {
		return nil, fmt.Errorf("recording skipped run: %w", interpretError(err))
	}
	return &run, nil
}

// RunAbandon fails the integration's runs still in status running, with
// reason as their error, and returns how many it changed.
func (t *tx) RunAbandon(ctx context.Context, integrationID int64, reason string) (int, error) {
	res, err := t.q.ExecContext(ctx, `
		UPDATE runs SET status = ?, error = ?, finished_at = ?
		WHERE integration_id = ? AND status = ?`,
		store.RunFailed, reason, timeValue(t.s.clock()), integrationID, store.RunRunning)
	if err != nil {
		return 0, fmt.Errorf("abandoning runs: %w", interpretError(err))
	}
	n, err := res.RowsAffected()
	if err != nil {
		return 0, fmt.Errorf("abandoning runs: %w", err)
	}
	return int(n), nil
}
