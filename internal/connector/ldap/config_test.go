package ldap

import (
	"errors"
	"fmt"
	"path/filepath"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"
	"go.yaml.in/yaml/v3"

	"github.com/integrator-oss/integrator/internal/connector"
	"github.com/integrator-oss/integrator/internal/record"
)

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
	base := func() Config {
		return Config{URL: "ldaps://dc1.corp.example", BindDN: "svc@corp.example", BindPassword: secretOf("pw")}.WithDefaults()
	}
	tests := []struct {
		name        string
		cfg         func() Config
		fields      []string
		errContains string
	}{
		{name: "valid ldaps", cfg: base},
		{name: "valid starttls", cfg: func() Config { c := base(); c.URL, c.StartTLS = "ldap://dc1:389", true; return c }},
		{name: "valid plaintext opt-in", cfg: func() Config { c := base(); c.URL, c.InsecurePlaintext = "ldap://dc1", true; return c }},
		{name: "everything missing", cfg: func() Config { return Config{}.WithDefaults() }, fields: []string{"url", "bind_dn", "bind_password"}},
		{name: "plain ldap without opt-in", cfg: func() Config { c := base(); c.URL = "ldap://dc1"; return c },
			fields: []string{"url"}, errContains: "insecure_plaintext"},
		{name: "starttls on ldaps", cfg: func() Config { c := base(); c.StartTLS = true; return c }, fields: []string{"start_tls"}},
		{name: "not an ldap url", cfg: func() Config { c := base(); c.URL = "https://dc1"; return c }, fields: []string{"url"}},
		{name: "bad values", cfg: func() Config {
			c := base()
			c.Dialect = "novell"
			c.BaseDNs = []string{"OU=Staff,DC=corp", "not a dn"}
			c.UserFilter = "department=Sales"
			c.PageSize = -1
			c.MemberRangeSize = -1
			c.DisabledMarkers = []string{"accountDisabled"}
			c.CAFile = filepath.Join(t.TempDir(), "missing.pem")
			return c
		}, fields: []string{"dialect", "base_dns[1]", "user_filter", "page_size", "member_range_size", "disabled_markers[0]", "ca_file"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			err := tt.cfg().Validate()
			if tt.fields == nil {
				require.NoError(t, err)
				return
			}
			require.Equal(t, tt.fields, fieldsOf(t, err))
			if tt.errContains != "" {
				require.ErrorContains(t, err, tt.errContains)
			}
		})
	}
}

func TestSampleDecodesStrictly(t *testing.T) {
	t.Setenv("LDAP_BIND_PASSWORD", "from-the-environment")
	cfg := Config{}.WithDefaults()
	dec := yaml.NewDecoder(strings.NewReader(Sample))
	dec.KnownFields(true)
	require.NoError(t, dec.Decode(&cfg))
	require.Equal(t, "ldaps://dc1.corp.example:636", cfg.URL)
	require.Len(t, cfg.BaseDNs, 2)
	err := cfg.Validate()
	// The sample's CA file does not exist here; everything else is valid.
	require.Equal(t, []string{"ca_file"}, fieldsOf(t, err))
	require.Contains(t, Doc, "Show Deleted")
	require.Equal(t, []record.Kind{record.KindGroup, record.KindUser, record.KindAsset}, Type().Kinds)
}

func TestUnreachableServerIsRetryable(t *testing.T) {
	t.Parallel()
	port, err := freePort()
	require.NoError(t, err)
	cfg := Config{URL: fmt.Sprintf("ldap://127.0.0.1:%d", port), InsecurePlaintext: true, BindDN: "cn=x", BindPassword: secretOf("pw-not-shown")}.WithDefaults()
	src, err := open(cfg, "test", nil)
	require.NoError(t, err)
	_, err = src.Fetch(t.Context(), connector.FetchRequest{}, &collect{})
	require.Error(t, err)
	require.True(t, connector.IsRetryable(err), "%v", err)
	require.NotContains(t, err.Error(), "pw-not-shown")
	_, err = src.Fetch(t.Context(), connector.FetchRequest{Kinds: []record.Kind{record.KindContact}}, &collect{})
	require.ErrorContains(t, err, `does not fetch "contact"`)
}
