package snipeit

import (
	"cmp"
	"github.com/integrator-oss/integrator/internal/emulator/faultq"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"sync"
	"sync/atomic"
	"testing"
	"time"
)

// Defaults applied by New to zero-valued Options fields.
const (
	// DefaultToken is the personal API token the emulator accepts.
	DefaultToken = "eyJ0eXAiOiJKV1QiLCJhbGciOiJSUzI1NiJ9.emulator-personal-access-token"
	// DefaultMaxResults is Snipe-IT's MAX_RESULTS: the default and largest
	// page size.
	DefaultMaxResults = 500
	// DefaultRateLimit is Laravel's API_THROTTLE_PER_MINUTE default.
	DefaultRateLimit = 120
	// DefaultRateWindow is the throttle's fixed window.
	DefaultRateWindow = time.Minute
)

// Options configures an Emulator. The zero value is usable.
type Options struct {
	// Token is the personal API token the emulator accepts.
	Token string
	// MaxResults is the default and largest page size. Defaults to 500.
	MaxResults int
	// RateLimit is the number of requests a token may make per minute.
	// Zero means 120; a negative value turns throttling off.
	RateLimit int
	// RateWindow is the throttle's window. Defaults to a minute; tests
	// shorten it.
	RateWindow time.Duration
	// Now is the clock. Defaults to time.Now.
	Now func() time.Time
	// Logger receives debug logs of requests and faults, never tokens.
	Logger *slog.Logger
}

func (o Options) withDefaults() Options {
	o.Token = cmp.Or(o.Token, DefaultToken)
	if o.MaxResults <= 0 {
		o.MaxResults = DefaultMaxResults
	}
	o.RateLimit = cmp.Or(o.RateLimit, DefaultRateLimit)
	o.RateWindow = cmp.Or(o.RateWindow, DefaultRateWindow)
	if o.Now == nil {
		o.Now = time.Now
	}
	if o.Logger == nil {
		o.Logger = slog.New(slog.DiscardHandler)
	}
	return o
}

// Emulator is an in-memory Snipe-IT instance served over the REST API v1.
// Create it with New.
type Emulator struct {
	opts   Options
	logger *slog.Logger

	mu sync.RWMutex
	inventory

	tokMu   sync.Mutex
	revoked bool

	rate fixedWindow

	faults faultq.Queue[Fault]

	requests  atomic.Int64
	throttled atomic.Int64
}

// New returns an emulator with an empty instance (the status labels, a
// few categories and the token's user exist). Fill it with Generate or the
// mutation methods.
func New(o Options) *Emulator {
	o = o.withDefaults()
	return &Emulator{
		opts:      o,
		logger:    o.Logger,
		inventory: newInventory(o.Now()),
		rate:      fixedWindow{limit: o.RateLimit, window: o.RateWindow},
	}
}

// Handler returns the HTTP handler serving the API.
func (e *Emulator) Handler() http.Handler { return http.HandlerFunc(e.serveHTTP) }

// StartTest starts the emulator on a loopback httptest.Server that is
// closed when the test ends, and returns its base URL (the value of the
// connector's url).
func (e *Emulator) StartTest(t testing.TB) string {
	t.Helper()
	srv := httptest.NewServer(e.Handler())
	t.Cleanup(srv.Close)
	return srv.URL
}

// Token returns the personal API token the emulator accepts.
func (e *Emulator) Token() string { return e.opts.Token }

// RevokeToken makes the token invalid, as when it expires or a user
// deletes it in the web UI: every later request gets 401.
func (e *Emulator) RevokeToken() {
	e.tokMu.Lock()
	e.revoked = true
	e.tokMu.Unlock()
}

func (e *Emulator) tokenValid(tok string) bool {
	e.tokMu.Lock()
	defer e.tokMu.Unlock()
	return !e.revoked && tok == e.opts.Token
}

// Stats counts the requests an emulator has served.
type Stats struct {
	// Requests counts every request.
	Requests int64
	// Throttled counts 429 answers.
	Throttled int64
	// PeakWindow is the most requests one throttle window ever admitted.
	PeakWindow int
}

// Stats returns the request counters.
func (e *Emulator) Stats() Stats {
	return Stats{Requests: e.requests.Load(), Throttled: e.throttled.Load(), PeakWindow: e.rate.peakCount()}
}

// fixedWindow is Laravel's throttle: a counter that starts with the first
// request of a window and resets a window later.
type fixedWindow struct {
	limit  int
	window time.Duration

	mu    sync.Mutex
	start time.Time
	count int
	peak  int
}

// admit counts one request at now. It returns the requests left in the
// window, whether the request is refused, and when the window resets.
func (w *fixedWindow) admit(now time.Time) (remaining int, refused bool, reset time.Time) {
	w.mu.Lock()
	defer w.mu.Unlock()
	if w.limit < 0 {
		return 0, false, time.Time{}
	}
	if w.start.IsZero() || !now.Before(w.start.Add(w.window)) {
		w.start, w.count = now, 0
	}
	reset = w.start.Add(w.window)
	if w.count >= w.limit {
		return 0, true, reset
	}
	w.count++
	w.peak = max(w.peak, w.count)
	return w.limit - w.count, false, reset
}

func (w *fixedWindow) peakCount() int {
	w.mu.Lock()
	defer w.mu.Unlock()
	return w.peak
}
