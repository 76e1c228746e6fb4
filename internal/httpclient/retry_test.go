package httpclient

import (
	"context"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/integrator-oss/integrator/internal/connector"
)

// testBundle is a client against a scripted server, with a fake clock.
type testBundle struct {
	client *Client
	url    string
	calls  atomic.Int64
	mu     sync.Mutex
	slept  []time.Duration
	bodies []string
}

// setup starts a server whose handler gets the 1-based call number.
func setup(t *testing.T, cfg Config, handler func(n int64, w http.ResponseWriter, r *http.Request)) *testBundle {
	t.Helper()
	b := &testBundle{}
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		body, _ := io.ReadAll(r.Body)
		b.mu.Lock()
		b.bodies = append(b.bodies, string(body))
		b.mu.Unlock()
		handler(b.calls.Add(1), w, r)
	}))
	t.Cleanup(srv.Close)
	c, err := New(cfg, Options{
		Sleep: func(ctx context.Context, d time.Duration) error {
			b.mu.Lock()
			defer b.mu.Unlock()
			b.slept = append(b.slept, d)
			return ctx.Err()
		},
		Jitter: func() float64 { return 0.5 },
		Now:    func() time.Time { return time.Date(2025, 1, 2, 3, 4, 5, 0, time.UTC) },
	})
	require.NoError(t, err)
	t.Cleanup(c.CloseIdleConnections)
	b.client = c
	b.url = srv.URL
	return b
}

func (b *testBundle) get(t *testing.T, ctx context.Context, path string) (*http.Response, error) {
	t.Helper()
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, b.url+path, nil)
	require.NoError(t, err)
	return b.client.Do(req)
}

func (b *testBundle) sleeps() []time.Duration {
	b.mu.Lock()
	defer b.mu.Unlock()
	return append([]time.Duration(nil), b.slept...)
}

func TestRetryAfterSecondsIsHonoured(t *testing.T) {
	t.Parallel()
	b := setup(t, Config{}, func(n int64, w http.ResponseWriter, _ *http.Request) {
		if n <= 2 {
			w.Header().Set("Retry-After", "7")
			w.WriteHeader(http.StatusTooManyRequests)
			return
		}
		_, _ = io.WriteString(w, "ok")
	})
	var requests atomic.Int64
	var waits []Wait
	ctx := WithHooks(t.Context(), Hooks{
		OnRequest: func() { requests.Add(1) },
		OnWait:    func(w Wait) { waits = append(waits, w) },
	})
	resp, err := b.get(t, ctx, "/x")
	require.NoError(t, err)
	body, _ := io.ReadAll(resp.Body)
	_ = resp.Body.Close()
	require.Equal(t, "ok", string(body))
	require.Equal(t, []time.Duration{7 * time.Second, 7 * time.Second}, b.sleeps())
	require.Equal(t, int64(3), requests.Load())
	require.Len(t, waits, 2)
	require.Equal(t, Wait{Delay: 7 * time.Second, Attempt: 1, StatusCode: 429, RetryAfter: true}, waits[0])
}

func TestRetryAfterHTTPDate(t *testing.T) {
	t.Parallel()
	// The fake clock is 03:04:05; the server asks to come back at 03:04:35.
	b := setup(t, Config{}, func(n int64, w http.ResponseWriter, _ *http.Request) {
		if n == 1 {
			w.Header().Set("Retry-After", "Thu, 02 Jan 2025 03:04:35 GMT")
			w.WriteHeader(http.StatusServiceUnavailable)
			return
		}
		w.WriteHeader(http.StatusNoContent)
	})
	resp, err := b.get(t, t.Context(), "/x")
	require.NoError(t, err)
	_ = resp.Body.Close()
	require.Equal(t, http.StatusNoContent, resp.StatusCode)
	require.Equal(t, []time.Duration{30 * time.Second}, b.sleeps())
}

func TestBackoffGrowsAndIsCapped(t *testing.T) {
	t.Parallel()
	b := setup(t, Config{MaxRetries: 8}, func(n int64, w http.ResponseWriter, _ *http.Request) {
		if n <= 8 {
			w.WriteHeader(http.StatusBadGateway)
			return
		}
		w.WriteHeader(http.StatusOK)
	})
	resp, err := b.get(t, t.Context(), "/x")
	require.NoError(t, err)
	_ = resp.Body.Close()
	// Steps 1s, 2s, 4s ... capped at 60s; jitter 0.5 gives three quarters of each.
	want := []time.Duration{750 * time.Millisecond, 1500 * time.Millisecond, 3 * time.Second, 6 * time.Second,
		12 * time.Second, 24 * time.Second, 45 * time.Second, 45 * time.Second}
	require.Equal(t, want, b.sleeps())
}

func TestServerErrorForeverGivesRetryableError(t *testing.T) {
	t.Parallel()
	b := setup(t, Config{}, func(_ int64, w http.ResponseWriter, _ *http.Request) {
		w.WriteHeader(http.StatusInternalServerError)
	})
	resp, err := b.get(t, t.Context(), "/users/delta?$skiptoken=abc")
	require.Nil(t, resp)
	require.Error(t, err)
	require.True(t, connector.IsRetryable(err))
	var se *StatusError
	require.ErrorAs(t, err, &se)
	require.Equal(t, 500, se.StatusCode)
	require.Equal(t, DefaultMaxRetries+1, se.Attempts)
	require.Equal(t, int64(DefaultMaxRetries+1), b.calls.Load())
	require.NotContains(t, err.Error(), "skiptoken")
	require.Contains(t, err.Error(), "/users/delta")
}

func TestClientErrorsAreNotRetried(t *testing.T) {
	t.Parallel()
	for _, status := range []int{400, 401, 403, 404, 410} {
		b := setup(t, Config{}, func(_ int64, w http.ResponseWriter, _ *http.Request) {
			w.WriteHeader(status)
		})
		resp, err := b.get(t, t.Context(), "/x")
		require.NoError(t, err)
		_ = resp.Body.Close()
		require.Equal(t, status, resp.StatusCode)
		require.Equal(t, int64(1), b.calls.Load(), "status %d", status)
		require.Empty(t, b.sleeps())
	}
}

func TestMaxRetriesMinusOneTurnsRetriesOff(t *testing.T) {
	t.Parallel()
	b := setup(t, Config{MaxRetries: -1}, func(_ int64, w http.ResponseWriter, _ *http.Request) {
		w.WriteHeader(http.StatusServiceUnavailable)
	})
	_, err := b.get(t, t.Context(), "/x")
	require.True(t, connector.IsRetryable(err))
	require.Equal(t, int64(1), b.calls.Load())
}

func TestCumulativeWaitCap(t *testing.T) {
	t.Parallel()
	b := setup(t, Config{}, func(_ int64, w http.ResponseWriter, _ *http.Request) {
		w.Header().Set("Retry-After", "200")
		w.WriteHeader(http.StatusTooManyRequests)
	})
	_, err := b.get(t, t.Context(), "/x")
	require.Error(t, err)
	// 200s is waited once; a second 200s would pass the 5 minute cap.
	require.Equal(t, []time.Duration{200 * time.Second}, b.sleeps())
	var re *connector.RetryableError
	require.ErrorAs(t, err, &re)
	require.Equal(t, 200*time.Second, re.After)
}

func TestPostBodyIsReplayed(t *testing.T) {
	t.Parallel()
	b := setup(t, Config{}, func(n int64, w http.ResponseWriter, _ *http.Request) {
		if n == 1 {
			w.WriteHeader(http.StatusServiceUnavailable)
			return
		}
		w.WriteHeader(http.StatusOK)
	})
	req, err := http.NewRequestWithContext(t.Context(), http.MethodPost, b.url+"/token", strings.NewReader("grant_type=client_credentials"))
	require.NoError(t, err)
	resp, err := b.client.Do(req)
	require.NoError(t, err)
	_ = resp.Body.Close()
	b.mu.Lock()
	defer b.mu.Unlock()
	require.Equal(t, []string{"grant_type=client_credentials", "grant_type=client_credentials"}, b.bodies)
}

// hangUp closes the connection without answering.
func hangUp(t *testing.T, w http.ResponseWriter) {
	t.Helper()
	conn, _, err := w.(http.Hijacker).Hijack()
	require.NoError(t, err)
	_ = conn.Close()
}

func TestConnectionResetIsRetriedForGetOnly(t *testing.T) {
	t.Parallel()
	b := setup(t, Config{}, func(n int64, w http.ResponseWriter, _ *http.Request) {
		if n%2 == 1 {
			hangUp(t, w)
			return
		}
		w.WriteHeader(http.StatusOK)
	})
	resp, err := b.get(t, t.Context(), "/x")
	require.NoError(t, err)
	_ = resp.Body.Close()
	require.Equal(t, int64(2), b.calls.Load())

	req, err := http.NewRequestWithContext(t.Context(), http.MethodPost, b.url+"/x", strings.NewReader("a=b"))
	require.NoError(t, err)
	_, err = b.client.Do(req)
	require.Error(t, err)
	require.True(t, connector.IsRetryable(err), "a cut connection is transient: %v", err)
	require.Equal(t, int64(3), b.calls.Load(), "POST must not be resent after a transport error")
}

func TestErrorsCarryNoHeadersBodiesOrQuery(t *testing.T) {
	t.Parallel()
	b := setup(t, Config{MaxRetries: 1}, func(_ int64, w http.ResponseWriter, _ *http.Request) {
		w.WriteHeader(http.StatusBadGateway)
	})
	req, err := http.NewRequestWithContext(t.Context(), http.MethodPost, b.url+"/tenant/token?code=QUERYSECRET",
		strings.NewReader("client_secret=BODYSECRET"))
	require.NoError(t, err)
	req.Header.Set("Authorization", "Bearer HEADERSECRET")
	_, err = b.client.Do(req)
	require.Error(t, err)
	for _, s := range []string{"QUERYSECRET", "BODYSECRET", "HEADERSECRET"} {
		require.NotContains(t, err.Error(), s)
	}
	require.Contains(t, err.Error(), "/tenant/token")
	require.Contains(t, err.Error(), "502")

	// Through HTTPClient the *url.Error wrapper must not bring the query back.
	req2, err := http.NewRequestWithContext(t.Context(), http.MethodGet, b.url+"/x?code=QUERYSECRET", nil)
	require.NoError(t, err)
	_, err = b.client.HTTPClient().Do(req2)
	require.Error(t, err)
	require.True(t, connector.IsRetryable(err))
}

func TestCancelDuringWait(t *testing.T) {
	t.Parallel()
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {
		w.Header().Set("Retry-After", "30")
		w.WriteHeader(http.StatusTooManyRequests)
	}))
	t.Cleanup(srv.Close)
	c, err := New(Config{}, Options{})
	require.NoError(t, err)
	t.Cleanup(c.CloseIdleConnections)
	ctx, cancel := context.WithCancel(t.Context())
	ctx = WithHooks(ctx, Hooks{OnWait: func(Wait) { cancel() }})
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, srv.URL, nil)
	require.NoError(t, err)
	start := time.Now()
	_, err = c.Do(req)
	require.ErrorIs(t, err, context.Canceled)
	require.False(t, connector.IsRetryable(err))
	require.Less(t, time.Since(start), 5*time.Second)
}

func TestTimeoutPerAttempt(t *testing.T) {
	t.Parallel()
	b := setup(t, Config{Timeout: 100 * time.Millisecond}, func(n int64, w http.ResponseWriter, r *http.Request) {
		if n == 1 {
			select {
			case <-r.Context().Done():
			case <-time.After(2 * time.Second):
			}
			return
		}
		w.WriteHeader(http.StatusOK)
	})
	resp, err := b.get(t, t.Context(), "/x")
	require.NoError(t, err)
	_ = resp.Body.Close()
	require.Equal(t, int64(2), b.calls.Load())
}

func TestRateLimit(t *testing.T) {
	t.Parallel()
	b := setup(t, Config{RequestsPerSecond: 10}, func(_ int64, w http.ResponseWriter, _ *http.Request) {
		w.WriteHeader(http.StatusOK)
	})
	start := time.Now()
	for range 13 {
		resp, err := b.get(t, t.Context(), "/x")
		require.NoError(t, err)
		_ = resp.Body.Close()
	}
	// A burst of 10, then three more at 100ms intervals.
	require.GreaterOrEqual(t, time.Since(start), 250*time.Millisecond)
}

func TestParseRetryAfter(t *testing.T) {
	t.Parallel()
	now := time.Date(2025, 1, 2, 3, 4, 5, 0, time.UTC)
	tests := []struct {
		in   string
		want time.Duration
		ok   bool
	}{
		{"", 0, false},
		{"0", 0, true},
		{"12", 12 * time.Second, true},
		{"1.5", 1500 * time.Millisecond, true},
		{"-3", 0, false},
		{"soon", 0, false},
		{"Thu, 02 Jan 2025 03:05:05 GMT", time.Minute, true},
		{"Thu, 02 Jan 2025 03:00:00 GMT", 0, true},
	}
	for _, tt := range tests {
		got, ok := parseRetryAfter(tt.in, now)
		require.Equal(t, tt.ok, ok, tt.in)
		require.Equal(t, tt.want, got, tt.in)
	}
}
