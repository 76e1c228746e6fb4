package msgraph

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

// Client sends authorised requests to Microsoft Graph for one app
// registration and tenant. It is safe for concurrent use.
type Client struct {
	logger *slog.Logger
	// graph is the Graph base URL without a trailing slash.
	graph  string
	http   *httpclient.Client
	tokens *tokenCache
}

// NewClient builds a client from creds (defaults applied) over hc without
// network I/O. It loads the certificate, if the credentials use one.
func NewClient(creds Credentials, hc *httpclient.Client, logger *slog.Logger) (*Client, error) {
	creds = creds.WithDefaults()
	if logger == nil {
		logger = slog.New(slog.DiscardHandler)
	}
	p, err := newProof(creds)
	if err != nil {
		return nil, err
	}
	return &Client{
		logger: logger,
		graph:  strings.TrimRight(creds.GraphURL, "/"),
		http:   hc,
		tokens: newTokenCache(creds, p, hc),
	}, nil
}

// Base returns the Graph base URL without a trailing slash
// ("https://graph.microsoft.com/v1.0").
func (c *Client) Base() string { return c.graph }

// HTTP returns the HTTP client the Graph client sends through.
func (c *Client) HTTP() *httpclient.Client { return c.http }

// Token returns a valid access token, fetching one if needed. A refused
// credential wraps connector.ErrUnauthorized (through *TokenError).
func (c *Client) Token(ctx context.Context) (string, error) { return c.tokens.token(ctx) }

// Get sends an authorised GET for rawURL, an absolute Graph URL, and
// returns the response when its status is 2xx. A 401 drops the cached
// access token and the request is sent once more with a fresh one; any
// other failure comes back as a *GraphError (or the HTTP client's error
// once its retries are spent).
func (c *Client) Get(ctx context.Context, rawURL string) (*http.Response, error) {
	return c.GetWithHeader(ctx, rawURL, nil)
}

// GetWithHeader is Get with extra request headers, such as the Prefer
// header of Outlook resources ("odata.maxpagesize=50",
// `outlook.timezone="UTC"`), which Graph does not carry into next and delta
// links: the caller sends them again on every request.
func (c *Client) GetWithHeader(ctx context.Context, rawURL string, header http.Header) (*http.Response, error) {
	if err := c.CheckLink(rawURL); err != nil {
		return nil, err
	}
	for attempt := 1; ; attempt++ {
		tok, err := c.tokens.token(ctx)
		if err != nil {
			return nil, err
		}
		req, err := http.NewRequestWithContext(ctx, http.MethodGet, rawURL, nil)
		if err != nil {
			return nil, fmt.Errorf("building the request: %w", err)
		}
		for k, vs := range header {
			for _, v := range vs {
				req.Header.Add(k, v)
			}
		}
		req.Header.Set("Authorization", "Bearer "+tok)
		req.Header.Set("Accept", "application/json")
		resp, err := c.http.Do(req)
		if err != nil {
			return nil, err
		}
		if resp.StatusCode >= 200 && resp.StatusCode < 300 {
			return resp, nil
		}
		gerr := readGraphError(resp)
		if resp.StatusCode == http.StatusUnauthorized && attempt == 1 {
			c.logger.Debug("graph refused the access token; fetching a new one", "code", gerr.Code)
			c.tokens.invalidate(tok)
			continue
		}
		return nil, gerr
	}
}

// CheckLink refuses to send the access token anywhere but the configured
// Graph origin: next and delta links come from responses and cursors.
func (c *Client) CheckLink(rawURL string) error {
	u, err := url.Parse(rawURL)
	if err != nil {
		return fmt.Errorf("parsing a Graph link: %w", err)
	}
	base, err := url.Parse(c.graph)
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

// Resync reports whether Graph refused a delta or skip token: 410 Gone, or
// the syncStateNotFound / resyncRequired codes in any casing.
func (e *GraphError) Resync() bool {
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
		gerr.Message = FirstLine(body.Error.Message)
	}
	return gerr
}
