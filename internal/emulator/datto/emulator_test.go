package datto

import (
	"encoding/json"
	"io"
	"net/http"
	"net/url"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
)

type testClient struct {
	t    *testing.T
	base string
	tok  string
}

func (c *testClient) token(key, secret string) (int, map[string]any) {
	c.t.Helper()
	form := url.Values{"grant_type": {"password"}, "username": {key}, "password": {secret}}
	req, err := http.NewRequest(http.MethodPost, c.base+"/auth/oauth/token", strings.NewReader(form.Encode()))
	require.NoError(c.t, err)
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	req.SetBasicAuth(PublicClientID, PublicClientSecret)
	return c.do(req)
}

func (c *testClient) get(rawURL string) (int, map[string]any, http.Header) {
	c.t.Helper()
	if !strings.HasPrefix(rawURL, "http") {
		rawURL = c.base + rawURL
	}
	req, err := http.NewRequest(http.MethodGet, rawURL, nil)
	require.NoError(c.t, err)
	req.Header.Set("Authorization", "Bearer "+c.tok)
	resp, err := http.DefaultClient.Do(req)
	require.NoError(c.t, err)
	defer resp.Body.Close()
	var body map[string]any
	b, _ := io.ReadAll(resp.Body)
	require.NoError(c.t, json.Unmarshal(b, &body), string(b))
	return resp.StatusCode, body, resp.Header
}

func (c *testClient) do(req *http.Request) (int, map[string]any) {
	resp, err := http.DefaultClient.Do(req)
	require.NoError(c.t, err)
	defer resp.Body.Close()
	var body map[string]any
	require.NoError(c.t, json.NewDecoder(resp.Body).Decode(&body))
	return resp.StatusCode, body
}

func setup(t *testing.T, o Options) (*Emulator, *testClient) {
	t.Helper()
	e := New(o)
	c := &testClient{t: t, base: e.StartTest(t)}
	status, body := c.token(e.APIKey(), e.APISecret())
	require.Equal(t, http.StatusOK, status)
	c.tok = body["access_token"].(string)
	require.InDelta(t, 360000, body["expires_in"], 1)
	return e, c
}

func TestTokenRefusals(t *testing.T) {
	t.Parallel()
	e, c := setup(t, Options{})
	status, body := c.token(e.APIKey(), "wrong")
	require.Equal(t, http.StatusBadRequest, status)
	require.Equal(t, "invalid_grant", body["error"])

	status, _, _ = c.get("/api/v2/account")
	require.Equal(t, http.StatusOK, status)
	e.ExpireTokens()
	status, body, _ = c.get("/api/v2/account")
	require.Equal(t, http.StatusUnauthorized, status)
	require.Equal(t, "invalid_token", body["error"])
}

func TestPagingFollowsNextPageURL(t *testing.T) {
	t.Parallel()
	e, c := setup(t, Options{})
	_, devs, err := e.Generate(1234, 7)
	require.NoError(t, err)
	seen := map[string]bool{}
	link, pages := "/api/v2/account/devices?max=100", 0
	for link != "" {
		status, body, _ := c.get(link)
		require.Equal(t, http.StatusOK, status)
		pages++
		pd := body["pageDetails"].(map[string]any)
		require.InDelta(t, 1234, pd["totalCount"], 0)
		for _, d := range body["devices"].([]any) {
			dm := d.(map[string]any)
			require.False(t, seen[dm["uid"].(string)])
			seen[dm["uid"].(string)] = true
			require.IsType(t, float64(0), dm["lastSeen"], "epoch milliseconds")
		}
		link, _ = pd["nextPageUrl"].(string)
	}
	require.Equal(t, 13, pages)
	require.Len(t, seen, len(devs))

	status, audit, _ := c.get("/api/v2/audit/device/" + devs[0].UID)
	require.Equal(t, http.StatusOK, status)
	require.Equal(t, "SN00000000", audit["bios"].(map[string]any)["serialNumber"])
	require.NoError(t, e.RemoveDevice(devs[0].UID))
	status, _, _ = c.get("/api/v2/audit/device/" + devs[0].UID)
	require.Equal(t, http.StatusNotFound, status)
}

func TestThrottlingThenIPBlock(t *testing.T) {
	t.Parallel()
	var mu sync.Mutex
	now := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	var slept time.Duration
	e, c := setup(t, Options{
		RateLimit: 10, RateWindow: time.Minute, BlockAfter: 3, BlockDuration: 2 * time.Minute,
		Now:   func() time.Time { mu.Lock(); defer mu.Unlock(); return now },
		Sleep: func(d time.Duration) { slept += d },
	})
	for range 10 {
		status, _, _ := c.get("/api/v2/system/pagination")
		require.Equal(t, http.StatusOK, status)
	}
	require.Equal(t, time.Second, slept, "the tenth request passes 90 %% of the quota")
	status, body, hdr := c.get("/api/v2/account")
	require.Equal(t, http.StatusTooManyRequests, status)
	require.Equal(t, "60", hdr.Get("Retry-After"))
	require.InDelta(t, 429, body["status"], 0)

	mu.Lock()
	now = now.Add(61 * time.Second)
	mu.Unlock()
	status, _, _ = c.get("/api/v2/account")
	require.Equal(t, http.StatusOK, status, "the window rolled on")

	for range 9 {
		c.get("/api/v2/account")
	}
	c.get("/api/v2/account")
	c.get("/api/v2/account")
	status, body, hdr = c.get("/api/v2/account")
	require.Equal(t, http.StatusForbidden, status)
	require.Contains(t, body["message"], "blocked")
	require.Equal(t, "120", hdr.Get("Retry-After"))
	st := e.Stats()
	require.Equal(t, int64(3), st.Throttled)
	require.Equal(t, int64(1), st.Blocked)
	require.Equal(t, 10, st.PeakWindow)
}

func TestRequestRateReportsTheWindow(t *testing.T) {
	t.Parallel()
	e, c := setup(t, Options{})
	for range 3 {
		c.get("/api/v2/account")
	}
	status, body, _ := c.get("/api/v2/system/request_rate")
	require.Equal(t, http.StatusOK, status)
	require.InDelta(t, 4, body["accountCount"], 0)
	require.InDelta(t, 600, body["accountRateLimit"], 0)
	require.InDelta(t, 60, body["slidingTimeWindowSizeSeconds"], 0)
	e.SetRateLimit(100, 10*time.Second, -1)
	_, body, _ = c.get("/api/v2/system/request_rate")
	require.InDelta(t, 1, body["accountCount"], 0, "a new quota forgets the requests counted")
	require.InDelta(t, 10, body["slidingTimeWindowSizeSeconds"], 0)
}
