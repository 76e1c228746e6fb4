package entra

import (
	"bytes"
	"crypto/rand"
	"crypto/rsa"
	"crypto/x509"
	"encoding/json"
	"encoding/pem"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
	"go.yaml.in/yaml/v3"

	"github.com/integrator-oss/integrator/internal/connector"
	"github.com/integrator-oss/integrator/internal/secret"
)

// fieldsOf lists the fields of the *connector.FieldError values in err.
func fieldsOf(t *testing.T, err error) []string {
	t.Helper()
	var fields []string
	var walk func(error)
	walk = func(e error) {
		if j, ok := e.(interface{ Unwrap() []error }); ok {
			for _, x := range j.Unwrap() {
				walk(x)
			}
			return
		}
		var fe *connector.FieldError
		require.True(t, errors.As(e, &fe), "not a field error: %v", e)
		fields = append(fields, fe.Field)
	}
	walk(err)
	return fields
}

func TestValidate(t *testing.T) {
	t.Parallel()
	cert := loadTestCert(t)
	certFile, keyFile := cert.writeFiles(t)
	otherKey, err := rsa.GenerateKey(rand.Reader, 1024) //nolint:gosec // a test key that must not match.
	require.NoError(t, err)
	otherKeyFile := filepath.Join(t.TempDir(), "other.key")
	require.NoError(t, os.WriteFile(otherKeyFile, pem.EncodeToMemory(&pem.Block{Type: "RSA PRIVATE KEY", Bytes: x509.MarshalPKCS1PrivateKey(otherKey)}), 0o600))

	base := func() Config {
		return Config{TenantID: "t", ClientID: "c", ClientSecret: secret.New("s")}.WithDefaults()
	}
	tests := []struct {
		name        string
		cfg         func() Config
		fields      []string
		errContains string
	}{
		{name: "valid secret", cfg: base},
		{name: "valid certificate", cfg: func() Config {
			c := base()
			c.ClientSecret = secret.String{}
			c.CertificateFile, c.PrivateKeyFile = certFile, keyFile
			return c
		}},
		{name: "everything missing", cfg: func() Config { return Config{} }, fields: []string{"tenant_id", "client_id", "client_secret"}},
		{name: "secret and certificate", cfg: func() Config {
			c := base()
			c.CertificateFile, c.PrivateKeyFile = certFile, keyFile
			return c
		}, fields: []string{"client_secret"}, errContains: "not both"},
		{name: "certificate without key", cfg: func() Config {
			c := base()
			c.ClientSecret = secret.String{}
			c.CertificateFile = certFile
			return c
		}, fields: []string{"private_key_file"}},
		{name: "key without certificate", cfg: func() Config {
			c := base()
			c.ClientSecret = secret.String{}
			c.PrivateKeyFile = keyFile
			return c
		}, fields: []string{"certificate_file"}},
		{name: "missing certificate file", cfg: func() Config {
			c := base()
			c.ClientSecret = secret.String{}
			c.CertificateFile, c.PrivateKeyFile = filepath.Join(t.TempDir(), "nope.crt"), keyFile
			return c
		}, fields: []string{"certificate_file"}, errContains: "no such file"},
		{name: "key of another certificate", cfg: func() Config {
			c := base()
			c.ClientSecret = secret.String{}
			c.CertificateFile, c.PrivateKeyFile = certFile, otherKeyFile
			return c
		}, fields: []string{"private_key_file"}, errContains: "does not match"},
		{name: "bad URLs and HTTP settings", cfg: func() Config {
			c := base()
			c.AuthorityURL = "login.microsoftonline.com"
			c.TokenURL = "ftp://x/token"
			c.GraphURL = "::"
			c.Timeout = -time.Second
			c.MaxRetries = -5
			return c
		}, fields: []string{"authority_url", "token_url", "graph_url", "timeout", "max_retries"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			err := tt.cfg().Validate()
			if tt.fields == nil {
				require.NoError(t, err)
				return
			}
			require.Error(t, err)
			require.Equal(t, tt.fields, fieldsOf(t, err))
			if tt.errContains != "" {
				require.ErrorContains(t, err, tt.errContains)
			}
		})
	}
}

func TestOpenRefusesInvalidConfig(t *testing.T) {
	t.Parallel()
	_, err := (&Config{}).Open("x", nil)
	require.Error(t, err)
	require.Equal(t, []string{"tenant_id", "client_id", "client_secret"}, fieldsOf(t, errors.Unwrap(err)))
}

func TestDefaultsAndURLs(t *testing.T) {
	t.Parallel()
	c := Type().New().(*Config)
	require.Equal(t, DefaultAuthorityURL, c.AuthorityURL)
	require.Equal(t, DefaultGraphURL, c.GraphURL)
	c.TenantID = "contoso.onmicrosoft.com"
	require.Equal(t, "https://login.microsoftonline.com/contoso.onmicrosoft.com/oauth2/v2.0/token", c.tokenURL())
	require.Equal(t, "https://graph.microsoft.com/.default", c.scope())
	c.GraphURL = "https://graph.microsoft.us/v1.0"
	require.Equal(t, "https://graph.microsoft.us/.default", c.scope())
	c.TokenURL = "http://127.0.0.1:1/t/token"
	require.Equal(t, "http://127.0.0.1:1/t/token", c.tokenURL())
}

// The sample must decode strictly into the connector's Config and validate.
// Not parallel: it sets the environment variable the sample refers to.
func TestSampleParses(t *testing.T) {
	t.Setenv("ENTRA_CLIENT_SECRET", "sample-secret")
	c := Type().New()
	dec := yaml.NewDecoder(strings.NewReader(Sample))
	dec.KnownFields(true)
	require.NoError(t, dec.Decode(c))
	require.NoError(t, c.Validate())
	cfg := c.(*Config)
	require.Equal(t, "sample-secret", cfg.ClientSecret.Reveal())
	require.Equal(t, 60*time.Second, cfg.Timeout)
	require.Equal(t, 6, cfg.MaxRetries)
	require.Contains(t, Doc, "User.Read.All")
	require.Contains(t, Doc, "GroupMember.Read.All")
}

func TestConfigKeysAndSecretRedaction(t *testing.T) {
	t.Parallel()
	src := `
tenant_id: t
client_id: c
client_secret: hunter2-plain
authority_url: http://127.0.0.1:1
graph_url: http://127.0.0.1:1/v1.0
timeout: 5s
max_retries: 2
requests_per_second: 3.5
ca_file: /etc/ca.pem
insecure_skip_verify: true
`
	var c Config
	dec := yaml.NewDecoder(strings.NewReader(src))
	dec.KnownFields(true)
	require.NoError(t, dec.Decode(&c))
	require.Equal(t, "hunter2-plain", c.ClientSecret.Reveal())
	require.Equal(t, 5*time.Second, c.Timeout)
	require.Equal(t, 2, c.MaxRetries)
	require.InEpsilon(t, 3.5, c.RequestsPerSecond, 1e-9)
	require.Equal(t, "/etc/ca.pem", c.CAFile)
	require.True(t, c.InsecureSkipVerify)

	j, err := json.Marshal(c)
	require.NoError(t, err)
	y, err := yaml.Marshal(c)
	require.NoError(t, err)
	var all bytes.Buffer
	all.Write(j)
	all.Write(y)
	require.NotContains(t, all.String(), "hunter2-plain")
	require.Contains(t, string(j), `"tenant_id":"t"`)
	require.Contains(t, string(j), `"max_retries":2`)

	dec = yaml.NewDecoder(strings.NewReader("tenant_idd: x\n"))
	dec.KnownFields(true)
	require.Error(t, dec.Decode(&Config{}), "unknown keys must be rejected")
}
