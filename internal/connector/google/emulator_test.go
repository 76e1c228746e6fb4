package google

import (
	"context"
	"errors"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/integrator-oss/integrator/internal/connector"
	gemu "github.com/integrator-oss/integrator/internal/emulator/google"
	"github.com/integrator-oss/integrator/internal/record"
	"github.com/integrator-oss/integrator/internal/secret"
)

func TestFullListingPagesToTheEnd(t *testing.T) {
	t.Parallel()
	b := setup(t, gemu.Options{})
	_, groups, err := b.emu.Generate(1200, 5)
	require.NoError(t, err)

	sink, res, err := b.fetch(t)
	require.NoError(t, err)
	require.Equal(t, connector.FetchResult{Full: true}, res)

	recs := sink.records()
	// Groups first, then users; each once.
	var kinds []record.Kind
	seen := map[string]bool{}
	for _, r := range recs {
		if len(kinds) == 0 || kinds[len(kinds)-1] != r.Kind {
			kinds = append(kinds, r.Kind)
		}
		require.False(t, seen[r.ID], "record %s twice", r.ID)
		seen[r.ID] = true
	}
	require.Equal(t, []record.Kind{record.KindGroup, record.KindUser}, kinds)
	byID := sink.byID()
	nUsers := 0
	for _, r := range recs {
		if r.Kind == record.KindUser {
			nUsers++
		}
	}
	require.Equal(t, 1201, nUsers, "1,200 generated users and the administrator")
	require.Len(t, recs, 1201+5)

	// One sink page per users.list page of 500.
	userPages := 0
	for _, p := range sink.pages {
		if p[0].Kind == record.KindUser {
			userPages++
			require.LessOrEqual(t, len(p), usersPageSize)
		}
	}
	require.Equal(t, 3, userPages)

	// Group membership is complete; the second group holds the third as a
	// nested group, so it has the third's users too.
	direct := func(g gemu.Group) []string {
		ms, err := b.emu.Members(g.ID)
		require.NoError(t, err)
		var ids []string
		for _, m := range ms {
			if m.Type == gemu.TypeUser {
				ids = append(ids, m.ID)
			}
		}
		return ids
	}
	g0 := byID[groups[0].ID]
	require.Equal(t, groups[0].Name, g0.Attrs[record.AttrName])
	require.Equal(t, groups[0].Email, g0.Attrs[record.AttrMail])
	require.True(t, g0.Members.Complete)
	require.ElementsMatch(t, direct(groups[0]), g0.Members.Added)
	require.Len(t, direct(groups[0]), 240)
	want := append(direct(groups[1]), direct(groups[2])...)
	slices.Sort(want)
	want = slices.Compact(want)
	require.Equal(t, want, byID[groups[1].ID].Members.Added)

	// The requests: the token, groups.list 1, members.list 2 pages for
	// each of the 5 groups (the nested one is read once and kept), then
	// users.list 3 light and 3 full pages.
	require.Equal(t, int64(1+1+10+6), b.emu.Stats().Requests)
}

func TestUserMapping(t *testing.T) {
	t.Parallel()
	b := setup(t, gemu.Options{})
	// The manager's email sorts after the employee's, so it comes later in
	// the listing.
	emp, err := b.emu.AddUser(gemu.User{PrimaryEmail: "ana@example.com", GivenName: "Ana", FamilyName: "Ruiz",
		OrgUnitPath: "/Sales/EMEA", Title: "Account Executive", Department: "Sales", EmployeeID: "E042",
		ManagerEmail: "Zed.Boss@example.com"})
	require.NoError(t, err)
	boss, err := b.emu.AddUser(gemu.User{PrimaryEmail: "zed.boss@example.com", GivenName: "Zed", FamilyName: "Boss"})
	require.NoError(t, err)
	susp, err := b.emu.AddUser(gemu.User{PrimaryEmail: "sam@example.com", Suspended: true, ManagerEmail: "gone@elsewhere.org"})
	require.NoError(t, err)
	arch, err := b.emu.AddUser(gemu.User{PrimaryEmail: "ari@example.com", Archived: true})
	require.NoError(t, err)

	sink, _, err := b.fetch(t)
	require.NoError(t, err)
	byID := sink.byID()

	got := byID[emp.ID]
	require.Equal(t, record.Record{Kind: record.KindUser, ID: emp.ID, Attrs: map[string]string{
		record.AttrUPN:         "ana@example.com",
		record.AttrEmail:       "ana@example.com",
		record.AttrGivenName:   "Ana",
		record.AttrSurname:     "Ruiz",
		record.AttrDisplayName: "Ana Ruiz",
		record.AttrJobTitle:    "Account Executive",
		record.AttrDepartment:  "Sales",
		record.AttrEmployeeID:  "E042",
		record.AttrManager:     boss.ID,
		record.AttrOrgUnit:     "/Sales/EMEA",
	}}, got)
	require.Equal(t, record.Present, byID[boss.ID].State)
	require.Equal(t, "", byID[boss.ID].Attrs[record.AttrManager])
	require.Equal(t, "/", byID[boss.ID].Attrs[record.AttrOrgUnit])

	require.Equal(t, record.Disabled, byID[susp.ID].State)
	require.Equal(t, ReasonSuspended, byID[susp.ID].Reason)
	require.Equal(t, "", byID[susp.ID].Attrs[record.AttrManager], "a manager outside the listing")
	require.Equal(t, record.Disabled, byID[arch.ID].State)
	require.Equal(t, ReasonArchived, byID[arch.ID].Reason)

	// A move of organisational unit and a cleared title show on the next run.
	require.NoError(t, b.emu.MoveUser(emp.ID, "/Engineering"))
	require.NoError(t, b.emu.UpdateUser(emp.ID, func(u *gemu.User) { u.Title = ""; u.Department = "" }))
	sink, _, err = b.fetch(t)
	require.NoError(t, err)
	got = sink.byID()[emp.ID]
	require.Equal(t, "/Engineering", got.Attrs[record.AttrOrgUnit])
	require.Equal(t, "", got.Attrs[record.AttrJobTitle])
	require.Contains(t, got.Attrs, record.AttrJobTitle)
}

func TestNestedGroupsWithACycleAndLargeGroups(t *testing.T) {
	t.Parallel()
	b := setup(t, gemu.Options{})
	users, _, err := b.emu.Generate(450, 0)
	require.NoError(t, err)
	add := func(email string) gemu.Group {
		g, err := b.emu.AddGroup(gemu.Group{Email: email})
		require.NoError(t, err)
		return g
	}
	big, a, bb, c := add("big@example.com"), add("a@example.com"), add("b@example.com"), add("c@example.com")
	for _, u := range users {
		require.NoError(t, b.emu.AddMember(big.ID, u.ID, ""))
	}
	// a ⊃ b ⊃ c ⊃ a, each with one user of its own; c also holds big.
	require.NoError(t, b.emu.AddMember(a.ID, users[0].ID, ""))
	require.NoError(t, b.emu.AddMember(bb.ID, users[1].ID, ""))
	require.NoError(t, b.emu.AddMember(c.ID, users[2].ID, gemu.RoleOwner))
	require.NoError(t, b.emu.AddMember(a.ID, bb.ID, ""))
	require.NoError(t, b.emu.AddMember(bb.ID, c.ID, ""))
	require.NoError(t, b.emu.AddMember(c.ID, a.ID, ""))
	require.NoError(t, b.emu.AddMember(c.ID, big.ID, ""))

	sink, _, err := b.fetch(t)
	require.NoError(t, err)
	byID := sink.byID()
	all := make([]string, len(users))
	for i, u := range users {
		all[i] = u.ID
	}
	slices.Sort(all)
	require.Equal(t, all, byID[big.ID].Members.Added, "450 members over three pages of 200")
	for _, g := range []gemu.Group{a, bb, c} {
		require.Equal(t, all, byID[g.ID].Members.Added, "group %s holds everyone through the cycle", g.Email)
		require.True(t, byID[g.ID].Members.Complete)
	}
}

func TestExpiredTokenIsRefreshed(t *testing.T) {
	t.Parallel()
	b := setup(t, gemu.Options{})
	_, _, err := b.emu.Generate(20, 2)
	require.NoError(t, err)
	b.emu.Inject(gemu.Fault{Path: "/users", After: 1, Kind: gemu.FaultExpireToken})

	sink, _, err := b.fetch(t)
	require.NoError(t, err)
	require.Len(t, sink.records(), 21+2)
	require.Equal(t, int64(2), b.emu.Stats().TokenRequests)
}

func TestRefusedTokenTwiceIsUnauthorized(t *testing.T) {
	t.Parallel()
	b := setup(t, gemu.Options{})
	b.emu.Inject(gemu.Fault{Path: "/groups", Status: 401, Times: 2})
	_, _, err := b.fetch(t)
	require.ErrorIs(t, err, connector.ErrUnauthorized)
	require.Contains(t, err.Error(), "authError")
}

func TestRateLimitedForbiddenIsRetried(t *testing.T) {
	t.Parallel()
	b := setup(t, gemu.Options{})
	_, _, err := b.emu.Generate(30, 2)
	require.NoError(t, err)
	b.emu.Inject(gemu.Fault{Path: "/users", After: 1, Status: 403, Reason: "userRateLimitExceeded", Times: 2})

	sink, _, err := b.fetch(t)
	require.NoError(t, err)
	require.Len(t, sink.records(), 31+2)
	// Google sends no Retry-After with it: exponential backoff (no jitter).
	require.Equal(t, []time.Duration{500 * time.Millisecond, time.Second}, b.clock.sleeps())
	require.Equal(t, []time.Duration{500 * time.Millisecond, time.Second}, sink.waits())
}

func TestTooManyRequestsHonoursRetryAfter(t *testing.T) {
	t.Parallel()
	b := setup(t, gemu.Options{})
	_, _, err := b.emu.Generate(30, 2)
	require.NoError(t, err)
	b.emu.Inject(gemu.Fault{Path: "/members", Status: 429, RetryAfter: "7"})
	b.emu.Inject(gemu.Fault{Path: "/users", Status: 503, RetryAfter: "2"})

	_, _, err = b.fetch(t)
	require.NoError(t, err)
	require.Equal(t, []time.Duration{7 * time.Second, 2 * time.Second}, b.clock.sleeps())
}

func TestPerMinuteQuotaIsWaitedOut(t *testing.T) {
	t.Parallel()
	// A window of the quota can take up to a minute to end: eight retries
	// back off for 93.5 s in all (no jitter), six only for 31.5 s.
	b := setup(t, gemu.Options{QuotaPerMinute: 4}, func(c *Config) { c.MaxRetries = 8 })
	_, _, err := b.emu.Generate(60, 3)
	require.NoError(t, err)
	b.src.usersPage = 10

	sink, _, err := b.fetch(t)
	require.NoError(t, err)
	require.Len(t, sink.records(), 61+3)
	require.Positive(t, b.emu.Stats().Throttled)

	// With too few retries the quota fails the run, as retryable, and says
	// it was the rate limit.
	b.cfg.MaxRetries = 2
	b.reopen(t)
	_, _, err = b.fetch(t)
	require.True(t, connector.IsRetryable(err), "%v", err)
	require.ErrorContains(t, err, "rate limit")
	require.NotErrorIs(t, err, connector.ErrForbidden)
	var total time.Duration
	for _, d := range b.clock.sleeps() {
		total += d
	}
	// groups.list, 3 members.list, 7 + 7 users.list pages: 18 requests at
	// 4 a minute is four windows to wait out, the first half a minute away.
	require.GreaterOrEqual(t, total, 3*time.Minute+30*time.Second)
}

func TestOtherForbiddenIsNotRetried(t *testing.T) {
	t.Parallel()
	b := setup(t, gemu.Options{})
	b.emu.Inject(gemu.Fault{Path: "/users", Status: 403})
	_, _, err := b.fetch(t)
	require.ErrorIs(t, err, connector.ErrForbidden)
	require.Contains(t, err.Error(), "Not Authorized to access this resource/api")
	require.False(t, connector.IsRetryable(err))
	require.Empty(t, b.clock.sleeps())

	// A subject that is not an administrator gets the same refusal.
	_, err = b.emu.AddUser(gemu.User{PrimaryEmail: "staff@example.com"})
	require.NoError(t, err)
	b.cfg.Subject = "staff@example.com"
	b.reopen(t)
	_, _, err = b.fetch(t)
	require.ErrorIs(t, err, connector.ErrForbidden)
}

func TestFailingPageFailsTheFetch(t *testing.T) {
	t.Parallel()
	for _, f := range []gemu.Fault{
		{Path: "/users", After: 2, Status: 503, Times: 100},
		{Path: "/users", After: 2, Kind: gemu.FaultMalformed},
		{Path: "/users", After: 2, Kind: gemu.FaultTruncate},
		{Path: "/members", After: 1, Status: 500, Times: 100},
	} {
		t.Run(f.Path+" "+f.Kind, func(t *testing.T) {
			t.Parallel()
			b := setup(t, gemu.Options{})
			_, _, err := b.emu.Generate(40, 2)
			require.NoError(t, err)
			b.src.usersPage = 10
			b.emu.Inject(f)
			sink, res, err := b.fetch(t)
			require.Error(t, err)
			require.Equal(t, connector.FetchResult{}, res)
			require.Less(t, len(sink.records()), 41+2)
			require.Contains(t, err.Error(), "page")
			if f.Status >= 500 {
				require.True(t, connector.IsRetryable(err), "%v", err)
			}
		})
	}
}

func TestRefusedCredentials(t *testing.T) {
	t.Parallel()
	t.Run("unknown subject", func(t *testing.T) {
		t.Parallel()
		b := setup(t, gemu.Options{}, func(c *Config) { c.Subject = "nobody@example.com" })
		_, _, err := b.fetch(t)
		require.ErrorIs(t, err, connector.ErrUnauthorized)
		require.Contains(t, err.Error(), "invalid_grant")
		require.Contains(t, err.Error(), "nobody@example.com")
		noKeyMaterial(t, b, err)
	})
	t.Run("delegation missing", func(t *testing.T) {
		t.Parallel()
		b := setup(t, gemu.Options{DelegatedScopes: []string{gemu.ScopeUserReadonly}})
		_, _, err := b.fetch(t)
		require.ErrorIs(t, err, connector.ErrUnauthorized)
		require.Contains(t, err.Error(), "unauthorized_client")
		require.Contains(t, err.Error(), gemu.DefaultClientID)
		require.Contains(t, err.Error(), "admin.directory.group.member.readonly")
		noKeyMaterial(t, b, err)
		require.Error(t, b.src.Check(t.Context()))
	})
	t.Run("key of another account", func(t *testing.T) {
		t.Parallel()
		b := setup(t, gemu.Options{ServiceAccountEmail: "other@p.iam.gserviceaccount.com"})
		other := gemu.New(gemu.Options{})
		b.cfg.CredentialsFile = ""
		b.cfg.Credentials = secret.New(string(other.KeyJSON(b.base)))
		b.reopen(t)
		_, _, err := b.fetch(t)
		require.ErrorIs(t, err, connector.ErrUnauthorized)
		noKeyMaterial(t, b, err)
	})
}

func noKeyMaterial(t *testing.T, b *testBundle, err error) {
	t.Helper()
	for _, s := range []string{err.Error(), b.logs.String()} {
		require.NotContains(t, s, "PRIVATE KEY")
		require.NotContains(t, s, "MII")
		require.NotContains(t, s, "ya29.")
	}
}

func TestCheck(t *testing.T) {
	t.Parallel()
	b := setup(t, gemu.Options{})
	require.NoError(t, b.src.Check(t.Context()))

	b.emu.Inject(gemu.Fault{Path: "/groups", Status: 403, Reason: "insufficientPermissions"})
	err := b.src.Check(t.Context())
	require.ErrorIs(t, err, connector.ErrForbidden)
	require.Contains(t, err.Error(), "admin.directory.group.readonly")
}

func TestKindsAndCancellation(t *testing.T) {
	t.Parallel()
	b := setup(t, gemu.Options{})
	_, _, err := b.emu.Generate(10, 2)
	require.NoError(t, err)

	sink := &testSink{}
	_, err = b.src.Fetch(t.Context(), connector.FetchRequest{Kinds: []record.Kind{record.KindUser}}, sink)
	require.NoError(t, err)
	for _, r := range sink.records() {
		require.Equal(t, record.KindUser, r.Kind)
	}
	_, err = b.src.Fetch(t.Context(), connector.FetchRequest{Kinds: []record.Kind{record.KindAsset}}, sink)
	require.ErrorContains(t, err, `does not fetch "asset"`)

	ctx, cancel := context.WithCancel(t.Context())
	cancel()
	_, err = b.src.Fetch(ctx, connector.FetchRequest{}, &testSink{})
	require.True(t, errors.Is(err, context.Canceled), "%v", err)
	require.False(t, strings.Contains(err.Error(), "pageToken"))
}
