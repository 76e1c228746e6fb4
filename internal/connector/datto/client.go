package datto

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/url"
	"regexp"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/integrator-oss/integrator/internal/connector"
	"github.com/integrator-oss/integrator/internal/httpclient"
	"github.com/integrator-oss/integrator/internal/secret"
)

// Source is an opened datto connector.
type Source struct {
	logger *slog.Logger
	// base is the API origin without a trailing slash.
	base        string
	http        *httpclient.Client
	tokens      *tokenCache
	pageSize    int
	concurrency int
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

// tokenCache holds the access token of the password grant and renews it.
type tokenCache struct {
	url         string
	key, secret secret.String
	http        *httpclient.Client

	mu     sync.Mutex
	tok    string
	expiry time.Time
}

// token returns a valid access token, fetching one if needed.
func (t *tokenCache) token(ctx context.Context) (string, error) {
	t.mu.Lock()
	defer t.mu.Unlock()
	if t.tok != "" && time.Now().Add(tokenMargin).Before(t.expiry) {
		return t.tok, nil
	}
	form := url.Values{
		"grant_type": {"password"},
		"username":   {t.key.Reveal()},
		"password":   {t.secret.Reveal()},
	}
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, t.url, strings.NewReader(form.Encode()))
	if err != nil {
		return "", fmt.Errorf("building the token request: %w", err)
	}
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	req.Header.Set("Accept", "application/json")
	// The fixed public OAuth client of the Datto RMM API; not a secret.
	req.SetBasicAuth("public-client", "public")
	resp, err := t.http.Do(req)
	if err != nil {
		return "", fmt.Errorf("requesting an access token: %w", err)
	}
	defer func() { _ = resp.Body.Close() }()
	body, err := io.ReadAll(io.LimitReader(resp.Body, 64<<10))
	if err != nil {
		return "", &connector.RetryableError{Err: fmt.Errorf("reading the token response: %w", err)}
	}
	if resp.StatusCode != http.StatusOK {
		if aerr := classify(resp, body); aerr != nil {
			if _, blocked := aerr.(*IPBlockedError); blocked {
				return "", aerr
			}
		}
		te := &TokenError{StatusCode: resp.StatusCode}
		var oe struct {
			Error       string `json:"error"`
			Description string `json:"error_description"`
		}
		if json.Unmarshal(body, &oe) == nil {
			te.Code, te.Description = oe.Error, oe.Description
		}
		return "", fmt.Errorf("requesting an access token from %s: %w", t.url, te)
	}
	var tr struct {
		AccessToken string `json:"access_token"`
		ExpiresIn   int64  `json:"expires_in"`
	}
	if err := json.Unmarshal(body, &tr); err != nil || tr.AccessToken == "" {
		return "", fmt.Errorf("requesting an access token from %s: the answer has no access_token", t.url)
	}
	t.tok = tr.AccessToken
	t.expiry = time.Now().Add(time.Duration(tr.ExpiresIn) * time.Second)
	return t.tok, nil
}

// invalidate drops the cached token if it is still access.
func (t *tokenCache) invalidate(access string) {
	t.mu.Lock()
	defer t.mu.Unlock()
	if t.tok == access {
		t.tok = ""
	}
}

// TokenError is the token endpoint's refusal. It wraps
// connector.ErrUnauthorized when the API key or secret was refused.
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
	if e.Unwrap() != nil {
		s += " (check api_key and api_secret, and that API access is enabled for the account and the user)"
	}
	return s
}

// Unwrap classifies credential refusals.
func (e *TokenError) Unwrap() error {
	switch {
	case e.Code == "invalid_grant", e.Code == "invalid_client", e.Code == "unauthorized",
		e.StatusCode == http.StatusUnauthorized:
		return connector.ErrUnauthorized
	}
	return nil
}

// APIError is an error answer of the API. It wraps
// connector.ErrUnauthorized for 401 and connector.ErrForbidden for 403.
type APIError struct {
	StatusCode int
	// Code is the OAuth "error" of a 401 or Spring's "error".
	Code    string
	Message string
}

func (e *APIError) Error() string {
	s := fmt.Sprintf("datto answered %d %s", e.StatusCode, http.StatusText(e.StatusCode))
	if e.Code != "" && e.Code != http.StatusText(e.StatusCode) {
		s += ": " + e.Code
	}
	if e.Message != "" {
		s += ": " + e.Message
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

// IPBlockedError is Datto's penalty for sustained throttling: it refuses
// every request from the integrator's IP address for a while. It is never
// retried by the connector (retrying extends the block); the run fails and
// names the block.
type IPBlockedError struct {
	// For is how long the block lasts, when Datto said (Retry-After).
	For     time.Duration
	Message string
}

func (e *IPBlockedError) Error() string {
	s := "datto blocked this IP address for exceeding the API rate limit (600 requests a minute for the whole account)"
	if e.For > 0 {
		s += fmt.Sprintf("; the block lasts %s", e.For.Round(time.Second))
	}
	if e.Message != "" {
		s += ": " + e.Message
	}
	return s + "; lower requests_per_second or check what else uses the account's API"
}

// blockMarker recognises the IP block among 403 answers. Datto does not
// document the block's body; a Retry-After header or these words mark it.
var blockMarker = regexp.MustCompile(`(?i)rate[\s._-]?limit|ip[\s._-]?block|blocked`)

// classify turns a non-2xx answer into an error.
func classify(resp *http.Response, body []byte) error {
	var b struct {
		Error       string `json:"error"`
		Description string `json:"error_description"`
		Message     string `json:"message"`
	}
	_ = json.Unmarshal(body, &b)
	msg := firstLine(b.Message)
	if msg == "" {
		msg = firstLine(b.Description)
	}
	if resp.StatusCode == http.StatusForbidden {
		ra := resp.Header.Get("Retry-After")
		if ra != "" || blockMarker.MatchString(string(body)) {
			be := &IPBlockedError{Message: msg}
			if n, err := strconv.Atoi(strings.TrimSpace(ra)); err == nil && n > 0 {
				be.For = time.Duration(n) * time.Second
			}
			return be
		}
	}
	return &APIError{StatusCode: resp.StatusCode, Code: b.Error, Message: msg}
}

func firstLine(s string) string {
	if i := strings.IndexAny(s, "\r\n"); i >= 0 {
		s = s[:i]
	}
	s = strings.TrimSpace(s)
	if len(s) > 300 {
		s = s[:300]
	}
	return s
}

// get sends an authorised GET and returns the response when its status is
// 2xx. A 401 drops the access token and the request is sent once more with
// a fresh one.
func (s *Source) get(ctx context.Context, rawURL string) (*http.Response, error) {
	rawURL, err := s.checkLink(rawURL)
	if err != nil {
		return nil, err
	}
	for attempt := 1; ; attempt++ {
		tok, err := s.tokens.token(ctx)
		if err != nil {
			return nil, err
		}
		req, err := http.NewRequestWithContext(ctx, http.MethodGet, rawURL, nil)
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
		body, _ := io.ReadAll(io.LimitReader(resp.Body, 64<<10))
		_ = resp.Body.Close()
		aerr := classify(resp, body)
		var ae *APIError
		if errors.As(aerr, &ae) && ae.StatusCode == http.StatusUnauthorized && attempt == 1 {
			s.logger.Debug("datto refused the access token; fetching a new one", "code", ae.Code)
			s.tokens.invalidate(tok)
			continue
		}
		return nil, aerr
	}
}

// checkLink refuses to send the access token anywhere but the configured
// API host: next-page links come from responses.
func (s *Source) checkLink(rawURL string) (string, error) {
	u, err := url.Parse(rawURL)
	if err != nil {
		return "", fmt.Errorf("parsing a Datto link: %w", err)
	}
	base, err := url.Parse(s.base)
	if err != nil {
		return "", fmt.Errorf("parsing the API URL: %w", err)
	}
	if !strings.EqualFold(u.Host, base.Host) {
		return "", fmt.Errorf("refusing to follow a link to %s outside the API host %s", u.Host, base.Host)
	}
	// A proxy in front of the API may write its links with another scheme.
	u.Scheme = base.Scheme
	return u.String(), nil
}

// linkPath is a link without its query, for errors.
func linkPath(link string) string {
	u, err := url.Parse(link)
	if err != nil {
		return "?"
	}
	return u.Path
}
