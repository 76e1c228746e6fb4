package sqlite

import (
	"context"
	"database/sql"
	"fmt"
	"hash/fnv"
	"strings"

	"github.com/integrator-oss/integrator/internal/store"
)

// baselineRecord is one synthetic source user as the engine would store
// it: the user and its link data.
type baselineRecord struct {
	user    store.User
	data    []byte
	ext     string
	manager string
}

// newBaselineRecord returns the i-th synthetic user. Its keys (external
// ID, names, UPN, manager) are scattered like real directory keys — GUIDs
// and names in no particular order — so the indexes take random inserts as
// they do in a sync; sequential keys would only append, and make the
// baseline look faster than SQLite is on such data.
func newBaselineRecord(i int) baselineRecord {
	ext := baselineExternalID(i)
	name := fmt.Sprintf("%s.%07d", ext[:8], i)
	u := store.User{
		Role: store.RoleUser, Active: true, DisplayName: "User " + name, GivenName: "User", Surname: name,
		UPN: name + "@contoso.example", Email: name + "@contoso.example", JobTitle: "Engineer",
		Department: "Platform", EmployeeID: fmt.Sprintf("E%07d", i), ImmutableID: fmt.Sprintf("imm-%07d", i),
		UserType: "Member",
	}
	manager := baselineExternalID(i / 50)
	data := fmt.Appendf(nil, `{"state":"present","attrs":{"display_name":%q,"upn":%q,"email":%q,"department":"Platform","job_title":"Engineer","manager":%q},"in_scope":true,"site":"HQ","role":"user"}`,
		u.DisplayName, u.UPN, u.Email, manager)
	return baselineRecord{user: u, data: data, ext: ext, manager: manager}
}

// baselinePage returns the synthetic users from..from+n-1.
func baselinePage(from, n int) []baselineRecord {
	page := make([]baselineRecord, n)
	for i := range page {
		page[i] = newBaselineRecord(from + i)
	}
	return page
}

// BaselineInsert creates a store at path and writes n users the way an
// initial sync does — per user a user row, a link, an audit event and a
// seen mark, 1,000 to a transaction — but with plain single-row prepared
// statements and no engine. It is the "SQLite alone" limit that benchmarks
// compare a sync against; it is not a way to load data.
func BaselineInsert(ctx context.Context, path string, n int) error {
	s, err := Open(ctx, path, nil)
	if err != nil {
		return err
	}
	defer s.Close()
	in, run, siteID, err := baselineSetup(ctx, s)
	if err != nil {
		return err
	}
	for from := 0; from < n; from += baselinePageSize {
		page := baselinePage(from, min(baselinePageSize, n-from))
		if err := baselineWrite(ctx, s, in.ID, run.ID, siteID, page); err != nil {
			return fmt.Errorf("writing baseline page at %d: %w", from, err)
		}
	}
	return nil
}

const baselinePageSize = 1000

// baselineExternalID is a GUID-shaped ID scattered over the key space.
func baselineExternalID(i int) string {
	h := fnv.New128a()
	fmt.Fprintf(h, "%d", i)
	b := h.Sum(nil)
	return fmt.Sprintf("%x-%x-%x-%x-%x", b[0:4], b[4:6], b[6:8], b[8:10], b[10:16])
}

// baselineSetup creates the integration, site and run the baseline rows
// belong to.
func baselineSetup(ctx context.Context, s *Store) (*store.Integration, *store.Run, int64, error) {
	var (
		in   *store.Integration
		run  *store.Run
		site *store.Site
	)
	err := s.Tx(ctx, func(tx store.Tx) error {
		var err error
		if in, err = tx.IntegrationUpsert(ctx, &store.IntegrationUpsertParams{Name: "baseline", Type: "baseline", Enabled: true}); err != nil {
			return err
		}
		if site, err = tx.SiteEnsure(ctx, "Contoso", "HQ"); err != nil {
			return err
		}
		run, err = tx.RunStart(ctx, &store.RunStartParams{IntegrationID: in.ID, Mode: "full", Trigger: "manual"})
		return err
	})
	if err != nil {
		return nil, nil, 0, fmt.Errorf("preparing baseline: %w", err)
	}
	return in, run, site.ID, nil
}

// baselineWrite writes one page in one transaction on the writer
// connection, a statement execution per row.
func baselineWrite(ctx context.Context, s *Store, integ, runID, siteID int64, page []baselineRecord) error {
	if err := s.lockWriter(ctx); err != nil {
		return err
	}
	defer s.unlockWriter()
	return s.inTx(ctx, func() error {
		c := s.wconn
		prepare := func(q string) (*sql.Stmt, error) { return c.PrepareContext(ctx, q) }
		seen, err := prepare(`INSERT INTO run_seen (run_id, kind, external_id) VALUES (?, ?, ?)`)
		if err != nil {
			return err
		}
		defer seen.Close()
		users, err := prepare(`INSERT INTO users (site_id, role, active, display_name, given_name,
			surname, upn, email, job_title, department, employee_id, immutable_id, user_type, created_at,
			updated_at, deactivated_reason, name_key, upn_key, email_key, employee_id_key, immutable_id_key)
			VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, '', ?, ?, ?, ?, ?)`)
		if err != nil {
			return err
		}
		defer users.Close()
		links, err := prepare(`INSERT INTO links (integration_id, kind, external_id, entity_id,
			status, matched_by, fingerprint, data, reason, manager_ref, last_run_id, created_at, updated_at)
			VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`)
		if err != nil {
			return err
		}
		defer links.Close()
		audit, err := prepare(`INSERT INTO audit_events (at, run_id, integration_id, kind, entity_id,
			action, reason) VALUES (?, ?, ?, ?, ?, ?, ?)`)
		if err != nil {
			return err
		}
		defer audit.Close()
		now := timeValue(s.clock())
		for _, rec := range page {
			u := rec.user
			if _, err := seen.ExecContext(ctx, runID, "user", rec.ext); err != nil {
				return err
			}
			res, err := users.ExecContext(ctx, siteID, u.Role, u.Active, u.DisplayName, u.GivenName, u.Surname,
				u.UPN, u.Email, u.JobTitle, u.Department, u.EmployeeID, u.ImmutableID, u.UserType, now, now,
				strings.ToLower(u.DisplayName), keyValue(u.UPN), keyValue(u.Email), keyValue(u.EmployeeID), keyValue(u.ImmutableID))
			if err != nil {
				return err
			}
			id, err := res.LastInsertId()
			if err != nil {
				return err
			}
			if _, err := links.ExecContext(ctx, integ, "user", rec.ext, id, store.LinkLinked, "created",
				"0123456789abcdef0123456789abcdef", string(rec.data), "in group Staff", rec.manager, runID, now, now); err != nil {
				return err
			}
			if _, err := audit.ExecContext(ctx, now, runID, integ, "user", id, store.ActionCreated, "in group Staff"); err != nil {
				return err
			}
		}
		return nil
	})
}
