package console_test

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/http/cookiejar"
	"net/http/httptest"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/integrator-oss/integrator/internal/auth"
	"github.com/integrator-oss/integrator/internal/config"
	"github.com/integrator-oss/integrator/internal/connector/all"
	"github.com/integrator-oss/integrator/internal/console"
	"github.com/integrator-oss/integrator/internal/daemon"
	"github.com/integrator-oss/integrator/internal/emulator/graph"
	"github.com/integrator-oss/integrator/internal/store"
)

const secretValue = "console-S3cret-never-shown-77"

type env struct {
	app  *daemon.App
	srv  *httptest.Server
	c    *http.Client
	em   *graph.Emulator
	base string
}

func newEnv(t *testing.T) *env {
	t.Helper()
	e := &env{em: graph.New(graph.Options{ClientSecret: secretValue})}
	sales := e.em.AddGroup(graph.Group{DisplayName: "Sales", SecurityEnabled: true})
	e.em.AddGroup(graph.Group{DisplayName: "Support", SecurityEnabled: true})
	alice := e.em.AddUser(graph.User{DisplayName: "Alice Example", UserPrincipalName: "alice@contoso.com", AccountEnabled: true})
	e.em.AddUser(graph.User{DisplayName: "Carol Example", UserPrincipalName: "carol@contoso.com", AccountEnabled: true})
	require.NoError(t, e.em.AddMember(sales, alice))
	e.base = e.em.StartTest(t)

	dir := t.TempDir()
	path := filepath.Join(dir, "integrator.yaml")
	require.NoError(t, os.WriteFile(path, []byte("store: sqlite:"+filepath.Join(dir, "i.db")+"\n"), 0o600))
	cfg, err := config.Load(path, all.Registry())
	require.NoError(t, err)
	logger := slog.New(slog.DiscardHandler)
	e.app, err = daemon.Open(t.Context(), cfg, logger, daemon.Options{MaxAttempts: 1})
	require.NoError(t, err)
	require.NoError(t, e.app.StartJobs(context.WithoutCancel(t.Context()), false))
	t.Cleanup(func() {
		e.app.StopJobs(context.Background())
		e.app.Close()
	})
	a := auth.New(e.app.ConsoleStore(), logger, false)
	require.NoError(t, a.SetPassword(t.Context(), "admin", "correct horse battery"))
	con, err := console.New(e.app.Store, e.app, a, logger)
	require.NoError(t, err)
	e.srv = httptest.NewServer(auth.Protect(con))
	t.Cleanup(e.srv.Close)
	jar, _ := cookiejar.New(nil)
	e.c = &http.Client{Jar: jar}
	return e
}

func (e *env) get(t *testing.T, path string) (int, string) {
	t.Helper()
	resp, err := e.c.Get(e.srv.URL + path)
	require.NoError(t, err)
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, string(b)
}

func (e *env) post(t *testing.T, path string, form url.Values) (int, string) {
	t.Helper()
	resp, err := e.c.PostForm(e.srv.URL+path, form)
	require.NoError(t, err)
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, string(b)
}

func TestConsoleNeedsASessionAndLogsIn(t *testing.T) {
	e := newEnv(t)
	code, body := e.get(t, "/integrations")
	require.Equal(t, 200, code)
	require.Contains(t, body, "Sign in", "redirected to the login page")
	code, body = e.post(t, "/login", url.Values{"username": {"admin"}, "password": {"nope nope nope"}, "next": {"/runs"}})
	require.Equal(t, http.StatusUnauthorized, code)
	require.Contains(t, body, "wrong user name or password")
	code, body = e.post(t, "/login", url.Values{"username": {"admin"}, "password": {"correct horse battery"}, "next": {"https://evil.example/"}})
	require.Equal(t, 200, code)
	require.Contains(t, body, "<h1>Integrations</h1>", "an off-site next is not followed")
	for _, p := range []string{"/runs", "/directory/users", "/directory/groups", "/directory/devices", "/directory/licences", "/directory/sites", "/audit", "/review", "/tokens", "/integrations/new"} {
		code, _ := e.get(t, p)
		require.Equal(t, 200, code, p)
	}
	for typ := range e.app.Registry() {
		code, body := e.get(t, "/integrations/new?type="+typ)
		require.Equal(t, 200, code, typ)
		require.Contains(t, body, `value="`+typ+`" selected`, typ)
	}
	code, _ = e.get(t, "/integrations/nope")
	require.Equal(t, http.StatusNotFound, code)
}

func TestConsoleCreatesEditsPreviewsAndExplains(t *testing.T) {
	e := newEnv(t)
	e.post(t, "/login", url.Values{"username": {"admin"}, "password": {"correct horse battery"}})

	// A bad creation shows the fields and never the secret typed.
	code, body := e.post(t, "/integrations/new", url.Values{"type": {"entra"}, "name": {"Bad Name"}, "cfg_client_secret": {secretValue}})
	require.Equal(t, http.StatusBadRequest, code)
	require.Contains(t, body, "<strong>name</strong>")
	require.Contains(t, body, "<strong>config.tenant_id</strong>")
	require.NotContains(t, body, secretValue)

	code, body = e.post(t, "/integrations/new", url.Values{"type": {"entra"}, "name": {"contoso"},
		"cfg_tenant_id": {e.em.TenantID()}, "cfg_client_id": {e.em.ClientID()}, "cfg_client_secret": {secretValue},
		"cfg_token_url": {e.em.TokenURL(e.base)}, "cfg_graph_url": {e.em.GraphURL(e.base)}})
	require.Equal(t, 200, code, body)
	require.Contains(t, body, "Integration created, disabled")
	code, body = e.get(t, "/integrations/contoso?tab=connection")
	require.Equal(t, 200, code)
	require.NotContains(t, body, secretValue)
	require.Contains(t, body, `<span class="badge ok">set</span>`)

	imports := url.Values{"enabled": {"on"}, "entities": {"users", "groups"}, "deactivate_when_not_found": {"on"},
		"schedule": {"1s"}, "full_sync_every": {"24h"}, "max_count": {"500"}, "max_percent": {"10"},
		"map_group": {"Sales"}, "map_site": {"London"}, "map_role": {"user"}, "default_site": {"Main"}, "matching": {"upn"}}
	code, body = e.post(t, "/integrations/contoso/imports", imports)
	require.Equal(t, http.StatusBadRequest, code)
	require.Contains(t, body, "<strong>schedule</strong>")
	require.Contains(t, body, `value="1s"`, "the form keeps what was typed")

	// The preview fragment, as the page's script asks for it.
	imports.Set("schedule", "1h")
	req, _ := http.NewRequest("POST", e.srv.URL+"/integrations/contoso/preview", strings.NewReader(imports.Encode()))
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	req.Header.Set("X-Fragment", "preview")
	resp, err := e.c.Do(req)
	require.NoError(t, err)
	b, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	require.Equal(t, 200, resp.StatusCode, string(b))
	require.Contains(t, string(b), `data-preview="imported">1<`, "alice would be imported")
	require.NotContains(t, string(b), "<html", "a fragment")

	code, body = e.post(t, "/integrations/contoso/imports", imports)
	require.Equal(t, 200, code)
	require.Contains(t, body, "Imports settings saved")
	require.NoError(t, e.app.RunNow(t.Context(), jobsReq("contoso")))

	code, body = e.get(t, "/integrations/contoso?tab=troubleshooting&q=carol")
	require.Equal(t, 200, code)
	require.Contains(t, body, "Carol Example is not imported: not a member of any mapped group.")
	code, body = e.get(t, "/directory/users?search=alice")
	require.Equal(t, 200, code)
	require.Contains(t, body, "Alice Example")
	code, body = e.get(t, "/runs")
	require.Contains(t, body, "succeeded")

	// A cross-site form post is refused.
	req, _ = http.NewRequest("POST", e.srv.URL+"/integrations/contoso/action", strings.NewReader("do=delete"))
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	req.Header.Set("Sec-Fetch-Site", "cross-site")
	resp, err = e.c.Do(req)
	require.NoError(t, err)
	resp.Body.Close()
	require.Equal(t, http.StatusForbidden, resp.StatusCode)
	code, _ = e.get(t, "/integrations/contoso")
	require.Equal(t, 200, code, "still there")
}

func TestConsoleReviewDecision(t *testing.T) {
	e := newEnv(t)
	e.post(t, "/login", url.Values{"username": {"admin"}, "password": {"correct horse battery"}})
	_, err := e.app.IntegrationCreate(t.Context(), map[string]any{"name": "contoso", "type": "entra", "scope": map[string]any{"all_users": true},
		"config": map[string]any{"tenant_id": e.em.TenantID(), "client_id": e.em.ClientID(), "client_secret": secretValue,
			"token_url": e.em.TokenURL(e.base), "graph_url": e.em.GraphURL(e.base)}})
	require.NoError(t, err)
	for _, upn := range []string{"dana@contoso.com", "dana.2@contoso.com"} {
		e.em.AddUser(graph.User{DisplayName: "Dana Example", UserPrincipalName: upn, Mail: "dana@contoso.com", AccountEnabled: true})
		require.NoError(t, e.app.RunNow(t.Context(), jobsReq("contoso")))
	}
	items, err := e.app.Store.ReviewList(t.Context(), &store.ReviewListParams{Status: store.ReviewOpen})
	require.NoError(t, err)
	require.Len(t, items, 1)
	code, body := e.get(t, "/review")
	require.Equal(t, 200, code)
	require.Contains(t, body, fmt.Sprintf(`action="/review/%d"`, items[0].ID))
	code, body = e.post(t, fmt.Sprintf("/review/%d", items[0].ID), url.Values{"do": {"ignore"}})
	require.Equal(t, 200, code)
	require.Contains(t, body, "ignored")
	require.Contains(t, body, "Nothing to review.")
}
