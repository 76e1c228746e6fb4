package sqlite

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/integrator-oss/integrator/internal/store"
)

var (
	_ store.Console    = (*Store)(nil)
	_ store.LinkLister = (*Store)(nil)
)

const defColumns = `name, type, document, sealed, version, created_at, updated_at`

func scanDef(sc interface{ Scan(...any) error }) (store.IntegrationDef, error) {
	var (
		d                store.IntegrationDef
		doc              string
		created, updated sql.NullInt64
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
	d, err := scanDef(s.r.QueryRowContext(ctx, `SELECT `+defColumns+` FROM integration_defs WHERE name = ?`, name))
	if err != nil {
		return nil, fmt.Errorf("getting integration definition %q: %w", name, interpretError(err))
	}
	return &d, nil
}

// IntegrationDefList implements store.Console.
func (s *Store) IntegrationDefList(ctx context.Context) ([]store.IntegrationDef, error) {
	rows, err := s.r.QueryContext(ctx, `SELECT `+defColumns+` FROM integration_defs ORDER BY name`)
	if err != nil {
		return nil, fmt.Errorf("listing integration definitions: %w", interpretError(err))
	}
	defer rows.Close()
	out := []store.IntegrationDef{}
	for rows.Next() {
		d, err := scanDef(rows)
		if err != nil {
			return nil, fmt.Errorf("listing integration definitions: %w", err)
		}
		out = append(out, d)
	}
	return out, interpretError(rows.Err())
}

// IntegrationDefPut implements store.Console.
func (s *Store) IntegrationDefPut(ctx context.Context, p *store.IntegrationDefPutParams) (*store.IntegrationDef, error) {
	if p.Name == "" || p.Type == "" {
		return nil, errors.New("writing integration definition: empty name or type")
	}
	var out store.IntegrationDef
	err := s.Tx(ctx, func(stx store.Tx) error {
		q := stx.(*tx).q
		now := timeValue(s.clock())
		var row *sql.Row
		if p.Version == 0 {
			row = q.QueryRowContext(ctx, `INSERT INTO integration_defs (name, type, document, sealed, version, created_at, updated_at)
				VALUES (?, ?, ?, ?, 1, ?, ?) RETURNING `+defColumns,
				p.Name, p.Type, string(p.Document), p.Sealed, now, now)
		} else {
			row = q.QueryRowContext(ctx, `UPDATE integration_defs SET type = ?, document = ?, sealed = ?, version = version + 1, updated_at = ?
				WHERE name = ? AND version = ? RETURNING `+defColumns,
				p.Type, string(p.Document), p.Sealed, now, p.Name, p.Version)
		}
		d, err := scanDef(row)
		if errors.Is(err, sql.ErrNoRows) {
			var v int64
			if err := q.QueryRowContext(ctx, `SELECT version FROM integration_defs WHERE name = ?`, p.Name).Scan(&v); err != nil {
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
	return s.Tx(ctx, func(stx store.Tx) error {
		res, err := stx.(*tx).q.ExecContext(ctx, `DELETE FROM integration_defs WHERE name = ?`, name)
		if err != nil {
			return fmt.Errorf("deleting integration definition %q: %w", name, interpretError(err))
		}
		if n, _ := res.RowsAffected(); n == 0 {
			return fmt.Errorf("deleting integration definition %q: %w", name, store.ErrNotFound)
		}
		return nil
	})
}

const adminColumns = `id, username, password_hash, created_at, updated_at`

func scanAdmin(sc interface{ Scan(...any) error }) (store.Admin, error) {
	var (
		a                store.Admin
		created, updated sql.NullInt64
	)
	err := sc.Scan(&a.ID, &a.Username, &a.PasswordHash, &created, &updated)
	a.CreatedAt, a.UpdatedAt = timeOf(created), timeOf(updated)
	return a, err
}

// AdminGet implements store.Console.
func (s *Store) AdminGet(ctx context.Context, username string) (*store.Admin, error) {
	a, err := scanAdmin(s.r.QueryRowContext(ctx, `SELECT `+adminColumns+` FROM admins WHERE username = ?`, username))
	if err != nil {
		return nil, fmt.Errorf("getting administrator %q: %w", username, interpretError(err))
	}
	return &a, nil
}

// AdminGetByID implements store.Console.
func (s *Store) AdminGetByID(ctx context.Context, id int64) (*store.Admin, error) {
	a, err := scanAdmin(s.r.QueryRowContext(ctx, `SELECT `+adminColumns+` FROM admins WHERE id = ?`, id))
	if err != nil {
		return nil, fmt.Errorf("getting administrator %d: %w", id, interpretError(err))
	}
	return &a, nil
}

// AdminList implements store.Console.
func (s *Store) AdminList(ctx context.Context) ([]store.Admin, error) {
	rows, err := s.r.QueryContext(ctx, `SELECT `+adminColumns+` FROM admins ORDER BY username`)
	if err != nil {
		return nil, fmt.Errorf("listing administrators: %w", interpretError(err))
	}
	defer rows.Close()
	out := []store.Admin{}
	for rows.Next() {
		a, err := scanAdmin(rows)
		if err != nil {
			return nil, fmt.Errorf("listing administrators: %w", err)
		}
		out = append(out, a)
	}
	return out, interpretError(rows.Err())
}

// AdminPut implements store.Console.
func (s *Store) AdminPut(ctx context.Context, p *store.AdminPutParams) (*store.Admin, error) {
	if p.Username == "" {
		return nil, errors.New("writing administrator: empty user name")
	}
	var out store.Admin
	err := s.Tx(ctx, func(stx store.Tx) error {
		now := timeValue(s.clock())
		a, err := scanAdmin(stx.(*tx).q.QueryRowContext(ctx, `INSERT INTO admins (username, password_hash, created_at, updated_at)
			VALUES (?, ?, ?, ?)
			ON CONFLICT (username) DO UPDATE SET password_hash = excluded.password_hash, updated_at = excluded.updated_at
			RETURNING `+adminColumns, p.Username, p.PasswordHash, now, now))
		out = a
		return interpretError(err)
	})
	if err != nil {
		return nil, fmt.Errorf("writing administrator %q: %w", p.Username, err)
	}
	return &out, nil
}

const credColumns = `id, kind, hash, name, scope, admin_id, created_at, expires_at`

func scanCred(sc interface{ Scan(...any) error }) (store.Credential, error) {
	var (
		c                store.Credential
		admin            sql.NullInt64
		created, expires sql.NullInt64
	)
	err := sc.Scan(&c.ID, &c.Kind, &c.Hash, &c.Name, &c.Scope, &admin, &created, &expires)
	c.AdminID = admin.Int64
	c.CreatedAt, c.ExpiresAt = timeOf(created), timeOf(expires)
	return c, err
}

// CredentialCreate implements store.Console.
func (s *Store) CredentialCreate(ctx context.Context, c *store.Credential) error {
	if len(c.Hash) == 0 || c.Kind == "" {
		return errors.New("creating credential: empty hash or kind")
	}
	return s.Tx(ctx, func(stx store.Tx) error {
		now := s.clock()
		err := stx.(*tx).q.QueryRowContext(ctx, `INSERT INTO credentials (kind, hash, name, scope, admin_id, created_at, expires_at)
			VALUES (?, ?, ?, ?, ?, ?, ?) RETURNING id`,
			c.Kind, c.Hash, c.Name, c.Scope, idValue(c.AdminID), timeValue(now), timeValue(c.ExpiresAt)).Scan(&c.ID)
		if err != nil {
			return fmt.Errorf("creating %s credential: %w", c.Kind, interpretError(err))
		}
		c.CreatedAt = timeOf(sql.NullInt64{Int64: now.UnixMicro(), Valid: true})
		return nil
	})
}

// CredentialGet implements store.Console.
func (s *Store) CredentialGet(ctx context.Context, hash []byte, now time.Time) (*store.Credential, error) {
	c, err := scanCred(s.r.QueryRowContext(ctx, `SELECT `+credColumns+` FROM credentials
		WHERE hash = ? AND (expires_at IS NULL OR expires_at > ?)`, hash, now.UnixMicro()))
	if err != nil {
		return nil, fmt.Errorf("getting credential: %w", interpretError(err))
	}
	return &c, nil
}

// CredentialList implements store.Console.
func (s *Store) CredentialList(ctx context.Context, kind string, now time.Time) ([]store.Credential, error) {
	rows, err := s.r.QueryContext(ctx, `SELECT `+credColumns+` FROM credentials
		WHERE kind = ? AND (expires_at IS NULL OR expires_at > ?) ORDER BY id DESC`, kind, now.UnixMicro())
	if err != nil {
		return nil, fmt.Errorf("listing %s credentials: %w", kind, interpretError(err))
	}
	defer rows.Close()
	out := []store.Credential{}
	for rows.Next() {
		c, err := scanCred(rows)
		if err != nil {
			return nil, fmt.Errorf("listing %s credentials: %w", kind, err)
		}
		out = append(out, c)
	}
	return out, interpretError(rows.Err())
}

// CredentialDelete implements store.Console.
func (s *Store) CredentialDelete(ctx context.Context, kind string, id, adminID int64) (int, error) {
	var n int64
	err := s.Tx(ctx, func(stx store.Tx) error {
		q, arg := `DELETE FROM credentials WHERE kind = ? AND id = ?`, id
		if id == 0 {
			q, arg = `DELETE FROM credentials WHERE kind = ? AND admin_id = ?`, adminID
		}
		res, err := stx.(*tx).q.ExecContext(ctx, q, kind, arg)
		if err != nil {
			return fmt.Errorf("deleting %s credentials: %w", kind, interpretError(err))
		}
		n, _ = res.RowsAffected()
		return nil
	})
	return int(n), err
}

// CredentialDeleteExpired implements store.Console.
func (s *Store) CredentialDeleteExpired(ctx context.Context, now time.Time) (int, error) {
	var n int64
	err := s.Tx(ctx, func(stx store.Tx) error {
		res, err := stx.(*tx).q.ExecContext(ctx, `DELETE FROM credentials WHERE expires_at IS NOT NULL AND expires_at <= ?`, now.UnixMicro())
		if err != nil {
			return fmt.Errorf("deleting expired credentials: %w", interpretError(err))
		}
		n, _ = res.RowsAffected()
		return nil
	})
	return int(n), err
}

// LinkList implements store.LinkLister.
func (s *Store) LinkList(ctx context.Context, p *store.LinkListParams) ([]store.Link, error) {
	q := linkSelect(p.Kind) + ` WHERE l.integration_id = ? AND l.kind = ? AND l.id > ?`
	args := []any{p.IntegrationID, string(p.Kind), p.AfterID}
	if p.RunID != 0 {
		q += ` AND l.last_run_id = ?`
		args = append(args, p.RunID)
	}
	if p.Status != "" {
		q += ` AND l.status = ?`
		args = append(args, p.Status)
	}
	if p.Search != "" {
		q += ` AND (instr(lower(l.external_id), ?) > 0 OR instr(lower(COALESCE(l.data, '')), ?) > 0)`
		needle := strings.ToLower(p.Search)
		args = append(args, needle, needle)
	}
	limit := p.Limit
	if limit <= 0 || limit > 1000 {
		limit = 1000
	}
	q += ` ORDER BY l.id LIMIT ?`
	args = append(args, limit)
	rows, err := s.r.QueryContext(ctx, q, args...)
	if err != nil {
		return nil, fmt.Errorf("listing links: %w", interpretError(err))
	}
	defer rows.Close()
	out := []store.Link{}
	for rows.Next() {
		l, err := scanLink(rows)
		if err != nil {
			return nil, fmt.Errorf("listing links: %w", err)
		}
		out = append(out, l)
	}
	return out, interpretError(rows.Err())
}
