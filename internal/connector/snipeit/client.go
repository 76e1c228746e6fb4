package snipeit

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/url"
	"strings"

	"github.com/integrator-oss/integrator/internal/connector"
	"github.com/integrator-oss/integrator/internal/httpclient"
	"github.com/integrator-oss/integrator/internal/secret"
)

// maxBody bounds one response: a page of 500 assets with custom fields is
// a few megabytes.
const maxBody = 64 << 20

// Source is an opened snipeit connector.
type Source struct {
	logger   *slog.Logger
	base     *url.URL
	token    secret.String
	http     *httpclient.Client
	pageSize int
	retired  []string
	fieldMap map[string]string
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

// APIError is an error answer of the Snipe-IT API: a non-2xx status, or
// HTTP 200 with {"status":"error"} (Snipe-IT's answer for a missing object
// or a validation error). It wraps connector.ErrUnauthorized for 401 and
// connector.ErrForbidden for 403.
type APIError struct {
	StatusCode int
	// Path is the API path without the query.
	Path string
	// Message is the body's messages (or error) value.
	Message string
}

func (e *APIError) Error() string {
	s := fmt.Sprintf("Snipe-IT answered %d %s to GET %s", e.StatusCode, http.StatusText(e.StatusCode), e.Path)
	if e.StatusCode == http.StatusOK {
		s = fmt.Sprintf("Snipe-IT answered GET %s with status \"error\"", e.Path)
	}
	if e.Message != "" {
		s += ": " + e.Message
	}
	switch e.StatusCode {
	case http.StatusUnauthorized:
		s += " (the API token is wrong, expired or revoked: create a new personal access token)"
	case http.StatusForbidden:
		s += " (the token's user lacks a permission: it needs to view assets and locations)"
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

// envelope is the part of a body that tells an error: Snipe-IT's standard
// {"status","messages","payload"} and Laravel's {"error"}.
type envelope struct {
	Status   string          `json:"status"`
	Messages json.RawMessage `json:"messages"`
	Error    json.RawMessage `json:"error"`
}

func (e envelope) message() string {
	for _, raw := range []json.RawMessage{e.Messages, e.Error} {
		if len(raw) == 0 || string(raw) == "null" {
			continue
		}
		var s string
		if json.Unmarshal(raw, &s) == nil {
			return s
		}
		// Validation errors: {"field": ["message", ...]}.
		return string(raw)
	}
	return ""
}

// get sends GET base+path?query and decodes a successful answer into out.
func (s *Source) get(ctx context.Context, path string, query url.Values, out any) error {
	u := s.base.JoinPath(path)
	u.RawQuery = query.Encode()
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, u.String(), nil)
	if err != nil {
		return fmt.Errorf("building GET %s: %w", path, err)
	}
	req.Header.Set("Authorization", "Bearer "+s.token.Reveal())
	req.Header.Set("Accept", "application/json")
	resp, err := s.http.Do(req)
	if err != nil {
		return err
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(io.LimitReader(resp.Body, maxBody+1))
	if err != nil {
		if ctxErr := ctx.Err(); ctxErr != nil {
			return ctxErr
		}
		return &connector.RetryableError{Err: fmt.Errorf("reading the answer to GET %s: %w", u.Path, err)}
	}
	if len(body) > maxBody {
		return fmt.Errorf("the answer to GET %s is larger than %d MiB", u.Path, maxBody>>20)
	}
	var env envelope
	envErr := json.Unmarshal(body, &env)
	if resp.StatusCode != http.StatusOK {
		return &APIError{StatusCode: resp.StatusCode, Path: u.Path, Message: env.message()}
	}
	if envErr == nil && strings.EqualFold(env.Status, "error") {
		return &APIError{StatusCode: resp.StatusCode, Path: u.Path, Message: env.message()}
	}
	if err := json.Unmarshal(body, out); err != nil {
		var se *json.SyntaxError
		if errors.As(err, &se) {
			return fmt.Errorf("decoding the answer to GET %s: invalid JSON at byte %d", u.Path, se.Offset)
		}
		return fmt.Errorf("decoding the answer to GET %s: %w", u.Path, err)
	}
	return nil
}
