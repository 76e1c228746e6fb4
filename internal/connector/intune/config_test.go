package intune

import (
	"bytes"
	"encoding/json"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"
	"go.yaml.in/yaml/v3"
)

func TestSampleParses(t *testing.T) {
	t.Setenv("INTUNE_CLIENT_SECRET", "from-the-env")
	var c Config
	dec := yaml.NewDecoder(strings.NewReader(Sample))
	dec.KnownFields(true)
	require.NoError(t, dec.Decode(&c))
	require.Equal(t, "00000000-0000-0000-0000-000000000000", c.TenantID)
	require.False(t, c.ClientSecret.IsZero())
	require.NoError(t, c.WithDefaults().Validate())
	require.Contains(t, Doc, "DeviceManagementManagedDevices.Read.All")
	require.Equal(t, Sample, Type().Sample)
}

func TestUnknownKeyIsRefused(t *testing.T) {
	t.Parallel()
	var c Config
	dec := yaml.NewDecoder(strings.NewReader("tenant_id: t\npage_sise: 10\n"))
	dec.KnownFields(true)
	require.ErrorContains(t, dec.Decode(&c), "page_sise")
}

func TestSecretNeverMarshalled(t *testing.T) {
	t.Parallel()
	var c Config
	require.NoError(t, yaml.Unmarshal([]byte("tenant_id: t\nclient_id: c\nclient_secret: s3cr3t-Value\n"), &c))
	require.Equal(t, "s3cr3t-Value", c.ClientSecret.Reveal())
	j, err := json.Marshal(c)
	require.NoError(t, err)
	y, err := yaml.Marshal(c)
	require.NoError(t, err)
	for _, out := range [][]byte{j, y} {
		require.False(t, bytes.Contains(out, []byte("s3cr3t-Value")), "%s", out)
	}
}
