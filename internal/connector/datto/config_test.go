package datto

import (
	"encoding/json"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"
	"go.yaml.in/yaml/v3"
)

// Not parallel: it sets the environment variables the sample refers to.
func TestSampleParses(t *testing.T) {
	t.Setenv("DATTO_API_KEY", "sample-key")
	t.Setenv("DATTO_API_SECRET", "sample-secret")
	c := Type().New()
	dec := yaml.NewDecoder(strings.NewReader(Sample))
	dec.KnownFields(true)
	require.NoError(t, dec.Decode(c))
	require.NoError(t, c.Validate())
	cfg := c.(*Config)
	require.Equal(t, "sample-secret", cfg.APISecret.Reveal())
	require.Equal(t, "https://merlot-api.centrastage.net", cfg.baseURL())
	require.Contains(t, Doc, "Generate API Keys")
}

func TestSecretsNeverMarshal(t *testing.T) {
	t.Parallel()
	var c Config
	dec := yaml.NewDecoder(strings.NewReader("platform: syrah\napi_key: KEY-plain-123\napi_secret: hunter2-plain\n"))
	dec.KnownFields(true)
	require.NoError(t, dec.Decode(&c))
	j, err := json.Marshal(c)
	require.NoError(t, err)
	y, err := yaml.Marshal(c)
	require.NoError(t, err)
	for _, s := range []string{string(j), string(y)} {
		require.NotContains(t, s, "hunter2-plain")
		require.NotContains(t, s, "KEY-plain-123")
	}
	dec = yaml.NewDecoder(strings.NewReader("platfrom: syrah\n"))
	dec.KnownFields(true)
	require.Error(t, dec.Decode(&Config{}), "unknown keys are rejected")
}
