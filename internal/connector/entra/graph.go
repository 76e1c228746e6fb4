package entra

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/url"
	"strings"

	"github.com/integrator-oss/integrator/internal/connector"
	"github.com/integrator-oss/integrator/internal/httpclient"
)

// Source is an opened entra connector: it streams the tenant's groups,
// users and organisational contacts from Microsoft Graph delta queries.
type Source struct {
	logger *slog.Logger
	// graph is the Graph base URL without a trailing slash.
	graph  string
	http   *httpclient.Client
	tokens *tokenCache
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

// get sends an authorised GET for rawURL, an absolute Graph URL, and
// returns the response when its status is 2xx. A 401 drops the cached
// access token and the request is sent once more with a fresh one; any
// other failure comes back as a *GraphError (or the HTTP client's error
// once its retries are spent).
func (s *Source) get(ctx context.Context, rawURL string) (*http.Response, error) {
	if err := s.checkLink(rawURL); err != nil {
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
		gerr := readGraphError(resp)
		if resp.StatusCode == http.StatusUnauthorized && attempt == 1 {
			s.logger.Debug("graph refused the access token; fetching a new one", "code", gerr.Code)
			s.tokens.invalidate(tok)
			continue
		}
		return nil, gerr
	}
}

// checkLink refuses to send the access token anywhere but the configured
// Graph origin: next and delta links come from responses and the cursor.
func (s *Source) checkLink(rawURL string) error {
	u, err := url.Parse(rawURL)
	if err != nil {
		return fmt.Errorf("parsing a Graph link: %w", err)
	}
	base, err := url.Parse(s.graph)
	if err != nil {
		return fmt.Errorf("parsing graph_url: %w", err)
	}
	if !strings.EqualFold(u.Scheme, base.Scheme) || !strings.EqualFold(u.Host, base.Host) {
		return fmt.Errorf("refusing to follow a link to %s://%s outside graph_url %s://%s", u.Scheme, u.Host, base.Scheme, base.Host)
	}
	return nil
}

// GraphError is an error response from Microsoft Graph. It wraps
// connector.ErrUnauthorized for 401 and connector.ErrForbidden for 403.
type GraphError struct {
	StatusCode int
	// Code is error.code ("Authorization_RequestDenied", "SyncStateNotFound").
	Code string
	// Message is error.message.
	Message string
}

func (e *GraphError) Error() string {
	s := fmt.Sprintf("graph answered %d %s", e.StatusCode, http.StatusText(e.StatusCode))
	if e.Code != "" {
		s += ": " + e.Code
	}
	if e.Message != "" {
		s += ": " + e.Message
	}
	return s
}

// Unwrap classifies the error for the engine.
func (e *GraphError) Unwrap() error {
	switch e.StatusCode {
	case http.StatusUnauthorized:
		return connector.ErrUnauthorized
	case http.StatusForbidden:
		return connector.ErrForbidden
	}
	return nil
}

// resync reports whether Graph refused a delta or skip token: 410 Gone, or
// the syncStateNotFound / resyncRequired codes in any casing.
func (e *GraphError) resync() bool {
	return e.StatusCode == http.StatusGone ||
		strings.EqualFold(e.Code, "syncStateNotFound") ||
		strings.EqualFold(e.Code, "resyncRequired")
}

// readGraphError reads the Graph error body of resp (at most 64 KiB) and
// closes it. A body that is not a Graph error leaves Code empty.
func readGraphError(resp *http.Response) *GraphError {
	defer func() { _ = resp.Body.Close() }()
	gerr := &GraphError{StatusCode: resp.StatusCode}
	var body struct {
		Error struct {
			Code    string `json:"code"`
			Message string `json:"message"`
		} `json:"error"`
	}
	data, _ := io.ReadAll(io.LimitReader(resp.Body, 64<<10))
	if json.Unmarshal(data, &body) == nil {
		gerr.Code = body.Error.Code
		gerr.Message = firstLine(body.Error.Message)
	}
	return gerr
}
