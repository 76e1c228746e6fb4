package ninjaone

import (
	"bytes"
	"encoding/json"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"
	"go.yaml.in/yaml/v3"
)

func TestSampleParses(t *testing.T) {
	t.Setenv("NINJAONE_CLIENT_SECRET", "from-the-env")
	var c Config
	dec := yaml.NewDecoder(strings.NewReader(Sample))
	dec.KnownFields(true)
	require.NoError(t, dec.Decode(&c))
	require.Equal(t, "eu", c.Region)
	require.False(t, c.ClientSecret.IsZero())
	require.NoError(t, c.WithDefaults().Validate())
	require.Contains(t, Doc, "API Services (machine-to-machine)")
	require.Equal(t, Sample, Type().Sample)
}

func TestUnknownKeyIsRefused(t *testing.T) {
	t.Parallel()
	var c Config
	dec := yaml.NewDecoder(strings.NewReader("client_id: c\npage_sise: 10\n"))
	dec.KnownFields(true)
	require.ErrorContains(t, dec.Decode(&c), "page_sise")
}

func TestSecretNeverMarshalled(t *testing.T) {
	t.Parallel()
	var c Config
	require.NoError(t, yaml.Unmarshal([]byte("client_id: c\nclient_secret: s3cr3t-Value\n"), &c))
	require.Equal(t, "s3cr3t-Value", c.ClientSecret.Reveal())
	j, err := json.Marshal(c)
	require.NoError(t, err)
	y, err := yaml.Marshal(c)
	require.NoError(t, err)
	for _, out := range [][]byte{j, y} {
		require.False(t, bytes.Contains(out, []byte("s3cr3t-Value")), "%s", out)
	}
}
