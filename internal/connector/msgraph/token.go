package msgraph

import (
	"context"
	"errors"
	"fmt"
	"net/url"
	"strings"
	"sync"
	"time"

	"golang.org/x/oauth2"
	"golang.org/x/oauth2/clientcredentials"

	"github.com/integrator-oss/integrator/internal/connector"
	"github.com/integrator-oss/integrator/internal/httpclient"
	"github.com/integrator-oss/integrator/internal/secret"
)

// tokenMargin renews an access token this long before it expires, so that
// a request never leaves with a token about to lapse.
const tokenMargin = time.Minute

// tokenCache holds the app's access token for Graph and renews it through
// the client credentials grant. A token Graph refuses is dropped with
// invalidate, and the next request fetches a fresh one.
type tokenCache struct {
	clientID string
	tokenURL string
	scope    string
	creds    proof
	http     *httpclient.Client
	now      func() time.Time

	mu  sync.Mutex
	tok *oauth2.Token
}

func newTokenCache(c Credentials, creds proof, hc *httpclient.Client) *tokenCache {
	return &tokenCache{
		clientID: c.ClientID,
		tokenURL: c.TokenEndpoint(),
		scope:    c.Scope(),
		creds:    creds,
		http:     hc,
		now:      time.Now,
	}
}

// token returns a valid access token, fetching one with ctx if the cached
// one is missing or about to expire.
func (t *tokenCache) token(ctx context.Context) (string, error) {
	t.mu.Lock()
	defer t.mu.Unlock()
	if t.tok != nil && (t.tok.Expiry.IsZero() || t.now().Add(tokenMargin).Before(t.tok.Expiry)) {
		return t.tok.AccessToken, nil
	}
	cc := &clientcredentials.Config{
		ClientID:     t.clientID,
		ClientSecret: t.creds.secret.Reveal(),
		TokenURL:     t.tokenURL,
		Scopes:       []string{t.scope},
		AuthStyle:    oauth2.AuthStyleInParams,
	}
	if t.creds.cert != nil {
		jwt, err := t.creds.cert.Assertion(t.clientID, t.tokenURL, t.now())
		if err != nil {
			return "", err
		}
		cc.EndpointParams = url.Values{"client_assertion_type": {assertionType}, "client_assertion": {jwt}}
	}
	tok, err := cc.Token(context.WithValue(ctx, oauth2.HTTPClient, t.http.HTTPClient()))
	if err != nil {
		return "", t.describe(ctx, err)
	}
	t.tok = tok
	return tok.AccessToken, nil
}

// invalidate drops the cached token if it is still access, the token Graph
// just refused.
func (t *tokenCache) invalidate(access string) {
	t.mu.Lock()
	defer t.mu.Unlock()
	if t.tok != nil && t.tok.AccessToken == access {
		t.tok = nil
	}
}

// TokenError is the token endpoint's refusal of a token request. It wraps
// connector.ErrUnauthorized when the credentials themselves were refused
// (invalid_client, unauthorized_client).
type TokenError struct {
	StatusCode int
	// Code is the OAuth "error" ("invalid_client", "invalid_scope", ...).
	Code string
	// Description is the first line of "error_description" (Entra puts
	// the AADSTS code first and trace IDs on later lines).
	Description string
}

func (e *TokenError) Error() string {
	s := fmt.Sprintf("token endpoint answered %d", e.StatusCode)
	if e.Code != "" {
		s += ": " + e.Code
	}
	if e.Description != "" {
		s += ": " + e.Description
	}
	return s
}

// Unwrap makes credential refusals match connector.ErrUnauthorized.
func (e *TokenError) Unwrap() error {
	switch strings.ToLower(e.Code) {
	case "invalid_client", "unauthorized_client":
		return connector.ErrUnauthorized
	}
	return nil
}

// describe turns an oauth2 failure into an error that names the OAuth code
// and description and never the secret, the assertion or the response body.
func (t *tokenCache) describe(ctx context.Context, err error) error {
	if ctxErr := ctx.Err(); ctxErr != nil {
		return fmt.Errorf("requesting an access token: %w", ctxErr)
	}
	var re *oauth2.RetrieveError
	if errors.As(err, &re) {
		te := &TokenError{Code: re.ErrorCode, Description: FirstLine(re.ErrorDescription)}
		if re.Response != nil {
			te.StatusCode = re.Response.StatusCode
		}
		if s := t.creds.secret.Reveal(); s != "" {
			te.Description = strings.ReplaceAll(te.Description, s, secret.Redacted)
		}
		return fmt.Errorf("requesting an access token from %s: %w", t.tokenURL, te)
	}
	// A transport failure (already described by httpclient, without
	// query, headers or body) or an oauth2 complaint about the response
	// (no access_token, unreadable JSON): neither carries credentials.
	var ue *url.Error
	if errors.As(err, &ue) {
		err = ue.Err
	}
	return fmt.Errorf("requesting an access token: %w", err)
}

// FirstLine is the first line of s, trimmed: Graph and Entra put codes
// and trace IDs on later lines.
func FirstLine(s string) string {
	if i := strings.IndexAny(s, "\r\n"); i >= 0 {
		s = s[:i]
	}
	return strings.TrimSpace(s)
}
