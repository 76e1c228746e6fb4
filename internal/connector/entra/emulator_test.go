package entra

import (
	"context"
	"slices"
	"sort"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/integrator-oss/integrator/internal/connector"
	"github.com/integrator-oss/integrator/internal/connector/msgraph"
	"github.com/integrator-oss/integrator/internal/emulator/graph"
	"github.com/integrator-oss/integrator/internal/httpclient"
	"github.com/integrator-oss/integrator/internal/record"
	"github.com/integrator-oss/integrator/internal/secret"
)

const emuSecret = "emulator-secret-Hq4~Vb"

// emuBundle is a source opened against a Graph emulator.
type emuBundle struct {
	emu   *graph.Emulator
	base  string
	src   *Source
	sleep *fakeSleep
	logs  *logBuffer
}

func (b *emuBundle) config() Config {
	return Config{
		TenantID:     b.emu.TenantID(),
		ClientID:     b.emu.ClientID(),
		ClientSecret: secret.New(emuSecret),
		AuthorityURL: b.base,
		GraphURL:     b.emu.GraphURL(b.base),
	}.WithDefaults()
}

// setupEmulator starts an emulator (exact deliveries: no replays) and opens
// a source against it; mod may change the connector's configuration.
func setupEmulator(t *testing.T, opts graph.Options, mod func(*Config)) *emuBundle {
	t.Helper()
	if opts.ClientSecret == "" {
		opts.ClientSecret = emuSecret
	}
	opts.DisableReplay = true
	b := &emuBundle{emu: graph.New(opts), sleep: &fakeSleep{}, logs: &logBuffer{}}
	b.base = b.emu.StartTest(t)
	cfg := b.config()
	if mod != nil {
		mod(&cfg)
	}
	src, err := open(cfg, "contoso", b.logs.logger(), httpclient.Options{Sleep: b.sleep.sleep})
	require.NoError(t, err)
	t.Cleanup(func() { require.NoError(t, src.Close()) })
	b.src = src
	return b
}

func (b *emuBundle) fetch(t *testing.T, req connector.FetchRequest) (connector.FetchResult, *testSink, error) {
	t.Helper()
	sink := &testSink{}
	res, err := b.src.Fetch(t.Context(), req, sink)
	return res, sink, err
}

// byKind splits records and checks that no ID repeats within users.
func usersOf(recs []record.Record) []record.Record {
	var out []record.Record
	for _, r := range recs {
		if r.Kind == record.KindUser {
			out = append(out, r)
		}
	}
	return out
}

// requireEachUserOnce checks that the users delivered are exactly the
// emulator's active users, each once.
func requireEachUserOnce(t *testing.T, emu *graph.Emulator, recs []record.Record) {
	t.Helper()
	seen := map[string]int{}
	for _, r := range usersOf(recs) {
		seen[r.ID]++
	}
	want := emu.Users()
	require.Len(t, seen, len(want))
	for _, u := range want {
		require.Equal(t, 1, seen[u.ID], "user %s delivered %d times", u.ID, seen[u.ID])
	}
}

func TestEmulatorFullRound(t *testing.T) {
	t.Parallel()
	b := setupEmulator(t, graph.Options{PageSize: 100}, nil)
	b.emu.Generate(2500, 10, 7)

	res, sink, err := b.fetch(t, connector.FetchRequest{Kinds: []record.Kind{record.KindUser, record.KindGroup}})
	require.NoError(t, err)
	require.True(t, res.Full)
	recs := sink.records()
	requireEachUserOnce(t, b.emu, recs)

	// Groups arrive before the first user.
	firstUser := -1
	for i, r := range recs {
		if r.Kind == record.KindUser && firstUser < 0 {
			firstUser = i
		}
		if r.Kind == record.KindGroup {
			require.Less(t, firstUser, 0, "group after a user")
		}
	}

	// Pages are streamed: never more than a page's worth at once.
	for _, p := range sink.pages {
		require.LessOrEqual(t, len(p), 100)
	}
	require.GreaterOrEqual(t, len(sink.pages), 25)

	// Memberships merged over repeated group slices equal the tenant's.
	members := map[string]map[string]bool{}
	names := map[string]string{}
	repeated := false
	for _, r := range recs {
		if r.Kind != record.KindGroup {
			continue
		}
		if _, ok := members[r.ID]; ok {
			repeated = true
		} else {
			members[r.ID] = map[string]bool{}
		}
		if n, ok := r.Attrs[record.AttrName]; ok {
			names[r.ID] = n
		}
		require.NotNil(t, r.Members)
		require.Empty(t, r.Members.Removed)
		for _, id := range r.Members.Added {
			members[r.ID][id] = true
		}
	}
	require.True(t, repeated, "groups of 250 members span several slices")
	groups := b.emu.Groups()
	require.Len(t, members, len(groups))
	for _, g := range groups {
		want := b.emu.Members(g.ID)
		got := make([]string, 0, len(members[g.ID]))
		for id := range members[g.ID] {
			got = append(got, id)
		}
		sort.Strings(want)
		sort.Strings(got)
		require.Equal(t, want, got, "members of %s", g.DisplayName)
		require.Equal(t, g.DisplayName, names[g.ID])
	}

	// Attributes and states match the tenant.
	byID := map[string]record.Record{}
	for _, r := range usersOf(recs) {
		byID[r.ID] = r
	}
	disabled := 0
	for _, u := range b.emu.Users() {
		r := byID[u.ID]
		require.Equal(t, u.UserPrincipalName, r.Attrs[record.AttrUPN])
		require.Equal(t, u.Mail, r.Attrs[record.AttrEmail])
		require.Equal(t, u.DisplayName, r.Attrs[record.AttrDisplayName])
		require.Equal(t, u.GivenName, r.Attrs[record.AttrGivenName])
		require.Equal(t, u.Surname, r.Attrs[record.AttrSurname])
		require.Equal(t, u.EmployeeID, r.Attrs[record.AttrEmployeeID])
		require.Equal(t, u.OnPremisesImmutableID, r.Attrs[record.AttrImmutableID])
		require.Equal(t, u.UserType, r.Attrs[record.AttrUserType])
		if u.ManagerID != "" {
			require.Equal(t, u.ManagerID, r.Attrs[record.AttrManager])
		}
		if u.AccountEnabled {
			require.Equal(t, record.Present, r.State)
		} else {
			disabled++
			require.Equal(t, record.Disabled, r.State)
			require.Equal(t, ReasonDisabled, r.Reason)
		}
	}
	require.Positive(t, disabled)
	require.Equal(t, int(b.emu.Stats().Requests), sink.requests(), "progress counts every request")
}

func TestEmulatorDeltaMapsEachChange(t *testing.T) {
	t.Parallel()
	b := setupEmulator(t, graph.Options{PageSize: 50}, nil)
	b.emu.Generate(200, 3, 11)
	res, _, err := b.fetch(t, connector.FetchRequest{})
	require.NoError(t, err)

	users := b.emu.Users()
	renamed, disabled, softDeleted, hardDeleted, restored := users[10].ID, users[11].ID, users[12].ID, users[13].ID, users[14].ID
	group := b.emu.Groups()[0].ID
	var joiner string
	for _, u := range users[20:] {
		if !slices.Contains(b.emu.Members(group), u.ID) {
			joiner = u.ID
			break
		}
	}
	require.NoError(t, b.emu.SoftDeleteUser(restored))

	// Round 2 sees the soft delete of "restored".
	res, sink, err := b.fetch(t, connector.FetchRequest{Cursor: res.Cursor})
	require.NoError(t, err)
	require.False(t, res.Full)
	got := lastByID(sink.records(), record.KindUser)
	require.Equal(t, record.Removed, got[restored].State)
	require.Equal(t, ReasonSoftDeleted, got[restored].Reason)

	hired := b.emu.AddUser(graph.User{UserPrincipalName: "new.hire@contoso.com", Mail: "new.hire@contoso.com",
		DisplayName: "New Hire", GivenName: "New", Surname: "Hire", AccountEnabled: true, UserType: "Member"})
	require.NoError(t, b.emu.UpdateUser(renamed, func(u *graph.User) { u.DisplayName = "Renamed Person"; u.Surname = "Person" }))
	require.NoError(t, b.emu.UpdateUser(disabled, func(u *graph.User) { u.AccountEnabled = false }))
	require.NoError(t, b.emu.SoftDeleteUser(softDeleted))
	require.NoError(t, b.emu.HardDeleteUser(hardDeleted))
	require.NoError(t, b.emu.RestoreUser(restored))
	var member string
	for _, id := range b.emu.Members(group) {
		if id != restored && id != softDeleted && id != hardDeleted {
			member = id
			break
		}
	}
	require.NotEmpty(t, member)
	require.NoError(t, b.emu.RemoveMember(group, member))
	require.NoError(t, b.emu.AddMember(group, joiner))

	res, sink, err = b.fetch(t, connector.FetchRequest{Cursor: res.Cursor})
	require.NoError(t, err)
	require.False(t, res.Full)
	require.False(t, res.Resynced)
	got = lastByID(sink.records(), record.KindUser)

	require.Equal(t, record.Present, got[hired].State)
	require.Equal(t, "new.hire@contoso.com", got[hired].Attrs[record.AttrUPN])
	require.Equal(t, "Renamed Person", got[renamed].Attrs[record.AttrDisplayName])
	require.Equal(t, "Person", got[renamed].Attrs[record.AttrSurname])
	require.Equal(t, record.Disabled, got[disabled].State)
	require.Equal(t, ReasonDisabled, got[disabled].Reason)
	require.Equal(t, record.Record{Kind: record.KindUser, ID: softDeleted, State: record.Removed, Reason: ReasonSoftDeleted}, got[softDeleted])
	require.Equal(t, record.Record{Kind: record.KindUser, ID: hardDeleted, State: record.Removed, Reason: ReasonDeleted}, got[hardDeleted])
	require.Equal(t, record.Present, got[restored].State)
	require.NotEmpty(t, got[restored].Attrs[record.AttrUPN])
	_, untouched := got[users[100].ID]
	require.False(t, untouched, "a delta round carries only changes")

	var added, removed []string
	for _, r := range sink.records() {
		if r.Kind == record.KindGroup && r.ID == group {
			added = append(added, r.Members.Added...)
			removed = append(removed, r.Members.Removed...)
		}
	}
	require.Contains(t, removed, member)
	require.Contains(t, added, joiner)
}

// lastByID keeps the last record of each ID of one kind (delta rounds may
// repeat an object; the last one is its latest state).
func lastByID(recs []record.Record, kind record.Kind) map[string]record.Record {
	out := map[string]record.Record{}
	for _, r := range recs {
		if r.Kind == kind {
			out[r.ID] = r
		}
	}
	return out
}

func TestEmulatorManagerChanges(t *testing.T) {
	t.Parallel()
	b := setupEmulator(t, graph.Options{}, nil)
	boss := b.emu.AddUser(graph.User{UserPrincipalName: "boss@contoso.com", DisplayName: "Boss", AccountEnabled: true})
	worker := b.emu.AddUser(graph.User{UserPrincipalName: "worker@contoso.com", DisplayName: "Worker", AccountEnabled: true, ManagerID: boss})
	res, sink, err := b.fetch(t, connector.FetchRequest{})
	require.NoError(t, err)
	require.Equal(t, boss, lastByID(sink.records(), record.KindUser)[worker].Attrs[record.AttrManager])
	_, reported := lastByID(sink.records(), record.KindUser)[boss].Attrs[record.AttrManager]
	require.False(t, reported, "no manager is not reported as an empty manager in a full round")

	require.NoError(t, b.emu.HardDeleteUser(boss))
	_, sink, err = b.fetch(t, connector.FetchRequest{Cursor: res.Cursor})
	require.NoError(t, err)
	got := lastByID(sink.records(), record.KindUser)
	m, ok := got[worker].Attrs[record.AttrManager]
	require.True(t, ok, "a removed manager is reported")
	require.Empty(t, m)
}

func TestEmulatorThrottlingMidPaging(t *testing.T) {
	t.Parallel()
	b := setupEmulator(t, graph.Options{PageSize: 100}, nil)
	b.emu.Generate(1000, 4, 3)
	b.emu.Inject(graph.Fault{Path: "/users/delta", After: 3, Times: 2, Status: 429, RetryAfter: "5"})

	_, sink, err := b.fetch(t, connector.FetchRequest{})
	require.NoError(t, err)
	requireEachUserOnce(t, b.emu, sink.records())
	require.Equal(t, []time.Duration{5 * time.Second, 5 * time.Second}, b.sleep.slept)
	require.Equal(t, []time.Duration{5 * time.Second, 5 * time.Second}, sink.waits(), "waits are reported as progress")
	require.Equal(t, int64(2), b.emu.Stats().Throttled)
}

func TestEmulatorUnavailableThenSuccess(t *testing.T) {
	t.Parallel()
	b := setupEmulator(t, graph.Options{PageSize: 100}, nil)
	b.emu.Generate(300, 2, 3)
	b.emu.Inject(graph.Fault{Path: "/groups/delta", Status: 503})
	_, sink, err := b.fetch(t, connector.FetchRequest{})
	require.NoError(t, err)
	requireEachUserOnce(t, b.emu, sink.records())
	require.Len(t, b.sleep.slept, 1)
	require.GreaterOrEqual(t, b.sleep.slept[0], 500*time.Millisecond, "backoff without Retry-After")
}

func TestEmulatorServerErrorForever(t *testing.T) {
	t.Parallel()
	b := setupEmulator(t, graph.Options{PageSize: 100}, nil)
	b.emu.Generate(500, 2, 3)
	b.emu.Inject(graph.Fault{Path: "/users/delta", After: 2, Times: 1000, Status: 500})
	res, sink, err := b.fetch(t, connector.FetchRequest{})
	require.Error(t, err)
	require.Equal(t, connector.FetchResult{}, res, "no cursor after a failed fetch")
	require.True(t, connector.IsRetryable(err))
	require.ErrorContains(t, err, "users page 3 (/v1.0/users/delta)")
	require.ErrorContains(t, err, "500")
	require.NotContains(t, err.Error(), "skiptoken")
	require.Len(t, b.sleep.slept, httpclient.DefaultMaxRetries)
	require.Len(t, usersOf(sink.records()), 200, "the two pages before the failure, nothing more")
}

func TestEmulatorMalformedPage(t *testing.T) {
	t.Parallel()
	b := setupEmulator(t, graph.Options{PageSize: 100}, nil)
	b.emu.Generate(500, 2, 3)
	b.emu.Inject(graph.Fault{Path: "/users/delta", After: 3, Kind: graph.FaultMalformed})
	res, _, err := b.fetch(t, connector.FetchRequest{})
	require.Error(t, err)
	require.Empty(t, res.Cursor)
	require.ErrorContains(t, err, "users page 4 (/v1.0/users/delta)")
	require.ErrorContains(t, err, "decoding the response")
	require.False(t, connector.IsRetryable(err))
}

func TestEmulatorTruncatedBody(t *testing.T) {
	t.Parallel()
	b := setupEmulator(t, graph.Options{PageSize: 100}, nil)
	b.emu.Generate(500, 2, 3)
	b.emu.Inject(graph.Fault{Path: "/users/delta", After: 1, Kind: graph.FaultTruncate})
	res, _, err := b.fetch(t, connector.FetchRequest{})
	require.Error(t, err)
	require.Empty(t, res.Cursor)
	require.ErrorContains(t, err, "users page 2")
	require.True(t, connector.IsRetryable(err), "a cut body is transient: %v", err)
}

func TestEmulatorExpiredDeltaTokensResync(t *testing.T) {
	t.Parallel()
	b := setupEmulator(t, graph.Options{PageSize: 100}, nil)
	b.emu.Generate(400, 3, 5)
	res, _, err := b.fetch(t, connector.FetchRequest{})
	require.NoError(t, err)

	b.emu.ExpireDeltaTokens()
	hired := b.emu.AddUser(graph.User{UserPrincipalName: "late@contoso.com", DisplayName: "Late", AccountEnabled: true})
	res2, sink, err := b.fetch(t, connector.FetchRequest{Cursor: res.Cursor})
	require.NoError(t, err)
	require.True(t, res2.Full)
	require.True(t, res2.Resynced)
	requireEachUserOnce(t, b.emu, sink.records())
	require.Contains(t, lastByID(sink.records(), record.KindUser), hired)
	require.NotEqual(t, res.Cursor, res2.Cursor)

	// The new cursor works for a plain delta round.
	res3, _, err := b.fetch(t, connector.FetchRequest{Cursor: res2.Cursor})
	require.NoError(t, err)
	require.False(t, res3.Full)
	require.False(t, res3.Resynced)
}

func TestEmulatorGoneDuringResyncFails(t *testing.T) {
	t.Parallel()
	b := setupEmulator(t, graph.Options{PageSize: 100}, nil)
	b.emu.Generate(100, 2, 5)
	res, _, err := b.fetch(t, connector.FetchRequest{})
	require.NoError(t, err)
	b.emu.Inject(graph.Fault{Path: "/groups/delta", Status: 410, Times: 2})
	_, _, err = b.fetch(t, connector.FetchRequest{Cursor: res.Cursor})
	require.ErrorContains(t, err, "again during the full resync")
}

func TestEmulatorExpiredAccessToken(t *testing.T) {
	t.Parallel()
	b := setupEmulator(t, graph.Options{PageSize: 100}, nil)
	b.emu.Generate(500, 2, 3)
	b.emu.Inject(graph.Fault{Path: "/users/delta", After: 2, Kind: graph.FaultExpireToken})
	_, sink, err := b.fetch(t, connector.FetchRequest{})
	require.NoError(t, err)
	requireEachUserOnce(t, b.emu, sink.records())
	require.Equal(t, int64(2), b.emu.Stats().TokenRequests, "exactly one refresh")
}

func TestEmulatorWrongSecret(t *testing.T) {
	t.Parallel()
	const wrong = "not-the-secret-Pw8"
	b := setupEmulator(t, graph.Options{}, func(c *Config) { c.ClientSecret = secret.New(wrong) })
	b.emu.Generate(10, 1, 1)
	_, _, err := b.fetch(t, connector.FetchRequest{})
	require.ErrorIs(t, err, connector.ErrUnauthorized)
	require.ErrorContains(t, err, "invalid_client")
	require.NotContains(t, err.Error(), wrong)
	require.NotContains(t, err.Error(), emuSecret)
	require.NotContains(t, b.logs.String(), wrong)

	err = b.src.Check(t.Context())
	require.ErrorIs(t, err, connector.ErrUnauthorized)
	require.NotContains(t, err.Error(), wrong)
}

func TestEmulatorCertificateCredentials(t *testing.T) {
	t.Parallel()
	tc := loadTestCert(t)
	certFile, keyFile := tc.writeFiles(t)
	cert, err := msgraph.LoadCertificate(certFile, keyFile)
	require.NoError(t, err)

	b := setupEmulator(t, graph.Options{ClientSecret: "unused-Ee3", CertThumbprint: cert.X5T(), CertPublicKey: &tc.key.PublicKey},
		func(c *Config) {
			c.ClientSecret = secret.String{}
			c.CertificateFile, c.PrivateKeyFile = certFile, keyFile
		})
	b.emu.Generate(150, 2, 9)
	_, sink, err := b.fetch(t, connector.FetchRequest{})
	require.NoError(t, err)
	requireEachUserOnce(t, b.emu, sink.records())
	require.NoError(t, b.src.Check(t.Context()))

	// A certificate the tenant does not know is refused as unauthorized.
	other := setupEmulator(t, graph.Options{ClientSecret: "unused-Ee3"}, func(c *Config) {
		c.ClientSecret = secret.String{}
		c.CertificateFile, c.PrivateKeyFile = certFile, keyFile
	})
	_, _, err = other.fetch(t, connector.FetchRequest{})
	require.ErrorIs(t, err, connector.ErrUnauthorized)
}

func TestEmulatorCheck(t *testing.T) {
	t.Parallel()
	b := setupEmulator(t, graph.Options{}, nil)
	b.emu.Generate(10, 1, 1)
	require.NoError(t, b.src.Check(t.Context()))
}

func TestEmulatorNoSecretsInLogs(t *testing.T) {
	t.Parallel()
	b := setupEmulator(t, graph.Options{PageSize: 50}, nil)
	b.emu.Generate(300, 3, 2)
	b.emu.Inject(graph.Fault{Path: "/users/delta", After: 1, Status: 429, RetryAfter: "1"})
	b.emu.Inject(graph.Fault{Path: "/users/delta", After: 3, Kind: graph.FaultExpireToken})
	res, _, err := b.fetch(t, connector.FetchRequest{})
	require.NoError(t, err)
	b.emu.ExpireDeltaTokens()
	_, _, err = b.fetch(t, connector.FetchRequest{Cursor: res.Cursor})
	require.NoError(t, err)
	require.NoError(t, b.src.Check(t.Context()))

	logs := b.logs.String()
	require.Contains(t, logs, "fetched page", "debug logging was captured")
	require.Contains(t, logs, "retrying request")
	require.NotContains(t, logs, emuSecret)
	require.NotContains(t, logs, "Bearer")
	require.NotContains(t, logs, "client_assertion")
	require.NotContains(t, logs, "skiptoken")
	require.NotContains(t, logs, "deltatoken")
}

func TestEmulatorCancellation(t *testing.T) {
	t.Parallel()
	b := setupEmulator(t, graph.Options{PageSize: 50}, nil)
	b.emu.Generate(500, 2, 2)
	ctx, cancel := context.WithCancel(t.Context())
	sink := &cancelSink{testSink: &testSink{}, cancel: cancel, after: 3}
	_, err := b.src.Fetch(ctx, connector.FetchRequest{}, sink)
	require.ErrorIs(t, err, context.Canceled)
	require.Len(t, sink.pages, 3, "no page is handed on after cancellation")
}

// cancelSink cancels the fetch's context after a number of pages.
type cancelSink struct {
	*testSink
	cancel context.CancelFunc
	after  int
}

func (s *cancelSink) Page(ctx context.Context, recs []record.Record) error {
	if err := s.testSink.Page(ctx, recs); err != nil {
		return err
	}
	if len(s.pages) == s.after {
		s.cancel()
	}
	return nil
}
