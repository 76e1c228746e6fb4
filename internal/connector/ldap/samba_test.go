package ldap

import (
	"bytes"
	"encoding/base64"
	"errors"
	"fmt"
	"log/slog"
	"slices"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	goldap "github.com/go-ldap/ldap/v3"
	"github.com/stretchr/testify/require"

	"github.com/integrator-oss/integrator/internal/connector"
	"github.com/integrator-oss/integrator/internal/record"
)

// The Active Directory data set, added over LDAP once:
//
//	OU=Corp   OU=London (alice, managed by bob; bob; carol), OU=Paris
//	          (dave), OU=Bulk (2,000 users), OU=Groups (AllBulk with the
//	          2,000, Sales ⊃ SalesNested ⊃ Sales), a computer.
//	OU=E2E    two users for the end-to-end test through the engine.
const (
	corpBase  = "OU=Corp," + sambaDomain
	e2eBase   = "OU=E2E," + sambaDomain
	bulkUsers = 2000
)

// seedSamba loads the data set once.
func seedSamba(t *testing.T, srv *sambaServer) {
	t.Helper()
	sambaSeedMu.Lock()
	defer sambaSeedMu.Unlock()
	if sambaSeeded {
		return
	}
	c := srv.admin(t)
	start := time.Now()
	add := func(dn string, attrs map[string][]string) {
		t.Helper()
		req := goldap.NewAddRequest(dn, nil)
		for _, k := range sortedKeys(attrs) {
			req.Attribute(k, attrs[k])
		}
		require.NoError(t, c.Add(req), "adding %s", dn)
	}
	ou := func(dn string) {
		add(dn, map[string][]string{"objectClass": {"organizationalUnit"}})
	}
	for _, dn := range []string{corpBase, "OU=London," + corpBase, "OU=Paris," + corpBase, "OU=Bulk," + corpBase, "OU=Groups," + corpBase, e2eBase} {
		ou(dn)
	}
	user := func(cn, parent string, extra map[string][]string) {
		a := map[string][]string{
			"objectClass":        {"user"},
			"sAMAccountName":     {cn},
			"userPrincipalName":  {cn + "@corp.example.test"},
			"givenName":          {strings.ToUpper(cn[:1]) + cn[1:]},
			"sn":                 {"Tester"},
			"displayName":        {strings.ToUpper(cn[:1]) + cn[1:] + " Tester"},
			"mail":               {cn + "@corp.example.test"},
			"userAccountControl": {"544"},
		}
		for k, v := range extra {
			a[k] = v
		}
		add("CN="+cn+","+parent, a)
	}
	london := "OU=London," + corpBase
	user("bob", london, map[string][]string{"title": {"Head of Sales"}, "department": {"Sales"}, "employeeID": {"E-002"}})
	user("alice", london, map[string][]string{"title": {"Account Manager"}, "department": {"Sales"}, "employeeID": {"E-001"},
		"manager": {"CN=bob," + london}})
	user("carol", london, nil)
	user("dave", "OU=Paris,"+corpBase, nil)
	user("eve", "OU=Paris,"+corpBase, nil)
	members := make([]string, 0, bulkUsers)
	for i := 1; i <= bulkUsers; i++ {
		cn := fmt.Sprintf("bulk%04d", i)
		user(cn, "OU=Bulk,"+corpBase, nil)
		members = append(members, "CN="+cn+",OU=Bulk,"+corpBase)
	}
	groups := "OU=Groups," + corpBase
	group := func(cn string, members ...string) {
		a := map[string][]string{"objectClass": {"group"}, "sAMAccountName": {cn}, "groupType": {"-2147483646"}}
		if len(members) > 0 {
			a["member"] = members
		}
		add("CN="+cn+","+groups, a)
	}
	group("AllBulk", members...)
	group("Sales", "CN=alice,"+london)
	group("SalesNested", "CN=carol,"+london, "CN=Sales,"+groups)
	m := goldap.NewModifyRequest("CN=Sales,"+groups, nil)
	m.Add("member", []string{"CN=SalesNested," + groups})
	require.NoError(t, c.Modify(m))
	add("CN=PC01,"+corpBase, map[string][]string{
		"objectClass": {"computer"}, "sAMAccountName": {"PC01$"}, "userAccountControl": {"4096"},
		"dNSHostName": {"pc01.corp.example.test"}, "operatingSystem": {"Windows 11 Enterprise"}, "operatingSystemVersion": {"10.0 (22631)"},
		"lastLogonTimestamp": {strconv.FormatInt(toFileTime(time.Date(2026, 11, 30, 8, 0, 0, 0, time.UTC)), 10)},
	})
	user("e2e-ann", e2eBase, nil)
	user("e2e-ben", e2eBase, nil)
	t.Logf("seeded Samba AD with %d users in %s", bulkUsers+7, time.Since(start).Round(time.Millisecond))
	sambaSeeded = true
}

var (
	sambaSeedMu sync.Mutex
	sambaSeeded bool
)

func sortedKeys[V any](m map[string]V) []string {
	out := make([]string, 0, len(m))
	for k := range m {
		out = append(out, k)
	}
	slices.Sort(out)
	return out
}

// rawGUID reads an entry's objectGUID bytes directly.
func rawGUID(t *testing.T, c *goldap.Conn, dn string) []byte {
	t.Helper()
	res, err := c.Search(goldap.NewSearchRequest(dn, goldap.ScopeBaseObject, 0, 0, 0, false, "(objectClass=*)", []string{"objectGUID"}, nil))
	require.NoError(t, err)
	require.Len(t, res.Entries, 1)
	return res.Entries[0].GetRawAttributeValue("objectGUID")
}

func modify(t *testing.T, c *goldap.Conn, dn string, attr string, values ...string) {
	t.Helper()
	m := goldap.NewModifyRequest(dn, nil)
	m.Replace(attr, values)
	require.NoError(t, c.Modify(m), "modifying %s of %s", attr, dn)
}

func TestSambaAD(t *testing.T) {
	srv := useSamba(t)
	seedSamba(t, srv)
	admin := srv.admin(t)
	london := "OU=London," + corpBase

	cfg := srv.config(corpBase)
	cfg.PageSize = 100
	cfg.MemberRangeSize = 300
	// eve's account expires between the full run and the delta, with no
	// change to her entry.
	expiry := time.Now().Add(3 * time.Second)
	modify(t, admin, "CN=eve,OU=Paris,"+corpBase, "accountExpires", strconv.FormatInt(toFileTime(expiry), 10))

	// Full run over LDAPS, verified against the test CA.
	sink, res := fetch(t, cfg, connector.FetchRequest{Kinds: []record.Kind{record.KindUser, record.KindGroup, record.KindAsset}})
	require.True(t, res.Full)
	users := sink.byKind(t, record.KindUser)
	groups := sink.byKind(t, record.KindGroup)
	require.Len(t, users, bulkUsers+5)
	require.Len(t, groups, 3)
	require.GreaterOrEqual(t, sink.pagesOf(record.KindUser), (bulkUsers+5)/cfg.PageSize, "paged")

	raw := rawGUID(t, admin, "CN=alice,"+london)
	alice := users[formatGUID(raw)]
	require.NotEmpty(t, alice.ID, "the record ID is the canonical form of objectGUID")
	require.Regexp(t, `^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$`, alice.ID)
	require.Equal(t, base64.StdEncoding.EncodeToString(raw), alice.Attrs[record.AttrImmutableID], "Entra's onPremisesImmutableId")
	require.Equal(t, "alice@corp.example.test", alice.Attrs[record.AttrUPN])
	require.Equal(t, "Alice Tester", alice.Attrs[record.AttrDisplayName])
	require.Equal(t, "Account Manager", alice.Attrs[record.AttrJobTitle])
	require.Equal(t, "Sales", alice.Attrs[record.AttrDepartment])
	require.Equal(t, "E-001", alice.Attrs[record.AttrEmployeeID])
	require.Equal(t, london, alice.Attrs[record.AttrOrgUnit])
	bob := users[formatGUID(rawGUID(t, admin, "CN=bob,"+london))]
	require.Equal(t, bob.ID, alice.Attrs[record.AttrManager], "manager DN resolved to the manager's objectGUID")
	carol := users[formatGUID(rawGUID(t, admin, "CN=carol,"+london))]
	require.Equal(t, record.Present, carol.State)
	eve := byAttr(t, users, record.AttrUPN, "eve@corp.example.test")
	require.Equal(t, record.Present, eve.State)

	// The server honours the small range, so the continuation loop ran.
	ranged, err := admin.Search(goldap.NewSearchRequest("CN=AllBulk,OU=Groups,"+corpBase, goldap.ScopeBaseObject, 0, 0, 0, false,
		"(objectClass=*)", []string{"member;range=0-299"}, nil))
	require.NoError(t, err)
	vals, next, ok := rangeOf(ranged.Entries[0], "member")
	require.True(t, ok)
	require.Len(t, vals, 300)
	require.Equal(t, 300, next)

	allBulk := byAttr(t, groups, record.AttrName, "AllBulk")
	require.True(t, allBulk.Members.Complete)
	require.Len(t, allBulk.Members.Added, bulkUsers, "every member, read 300 at a time")
	sales := []string{alice.ID, carol.ID}
	slices.Sort(sales)
	require.Equal(t, sales, byAttr(t, groups, record.AttrName, "Sales").Members.Added, "nested, through a cycle")
	require.Equal(t, sales, byAttr(t, groups, record.AttrName, "SalesNested").Members.Added)

	assets := sink.byKind(t, record.KindAsset)
	require.Len(t, assets, 1)
	for _, pc := range assets {
		require.Equal(t, "PC01", pc.Attrs[record.AttrName])
		require.Equal(t, "pc01.corp.example.test", pc.Attrs[AttrDNSHostName])
		require.Equal(t, "Windows 11 Enterprise", pc.Attrs[AttrOperatingSystem])
		require.Equal(t, "10.0 (22631)", pc.Attrs[AttrOperatingSystemVersion])
		require.Equal(t, "2026-11-30T08:00:00Z", pc.Attrs[AttrLastLogon])
	}
	cur, err := parseCursor(res.Cursor)
	require.NoError(t, err)
	require.Equal(t, DialectAD, cur.Dialect)
	require.Equal(t, "dc1.corp.example.test", strings.ToLower(cur.DC))
	require.NotEmpty(t, cur.InvocationID)
	require.Positive(t, cur.USN)

	// Changes: a disable, an expired account, a move between OUs, a
	// deletion, a new group member.
	modify(t, admin, "CN=carol,"+london, "userAccountControl", "546")
	modify(t, admin, "CN=dave,OU=Paris,"+corpBase, "accountExpires",
		strconv.FormatInt(toFileTime(time.Date(2020, 1, 1, 0, 0, 0, 0, time.UTC)), 10))
	require.NoError(t, admin.ModifyDN(goldap.NewModifyDNRequest("CN=alice,"+london, "CN=alice", true, "OU=Paris,"+corpBase)))
	require.NoError(t, admin.Del(goldap.NewDelRequest("CN=bulk0005,OU=Bulk,"+corpBase, nil)))
	gm := goldap.NewModifyRequest("CN=Sales,OU=Groups,"+corpBase, nil)
	gm.Add("member", []string{"CN=bob," + london})
	require.NoError(t, admin.Modify(gm))
	time.Sleep(time.Until(expiry.Add(100 * time.Millisecond)))

	// Delta over StartTLS.
	tlsCfg := cfg
	tlsCfg.URL, tlsCfg.StartTLS = "ldap://127.0.0.1", true
	sink, res = fetch(t, tlsCfg, connector.FetchRequest{Cursor: res.Cursor, Kinds: []record.Kind{record.KindUser, record.KindGroup, record.KindAsset}})
	require.False(t, res.Full, "a uSNChanged delta")
	users = sink.byKind(t, record.KindUser)
	require.Len(t, users, 5, "carol, dave, eve, alice and the deleted user: %v", keys(users))
	require.Equal(t, record.Disabled, users[carol.ID].State)
	require.Equal(t, ReasonUACDisabled, users[carol.ID].Reason)
	dave := byAttr(t, users, record.AttrUPN, "dave@corp.example.test")
	require.Equal(t, record.Disabled, dave.State)
	require.Equal(t, ReasonExpiredPrefix+"2020-01-01T00:00:00Z", dave.Reason)
	require.Equal(t, record.Disabled, users[eve.ID].State, "expired since the last run without a USN change")
	require.Equal(t, "OU=Paris,"+corpBase, users[alice.ID].Attrs[record.AttrOrgUnit], "moved between OUs")
	require.Equal(t, bob.ID, users[alice.ID].Attrs[record.AttrManager], "manager resolved by a lookup in a delta")
	var removed []record.Record
	for _, u := range users {
		if u.State == record.Removed {
			removed = append(removed, u)
		}
	}
	require.Len(t, removed, 1, "the deleted user, found among the tombstones")
	require.Equal(t, ReasonTombstone, removed[0].Reason)
	require.Contains(t, allBulk.Members.Added, removed[0].ID)
	groups = sink.byKind(t, record.KindGroup)
	withBob := []string{alice.ID, bob.ID, carol.ID}
	slices.Sort(withBob)
	require.Equal(t, withBob, byAttr(t, groups, record.AttrName, "Sales").Members.Added)
	require.Equal(t, withBob, byAttr(t, groups, record.AttrName, "SalesNested").Members.Added, "the parent through nesting")
	require.Len(t, groups, 2, "AllBulk did not change")
	require.Empty(t, sink.byKind(t, record.KindAsset))

	// Enabled again.
	modify(t, admin, "CN=carol,"+london, "userAccountControl", "544")
	sink, res = fetch(t, cfg, connector.FetchRequest{Cursor: res.Cursor, Kinds: []record.Kind{record.KindUser, record.KindGroup, record.KindAsset}})
	require.False(t, res.Full)
	users = sink.byKind(t, record.KindUser)
	require.Equal(t, record.Present, users[carol.ID].State)
	require.Empty(t, sink.byKind(t, record.KindGroup), "no group changed")

	// A cursor from another DC (or a restored one) cannot be continued.
	cur, err = parseCursor(res.Cursor)
	require.NoError(t, err)
	cur.InvocationID = "00000000-0000-0000-0000-000000000001"
	sink, res = fetch(t, cfg, connector.FetchRequest{Cursor: cur.String(), Kinds: []record.Kind{record.KindUser, record.KindGroup, record.KindAsset}})
	require.True(t, res.Full)
	require.True(t, res.Resynced)
	require.Len(t, sink.byKind(t, record.KindUser), bulkUsers+4)
}

func TestSambaBindCheckAndOrgUnits(t *testing.T) {
	srv := useSamba(t)
	seedSamba(t, srv)

	src, err := open(srv.config(corpBase), "test", nil)
	require.NoError(t, err)
	require.NoError(t, src.Check(t.Context()))
	ous, err := src.OrgUnits(t.Context())
	require.NoError(t, err)
	require.Equal(t, []string{
		"OU=Bulk," + corpBase, corpBase, "OU=Groups," + corpBase, "OU=London," + corpBase, "OU=Paris," + corpBase,
	}, ous)

	bad := srv.config(corpBase)
	bad.BindPassword = secretOf("Wr0ng!Password-xyz")
	src, err = open(bad, "test", nil)
	require.NoError(t, err)
	_, err = src.Fetch(t.Context(), connector.FetchRequest{}, &collect{})
	require.ErrorIs(t, err, connector.ErrUnauthorized)
	require.NotContains(t, err.Error(), "Wr0ng!Password-xyz")
	require.ErrorContains(t, err, sambaAdmin)
	require.ErrorIs(t, src.Check(t.Context()), connector.ErrUnauthorized)

	// A certificate the CA did not sign is refused.
	untrusted := srv.config(corpBase)
	untrusted.CAFile = ""
	src, err = open(untrusted, "test", nil)
	require.NoError(t, err)
	err = src.Check(t.Context())
	require.Error(t, err)
	require.ErrorContains(t, err, "certificate")

	missing := srv.config("OU=Nowhere," + sambaDomain)
	src, err = open(missing, "test", nil)
	require.NoError(t, err)
	_, err = src.Fetch(t.Context(), connector.FetchRequest{}, &collect{})
	require.ErrorContains(t, err, "OU=Nowhere")
	require.False(t, errors.Is(err, connector.ErrUnauthorized))

	// The Administrator may list the tombstones: no warning. (Samba lets
	// every authenticated user read CN=Deleted Objects, and samba-tool
	// cannot edit that container's rights, so the warning for an account
	// that may not is not exercised here.)
	var logs bytes.Buffer
	logger := slog.New(slog.NewTextHandler(&logs, nil))
	src, err = open(srv.config(corpBase), "test", logger)
	require.NoError(t, err)
	require.NoError(t, src.Check(t.Context()))
	require.NotContains(t, logs.String(), "Deleted Objects", "Administrator may list them")
}
