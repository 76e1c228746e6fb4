package postgres

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgtype"

	"github.com/integrator-oss/integrator/internal/store"
)

const integrationColumns = `id, name, type, enabled, settings, created_at, updated_at`

func scanIntegration(sc rowScanner) (store.Integration, error) {
	var (
		in               store.Integration
		settings         *string
		created, updated pgtype.Timestamptz
	)
	if err := sc.Scan(&in.ID, &in.Name, &in.Type, &in.Enabled, &settings, &created, &updated); err != nil {
		return in, err
	}
	in.Settings = bytesOf(settings)
	in.CreatedAt = timeOf(created)
	in.UpdatedAt = timeOf(updated)
	return in, nil
}

// IntegrationGet returns the integration of that name, or store.ErrNotFound.
func (r reader) IntegrationGet(ctx context.Context, name string) (*store.Integration, error) {
	in, err := scanIntegration(r.q.QueryRow(ctx, `SELECT `+integrationColumns+` FROM integrations WHERE name = $1`, name))
	if err != nil {
		return nil, fmt.Errorf("getting integration %q: %w", name, interpretError(err))
	}
	return &in, nil
}

// IntegrationList lists every integration by name.
func (r reader) IntegrationList(ctx context.Context) ([]store.Integration, error) {
	rows, err := r.q.Query(ctx, `SELECT `+integrationColumns+` FROM integrations ORDER BY name`)
	if err != nil {
		return nil, fmt.Errorf("listing integrations: %w", interpretError(err))
	}
	out, err := pgx.CollectRows(rows, func(row pgx.CollectableRow) (store.Integration, error) { return scanIntegration(row) })
	if err != nil {
		return nil, fmt.Errorf("listing integrations: %w", interpretError(err))
	}
	return out, nil
}

// IntegrationUpsert creates or updates an integration by name. An upsert
// that changes nothing leaves the row (and its UpdatedAt) alone.
func (t *tx) IntegrationUpsert(ctx context.Context, p *store.IntegrationUpsertParams) (*store.Integration, error) {
	if p.Name == "" {
		return nil, errors.New("upserting integration: empty name")
	}
	now := t.s.clock()
	in, err := scanIntegration(t.q.QueryRow(ctx, `
		INSERT INTO integrations (name, type, enabled, settings, created_at, updated_at)
		VALUES ($1, $2, $3, $4, $5, $5)
		ON CONFLICT (name) DO UPDATE SET
			type = excluded.type,
			enabled = excluded.enabled,
			settings = excluded.settings,
			updated_at = excluded.updated_at
		WHERE integrations.type IS DISTINCT FROM excluded.type
			OR integrations.enabled IS DISTINCT FROM excluded.enabled
			OR integrations.settings IS DISTINCT FROM excluded.settings
		RETURNING `+integrationColumns,
		p.Name, p.Type, p.Enabled, textValue(p.Settings), now))
	if errors.Is(err, pgx.ErrNoRows) {
		// Unchanged: the conditional update returned nothing.
		return t.IntegrationGet(ctx, p.Name)
	}
	if err != nil {
		return nil, fmt.Errorf("upserting integration %q: %w", p.Name, interpretError(err))
	}
	return &in, nil
}

// CursorGet returns the integration's cursor, zero when it has none.
func (r reader) CursorGet(ctx context.Context, integrationID int64) (store.Cursor, error) {
	var (
		c                 store.Cursor
		lastFull, updated pgtype.Timestamptz
	)
	err := r.q.QueryRow(ctx,
		`SELECT value, run_id, last_full_at, updated_at FROM cursors WHERE integration_id = $1`,
		integrationID).Scan(&c.Value, &c.RunID, &lastFull, &updated)
	if errors.Is(err, pgx.ErrNoRows) {
		return store.Cursor{}, nil
	}
	if err != nil {
		return store.Cursor{}, fmt.Errorf("getting cursor of integration %d: %w", integrationID, interpretError(err))
	}
	c.LastFullAt = timeOf(lastFull)
	c.UpdatedAt = timeOf(updated)
	return c, nil
}

// CursorSet stores the integration's cursor; LastFullAt moves only when
// p.Full is set. A zero p.At means now.
func (t *tx) CursorSet(ctx context.Context, p *store.CursorSetParams) error {
	at := p.At
	if at.IsZero() {
		at = t.s.clock()
	}
	var lastFull *time.Time
	if p.Full {
		lastFull = timeValue(at)
	}
	_, err := t.q.Exec(ctx, `
		INSERT INTO cursors (integration_id, value, run_id, last_full_at, updated_at)
		VALUES ($1, $2, $3, $4, $5)
		ON CONFLICT (integration_id) DO UPDATE SET
			value = excluded.value,
			run_id = excluded.run_id,
			last_full_at = COALESCE(excluded.last_full_at, cursors.last_full_at),
			updated_at = excluded.updated_at`,
		p.IntegrationID, p.Value, p.RunID, lastFull, timeValue(at))
	if err != nil {
		return fmt.Errorf("setting cursor of integration %d: %w", p.IntegrationID, interpretError(err))
	}
	return nil
}
