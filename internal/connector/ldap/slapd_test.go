package ldap

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"slices"
	"testing"
	"time"

	goldap "github.com/go-ldap/ldap/v3"
	"github.com/stretchr/testify/require"

	"github.com/integrator-oss/integrator/internal/connector"
	"github.com/integrator-oss/integrator/internal/record"
)

// The OpenLDAP data set, loaded once with slapadd:
//
//	ou=ro     5,000 users, a 3,000-member group, a cycle of three nested
//	          groups, a posixGroup, a groupOfUniqueNames, disabled users;
//	          read only.
//	ou=delta  20 users and one group, changed by the delta test.
const (
	roBase    = "ou=ro," + slapdSuffix
	deltaBase = "ou=delta," + slapdSuffix
	roUsers   = 5000
)

func slapdSeed(b *bytes.Buffer) {
	ou := func(dn string) {
		fmt.Fprintf(b, "dn: %s\nobjectClass: organizationalUnit\nou: %s\n%s\n", dn, dn[3:indexComma(dn)], oldStamp)
	}
	user := func(base string, i int, extra string) {
		fmt.Fprintf(b, "dn: uid=user%04[1]d,ou=people,%[2]s\nobjectClass: inetOrgPerson\n%[4]suid: user%04[1]d\ncn: User %04[1]d\nsn: N%04[1]d\ngivenName: User\nmail: user%04[1]d@example.test\nemployeeNumber: %[1]d\ntitle: Clerk\ndepartmentNumber: D%[3]d\n%[5]s\n",
			i, base, i%7, extra, oldStamp)
	}
	members := func(base string, ids ...int) string {
		var s string
		for _, i := range ids {
			s += fmt.Sprintf("member: uid=user%04d,ou=people,%s\n", i, base)
		}
		return s
	}
	for _, base := range []string{roBase, deltaBase} {
		ou(base)
		ou("ou=people," + base)
		ou("ou=groups," + base)
	}
	for i := 1; i <= roUsers; i++ {
		extra := ""
		switch i {
		case 2:
			extra = "objectClass: inetOrgPerson\nmanager: uid=user0001,ou=people," + roBase + "\n"
		case 7:
			extra = "objectClass: shadowAccount\nshadowExpire: 1\n"
		case 8:
			extra = "objectClass: inetOrgPerson\nemployeeType: former\n"
		case 9, 10:
			extra = "objectClass: inetOrgPerson\nuserPassword: " + slapdUserPW + "\n"
		}
		user(roBase, i, extra)
	}
	big := make([]int, 3000)
	for i := range big {
		big[i] = i + 1
	}
	g := roBase
	fmt.Fprintf(b, "dn: cn=big,ou=groups,%s\nobjectClass: groupOfNames\ncn: big\n%s%s\n", g, members(g, big...), oldStamp)
	fmt.Fprintf(b, "dn: cn=nest-a,ou=groups,%s\nobjectClass: groupOfNames\ncn: nest-a\n%smember: cn=nest-b,ou=groups,%s\n%s\n", g, members(g, 1), g, oldStamp)
	fmt.Fprintf(b, "dn: cn=nest-b,ou=groups,%s\nobjectClass: groupOfNames\ncn: nest-b\n%smember: cn=nest-c,ou=groups,%s\n%s\n", g, members(g, 2), g, oldStamp)
	fmt.Fprintf(b, "dn: cn=nest-c,ou=groups,%s\nobjectClass: groupOfNames\ncn: nest-c\n%smember: cn=nest-a,ou=groups,%s\n%s\n", g, members(g, 3), g, oldStamp)
	fmt.Fprintf(b, "dn: cn=posix,ou=groups,%s\nobjectClass: posixGroup\ncn: posix\ngidNumber: 5000\nmemberUid: user0004\nmemberUid: user0005\nmemberUid: nobody-here\n%s\n", g, oldStamp)
	fmt.Fprintf(b, "dn: cn=uniq,ou=groups,%s\nobjectClass: groupOfUniqueNames\ncn: uniq\nuniqueMember: uid=user0006,ou=people,%s#'0101'B\n%s\n", g, g, oldStamp)

	for i := 1; i <= 20; i++ {
		user(deltaBase, i, "")
	}
	fmt.Fprintf(b, "dn: cn=dg,ou=groups,%s\nobjectClass: groupOfNames\ncn: dg\n%s%s\n", deltaBase, members(deltaBase, 1, 2), oldStamp)
	fmt.Fprintf(b, "dn: cn=quiet,ou=groups,%s\nobjectClass: groupOfNames\ncn: quiet\n%s%s\n", deltaBase, members(deltaBase, 9), oldStamp)
}

// slapdUserPW is the password of ro's user0009 and user0010, ordinary
// accounts; the server caps user0010's paged searches at 500 entries in
// total.
const slapdUserPW = "Passw0rd!user9"

func indexComma(s string) int {
	for i := range s {
		if s[i] == ',' {
			return i
		}
	}
	return len(s)
}

func TestSlapdFullSync(t *testing.T) {
	srv := useSlapd(t)
	cfg := srv.config(roBase)
	cfg.UPNDomain = "example.test"
	cfg.DisabledFilter = "(employeeType=former)"
	sink, res := fetch(t, cfg, connector.FetchRequest{})
	require.True(t, res.Full)
	require.False(t, res.Resynced)

	users := sink.byKind(t, record.KindUser)
	groups := sink.byKind(t, record.KindGroup)
	require.Len(t, users, roUsers)
	require.Len(t, groups, 6)
	// Paged: 5,000 users at 500 a page arrive in at least ten pages.
	require.GreaterOrEqual(t, sink.pagesOf(record.KindUser), roUsers/cfg.PageSize)
	// Groups come before users.
	all := sink.all()
	lastGroup := slices.IndexFunc(all, func(r record.Record) bool { return r.Kind == record.KindUser }) - 1
	require.Equal(t, record.KindGroup, all[lastGroup].Kind)
	for _, r := range all[lastGroup+1:] {
		require.Equal(t, record.KindUser, r.Kind)
	}

	u1 := byAttr(t, users, record.AttrUPN, "user0001@example.test")
	require.Regexp(t, `^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$`, u1.ID, "entryUUID")
	require.Equal(t, "User 0001", u1.Attrs[record.AttrDisplayName])
	require.Equal(t, "user0001@example.test", u1.Attrs[record.AttrEmail])
	require.Equal(t, "1", u1.Attrs[record.AttrEmployeeID])
	require.Equal(t, "Clerk", u1.Attrs[record.AttrJobTitle])
	require.Equal(t, "ou=people,"+roBase, u1.Attrs[record.AttrOrgUnit])
	require.Equal(t, record.Present, u1.State)
	u2 := byAttr(t, users, record.AttrUPN, "user0002@example.test")
	require.Equal(t, u1.ID, u2.Attrs[record.AttrManager], "manager DN resolved to the manager's entryUUID")
	require.Equal(t, "", u1.Attrs[record.AttrManager])

	u7 := byAttr(t, users, record.AttrUPN, "user0007@example.test")
	require.Equal(t, record.Disabled, u7.State)
	require.Contains(t, u7.Reason, "shadowExpire")
	u8 := byAttr(t, users, record.AttrUPN, "user0008@example.test")
	require.Equal(t, record.Disabled, u8.State)
	require.Equal(t, ReasonDisabledByQuery, u8.Reason)

	idOfUser := func(i int) string {
		return byAttr(t, users, record.AttrUPN, fmt.Sprintf("user%04d@example.test", i)).ID
	}
	big := byAttr(t, groups, record.AttrName, "big")
	require.True(t, big.Members.Complete)
	require.Len(t, big.Members.Added, 3000)
	require.Contains(t, big.Members.Added, idOfUser(3000))
	require.NotContains(t, big.Members.Added, idOfUser(3001))
	cycle := []string{idOfUser(1), idOfUser(2), idOfUser(3)}
	slices.Sort(cycle)
	for _, name := range []string{"nest-a", "nest-b", "nest-c"} {
		g := byAttr(t, groups, record.AttrName, name)
		require.Equal(t, cycle, g.Members.Added, "%s: flattened through the cycle", name)
	}
	posix := byAttr(t, groups, record.AttrName, "posix")
	want := []string{idOfUser(4), idOfUser(5)}
	slices.Sort(want)
	require.Equal(t, want, posix.Members.Added, "memberUid resolved through uid; an unknown uid dropped")
	require.Equal(t, []string{idOfUser(6)}, byAttr(t, groups, record.AttrName, "uniq").Members.Added)

	cur, err := parseCursor(res.Cursor)
	require.NoError(t, err)
	require.Equal(t, DialectLDAP, cur.Dialect)
	require.Equal(t, "20260101000000Z", cur.MaxModified)
}

func TestSlapdDeltaAndDeletion(t *testing.T) {
	srv := useSlapd(t)
	admin := srv.admin(t)
	cfg := srv.config(deltaBase)
	cfg.UPNDomain = "example.test"
	cfg.DeltaOverlap = time.Second
	sink, res := fetch(t, cfg, connector.FetchRequest{})
	require.True(t, res.Full)
	users := sink.byKind(t, record.KindUser)
	require.Len(t, users, 20)
	gone := byAttr(t, users, record.AttrUPN, "user0005@example.test").ID

	dn := func(i int) string { return fmt.Sprintf("uid=user%04d,ou=people,%s", i, deltaBase) }
	mod := goldap.NewModifyRequest(dn(3), nil)
	mod.Replace("mail", []string{"renamed@example.test"})
	require.NoError(t, admin.Modify(mod))
	add := goldap.NewAddRequest(dn(21), nil)
	add.Attribute("objectClass", []string{"inetOrgPerson"})
	add.Attribute("uid", []string{"user0021"})
	add.Attribute("cn", []string{"New Hire"})
	add.Attribute("sn", []string{"Hire"})
	require.NoError(t, admin.Add(add))
	require.NoError(t, admin.Del(goldap.NewDelRequest(dn(5), nil)))
	gmod := goldap.NewModifyRequest("cn=dg,ou=groups,"+deltaBase, nil)
	gmod.Add("member", []string{dn(4)})
	require.NoError(t, admin.Modify(gmod))

	sink, res = fetch(t, cfg, connector.FetchRequest{Cursor: res.Cursor})
	require.False(t, res.Full, "a modifyTimestamp delta")
	users = sink.byKind(t, record.KindUser)
	upns := map[string]record.Record{}
	for _, u := range users {
		upns[u.Attrs[record.AttrUPN]] = u
	}
	require.Contains(t, upns, "user0003@example.test")
	require.Equal(t, "renamed@example.test", upns["user0003@example.test"].Attrs[record.AttrEmail])
	require.Contains(t, upns, "user0021@example.test")
	require.Equal(t, []string{"user0003@example.test", "user0021@example.test"}, keys(upns), "only what changed")
	groups := sink.byKind(t, record.KindGroup)
	require.Len(t, groups, 1, "the changed group only")
	dg := byAttr(t, groups, record.AttrName, "dg")
	require.Len(t, dg.Members.Added, 3, "the group's whole membership")
	require.True(t, dg.Members.Complete)

	// A deleted entry leaves no trace in a delta; the next full run no
	// longer returns it, and says it was full so the engine sweeps.
	sink, res = fetch(t, cfg, connector.FetchRequest{Cursor: res.Cursor, Full: true})
	require.True(t, res.Full)
	users = sink.byKind(t, record.KindUser)
	require.Len(t, users, 20)
	require.NotContains(t, users, gone)

	// A cursor for other base DNs is set aside for a full run.
	other := srv.config(roBase)
	_, res2 := fetch(t, other, connector.FetchRequest{Cursor: res.Cursor})
	require.True(t, res2.Full)
	require.True(t, res2.Resynced)
}

func keys[V any](m map[string]V) []string {
	var out []string
	for k := range m {
		out = append(out, k)
	}
	slices.Sort(out)
	return out
}

// failingSink refuses its second page.
type failingSink struct{ pages int }

func (f *failingSink) Page(context.Context, []record.Record) error {
	f.pages++
	if f.pages == 2 {
		return errors.New("store unavailable")
	}
	return nil
}
func (f *failingSink) Progress(connector.Progress) {}

func TestSlapdFailuresStopTheFetch(t *testing.T) {
	srv := useSlapd(t)
	cfg := srv.config(roBase)
	src, err := open(cfg, "test", nil)
	require.NoError(t, err)

	// A page the sink refuses fails the fetch: no cursor, nothing swept.
	sink := &failingSink{}
	res, err := src.Fetch(t.Context(), connector.FetchRequest{}, sink)
	require.ErrorContains(t, err, "store unavailable")
	require.Empty(t, res.Cursor)
	require.Equal(t, 2, sink.pages, "no page after the refused one")

	// A cancelled run returns the context's error, not a half listing.
	ctx, cancel := context.WithCancel(t.Context())
	cs := &cancelSink{cancel: cancel}
	_, err = src.Fetch(ctx, connector.FetchRequest{}, cs)
	require.ErrorIs(t, err, context.Canceled)
	require.Less(t, cs.pages, roUsers/cfg.PageSize)
}

// cancelSink cancels the run on its third page.
type cancelSink struct {
	pages  int
	cancel func()
}

func (c *cancelSink) Page(context.Context, []record.Record) error {
	c.pages++
	if c.pages == 3 {
		c.cancel()
	}
	return nil
}
func (c *cancelSink) Progress(connector.Progress) {}

func TestSlapdSizeLimitIsNamed(t *testing.T) {
	srv := useSlapd(t)
	cfg := srv.config(roBase)
	cfg.BindDN, cfg.BindPassword = "uid=user0009,ou=people,"+roBase, secretOf(slapdUserPW)
	sink, _ := fetch(t, cfg, connector.FetchRequest{Kinds: []record.Kind{record.KindUser}})
	require.Len(t, sink.byKind(t, record.KindUser), roUsers, "an ordinary account pages through everything")

	cfg.BindDN = "uid=user0010,ou=people," + roBase
	src, err := open(cfg, "test", nil)
	require.NoError(t, err)
	_, err = src.Fetch(t.Context(), connector.FetchRequest{Kinds: []record.Kind{record.KindUser}}, &collect{})
	require.ErrorContains(t, err, "size.prtotal", "the error says what to change")
	require.False(t, connector.IsRetryable(err))
}

func TestSlapdDialectMismatches(t *testing.T) {
	srv := useSlapd(t)
	cfg := srv.config(deltaBase)
	cfg.Dialect = DialectAD
	src, err := open(cfg, "test", nil)
	require.NoError(t, err)
	_, err = src.Fetch(t.Context(), connector.FetchRequest{}, &collect{})
	require.ErrorContains(t, err, "does not announce Active Directory")

	src, err = open(srv.config(deltaBase), "test", nil)
	require.NoError(t, err)
	_, err = src.Fetch(t.Context(), connector.FetchRequest{Kinds: []record.Kind{record.KindUser, record.KindAsset}}, &collect{})
	require.ErrorContains(t, err, "computers (assets) come only from Active Directory")
	require.NoError(t, src.Check(t.Context()))
	ous, err := src.OrgUnits(t.Context())
	require.NoError(t, err)
	require.Equal(t, []string{"ou=delta," + slapdSuffix, "ou=groups,ou=delta," + slapdSuffix, "ou=people,ou=delta," + slapdSuffix}, ous)
}
