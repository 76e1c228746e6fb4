package lansweeper

import (
	"bytes"
	"encoding/json"
	"net/http"
	"os"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
)

const assetsQuery = `query Assets($siteId: ID!, $fields: [String!]!, $p: AssetsPaginationInputValidated) {
  site(id: $siteId) {
    assetResources(fields: $fields, assetPagination: $p) {
      total
      pagination { limit current next page }
      items
    }
  }
}`

const nextQuery = `query Next($siteId: ID!, $fields: [String!]!, $p: AssetsPaginationInputValidated) {
  site(id: $siteId) { assetResources(fields: $fields, assetPagination: $p) { pagination { next } items } }
}`

type response struct {
	Status int
	Header http.Header
	Data   map[string]any
	Errors []struct {
		Message    string         `json:"message"`
		Extensions map[string]any `json:"extensions"`
	}
}

func post(t *testing.T, base, token, query string, vars map[string]any) response {
	t.Helper()
	body, _ := json.Marshal(map[string]any{"query": query, "variables": vars})
	req, err := http.NewRequestWithContext(t.Context(), http.MethodPost, base+GraphQLPath, bytes.NewReader(body))
	require.NoError(t, err)
	req.Header.Set("Content-Type", "application/json")
	if token != "" {
		req.Header.Set("Authorization", "Token "+token)
	}
	resp, err := http.DefaultClient.Do(req)
	require.NoError(t, err)
	defer resp.Body.Close()
	var r response
	require.NoError(t, json.NewDecoder(resp.Body).Decode(&r))
	r.Status, r.Header = resp.StatusCode, resp.Header
	return r
}

func dig(m any, path ...string) any {
	for _, p := range path {
		mm, ok := m.(map[string]any)
		if !ok {
			return nil
		}
		m = mm[p]
	}
	return m
}

func TestCursorPagingToTheEnd(t *testing.T) {
	t.Parallel()
	e := New(Options{RateLimit: -1})
	site := e.Generate("", 23, 1)
	base := e.StartTest(t)
	fields := []any{"key", "assetBasicInfo.name", "softwares.name", "softwares.publisher", "assetCustom.fields.value"}

	r := post(t, base, e.Token(), assetsQuery, map[string]any{"siteId": site, "fields": fields, "p": map[string]any{"limit": 10, "page": "FIRST"}})
	require.Equal(t, http.StatusOK, r.Status)
	require.Empty(t, r.Errors)
	ar := dig(r.Data, "site", "assetResources")
	require.EqualValues(t, 23, dig(ar, "total"))
	items := dig(ar, "items").([]any)
	require.Len(t, items, 10)
	first := items[0].(map[string]any)
	require.NotEmpty(t, first["key"])
	require.NotEmpty(t, dig(first, "assetBasicInfo", "name"))

	seen := len(items)
	next := dig(ar, "pagination", "next")
	for next != nil {
		r = post(t, base, e.Token(), nextQuery, map[string]any{"siteId": site, "fields": fields, "p": map[string]any{"limit": 10, "page": "NEXT", "cursor": next}})
		require.Empty(t, r.Errors)
		ar = dig(r.Data, "site", "assetResources")
		seen += len(dig(ar, "items").([]any))
		next = dig(ar, "pagination", "next")
	}
	require.Equal(t, 23, seen)
}

func TestQueryRules(t *testing.T) {
	t.Parallel()
	e := New(Options{RateLimit: -1})
	site := e.Generate("", 3, 1)
	other := e.AddSite("Other")
	e.Authorize(site)
	base := e.StartTest(t)
	p := map[string]any{"limit": 10, "page": "FIRST"}

	r := post(t, base, e.Token(), `{ authorizedSites { sites { id name } } }`, nil)
	require.Len(t, dig(r.Data, "authorizedSites", "sites").([]any), 1)

	r = post(t, base, e.Token(), assetsQuery, map[string]any{"siteId": other, "fields": []any{"key"}, "p": p})
	require.Equal(t, http.StatusOK, r.Status, "execution errors come with HTTP 200")
	require.Equal(t, "FORBIDDEN", r.Errors[0].Extensions["code"])
	require.Nil(t, r.Data["site"])

	r = post(t, base, e.Token(), assetsQuery, map[string]any{"siteId": site, "fields": []any{"key", "assetBasicInfo.colour"}, "p": p})
	require.Contains(t, r.Errors[0].Message, "assetBasicInfo.colour")

	many := make([]any, 31)
	for i := range many {
		many[i] = "key"
	}
	r = post(t, base, e.Token(), assetsQuery, map[string]any{"siteId": site, "fields": many, "p": p})
	require.Contains(t, r.Errors[0].Message, "maximum of 30")

	r = post(t, base, e.Token(), assetsQuery, map[string]any{"siteId": site, "fields": []any{"key"}, "p": map[string]any{"limit": 501, "page": "FIRST"}})
	require.Contains(t, r.Errors[0].Message, "limit")

	r = post(t, base, e.Token(), assetsQuery, map[string]any{"siteId": site, "fields": []any{"key"}, "p": map[string]any{"limit": 1, "page": "NEXT", "cursor": "bogus"}})
	require.Contains(t, r.Errors[0].Message, "total can only be requested", "total with NEXT is refused before the cursor is read")

	r = post(t, base, e.Token(), `{ site(id: "x") { colour } }`, nil)
	require.Equal(t, http.StatusBadRequest, r.Status)
	require.Equal(t, "GRAPHQL_VALIDATION_FAILED", r.Errors[0].Extensions["code"])

	r = post(t, base, e.Token(), `{ site(id: "x") { id `, nil)
	require.Equal(t, http.StatusBadRequest, r.Status)
	require.Equal(t, "GRAPHQL_PARSE_FAILED", r.Errors[0].Extensions["code"])

	r = post(t, base, "wrong", `{ authorizedSites { sites { id } } }`, nil)
	require.Equal(t, "UNAUTHENTICATED", r.Errors[0].Extensions["code"])
}

func TestThrottleAndPenalty(t *testing.T) {
	t.Parallel()
	now := time.Date(2026, 5, 1, 10, 0, 0, 0, time.UTC)
	e := New(Options{RateLimit: 3, Now: func() time.Time { return now }})
	base := e.StartTest(t)
	q := `{ authorizedSites { sites { id } } }`
	for range 3 {
		require.Equal(t, http.StatusOK, post(t, base, e.Token(), q, nil).Status)
		now = now.Add(time.Second)
	}
	r := post(t, base, e.Token(), q, nil)
	require.Equal(t, http.StatusTooManyRequests, r.Status)
	require.Equal(t, "60", r.Header.Get("Retry-After"))
	now = now.Add(30 * time.Second)
	r = post(t, base, e.Token(), q, nil)
	require.Equal(t, http.StatusTooManyRequests, r.Status, "a request during the penalty is refused")
	now = now.Add(60 * time.Second)
	require.Equal(t, http.StatusOK, post(t, base, e.Token(), q, nil).Status, "a full quiet minute lifts it")
	require.EqualValues(t, 2, e.Stats().Throttled)
}

func TestScale(t *testing.T) {
	t.Parallel()
	if os.Getenv("INTEGRATOR_HEAVY") != "1" {
		t.Skip("set INTEGRATOR_HEAVY=1 to generate 100,000 assets")
	}
	e := New(Options{RateLimit: -1})
	start := time.Now()
	site := e.Generate("", 100_000, 1)
	require.Len(t, e.Keys(site), 100_000)
	t.Logf("generated 100,000 assets in %s", time.Since(start))
}
