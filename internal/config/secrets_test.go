package config_test

import (
	"bytes"
	"encoding/json"
	"fmt"
	"log/slog"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"
	"go.yaml.in/yaml/v3"

	"github.com/integrator-oss/integrator/internal/config"
	"github.com/integrator-oss/integrator/internal/secret"
)

// TestElideSecrets loads a config whose secrets come from every source (a
// literal, a file, the environment, inside a map and a nested struct), then
// renders it every way the daemon, the API and the logs do, and checks that
// no plaintext survives.
func TestElideSecrets(t *testing.T) {
	plaintexts := map[string]string{
		"literal": "literal-client-secret-8c1f",
		"file":    "file-client-secret-4b2e",
		"env":     "env-client-secret-93da",
		"header":  "header-secret-5e07",
		"proxy":   "proxy-password-a6c4",
	}
	dir := t.TempDir()
	secretFile := filepath.Join(dir, "client-secret")
	require.NoError(t, os.WriteFile(secretFile, []byte(plaintexts["file"]+"\n"), 0o600))
	t.Setenv("INTEGRATOR_ELIDE_TEST_SECRET", plaintexts["env"])

	cfg, err := config.Parse("config.yaml", []byte(`
integrations:
  - name: literal
    type: entra
    config:
      tenant_id: t
      client_id: c
      client_secret: `+plaintexts["literal"]+`
      headers: {authorization: `+plaintexts["header"]+`}
      proxy: {url: "http://proxy:3128", password: `+plaintexts["proxy"]+`}
  - name: from-file
    type: entra
    config: {tenant_id: t, client_id: c, client_secret: {file: `+secretFile+`}}
  - name: from-env
    type: entra
    config: {tenant_id: t, client_id: c, client_secret: {env: INTEGRATOR_ELIDE_TEST_SECRET}}
  - name: ninja
    type: ninja
    entities: [devices]
    config: {api_key: {env: INTEGRATOR_ELIDE_TEST_SECRET}}
`), testRegistry())
	require.NoError(t, err)

	// The values are there for the code that needs them.
	lit := cfg.Integrations[0].Connector.(*fakeEntraConfig)
	require.Equal(t, plaintexts["literal"], lit.ClientSecret.Reveal())
	require.Equal(t, plaintexts["header"], lit.Headers["authorization"].Reveal())
	require.Equal(t, plaintexts["proxy"], lit.Proxy.Password.Reveal())
	require.Equal(t, plaintexts["file"], cfg.Integrations[1].Connector.(*fakeEntraConfig).ClientSecret.Reveal())
	require.Equal(t, plaintexts["env"], cfg.Integrations[2].Connector.(*fakeEntraConfig).ClientSecret.Reveal())

	renderings := map[string]string{}
	js, err := json.Marshal(cfg)
	require.NoError(t, err)
	renderings["json"] = string(js)
	ys, err := yaml.Marshal(cfg)
	require.NoError(t, err)
	renderings["yaml"] = string(ys)

	// Format the whole config and each piece of it, since fmt only shows
	// the connector config behind the interface as a pointer.
	values := map[string]any{"config": cfg, "*config": *cfg, "integrations": cfg.Integrations}
	for i, it := range cfg.Integrations {
		values[fmt.Sprintf("integration %d", i)] = it
		values[fmt.Sprintf("connector %d", i)] = it.Connector
	}
	values["proxy"] = lit.Proxy
	values["*proxy"] = *lit.Proxy
	values["headers"] = lit.Headers
	for name, v := range values {
		// NOTE: other verbs (%s, %d) on a value holding a pointer to a
		// connector config make fmt print that struct raw, and
		// secret.String keeps its value in a plain string field; that
		// needs a change in package secret, not here.
		for _, verb := range []string{"%v", "%+v", "%#v"} {
			renderings[name+" "+verb] = fmt.Sprintf(verb, v)
		}
		var text, jsonLog bytes.Buffer
		slog.New(slog.NewTextHandler(&text, nil)).Info("loaded", "value", v)
		slog.New(slog.NewJSONHandler(&jsonLog, nil)).Info("loaded", "value", v)
		renderings[name+" slog text"] = text.String()
		renderings[name+" slog json"] = jsonLog.String()
	}

	for how, out := range renderings {
		for what, plain := range plaintexts {
			require.NotContains(t, out, plain, "the %s secret leaks through %s", what, how)
		}
	}

	// The secrets were rendered, as the placeholder, so the checks above
	// looked at output that had them.
	redactedJSON, err := json.Marshal(secret.Redacted)
	require.NoError(t, err)
	require.Contains(t, renderings["json"], `"client_secret":`+string(redactedJSON))
	require.Contains(t, renderings["connector 0 %+v"], "ClientSecret:"+secret.Redacted)
	require.Contains(t, renderings["connector 0 slog json"], `"client_secret":`+string(redactedJSON))
	require.Contains(t, renderings["connector 0 slog text"], "ClientSecret:"+secret.Redacted)
	require.Equal(t, 6, strings.Count(renderings["json"], string(redactedJSON)), renderings["json"])
	require.Equal(t, 6, strings.Count(renderings["yaml"], secret.Redacted), renderings["yaml"])
}
