package engine_test

import (
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/integrator-oss/integrator/internal/integration"
	"github.com/integrator-oss/integrator/internal/record"
	"github.com/integrator-oss/integrator/internal/store"
)

func TestOrgUnitMappingsDeepestWins(t *testing.T) {
	t.Parallel()
	b := setup(t)
	b.set.Scope = integration.Scope{Mappings: []integration.Mapping{
		{OrgUnit: "OU=London,DC=corp,DC=example", Site: "London"},
		{OrgUnit: "ou=IT, ou=London, dc=corp, dc=example", Site: "London IT", Role: store.RoleAgent},
		{OrgUnit: "/Leeds", Site: "Leeds"},
	}}
	ou := func(id, upn, unit string) record.Record { return user(id, upn, record.AttrOrgUnit, unit) }
	b.run(t, &script{pages: [][]record.Record{{
		ou("u1", "a@x", "OU=Sales,OU=London,DC=corp,DC=example"),
		ou("u2", "b@x", "OU=Desk,OU=IT,OU=London,DC=corp,DC=example"),
		ou("u3", "c@x", "OU=Paris,DC=corp,DC=example"),
		ou("u4", "d@x", "/Leeds/Ops"),
		ou("u5", "e@x", "/LeedsNorth"),
	}}, failAt: -1})
	sites := b.sites(t)
	_, u1 := b.userByExt(t, "u1")
	require.Equal(t, "London", sites[u1.SiteID])
	_, u2 := b.userByExt(t, "u2")
	require.Equal(t, "London IT", sites[u2.SiteID], "the deepest mapped unit wins")
	require.Equal(t, store.RoleAgent, u2.Role)
	l3, _ := b.userByExt(t, "u3")
	require.Equal(t, store.LinkOutOfScope, l3.Status)
	require.Contains(t, l3.Reason, `"OU=Paris,DC=corp,DC=example" is not under a mapped one`)
	_, u4 := b.userByExt(t, "u4")
	require.Equal(t, "Leeds", sites[u4.SiteID])
	l5, _ := b.userByExt(t, "u5")
	require.Equal(t, store.LinkOutOfScope, l5.Status, "/LeedsNorth is not under /Leeds")

	// Moved between OUs: the user moves site.
	b.run(t, &script{pages: [][]record.Record{{ou("u1", "a@x", "OU=IT,OU=London,DC=corp,DC=example")}}, failAt: -1})
	_, u1 = b.userByExt(t, "u1")
	require.Equal(t, "London IT", b.sites(t)[u1.SiteID])
}

func TestContactsAreTheirOwnPeople(t *testing.T) {
	t.Parallel()
	b := setup(t)
	b.set.Entities = []record.Kind{record.KindUser, record.KindGroup, record.KindContact}
	b.set.Threshold = integration.Threshold{MaxCount: -1, MaxPercent: -1}
	contact := func(id, mail string) record.Record {
		return record.Record{Kind: record.KindContact, ID: id, Attrs: map[string]string{
			record.AttrDisplayName: "Vendor " + id, record.AttrEmail: mail, record.AttrCompany: "Fabrikam"}}
	}
	pages := append(tenant(), []record.Record{contact("c1", "ana@contoso.com"), contact("c2", "sales@fabrikam.example")})
	res := b.run(t, &script{pages: pages, failAt: -1, full: true})
	require.EqualValues(t, 2, res.Run.ByKind[record.KindContact].Created)

	links, err := b.st.LinkGetMany(t.Context(), &store.LinkGetManyParams{IntegrationID: b.integ.ID, Kind: record.KindContact, ExternalIDs: []string{"c1", "c2"}})
	require.NoError(t, err)
	require.Len(t, links, 2)
	_, ana := b.userByExt(t, "u1")
	for _, l := range links {
		u, err := b.st.UserGet(t.Context(), l.EntityID)
		require.NoError(t, err)
		require.Equal(t, store.RoleContact, u.Role)
		require.NotEqual(t, ana.ID, u.ID, "a contact sharing a user's mail is not merged into the user")
		require.Equal(t, "Main", b.sites(t)[u.SiteID])
	}

	// A full run without c2 deactivates it; the users stay.
	pages = append(tenant(), []record.Record{contact("c1", "ana@contoso.com")})
	res = b.run(t, &script{pages: pages, failAt: -1, full: true})
	require.EqualValues(t, 1, res.Run.ByKind[record.KindContact].Deactivated)
	require.Zero(t, res.Run.ByKind[record.KindUser].Deactivated)
}

func TestCompleteMemberListRemovesLeaversInADelta(t *testing.T) {
	t.Parallel()
	b := setup(t)
	b.set.Threshold = integration.Threshold{MaxCount: -1, MaxPercent: -1}
	complete := func(id, name string, members ...string) record.Record {
		g := group(id, name, members...)
		g.Members.Complete = true
		return g
	}
	b.run(t, &script{pages: [][]record.Record{
		{complete("g-sales", "Sales", "u1", "u2")},
		{user("u1", "ana@contoso.com"), user("u2", "ben@contoso.com")},
	}, cursor: "c1", failAt: -1})
	_, u2 := b.userByExt(t, "u2")
	require.True(t, u2.Active)

	// A delta that carries only the group, now without u2: u2 leaves the
	// mapped group, so it leaves the scope without a record of its own.
	b.run(t, &script{pages: [][]record.Record{{complete("g-sales", "Sales", "u1")}}, cursor: "c2", failAt: -1})
	l2, u2 := b.userByExt(t, "u2")
	require.False(t, u2.Active)
	require.Equal(t, store.LinkOutOfScope, l2.Status)
	_, u1 := b.userByExt(t, "u1")
	require.True(t, u1.Active)
}
