package sqlite

import (
	"context"
	"database/sql"
	"fmt"
	"path/filepath"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/integrator-oss/integrator/internal/record"
	"github.com/integrator-oss/integrator/internal/store"
)

const benchPage = 1000

// benchRecord is one synthetic source user as the engine would apply it.
func benchRecord(i int) (store.User, []byte) {
	name := fmt.Sprintf("user%07d", i)
	u := store.User{
		Role: store.RoleUser, Active: true, DisplayName: "User " + name, GivenName: "User", Surname: name,
		UPN: name + "@contoso.example", Email: name + "@contoso.example", JobTitle: "Engineer",
		Department: "Platform", EmployeeID: fmt.Sprintf("E%07d", i), ImmutableID: fmt.Sprintf("imm-%07d", i),
		UserType: "Member",
	}
	data := fmt.Appendf(nil, `{"state":"present","attrs":{"display_name":%q,"upn":%q,"email":%q,"department":"Platform","job_title":"Engineer","manager":"ext-%07d"},"in_scope":true,"site":"HQ","role":"user"}`,
		u.DisplayName, u.UPN, u.Email, i/50)
	return u, data
}

func benchSetup(b *testing.B) (*Store, *store.Integration, *store.Run, int64) {
	b.Helper()
	ctx := b.Context()
	s, err := Open(ctx, filepath.Join(b.TempDir(), "bench.db"), nil)
	require.NoError(b, err)
	b.Cleanup(func() { _ = s.Close() })
	var (
		in   *store.Integration
		run  *store.Run
		site *store.Site
	)
	require.NoError(b, s.Tx(ctx, func(tx store.Tx) error {
		if in, err = tx.IntegrationUpsert(ctx, &store.IntegrationUpsertParams{Name: "bench", Type: "fake", Enabled: true}); err != nil {
			return err
		}
		if site, err = tx.SiteEnsure(ctx, "Contoso", "HQ"); err != nil {
			return err
		}
		run, err = tx.RunStart(ctx, &store.RunStartParams{IntegrationID: in.ID, Mode: "full", Trigger: "manual"})
		return err
	}))
	return s, in, run, site.ID
}

// BenchmarkApplyPage applies pages of new users the way the engine does:
// per record a user, a link, an audit event and a seen mark, one
// transaction per page.
func BenchmarkApplyPage(b *testing.B) {
	s, in, run, siteID := benchSetup(b)
	ctx := b.Context()
	n := 0
	b.ResetTimer()
	for b.Loop() {
		// Building the page is the engine's work, not the store's.
		b.StopTimer()
		users := make([]store.User, benchPage)
		links := make([]store.Link, benchPage)
		ids := make([]string, benchPage)
		audits := make([]store.AuditEvent, benchPage)
		for i := range users {
			var data []byte
			users[i], data = benchRecord(n + i)
			users[i].SiteID = siteID
			ids[i] = fmt.Sprintf("ext-%07d", n+i)
			links[i] = store.Link{IntegrationID: in.ID, Kind: record.KindUser, ExternalID: ids[i],
				Status: store.LinkLinked, MatchedBy: "created", Fingerprint: "0123456789abcdef0123456789abcdef",
				Data: data, Reason: "in group Staff", LastRunID: run.ID}
		}
		b.StartTimer()
		err := s.Tx(ctx, func(tx store.Tx) error {
			if err := tx.SeenMark(ctx, &store.SeenMarkParams{RunID: run.ID, Kind: record.KindUser, ExternalIDs: ids}); err != nil {
				return err
			}
			if err := tx.UserInsertMany(ctx, users); err != nil {
				return err
			}
			for i := range links {
				links[i].EntityID = users[i].ID
				audits[i] = store.AuditEvent{RunID: run.ID, IntegrationID: in.ID, Kind: record.KindUser,
					EntityID: users[i].ID, Action: store.ActionCreated, Reason: "in group Staff"}
			}
			if err := tx.LinkUpsertMany(ctx, links); err != nil {
				return err
			}
			return tx.AuditInsertMany(ctx, audits)
		})
		if err != nil {
			b.Fatal(err)
		}
		n += benchPage
	}
	b.ReportMetric(float64(n)/b.Elapsed().Seconds(), "records/s")
}

// BenchmarkRawInsert writes the same rows into the same schema with plain
// single-row prepared statements: the "SQLite alone" baseline
// BenchmarkApplyPage is measured against.
func BenchmarkRawInsert(b *testing.B) {
	s, in, run, siteID := benchSetup(b)
	ctx := b.Context()
	n := 0
	b.ResetTimer()
	for b.Loop() {
		b.StopTimer()
		page := make([]rawRecord, benchPage)
		for i := range page {
			page[i].user, page[i].data = benchRecord(n + i)
			page[i].ext = fmt.Sprintf("ext-%07d", n+i)
		}
		b.StartTimer()
		err := rawPage(ctx, s, in.ID, run.ID, siteID, page)
		if err != nil {
			b.Fatal(err)
		}
		n += benchPage
	}
	b.ReportMetric(float64(n)/b.Elapsed().Seconds(), "records/s")
}

type rawRecord struct {
	user store.User
	data []byte
	ext  string
}

func rawPage(ctx context.Context, s *Store, integ, runID, siteID int64, page []rawRecord) error {
	if err := s.lockWriter(ctx); err != nil {
		return err
	}
	defer s.unlockWriter()
	return s.inTx(ctx, func() error { return rawRows(ctx, s, integ, runID, siteID, page) })
}

func rawRows(ctx context.Context, s *Store, integ, runID, siteID int64, page []rawRecord) error {
	tx := s.wconn
	seen, err := tx.PrepareContext(ctx, `INSERT INTO run_seen (run_id, kind, external_id) VALUES (?, ?, ?)`)
	if err != nil {
		return err
	}
	users, err := tx.PrepareContext(ctx, `INSERT INTO users (site_id, role, active, display_name, given_name,
		surname, upn, email, job_title, department, employee_id, immutable_id, user_type, created_at, updated_at,
		deactivated_reason, name_key, upn_key, email_key, employee_id_key, immutable_id_key)
		VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, '', ?, ?, ?, ?, ?)`)
	if err != nil {
		return err
	}
	links, err := tx.PrepareContext(ctx, `INSERT INTO links (integration_id, kind, external_id, entity_id,
		status, matched_by, fingerprint, data, reason, last_run_id, created_at, updated_at)
		VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`)
	if err != nil {
		return err
	}
	audit, err := tx.PrepareContext(ctx, `INSERT INTO audit_events (at, run_id, integration_id, kind, entity_id,
		action, reason) VALUES (?, ?, ?, ?, ?, ?, ?)`)
	if err != nil {
		return err
	}
	now := timeValue(s.clock())
	for _, rec := range page {
		u, data, ext := rec.user, rec.data, rec.ext
		if _, err := seen.ExecContext(ctx, runID, "user", ext); err != nil {
			return err
		}
		res, err := users.ExecContext(ctx, siteID, u.Role, u.Active, u.DisplayName, u.GivenName, u.Surname,
			u.UPN, u.Email, u.JobTitle, u.Department, u.EmployeeID, u.ImmutableID, u.UserType, now, now,
			u.DisplayName, u.UPN, u.Email, u.EmployeeID, u.ImmutableID)
		if err != nil {
			return err
		}
		id, err := res.LastInsertId()
		if err != nil {
			return err
		}
		if _, err := links.ExecContext(ctx, integ, "user", ext, id, store.LinkLinked, "created",
			"0123456789abcdef0123456789abcdef", string(data), "in group Staff", runID, now, now); err != nil {
			return err
		}
		if _, err := audit.ExecContext(ctx, now, runID, integ, "user", id, store.ActionCreated, "in group Staff"); err != nil {
			return err
		}
	}
	for _, st := range []*sql.Stmt{seen, users, links, audit} {
		if err := st.Close(); err != nil {
			return err
		}
	}
	return nil
}
