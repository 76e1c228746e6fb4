package graph

import (
	"context"
	"crypto"
	"crypto/rand"
	"crypto/rsa"
	"crypto/sha256"
	"encoding/base64"
	"encoding/json"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
	"golang.org/x/oauth2"
	"golang.org/x/oauth2/clientcredentials"
)

type oauthError struct {
	Error            string `json:"error"`
	ErrorDescription string `json:"error_description"`
	ErrorCodes       []int  `json:"error_codes"`
	Timestamp        string `json:"timestamp"`
	TraceID          string `json:"trace_id"`
	CorrelationID    string `json:"correlation_id"`
}

func tokenForm(clientID, secret, scope string) url.Values {
	return url.Values{"client_id": {clientID}, "client_secret": {secret}, "grant_type": {"client_credentials"}, "scope": {scope}}
}

func TestTokenEndpointRejectsBadRequests(t *testing.T) {
	t.Parallel()
	b := setup(t, Options{})
	const scope = "https://graph.microsoft.com/.default"
	wrongSecret := "wrong-" + testSecret
	cases := []struct {
		name   string
		url    string
		form   url.Values
		status int
		error  string
		code   int
	}{
		{"wrong secret", b.emu.TokenURL(b.base), tokenForm(b.emu.ClientID(), wrongSecret, scope), 401, "invalid_client", 7000215},
		{"no credential", b.emu.TokenURL(b.base), tokenForm(b.emu.ClientID(), "", scope), 401, "invalid_client", 7000216},
		{"unknown client", b.emu.TokenURL(b.base), tokenForm("99999999-0000-0000-0000-000000000000", testSecret, scope), 400, "unauthorized_client", 700016},
		{"wrong tenant", b.base + "/72f988bf-86f1-41af-91ab-2d7cd011db47/oauth2/v2.0/token", tokenForm(b.emu.ClientID(), testSecret, scope), 400, "invalid_request", 90002},
		{"delegated scope", b.emu.TokenURL(b.base), tokenForm(b.emu.ClientID(), testSecret, "User.Read.All"), 400, "invalid_scope", 1002012},
		{"no scope", b.emu.TokenURL(b.base), tokenForm(b.emu.ClientID(), testSecret, ""), 400, "invalid_request", 900144},
		{"password grant", b.emu.TokenURL(b.base), url.Values{"client_id": {b.emu.ClientID()}, "client_secret": {testSecret}, "grant_type": {"password"}, "scope": {scope}}, 400, "unsupported_grant_type", 70003},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			resp, body := b.postToken(t, tc.url, tc.form)
			require.Equal(t, tc.status, resp.StatusCode, string(body))
			var oe oauthError
			require.NoError(t, json.Unmarshal(body, &oe))
			require.Equal(t, tc.error, oe.Error)
			require.Equal(t, []int{tc.code}, oe.ErrorCodes)
			require.True(t, strings.HasPrefix(oe.ErrorDescription, "AADSTS"), oe.ErrorDescription)
			require.NotEmpty(t, oe.Timestamp)
			require.NotEmpty(t, oe.TraceID)
			require.NotEmpty(t, oe.CorrelationID)
			require.NotContains(t, string(body), testSecret, "the secret is never echoed")
			require.NotContains(t, string(body), "wrong-")
		})
	}
}

func TestTokenEndpointAcceptsBasicAuthAndDomain(t *testing.T) {
	t.Parallel()
	b := setup(t, Options{})
	form := url.Values{"grant_type": {"client_credentials"}, "scope": {"api://custom/.default"}}
	req, err := http.NewRequestWithContext(t.Context(), http.MethodPost, b.base+"/contoso.com/oauth2/v2.0/token", strings.NewReader(form.Encode()))
	require.NoError(t, err)
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	req.SetBasicAuth(b.emu.ClientID(), testSecret)
	resp, err := b.client.Do(req)
	require.NoError(t, err)
	defer resp.Body.Close()
	require.Equal(t, http.StatusOK, resp.StatusCode)
	var tok map[string]any
	require.NoError(t, json.NewDecoder(resp.Body).Decode(&tok))
	require.InDelta(t, 3599, tok["expires_in"], 1)
}

func TestGraphRejectsMissingBadAndExpiredTokens(t *testing.T) {
	t.Parallel()
	clock := newClock()
	b := setup(t, Options{Now: clock.Now, TokenLifetime: time.Hour})
	good := b.token

	b.token = ""
	resp, ge := b.graphError(t, b.base+"/v1.0/users", http.StatusUnauthorized)
	require.Equal(t, "InvalidAuthenticationToken", ge.Error.Code)
	require.Contains(t, resp.Header.Get("WWW-Authenticate"), "Bearer")

	b.token = "forged"
	_, ge = b.graphError(t, b.base+"/v1.0/users", http.StatusUnauthorized)
	require.Equal(t, "InvalidAuthenticationToken", ge.Error.Code)

	b.token = good
	clock.Advance(59 * time.Minute)
	b.getPage(t, b.base+"/v1.0/users", 0)
	clock.Advance(time.Minute)
	_, ge = b.graphError(t, b.base+"/v1.0/users", http.StatusUnauthorized)
	require.Equal(t, "InvalidAuthenticationToken", ge.Error.Code)
	require.Contains(t, ge.Error.Message, "expired")

	b.token = b.fetchToken(t)
	b.getPage(t, b.base+"/v1.0/users", 0)
}

func TestExpireTokenFault(t *testing.T) {
	t.Parallel()
	b := setup(t, Options{})
	b.emu.Inject(Fault{Path: "/users", After: 1, Kind: FaultExpireToken})
	b.getPage(t, b.base+"/v1.0/users", 0)
	_, ge := b.graphError(t, b.base+"/v1.0/users", http.StatusUnauthorized)
	require.Equal(t, "InvalidAuthenticationToken", ge.Error.Code)
	b.graphError(t, b.base+"/v1.0/organization", http.StatusUnauthorized) // the token stays expired
	b.token = b.fetchToken(t)
	b.getPage(t, b.base+"/v1.0/users", 0)
}

func TestTokenEndpointFault(t *testing.T) {
	t.Parallel()
	b := setup(t, Options{})
	b.emu.Inject(Fault{Path: "token", Status: http.StatusServiceUnavailable, RetryAfter: "3"})
	resp, body := b.postToken(t, b.emu.TokenURL(b.base), tokenForm(b.emu.ClientID(), testSecret, "https://graph.microsoft.com/.default"))
	require.Equal(t, http.StatusServiceUnavailable, resp.StatusCode)
	require.Equal(t, "3", resp.Header.Get("Retry-After"))
	var oe oauthError
	require.NoError(t, json.Unmarshal(body, &oe))
	require.Equal(t, "temporarily_unavailable", oe.Error)
	b.fetchToken(t)
}

// signAssertion builds an RS256 client assertion JWT.
func signAssertion(t *testing.T, key *rsa.PrivateKey, x5t string, claims map[string]any) string {
	t.Helper()
	enc := func(v any) string {
		b, err := json.Marshal(v)
		require.NoError(t, err)
		return base64.RawURLEncoding.EncodeToString(b)
	}
	signing := enc(map[string]any{"alg": "RS256", "typ": "JWT", "x5t": x5t}) + "." + enc(claims)
	sum := sha256.Sum256([]byte(signing))
	sig, err := rsa.SignPKCS1v15(rand.Reader, key, crypto.SHA256, sum[:])
	require.NoError(t, err)
	return signing + "." + base64.RawURLEncoding.EncodeToString(sig)
}

func TestClientAssertion(t *testing.T) {
	t.Parallel()
	key, err := rsa.GenerateKey(rand.Reader, 2048)
	require.NoError(t, err)
	other, err := rsa.GenerateKey(rand.Reader, 2048)
	require.NoError(t, err)
	const thumb = "3A1F0C2B4D5E6F708192A3B4C5D6E7F809102132" // hex, as the portal shows it
	x5t := base64.RawURLEncoding.EncodeToString([]byte{0x3a, 0x1f, 0x0c, 0x2b, 0x4d, 0x5e, 0x6f, 0x70, 0x81, 0x92, 0xa3, 0xb4, 0xc5, 0xd6, 0xe7, 0xf8, 0x09, 0x10, 0x21, 0x32})
	clock := newClock()
	b := setup(t, Options{CertThumbprint: thumb, CertPublicKey: &key.PublicKey, Now: clock.Now})
	aud := "https://login.microsoftonline.com/" + b.emu.TenantID() + "/oauth2/v2.0/token"
	claims := func(mod func(map[string]any)) map[string]any {
		c := map[string]any{"aud": aud, "iss": b.emu.ClientID(), "sub": b.emu.ClientID(), "jti": "1",
			"exp": clock.Now().Add(10 * time.Minute).Unix(), "nbf": clock.Now().Unix()}
		if mod != nil {
			mod(c)
		}
		return c
	}
	post := func(assertion string) (int, oauthError) {
		form := url.Values{"client_id": {b.emu.ClientID()}, "grant_type": {"client_credentials"},
			"scope": {"https://graph.microsoft.com/.default"}, "client_assertion_type": {assertionType}, "client_assertion": {assertion}}
		resp, body := b.postToken(t, b.emu.TokenURL(b.base), form)
		var oe oauthError
		if resp.StatusCode != http.StatusOK {
			require.NoError(t, json.Unmarshal(body, &oe))
		}
		return resp.StatusCode, oe
	}
	status, _ := post(signAssertion(t, key, x5t, claims(nil)))
	require.Equal(t, http.StatusOK, status)

	bad := map[string]string{
		"other key":      signAssertion(t, other, x5t, claims(nil)),
		"other x5t":      signAssertion(t, key, "AAAA", claims(nil)),
		"expired":        signAssertion(t, key, x5t, claims(func(c map[string]any) { c["exp"] = clock.Now().Add(-time.Minute).Unix() })),
		"wrong issuer":   signAssertion(t, key, x5t, claims(func(c map[string]any) { c["iss"] = "someone" })),
		"wrong audience": signAssertion(t, key, x5t, claims(func(c map[string]any) { c["aud"] = "https://example.com/token" })),
		"malformed":      "a.b",
	}
	for name, a := range bad {
		status, oe := post(a)
		require.Equal(t, http.StatusUnauthorized, status, name)
		require.Equal(t, "invalid_client", oe.Error, name)
	}
}

func TestOAuth2ClientCredentialsLibrary(t *testing.T) {
	t.Parallel()
	const secret = "Ab+c/d=e~f.g_h-i%j k"
	emu := New(Options{ClientSecret: secret})
	emu.Generate(3, 1, 1)
	base := emu.StartTest(t)
	tr := &http.Transport{}
	t.Cleanup(tr.CloseIdleConnections)
	ctx := context.WithValue(t.Context(), oauth2.HTTPClient, &http.Client{Transport: tr})
	cfg := clientcredentials.Config{
		ClientID: emu.ClientID(), ClientSecret: secret, TokenURL: emu.TokenURL(base),
		Scopes: []string{"https://graph.microsoft.com/.default"},
	}
	for _, style := range []oauth2.AuthStyle{oauth2.AuthStyleInHeader, oauth2.AuthStyleInParams} {
		cfg.AuthStyle = style
		resp, err := cfg.Client(ctx).Get(emu.GraphURL(base) + "/organization")
		require.NoError(t, err)
		require.Equal(t, http.StatusOK, resp.StatusCode)
		require.NoError(t, resp.Body.Close())
	}
	cfg.ClientSecret = "wrong"
	_, err := cfg.Token(ctx)
	var re *oauth2.RetrieveError
	require.ErrorAs(t, err, &re)
	require.Equal(t, "invalid_client", re.ErrorCode)
	require.NotContains(t, err.Error(), secret)
}
