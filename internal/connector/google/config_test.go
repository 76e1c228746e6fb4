package google

import (
	"bytes"
	"encoding/json"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"
	"go.yaml.in/yaml/v3"

	"github.com/integrator-oss/integrator/internal/connector"
	gemu "github.com/integrator-oss/integrator/internal/emulator/google"
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

func writeFile(t *testing.T, name string, data []byte) string {
	t.Helper()
	p := filepath.Join(t.TempDir(), name)
	require.NoError(t, os.WriteFile(p, data, 0o600))
	return p
}

func TestValidate(t *testing.T) {
	t.Parallel()
	key := gemu.New(gemu.Options{}).KeyJSON("http://127.0.0.1:1")
	keyFile := writeFile(t, "sa.json", key)
	var m map[string]any
	require.NoError(t, json.Unmarshal(key, &m))
	m["type"] = "authorized_user"
	userKey, _ := json.Marshal(m)
	m["type"] = "service_account"
	m["private_key"] = "-----BEGIN PRIVATE KEY-----\nnot base64\n-----END PRIVATE KEY-----\n"
	brokenKey, _ := json.Marshal(m)

	base := func() Config {
		return Config{CredentialsFile: keyFile, Subject: "admin@example.com"}.WithDefaults()
	}
	tests := []struct {
		name        string
		cfg         func() Config
		fields      []string
		errContains string
	}{
		{"valid", base, nil, ""},
		{"inline key", func() Config {
			c := base()
			c.CredentialsFile, c.Credentials = "", secret.New(string(key))
			return c
		}, nil, ""},
		{"domain instead of customer", func() Config {
			return Config{CredentialsFile: keyFile, Subject: "admin@example.com", Domain: "example.com"}.WithDefaults()
		}, nil, ""},
		{"no key", func() Config { c := base(); c.CredentialsFile = ""; return c }, []string{"credentials_file"}, "required"},
		{"both keys", func() Config { c := base(); c.Credentials = secret.New(string(key)); return c }, []string{"credentials"}, "not both"},
		{"missing file", func() Config { c := base(); c.CredentialsFile = "/nonexistent/sa.json"; return c }, []string{"credentials_file"}, "no such file"},
		{"not JSON", func() Config { c := base(); c.CredentialsFile = writeFile(t, "x.json", []byte("hello")); return c }, []string{"credentials_file"}, "invalid JSON"},
		{"user credentials", func() Config { c := base(); c.CredentialsFile = writeFile(t, "u.json", userKey); return c }, []string{"credentials_file"}, `"authorized_user"`},
		{"broken private key", func() Config {
			c := base()
			c.CredentialsFile, c.Credentials = "", secret.New(string(brokenKey))
			return c
		}, []string{"credentials"}, "private_key"},
		{"no subject", func() Config { c := base(); c.Subject = ""; return c }, []string{"subject"}, "administrator"},
		{"subject not an email", func() Config { c := base(); c.Subject = "admin"; return c }, []string{"subject"}, "email"},
		{"customer and domain", func() Config { c := base(); c.Domain = "example.com"; return c }, []string{"domain"}, "not both"},
		{"bad domain", func() Config {
			return Config{CredentialsFile: keyFile, Subject: "admin@example.com", Domain: "admin@example.com"}.WithDefaults()
		}, []string{"domain"}, "domain name"},
		{"bad URLs", func() Config { c := base(); c.APIURL = "admin.googleapis.com"; c.TokenURL = "ftp://x/token"; return c }, []string{"token_url", "api_url"}, "absolute"},
		{"bad timeout", func() Config { c := base(); c.Timeout = -1; return c }, []string{"timeout"}, "negative"},
		{"several at once", func() Config { return Config{}.WithDefaults() }, []string{"credentials_file", "subject"}, ""},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			err := tc.cfg().Validate()
			if tc.fields == nil {
				require.NoError(t, err)
				return
			}
			require.Error(t, err)
			require.Equal(t, tc.fields, fieldsOf(t, err))
			require.ErrorContains(t, err, tc.errContains)
			require.NotContains(t, err.Error(), "PRIVATE KEY")
			require.NotContains(t, err.Error(), "not base64")
		})
	}
}

func TestOpenRefusesInvalidConfig(t *testing.T) {
	t.Parallel()
	c := Config{}.WithDefaults()
	_, err := c.Open("x", nil)
	require.ErrorContains(t, err, "validating google configuration")
	require.ErrorContains(t, err, "subject")
}

func TestDefaults(t *testing.T) {
	t.Parallel()
	c := Config{}.WithDefaults()
	require.Equal(t, DefaultCustomer, c.Customer)
	require.Equal(t, DefaultAPIURL, c.APIURL)
	require.Equal(t, DefaultTokenURL, c.tokenURL(nil))
	require.Equal(t, "https://k/token", c.tokenURL(&serviceAccountKey{TokenURI: "https://k/token"}))
	c.TokenURL = "https://t/token"
	require.Equal(t, "https://t/token", c.tokenURL(&serviceAccountKey{TokenURI: "https://k/token"}))
	require.Empty(t, Config{Domain: "example.com"}.WithDefaults().Customer)
}

func TestSampleParses(t *testing.T) {
	t.Parallel()
	var c Config
	dec := yaml.NewDecoder(strings.NewReader(Sample))
	dec.KnownFields(true)
	require.NoError(t, dec.Decode(&c))
	require.Equal(t, "sync-admin@example.com", c.Subject)
	require.Equal(t, "my_customer", c.Customer)
	require.NotEmpty(t, c.CredentialsFile)
	require.Contains(t, Doc, "admin.directory.group.member.readonly")
	require.Equal(t, Sample, Type().Sample)
}

func TestKeyNeverMarshalled(t *testing.T) {
	t.Parallel()
	key := gemu.New(gemu.Options{}).KeyJSON("http://127.0.0.1:1")
	var c Config
	require.NoError(t, yaml.Unmarshal([]byte("subject: a@example.com\ncredentials: '"+strings.ReplaceAll(string(key), "'", "''")+"'\n"), &c))
	require.Contains(t, c.Credentials.Reveal(), "PRIVATE KEY")
	j, err := json.Marshal(c)
	require.NoError(t, err)
	y, err := yaml.Marshal(c)
	require.NoError(t, err)
	for _, out := range [][]byte{j, y} {
		require.False(t, bytes.Contains(out, []byte("PRIVATE KEY")), "%s", out)
		require.False(t, bytes.Contains(out, []byte("client_email")), "%s", out)
	}
	require.Contains(t, string(y), secret.Redacted)
}
