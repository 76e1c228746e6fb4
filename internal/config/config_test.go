package config_test

import (
	"log/slog"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/integrator-oss/integrator/internal/config"
	"github.com/integrator-oss/integrator/internal/integration"
	"github.com/integrator-oss/integrator/internal/record"
)

func parse(t *testing.T, doc string) *config.Config {
	t.Helper()
	cfg, err := config.Parse("config.yaml", []byte(doc), testRegistry())
	require.NoError(t, err)
	return cfg
}

func TestParseDefaults(t *testing.T) {
	t.Parallel()

	cfg := parse(t, `
integrations:
  - name: contoso
    type: entra
    config: {tenant_id: t, client_id: c, client_secret: s}
`)
	require.Equal(t, "config.yaml", cfg.Path)
	require.Equal(t, config.DefaultStore, cfg.Store)
	require.Equal(t, "sqlite:integrator.db", cfg.Store)
	require.Equal(t, "127.0.0.1:8080", cfg.Listen)
	require.Equal(t, config.LogConfig{Level: "info", Format: "text"}, cfg.Log)
	require.Equal(t, slog.LevelInfo, cfg.Log.SlogLevel())
	require.Len(t, cfg.Integrations, 1)

	it := cfg.Integrations[0]
	require.Equal(t, 3, it.Line)
	yes := true
	require.Equal(t, integration.Settings{
		Name:                   "contoso",
		Type:                   "entra",
		Enabled:                true,
		Entities:               []record.Kind{record.KindUser, record.KindGroup},
		Schedule:               integration.Schedule{Every: 15 * time.Minute},
		FullSyncEvery:          24 * time.Hour,
		RunTimeout:             2 * time.Hour,
		Client:                 "contoso",
		DeactivateWhenNotFound: &yes,
		Threshold:              integration.Threshold{MaxCount: 500, MaxPercent: 10},
		Scope:                  integration.Scope{DefaultSite: "Main"},
		Matching:               []string{"immutable_id", "upn", "email"},
		Lifecycle:              "authoritative",
		Assets: integration.AssetSettings{
			Matching: []string{"serial", "mac", "hostname"}, StaleAfter: 90 * 24 * time.Hour, User: "auto",
		},
	}, it.Settings)

	conn, ok := it.Connector.(*fakeEntraConfig)
	require.True(t, ok, "connector config is %T", it.Connector)
	require.Equal(t, "t", conn.TenantID)
	require.Equal(t, "s", conn.ClientSecret.Reveal())
	require.Equal(t, 100, conn.PageSize, "the factory's default survives decoding")
}

func TestParseEmpty(t *testing.T) {
	t.Parallel()

	for _, doc := range []string{"", "# nothing yet\n", "integrations: []\n", "log:\n"} {
		cfg := parse(t, doc)
		require.Equal(t, config.DefaultStore, cfg.Store)
		require.Equal(t, config.DefaultListen, cfg.Listen)
		require.Equal(t, config.DefaultLogFormat, cfg.Log.Format)
		require.Equal(t, config.DefaultLogLevel, cfg.Log.Level)
		require.Empty(t, cfg.Integrations)
	}
}

func TestParseEverything(t *testing.T) {
	t.Parallel()

	dir := t.TempDir()
	secretFile := filepath.Join(dir, "proxy-password")
	require.NoError(t, os.WriteFile(secretFile, []byte("proxy-pass\n"), 0o600))

	cfg := parse(t, `
store: postgres://integrator@db.internal/integrator
listen: :9090
log: {level: debug, format: json}
integrations:
  - name: contoso.entra_1
    type: entra
    enabled: false
    entities: [users, groups, contacts, devices]
    schedule: "*/5 * * * *"
    full_sync_every: 7d
    run_timeout: 1d12h
    client: Contoso Ltd
    deactivate_when_not_found: false
    threshold: {max_count: -1, max_percent: 2.5}
    scope:
      all_users: true
      default_site: HQ
      mappings:
        - {group: Sales, site: London, role: user}
        - {group: "IT Support", role: agent}
        - group: Everyone
        - {org_unit: "OU=Leeds,DC=corp,DC=example", site: Leeds}
    matching: [employee_id, email]
    lifecycle: contributing
    assets:
      matching: [mac, serial]
      placeholder_serials: ["ACME-0000"]
      stale_after: 30d
      user: last_logged_on
      upn_suffix: corp.example
      organisations:
        - {source: "Acme Corp", client: Acme, site: HQ}
        - {source: "17", client: Globex}
    config:
      tenant_id: tenant
      client_id: client
      client_secret: literal
      page_size: 999
      timeout: 45s
      endpoints:
        graph: https://graph.example
      headers:
        x-api-key: header-secret
      proxy:
        url: http://proxy.example:3128
        password: {file: `+secretFile+`}
ownership:
  department: [contoso.entra_1]
`)
	require.Equal(t, integration.Ownership{"department": {"contoso.entra_1"}}, cfg.Ownership)
	require.Equal(t, "postgres://integrator@db.internal/integrator", cfg.Store)
	require.Equal(t, ":9090", cfg.Listen)
	require.Equal(t, config.LogConfig{Level: "debug", Format: "json"}, cfg.Log)
	require.Equal(t, slog.LevelDebug, cfg.Log.SlogLevel())

	it, ok := cfg.Integration("contoso.entra_1")
	require.True(t, ok)
	no := false
	require.Equal(t, integration.Settings{
		Name:                   "contoso.entra_1",
		Type:                   "entra",
		Enabled:                false,
		Entities:               []record.Kind{record.KindUser, record.KindGroup, record.KindContact, record.KindAsset},
		Schedule:               integration.Schedule{Cron: "*/5 * * * *"},
		FullSyncEvery:          7 * 24 * time.Hour,
		RunTimeout:             36 * time.Hour,
		Client:                 "Contoso Ltd",
		DeactivateWhenNotFound: &no,
		Threshold:              integration.Threshold{MaxCount: -1, MaxPercent: 2.5},
		Scope: integration.Scope{
			AllUsers:    true,
			DefaultSite: "HQ",
			Mappings: []integration.Mapping{
				{Group: "Sales", Site: "London", Role: "user"},
				{Group: "IT Support", Role: "agent"},
				{Group: "Everyone"},
				{OrgUnit: "OU=Leeds,DC=corp,DC=example", Site: "Leeds"},
			},
		},
		Matching:  []string{"employee_id", "email"},
		Lifecycle: "contributing",
		Assets: integration.AssetSettings{
			Matching: []string{"mac", "serial"}, PlaceholderSerials: []string{"ACME-0000"},
			StaleAfter: 30 * 24 * time.Hour, User: "last_logged_on", UPNSuffix: "corp.example",
			Organisations: []integration.OrgMap{{Source: "Acme Corp", Client: "Acme", Site: "HQ"}, {Source: "17", Client: "Globex"}},
		},
	}, it.Settings)

	conn := it.Connector.(*fakeEntraConfig)
	require.Equal(t, 999, conn.PageSize)
	require.Equal(t, 45*time.Second, conn.Timeout, "inline fields decode")
	require.Equal(t, "https://graph.example", conn.Endpoints.Graph)
	require.Equal(t, "header-secret", conn.Headers["x-api-key"].Reveal())
	require.Equal(t, "http://proxy.example:3128", conn.Proxy.URL)
	require.Equal(t, "proxy-pass", conn.Proxy.Password.Reveal())

	_, ok = cfg.Integration("nope")
	require.False(t, ok)
}

func TestParseScheduleForms(t *testing.T) {
	t.Parallel()

	for _, tc := range []struct {
		schedule string
		want     integration.Schedule
	}{
		{"15m", integration.Schedule{Every: 15 * time.Minute}},
		{"10s", integration.Schedule{Every: 10 * time.Second}},
		{"1h30m", integration.Schedule{Every: 90 * time.Minute}},
		{"1d", integration.Schedule{Every: 24 * time.Hour}},
		{"{every: 2h}", integration.Schedule{Every: 2 * time.Hour}},
		{"{every: 7d}", integration.Schedule{Every: 7 * 24 * time.Hour}},
		{`"*/15 * * * *"`, integration.Schedule{Cron: "*/15 * * * *"}},
		{"'@hourly'", integration.Schedule{Cron: "@hourly"}},
		{"'@every 1h'", integration.Schedule{Cron: "@every 1h"}},
		{`{cron: "0 6 * * 1-5"}`, integration.Schedule{Cron: "0 6 * * 1-5"}},
		{"\n      cron: '@daily'", integration.Schedule{Cron: "@daily"}},
	} {
		t.Run(tc.schedule, func(t *testing.T) {
			t.Parallel()
			cfg := parse(t, `
integrations:
  - name: contoso
    type: entra
    schedule: `+tc.schedule+`
    config: {tenant_id: t, client_id: c, client_secret: s}
`)
			require.Equal(t, tc.want, cfg.Integrations[0].Settings.Schedule)
		})
	}
}

func TestParseMergeKeys(t *testing.T) {
	t.Parallel()

	cfg := parse(t, `
x-defaults: &defaults
  schedule: 1h
  full_sync_every: 2d
  config: &creds {tenant_id: shared, client_id: c, client_secret: s}
integrations:
  - name: contoso
    type: entra
    <<: *defaults
  - name: fabrikam
    type: entra
    <<: *defaults
    schedule: 5m
    config:
      <<: *creds
      tenant_id: own
`)
	c, f := cfg.Integrations[0], cfg.Integrations[1]
	require.Equal(t, time.Hour, c.Settings.Schedule.Every)
	require.Equal(t, 48*time.Hour, c.Settings.FullSyncEvery)
	require.Equal(t, "shared", c.Connector.(*fakeEntraConfig).TenantID)
	require.Equal(t, 5*time.Minute, f.Settings.Schedule.Every, "a key written out wins over a merged one")
	require.Equal(t, 48*time.Hour, f.Settings.FullSyncEvery)
	require.Equal(t, "own", f.Connector.(*fakeEntraConfig).TenantID)
	require.Equal(t, "c", f.Connector.(*fakeEntraConfig).ClientID)
}

func TestParseMergedProblemsKeepTheirLines(t *testing.T) {
	t.Parallel()

	_, err := config.Parse("config.yaml", []byte(`
x-creds: &creds
  tenant_id: t
  client_id: c
  client_secret: s
  page_sise: 10
integrations:
  - name: contoso
    type: entra
    config:
      <<: *creds
      endpoints: {graph: http://plain.example}
`), testRegistry())
	require.ErrorContains(t, err, "config.yaml:6: integrations[0].config.page_sise: unknown field")
	require.ErrorContains(t, err, "config.yaml:12: integrations[0].config.endpoints.graph: must be an https:// URL")
}

func TestLoad(t *testing.T) {
	t.Parallel()

	path := filepath.Join(t.TempDir(), "integrator.yaml")
	require.NoError(t, os.WriteFile(path, []byte("listen: 127.0.0.1:9999\n"), 0o600))
	cfg, err := config.Load(path, testRegistry())
	require.NoError(t, err)
	require.Equal(t, path, cfg.Path)
	require.Equal(t, "127.0.0.1:9999", cfg.Listen)

	_, err = config.Load(filepath.Join(t.TempDir(), "missing.yaml"), testRegistry())
	require.ErrorContains(t, err, "reading config: ")
	require.ErrorIs(t, err, os.ErrNotExist)
}

func TestParseEnvSecret(t *testing.T) {
	t.Setenv("INTEGRATOR_CONFIG_TEST_SECRET", "from-the-environment")

	cfg := parse(t, `
integrations:
  - name: contoso
    type: entra
    config:
      tenant_id: t
      client_id: c
      client_secret: {env: INTEGRATOR_CONFIG_TEST_SECRET}
`)
	require.Equal(t, "from-the-environment", cfg.Integrations[0].Connector.(*fakeEntraConfig).ClientSecret.Reveal())
}

func TestDeviceConnectorDefaultsToItsOwnKinds(t *testing.T) {
	t.Parallel()
	cfg := parse(t, `
integrations:
  - name: ninja
    type: ninja
    config: {api_key: k}
`)
	require.Equal(t, []record.Kind{record.KindAsset}, cfg.Integrations[0].Settings.Entities)
}
