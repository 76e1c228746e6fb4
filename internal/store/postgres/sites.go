package postgres

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/integrator-oss/integrator/internal/store"
)

// SiteList lists every site with its client's name, by ID.
func (r reader) SiteList(ctx context.Context) ([]store.Site, error) {
	rows, err := r.q.Query(ctx, `
		SELECT s.id, s.client_id, c.name, s.name
		FROM sites s JOIN clients c ON c.id = s.client_id
		ORDER BY s.id`)
	if err != nil {
		return nil, fmt.Errorf("listing sites: %w", interpretError(err))
	}
	out, err := pgx.CollectRows(rows, func(row pgx.CollectableRow) (store.Site, error) {
		var s store.Site
		err := row.Scan(&s.ID, &s.ClientID, &s.ClientName, &s.Name)
		return s, err
	})
	if err != nil {
		return nil, fmt.Errorf("listing sites: %w", interpretError(err))
	}
	return out, nil
}

// SiteEnsure returns the site of that name under that client, creating the
// client and the site when missing. Names compare exactly. Two
// transactions ensuring the same new site both succeed: the second waits
// for the first's insert and then reads its row.
func (t *tx) SiteEnsure(ctx context.Context, client, site string) (*store.Site, error) {
	if client == "" || site == "" {
		return nil, errors.New("ensuring site: empty client or site name")
	}
	now := t.s.clock()
	s := store.Site{ClientName: client, Name: site}
	var err error
	s.ClientID, err = t.ensure(ctx,
		`SELECT id FROM clients WHERE name = $1`,
		`INSERT INTO clients (name, created_at) VALUES ($1, $2) ON CONFLICT (name) DO NOTHING RETURNING id`,
		[]any{client}, now)
	if err != nil {
		return nil, fmt.Errorf("ensuring client %q: %w", client, err)
	}
	s.ID, err = t.ensure(ctx,
		`SELECT id FROM sites WHERE client_id = $1 AND name = $2`,
		`INSERT INTO sites (client_id, name, created_at) VALUES ($1, $2, $3)
		ON CONFLICT (client_id, name) DO NOTHING RETURNING id`,
		[]any{s.ClientID, site}, now)
	if err != nil {
		return nil, fmt.Errorf("ensuring site %q of client %q: %w", site, client, err)
	}
	return &s, nil
}

// ensure returns the ID that find finds with key, inserting the row with
// insert (key, then now) when there is none. Each statement takes a new
// snapshot, so the last find sees a row that a concurrent transaction
// committed while insert waited on it.
func (t *tx) ensure(ctx context.Context, find, insert string, key []any, now time.Time) (int64, error) {
	var id int64
	for _, step := range []struct {
		sql  string
		args []any
	}{{find, key}, {insert, append(slices.Clone(key), now)}, {find, key}} {
		err := t.q.QueryRow(ctx, step.sql, step.args...).Scan(&id)
		if err == nil {
			return id, nil
		}
		if !errors.Is(err, pgx.ErrNoRows) {
			return 0, interpretError(err)
		}
	}
	return 0, fmt.Errorf("%w: the row vanished as it was created", store.ErrNotFound)
}
