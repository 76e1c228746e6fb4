package lansweeper

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
	const token = "lsp_super_secret_token"
	base := func() Config { return Config{Token: secret.New(token)}.WithDefaults() }
	tests := []struct {
		name        string
		mod         func(*Config)
		fields      []string
		errContains string
	}{
		{"valid", func(*Config) {}, nil, ""},
		{"valid sites", func(c *Config) { c.SiteIDs = []string{"a", "b"} }, nil, ""},
		{"no token", func(c *Config) { c.Token = secret.String{} }, []string{"token"}, "required"},
		{"duplicate site", func(c *Config) { c.SiteIDs = []string{"a", "a"} }, []string{"site_ids"}, "twice"},
		{"empty site", func(c *Config) { c.SiteIDs = []string{" "} }, []string{"site_ids"}, "empty"},
		{"bad url", func(c *Config) { c.APIURL = "api.lansweeper.com" }, []string{"api_url"}, "absolute"},
		{"page size", func(c *Config) { c.PageSize = 501 }, []string{"page_size"}, "between 1 and 500"},
		{"inventory", func(c *Config) { c.Inventory = []string{"software", "patches"} }, []string{"inventory"}, `"patches"`},
		{"empty state", func(c *Config) { c.RetiredStates = []string{""} }, []string{"retired_states"}, "empty"},
		{"retries", func(c *Config) { c.MaxRetries = -3 }, []string{"max_retries"}, "-1"},
		{"several at once", func(c *Config) { c.Token, c.PageSize = secret.String{}, -1 }, []string{"token", "page_size"}, ""},
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
	require.Equal(t, DefaultAPIURL, c.APIURL)
	require.Equal(t, 100, c.PageSize)
	require.InDelta(t, 2.4, c.RequestsPerSecond, 1e-9, "the budget stays under 150 requests a minute")
	require.Equal(t, []string{"hardware", "software", "custom_fields"}, c.Inventory)
	require.LessOrEqual(t, len(fieldPaths(c.Inventory)), 30, "the API takes at most 30 field paths")
	require.Len(t, fieldPaths(nil), len(baseFields))
}

func TestOpenRefusesInvalidConfig(t *testing.T) {
	t.Parallel()
	c := Config{}.WithDefaults()
	_, err := c.Open("x", nil)
	require.ErrorContains(t, err, "validating lansweeper configuration")
	require.ErrorContains(t, err, "token")
}

func TestSampleDecodesStrictly(t *testing.T) {
	t.Setenv("LANSWEEPER_TOKEN", "token-from-env")
	c := Type().New().(*Config)
	dec := yaml.NewDecoder(strings.NewReader(Sample))
	dec.KnownFields(true)
	require.NoError(t, dec.Decode(c))
	require.NoError(t, c.Validate())
	require.Equal(t, "token-from-env", c.Token.Reveal())

	bad := Type().New().(*Config)
	dec = yaml.NewDecoder(strings.NewReader("token: t\nsites: [a]\n"))
	dec.KnownFields(true)
	require.ErrorContains(t, dec.Decode(bad), "sites")
	require.NotEmpty(t, Doc)
}
