package ldap

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"log/slog"
	"os"
	"path/filepath"
	"strconv"
	"testing"
	"time"

	goldap "github.com/go-ldap/ldap/v3"
	"github.com/stretchr/testify/require"

	"github.com/integrator-oss/integrator/internal/connector"
	"github.com/integrator-oss/integrator/internal/engine"
	"github.com/integrator-oss/integrator/internal/integration"
	"github.com/integrator-oss/integrator/internal/record"
	"github.com/integrator-oss/integrator/internal/store"
	"github.com/integrator-oss/integrator/internal/store/sqlite"
)

// The BENCHMARKS.md "LDAP" figures. Heavy: run with
//
//	INTEGRATOR_HEAVY=1 go test ./internal/connector/ldap/ -run Heavy -v -timeout 30m
//
// (INTEGRATOR_LDAP_SLAPD_USERS, default 50000, and INTEGRATOR_LDAP_AD_USERS,
// default 10000, set the directory sizes.)

func heavy(t *testing.T) {
	t.Helper()
	if os.Getenv("INTEGRATOR_HEAVY") != "1" {
		t.Skip("set INTEGRATOR_HEAVY=1 to run the LDAP benchmarks")
	}
}

func envInt(name string, def int) int {
	if n, err := strconv.Atoi(os.Getenv(name)); err == nil && n > 0 {
		return n
	}
	return def
}

// countSink counts records and keeps nothing.
type countSink struct{ n map[record.Kind]int }

func (c *countSink) Page(_ context.Context, recs []record.Record) error {
	for _, r := range recs {
		c.n[r.Kind]++
	}
	return nil
}
func (c *countSink) Progress(connector.Progress) {}

// rawPagedSearch times a paged search of the same users, attributes and
// page size as the connector, with no mapping: the server's and the
// protocol's share of a full run.
func rawPagedSearch(t *testing.T, src *Source, base, filter string, attrs []string) (int, time.Duration) {
	t.Helper()
	ss, err := src.dial(t.Context())
	require.NoError(t, err)
	defer ss.close()
	n := 0
	start := time.Now()
	require.NoError(t, ss.search(t.Context(), base, filter, attrs, func(es []*goldap.Entry) error { n += len(es); return nil }))
	return n, time.Since(start)
}

type engineBundle struct {
	st    store.Store
	eng   *engine.Engine
	integ *store.Integration
	set   integration.Settings
}

func newEngine(t *testing.T) *engineBundle {
	t.Helper()
	ctx := t.Context()
	logger := slog.New(slog.NewTextHandler(io.Discard, nil))
	st, err := sqlite.Open(ctx, filepath.Join(t.TempDir(), "bench.db"), logger)
	require.NoError(t, err)
	t.Cleanup(func() { st.Close() })
	var integ *store.Integration
	require.NoError(t, st.Tx(ctx, func(tx store.Tx) error {
		integ, err = tx.IntegrationUpsert(ctx, &store.IntegrationUpsertParams{Name: "bench", Type: "ldap", Enabled: true})
		return err
	}))
	set := integration.Settings{Name: "bench", Type: "ldap", Enabled: true, Scope: integration.Scope{AllUsers: true}}.WithDefaults()
	set.Threshold.MaxPercent, set.Threshold.MaxCount = -1, -1
	return &engineBundle{st: st, eng: engine.New(st, logger), integ: integ, set: set}
}

func (b *engineBundle) run(t *testing.T, src connector.Source) (*engine.Result, time.Duration) {
	t.Helper()
	start := time.Now()
	res, err := b.eng.Run(t.Context(), engine.RunParams{Integration: b.integ, Settings: b.set, Source: src, Trigger: "bench"})
	require.NoError(t, err)
	return res, time.Since(start)
}

func rate(n int, d time.Duration) string {
	return fmt.Sprintf("%.0f users/s", float64(n)/d.Seconds())
}

// benchDirectory measures one directory: raw paged search, connector full
// fetch, engine full sync, 100 changes, connector delta, engine delta.
func benchDirectory(t *testing.T, name string, cfg Config, users int, change func(i int)) {
	src, err := open(cfg, "bench", nil)
	require.NoError(t, err)
	info := infoOf(DialectLDAP)
	attrs := ldapUserAttrs
	if name == "samba" {
		info, attrs = infoOf(DialectAD), adUserAttrs
	}
	n, raw := rawPagedSearch(t, src, cfg.BaseDNs[0], info.userFilter, attrs)
	require.Equal(t, users, n)
	t.Logf("%s: raw paged search of %d users (page %d): %s (%s)", name, n, cfg.PageSize, raw.Round(time.Millisecond), rate(n, raw))

	sink := &countSink{n: map[record.Kind]int{}}
	start := time.Now()
	res, err := src.Fetch(t.Context(), connector.FetchRequest{}, sink)
	require.NoError(t, err)
	fetchTime := time.Since(start)
	require.Equal(t, users, sink.n[record.KindUser])
	t.Logf("%s: connector full fetch (groups %d, users %d): %s (%s)", name, sink.n[record.KindGroup], sink.n[record.KindUser],
		fetchTime.Round(time.Millisecond), rate(users, fetchTime))

	b := newEngine(t)
	eres, d := b.run(t, src)
	require.Equal(t, int64(users), eres.Run.ByKind[record.KindUser].Created)
	t.Logf("%s: engine full sync into SQLite: %s (%s)", name, d.Round(time.Millisecond), rate(users, d))

	for i := 1; i <= 100; i++ {
		change(i)
	}
	sink = &countSink{n: map[record.Kind]int{}}
	start = time.Now()
	dres, err := src.Fetch(t.Context(), connector.FetchRequest{Cursor: res.Cursor}, sink)
	require.NoError(t, err)
	require.False(t, dres.Full)
	t.Logf("%s: connector delta after 100 changes: %d users in %s", name, sink.n[record.KindUser], time.Since(start).Round(time.Millisecond))
	eres, d = b.run(t, src)
	require.False(t, eres.Run.Full)
	t.Logf("%s: engine delta run after 100 changes: %d updated in %s", name, eres.Run.ByKind[record.KindUser].Updated, d.Round(time.Millisecond))
}

func TestHeavySlapdBenchmark(t *testing.T) {
	heavy(t)
	if _, err := os.Stat("/usr/sbin/slapd"); err != nil {
		t.Skip("slapd is not installed")
	}
	users := envInt("INTEGRATOR_LDAP_SLAPD_USERS", 50000)
	base := "ou=bench," + slapdSuffix
	start := time.Now()
	srv, err := startSlapd(func(b *bytes.Buffer) {
		fmt.Fprintf(b, "dn: %s\nobjectClass: organizationalUnit\nou: bench\n%s\n", base, oldStamp)
		for i := 1; i <= users; i++ {
			fmt.Fprintf(b, "dn: uid=u%06[1]d,%[2]s\nobjectClass: inetOrgPerson\nuid: u%06[1]d\ncn: User %06[1]d\nsn: N%06[1]d\ngivenName: User\nmail: u%06[1]d@example.test\nemployeeNumber: %[1]d\ntitle: Clerk\n%[3]s\n",
				i, base, oldStamp)
		}
		for g := 0; g < 50; g++ {
			fmt.Fprintf(b, "dn: cn=g%02d,%s\nobjectClass: groupOfNames\ncn: g%02d\n", g, base, g)
			for i := g + 1; i <= users; i += 50 {
				fmt.Fprintf(b, "member: uid=u%06d,%s\n", i, base)
			}
			fmt.Fprintf(b, "%s\n", oldStamp)
		}
	})
	require.NoError(t, err)
	t.Logf("slapd: %d users and 50 groups loaded with slapadd and started in %s", users, time.Since(start).Round(time.Millisecond))
	admin := srv.admin(t)
	cfg := srv.config(base)
	cfg.PageSize = 1000
	cfg.DeltaOverlap = time.Second
	benchDirectory(t, "slapd", cfg, users, func(i int) {
		m := goldap.NewModifyRequest(fmt.Sprintf("uid=u%06d,%s", i*37, base), nil)
		m.Replace("title", []string{"Senior Clerk"})
		require.NoError(t, admin.Modify(m))
	})
}

func TestHeavySambaBenchmark(t *testing.T) {
	heavy(t)
	srv := useSamba(t)
	users := envInt("INTEGRATOR_LDAP_AD_USERS", 10000)
	admin := srv.admin(t)
	base := "OU=Bench," + sambaDomain
	start := time.Now()
	add := goldap.NewAddRequest(base, nil)
	add.Attribute("objectClass", []string{"organizationalUnit"})
	require.NoError(t, admin.Add(add))
	for i := 1; i <= users; i++ {
		cn := fmt.Sprintf("b%06d", i)
		a := goldap.NewAddRequest("CN="+cn+","+base, nil)
		a.Attribute("objectClass", []string{"user"})
		a.Attribute("sAMAccountName", []string{cn})
		a.Attribute("userPrincipalName", []string{cn + "@corp.example.test"})
		a.Attribute("givenName", []string{"User"})
		a.Attribute("sn", []string{cn})
		a.Attribute("mail", []string{cn + "@corp.example.test"})
		a.Attribute("title", []string{"Clerk"})
		a.Attribute("userAccountControl", []string{"544"})
		require.NoError(t, admin.Add(a))
	}
	for g := 0; g < 10; g++ {
		a := goldap.NewAddRequest(fmt.Sprintf("CN=bg%02d,%s", g, base), nil)
		a.Attribute("objectClass", []string{"group"})
		a.Attribute("sAMAccountName", []string{fmt.Sprintf("bg%02d", g)})
		var members []string
		for i := g + 1; i <= users; i += 10 {
			members = append(members, fmt.Sprintf("CN=b%06d,%s", i, base))
		}
		a.Attribute("member", members)
		require.NoError(t, admin.Add(a))
	}
	t.Logf("samba: %d users and 10 groups added over LDAP in %s", users, time.Since(start).Round(time.Millisecond))
	cfg := srv.config(base)
	cfg.PageSize = 1000
	benchDirectory(t, "samba", cfg, users, func(i int) {
		modify(t, admin, fmt.Sprintf("CN=b%06d,%s", i*37%users+1, base), "title", "Senior Clerk")
	})
}
