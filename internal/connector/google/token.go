package google

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"strings"
	"sync"
	"time"

	"golang.org/x/oauth2"
	"golang.org/x/oauth2/jwt"

	"github.com/integrator-oss/integrator/internal/connector"
	"github.com/integrator-oss/integrator/internal/httpclient"
)

// Scopes are the read-only scopes the connector asks for; the Admin
// console must delegate exactly these to the service account's client ID.
var Scopes = []string{
	"https://www.googleapis.com/auth/admin.directory.user.readonly",
	"https://www.googleapis.com/auth/admin.directory.group.readonly",
	"https://www.googleapis.com/auth/admin.directory.group.member.readonly",
}

// tokenMargin renews an access token this long before it expires.
const tokenMargin = time.Minute

// tokenCache holds the access token of the impersonated administrator and
// renews it through the JWT-bearer grant. A token the API refuses is
// dropped with invalidate, and the next request fetches a fresh one.
type tokenCache struct {
	jwt      *jwt.Config
	clientID string
	http     *httpclient.Client
	now      func() time.Time

	mu  sync.Mutex
	tok *oauth2.Token
}

func newTokenCache(cfg Config, key *serviceAccountKey, hc *httpclient.Client) *tokenCache {
	return &tokenCache{
		jwt: &jwt.Config{
			Email:        key.ClientEmail,
			PrivateKey:   []byte(key.PrivateKey),
			PrivateKeyID: key.PrivateKeyID,
			Subject:      cfg.Subject,
			Scopes:       Scopes,
			TokenURL:     cfg.tokenURL(key),
		},
		clientID: key.ClientID,
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
	tok, err := t.jwt.TokenSource(context.WithValue(ctx, oauth2.HTTPClient, t.http.HTTPClient())).Token()
	if err != nil {
		return "", t.describe(ctx, err)
	}
	t.tok = tok
	return tok.AccessToken, nil
}

// invalidate drops the cached token if it is still access, the token the
// API just refused.
func (t *tokenCache) invalidate(access string) {
	t.mu.Lock()
	defer t.mu.Unlock()
	if t.tok != nil && t.tok.AccessToken == access {
		t.tok = nil
	}
}

// TokenError is the token endpoint's refusal of a token request. It wraps
// connector.ErrUnauthorized when the grant itself was refused: a bad key
// or subject (invalid_grant), delegation missing (unauthorized_client).
type TokenError struct {
	StatusCode int
	// Code is the OAuth "error" ("invalid_grant", "unauthorized_client").
	Code string
	// Description is "error_description".
	Description string
	// Hint says what to check, in the integration's own terms.
	Hint string
}

func (e *TokenError) Error() string {
	s := fmt.Sprintf("token endpoint answered %d", e.StatusCode)
	if e.Code != "" {
		s += ": " + e.Code
	}
	if e.Description != "" {
		s += ": " + e.Description
	}
	if e.Hint != "" {
		s += " (" + e.Hint + ")"
	}
	return s
}

// Unwrap makes credential refusals match connector.ErrUnauthorized.
func (e *TokenError) Unwrap() error {
	switch e.Code {
	case "invalid_grant", "unauthorized_client", "invalid_client":
		return connector.ErrUnauthorized
	}
	return nil
}

// describe turns an oauth2 failure into an error that names the OAuth code
// and description, never the key or the assertion.
func (t *tokenCache) describe(ctx context.Context, err error) error {
	if ctxErr := ctx.Err(); ctxErr != nil {
		return fmt.Errorf("requesting an access token: %w", ctxErr)
	}
	var re *oauth2.RetrieveError
	if !errors.As(err, &re) {
		// A transport failure the HTTP client gave up on, or a token
		// response that could not be read: another run may do better.
		return &connector.RetryableError{Err: fmt.Errorf("requesting an access token from %s: %s", t.jwt.TokenURL, strings.TrimPrefix(err.Error(), "oauth2: "))}
	}
	te := &TokenError{Code: re.ErrorCode, Description: re.ErrorDescription}
	if re.Response != nil {
		te.StatusCode = re.Response.StatusCode
	}
	var body struct {
		Error       string `json:"error"`
		Description string `json:"error_description"`
	}
	if te.Code == "" && json.Unmarshal(re.Body, &body) == nil {
		te.Code, te.Description = body.Error, body.Description
	}
	switch te.Code {
	case "unauthorized_client":
		te.Hint = fmt.Sprintf("grant domain-wide delegation to client ID %s with exactly the scopes %s in the Admin console",
			t.clientID, strings.Join(Scopes, ","))
	case "invalid_grant":
		if strings.Contains(te.Description, "email") || strings.Contains(te.Description, "User ID") {
			te.Hint = fmt.Sprintf("subject %s must be an existing user of the Workspace", t.jwt.Subject)
		} else {
			te.Hint = "check that the key is current (not deleted in the Cloud console) and the clock is right"
		}
	}
	return fmt.Errorf("requesting an access token for %s from %s: %w", t.jwt.Subject, t.jwt.TokenURL, te)
}

// authTransport authorises each request with the cached access token and,
// on a 401, fetches a fresh token and sends the request once more.
type authTransport struct {
	tokens *tokenCache
	base   http.RoundTripper
}

func (a *authTransport) RoundTrip(req *http.Request) (*http.Response, error) {
	for attempt := 1; ; attempt++ {
		tok, err := a.tokens.token(req.Context())
		if err != nil {
			return nil, err
		}
		r := req.Clone(req.Context())
		r.Header.Set("Authorization", "Bearer "+tok)
		resp, err := a.base.RoundTrip(r)
		if err != nil {
			return nil, err
		}
		if resp.StatusCode == http.StatusUnauthorized && attempt == 1 && (req.Body == nil || req.Body == http.NoBody) {
			_, _ = io.Copy(io.Discard, io.LimitReader(resp.Body, 64<<10))
			_ = resp.Body.Close()
			a.tokens.invalidate(tok)
			continue
		}
		return resp, nil
	}
}
