package api

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/integrator-oss/integrator/internal/auth"
	"github.com/integrator-oss/integrator/internal/config"
	"github.com/integrator-oss/integrator/internal/connector/all"
	"github.com/integrator-oss/integrator/internal/daemon"
	"github.com/integrator-oss/integrator/internal/emulator/graph"
	"github.com/integrator-oss/integrator/internal/store"
)

const testSecret = "api-S3cret-that-must-never-come-back-91c"

type harness struct {
	t      *testing.T
	app    *daemon.App
	auth   *auth.Service
	api    *Server
	srv    *httptest.Server
	em     *graph.Emulator
	base   string
	admin  string // admin API token
	reader string // read API token
	logs   strings.Builder
	ids    map[string]string
}

func newHarness(t *testing.T) *harness {
	t.Helper()
	h := &harness{t: t, ids: map[string]string{}}
	h.em = graph.New(graph.Options{ClientSecret: testSecret})
	sales := h.em.AddGroup(graph.Group{DisplayName: "Sales", SecurityEnabled: true})
	h.em.AddGroup(graph.Group{DisplayName: "Support", SecurityEnabled: true})
	for _, n := range []string{"alice", "bob", "carol"} {
		h.ids[n] = h.em.AddUser(graph.User{DisplayName: n + " Example", UserPrincipalName: n + "@contoso.com", Mail: n + "@contoso.com", AccountEnabled: true})
	}
	require.NoError(t, h.em.AddMember(sales, h.ids["alice"]))
	require.NoError(t, h.em.AddMember(sales, h.ids["bob"]))
	h.base = h.em.StartTest(t)

	dir := t.TempDir()
	path := filepath.Join(dir, "integrator.yaml")
	require.NoError(t, os.WriteFile(path, []byte("store: sqlite:"+filepath.Join(dir, "i.db")+"\n"), 0o600))
	cfg, err := config.Load(path, all.Registry())
	require.NoError(t, err)
	logger := slog.New(slog.NewTextHandler(&lockedWriter{b: &h.logs}, nil))
	h.app, err = daemon.Open(t.Context(), cfg, logger, daemon.Options{MaxAttempts: 1})
	require.NoError(t, err)
	require.NoError(t, h.app.StartJobs(context.WithoutCancel(t.Context()), false))
	t.Cleanup(func() {
		h.app.StopJobs(context.Background())
		h.app.Close()
	})
	h.auth = auth.New(h.app.ConsoleStore(), logger, false)
	require.NoError(t, h.auth.SetPassword(t.Context(), "admin", "correct horse battery"))
	root := &auth.Principal{Scope: store.ScopeAdmin}
	h.admin, _, err = h.auth.CreateToken(t.Context(), root, "test admin", store.ScopeAdmin, 0)
	require.NoError(t, err)
	h.reader, _, err = h.auth.CreateToken(t.Context(), root, "test reader", store.ScopeRead, 0)
	require.NoError(t, err)
	h.api = New(h.app.Store, h.app, logger, WithAuth(h.auth), WithReady(func(context.Context) error { return nil }),
		WithMetrics(http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) { w.Write([]byte("# metrics\n")) })))
	h.srv = httptest.NewServer(auth.Protect(h.api))
	t.Cleanup(h.srv.Close)
	return h
}

type lockedWriter struct {
	b *strings.Builder
}

var logMu = make(chan struct{}, 1)

func (w *lockedWriter) Write(p []byte) (int, error) {
	logMu <- struct{}{}
	defer func() { <-logMu }()
	return w.b.Write(p)
}

// response is a decoded envelope.
type response struct {
	code    int
	header  http.Header
	raw     string
	Status  string          `json:"status"`
	Data    json.RawMessage `json:"data"`
	Type    string          `json:"error_type"`
	Error   string          `json:"error"`
	Fields  []fieldError    `json:"fields"`
	cookies []*http.Cookie
}

// seen collects every response body, to check that no secret came back.
var seen = struct {
	ch chan struct{}
	b  strings.Builder
}{ch: make(chan struct{}, 1)}

func (h *harness) do(method, path, token string, body any) *response {
	h.t.Helper()
	var rd io.Reader
	if body != nil {
		b, err := json.Marshal(body)
		require.NoError(h.t, err)
		rd = strings.NewReader(string(b))
	}
	req, err := http.NewRequestWithContext(h.t.Context(), method, h.srv.URL+path, rd)
	require.NoError(h.t, err)
	if token != "" {
		req.Header.Set("Authorization", "Bearer "+token)
	}
	if body != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	resp, err := http.DefaultClient.Do(req)
	require.NoError(h.t, err)
	defer resp.Body.Close()
	raw, err := io.ReadAll(resp.Body)
	require.NoError(h.t, err)
	seen.ch <- struct{}{}
	seen.b.Write(raw)
	<-seen.ch
	out := &response{code: resp.StatusCode, header: resp.Header, raw: string(raw), cookies: resp.Cookies()}
	if ct, _, _ := strings.Cut(resp.Header.Get("Content-Type"), ";"); ct == "application/json" {
		require.NoError(h.t, json.Unmarshal(raw, out), "%s %s: %s", method, path, raw)
	}
	return out
}

func (h *harness) ok(method, path string, body any, into any) *response {
	h.t.Helper()
	r := h.do(method, path, h.admin, body)
	require.Contains(h.t, []int{200, 201}, r.code, "%s %s: %s", method, path, r.raw)
	if into != nil {
		require.NoError(h.t, json.Unmarshal(r.Data, into), "%s %s: %s", method, path, r.raw)
	}
	return r
}

func (h *harness) entraDoc() map[string]any {
	return map[string]any{
		"name": "contoso", "type": "entra", "schedule": "1h", "client": "Contoso",
		"scope": map[string]any{"default_site": "London", "mappings": []any{map[string]any{"group": "Sales", "site": "London"}}},
		"config": map[string]any{
			"tenant_id": h.em.TenantID(), "client_id": h.em.ClientID(), "client_secret": testSecret,
			"token_url": h.em.TokenURL(h.base), "graph_url": h.em.GraphURL(h.base),
		},
	}
}

// concrete fills a route pattern's wildcards.
func concrete(path string) string {
	return strings.NewReplacer("{name}", "contoso", "{id}", "1").Replace(path)
}

func TestEveryRouteNeedsAuthAndScope(t *testing.T) {
	h := newHarness(t)
	h.ok("POST", "/api/v1/integrations", h.entraDoc(), nil)
	for _, rt := range h.api.routes {
		path := concrete(rt.path)
		if rt.scope == "" {
			continue
		}
		r := h.do(rt.method, path, "", nil)
		require.Equal(t, http.StatusUnauthorized, r.code, "%s %s without credentials: %s", rt.method, path, r.raw)
		require.Equal(t, "unauthorized", r.Type)
		require.NotEmpty(t, r.header.Get("WWW-Authenticate"))
		r = h.do(rt.method, path, "itg_not-a-token", nil)
		require.Equal(t, http.StatusUnauthorized, r.code, "%s %s with an unknown token", rt.method, path)
		if rt.scope == store.ScopeAdmin {
			r = h.do(rt.method, path, h.reader, nil)
			require.Equal(t, http.StatusForbidden, r.code, "%s %s with a read token: %s", rt.method, path, r.raw)
			require.Equal(t, "forbidden", r.Type)
		} else {
			r = h.do(rt.method, path, h.reader, nil)
			require.NotContains(t, []int{401, 403}, r.code, "%s %s with a read token: %s", rt.method, path, r.raw)
		}
	}
	r := h.do("GET", "/metrics", "", nil)
	require.Equal(t, http.StatusUnauthorized, r.code)
	r = h.do("GET", "/metrics", h.reader, nil)
	require.Equal(t, 200, r.code)
	for _, p := range []string{"/healthz", "/readyz"} {
		r = h.do("GET", p, "", nil)
		require.Equal(t, 200, r.code, "%s is open", p)
	}
}

func TestOpenAPIDocumentsEveryRouteAndNothingElse(t *testing.T) {
	h := newHarness(t)
	var doc struct {
		OpenAPI string                                `json:"openapi"`
		Paths   map[string]map[string]json.RawMessage `json:"paths"`
	}
	r := h.do("GET", "/api/v1/openapi.json", h.reader, nil)
	require.Equal(t, 200, r.code)
	require.NoError(t, json.Unmarshal([]byte(r.raw), &doc))
	require.True(t, strings.HasPrefix(doc.OpenAPI, "3."))
	documented := map[string]bool{}
	for path, ops := range doc.Paths {
		for method := range ops {
			documented[strings.ToUpper(method)+" "+path] = true
		}
	}
	for _, rt := range h.api.routes {
		require.True(t, documented[rt.method+" "+rt.path], "route %s %s is not documented", rt.method, rt.path)
	}
	// Every documented operation is served: the mux answers neither "404
	// page not found" nor 405 for it.
	for op := range documented {
		method, path, _ := strings.Cut(op, " ")
		resp := h.do(method, concrete(path), h.admin, nil)
		require.NotEqual(t, http.StatusMethodNotAllowed, resp.code, op)
		require.NotEqual(t, "404 page not found\n", resp.raw, "%s is documented but not served", op)
	}
	require.Len(t, documented, len(h.api.routes)+3, "the routes plus /healthz, /readyz and /metrics")
}

func TestIntegrationLifecycleThroughTheAPI(t *testing.T) {
	h := newHarness(t)

	// Validation: 400 naming each field.
	bad := h.entraDoc()
	bad["schedule"] = "1s"
	bad["scope"] = map[string]any{"mappings": []any{map[string]any{"group": "Sales", "role": "boss"}}}
	bad["config"].(map[string]any)["client_id"] = ""
	r := h.do("POST", "/api/v1/integrations", h.admin, bad)
	require.Equal(t, http.StatusBadRequest, r.code, r.raw)
	fields := map[string]bool{}
	for _, f := range r.Fields {
		fields[f.Field] = true
	}
	for _, f := range []string{"schedule", "scope.mappings[0].role", "config.client_id"} {
		require.True(t, fields[f], "400 names %s: %s", f, r.raw)
	}
	r = h.do("POST", "/api/v1/integrations", h.admin, "not an object")
	require.Equal(t, http.StatusBadRequest, r.code)

	var created daemon.IntegrationView
	r = h.ok("POST", "/api/v1/integrations", h.entraDoc(), &created)
	require.Equal(t, http.StatusCreated, r.code)
	require.Equal(t, daemon.SourceAPI, created.Source)
	require.Equal(t, map[string]any{"set": true}, created.Document["config"].(map[string]any)["client_secret"])
	r = h.do("POST", "/api/v1/integrations", h.admin, h.entraDoc())
	require.Equal(t, http.StatusConflict, r.code, "the name is taken")

	var list []map[string]any
	h.ok("GET", "/api/v1/integrations", nil, &list)
	require.Len(t, list, 1)
	require.Equal(t, "api", list[0]["source"])

	var groups []map[string]string
	h.ok("GET", "/api/v1/integrations/contoso/groups", nil, &groups)
	require.Len(t, groups, 2)
	h.ok("POST", "/api/v1/integrations/contoso/check", nil, nil)

	// Settings: bad ones are named, good ones saved; connection keys are
	// not settings.
	r = h.do("PUT", "/api/v1/integrations/contoso/settings", h.admin, map[string]any{"threshold": map[string]any{"max_count": 0}})
	require.Equal(t, http.StatusBadRequest, r.code)
	require.Equal(t, "threshold.max_count", r.Fields[0].Field, r.raw)
	r = h.do("PUT", "/api/v1/integrations/contoso/settings", h.admin, map[string]any{"config": map[string]any{}})
	require.Equal(t, http.StatusBadRequest, r.code)
	require.Equal(t, "config", r.Fields[0].Field)
	var v daemon.IntegrationView
	h.ok("PUT", "/api/v1/integrations/contoso/settings", map[string]any{"full_sync_every": "12h", "matching": []string{"upn", "email"}}, &v)
	require.Equal(t, 12*time.Hour, v.Settings.FullSyncEvery)

	// Preview of unsaved mappings: Support as agents would import nobody
	// new (empty group), Sales to Leeds moves two.
	var pv daemon.Preview
	h.ok("POST", "/api/v1/integrations/contoso/preview", map[string]any{"scope": map[string]any{"mappings": []any{
		map[string]any{"group": "Sales", "site": "Leeds", "role": "agent"}}}}, &pv)
	require.Equal(t, int64(2), pv.Imported, "nothing is imported yet: alice and bob would be")

	var job map[string]int64
	h.ok("POST", "/api/v1/integrations/contoso/runs", map[string]any{"full": true}, &job)
	require.NoError(t, h.app.Wait(t.Context(), job["job_id"]))

	var runs []map[string]any
	h.ok("GET", "/api/v1/runs?integration=contoso&status=succeeded", nil, &runs)
	require.Len(t, runs, 1)
	runID := int64(runs[0]["id"].(float64))
	var run map[string]any
	h.ok("GET", fmt.Sprintf("/api/v1/runs/%d", runID), nil, &run)
	require.Equal(t, "succeeded", run["status"])
	require.Contains(t, run, "by_kind")
	var out outcomes
	h.ok("GET", fmt.Sprintf("/api/v1/runs/%d/outcomes", runID), nil, &out)
	require.Len(t, out.Links, 3, "alice, bob and carol")
	reasons := map[string]string{}
	for _, l := range out.Links {
		reasons[l.ExternalID] = l.Reason
	}
	require.Contains(t, reasons[h.ids["carol"]], "not a member of any mapped group")
	require.Len(t, out.Audit, 2, "two users created")

	r = h.do("GET", "/api/v1/runs?status=bogus", h.reader, nil)
	require.Equal(t, http.StatusBadRequest, r.code)
	require.Equal(t, "status", r.Fields[0].Field)
	r = h.do("GET", "/api/v1/runs?since=yesterday", h.reader, nil)
	require.Equal(t, "since", r.Fields[0].Field)

	var users []map[string]any
	h.ok("GET", "/api/v1/users?search=alice", nil, &users)
	require.Len(t, users, 1)
	var detail map[string]any
	h.ok("GET", fmt.Sprintf("/api/v1/users/%d", int64(users[0]["id"].(float64))), nil, &detail)
	require.Len(t, detail["links"], 1)
	require.NotEmpty(t, detail["audit"])
	h.ok("GET", "/api/v1/users?limit=1&after=0&active=true", nil, &users)
	require.Len(t, users, 1)
	r = h.do("GET", "/api/v1/users?active=maybe", h.reader, nil)
	require.Equal(t, "active", r.Fields[0].Field)
	r = h.do("GET", "/api/v1/users/abc", h.reader, nil)
	require.Equal(t, http.StatusBadRequest, r.code)
	r = h.do("GET", "/api/v1/users/999999", h.reader, nil)
	require.Equal(t, http.StatusNotFound, r.code)

	var sites []map[string]any
	h.ok("GET", "/api/v1/sites", nil, &sites)
	require.Len(t, sites, 1)

	var audit []map[string]any
	h.ok("GET", "/api/v1/audit?integration=contoso&action=created&kind=user", nil, &audit)
	require.Len(t, audit, 2)
	r = h.do("GET", "/api/v1/audit/export?format=csv&integration=contoso&kind=user", h.reader, nil)
	require.Equal(t, 200, r.code)
	require.Equal(t, 3, strings.Count(r.raw, "\n"), "a header and two events: %s", r.raw)
	require.True(t, strings.HasPrefix(r.raw, "id,at,run_id"))
	r = h.do("GET", "/api/v1/audit/export?format=jsonl&action=created", h.reader, nil)
	require.Equal(t, 4, strings.Count(r.raw, "\n"), "two users and two groups")
	r = h.do("GET", "/api/v1/audit/export?format=xml", h.reader, nil)
	require.Equal(t, http.StatusBadRequest, r.code)

	var ex map[string]any
	h.ok("GET", "/api/v1/integrations/contoso/explain?q=carol", nil, &ex)
	require.Contains(t, fmt.Sprint(ex["matches"]), "not a member of any mapped group")
	r = h.do("GET", "/api/v1/integrations/contoso/explain", h.reader, nil)
	require.Equal(t, "q", r.Fields[0].Field)
	var findings []daemon.Finding
	h.ok("GET", "/api/v1/integrations/contoso/troubleshoot?probe=true", nil, &findings)
	require.NotEmpty(t, findings)

	r = h.do("POST", "/api/v1/integrations/contoso/confirm", h.admin, nil)
	require.Equal(t, http.StatusConflict, r.code, "nothing held: %s", r.raw)

	// Replace with a stale version: 409; the secret survives a replace
	// that leaves it out.
	doc := h.entraDoc()
	delete(doc["config"].(map[string]any), "client_secret")
	r = h.do("PUT", "/api/v1/integrations/contoso", h.admin, map[string]any{"version": 1, "document": doc})
	require.Equal(t, http.StatusConflict, r.code, r.raw)
	h.ok("GET", "/api/v1/integrations/contoso", nil, &detail)
	version := detail["definition"].(map[string]any)["version"]
	h.ok("PUT", "/api/v1/integrations/contoso", map[string]any{"version": version, "document": doc}, nil)
	h.ok("POST", "/api/v1/integrations/contoso/check", nil, nil)

	// A wrong secret: the check fails as the source's refusal.
	doc["config"].(map[string]any)["client_secret"] = "wrong-secret-value"
	h.ok("PUT", "/api/v1/integrations/contoso", doc, nil)
	r = h.do("POST", "/api/v1/integrations/contoso/check", h.admin, nil)
	require.Equal(t, http.StatusBadGateway, r.code, r.raw)
	require.NotContains(t, r.raw, "wrong-secret-value")

	h.ok("POST", "/api/v1/integrations/contoso/disable", nil, &v)
	require.False(t, v.Settings.Enabled)
	r = h.do("POST", "/api/v1/integrations/contoso/runs", h.admin, nil)
	require.NotEqual(t, 200, r.code, "a disabled integration does not run")
	h.ok("POST", "/api/v1/integrations/contoso/enable", nil, &v)
	require.True(t, v.Settings.Enabled)

	h.ok("DELETE", "/api/v1/integrations/contoso", nil, nil)
	r = h.do("GET", "/api/v1/integrations/contoso", h.reader, nil)
	require.Equal(t, http.StatusNotFound, r.code)
	h.ok("GET", fmt.Sprintf("/api/v1/runs/%d", runID), nil, nil)

	seen.ch <- struct{}{}
	all := seen.b.String()
	<-seen.ch
	require.NotContains(t, all, testSecret, "a secret came back in a response")
	logMu <- struct{}{}
	logs := h.logs.String()
	<-logMu
	require.NotContains(t, logs, testSecret)
}

func TestLoginSessionsAndTokens(t *testing.T) {
	h := newHarness(t)
	r := h.do("POST", "/api/v1/login", "", map[string]string{"username": "admin", "password": "wrong password"})
	require.Equal(t, http.StatusUnauthorized, r.code)
	r = h.do("POST", "/api/v1/login", "", map[string]string{"password": "x"})
	require.Equal(t, http.StatusBadRequest, r.code)
	require.Equal(t, "username", r.Fields[0].Field)
	r = h.do("POST", "/api/v1/login", "", map[string]string{"username": "admin", "password": "correct horse battery"})
	require.Equal(t, 200, r.code, r.raw)
	require.Len(t, r.cookies, 1)
	c := r.cookies[0]
	require.Equal(t, auth.CookieName, c.Name)
	require.True(t, c.HttpOnly)
	require.Equal(t, http.SameSiteLaxMode, c.SameSite)

	// The session authenticates; a cross-site POST with it is refused.
	req, _ := http.NewRequest("GET", h.srv.URL+"/api/v1/me", nil)
	req.AddCookie(c)
	resp, err := http.DefaultClient.Do(req)
	require.NoError(t, err)
	body, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	require.Equal(t, 200, resp.StatusCode)
	require.Contains(t, string(body), `"username":"admin"`)
	req, _ = http.NewRequest("POST", h.srv.URL+"/api/v1/tokens", strings.NewReader(`{"name":"x","scope":"admin"}`))
	req.AddCookie(c)
	req.Header.Set("Sec-Fetch-Site", "cross-site")
	resp, err = http.DefaultClient.Do(req)
	require.NoError(t, err)
	resp.Body.Close()
	require.Equal(t, http.StatusForbidden, resp.StatusCode, "cross-site request refused")

	var tok tokenView
	r = h.ok("POST", "/api/v1/tokens", map[string]string{"name": "grafana", "scope": "read", "expires_in": "720h"}, &tok)
	require.Equal(t, http.StatusCreated, r.code)
	require.True(t, strings.HasPrefix(tok.Token, auth.PrefixToken))
	r = h.do("POST", "/api/v1/tokens", h.admin, map[string]string{"name": "x", "scope": "root"})
	require.Equal(t, "scope", r.Fields[0].Field)
	var toks []tokenView
	h.ok("GET", "/api/v1/tokens", nil, &toks)
	require.Len(t, toks, 3)
	for _, x := range toks {
		require.Empty(t, x.Token, "a token's value is shown once")
	}
	require.Equal(t, 200, h.do("GET", "/api/v1/runs", tok.Token, nil).code)
	h.ok("DELETE", fmt.Sprintf("/api/v1/tokens/%d", tok.ID), nil, nil)
	require.Equal(t, http.StatusUnauthorized, h.do("GET", "/api/v1/runs", tok.Token, nil).code)

	var link map[string]string
	h.ok("POST", "/api/v1/admins", map[string]string{"username": "bea"}, &link)
	u, err := url.Parse(link["setup_path"])
	require.NoError(t, err)
	r = h.do("POST", "/api/v1/setup", "", map[string]string{"token": u.Query().Get("token"), "password": "short"})
	require.Equal(t, "password", r.Fields[0].Field)
	r = h.do("POST", "/api/v1/setup", "", map[string]string{"token": u.Query().Get("token"), "password": "bea's long password"})
	require.Equal(t, 200, r.code, r.raw)
	r = h.do("POST", "/api/v1/login", "", map[string]string{"username": "bea", "password": "bea's long password"})
	require.Equal(t, 200, r.code)

	for range 5 {
		h.do("POST", "/api/v1/login", "", map[string]string{"username": "bea", "password": "guess guess guess"})
	}
	r = h.do("POST", "/api/v1/login", "", map[string]string{"username": "bea", "password": "bea's long password"})
	require.Equal(t, http.StatusTooManyRequests, r.code, r.raw)
	require.NotEmpty(t, r.header.Get("Retry-After"))
}

func TestReviewQueueDecisions(t *testing.T) {
	h := newHarness(t)
	// Two source users share one mail: the second matches the first's
	// platform user, which the first already holds: a review item.
	sales := ""
	for _, g := range h.em.Groups() {
		if g.DisplayName == "Sales" {
			sales = g.ID
		}
	}
	h.ok("POST", "/api/v1/integrations", h.entraDoc(), nil)
	for _, upn := range []string{"dana@contoso.com", "dana.2@contoso.com"} {
		id := h.em.AddUser(graph.User{DisplayName: "Dana Example", UserPrincipalName: upn, Mail: "dana@contoso.com", AccountEnabled: true})
		require.NoError(t, h.em.AddMember(sales, id))
		var job map[string]int64
		h.ok("POST", "/api/v1/integrations/contoso/runs", nil, &job)
		require.NoError(t, h.app.Wait(t.Context(), job["job_id"]))
	}

	var items []reviewJSON
	h.ok("GET", "/api/v1/review?integration=contoso", nil, &items)
	require.Len(t, items, 1, "one ambiguous record")
	it := items[0]
	require.NotEmpty(t, it.Candidates)
	var detail map[string]any
	h.ok("GET", fmt.Sprintf("/api/v1/review/%d", it.ID), nil, &detail)
	require.Len(t, detail["candidates"], len(it.Candidates))

	path := fmt.Sprintf("/api/v1/review/%d/link", it.ID)
	r := h.do("POST", path, h.reader, map[string]int64{"entity_id": it.Candidates[0]})
	require.Equal(t, http.StatusForbidden, r.code)
	r = h.do("POST", path, h.admin, map[string]int64{})
	require.Equal(t, http.StatusBadRequest, r.code)
	require.Equal(t, "entity_id", r.Fields[0].Field)
	var decided reviewJSON
	h.ok("POST", path, map[string]int64{"entity_id": it.Candidates[0]}, &decided)
	require.Equal(t, store.ReviewLinked, decided.Status)
	require.Equal(t, "API token test admin", decided.ResolvedBy)
	r = h.do("POST", fmt.Sprintf("/api/v1/review/%d/ignore", it.ID), h.admin, nil)
	require.Equal(t, http.StatusConflict, r.code, "decided already: %s", r.raw)
	h.ok("GET", "/api/v1/review", nil, &items)
	require.Empty(t, items, "nothing open")
}
