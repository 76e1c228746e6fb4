package postgres

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgtype"

	"github.com/integrator-oss/integrator/internal/store"
)

var _ store.Console = (*Store)(nil)

// The store.Console methods write one row each, in a transaction of their
// own; none is on a sync's hot path.

const defColumns = `name, type, document, sealed, version, created_at, updated_at`

func scanDef(sc rowScanner) (store.IntegrationDef, error) {
	var (
		d                store.IntegrationDef
		doc              string
		created, updated pgtype.Timestamptz
	)
	if err := sc.Scan(&d.Name, &d.Type, &doc, &d.Sealed, &d.Version, &created, &updated); err != nil {
		return d, err
	}
	d.Document = []byte(doc)
	d.CreatedAt, d.UpdatedAt = timeOf(created), timeOf(updated)
	return d, nil
}

// IntegrationDefGet implements store.Console.
func (s *Store) IntegrationDefGet(ctx context.Context, name string) (*store.IntegrationDef, error) {
	d, err := scanDef(s.pool.QueryRow(ctx, `SELECT `+defColumns+` FROM integration_defs WHERE name = $1`, name))
	if err != nil {
		return nil, fmt.Errorf("getting integration definition %q: %w", name, interpretError(err))
	}
	return &d, nil
}

// IntegrationDefList implements store.Console.
func (s *Store) IntegrationDefList(ctx context.Context) ([]store.IntegrationDef, error) {
	rows, err := s.pool.Query(ctx, `SELECT `+defColumns+` FROM integration_defs ORDER BY name`)
	if err != nil {
		return nil, fmt.Errorf("listing integration definitions: %w", interpretError(err))
	}
	out, err := pgx.CollectRows(rows, func(row pgx.CollectableRow) (store.IntegrationDef, error) { return scanDef(row) })
	if err != nil {
		return nil, fmt.Errorf("listing integration definitions: %w", interpretError(err))
	}
	if out == nil {
		out = []store.IntegrationDef{}
	}
	return out, nil
}

// IntegrationDefPut implements store.Console.
func (s *Store) IntegrationDefPut(ctx context.Context, p *store.IntegrationDefPutParams) (*store.IntegrationDef, error) {
	if p.Name == "" || p.Type == "" {
		return nil, errors.New("writing integration definition: empty name or type")
	}
	var out store.IntegrationDef
	err := s.Tx(ctx, func(stx store.Tx) error {
		q := stx.(*tx).q
		now := s.clock()
		var row pgx.Row
		if p.Version == 0 {
			row = q.QueryRow(ctx, `INSERT INTO integration_defs (name, type, document, sealed, version, created_at, updated_at)
				VALUES ($1, $2, $3, $4, 1, $5, $5) RETURNING `+defColumns,
				p.Name, p.Type, string(p.Document), p.Sealed, now)
		} else {
			row = q.QueryRow(ctx, `UPDATE integration_defs SET type = $1, document = $2, sealed = $3, version = version + 1, updated_at = $4
				WHERE name = $5 AND version = $6 RETURNING `+defColumns,
				p.Type, string(p.Document), p.Sealed, now, p.Name, p.Version)
		}
		d, err := scanDef(row)
		if errors.Is(err, pgx.ErrNoRows) {
			var v int64
			if err := q.QueryRow(ctx, `SELECT version FROM integration_defs WHERE name = $1`, p.Name).Scan(&v); err != nil {
				return interpretError(err)
			}
			return fmt.Errorf("%w: version %d, not %d: it was changed meanwhile", store.ErrConflict, v, p.Version)
		}
		if err != nil {
			return interpretError(err)
		}
		out = d
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("writing integration definition %q: %w", p.Name, err)
	}
	return &out, nil
}

// IntegrationDefDelete implements store.Console.
func (s *Store) IntegrationDefDelete(ctx context.Context, name string) error {
	tag, err := s.pool.Exec(ctx, `DELETE FROM integration_defs WHERE name = $1`, name)
	if err != nil {
		return fmt.Errorf("deleting integration definition %q: %w", name, interpretError(err))
	}
	if tag.RowsAffected() == 0 {
		return fmt.Errorf("deleting integration definition %q: %w", name, store.ErrNotFound)
	}
	return nil
}

const adminColumns = `id, username, password_hash, created_at, updated_at`

func scanAdmin(sc rowScanner) (store.Admin, error) {
	var (
		a                store.Admin
		created, updated pgtype.Timestamptz
	)
	err := sc.Scan(&a.ID, &a.Username, &a.PasswordHash, &created, &updated)
	a.CreatedAt, a.UpdatedAt = timeOf(created), timeOf(updated)
	return a, err
}

// AdminGet implements store.Console.
func (s *Store) AdminGet(ctx context.Context, username string) (*store.Admin, error) {
	a, err := scanAdmin(s.pool.QueryRow(ctx, `SELECT `+adminColumns+` FROM admins WHERE username = $1`, username))
	if err != nil {
		return nil, fmt.Errorf("getting administrator %q: %w", username, interpretError(err))
	}
	return &a, nil
}

// AdminGetByID implements store.Console.
func (s *Store) AdminGetByID(ctx context.Context, id int64) (*store.Admin, error) {
	a, err := scanAdmin(s.pool.QueryRow(ctx, `SELECT `+adminColumns+` FROM admins WHERE id = $1`, id))
	if err != nil {
		return nil, fmt.Errorf("getting administrator %d: %w", id, interpretError(err))
	}
	return &a, nil
}

// AdminList implements store.Console.
func (s *Store) AdminList(ctx context.Context) ([]store.Admin, error) {
	rows, err := s.pool.Query(ctx, `SELECT `+adminColumns+` FROM admins ORDER BY username`)
	if err != nil {
		return nil, fmt.Errorf("listing administrators: %w", interpretError(err))
	}
	out, err := pgx.CollectRows(rows, func(row pgx.CollectableRow) (store.Admin, error) { return scanAdmin(row) })
	if err != nil {
		return nil, fmt.Errorf("listing administrators: %w", interpretError(err))
	}
	if out == nil {
		out = []store.Admin{}
	}
	return out, nil
}

// AdminPut implements store.Console.
func (s *Store) AdminPut(ctx context.Context, p *store.AdminPutParams) (*store.Admin, error) {
	if p.Username == "" {
		return nil, errors.New("writing administrator: empty user name")
	}
	a, err := scanAdmin(s.pool.QueryRow(ctx, `INSERT INTO admins (username, password_hash, created_at, updated_at)
		VALUES ($1, $2, $3, $3)
		ON CONFLICT (username) DO UPDATE SET password_hash = excluded.password_hash, updated_at = excluded.updated_at
		RETURNING `+adminColumns, p.Username, p.PasswordHash, s.clock()))
	if err != nil {
		return nil, fmt.Errorf("writing administrator %q: %w", p.Username, interpretError(err))
	}
	return &a, nil
}

const credColumns = `id, kind, hash, name, scope, admin_id, created_at, expires_at`

func scanCred(sc rowScanner) (store.Credential, error) {
	var (
		c                store.Credential
		admin            *int64
		created, expires pgtype.Timestamptz
	)
	err := sc.Scan(&c.ID, &c.Kind, &c.Hash, &c.Name, &c.Scope, &admin, &created, &expires)
	if admin != nil {
		c.AdminID = *admin
	}
	c.CreatedAt, c.ExpiresAt = timeOf(created), timeOf(expires)
	return c, err
}

// CredentialCreate implements store.Console.
func (s *Store) CredentialCreate(ctx context.Context, c *store.Credential) error {
	if len(c.Hash) == 0 || c.Kind == "" {
		return errors.New("creating credential: empty hash or kind")
	}
	now := s.clock()
	err := s.pool.QueryRow(ctx, `INSERT INTO credentials (kind, hash, name, scope, admin_id, created_at, expires_at)
		VALUES ($1, $2, $3, $4, $5, $6, $7) RETURNING id`,
		c.Kind, c.Hash, c.Name, c.Scope, idValue(c.AdminID), now, timeValue(c.ExpiresAt)).Scan(&c.ID)
	if err != nil {
		return fmt.Errorf("creating %s credential: %w", c.Kind, interpretError(err))
	}
	c.CreatedAt = now
	return nil
}

// CredentialGet implements store.Console.
func (s *Store) CredentialGet(ctx context.Context, hash []byte, now time.Time) (*store.Credential, error) {
	c, err := scanCred(s.pool.QueryRow(ctx, `SELECT `+credColumns+` FROM credentials
		WHERE hash = $1 AND (expires_at IS NULL OR expires_at > $2)`, hash, now.UTC()))
	if err != nil {
		return nil, fmt.Errorf("getting credential: %w", interpretError(err))
	}
	return &c, nil
}

// CredentialList implements store.Console.
func (s *Store) CredentialList(ctx context.Context, kind string, now time.Time) ([]store.Credential, error) {
	rows, err := s.pool.Query(ctx, `SELECT `+credColumns+` FROM credentials
		WHERE kind = $1 AND (expires_at IS NULL OR expires_at > $2) ORDER BY id DESC`, kind, now.UTC())
	if err != nil {
		return nil, fmt.Errorf("listing %s credentials: %w", kind, interpretError(err))
	}
	out, err := pgx.CollectRows(rows, func(row pgx.CollectableRow) (store.Credential, error) { return scanCred(row) })
	if err != nil {
		return nil, fmt.Errorf("listing %s credentials: %w", kind, interpretError(err))
	}
	if out == nil {
		out = []store.Credential{}
	}
	return out, nil
}

// CredentialDelete implements store.Console.
func (s *Store) CredentialDelete(ctx context.Context, kind string, id, adminID int64) (int, error) {
	q, arg := `DELETE FROM credentials WHERE kind = $1 AND id = $2`, id
	if id == 0 {
		q, arg = `DELETE FROM credentials WHERE kind = $1 AND admin_id = $2`, adminID
	}
	tag, err := s.pool.Exec(ctx, q, kind, arg)
	if err != nil {
		return 0, fmt.Errorf("deleting %s credentials: %w", kind, interpretError(err))
	}
	return int(tag.RowsAffected()), nil
}

// CredentialDeleteExpired implements store.Console.
func (s *Store) CredentialDeleteExpired(ctx context.Context, now time.Time) (int, error) {
	tag, err := s.pool.Exec(ctx, `DELETE FROM credentials WHERE expires_at IS NOT NULL AND expires_at <= $1`, now.UTC())
	if err != nil {
		return 0, fmt.Errorf("deleting expired credentials: %w", interpretError(err))
	}
	return int(tag.RowsAffected()), nil
}

// LinkList implements store.Console: at most p.Limit links (default and
// cap 1,000). Search lower-cases with the database's locale, as Go would
// for the letters that locale knows.
func (s *Store) LinkList(ctx context.Context, p *store.LinkListParams) ([]store.Link, error) {
	var w where
	w.add("l.integration_id = ", p.IntegrationID)
	w.add("l.kind = ", string(p.Kind))
	w.add("l.id > ", p.AfterID)
	if p.RunID != 0 {
		w.add("l.last_run_id = ", p.RunID)
	}
	if p.Status != "" {
		w.add("l.status = ", p.Status)
	}
	if p.Search != "" {
		w.addRaw(`(strpos(lower(l.external_id COLLATE "default"), $1) > 0 OR strpos(lower(COALESCE(l.data, '')), $1) > 0)`,
			strings.ToLower(p.Search))
	}
	limit := p.Limit
	if limit <= 0 || limit > 1000 {
		limit = 1000
	}
	out, err := s.queryLinks(ctx, linkSelect(p.Kind)+w.String()+` ORDER BY l.id`+w.limit(limit), w.args...)
	if err != nil {
		return nil, fmt.Errorf("listing %s links of integration %d: %w", p.Kind, p.IntegrationID, err)
	}
	if out == nil {
		out = []store.Link{}
	}
	return out, nil
}
