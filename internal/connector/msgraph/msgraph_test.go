package msgraph

import (
	"encoding/json"
	"errors"
	"io"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/integrator-oss/integrator/internal/connector"
	"github.com/integrator-oss/integrator/internal/httpclient"
	"github.com/integrator-oss/integrator/internal/secret"
)

func fields(errs []error) []string {
	var out []string
	for _, e := range errs {
		var fe *connector.FieldError
		if errors.As(e, &fe) {
			out = append(out, fe.Field)
		}
	}
	return out
}

func TestCredentialsValidate(t *testing.T) {
	t.Parallel()
	require.ElementsMatch(t, []string{"tenant_id", "client_id", "client_secret"}, fields(Credentials{}.Validate()))
	c := Credentials{TenantID: "t", ClientID: "c", ClientSecret: secret.New("s"), CertificateFile: "x.pem"}
	require.Equal(t, []string{"client_secret"}, fields(c.Validate()), "a secret and a certificate at once")
	c = Credentials{TenantID: "t", ClientID: "c", CertificateFile: "x.pem"}
	require.Equal(t, []string{"private_key_file"}, fields(c.Validate()))
	c = Credentials{TenantID: "t", ClientID: "c", CertificateFile: "/nonexistent.pem", PrivateKeyFile: "/nonexistent.key"}
	require.Equal(t, []string{"certificate_file"}, fields(c.Validate()))
	c = Credentials{TenantID: "t", ClientID: "c", ClientSecret: secret.New("s"), GraphURL: "graph", TokenURL: "ftp://x/token"}
	require.ElementsMatch(t, []string{"graph_url", "token_url"}, fields(c.Validate()))

	d := Credentials{TenantID: "contoso.onmicrosoft.com"}.WithDefaults()
	require.Equal(t, "https://login.microsoftonline.com/contoso.onmicrosoft.com/oauth2/v2.0/token", d.TokenEndpoint())
	require.Equal(t, "https://graph.microsoft.com/.default", d.Scope())
	d.GraphURL = "https://graph.microsoft.us/v1.0"
	require.Equal(t, "https://graph.microsoft.us/.default", d.Scope())
}

func TestDecodeCollection(t *testing.T) {
	t.Parallel()
	var ids []string
	item := func(dec *json.Decoder) error {
		var v struct{ ID string }
		if err := dec.Decode(&v); err != nil {
			return err
		}
		ids = append(ids, v.ID)
		return nil
	}
	l, err := DecodeCollection(strings.NewReader(`{"@odata.context":"x","value":[{"id":"a"},{"id":"b"}],"@odata.nextLink":"https://g/next"}`), item)
	require.NoError(t, err)
	require.Equal(t, []string{"a", "b"}, ids)
	require.Equal(t, Links{Next: "https://g/next"}, l)

	_, err = DecodeCollection(strings.NewReader(`{"value":[{"id":"a"},`), item)
	require.ErrorIs(t, err, io.ErrUnexpectedEOF)
	require.True(t, CutShort(err), "a cut body is transient")
	_, err = DecodeCollection(strings.NewReader(`{"value":[]}{}`), item)
	require.ErrorContains(t, err, "unexpected data")
	_, err = DecodeCollection(strings.NewReader(`[]`), item)
	require.Error(t, err)
	require.False(t, CutShort(err))
}

func TestCheckLinkKeepsTheTokenAtHome(t *testing.T) {
	t.Parallel()
	hc, err := httpclient.New(httpclient.Config{}, httpclient.Options{})
	require.NoError(t, err)
	c, err := NewClient(Credentials{TenantID: "t", ClientID: "c", ClientSecret: secret.New("s")}, hc, nil)
	require.NoError(t, err)
	require.NoError(t, c.CheckLink("https://graph.microsoft.com/v1.0/users?$skiptoken=x"))
	require.ErrorContains(t, c.CheckLink("https://evil.example/v1.0/users"), "outside graph_url")
	require.Equal(t, "/v1.0/users", LinkPath("https://graph.microsoft.com/v1.0/users?$skiptoken=x"))
}
