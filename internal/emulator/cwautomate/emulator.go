package cwautomate

import (
	"cmp"
	"crypto/rand"
	"encoding/hex"
	"github.com/integrator-oss/integrator/internal/emulator/faultq"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"slices"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"golang.org/x/time/rate"
)

// Defaults applied by New to zero-valued Options fields.
const (
	DefaultUsername = "integrator"
	DefaultPassword = "emulator-password"
	DefaultClientID = "5a1c0f6e-0d6b-4a8e-9b3e-0c3b7d1e2f40"
	// DefaultTokenLifetime is how long an Automate API token lives.
	DefaultTokenLifetime = time.Hour
	// DefaultPageSize is the page size when a request gives none, and
	// MaxPageSize the largest the emulator serves.
	DefaultPageSize = 50
	MaxPageSize     = 1000
)

// Options configures an Emulator. The zero value is usable.
type Options struct {
	// Username and Password are the integrator user's credentials.
	Username, Password string
	// TwoFactorPasscode, when set, is required with the credentials.
	TwoFactorPasscode string
	// ClientIDs are the ConnectWise developer client IDs the server
	// accepts in the ClientId header. Defaults to DefaultClientID.
	ClientIDs []string
	// TokenLifetime defaults to an hour.
	TokenLifetime time.Duration
	// RateLimit, when positive, is a token bucket of requests per second
	// (burst of one second's worth); requests over it get 429.
	RateLimit float64
	// Location is the server's time zone, in which timestamps are written.
	// Defaults to UTC.
	Location *time.Location
	// Now is the clock. Defaults to time.Now.
	Now func() time.Time
	// Logger receives debug logs, never tokens or passwords.
	Logger *slog.Logger
}

func (o Options) withDefaults() Options {
	o.Username = cmp.Or(o.Username, DefaultUsername)
	o.Password = cmp.Or(o.Password, DefaultPassword)
	if len(o.ClientIDs) == 0 {
		o.ClientIDs = []string{DefaultClientID}
	}
	o.TokenLifetime = cmp.Or(o.TokenLifetime, DefaultTokenLifetime)
	if o.Location == nil {
		o.Location = time.UTC
	}
	if o.Now == nil {
		o.Now = time.Now
	}
	if o.Logger == nil {
		o.Logger = slog.New(slog.DiscardHandler)
	}
	return o
}

// Emulator is an in-memory Automate server. Create it with New.
type Emulator struct {
	opts    Options
	logger  *slog.Logger
	limiter *rate.Limiter

	mu sync.RWMutex
	data

	tokMu  sync.Mutex
	tokens map[string]time.Time

	faults faultq.Queue[Fault]

	requests      atomic.Int64
	tokenRequests atomic.Int64
	throttled     atomic.Int64
}

// New returns an emulator with no clients. Fill it with Generate or the
// mutation methods.
func New(o Options) *Emulator {
	o = o.withDefaults()
	e := &Emulator{opts: o, logger: o.Logger, tokens: map[string]time.Time{}, data: newData()}
	if o.RateLimit > 0 {
		e.limiter = rate.NewLimiter(rate.Limit(o.RateLimit), max(1, int(o.RateLimit)))
	}
	return e
}

// Handler returns the HTTP handler serving /cwa/api/v1.
func (e *Emulator) Handler() http.Handler { return http.HandlerFunc(e.serveHTTP) }

// StartTest starts the emulator on a loopback httptest.Server closed when
// the test ends, and returns its base URL (the server URL, without
// /cwa/api/v1).
func (e *Emulator) StartTest(t testing.TB) string {
	t.Helper()
	srv := httptest.NewServer(e.Handler())
	t.Cleanup(srv.Close)
	return srv.URL
}

// Username, Password and ClientID return the credentials accepted.
func (e *Emulator) Username() string { return e.opts.Username }
func (e *Emulator) Password() string { return e.opts.Password }
func (e *Emulator) ClientID() string { return e.opts.ClientIDs[0] }

// ExpireTokens makes every token issued so far invalid.
func (e *Emulator) ExpireTokens() {
	e.tokMu.Lock()
	defer e.tokMu.Unlock()
	for k := range e.tokens {
		e.tokens[k] = time.Time{}
	}
}

func (e *Emulator) issueToken() (string, time.Time) {
	var b [32]byte
	_, _ = rand.Read(b[:])
	tok := hex.EncodeToString(b[:])
	exp := e.opts.Now().Add(e.opts.TokenLifetime)
	e.tokMu.Lock()
	e.tokens[tok] = exp
	e.tokMu.Unlock()
	return tok, exp
}

func (e *Emulator) tokenValid(tok string) bool {
	e.tokMu.Lock()
	defer e.tokMu.Unlock()
	exp, ok := e.tokens[tok]
	return ok && e.opts.Now().Before(exp)
}

func (e *Emulator) expireToken(tok string) {
	e.tokMu.Lock()
	defer e.tokMu.Unlock()
	if _, ok := e.tokens[tok]; ok {
		e.tokens[tok] = time.Time{}
	}
}

func (e *Emulator) clientIDValid(id string) bool { return slices.Contains(e.opts.ClientIDs, id) }

// Stats counts the requests an emulator has served.
type Stats struct {
	Requests, TokenRequests, Throttled int64
}

// Stats returns the request counters.
func (e *Emulator) Stats() Stats {
	return Stats{Requests: e.requests.Load(), TokenRequests: e.tokenRequests.Load(), Throttled: e.throttled.Load()}
}
