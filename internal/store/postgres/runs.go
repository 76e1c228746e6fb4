package postgres

import (
	"context"
	"encoding/json"
	"fmt"
	"strconv"
	"strings"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgtype"

	"github.com/integrator-oss/integrator/internal/record"
	"github.com/integrator-oss/integrator/internal/store"
)

const runColumns = `id, integration_id, status, mode, full_run, dry_run, trigger_name,
	started_at, finished_at, counts, by_kind, error, notes`

func scanRun(sc rowScanner) (store.Run, error) {
	var (
		run               store.Run
		started, finished pgtype.Timestamptz
		counts, byKind    []byte
	)
	if err := sc.Scan(&run.ID, &run.IntegrationID, &run.Status, &run.Mode, &run.Full, &run.DryRun,
		&run.Trigger, &started, &finished, &counts, &byKind, &run.Error, &run.Notes); err != nil {
		return run, err
	}
	run.StartedAt = timeOf(started)
	run.FinishedAt = timeOf(finished)
	if len(counts) > 0 {
		if err := json.Unmarshal(counts, &run.Counts); err != nil {
			return run, fmt.Errorf("decoding counts of run %d: %w", run.ID, err)
		}
	}
	if len(byKind) > 0 {
		if err := json.Unmarshal(byKind, &run.ByKind); err != nil {
			return run, fmt.Errorf("decoding counts by kind of run %d: %w", run.ID, err)
		}
	}
	return run, nil
}

// byKindValue stores counts by kind as a JSON object, or NULL when empty.
func byKindValue(m map[record.Kind]store.Counts) (*string, error) {
	if len(m) == 0 {
		return nil, nil
	}
	b, err := json.Marshal(m)
	if err != nil {
		return nil, fmt.Errorf("encoding counts by kind: %w", err)
	}
	return textValue(b), nil
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
	run, err := scanRun(r.q.QueryRow(ctx, `SELECT `+runColumns+` FROM runs WHERE id = $1`, id))
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
	var w where
	if p.IntegrationID != 0 {
		w.add("integration_id = ", p.IntegrationID)
	}
	if p.Status != "" {
		w.add("status = ", p.Status)
	}
	if !p.Since.IsZero() {
		w.add("started_at >= ", timeValue(p.Since))
	}
	q := `SELECT ` + runColumns + ` FROM runs` + w.String() + ` ORDER BY started_at DESC, id DESC` + w.limit(p.Limit)
	rows, err := r.q.Query(ctx, q, w.args...)
	if err != nil {
		return nil, fmt.Errorf("listing runs: %w", interpretError(err))
	}
	out, err := pgx.CollectRows(rows, func(row pgx.CollectableRow) (store.Run, error) { return scanRun(row) })
	if err != nil {
		return nil, fmt.Errorf("listing runs: %w", interpretError(err))
	}
	return out, nil
}

// where builds a WHERE clause of ANDed conditions, each ending in its
// placeholder.
type where struct {
	conds []string
	args  []any
}

// add appends cond (e.g. "status = ") with the next placeholder for v.
func (w *where) add(cond string, v any) {
	w.args = append(w.args, v)
	w.conds = append(w.conds, cond+"$"+strconv.Itoa(len(w.args)))
}

// addRaw appends a condition whose own placeholders are $1... for vals,
// renumbered after the arguments already added.
func (w *where) addRaw(cond string, vals ...any) {
	for i := len(vals); i >= 1; i-- {
		cond = strings.ReplaceAll(cond, "$"+strconv.Itoa(i), "$"+strconv.Itoa(len(w.args)+i))
	}
	w.args = append(w.args, vals...)
	w.conds = append(w.conds, cond)
}

func (w *where) String() string {
	if len(w.conds) == 0 {
		return ""
	}
	return " WHERE " + strings.Join(w.conds, " AND ")
}

// limit returns a LIMIT clause for n > 0, adding its argument.
func (w *where) limit(n int) string {
	if n <= 0 {
		return ""
	}
	w.args = append(w.args, n)
	return " LIMIT $" + strconv.Itoa(len(w.args))
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
	run, err := scanRun(t.q.QueryRow(ctx, `
		INSERT INTO runs (integration_id, status, mode, full_run, dry_run, trigger_name,
			started_at, finished_at, counts, by_kind, error, notes)
		VALUES ($1, $2, $3, false, $4, $5, $6, NULL, $7, NULL, '', '')
		RETURNING `+runColumns,
		p.IntegrationID, store.RunRunning, p.Mode, p.DryRun, p.Trigger, timeValue(at), counts))
	if err != nil {
		return nil, fmt.Errorf("starting run of integration %d: %w", p.IntegrationID, interpretError(err))
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
	tag, err := t.q.Exec(ctx, `UPDATE runs SET counts = $1 WHERE id = $2 AND status = $3`,
		counts, id, store.RunRunning)
	if err != nil {
		return fmt.Errorf("updating run %d progress: %w", id, interpretError(err))
	}
	if tag.RowsAffected() == 1 {
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
	tag, err := t.q.Exec(ctx, `
		UPDATE runs SET status = $1, full_run = $2, counts = $3, by_kind = $4, error = $5, notes = $6,
			finished_at = $7
		WHERE id = $8`,
		p.Status, p.Full, counts, byKind, p.Error, p.Notes, timeValue(at), p.ID)
	if err != nil {
		return fmt.Errorf("finishing run %d: %w", p.ID, interpretError(err))
	}
	if tag.RowsAffected() == 0 {
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
	run, err := scanRun(t.q.QueryRow(ctx, `
		INSERT INTO runs (integration_id, status, mode, full_run, dry_run, trigger_name,
			started_at, finished_at, counts, by_kind, error, notes)
		VALUES ($1, $2, '', false, false, 'schedule', $3, $3, $4, NULL, '', $5)
		RETURNING `+runColumns,
		p.IntegrationID, store.RunSkipped, timeValue(at), counts, p.Reason))
	if err != nil {
		return nil, fmt.Errorf("recording skipped run of integration %d: %w", p.IntegrationID, interpretError(err))
	}
	return &run, nil
}

// RunAbandon fails the integration's runs still in status running, with
// reason as their error, and returns how many it changed.
func (t *tx) RunAbandon(ctx context.Context, integrationID int64, reason string) (int, error) {
	tag, err := t.q.Exec(ctx, `
		UPDATE runs SET status = $1, error = $2, finished_at = $3
		WHERE integration_id = $4 AND status = $5`,
		store.RunFailed, reason, timeValue(t.s.clock()), integrationID, store.RunRunning)
	if err != nil {
		return 0, fmt.Errorf("abandoning runs of integration %d: %w", integrationID, interpretError(err))
	}
	return int(tag.RowsAffected()), nil
}
