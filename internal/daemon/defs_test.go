package daemon_test

import (
	"context"
	"encoding/json"
	"errors"
	"log/slog"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/integrator-oss/integrator/internal/config"
	"github.com/integrator-oss/integrator/internal/connector/all"
	"github.com/integrator-oss/integrator/internal/daemon"
	"github.com/integrator-oss/integrator/internal/emulator/graph"
	"github.com/integrator-oss/integrator/internal/jobs"
	"github.com/integrator-oss/integrator/internal/secretbox"
	"github.com/integrator-oss/integrator/internal/store"
)

// openEmpty opens an App over a config file with no integrations.
func openEmpty(t *testing.T, dir string) *daemon.App {
	t.Helper()
	path := filepath.Join(dir, "integrator.yaml")
	require.NoError(t, os.WriteFile(path, []byte("store: sqlite:"+filepath.Join(dir, "i.db")+"\n"), 0o600))
	cfg, err := config.Load(path, all.Registry())
	require.NoError(t, err)
	app, err := daemon.Open(t.Context(), cfg, slog.New(slog.DiscardHandler), daemon.Options{MaxAttempts: 1})
	require.NoError(t, err)
	return app
}

func entraDoc(em *graph.Emulator, base string) map[string]any {
	return map[string]any{
		"name": "api-entra", "type": "entra", "schedule": "1h", "client": "Contoso",
		"scope": map[string]any{"all_users": true},
		"config": map[string]any{
			"tenant_id": em.TenantID(), "client_id": em.ClientID(), "client_secret": testSecret,
			"token_url": em.TokenURL(base), "graph_url": em.GraphURL(base),
		},
	}
}

func TestIntegrationCreatedAtRunTimeRunsAndSurvivesRestart(t *testing.T) {
	em := graph.New(graph.Options{ClientSecret: testSecret})
	em.Generate(30, 3, 7)
	base := em.StartTest(t)
	dir := t.TempDir()
	app := openEmpty(t, dir)
	require.NoError(t, app.StartJobs(context.WithoutCancel(t.Context()), true))

	v, err := app.IntegrationCreate(t.Context(), entraDoc(em, base))
	require.NoError(t, err)
	require.Equal(t, daemon.SourceAPI, v.Source)
	b, _ := json.Marshal(v)
	require.NotContains(t, string(b), testSecret)
	require.Equal(t, map[string]bool{"set": true}, v.Document["config"].(map[string]any)["client_secret"])

	// The key file sits beside the database, private.
	fi, err := os.Stat(filepath.Join(dir, "i.key"))
	require.NoError(t, err)
	require.Equal(t, os.FileMode(0o600), fi.Mode().Perm())
	raw, err := os.ReadFile(filepath.Join(dir, "i.db"))
	require.NoError(t, err)
	require.NotContains(t, string(raw), testSecret, "the secret is stored sealed")

	_, next := app.Next("api-entra")
	require.True(t, next, "the new integration is scheduled without a restart")
	require.NoError(t, app.RunNow(t.Context(), jobs.RunRequest{Integration: "api-entra", Full: true, Trigger: "api"}))
	st, err := app.Status(t.Context())
	require.NoError(t, err)
	require.Len(t, st, 1)
	require.Equal(t, store.RunSucceeded, st[0].LastRun.Status)
	require.Positive(t, st[0].ActiveUsers)

	// A patch without the secret keeps it; the run still authenticates.
	v, err = app.IntegrationPatch(t.Context(), "api-entra", map[string]any{"enabled": false, "schedule": "30m"})
	require.NoError(t, err)
	require.False(t, v.Settings.Enabled)
	_, next = app.Next("api-entra")
	require.False(t, next, "a disabled integration has no tick")
	_, err = app.IntegrationSetEnabled(t.Context(), "api-entra", true)
	require.NoError(t, err)

	require.NoError(t, app.StopJobs(t.Context()))
	require.NoError(t, app.Close())

	app2 := openEmpty(t, dir)
	defer app2.Close()
	require.NoError(t, app2.StartJobs(context.WithoutCancel(t.Context()), false))
	defer app2.StopJobs(context.Background())
	require.NoError(t, app2.RunNow(t.Context(), jobs.RunRequest{Integration: "api-entra", Trigger: "api"}),
		"after a restart the sealed secret opens and the run authenticates")

	require.NoError(t, app2.IntegrationDelete(t.Context(), "api-entra"))
	_, err = app2.IntegrationGetView(t.Context(), "api-entra")
	require.ErrorIs(t, err, store.ErrNotFound)
	runs, err := app2.Store.RunList(t.Context(), &store.RunListParams{})
	require.NoError(t, err)
	require.NotEmpty(t, runs, "deleting an integration keeps its runs as evidence")
}

func TestIntegrationValidationNamesFields(t *testing.T) {
	app := openEmpty(t, t.TempDir())
	defer app.Close()
	doc := map[string]any{"name": "x", "type": "entra", "schedule": "1s",
		"scope":  map[string]any{"mappings": []any{map[string]any{"group": "g", "role": "boss"}}},
		"config": map[string]any{"tenant_id": "t", "client_secret": map[string]any{"file": "/etc/passwd"}}}
	_, err := app.IntegrationCreate(t.Context(), doc)
	var ve *daemon.ValidationError
	require.True(t, errors.As(err, &ve), "%v", err)
	fields := map[string]bool{}
	for _, p := range ve.Problems {
		fields[p.Field] = true
	}
	require.True(t, fields["config.client_secret"], "file references refused: %v", err)

	doc["config"] = map[string]any{"tenant_id": "t"}
	_, err = app.IntegrationCreate(t.Context(), doc)
	require.True(t, errors.As(err, &ve), "%v", err)
	fields = map[string]bool{}
	for _, p := range ve.Problems {
		fields[p.Field] = true
	}
	for _, f := range []string{"schedule", "scope.mappings[0].role", "config.client_id", "config.client_secret"} {
		require.True(t, fields[f], "no problem for %s in %v", f, err)
	}
}

func TestIntegrationWhoseSecretsNoLongerOpenIsShownAndReplaceable(t *testing.T) {
	em := graph.New(graph.Options{ClientSecret: testSecret})
	em.Generate(10, 2, 7)
	base := em.StartTest(t)
	dir := t.TempDir()
	t.Setenv(secretbox.EnvKey, strings.Repeat("ab", 32))
	app := openEmpty(t, dir)
	_, err := app.IntegrationCreate(t.Context(), entraDoc(em, base))
	require.NoError(t, err)
	require.NoError(t, app.Close())

	// Another key: the sealed secret does not open.
	t.Setenv(secretbox.EnvKey, strings.Repeat("cd", 32))
	app = openEmpty(t, dir)
	defer app.Close()
	v, err := app.IntegrationGetView(t.Context(), "api-entra")
	require.NoError(t, err)
	require.Contains(t, v.Error, "do not open with this key")
	_, ok := app.Next("api-entra")
	require.False(t, ok)
	st, err := app.Status(t.Context())
	require.NoError(t, err)
	require.Empty(t, st, "it does not run")

	// Entering the secret again brings it back.
	_, err = app.IntegrationReplace(t.Context(), "api-entra", entraDoc(em, base), 0)
	require.NoError(t, err)
	require.NoError(t, app.Check(t.Context(), "api-entra"))
}

func TestUnloadableIntegrationPatchedWithItsSecret(t *testing.T) {
	em := graph.New(graph.Options{ClientSecret: testSecret})
	base := em.StartTest(t)
	dir := t.TempDir()
	t.Setenv(secretbox.EnvKey, strings.Repeat("ab", 32))
	app := openEmpty(t, dir)
	_, err := app.IntegrationCreate(t.Context(), entraDoc(em, base))
	require.NoError(t, err)
	require.NoError(t, app.Close())
	t.Setenv(secretbox.EnvKey, strings.Repeat("cd", 32))
	app = openEmpty(t, dir)
	defer app.Close()
	require.Contains(t, app.Unloadable(), "api-entra")
	v, err := app.IntegrationGetView(t.Context(), "api-entra")
	require.NoError(t, err)
	require.Equal(t, "entra", v.Type)
	require.Equal(t, em.TenantID(), v.Document["config"].(map[string]any)["tenant_id"], "the document is kept")

	_, err = app.IntegrationPatch(t.Context(), "api-entra", map[string]any{"schedule": "2h"})
	var ve *daemon.ValidationError
	require.ErrorAs(t, err, &ve, "without its secret it does not validate")
	require.Equal(t, "config.client_secret", ve.Problems[0].Field)
	_, err = app.IntegrationPatch(t.Context(), "api-entra", map[string]any{"config": map[string]any{"client_secret": testSecret}})
	require.NoError(t, err)
	require.Empty(t, app.Unloadable())
	require.NoError(t, app.Check(t.Context(), "api-entra"))
}
