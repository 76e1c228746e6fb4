package ninjaone

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"net/url"
	"strings"
	"sync"
	"syscall"
	"time"

	"golang.org/x/oauth2"
	"golang.org/x/oauth2/clientcredentials"

	"github.com/integrator-oss/integrator/internal/connector"
	"github.com/integrator-oss/integrator/internal/httpclient"
	"github.com/integrator-oss/integrator/internal/secret"
)

// Source is an opened ninjaone connector.
type Source struct {
	logger   *slog.Logger
	base     string
	http     *httpclient.Client
	pageSize int
	tokens   *tokenCache
}

var (
	_ connector.Source  = (*Source)(nil)
	_ connector.Checker = (*Source)(nil)
	_ connector.Closer  = (*Source)(nil)
)

// Close releases idle connections. It is safe to call more than once.
func (s *Source) Close() error {
	s.http.CloseIdleConnections()
	return nil
}

// tokenMargin renews an access token this long before it expires.
const tokenMargin = time.Minute

// tokenCache holds the application's access token and renews it through
// the client credentials grant.
type tokenCache struct {
	clientID string
	secret   secret.String
	tokenURL string
	scope    string
	http     *httpclient.Client

	mu  sync.Mutex
	tok *oauth2.Token
}

func (t *tokenCache) token(ctx context.Context) (string, error) {
	t.mu.Lock()
	defer t.mu.Unlock()
	if t.tok != nil && (t.tok.Expiry.IsZero() || time.Now().Add(tokenMargin).Before(t.tok.Expiry)) {
		return t.tok.AccessToken, nil
	}
	cc := &clientcredentials.Config{
		ClientID:     t.clientID,
		ClientSecret: t.secret.Reveal(),
		TokenURL:     t.tokenURL,
		Scopes:       strings.Fields(t.scope),
		AuthStyle:    oauth2.AuthStyleInParams,
	}
	tok, err := cc.Token(context.WithValue(ctx, oauth2.HTTPClient, t.http.HTTPClient()))
	if err != nil {
		return "", t.describe(ctx, err)
	}
	t.tok = tok
	return tok.AccessToken, nil
}

func (t *tokenCache) invalidate(access string) {
	t.mu.Lock()
	defer t.mu.Unlock()
	if t.tok != nil && t.tok.AccessToken == access {
		t.tok = nil
	}
}

// TokenError is the token endpoint's refusal. It wraps
// connector.ErrUnauthorized when the client credentials were refused.
type TokenError struct {
	StatusCode  int
	Code        string
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
	if e.StatusCode == http.StatusUnauthorized || strings.EqualFold(e.Code, "invalid_client") || strings.EqualFold(e.Code, "unauthorized_client") {
		return connector.ErrUnauthorized
	}
	return nil
}

// describe turns an oauth2 failure into an error without the secret or the
// response body.
func (t *tokenCache) describe(ctx context.Context, err error) error {
	if ctxErr := ctx.Err(); ctxErr != nil {
		return fmt.Errorf("requesting an access token: %w", ctxErr)
	}
	var re *oauth2.RetrieveError
	if errors.As(err, &re) {
		te := &TokenError{Code: re.ErrorCode, Description: re.ErrorDescription}
		if re.Response != nil {
			te.StatusCode = re.Response.StatusCode
		}
		if s := t.secret.Reveal(); s != "" {
			te.Description = strings.ReplaceAll(te.Description, s, secret.Redacted)
		}
		return fmt.Errorf("requesting an access token from %s: %w", t.tokenURL, te)
	}
	var ue *url.Error
	if errors.As(err, &ue) {
		err = ue.Err
	}
	return fmt.Errorf("requesting an access token: %w", err)
}

// APIError is an error response of the NinjaOne API. It wraps
// connector.ErrUnauthorized for 401 and connector.ErrForbidden for 403.
type APIError struct {
	StatusCode int
	// ResultCode and Message are the body's resultCode and errorMessage
	// (or an OAuth error and its description).
	ResultCode string
	Message    string
	IncidentID string
}

func (e *APIError) Error() string {
	s := fmt.Sprintf("ninjaone answered %d %s", e.StatusCode, http.StatusText(e.StatusCode))
	if e.ResultCode != "" {
		s += ": " + e.ResultCode
	}
	if e.Message != "" {
		s += ": " + e.Message
	}
	if e.IncidentID != "" {
		s += " (incident " + e.IncidentID + ")"
	}
	return s
}

// Unwrap classifies the error for the engine.
func (e *APIError) Unwrap() error {
	switch e.StatusCode {
	case http.StatusUnauthorized:
		return connector.ErrUnauthorized
	case http.StatusForbidden:
		return connector.ErrForbidden
	}
	return nil
}

func readAPIError(resp *http.Response) *APIError {
	defer func() { _ = resp.Body.Close() }()
	aerr := &APIError{StatusCode: resp.StatusCode}
	var body struct {
		ResultCode   string `json:"resultCode"`
		ErrorMessage string `json:"errorMessage"`
		IncidentID   string `json:"incidentId"`
		Error        string `json:"error"`
		Description  string `json:"error_description"`
	}
	data, _ := io.ReadAll(io.LimitReader(resp.Body, 64<<10))
	if json.Unmarshal(data, &body) == nil {
		aerr.ResultCode = firstNonEmpty(body.ResultCode, body.Error)
		aerr.Message = firstNonEmpty(body.ErrorMessage, body.Description)
		aerr.IncidentID = body.IncidentID
	}
	return aerr
}

// get sends an authorised GET for path (with its query) under the base
// URL and returns a 2xx response. A 401 drops the token and the request is
// sent once more with a fresh one.
func (s *Source) get(ctx context.Context, path string) (*http.Response, error) {
	for attempt := 1; ; attempt++ {
		tok, err := s.tokens.token(ctx)
		if err != nil {
			return nil, err
		}
		req, err := http.NewRequestWithContext(ctx, http.MethodGet, s.base+path, nil)
		if err != nil {
			return nil, fmt.Errorf("building the request: %w", err)
		}
		req.Header.Set("Authorization", "Bearer "+tok)
		req.Header.Set("Accept", "application/json")
		resp, err := s.http.Do(req)
		if err != nil {
			return nil, err
		}
		if resp.StatusCode >= 200 && resp.StatusCode < 300 {
			return resp, nil
		}
		aerr := readAPIError(resp)
		if resp.StatusCode == http.StatusUnauthorized && attempt == 1 {
			s.logger.Debug("ninjaone refused the access token; fetching a new one")
			s.tokens.invalidate(tok)
			continue
		}
		return nil, aerr
	}
}

// getJSON GETs path and decodes the whole body into v.
func (s *Source) getJSON(ctx context.Context, path string, v any) error {
	resp, err := s.get(ctx, path)
	if err != nil {
		return err
	}
	defer func() { _ = resp.Body.Close() }()
	dec := json.NewDecoder(resp.Body)
	if err := dec.Decode(v); err != nil {
		if ctxErr := ctx.Err(); ctxErr != nil {
			return ctxErr
		}
		var ne net.Error
		if errors.Is(err, io.ErrUnexpectedEOF) || errors.Is(err, syscall.ECONNRESET) || errors.As(err, &ne) {
			return &connector.RetryableError{Err: fmt.Errorf("reading the response: %w", err)}
		}
		return fmt.Errorf("decoding the response: %w", err)
	}
	if _, err := dec.Token(); !errors.Is(err, io.EOF) {
		return errors.New("decoding the response: unexpected data after the JSON value")
	}
	return nil
}

// Check gets an access token and reads one organisation.
func (s *Source) Check(ctx context.Context) error {
	if _, err := s.tokens.token(ctx); err != nil {
		return fmt.Errorf("checking the credentials: %w", err)
	}
	var orgs []json.RawMessage
	if err := s.getJSON(ctx, "/v2/organizations?pageSize=1", &orgs); err != nil {
		if errors.Is(err, connector.ErrForbidden) {
			return fmt.Errorf("checking access to organisations: the API application needs the monitoring scope: %w", err)
		}
		return fmt.Errorf("checking access to organisations: %w", err)
	}
	return nil
}

func firstNonEmpty(vs ...string) string {
	for _, v := range vs {
		if strings.TrimSpace(v) != "" {
			return v
		}
	}
	return ""
}
