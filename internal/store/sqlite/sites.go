package sqlite

import (
	"context"
	"errors"
	"fmt"

	"github.com/integrator-oss/integrator/internal/store"
)

// SiteList lists every site with its client's name, by ID.
func (r reader) SiteList(ctx context.Context) ([]store.Site, error) {
	rows, err := r.q.QueryContext(ctx, `
		SELECT s.id, s.client_id, c.name, s.name
		FROM sites s JOIN clients c ON c.id = s.client_id
		ORDER BY s.id`)
	if err != nil {
		return nil, fmt.Errorf("listing sites: %w", interpretError(err))
	}
	defer rows.Close()
	var out []store.Site
	for rows.Next() {
		var s store.Site
		if err := rows.Scan(&s.ID, &s.ClientID, &s.ClientName, &s.Name); err != nil {
			return nil, fmt.Errorf("listing sites: %w", err)
		}
		out = append(out, s)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("listing sites: %w", interpretError(err))
	}
	return out, nil
}

// SiteEnsure returns the site of that name under that client, creating the
// client and the site when missing. Names compare exactly.
func (t *tx) SiteEnsure(ctx context.Context, client, site string) (*store.Site, error) {
	if client == "" || site == "" {
		return nil, errors.New("ensuring site: empty client or site name")
	}
	now := timeValue(t.s.clock())
	if _, err := t.q.ExecContext(ctx,
		`INSERT INTO clients (name, created_at) VALUES (?, ?) ON CONFLICT (name) DO NOTHING`,
		client, now); err != nil {
		return nil, fmt.Errorf("ensuring client: %w", interpretError(err))
	}
	s := store.Site{ClientName: client, Name: site}
	if err := t.q.QueryRowContext(ctx, `SELECT id FROM clients WHERE name = ?`, client).Scan(&s.ClientID); err != nil {
		return nil, fmt.Errorf("ensuring client: %w", interpretError(err))
	}
	if _, err := t.q.ExecContext(ctx,
		`INSERT INTO sites (client_id, name, created_at) VALUES (?, ?, ?) ON CONFLICT (client_id, name) DO NOTHING`,
		s.ClientID, site, now); err != nil {
		return nil, fmt.Errorf("ensuring site: %w", interpretError(err))
	}
	if err := t.q.QueryRowContext(ctx, `SELECT id FROM sites WHERE client_id = ? AND name = ?`,
		s.ClientID, site).Scan(&s.ID); err != nil {
		return nil, fmt.Errorf("ensuring site: %w", interpretError(err))
	}
	return &s, nil
}
