package snipeit

import (
	"encoding/json"
	"io"
	"net/http"
	"os"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
)

type clock struct{ now time.Time }

func (c *clock) Now() time.Time { return c.now }

func get(t *testing.T, base, path, token string) (*http.Response, map[string]any) {
	t.Helper()
	req, err := http.NewRequestWithContext(t.Context(), http.MethodGet, base+path, nil)
	require.NoError(t, err)
	if token != "" {
		req.Header.Set("Authorization", "Bearer "+token)
	}
	resp, err := http.DefaultClient.Do(req)
	require.NoError(t, err)
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	require.NoError(t, err)
	var m map[string]any
	require.NoError(t, json.Unmarshal(b, &m), string(b))
	return resp, m
}

func TestPagingClampsLikeSnipeIT(t *testing.T) {
	t.Parallel()
	e := New(Options{MaxResults: 20, RateLimit: -1})
	e.Generate(45, GenerateOptions{})
	base := e.StartTest(t)

	_, m := get(t, base, "/api/v1/hardware?limit=1000&offset=0&sort=id&order=asc", e.Token())
	require.EqualValues(t, 45, m["total"])
	rows := m["rows"].([]any)
	require.Len(t, rows, 20, "a limit over MAX_RESULTS falls back to it")
	require.EqualValues(t, 1, rows[0].(map[string]any)["id"])

	_, m = get(t, base, "/api/v1/hardware?limit=10&offset=40&sort=id&order=asc", e.Token())
	require.Len(t, m["rows"].([]any), 5)
	_, m = get(t, base, "/api/v1/hardware?offset=999", e.Token())
	require.Empty(t, m["rows"].([]any), "an offset past the end clamps to the total")
	require.EqualValues(t, 45, m["total"])

	_, m = get(t, base, "/api/v1/hardware?limit=1", e.Token())
	require.EqualValues(t, 45, m["rows"].([]any)[0].(map[string]any)["id"], "the default order is newest first")
}

func TestDeletedAssetsAreListedApart(t *testing.T) {
	t.Parallel()
	e := New(Options{RateLimit: -1})
	e.Generate(5, GenerateOptions{})
	require.NoError(t, e.DeleteAsset(2))
	base := e.StartTest(t)
	_, m := get(t, base, "/api/v1/hardware", e.Token())
	require.EqualValues(t, 4, m["total"])
	_, m = get(t, base, "/api/v1/hardware?status=Deleted", e.Token())
	require.EqualValues(t, 1, m["total"])
	row := m["rows"].([]any)[0].(map[string]any)
	require.EqualValues(t, 2, row["id"])
	require.NotNil(t, row["deleted_at"])

	resp, m := get(t, base, "/api/v1/hardware/2", e.Token())
	require.Equal(t, http.StatusOK, resp.StatusCode, "Snipe-IT says not found with HTTP 200")
	require.Equal(t, "error", m["status"])
}

func TestAuthAndRoutes(t *testing.T) {
	t.Parallel()
	e := New(Options{RateLimit: -1})
	base := e.StartTest(t)
	resp, m := get(t, base, "/api/v1/hardware", "wrong")
	require.Equal(t, http.StatusUnauthorized, resp.StatusCode)
	require.Equal(t, "Unauthorized or unauthenticated.", m["error"])
	resp, m = get(t, base, "/api/v1/nothing", e.Token())
	require.Equal(t, http.StatusNotFound, resp.StatusCode)
	require.Equal(t, "404 endpoint not found", m["messages"])
	resp, m = get(t, base, "/api/v1/users/me", e.Token())
	require.Equal(t, http.StatusOK, resp.StatusCode)
	require.Equal(t, "integrator", m["username"])
	e.RevokeToken()
	resp, _ = get(t, base, "/api/v1/users/me", e.Token())
	require.Equal(t, http.StatusUnauthorized, resp.StatusCode)
}

func TestThrottleIsAFixedWindow(t *testing.T) {
	t.Parallel()
	c := &clock{now: time.Date(2026, 5, 1, 10, 0, 0, 0, time.UTC)}
	e := New(Options{RateLimit: 3, Now: c.Now})
	base := e.StartTest(t)
	for i := range 3 {
		resp, _ := get(t, base, "/api/v1/locations", e.Token())
		require.Equal(t, http.StatusOK, resp.StatusCode)
		require.Equal(t, "3", resp.Header.Get("X-RateLimit-Limit"))
		require.Equal(t, []string{"2", "1", "0"}[i], resp.Header.Get("X-RateLimit-Remaining"))
		c.now = c.now.Add(10 * time.Second)
	}
	resp, m := get(t, base, "/api/v1/locations", e.Token())
	require.Equal(t, http.StatusTooManyRequests, resp.StatusCode)
	require.Equal(t, "30", resp.Header.Get("Retry-After"))
	require.Equal(t, "Too many requests", m["messages"])
	c.now = c.now.Add(30 * time.Second)
	resp, _ = get(t, base, "/api/v1/locations", e.Token())
	require.Equal(t, http.StatusOK, resp.StatusCode)
	require.EqualValues(t, 1, e.Stats().Throttled)
}

func TestScale(t *testing.T) {
	t.Parallel()
	if os.Getenv("INTEGRATOR_HEAVY") != "1" {
		t.Skip("set INTEGRATOR_HEAVY=1 to generate 100,000 assets")
	}
	e := New(Options{RateLimit: -1})
	start := time.Now()
	e.Generate(100_000, GenerateOptions{Locations: 50, Companies: 10})
	require.Len(t, e.AssetIDs(), 100_000)
	t.Logf("generated 100,000 assets in %s", time.Since(start))
}
