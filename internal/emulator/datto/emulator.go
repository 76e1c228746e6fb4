package datto

import (
	"cmp"
	"crypto/rand"
	"encoding/hex"
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
	DefaultAPIKey    = "EMULATORAPIKEY0000000000"
	DefaultAPISecret = "emulator-api-secret"
	// PublicClientID and PublicClientSecret are the fixed OAuth client every
	// Datto RMM API consumer uses for the password grant.
	PublicClientID     = "public-client"
	PublicClientSecret = "public"
	// DefaultTokenLifetime is how long Datto's access tokens live.
	DefaultTokenLifetime = 100 * time.Hour
	// MaxPage is the largest page size (max) the listings accept.
	MaxPage = 250
	// DefaultRateLimit is the account's read quota per DefaultRateWindow.
	DefaultRateLimit  = 600
	DefaultRateWindow = 60 * time.Second
	// DefaultSlowdown is the delay added to every answer past 90 % of the
	// quota.
	DefaultSlowdown = time.Second
	// DefaultBlockAfter is how many throttled requests within one window
	// get the client's IP blocked, and DefaultBlockDuration for how long.
	DefaultBlockAfter    = 100
	DefaultBlockDuration = 5 * time.Minute
)

// Options configures an Emulator. The zero value is usable.
type Options struct {
	// APIKey and APISecret are the credentials the token endpoint accepts.
	APIKey, APISecret string
	// AccountName is the account's name. Defaults to "Emulated MSP".
	AccountName string
	// TokenLifetime is how long an access token is valid; API calls with
	// an older token get 401. Defaults to 100 hours.
	TokenLifetime time.Duration
	// PageSize is the page size when a request gives no max. Defaults to
	// MaxPage.
	PageSize int
	// RateLimit is the read quota per RateWindow. Zero means 600; a
	// negative value turns throttling off.
	RateLimit  int
	RateWindow time.Duration
	// Slowdown is the delay added past 90 % of the quota. Zero means one
	// second; a negative value adds none.
	Slowdown time.Duration
	// BlockAfter and BlockDuration configure the IP block. Zero means the
	// defaults; a negative BlockAfter never blocks.
	BlockAfter    int
	BlockDuration time.Duration
	// Now is the clock. Defaults to time.Now.
	Now func() time.Time
	// Sleep waits d (the slowdown). Defaults to time.Sleep.
	Sleep func(d time.Duration)
	// Logger receives debug logs of requests and faults, never tokens.
	Logger *slog.Logger
}

func (o Options) withDefaults() Options {
	o.APIKey = cmp.Or(o.APIKey, DefaultAPIKey)
	o.APISecret = cmp.Or(o.APISecret, DefaultAPISecret)
	o.AccountName = cmp.Or(o.AccountName, "Emulated MSP")
	o.TokenLifetime = cmp.Or(o.TokenLifetime, DefaultTokenLifetime)
	if o.PageSize <= 0 || o.PageSize > MaxPage {
		o.PageSize = MaxPage
	}
	o.RateLimit = cmp.Or(o.RateLimit, DefaultRateLimit)
	o.RateWindow = cmp.Or(o.RateWindow, DefaultRateWindow)
	o.Slowdown = cmp.Or(o.Slowdown, DefaultSlowdown)
	o.BlockAfter = cmp.Or(o.BlockAfter, DefaultBlockAfter)
	o.BlockDuration = cmp.Or(o.BlockDuration, DefaultBlockDuration)
	if o.Now == nil {
		o.Now = time.Now
	}
	if o.Sleep == nil {
		o.Sleep = time.Sleep
	}
	if o.Logger == nil {
		o.Logger = slog.New(slog.DiscardHandler)
	}
	return o
}

// Emulator is an in-memory Datto RMM account served over the API v2 wire
// protocol. Create it with New.
type Emulator struct {
	opts   Options
	logger *slog.Logger

	mu sync.RWMutex
	account

	tokMu  sync.Mutex
	tokens map[string]time.Time // access token → expiry

	rate *rateLimiter

	faults faultq.Queue[Fault]

	requests      atomic.Int64
	tokenRequests atomic.Int64
	audits        atomic.Int64
	throttled     atomic.Int64
	blocked       atomic.Int64
	slowed        atomic.Int64
}

// New returns an emulator with an empty account. Fill it with Generate or
// the mutation methods.
func New(o Options) *Emulator {
	o = o.withDefaults()
	e := &Emulator{
		opts:   o,
		logger: o.Logger,
		tokens: map[string]time.Time{},
		rate:   newRateLimiter(o.RateLimit, o.RateWindow, o.Slowdown),
	}
	e.account = newAccount()
	return e
}

// Handler returns the HTTP handler serving the token endpoint and the API.
func (e *Emulator) Handler() http.Handler { return http.HandlerFunc(e.serveHTTP) }

// StartTest starts the emulator on a loopback httptest.Server that is
// closed when the test ends, and returns its base URL (the value of the
// connector's api_url).
func (e *Emulator) StartTest(t testing.TB) string {
	t.Helper()
	srv := httptest.NewServer(e.Handler())
	t.Cleanup(srv.Close)
	return srv.URL
}

// APIKey and APISecret return the credentials the emulator accepts.
func (e *Emulator) APIKey() string    { return e.opts.APIKey }
func (e *Emulator) APISecret() string { return e.opts.APISecret }

// ExpireTokens makes every access token issued so far invalid, as if their
// 100 hours had passed: the next API call with one gets 401.
func (e *Emulator) ExpireTokens() {
	e.tokMu.Lock()
	defer e.tokMu.Unlock()
	for k := range e.tokens {
		e.tokens[k] = time.Time{}
	}
}

func (e *Emulator) issueToken() (string, time.Duration) {
	var b [24]byte
	_, _ = rand.Read(b[:])
	tok := hex.EncodeToString(b[:])
	e.tokMu.Lock()
	e.tokens[tok] = e.opts.Now().Add(e.opts.TokenLifetime)
	e.tokMu.Unlock()
	return tok, e.opts.TokenLifetime
}

// tokenValid reports whether tok was issued and has not expired.
func (e *Emulator) tokenValid(tok string) (known, valid bool) {
	e.tokMu.Lock()
	defer e.tokMu.Unlock()
	exp, ok := e.tokens[tok]
	if !ok {
		return false, false
	}
	return true, e.opts.Now().Before(exp)
}

func (e *Emulator) expireToken(tok string) {
	e.tokMu.Lock()
	defer e.tokMu.Unlock()
	if _, ok := e.tokens[tok]; ok {
		e.tokens[tok] = time.Time{}
	}
}

// SetRateLimit changes the quota while the emulator serves: limit reads
// per window (negative: no limit) and the slowdown past 90 % (negative:
// none). The requests counted so far are forgotten, as if the window had
// passed. Benchmarks use it to compress time.
func (e *Emulator) SetRateLimit(limit int, window, slowdown time.Duration) {
	e.rate.set(limit, window, slowdown)
}

// Stats counts the requests an emulator has served.
type Stats struct {
	// Requests counts every request, token endpoint included.
	Requests int64
	// TokenRequests counts requests to the token endpoint.
	TokenRequests int64
	// Audits counts device audit requests answered with an audit.
	Audits int64
	// Throttled counts 429 answers, Blocked 403 IP-block answers, Slowed
	// answers delayed past 90 % of the quota.
	Throttled, Blocked, Slowed int64
	// PeakWindow is the most read requests the rolling window ever held.
	PeakWindow int
}

// Stats returns the request counters.
func (e *Emulator) Stats() Stats {
	return Stats{
		Requests:      e.requests.Load(),
		TokenRequests: e.tokenRequests.Load(),
		Audits:        e.audits.Load(),
		Throttled:     e.throttled.Load(),
		Blocked:       e.blocked.Load(),
		Slowed:        e.slowed.Load(),
		PeakWindow:    e.rate.peakCount(),
	}
}
