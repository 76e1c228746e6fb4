package postgres

import (
	"context"
	"fmt"
	"hash/fnv"
	"strings"

	"github.com/jackc/pgx/v5"

	"github.com/integrator-oss/integrator/internal/store"
)

// baselineRecord is one synthetic source user as the engine would store
// it: the user and its link data. The rows are those of the SQLite
// store's baseline, so that the two limits compare.
type baselineRecord struct {
	user    store.User
	data    []byte
	ext     string
	manager string
}

// newBaselineRecord returns the i-th synthetic user. Its keys (external
// ID, names, UPN, manager) are scattered like real directory keys, so the
// indexes take random inserts as they do in a sync.
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

// baselineExternalID is a GUID-shaped ID scattered over the key space.
func baselineExternalID(i int) string {
	h := fnv.New128a()
	fmt.Fprintf(h, "%d", i)
	b := h.Sum(nil)
	return fmt.Sprintf("%x-%x-%x-%x-%x", b[0:4], b[4:6], b[6:8], b[8:10], b[10:16])
}

// BaselinePageSize is how many users BaselineInsert writes per
// transaction: the engine's page of work.
const BaselinePageSize = 8000

// BaselineInsert opens (migrating) the store at dsn and writes n users the
// way an initial sync does — per user a user row, a link, an audit event
// and a seen mark, BaselinePageSize to a transaction — but as four raw
// binary COPYs per page, with no engine and no store method. It is the
// "PostgreSQL alone" limit that benchmarks compare a sync against; it is
// not a way to load data.
func BaselineInsert(ctx context.Context, dsn string, n int) error {
	s, err := Open(ctx, dsn, nil)
	if err != nil {
		return err
	}
	defer s.Close()
	in, run, siteID, err := baselineSetup(ctx, s)
	if err != nil {
		return err
	}
	for from := 0; from < n; from += BaselinePageSize {
		page := baselinePage(from, min(BaselinePageSize, n-from))
		if err := baselineWrite(ctx, s, in.ID, run.ID, siteID, page); err != nil {
			return fmt.Errorf("writing baseline page at %d: %w", from, err)
		}
	}
	return nil
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

// baselineWrite writes one page in one transaction: user IDs from the
// sequence, then a COPY each into run_seen, users, links and audit_events.
func baselineWrite(ctx context.Context, s *Store, integ, runID, siteID int64, page []baselineRecord) error {
	return pgx.BeginFunc(ctx, s.pool, func(ptx pgx.Tx) error {
		t := &tx{reader: reader{q: ptx, s: s}, tx: ptx}
		ids, err := t.nextIDs(ctx, "users", len(page))
		if err != nil {
			return err
		}
		now := s.clock()
		copyRows := func(table string, cols []string, row func(i int) []any) error {
			_, err := ptx.CopyFrom(ctx, pgx.Identifier{table}, cols, pgx.CopyFromSlice(len(page),
				func(i int) ([]any, error) { return row(i), nil }))
			return err
		}
		if err := copyRows("run_seen", []string{"run_id", "kind", "external_id"}, func(i int) []any {
			return []any{runID, "user", page[i].ext}
		}); err != nil {
			return err
		}
		if err := copyRows("users", []string{"id", "site_id", "role", "active", "display_name", "given_name",
			"surname", "upn", "email", "job_title", "department", "employee_id", "immutable_id", "user_type",
			"created_at", "updated_at", "deactivated_reason", "name_key", "upn_key", "email_key",
			"employee_id_key", "immutable_id_key"}, func(i int) []any {
			u := &page[i].user
			return []any{ids[i], siteID, u.Role, u.Active, u.DisplayName, u.GivenName, u.Surname, u.UPN, u.Email,
				u.JobTitle, u.Department, u.EmployeeID, u.ImmutableID, u.UserType, now, now, "",
				strings.ToLower(u.DisplayName), keyValue(u.UPN), keyValue(u.Email), keyValue(u.EmployeeID),
				keyValue(u.ImmutableID)}
		}); err != nil {
			return err
		}
		if err := copyRows("links", []string{"integration_id", "kind", "external_id", "entity_id", "status",
			"matched_by", "fingerprint", "data", "reason", "manager_ref", "last_run_id", "created_at", "updated_at"},
			func(i int) []any {
				r := &page[i]
				return []any{integ, "user", r.ext, ids[i], store.LinkLinked, "created",
					"0123456789abcdef0123456789abcdef", string(r.data), "in group Staff", r.manager, runID, now, now}
			}); err != nil {
			return err
		}
		return copyRows("audit_events", []string{"at", "run_id", "integration_id", "kind", "entity_id",
			"action", "reason"}, func(i int) []any {
			return []any{now, runID, integ, "user", ids[i], store.ActionCreated, "in group Staff"}
		})
	})
}
