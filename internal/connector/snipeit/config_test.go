package snipeit

import (
	"errors"
	"strings"
	"testing"

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
	const token = "super-secret-token-value"
	base := func() Config {
		return Config{URL: "https://assets.example.com", APIToken: secret.New(token)}.WithDefaults()
	}
	tests := []struct {
		name        string
		mod         func(*Config)
		fields      []string
		errContains string
	}{
		{"valid", func(*Config) {}, nil, ""},
		{"valid field map", func(c *Config) { c.FieldMap = map[string]string{"hostname": "Hostname", "mac_addresses": "MAC"} }, nil, ""},
		{"no url", func(c *Config) { c.URL = "" }, []string{"url"}, "required"},
		{"relative url", func(c *Config) { c.URL = "assets.example.com" }, []string{"url"}, "absolute"},
		{"url with credentials", func(c *Config) { c.URL = "https://u:p@assets.example.com" }, []string{"url"}, "credentials"},
		{"no token", func(c *Config) { c.APIToken = secret.String{} }, []string{"api_token"}, "required"},
		{"blank token", func(c *Config) { c.APIToken = secret.New("  ") }, []string{"api_token"}, "required"},
		{"page size", func(c *Config) { c.PageSize = -5 }, []string{"page_size"}, "between"},
		{"status type", func(c *Config) { c.RetiredStatusTypes = []string{"archived", "retired"} }, []string{"retired_status_types"}, `"retired"`},
		{"field map target", func(c *Config) { c.FieldMap = map[string]string{"serial_number": "Serial"} }, []string{"field_map"}, `"serial_number"`},
		{"field map label", func(c *Config) { c.FieldMap = map[string]string{"os": " "} }, []string{"field_map"}, "empty"},
		{"negative budget", func(c *Config) { c.RequestsPerSecond = -1 }, []string{"requests_per_second"}, "negative"},
		{"several at once", func(c *Config) { c.URL, c.APIToken, c.PageSize = "", secret.String{}, 0 }, []string{"url", "api_token", "page_size"}, ""},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			c := base()
			tc.mod(&c)
			err := c.Validate()
			if tc.fields == nil {
				require.NoError(t, err)
				return
			}
			require.Error(t, err)
			require.Equal(t, tc.fields, fieldsOf(t, err))
			require.ErrorContains(t, err, tc.errContains)
			require.NotContains(t, err.Error(), token)
		})
	}
}

func TestDefaults(t *testing.T) {
	t.Parallel()
	c := Config{}.WithDefaults()
	require.Equal(t, 500, c.PageSize)
	require.InDelta(t, 1.9, c.RequestsPerSecond, 1e-9, "the budget stays under 120 requests a minute")
	require.Equal(t, []string{"archived", "undeployable"}, c.RetiredStatusTypes)
	c = Config{RetiredStatusTypes: []string{}}.WithDefaults()
	require.Empty(t, c.RetiredStatusTypes, "an explicit empty list disables nothing")
}

func TestOpenRefusesInvalidConfig(t *testing.T) {
	t.Parallel()
	c := Config{}.WithDefaults()
	_, err := c.Open("x", nil)
	require.ErrorContains(t, err, "validating snipeit configuration")
	require.ErrorContains(t, err, "url")
}

func TestSampleDecodesStrictly(t *testing.T) {
	t.Setenv("SNIPEIT_API_TOKEN", "token-from-env")
	c := Type().New().(*Config)
	dec := yaml.NewDecoder(strings.NewReader(Sample))
	dec.KnownFields(true)
	require.NoError(t, dec.Decode(c))
	require.NoError(t, c.Validate())
	require.Equal(t, "token-from-env", c.APIToken.Reveal())
	require.Equal(t, "Hostname", c.FieldMap["hostname"])

	bad := Type().New().(*Config)
	dec = yaml.NewDecoder(strings.NewReader("url: https://x.example\napi_token: t\npagesize: 5\n"))
	dec.KnownFields(true)
	require.ErrorContains(t, dec.Decode(bad), "pagesize")
	require.NotEmpty(t, Doc)
}
