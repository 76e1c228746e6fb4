package ninjaone

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

	"golang.org/x/time/rate"
)

// Defaults applied by New to zero-valued Options fields.
const (
	DefaultClientID      = "ninja-client-0001"
	DefaultTokenLifetime = time.Hour
	DefaultPageSize      = 100
	// MaxPageSize is the largest pageSize the emulator serves; the API's
	// own maximum is not documented.
	MaxPageSize      = 1000
	DefaultCursorTTL = 5 * time.Minute
)

// Options configures an Emulator. The zero value is usable.
type Options struct {
	// ClientID and ClientSecret are the API application's credentials the
	// token endpoint accepts. ClientID defaults to DefaultClientID; an empty
	// ClientSecret accepts any secret.
	ClientID     string
	ClientSecret string
	// TokenLifetime is how long an access token is valid (expires_in).
	// Defaults to 1h.
	TokenLifetime time.Duration
	// PageSize is the page size without a pageSize parameter. Defaults to
	// 100.
	PageSize int
	// CursorTTL is how long an unused query cursor lives. Defaults to 5m.
	CursorTTL time.Duration
	// RateLimit is a token bucket on API requests per second (burst of one
	// second's worth); requests over it get 429 with Retry-After. Zero
	// disables it.
	RateLimit float64
	// Now is the clock. Defaults to time.Now.
	Now func() time.Time
	// Logger receives debug logs; never secrets or tokens. Defaults to a
	// logger that discards.
	Logger *slog.Logger
}

func (o Options) withDefaults() Options {
	o.ClientID = cmp.Or(o.ClientID, DefaultClientID)
	o.TokenLifetime = cmp.Or(o.TokenLifetime, DefaultTokenLifetime)
	o.PageSize = min(cmp.Or(o.PageSize, DefaultPageSize), MaxPageSize)
	o.CursorTTL = cmp.Or(o.CursorTTL, DefaultCursorTTL)
	if o.Now == nil {
		o.Now = time.Now
	}
	if o.Logger == nil {
		o.Logger = slog.New(slog.DiscardHandler)
	}
	return o
}

// Emulator is an in-memory NinjaOne instance served over its API.
type Emulator struct {
	opts    Options
	logger  *slog.Logger
	limiter *rate.Limiter

	mu         sync.RWMutex
	orgs       []Organization // by ID
	locs       []Location     // by ID
	devices    []deviceRec    // by ID; removed devices stay as tombstones
	byOrg      map[int][]int32
	lastOrg    int
	lastLoc    int
	lastDevice int

	tokMu  sync.Mutex
	tokens map[string]time.Time

	curMu   sync.Mutex
	cursors map[string]*cursorState

	faults faultq.Queue[Fault]

	requests      atomic.Int64
	tokenRequests atomic.Int64
	throttled     atomic.Int64
}

// New returns an emulator with no data. Fill it with Generate or the
// mutation methods.
func New(o Options) *Emulator {
	o = o.withDefaults()
	e := &Emulator{
		opts:    o,
		logger:  o.Logger,
		byOrg:   map[int][]int32{},
		tokens:  map[string]time.Time{},
		cursors: map[string]*cursorState{},
	}
	if o.RateLimit > 0 {
		e.limiter = rate.NewLimiter(rate.Limit(o.RateLimit), max(1, int(o.RateLimit)))
	}
	return e
}

// Handler returns the HTTP handler serving /ws/oauth/token (and /oauth/token) and /v2/...
func (e *Emulator) Handler() http.Handler { return http.HandlerFunc(e.serveHTTP) }

// StartTest starts the emulator on a loopback httptest.Server closed when
// the test ends, and returns its base URL (the "region" URL).
func (e *Emulator) StartTest(t testing.TB) string {
	t.Helper()
	srv := httptest.NewServer(e.Handler())
	t.Cleanup(srv.Close)
	return srv.URL
}

// ClientID returns the client ID the token endpoint accepts.
func (e *Emulator) ClientID() string { return e.opts.ClientID }

// Stats counts the requests an emulator has served.
type Stats struct {
	Requests      int64
	TokenRequests int64
	// Throttled counts 429 responses.
	Throttled int64
}

// Stats returns the request counters.
func (e *Emulator) Stats() Stats {
	return Stats{Requests: e.requests.Load(), TokenRequests: e.tokenRequests.Load(), Throttled: e.throttled.Load()}
}

// ExpireTokens expires every access token issued so far.
func (e *Emulator) ExpireTokens() {
	e.tokMu.Lock()
	clear(e.tokens)
	e.tokMu.Unlock()
}
