package graph

import (
	"cmp"
	"crypto/rand"
	"crypto/rsa"
	"crypto/sha256"
	"encoding/binary"
	"github.com/integrator-oss/integrator/internal/emulator/faultq"
	"log/slog"
	mrand "math/rand/v2"
	"net/http"
	"net/http/httptest"
	"sync"
	"sync/atomic"
	"time"

	"golang.org/x/time/rate"
)

// Defaults applied by New to zero-valued Options fields.
const (
	DefaultTenantID        = "00000000-0000-0000-0000-000000000001"
	DefaultClientID        = "11111111-2222-3333-4444-555555555555"
	DefaultTokenLifetime   = time.Hour
	DefaultPageSize        = 100
	DefaultDeltaTokenTTL   = 7 * 24 * time.Hour
	DefaultMemberSliceSize = 50
	DefaultDomain          = "contoso.com"
	DefaultOrganization    = "Contoso"
	// DefaultContactPercent is the share of users Generate adds as
	// organisational contacts when Options.Contacts is zero.
	DefaultContactPercent = 3
	// MaxPageSize is the largest page Graph serves for directory objects.
	MaxPageSize = 999
)

// Options configures an Emulator. The zero value is usable: every field has
// a default.
type Options struct {
	// TenantID is the directory (tenant) ID the token endpoint answers for.
	// Defaults to DefaultTenantID. The tenant's Domain is accepted in its
	// place in the token URL, as Entra ID does.
	TenantID string
	// ClientID is the application (client) ID the token endpoint accepts.
	// Defaults to DefaultClientID.
	ClientID string
	// ClientSecret is the secret the token endpoint accepts for ClientID.
	// Empty means no secret is accepted (certificate only).
	ClientSecret string
	// CertThumbprint, when set together with CertPublicKey, makes the token
	// endpoint also accept a client_assertion JWT (RS256) whose header x5t
	// equals it (base64url of the certificate's SHA-1; a hex thumbprint is
	// accepted too). The signature is verified with CertPublicKey, aud must
	// be a token URL of this tenant, iss and sub must equal ClientID, and exp
	// must be in the future.
	CertThumbprint string
	// CertPublicKey verifies client assertions; see CertThumbprint.
	CertPublicKey *rsa.PublicKey
	// TokenLifetime is how long an access token is valid; Graph calls with an
	// older token get 401 InvalidAuthenticationToken. Defaults to 1h.
	TokenLifetime time.Duration
	// PageSize is the default page size of delta and list responses. A
	// request's "Prefer: odata.maxpagesize=N" header (or $top where Graph
	// honours it) overrides it up to MaxPageSize. Defaults to 100.
	PageSize int
	// MemberSliceSize is the largest number of members@delta entries one
	// group object carries. A group with more members repeats across pages,
	// one slice per page. Defaults to 50.
	MemberSliceSize int
	// DeltaTokenTTL is how long delta and skip tokens stay valid; older ones
	// get 410 Gone SyncStateNotFound. Defaults to 7 days, as for directory
	// objects in Entra ID.
	DeltaTokenTTL time.Duration
	// DisableReplay turns off the deterministic replay of a few objects in
	// delta rounds. Graph may return the same object more than once in a
	// round, so replay is on by default; turn it off for tests that count
	// exact deliveries.
	DisableReplay bool
	// RateLimit is a token-bucket limit on Graph requests per second (burst
	// of one second's worth); requests over it get 429 with Retry-After.
	// Zero disables it.
	RateLimit float64
	// Contacts is how many organisational contacts Generate creates.
	// Defaults to DefaultContactPercent percent of the users; negative
	// means none.
	Contacts int
	// Domain is the tenant's default verified domain, used for generated
	// user principal names and group mail. Defaults to "contoso.com".
	Domain string
	// Organization is the tenant's display name returned by /organization.
	// Defaults to "Contoso".
	Organization string
	// Now is the clock. Defaults to time.Now.
	Now func() time.Time
	// Logger receives debug logs of requests and faults; it never receives
	// secrets or tokens. Defaults to a logger that discards everything.
	Logger *slog.Logger
}

func (o Options) withDefaults() Options {
	o.TenantID = cmp.Or(o.TenantID, DefaultTenantID)
	o.ClientID = cmp.Or(o.ClientID, DefaultClientID)
	o.TokenLifetime = cmp.Or(o.TokenLifetime, DefaultTokenLifetime)
	o.PageSize = min(cmp.Or(o.PageSize, DefaultPageSize), MaxPageSize)
	o.MemberSliceSize = cmp.Or(o.MemberSliceSize, DefaultMemberSliceSize)
	o.DeltaTokenTTL = cmp.Or(o.DeltaTokenTTL, DefaultDeltaTokenTTL)
	o.Domain = cmp.Or(o.Domain, DefaultDomain)
	o.Organization = cmp.Or(o.Organization, DefaultOrganization)
	if o.Now == nil {
		o.Now = time.Now
	}
	if o.Logger == nil {
		o.Logger = slog.New(slog.DiscardHandler)
	}
	return o
}

// Emulator is an in-memory Entra ID tenant served over the Graph and token
// endpoint wire protocols. Create it with New.
type Emulator struct {
	opts    Options
	logger  *slog.Logger
	key     []byte
	limiter *rate.Limiter

	mu         sync.RWMutex
	epoch      uint64 // changes when the tenant is regenerated; older tokens get 410
	gen        uint32 // bumped by ExpireDeltaTokens; older tokens get 410
	seq        uint64 // last change sequence number handed out
	changes    []uint32
	users      []userRec
	userIdx    map[string]int32
	groups     []groupRec
	groupIdx   map[string]int32
	contacts   []contactRec
	contactIdx map[string]int32
	managed    managedDevices // Intune devices (managed_devices.go)
	empty      bool
	rng        *mrand.Rand
	created    time.Time // creation time stamped on objects added without one

	tokMu     sync.Mutex
	tokens    map[string]time.Time
	tokIssued int

	faults faultq.Queue[Fault]

	requests      atomic.Int64
	tokenRequests atomic.Int64
	throttled     atomic.Int64

	bufs sync.Pool
}

// New returns an emulator with an empty tenant. Fill it with Generate or the
// mutation methods.
func New(o Options) *Emulator {
	o = o.withDefaults()
	key := sha256.Sum256([]byte("integrator graph emulator token key\x00" + o.TenantID))
	e := &Emulator{
		opts:       o,
		logger:     o.Logger,
		key:        key[:],
		epoch:      randomUint64(),
		userIdx:    map[string]int32{},
		groupIdx:   map[string]int32{},
		contactIdx: map[string]int32{},
		rng:        mrand.New(mrand.NewPCG(1, 2)),
		created:    time.Date(2021, 3, 1, 8, 0, 0, 0, time.UTC),
		tokens:     map[string]time.Time{},
	}
	if o.RateLimit > 0 {
		e.limiter = rate.NewLimiter(rate.Limit(o.RateLimit), max(1, int(o.RateLimit)))
	}
	e.bufs.New = func() any { b := make([]byte, 0, 64<<10); return &b }
	return e
}

// Handler returns the HTTP handler serving the token endpoint
// (/{tenant}/oauth2/v2.0/token) and Graph (/v1.0/...).
func (e *Emulator) Handler() http.Handler { return http.HandlerFunc(e.serveHTTP) }

// Start starts an httptest.Server on loopback serving Handler. The caller
// closes it.
func (e *Emulator) Start() *httptest.Server { return httptest.NewServer(e.Handler()) }

// TokenURL returns the token endpoint URL of this tenant under baseURL.
func (e *Emulator) TokenURL(baseURL string) string {
	return baseURL + "/" + e.opts.TenantID + "/oauth2/v2.0/token"
}

// GraphURL returns the Graph v1.0 root under baseURL.
func (e *Emulator) GraphURL(baseURL string) string { return baseURL + "/v1.0" }

// TenantID returns the tenant ID the emulator answers for.
func (e *Emulator) TenantID() string { return e.opts.TenantID }

// ClientID returns the client ID the token endpoint accepts.
func (e *Emulator) ClientID() string { return e.opts.ClientID }

// Stats counts the requests an emulator has served.
type Stats struct {
	// Requests counts every request, token endpoint included.
	Requests int64
	// TokenRequests counts requests to the token endpoint.
	TokenRequests int64
	// Throttled counts responses with status 429 or 503.
	Throttled int64
}

// Stats returns the request counters.
func (e *Emulator) Stats() Stats {
	return Stats{
		Requests:      e.requests.Load(),
		TokenRequests: e.tokenRequests.Load(),
		Throttled:     e.throttled.Load(),
	}
}

// ExpireDeltaTokens invalidates every delta and skip token issued so far:
// requests carrying one get 410 Gone SyncStateNotFound, as after a directory
// reset.
func (e *Emulator) ExpireDeltaTokens() {
	e.mu.Lock()
	e.gen++
	e.mu.Unlock()
}

// Empty switches the "empty tenant" mishap on or off. While it is on, full
// enumerations (initial delta rounds and lists) return no objects, and a
// deltaLink round reports every existing user, group and contact as
// removed, as a tenant answering for the wrong directory or without
// permissions would.
// The directory itself is untouched: switching it off serves it again.
func (e *Emulator) Empty(on bool) {
	e.mu.Lock()
	e.empty = on
	e.mu.Unlock()
}

// Clear switches the empty-tenant mishap on; see Empty.
func (e *Emulator) Clear() { e.Empty(true) }

func randomUint64() uint64 {
	var b [8]byte
	_, _ = rand.Read(b[:])
	return binary.LittleEndian.Uint64(b[:])
}
