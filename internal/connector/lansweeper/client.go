package lansweeper

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

	"github.com/integrator-oss/integrator/internal/connector"
	"github.com/integrator-oss/integrator/internal/httpclient"
	"github.com/integrator-oss/integrator/internal/secret"
)

// maxBody bounds one response: a page of 500 assets with their software
// is tens of megabytes at most.
const maxBody = 128 << 20

// Source is an opened lansweeper connector.
type Source struct {
	logger   *slog.Logger
	apiURL   string
	token    secret.String
	http     *httpclient.Client
	siteIDs  []string
	pageSize int
	fields   []string
	retired  map[string]bool
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

// APIError is a refusal of the Data API: a GraphQL error (which arrives
// with HTTP 200 when a field fails during execution, with 400 when the
// query is invalid or the token refused) or an error status. It wraps
// connector.ErrUnauthorized for the UNAUTHENTICATED code (and 401) and
// connector.ErrForbidden for FORBIDDEN (and 403).
type APIError struct {
	StatusCode int
	// Code is the first error's extensions.code.
	Code string
	// Message is the first error's message; Count how many errors came.
	Message string
	Count   int
}

func (e *APIError) Error() string {
	s := fmt.Sprintf("the Lansweeper API answered %d %s", e.StatusCode, http.StatusText(e.StatusCode))
	if e.StatusCode == http.StatusOK {
		s = "the Lansweeper API answered with a GraphQL error"
	}
	if e.Code != "" {
		s += " " + e.Code
	}
	if e.Message != "" {
		s += ": " + e.Message
	}
	if e.Count > 1 {
		s += fmt.Sprintf(" (and %d more errors)", e.Count-1)
	}
	switch {
	case errors.Is(e, connector.ErrUnauthorized):
		s += " (the personal access token is wrong, expired or revoked: create a new one)"
	case errors.Is(e, connector.ErrForbidden):
		s += " (the token's user may not read this site)"
	}
	return s
}

// Unwrap classifies the error for the engine.
func (e *APIError) Unwrap() error {
	switch {
	case e.Code == "UNAUTHENTICATED" || e.StatusCode == http.StatusUnauthorized:
		return connector.ErrUnauthorized
	case e.Code == "FORBIDDEN" || e.StatusCode == http.StatusForbidden:
		return connector.ErrForbidden
	}
	return nil
}

type gqlResponse struct {
	Data   json.RawMessage `json:"data"`
	Errors []struct {
		Message    string `json:"message"`
		Extensions struct {
			Code string `json:"code"`
		} `json:"extensions"`
	} `json:"errors"`
}

// query sends one GraphQL request and decodes its data into out. Any
// entry in "errors" fails the request, whatever the HTTP status and even
// with partial data: a page with an error is not a complete page.
func (s *Source) query(ctx context.Context, query string, vars map[string]any, out any) error {
	body, err := json.Marshal(map[string]any{"query": query, "variables": vars})
	if err != nil {
		return fmt.Errorf("encoding the query: %w", err)
	}
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, s.apiURL, bytes.NewReader(body))
	if err != nil {
		return fmt.Errorf("building the request to %s: %w", s.apiURL, err)
	}
	req.Header.Set("Authorization", "Token "+s.token.Reveal())
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("Accept", "application/json")
	resp, err := s.http.Do(req)
	if err != nil {
		return err
	}
	defer resp.Body.Close()
	raw, err := io.ReadAll(io.LimitReader(resp.Body, maxBody+1))
	if err != nil {
		if ctxErr := ctx.Err(); ctxErr != nil {
			return ctxErr
		}
		return &connector.RetryableError{Err: fmt.Errorf("reading the answer of the Lansweeper API: %w", err)}
	}
	if len(raw) > maxBody {
		return fmt.Errorf("the answer of the Lansweeper API is larger than %d MiB; lower page_size", maxBody>>20)
	}
	var r gqlResponse
	decErr := json.Unmarshal(raw, &r)
	if resp.StatusCode != http.StatusOK || (decErr == nil && len(r.Errors) > 0) {
		ae := &APIError{StatusCode: resp.StatusCode, Count: len(r.Errors)}
		if len(r.Errors) > 0 {
			ae.Code, ae.Message = r.Errors[0].Extensions.Code, r.Errors[0].Message
		}
		return ae
	}
	if decErr != nil {
		var se *json.SyntaxError
		if errors.As(decErr, &se) {
			return fmt.Errorf("decoding the answer of the Lansweeper API: invalid JSON at byte %d", se.Offset)
		}
		return fmt.Errorf("decoding the answer of the Lansweeper API: %w", decErr)
	}
	if len(r.Data) == 0 || strings.TrimSpace(string(r.Data)) == "null" {
		return errors.New("the Lansweeper API answered without data or errors")
	}
	if err := json.Unmarshal(r.Data, out); err != nil {
		return fmt.Errorf("decoding the data of the Lansweeper API: %w", err)
	}
	return nil
}
