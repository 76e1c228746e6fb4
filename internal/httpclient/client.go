package httpclient

import (
	"cmp"
	"context"
	"log/slog"
	"math"
	"math/rand/v2"
	"net/http"
	"time"

	"golang.org/x/time/rate"
)

// Backoff defaults of Options.
const (
	// DefaultBaseDelay is the first backoff step when the server gives no
	// Retry-After.
	DefaultBaseDelay = time.Second
	// DefaultMaxDelay caps one backoff step.
	DefaultMaxDelay = 60 * time.Second
	// DefaultMaxWait caps the time one request spends waiting between its
	// attempts; past it the request fails with a retryable error and the
	// job engine tries the whole run later.
	DefaultMaxWait = 5 * time.Minute
)

// Options are the parts of a Client that do not come from configuration.
// The zero value is ready to use.
type Options struct {
	// Logger receives one line per wait and the insecure-TLS warning.
	// Defaults to a logger that discards.
	Logger *slog.Logger
	// Limiter replaces the one built from Config.RequestsPerSecond, so that
	// several clients of one integration can share one budget. Every attempt
	// of every request waits on it. Nil with RequestsPerSecond 0 means
	// unlimited.
	Limiter *rate.Limiter
	// Sleep waits d or until ctx is done. Defaults to a timer; tests pass a
	// function that records d and returns at once.
	Sleep func(ctx context.Context, d time.Duration) error
	// Jitter returns a number in [0, 1) that spreads backoff steps. Defaults
	// to math/rand/v2.
	Jitter func() float64
	// Now is the clock used to read Retry-After dates. Defaults to time.Now.
	Now func() time.Time
	// Transport replaces the base transport built from Config (the TLS and
	// proxy settings are then the transport's business).
	Transport http.RoundTripper
	// BaseDelay, MaxDelay and MaxWait tune the backoff; zero values take
	// DefaultBaseDelay, DefaultMaxDelay and DefaultMaxWait.
	BaseDelay, MaxDelay, MaxWait time.Duration
	// Throttled recognises a vendor's own way of saying "slow down" with a
	// status that is not 429 (Google answers 403 with the reason
	// userRateLimitExceeded). It is offered every 4xx response other than
	// 429, with up to 64 KiB of its body; when it returns true the response
	// is retried exactly like a 429 (Retry-After first, backoff otherwise).
	// When it returns false the caller gets the response with its body
	// intact. Nil: no other status is throttling.
	Throttled func(status int, header http.Header, body []byte) bool
}

// Client sends requests with the retry and rate-limit policy of its Config.
// It is safe for concurrent use.
type Client struct {
	hc         *http.Client
	maxRetries int
	limiter    *rate.Limiter
	logger     *slog.Logger
	sleep      func(context.Context, time.Duration) error
	jitter     func() float64
	now        func() time.Time
	baseDelay  time.Duration
	maxDelay   time.Duration
	maxWait    time.Duration
	throttled  func(int, http.Header, []byte) bool
}

// New builds a Client from cfg (defaults applied) without network I/O.
func New(cfg Config, opts Options) (*Client, error) {
	cfg = cfg.WithDefaults()
	logger := opts.Logger
	if logger == nil {
		logger = slog.New(slog.DiscardHandler)
	}
	rt := opts.Transport
	if rt == nil {
		t, err := newTransport(cfg, logger)
		if err != nil {
			return nil, err
		}
		rt = t
	}
	c := &Client{
		hc:         &http.Client{Transport: rt, Timeout: cfg.Timeout},
		maxRetries: max(cfg.MaxRetries, 0),
		limiter:    opts.Limiter,
		logger:     logger,
		sleep:      opts.Sleep,
		jitter:     opts.Jitter,
		now:        opts.Now,
		baseDelay:  cmp.Or(opts.BaseDelay, DefaultBaseDelay),
		maxDelay:   cmp.Or(opts.MaxDelay, DefaultMaxDelay),
		maxWait:    cmp.Or(opts.MaxWait, DefaultMaxWait),
		throttled:  opts.Throttled,
	}
	if c.sleep == nil {
		c.sleep = sleepContext
	}
	if c.jitter == nil {
		c.jitter = rand.Float64
	}
	if c.now == nil {
		c.now = time.Now
	}
	if c.limiter == nil && cfg.RequestsPerSecond > 0 {
		burst := max(1, int(math.Ceil(cfg.RequestsPerSecond)))
		c.limiter = rate.NewLimiter(rate.Limit(cfg.RequestsPerSecond), burst)
	}
	return c, nil
}

// Budget reports the requests the integration's token bucket allows right
// now, and whether there is a bucket at all. Connectors put it in their
// progress so an operator sees a long run slowing down on purpose.
func (c *Client) Budget() (float64, bool) {
	if c.limiter == nil {
		return 0, false
	}
	return max(0, c.limiter.TokensAt(c.now())), true
}

// HTTPClient returns an *http.Client whose transport is c, for libraries
// that take one (golang.org/x/oauth2 through its HTTPClient context key).
func (c *Client) HTTPClient() *http.Client {
	return &http.Client{Transport: roundTripper{c}}
}

type roundTripper struct{ c *Client }

func (r roundTripper) RoundTrip(req *http.Request) (*http.Response, error) { return r.c.Do(req) }

func sleepContext(ctx context.Context, d time.Duration) error {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-ctx.Done():
		return ctx.Err()
	case <-t.C:
		return nil
	}
}

// Hooks observe the requests of one context: a connector sets them for one
// run so that it can report progress to that run's sink.
type Hooks struct {
	// OnRequest is called before each attempt is sent.
	OnRequest func()
	// OnWait is called before the client sleeps between two attempts.
	OnWait func(Wait)
}

// Wait describes one pause between two attempts of a request.
type Wait struct {
	// Delay is how long the client is about to sleep.
	Delay time.Duration
	// Attempt is the number of attempts made so far (1 after the first).
	Attempt int
	// StatusCode is the status that caused the wait, 0 for a transport error.
	StatusCode int
	// RetryAfter is set when the server asked for Delay with Retry-After.
	RetryAfter bool
}

type hooksKey struct{}

// WithHooks returns a context whose requests report to h.
func WithHooks(ctx context.Context, h Hooks) context.Context {
	return context.WithValue(ctx, hooksKey{}, h)
}

func hooksFrom(ctx context.Context) Hooks {
	h, _ := ctx.Value(hooksKey{}).(Hooks)
	return h
}

// CloseIdleConnections closes the keep-alive connections the client holds.
// A connector calls it from Close.
func (c *Client) CloseIdleConnections() { c.hc.CloseIdleConnections() }
