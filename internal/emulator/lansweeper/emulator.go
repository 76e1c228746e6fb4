package lansweeper

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
	// DefaultToken is the personal access token the emulator accepts.
	DefaultToken = "lsp_emulator_personal_access_token_0000000000"
	// GraphQLPath is the Data API's endpoint; LegacyGraphQLPath is the
	// older one some integrations still use. Both are served.
	GraphQLPath       = "/api/integrations/graphql"
	LegacyGraphQLPath = "/api/v2/graphql"
	// MaxLimit is the largest assetPagination.limit.
	MaxLimit = 500
	// MaxFields is the most field paths one assetResources query may ask.
	MaxFields = 30
	// DefaultRateLimit is the synchronous requests a minute, and
	// DefaultHourLimit an hour, a token may make.
	DefaultRateLimit = 150
	DefaultHourLimit = 2000
	// DefaultPenalty is how long a throttled client must stay quiet.
	DefaultPenalty = time.Minute
)

// Options configures an Emulator. The zero value is usable.
type Options struct {
	// Token is the personal access token the emulator accepts.
	Token string
	// RateLimit is the requests a RateWindow; zero means 150, negative
	// off.
	RateLimit int
	// RateWindow is the rolling window of RateLimit. Defaults to a minute;
	// tests shorten it.
	RateWindow time.Duration
	// HourLimit is the requests an hour; zero means 2000, negative off.
	HourLimit int
	// Penalty is how long a client that hit a limit must send nothing:
	// every request in that time is refused and starts it again. Zero
	// means a minute.
	Penalty time.Duration
	// Now is the clock. Defaults to time.Now.
	Now func() time.Time
	// Logger receives debug logs of requests and faults, never tokens.
	Logger *slog.Logger
}

func (o Options) withDefaults() Options {
	o.Token = cmp.Or(o.Token, DefaultToken)
	o.RateLimit = cmp.Or(o.RateLimit, DefaultRateLimit)
	o.HourLimit = cmp.Or(o.HourLimit, DefaultHourLimit)
	o.RateWindow = cmp.Or(o.RateWindow, time.Minute)
	o.Penalty = cmp.Or(o.Penalty, DefaultPenalty)
	if o.Now == nil {
		o.Now = time.Now
	}
	if o.Logger == nil {
		o.Logger = slog.New(slog.DiscardHandler)
	}
	return o
}

// Emulator is an in-memory Lansweeper account served over the Data API's
// GraphQL protocol. Create it with New.
type Emulator struct {
	opts   Options
	logger *slog.Logger

	mu sync.RWMutex
	data
	// authorized lists the sites the token may read; nil means all.
	authorized map[string]bool

	tokMu   sync.Mutex
	revoked bool

	rate limiter

	faults faultq.Queue[Fault]

	requests  atomic.Int64
	throttled atomic.Int64
}

// New returns an emulator with no sites. Fill it with Generate, AddSite
// and the mutation methods.
func New(o Options) *Emulator {
	o = o.withDefaults()
	return &Emulator{
		opts:   o,
		logger: o.Logger,
		data:   newData(),
		rate:   limiter{perMinute: o.RateLimit, window: o.RateWindow, perHour: o.HourLimit, penalty: o.Penalty},
	}
}

// Handler returns the HTTP handler serving the GraphQL endpoint.
func (e *Emulator) Handler() http.Handler { return http.HandlerFunc(e.serveHTTP) }

// StartTest starts the emulator on a loopback httptest.Server that is
// closed when the test ends, and returns its base URL; the GraphQL
// endpoint (the connector's api_url) is base + GraphQLPath.
func (e *Emulator) StartTest(t testing.TB) string {
	t.Helper()
	srv := httptest.NewServer(e.Handler())
	t.Cleanup(srv.Close)
	return srv.URL
}

// Token returns the personal access token the emulator accepts.
func (e *Emulator) Token() string { return e.opts.Token }

// RevokeToken makes the token invalid, as when it expires or is deleted
// in the web app: every later request is refused as unauthenticated.
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

// Authorize limits the token to the given sites (none given: all sites).
func (e *Emulator) Authorize(siteIDs ...string) {
	e.mu.Lock()
	defer e.mu.Unlock()
	if len(siteIDs) == 0 {
		e.authorized = nil
		return
	}
	e.authorized = map[string]bool{}
	for _, id := range siteIDs {
		e.authorized[id] = true
	}
}

// siteAuthorized reports whether the token may read the site. The caller
// holds e.mu.
func (e *Emulator) siteAuthorized(id string) bool {
	if e.authorized != nil {
		return e.authorized[id]
	}
	for _, s := range e.sites {
		if s.ID == id {
			return true
		}
	}
	return false
}

// Stats counts the requests an emulator has served.
type Stats struct {
	Requests  int64
	Throttled int64
	// PeakMinute is the most requests the rolling minute ever held.
	PeakMinute int
}

// Stats returns the request counters.
func (e *Emulator) Stats() Stats {
	return Stats{Requests: e.requests.Load(), Throttled: e.throttled.Load(), PeakMinute: e.rate.peakCount()}
}

// limiter enforces the Data API's limits: requests a rolling minute (the
// window) and a rolling hour, and a penalty of quiet after either is hit.
type limiter struct {
	perMinute, perHour int
	window, penalty    time.Duration

	mu      sync.Mutex
	times   []time.Time // accepted requests of the last hour, oldest first
	blocked time.Time
	peak    int
}

// admit counts one request at now and returns how long the client must
// wait when it is refused.
func (l *limiter) admit(now time.Time) (time.Duration, bool) {
	l.mu.Lock()
	defer l.mu.Unlock()
	if l.perMinute <= 0 && l.perHour <= 0 {
		return 0, false
	}
	if now.Before(l.blocked) {
		// A request during the penalty starts it again.
		l.blocked = now.Add(l.penalty)
		return l.penalty, true
	}
	i := 0
	for i < len(l.times) && !l.times[i].After(now.Add(-time.Hour)) {
		i++
	}
	l.times = l.times[i:]
	inMinute := 0
	for j := len(l.times) - 1; j >= 0 && l.times[j].After(now.Add(-l.window)); j-- {
		inMinute++
	}
	if l.perMinute > 0 && inMinute >= l.perMinute {
		l.blocked = now.Add(l.penalty)
		return l.penalty, true
	}
	if l.perHour > 0 && len(l.times) >= l.perHour {
		wait := max(l.times[0].Add(time.Hour).Sub(now), l.penalty)
		l.blocked = now.Add(wait)
		return wait, true
	}
	l.times = append(l.times, now)
	l.peak = max(l.peak, inMinute+1)
	return 0, false
}

func (l *limiter) peakCount() int {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.peak
}
