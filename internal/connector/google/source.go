package google

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"net/url"
	"strings"

	admin "google.golang.org/api/admin/directory/v1"
	"google.golang.org/api/googleapi"
	"google.golang.org/api/option"

	"github.com/integrator-oss/integrator/internal/connector"
	"github.com/integrator-oss/integrator/internal/httpclient"
)

// Page sizes: the largest each list method serves.
const (
	usersPageSize   = 500
	groupsPageSize  = 200
	membersPageSize = 200
)

// Source is an opened google connector.
type Source struct {
	logger   *slog.Logger
	customer string
	domain   string
	subject  string
	http     *httpclient.Client
	tokens   *tokenCache
	api      *admin.Service
	// Page sizes; tests make them small to exercise paging.
	usersPage, groupsPage, membersPage int64
}

var (
	_ connector.Source  = (*Source)(nil)
	_ connector.Checker = (*Source)(nil)
	_ connector.Closer  = (*Source)(nil)
)

// open builds a source; tests pass client options (a fake sleep).
func open(cfg Config, name string, logger *slog.Logger, opts httpclient.Options) (*Source, error) {
	if err := cfg.Validate(); err != nil {
		return nil, fmt.Errorf("validating google configuration: %w", err)
	}
	key, err := cfg.loadKey()
	if err != nil {
		return nil, err
	}
	if logger == nil {
		logger = slog.New(slog.DiscardHandler)
	}
	logger = logger.With("connector", "google", "integration", name)
	if opts.Logger == nil {
		opts.Logger = logger
	}
	if opts.Throttled == nil {
		opts.Throttled = rateLimitReason
	}
	hc, err := httpclient.New(cfg.Config, opts)
	if err != nil {
		return nil, fmt.Errorf("building the HTTP client: %w", err)
	}
	tokens := newTokenCache(cfg, key, hc)
	authed := &http.Client{Transport: &authTransport{tokens: tokens, base: hc.HTTPClient().Transport}}
	apiURL := cfg.APIURL
	if !strings.HasSuffix(apiURL, "/") {
		apiURL += "/"
	}
	svc, err := admin.NewService(context.Background(), option.WithHTTPClient(authed), option.WithEndpoint(apiURL))
	if err != nil {
		return nil, fmt.Errorf("building the Directory API client: %w", err)
	}
	return &Source{
		logger:      logger,
		customer:    cfg.Customer,
		domain:      cfg.Domain,
		subject:     cfg.Subject,
		http:        hc,
		tokens:      tokens,
		api:         svc,
		usersPage:   usersPageSize,
		groupsPage:  groupsPageSize,
		membersPage: membersPageSize,
	}, nil
}

// Close releases idle connections. It is safe to call more than once.
func (s *Source) Close() error {
	s.http.CloseIdleConnections()
	return nil
}

// rateLimitReasons are the 403 reasons Google uses for throttling; they
// are retried with backoff like a 429. Every other 403 is a refusal.
var rateLimitReasons = []string{"userRateLimitExceeded", "rateLimitExceeded", "quotaExceeded"}

// rateLimitReason is the HTTP client's Throttled hook: a 403 whose error
// body carries a rate-limit reason.
func rateLimitReason(status int, _ http.Header, body []byte) bool {
	if status != http.StatusForbidden {
		return false
	}
	var b struct {
		Error struct {
			Errors []struct {
				Reason string `json:"reason"`
			} `json:"errors"`
		} `json:"error"`
	}
	if json.Unmarshal(body, &b) != nil {
		return false
	}
	for _, e := range b.Error.Errors {
		for _, r := range rateLimitReasons {
			if e.Reason == r {
				return true
			}
		}
	}
	return false
}

// APIError is an error answer of the Directory API. It wraps
// connector.ErrUnauthorized for 401 (after one token refresh) and
// connector.ErrForbidden for 403.
type APIError struct {
	StatusCode int
	// Reason is errors[0].reason ("forbidden", "insufficientPermissions",
	// "notFound", ...).
	Reason string
	// Message is error.message.
	Message string
}

func (e *APIError) Error() string {
	s := fmt.Sprintf("the Directory API answered %d %s", e.StatusCode, http.StatusText(e.StatusCode))
	if e.Reason != "" {
		s += ": " + e.Reason
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

// apiError translates what the API client returns into the connector's
// errors: a *APIError for an error answer, the context's error, the HTTP
// client's retryable error; never a URL with its query.
func apiError(ctx context.Context, err error) error {
	if ctxErr := ctx.Err(); ctxErr != nil {
		return ctxErr
	}
	var gerr *googleapi.Error
	if errors.As(err, &gerr) {
		ae := &APIError{StatusCode: gerr.Code, Message: gerr.Message}
		if len(gerr.Errors) > 0 {
			ae.Reason = gerr.Errors[0].Reason
			if ae.Message == "" {
				ae.Message = gerr.Errors[0].Message
			}
		}
		if gerr.Code >= 500 {
			return &connector.RetryableError{Err: ae}
		}
		return ae
	}
	var ue *url.Error
	if errors.As(err, &ue) {
		err = ue.Err
	}
	var se *httpclient.StatusError
	if errors.As(err, &se) && se.StatusCode == http.StatusForbidden {
		// A 403 the client retried is Google's rate limit, not a refusal.
		return fmt.Errorf("Google's rate limit (403 userRateLimitExceeded) outlasted the retries: %w", err)
	}
	return err
}
