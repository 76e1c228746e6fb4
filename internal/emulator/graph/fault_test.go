package graph

import (
	"encoding/base64"
	"encoding/json"
	"io"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
)

func TestExpireDeltaTokensGives410WithLocation(t *testing.T) {
	t.Parallel()
	b := setup(t, Options{})
	b.emu.Generate(120, 3, 6)
	first := b.getPage(t, b.base+"/v1.0/users/delta?$select=displayName,accountEnabled", 50)
	_, delta, _ := b.round(t, first.Next, 50)
	b.emu.ExpireDeltaTokens()

	codes := map[string]bool{}
	for _, u := range []string{first.Next, delta} {
		resp, ge := b.graphError(t, u, http.StatusGone)
		require.True(t, strings.EqualFold(ge.Error.Code, "SyncStateNotFound"), ge.Error.Code)
		codes[ge.Error.Code] = true
		require.Contains(t, ge.Error.Message, "The sync state generation is not found; generation=")
		loc := resp.Header.Get("Location")
		require.Equal(t, b.base+"/v1.0/users/delta?$select=displayName,accountEnabled", loc)
		// The Location restarts a full round.
		items, _, _ := b.round(t, loc, 0)
		require.Len(t, items, 120)
	}
	// Both casings Graph is seen to use appear across tokens.
	for i := 0; len(codes) < 2 && i < 40; i++ {
		_, d, _ := b.round(t, b.base+"/v1.0/users/delta?$deltatoken=latest", 0)
		b.emu.ExpireDeltaTokens()
		_, ge := b.graphError(t, d, http.StatusGone)
		codes[ge.Error.Code] = true
	}
	require.True(t, codes["SyncStateNotFound"] && codes["syncStateNotFound"], "%v", codes)
}

func TestDeltaTokenOlderThanTTLGives410(t *testing.T) {
	t.Parallel()
	clock := newClock()
	b := setup(t, Options{Now: clock.Now, TokenLifetime: 30 * 24 * time.Hour})
	b.emu.Generate(10, 2, 6)
	_, delta, _ := b.round(t, b.base+"/v1.0/groups/delta", 0)
	clock.Advance(6 * 24 * time.Hour)
	_, delta, _ = b.round(t, delta, 0) // still valid; the new link is fresh
	clock.Advance(6 * 24 * time.Hour)
	_, delta, _ = b.round(t, delta, 0)
	clock.Advance(7*24*time.Hour + time.Minute)
	resp, ge := b.graphError(t, delta, http.StatusGone)
	require.True(t, strings.EqualFold(ge.Error.Code, "syncStateNotFound"))
	require.Equal(t, b.base+"/v1.0/groups/delta", resp.Header.Get("Location"))

	// Regenerating the tenant makes every earlier token unknown too.
	_, delta, _ = b.round(t, b.base+"/v1.0/groups/delta", 0)
	b.emu.Generate(10, 2, 7)
	b.graphError(t, delta, http.StatusGone)
}

func TestTamperedTokenGives400(t *testing.T) {
	t.Parallel()
	b := setup(t, Options{})
	b.emu.Generate(30, 2, 6)
	c := b.getPage(t, b.base+"/v1.0/users/delta", 10)
	i := strings.Index(c.Next, "$skiptoken=") + len("$skiptoken=")
	tok := c.Next[i:]
	raw, err := base64.RawURLEncoding.DecodeString(tok)
	require.NoError(t, err)
	raw[30] ^= 0x01 // move the position
	forged := base64.RawURLEncoding.EncodeToString(raw)
	for _, bad := range []string{forged, tok[:len(tok)-4], "not-a-token", tok + "AA"} {
		_, ge := b.graphError(t, c.Next[:i]+bad, http.StatusBadRequest)
		require.Equal(t, "Request_BadRequest", ge.Error.Code)
	}
	_, ge := b.graphError(t, b.base+"/v1.0/users/delta?$deltatoken="+forged, http.StatusBadRequest)
	require.Equal(t, "Request_BadRequest", ge.Error.Code)
}

func TestThrottleFaultGives429WithRetryAfter(t *testing.T) {
	t.Parallel()
	b := setup(t, Options{})
	b.emu.Generate(30, 2, 6)
	b.emu.Inject(Fault{Path: "/users/delta", After: 1, Times: 2, Status: http.StatusTooManyRequests, RetryAfter: "7"})
	c := b.getPage(t, b.base+"/v1.0/users/delta", 10)
	for range 2 {
		resp, ge := b.graphError(t, c.Next, http.StatusTooManyRequests)
		require.Equal(t, "7", resp.Header.Get("Retry-After"))
		require.Equal(t, "TooManyRequests", ge.Error.Code)
		require.NotEmpty(t, resp.Header.Get("x-ms-throttle-scope"))
		require.Equal(t, "ResourceUnitLimitExceeded", resp.Header.Get("x-ms-throttle-information"))
	}
	// The same request then succeeds: the fault does not consume the page.
	items, _, _ := b.round(t, c.Next, 10)
	require.Len(t, items, 20)
	require.Equal(t, int64(2), b.emu.Stats().Throttled)

	// Other paths are not affected by a path-scoped fault; "" matches any.
	b.emu.Inject(Fault{Path: "/groups", Status: http.StatusServiceUnavailable, RetryAfter: "2"})
	b.getPage(t, b.base+"/v1.0/users", 0)
	resp, ge := b.graphError(t, b.base+"/v1.0/groups", http.StatusServiceUnavailable)
	require.Equal(t, "2", resp.Header.Get("Retry-After"))
	require.Equal(t, "serviceNotAvailable", ge.Error.Code)
	b.emu.Inject(Fault{Status: http.StatusInternalServerError})
	b.graphError(t, b.base+"/v1.0/organization", http.StatusInternalServerError)
	b.getPage(t, b.base+"/v1.0/organization", 0)
}

func TestRateLimitGives429(t *testing.T) {
	t.Parallel()
	clock := newClock()
	b := setup(t, Options{RateLimit: 5, Now: clock.Now})
	b.emu.Generate(3, 1, 1)
	for range 5 {
		b.getPage(t, b.base+"/v1.0/organization", 0)
	}
	resp, ge := b.graphError(t, b.base+"/v1.0/organization", http.StatusTooManyRequests)
	require.Equal(t, "TooManyRequests", ge.Error.Code)
	require.Equal(t, "1", resp.Header.Get("Retry-After"))
	clock.Advance(time.Second)
	b.getPage(t, b.base+"/v1.0/organization", 0)
	require.Equal(t, int64(1), b.emu.Stats().Throttled)
}

func TestTruncateFaultCutsTheBody(t *testing.T) {
	t.Parallel()
	b := setup(t, Options{})
	b.emu.Generate(200, 2, 6)
	b.emu.Inject(Fault{Path: "/users/delta", Kind: FaultTruncate})
	req, err := http.NewRequestWithContext(t.Context(), http.MethodGet, b.base+"/v1.0/users/delta", nil)
	require.NoError(t, err)
	req.Header.Set("Authorization", "Bearer "+b.token)
	resp, err := b.client.Do(req)
	require.NoError(t, err)
	defer resp.Body.Close()
	require.Equal(t, http.StatusOK, resp.StatusCode)
	_, err = io.ReadAll(resp.Body)
	require.ErrorIs(t, err, io.ErrUnexpectedEOF)
	// The next request is served in full.
	items, _, _ := b.round(t, b.base+"/v1.0/users/delta", 0)
	require.Len(t, items, 200)
}

func TestMalformedFaultGivesInvalidJSON(t *testing.T) {
	t.Parallel()
	b := setup(t, Options{})
	b.emu.Generate(20, 2, 6)
	b.emu.Inject(Fault{Path: "/users", Kind: FaultMalformed})
	resp, body := b.get(t, b.base+"/v1.0/users/delta", 0)
	require.Equal(t, http.StatusOK, resp.StatusCode)
	require.True(t, strings.HasPrefix(resp.Header.Get("Content-Type"), "application/json"))
	var c collection
	var syntaxErr *json.SyntaxError
	require.ErrorAs(t, json.Unmarshal(body, &c), &syntaxErr)
	require.False(t, json.Valid(body))
}

func TestStatsCountRequests(t *testing.T) {
	t.Parallel()
	b := setup(t, Options{})
	b.emu.Generate(5, 1, 1)
	b.getPage(t, b.base+"/v1.0/users", 0)
	b.getPage(t, b.base+"/v1.0/groups", 0)
	s := b.emu.Stats()
	require.Equal(t, int64(3), s.Requests)
	require.Equal(t, int64(1), s.TokenRequests)
	require.Zero(t, s.Throttled)
}

func TestFaultCountsAfterAndTimes(t *testing.T) {
	t.Parallel()
	e := New(Options{})
	e.Inject(Fault{Path: "/users", After: 2, Times: 2, Status: 503})
	var got []bool
	for range 6 {
		_, hit := e.nextFault("/v1.0/users/delta", false)
		got = append(got, hit)
	}
	require.Equal(t, []bool{false, false, true, true, false, false}, got)
	e.Inject(Fault{Status: 503})
	_, hit := e.nextFault("/t/oauth2/v2.0/token", true)
	require.False(t, hit, "an unscoped fault leaves the token endpoint alone")
	e.Inject(Fault{Path: "token", Status: 503})
	_, hit = e.nextFault("/t/oauth2/v2.0/token", true)
	require.True(t, hit)
}
