package engine_test

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"path/filepath"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/integrator-oss/integrator/internal/connector"
	"github.com/integrator-oss/integrator/internal/engine"
	"github.com/integrator-oss/integrator/internal/integration"
	"github.com/integrator-oss/integrator/internal/record"
	"github.com/integrator-oss/integrator/internal/store"
	"github.com/integrator-oss/integrator/internal/store/sqlite"
)

// script is a source that replays prepared pages: the engine's own tests
// drive it record by record. Connectors are tested against their vendor
// emulators elsewhere.
type script struct {
	pages  [][]record.Record
	cursor string
	full   bool
	// failAt makes Fetch fail after delivering that many pages (-1: never).
	failAt int
	// got is the last request.
	got connector.FetchRequest
}

func (s *script) Fetch(ctx context.Context, req connector.FetchRequest, sink connector.Sink) (connector.FetchResult, error) {
	s.got = req
	for i, p := range s.pages {
		if s.failAt >= 0 && i == s.failAt {
			return connector.FetchResult{}, errors.New("page 2: 500 Internal Server Error")
		}
		if err := sink.Page(ctx, append([]record.Record(nil), p...)); err != nil {
			return connector.FetchResult{}, err
		}
	}
	return connector.FetchResult{Cursor: s.cursor, Full: s.full || req.Full}, nil
}

type testBundle struct {
	st    store.Store
	eng   *engine.Engine
	integ *store.Integration
	set   integration.Settings
}

func setup(t *testing.T) *testBundle {
	t.Helper()
	ctx := t.Context()
	logger := slog.New(slog.NewTextHandler(io.Discard, nil))
	st, err := sqlite.Open(ctx, filepath.Join(t.TempDir(), "t.db"), logger)
	require.NoError(t, err)
	t.Cleanup(func() { st.Close() })
	var integ *store.Integration
	require.NoError(t, st.Tx(ctx, func(tx store.Tx) error {
		integ, err = tx.IntegrationUpsert(ctx, &store.IntegrationUpsertParams{Name: "contoso", Type: "script", Enabled: true})
		return err
	}))
	set := integration.Settings{
		Name: "contoso", Type: "script", Enabled: true, Client: "Contoso",
		Scope: integration.Scope{Mappings: []integration.Mapping{
			{Group: "Sales", Site: "London"},
			{Group: "IT", Site: "Manchester", Role: store.RoleAgent},
		}},
	}.WithDefaults()
	return &testBundle{st: st, eng: engine.New(st, logger), integ: integ, set: set}
}

func (b *testBundle) run(t *testing.T, src *script, mod ...func(*engine.RunParams)) *engine.Result {
	t.Helper()
	p := engine.RunParams{Integration: b.integ, Settings: b.set, Source: src, Trigger: "test"}
	for _, m := range mod {
		m(&p)
	}
	res, err := b.eng.Run(t.Context(), p)
	require.NoError(t, err)
	return res
}

func user(id, upn string, extra ...string) record.Record {
	a := map[string]string{record.AttrUPN: upn, record.AttrEmail: upn, record.AttrDisplayName: "User " + id}
	for i := 0; i+1 < len(extra); i += 2 {
		a[extra[i]] = extra[i+1]
	}
	return record.Record{Kind: record.KindUser, ID: id, Attrs: a}
}

func group(id, name string, added ...string) record.Record {
	return record.Record{Kind: record.KindGroup, ID: id, Attrs: map[string]string{record.AttrName: name},
		Members: &record.Members{Added: added}}
}

// tenant is a small directory: Sales (u1, u2), IT (u3), u4 in no mapped group.
func tenant() [][]record.Record {
	return [][]record.Record{
		{group("g-sales", "Sales", "u1", "u2"), group("g-it", "IT", "u3"), group("g-other", "Other", "u4")},
		{user("u1", "ana@contoso.com"), user("u2", "ben@contoso.com", record.AttrManager, "u3")},
		{user("u3", "cy@contoso.com"), user("u4", "dee@contoso.com")},
	}
}

func (b *testBundle) userByExt(t *testing.T, ext string) (store.Link, store.User) {
	t.Helper()
	links, err := b.st.LinkGetMany(t.Context(), &store.LinkGetManyParams{IntegrationID: b.integ.ID, Kind: record.KindUser, ExternalIDs: []string{ext}})
	require.NoError(t, err)
	require.Len(t, links, 1, "link of %s", ext)
	if links[0].EntityID == 0 {
		return links[0], store.User{}
	}
	u, err := b.st.UserGet(t.Context(), links[0].EntityID)
	require.NoError(t, err)
	return links[0], *u
}

func (b *testBundle) sites(t *testing.T) map[int64]string {
	t.Helper()
	ss, err := b.st.SiteList(t.Context())
	require.NoError(t, err)
	m := map[int64]string{}
	for _, s := range ss {
		m[s.ID] = s.Name
	}
	return m
}

// snapshot renders every platform row the engine may write, so two
// snapshots are equal exactly when a run wrote nothing.
func (b *testBundle) snapshot(t *testing.T) string {
	t.Helper()
	ctx := t.Context()
	users, err := b.st.UserList(ctx, &store.EntityListParams{Limit: 100000})
	require.NoError(t, err)
	groups, err := b.st.GroupList(ctx, &store.EntityListParams{Limit: 100000})
	require.NoError(t, err)
	audit, err := b.st.AuditList(ctx, &store.AuditListParams{Limit: 100000})
	require.NoError(t, err)
	s := fmt.Sprintf("%+v\n%+v\n%d", users, groups, len(audit))
	for _, u := range users {
		links, err := b.st.LinkListByEntity(ctx, record.KindUser, u.ID)
		require.NoError(t, err)
		s += fmt.Sprintf("\n%+v", links)
	}
	for _, g := range groups {
		m, err := b.st.GroupMembers(ctx, g.ID)
		require.NoError(t, err)
		s += fmt.Sprintf("\n%d:%v", g.ID, m)
	}
	return s
}

func TestFirstSyncScopesAndSecondWritesNothing(t *testing.T) {
	t.Parallel()
	b := setup(t)
	src := &script{pages: tenant(), cursor: "c1", failAt: -1}
	res := b.run(t, src)
	require.Equal(t, store.RunSucceeded, res.Run.Status)
	require.True(t, res.Run.Full)
	require.Equal(t, int64(3), res.Run.ByKind[record.KindUser].Created)
	require.Equal(t, int64(1), res.Run.ByKind[record.KindUser].OutOfScope)
	require.Equal(t, int64(3), res.Run.ByKind[record.KindGroup].Created)

	sites := b.sites(t)
	l1, u1 := b.userByExt(t, "u1")
	require.Equal(t, "London", sites[u1.SiteID])
	require.Equal(t, store.RoleUser, u1.Role)
	require.Equal(t, "created", l1.MatchedBy)
	_, u3 := b.userByExt(t, "u3")
	require.Equal(t, "Manchester", sites[u3.SiteID])
	require.Equal(t, store.RoleAgent, u3.Role)
	_, u2 := b.userByExt(t, "u2")
	require.Equal(t, u3.ID, u2.ManagerID, "manager resolved from the manager's link")
	l4, u4 := b.userByExt(t, "u4")
	require.Zero(t, u4.ID, "u4 is in no mapped group")
	require.Equal(t, store.LinkOutOfScope, l4.Status)
	require.Contains(t, l4.Reason, "not a member of any mapped group")

	before := b.snapshot(t)
	src.full = true
	res = b.run(t, src, func(p *engine.RunParams) { p.Full = true })
	require.Equal(t, int64(0), res.Run.Counts.Writes, "a no-op full resync writes no row")
	require.Equal(t, int64(0), res.Run.Counts.Created+res.Run.Counts.Updated+res.Run.Counts.Deactivated)
	require.Equal(t, before, b.snapshot(t))
}

func TestDeltaLifecycle(t *testing.T) {
	t.Parallel()
	b := setup(t)
	b.run(t, &script{pages: tenant(), cursor: "c1", failAt: -1})
	_, u1 := b.userByExt(t, "u1")

	// Rename.
	res := b.run(t, &script{pages: [][]record.Record{{user("u1", "ana@contoso.com", record.AttrDisplayName, "Ana Ruiz")}}, cursor: "c2", failAt: -1})
	require.False(t, res.Run.Full)
	require.Equal(t, int64(1), res.Run.Counts.Updated)
	_, u := b.userByExt(t, "u1")
	require.Equal(t, "Ana Ruiz", u.DisplayName)

	// Disable → deactivated at once.
	dis := user("u1", "ana@contoso.com", record.AttrDisplayName, "Ana Ruiz")
	dis.State, dis.Reason = record.Disabled, "accountEnabled=false"
	b.set.Threshold.MaxPercent = -1
	res = b.run(t, &script{pages: [][]record.Record{{dis}}, cursor: "c3", failAt: -1})
	require.Equal(t, int64(1), res.Run.Counts.Deactivated)
	_, u = b.userByExt(t, "u1")
	require.False(t, u.Active)
	require.Contains(t, u.DeactivatedReason, "accountEnabled=false")

	// Enabled again → reactivated, same platform record.
	res = b.run(t, &script{pages: [][]record.Record{{user("u1", "ana@contoso.com", record.AttrDisplayName, "Ana Ruiz")}}, cursor: "c4", failAt: -1})
	require.Equal(t, int64(1), res.Run.Counts.Reactivated)
	_, u = b.userByExt(t, "u1")
	require.True(t, u.Active)
	require.Equal(t, u1.ID, u.ID)

	// Soft delete → deactivated; restore → reactivated, same record.
	rm := record.Record{Kind: record.KindUser, ID: "u2", State: record.Removed, Reason: "soft-deleted"}
	res = b.run(t, &script{pages: [][]record.Record{{rm}}, cursor: "c5", failAt: -1})
	require.Equal(t, int64(1), res.Run.Counts.Deactivated)
	l2, u2 := b.userByExt(t, "u2")
	require.False(t, u2.Active)
	require.Equal(t, store.LinkRemoved, l2.Status)
	res = b.run(t, &script{pages: [][]record.Record{{user("u2", "ben@contoso.com", record.AttrManager, "u3")}}, cursor: "c6", failAt: -1})
	require.Equal(t, int64(1), res.Run.Counts.Reactivated)
	_, u2b := b.userByExt(t, "u2")
	require.Equal(t, u2.ID, u2b.ID)
	require.True(t, u2b.Active)

	// Audit trail: every change of u1 with its run and reason.
	ev, err := b.st.AuditList(t.Context(), &store.AuditListParams{Kind: record.KindUser, EntityID: u1.ID, Limit: 100})
	require.NoError(t, err)
	var actions []string
	for _, e := range ev {
		require.NotZero(t, e.RunID)
		require.NotEmpty(t, e.Reason)
		actions = append(actions, e.Action)
	}
	require.Equal(t, []string{"created", "updated", "deactivated", "reactivated"}, actions)
}

func TestGroupMoveAndMemberRemovalRescopeWithoutUserRecord(t *testing.T) {
	t.Parallel()
	b := setup(t)
	b.set.Threshold.MaxPercent = -1
	b.run(t, &script{pages: tenant(), cursor: "c1", failAt: -1})

	// u1 moves from Sales to IT: only group records arrive.
	move := [][]record.Record{{
		{Kind: record.KindGroup, ID: "g-sales", Attrs: map[string]string{record.AttrName: "Sales"}, Members: &record.Members{Removed: []string{"u1"}}},
		{Kind: record.KindGroup, ID: "g-it", Attrs: map[string]string{record.AttrName: "IT"}, Members: &record.Members{Added: []string{"u1"}}},
	}}
	res := b.run(t, &script{pages: move, cursor: "c2", failAt: -1})
	require.Equal(t, int64(1), res.Run.ByKind[record.KindUser].Updated)
	_, u1 := b.userByExt(t, "u1")
	require.Equal(t, "Manchester", b.sites(t)[u1.SiteID])
	require.Equal(t, store.RoleAgent, u1.Role)

	// u2 leaves Sales, its only mapped group → out of scope → deactivated.
	leave := [][]record.Record{{{Kind: record.KindGroup, ID: "g-sales", Attrs: map[string]string{record.AttrName: "Sales"}, Members: &record.Members{Removed: []string{"u2"}}}}}
	res = b.run(t, &script{pages: leave, cursor: "c3", failAt: -1})
	require.Equal(t, int64(1), res.Run.ByKind[record.KindUser].Deactivated)
	l2, u2 := b.userByExt(t, "u2")
	require.False(t, u2.Active)
	require.Equal(t, store.LinkOutOfScope, l2.Status)
	require.Contains(t, u2.DeactivatedReason, "not a member of any mapped group")

	// u4 joins Sales → created now, from what its link kept.
	join := [][]record.Record{{{Kind: record.KindGroup, ID: "g-sales", Attrs: map[string]string{record.AttrName: "Sales"}, Members: &record.Members{Added: []string{"u4"}}}}}
	res = b.run(t, &script{pages: join, cursor: "c4", failAt: -1})
	require.Equal(t, int64(1), res.Run.ByKind[record.KindUser].Created)
	_, u4 := b.userByExt(t, "u4")
	require.True(t, u4.Active)
	require.Equal(t, "dee@contoso.com", u4.UPN)
}

func TestFullRunSweepsWhatVanished(t *testing.T) {
	t.Parallel()
	b := setup(t)
	b.set.Threshold.MaxPercent = -1
	b.run(t, &script{pages: tenant(), cursor: "c1", failAt: -1})
	// u2 vanished between runs without a removal: only a full run sees it.
	pages := tenant()
	pages[0][0] = group("g-sales", "Sales", "u1")
	pages[1] = pages[1][:1]
	res := b.run(t, &script{pages: pages, cursor: "c2", full: true, failAt: -1})
	require.True(t, res.Run.Full)
	require.Equal(t, int64(1), res.Run.ByKind[record.KindUser].Deactivated)
	l2, u2 := b.userByExt(t, "u2")
	require.False(t, u2.Active)
	require.Equal(t, store.LinkRemoved, l2.Status)
	require.Contains(t, u2.DeactivatedReason, "full run no longer returned it")
}

func TestFailedFetchDeactivatesNothingAndKeepsCursor(t *testing.T) {
	t.Parallel()
	b := setup(t)
	b.run(t, &script{pages: tenant(), cursor: "c1", failAt: -1})
	// A full run that fails on its third page: users of that page were not
	// seen, and must not be swept.
	_, err := b.eng.Run(t.Context(), engine.RunParams{Integration: b.integ, Settings: b.set, Full: true,
		Source: &script{pages: tenant(), cursor: "c2", full: true, failAt: 2}})
	require.ErrorContains(t, err, "500 Internal Server Error")
	_, u3 := b.userByExt(t, "u3")
	require.True(t, u3.Active)
	cur, err := b.st.CursorGet(t.Context(), b.integ.ID)
	require.NoError(t, err)
	require.Equal(t, "c1", cur.Value)
	runs, err := b.st.RunList(t.Context(), &store.RunListParams{IntegrationID: b.integ.ID, Limit: 1})
	require.NoError(t, err)
	require.Equal(t, store.RunFailed, runs[0].Status)
	require.Contains(t, runs[0].Error, "500")
}

func TestMassDeactivationHeldUntilConfirmed(t *testing.T) {
	t.Parallel()
	b := setup(t)
	b.run(t, &script{pages: tenant(), cursor: "c1", failAt: -1})
	before := b.snapshot(t)
	empty := &script{pages: [][]record.Record{{}}, cursor: "c2", full: true, failAt: -1}
	res := b.run(t, empty)
	require.True(t, res.Held)
	require.Equal(t, store.RunHeld, res.Run.Status)
	require.Equal(t, int64(3), res.Deactivations)
	require.Contains(t, res.Run.Notes, "--allow-mass-deactivation")
	require.Equal(t, before, b.snapshot(t), "a held run deactivates nothing")
	cur, err := b.st.CursorGet(t.Context(), b.integ.ID)
	require.NoError(t, err)
	require.Equal(t, "c1", cur.Value, "a held run does not move the cursor")

	res = b.run(t, empty, func(p *engine.RunParams) { p.AllowMassDeactivation = true })
	require.Equal(t, store.RunSucceeded, res.Run.Status)
	require.Equal(t, int64(3), res.Run.ByKind[record.KindUser].Deactivated)
	c, err := b.st.EntityCount(t.Context(), b.integ.ID, record.KindUser)
	require.NoError(t, err)
	require.Equal(t, int64(0), c.Active)
}

func TestMatchingLinksExistingUserAndRefusesAmbiguity(t *testing.T) {
	t.Parallel()
	b := setup(t)
	ctx := t.Context()
	var site *store.Site
	existing := []store.User{
		{Role: store.RoleUser, Active: true, DisplayName: "Ana (manual)", UPN: "ANA@contoso.com", Email: "ana@contoso.com"},
		{Role: store.RoleUser, Active: true, DisplayName: "Cy one", Email: "cy@contoso.com"},
		{Role: store.RoleUser, Active: true, DisplayName: "Cy two", Email: "cy@contoso.com"},
	}
	require.NoError(t, b.st.Tx(ctx, func(tx store.Tx) error {
		var err error
		if site, err = tx.SiteEnsure(ctx, "Contoso", "Main"); err != nil {
			return err
		}
		for i := range existing {
			existing[i].SiteID = site.ID
		}
		return tx.UserInsertMany(ctx, existing)
	}))
	b.set.Matching = []string{"immutable_id", "upn", "email"}
	res := b.run(t, &script{pages: tenant(), cursor: "c1", failAt: -1})
	l1, u1 := b.userByExt(t, "u1")
	require.Equal(t, existing[0].ID, u1.ID, "matched case-insensitively by UPN, not duplicated")
	require.Equal(t, "upn", l1.MatchedBy)
	// u3 has no UPN match and its email matches two users: a conflict.
	l3, _ := b.userByExt(t, "u3")
	require.Equal(t, store.LinkConflict, l3.Status)
	require.Contains(t, l3.Reason, "matches 2 platform users")
	require.Equal(t, int64(1), res.Run.ByKind[record.KindUser].Failed)
	all, err := b.st.UserList(ctx, &store.EntityListParams{Limit: 100})
	require.NoError(t, err)
	require.Len(t, all, 4, "3 existing + u2 created; nothing created for the conflict")
}

func TestDryRunWritesNothing(t *testing.T) {
	t.Parallel()
	b := setup(t)
	before := b.snapshot(t)
	res := b.run(t, &script{pages: tenant(), cursor: "c1", failAt: -1}, func(p *engine.RunParams) { p.DryRun = true })
	require.Equal(t, int64(3), res.Run.ByKind[record.KindUser].Created)
	require.NotEmpty(t, res.Plan)
	var created int
	for _, p := range res.Plan {
		if p.Kind == record.KindUser && p.Action == store.ActionCreated {
			created++
		}
	}
	require.Equal(t, 3, created)
	require.Equal(t, before, b.snapshot(t))
	cur, err := b.st.CursorGet(t.Context(), b.integ.ID)
	require.NoError(t, err)
	require.Empty(t, cur.Value)
	runs, err := b.st.RunList(t.Context(), &store.RunListParams{IntegrationID: b.integ.ID})
	require.NoError(t, err)
	require.Empty(t, runs, "a dry run leaves no run record")
}

func TestReplayedRecordsConverge(t *testing.T) {
	t.Parallel()
	b := setup(t)
	pages := tenant()
	// The same user twice in a page and again in the next page.
	pages[1] = append(pages[1], user("u1", "ana@contoso.com"))
	pages[2] = append(pages[2], user("u1", "ana@contoso.com"))
	res := b.run(t, &script{pages: pages, cursor: "c1", failAt: -1})
	require.Equal(t, int64(3), res.Run.ByKind[record.KindUser].Created)
	all, err := b.st.UserList(t.Context(), &store.EntityListParams{Limit: 100})
	require.NoError(t, err)
	require.Len(t, all, 3)
}

func TestLargeGroupRepeatingAcrossPagesIsOneGroup(t *testing.T) {
	t.Parallel()
	b := setup(t)
	b.set.Scope = integration.Scope{AllUsers: true, DefaultSite: "Main"}
	pages := [][]record.Record{
		{group("g-big", "Everyone", "u1", "u2")},
		{group("g-big", "Everyone", "u3"), group("g-it", "IT", "u3")},
		{group("g-big", "Everyone", "u4")},
		{user("u1", "a@x"), user("u2", "b@x"), user("u3", "c@x"), user("u4", "d@x")},
	}
	res := b.run(t, &script{pages: pages, cursor: "c1", failAt: -1})
	require.Equal(t, int64(2), res.Run.ByKind[record.KindGroup].Created)
	groups, err := b.st.GroupList(t.Context(), &store.EntityListParams{Search: "Everyone"})
	require.NoError(t, err)
	require.Len(t, groups, 1)
	members, err := b.st.GroupMembers(t.Context(), groups[0].ID)
	require.NoError(t, err)
	require.Len(t, members, 4, "every slice's members")
}
