package httpclient

import (
	"context"
	"errors"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/integrator-oss/integrator/internal/connector"
)

// rateLimited is a Throttled hook for Google-style 403 bodies.
func rateLimited(status int, _ http.Header, body []byte) bool {
	return status == http.StatusForbidden && strings.Contains(string(body), `"userRateLimitExceeded"`)
}

func throttledClient(t *testing.T, handler http.HandlerFunc) (*Client, string, *[]time.Duration) {
	t.Helper()
	srv := httptest.NewServer(handler)
	t.Cleanup(srv.Close)
	var slept []time.Duration
	c, err := New(Config{MaxRetries: 3}, Options{
		Sleep:     func(ctx context.Context, d time.Duration) error { slept = append(slept, d); return ctx.Err() },
		Jitter:    func() float64 { return 0 },
		Throttled: rateLimited,
	})
	require.NoError(t, err)
	t.Cleanup(c.CloseIdleConnections)
	return c, srv.URL, &slept
}

func TestThrottledForbiddenIsRetried(t *testing.T) {
	t.Parallel()
	n := 0
	c, url, slept := throttledClient(t, func(w http.ResponseWriter, _ *http.Request) {
		n++
		switch n {
		case 1:
			w.WriteHeader(http.StatusForbidden)
			_, _ = io.WriteString(w, `{"error":{"code":403,"errors":[{"reason":"userRateLimitExceeded"}]}}`)
		case 2:
			w.Header().Set("Retry-After", "9")
			w.WriteHeader(http.StatusForbidden)
			_, _ = io.WriteString(w, `{"error":{"code":403,"errors":[{"reason":"userRateLimitExceeded"}]}}`)
		default:
			_, _ = io.WriteString(w, "ok")
		}
	})
	req, err := http.NewRequestWithContext(t.Context(), http.MethodGet, url, nil)
	require.NoError(t, err)
	resp, err := c.Do(req)
	require.NoError(t, err)
	body, _ := io.ReadAll(resp.Body)
	_ = resp.Body.Close()
	require.Equal(t, "ok", string(body))
	// Backoff for the first (half of the 1s step with no jitter), the
	// server's Retry-After for the second.
	require.Equal(t, []time.Duration{500 * time.Millisecond, 9 * time.Second}, *slept)
}

func TestOtherForbiddenKeepsItsBody(t *testing.T) {
	t.Parallel()
	const denied = `{"error":{"code":403,"message":"Not Authorized to access this resource/api","errors":[{"reason":"forbidden"}]}}`
	c, url, slept := throttledClient(t, func(w http.ResponseWriter, _ *http.Request) {
		w.WriteHeader(http.StatusForbidden)
		_, _ = io.WriteString(w, denied)
	})
	req, err := http.NewRequestWithContext(t.Context(), http.MethodGet, url, nil)
	require.NoError(t, err)
	resp, err := c.Do(req)
	require.NoError(t, err)
	body, _ := io.ReadAll(resp.Body)
	require.NoError(t, resp.Body.Close())
	require.Equal(t, http.StatusForbidden, resp.StatusCode)
	require.Equal(t, denied, string(body))
	require.Empty(t, *slept)
}

func TestThrottledForeverGivesUpRetryable(t *testing.T) {
	t.Parallel()
	c, url, slept := throttledClient(t, func(w http.ResponseWriter, _ *http.Request) {
		w.WriteHeader(http.StatusForbidden)
		_, _ = io.WriteString(w, `{"error":{"errors":[{"reason":"userRateLimitExceeded"}]}}`)
	})
	req, err := http.NewRequestWithContext(t.Context(), http.MethodGet, url, nil)
	require.NoError(t, err)
	_, err = c.Do(req)
	require.Error(t, err)
	require.True(t, connector.IsRetryable(err))
	var se *StatusError
	require.True(t, errors.As(err, &se))
	require.Equal(t, http.StatusForbidden, se.StatusCode)
	require.Len(t, *slept, 3)
}
