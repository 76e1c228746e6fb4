package cwautomate

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"strings"
	"sync"
	"time"

	"github.com/integrator-oss/integrator/internal/connector"
	"github.com/integrator-oss/integrator/internal/httpclient"
	"github.com/integrator-oss/integrator/internal/secret"
)

// Source is an opened cwautomate connector.
type Source struct {
	logger *slog.Logger
	// api is the REST API root, ServerURL/cwa/api/v1.
	api       string
	clientID  string
	http      *httpclient.Client
	tokens    *tokenCache
	loc       *time.Location
	condition string
	pageSize  int
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

// tokenMargin renews a token this long before it expires.
const tokenMargin = 2 * time.Minute

// tokenCache holds the integrator user's API token.
type tokenCache struct {
	url      string
	clientID string
	username string
	password secret.String
	http     *httpclient.Client

	mu     sync.Mutex
	tok    string
	expiry time.Time
}

// token returns a valid token, logging in when needed.
func (t *tokenCache) token(ctx context.Context) (string, error) {
	t.mu.Lock()
	defer t.mu.Unlock()
	if t.tok != "" && time.Now().Add(tokenMargin).Before(t.expiry) {
		return t.tok, nil
	}
	body, err := json.Marshal(map[string]string{"UserName": t.username, "Password": t.password.Reveal()})
	if err != nil {
		return "", fmt.Errorf("encoding the token request: %w", err)
	}
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, t.url, bytes.NewReader(body))
	if err != nil {
		return "", fmt.Errorf("building the token request: %w", err)
	}
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("Accept", "application/json")
	req.Header.Set("ClientId", t.clientID)
	resp, err := t.http.Do(req)
	if err != nil {
		return "", fmt.Errorf("requesting an API token: %w", err)
	}
	defer func() { _ = resp.Body.Close() }()
	data, err := io.ReadAll(io.LimitReader(resp.Body, 64<<10))
	if err != nil {
		return "", &connector.RetryableError{Err: fmt.Errorf("reading the token response: %w", err)}
	}
	if resp.StatusCode != http.StatusOK {
		te := &TokenError{StatusCode: resp.StatusCode, Message: message(data)}
		if pw := t.password.Reveal(); pw != "" {
			te.Message = strings.ReplaceAll(te.Message, pw, secret.Redacted)
		}
		return "", fmt.Errorf("requesting an API token from %s: %w", t.url, te)
	}
	var tr struct {
		AccessToken         string `json:"AccessToken"`
		ExpirationDate      string `json:"ExpirationDate"`
		IsTwoFactorRequired bool   `json:"IsTwoFactorRequired"`
	}
	if err := json.Unmarshal(data, &tr); err != nil {
		return "", fmt.Errorf("requesting an API token from %s: decoding the answer: %w", t.url, err)
	}
	if tr.AccessToken == "" {
		if tr.IsTwoFactorRequired {
			return "", fmt.Errorf("requesting an API token from %s: user %q needs two-factor authentication; use an integrator user without it: %w",
				t.url, t.username, connector.ErrUnauthorized)
		}
		return "", fmt.Errorf("requesting an API token from %s: the answer has no AccessToken", t.url)
	}
	t.tok = tr.AccessToken
	// Tokens live an hour; a zone-less or unreadable date is taken as that.
	t.expiry = time.Now().Add(time.Hour)
	if exp, err := time.Parse(time.RFC3339, tr.ExpirationDate); err == nil && exp.Before(t.expiry) {
		t.expiry = exp
	}
	return t.tok, nil
}

func (t *tokenCache) invalidate(access string) {
	t.mu.Lock()
	defer t.mu.Unlock()
	if t.tok == access {
		t.tok = ""
	}
}

// message reads the Message of an ASP.NET error body, or the body's first
// line when it is not one.
func message(data []byte) string {
	var b struct {
		Message string `json:"Message"`
	}
	s := string(data)
	if json.Unmarshal(data, &b) == nil && b.Message != "" {
		s = b.Message
	}
	if i := strings.IndexAny(s, "\r\n"); i >= 0 {
		s = s[:i]
	}
	s = strings.TrimSpace(s)
	if len(s) > 300 {
		s = s[:300]
	}
	return s
}

// TokenError is the token endpoint's refusal. A 401 or 403 wraps
// connector.ErrUnauthorized.
type TokenError struct {
	StatusCode int
	Message    string
}

func (e *TokenError) Error() string {
	s := fmt.Sprintf("token endpoint answered %d", e.StatusCode)
	if e.Message != "" {
		s += ": " + e.Message
	}
	if e.Unwrap() != nil {
		s += " (check username, password and client_id)"
	}
	return s
}

// Unwrap classifies credential refusals.
func (e *TokenError) Unwrap() error {
	if e.StatusCode == http.StatusUnauthorized || e.StatusCode == http.StatusForbidden {
		return connector.ErrUnauthorized
	}
	return nil
}

// APIError is an error answer of the API. It wraps
// connector.ErrUnauthorized for 401 and connector.ErrForbidden for 403.
type APIError struct {
	StatusCode int
	Message    string
}

func (e *APIError) Error() string {
	s := fmt.Sprintf("automate answered %d %s", e.StatusCode, http.StatusText(e.StatusCode))
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

// get sends an authorised GET of path (under the API root, with its
// query) and returns the response when its status is 2xx. A 401 drops the
// token and the request is sent once more with a fresh one.
func (s *Source) get(ctx context.Context, path string) (*http.Response, error) {
	for attempt := 1; ; attempt++ {
		tok, err := s.tokens.token(ctx)
		if err != nil {
			return nil, err
		}
		req, err := http.NewRequestWithContext(ctx, http.MethodGet, s.api+path, nil)
		if err != nil {
			return nil, fmt.Errorf("building the request: %w", err)
		}
		req.Header.Set("Authorization", "Bearer "+tok)
		req.Header.Set("ClientId", s.clientID)
		req.Header.Set("Accept", "application/json")
		resp, err := s.http.Do(req)
		if err != nil {
			return nil, err
		}
		if resp.StatusCode >= 200 && resp.StatusCode < 300 {
			return resp, nil
		}
		data, _ := io.ReadAll(io.LimitReader(resp.Body, 64<<10))
		_ = resp.Body.Close()
		aerr := &APIError{StatusCode: resp.StatusCode, Message: message(data)}
		if aerr.StatusCode == http.StatusUnauthorized && attempt == 1 {
			s.logger.Debug("automate refused the token; logging in again")
			s.tokens.invalidate(tok)
			continue
		}
		return nil, aerr
	}
}

// getJSON fetches path and decodes its JSON body into v.
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
		if errors.Is(err, io.ErrUnexpectedEOF) {
			return &connector.RetryableError{Err: fmt.Errorf("reading the response: %w", err)}
		}
		return fmt.Errorf("decoding the response: %w", err)
	}
	if _, err := dec.Token(); !errors.Is(err, io.EOF) {
		return errors.New("decoding the response: unexpected data after the JSON value")
	}
	return nil
}
