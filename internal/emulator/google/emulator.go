package google

import (
	"cmp"
	"crypto/rand"
	"crypto/rsa"
	"crypto/sha256"
	"crypto/x509"
	"encoding/hex"
	"encoding/json"
	"encoding/pem"
	"github.com/integrator-oss/integrator/internal/emulator/faultq"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"golang.org/x/time/rate"
)

// Scopes of the Directory API, as granted in the Admin console.
const (
	ScopeUserReadonly        = "https://www.googleapis.com/auth/admin.directory.user.readonly"
	ScopeUser                = "https://www.googleapis.com/auth/admin.directory.user"
	ScopeGroupReadonly       = "https://www.googleapis.com/auth/admin.directory.group.readonly"
	ScopeGroup               = "https://www.googleapis.com/auth/admin.directory.group"
	ScopeGroupMemberReadonly = "https://www.googleapis.com/auth/admin.directory.group.member.readonly"
	ScopeGroupMember         = "https://www.googleapis.com/auth/admin.directory.group.member"
	ScopeOrgUnitReadonly     = "https://www.googleapis.com/auth/admin.directory.orgunit.readonly"
	ScopeCloudPlatform       = "https://www.googleapis.com/auth/cloud-platform"
)

// Defaults applied by New to zero-valued Options fields.
const (
	DefaultDomain              = "example.com"
	DefaultCustomerID          = "C03az79cb"
	DefaultServiceAccountEmail = "integrator-sync@integrator-test.iam.gserviceaccount.com"
	DefaultClientID            = "103456789012345678901"
	DefaultAdminEmail          = "admin@example.com"
	DefaultTokenLifetime       = time.Hour
	// MaxUsersPage and MaxGroupsPage are the largest maxResults of
	// users.list and of groups.list and members.list.
	MaxUsersPage  = 500
	MaxGroupsPage = 200
	// DefaultUsersPage is users.list's page size when maxResults is absent.
	DefaultUsersPage = 100
	// DeletedRetention is how long users.list?showDeleted=true still shows
	// a deleted user.
	DeletedRetention = 20 * 24 * time.Hour
)

// DefaultDelegatedScopes are the scopes the emulated Admin console grants
// the service account's client ID: the read-only scopes of a directory sync.
var DefaultDelegatedScopes = []string{
	ScopeUserReadonly, ScopeGroupReadonly, ScopeGroupMemberReadonly, ScopeOrgUnitReadonly,
}

// Options configures an Emulator. The zero value is usable: every field has
// a default.
type Options struct {
	// Domain is the customer's primary domain. Defaults to "example.com".
	Domain string
	// SecondaryDomains are further domains of the customer; domain= lists
	// accept them too.
	SecondaryDomains []string
	// CustomerID is the customer's ID, accepted like my_customer. Defaults
	// to DefaultCustomerID.
	CustomerID string
	// ServiceAccountEmail is the client_email of the service account the
	// token endpoint knows. Defaults to DefaultServiceAccountEmail.
	ServiceAccountEmail string
	// ClientID is the service account's unique (client) ID, the one
	// domain-wide delegation is granted to. Defaults to DefaultClientID.
	ClientID string
	// PrivateKey is the service account's key. Defaults to a 2048-bit key
	// generated once per process.
	PrivateKey *rsa.PrivateKey
	// DelegatedScopes are the scopes granted to ClientID in the Admin
	// console. Nil means DefaultDelegatedScopes; an empty, non-nil slice
	// means no delegation at all.
	DelegatedScopes []string
	// AdminEmail is an administrator created by New, for the service
	// account to impersonate. Defaults to DefaultAdminEmail; "-" creates
	// none.
	AdminEmail string
	// TokenLifetime is how long an access token is valid; API calls with an
	// older token get 401. Defaults to 1h.
	TokenLifetime time.Duration
	// QuotaPerMinute is the "queries per minute per user" quota: API
	// requests of one impersonated user beyond it within a clock minute get
	// 403 userRateLimitExceeded (without Retry-After, as Google sends it).
	// Zero means no quota. Google's default is 2,400.
	QuotaPerMinute int
	// RateLimit is a token-bucket limit on API requests per second (burst of
	// one second's worth); requests over it get 429 rateLimitExceeded with
	// Retry-After. Zero disables it.
	RateLimit float64
	// Now is the clock. Defaults to time.Now.
	Now func() time.Time
	// Logger receives debug logs of requests and faults; never tokens or
	// keys. Defaults to a logger that discards everything.
	Logger *slog.Logger
}

var defaultKey = sync.OnceValue(func() *rsa.PrivateKey {
	k, err := rsa.GenerateKey(rand.Reader, 2048)
	if err != nil {
		panic("google emulator: generating the service account key: " + err.Error())
	}
	return k
})

func (o Options) withDefaults() Options {
	o.Domain = strings.ToLower(cmp.Or(o.Domain, DefaultDomain))
	o.CustomerID = cmp.Or(o.CustomerID, DefaultCustomerID)
	o.ServiceAccountEmail = cmp.Or(o.ServiceAccountEmail, DefaultServiceAccountEmail)
	o.ClientID = cmp.Or(o.ClientID, DefaultClientID)
	if o.PrivateKey == nil {
		o.PrivateKey = defaultKey()
	}
	if o.DelegatedScopes == nil {
		o.DelegatedScopes = DefaultDelegatedScopes
	}
	if o.AdminEmail == "" {
		o.AdminEmail = "admin@" + o.Domain
	}
	o.TokenLifetime = cmp.Or(o.TokenLifetime, DefaultTokenLifetime)
	if o.Now == nil {
		o.Now = time.Now
	}
	if o.Logger == nil {
		o.Logger = slog.New(slog.DiscardHandler)
	}
	return o
}

// Emulator is an in-memory Google Workspace customer served over the
// Directory API and token endpoint wire protocols. Create it with New.
type Emulator struct {
	opts    Options
	logger  *slog.Logger
	keyID   string
	macKey  [32]byte
	limiter *rate.Limiter

	mu sync.RWMutex
	dir

	tokMu  sync.Mutex
	tokens map[string]*accessToken
	quota  map[string]*quotaWindow

	faults faultq.Queue[Fault]

	requests      atomic.Int64
	tokenRequests atomic.Int64
	throttled     atomic.Int64
}

// New returns an emulator whose directory holds only Options.AdminEmail (an
// administrator). Fill it with Generate or the mutation methods.
func New(o Options) *Emulator {
	o = o.withDefaults()
	der, _ := x509.MarshalPKIXPublicKey(&o.PrivateKey.PublicKey)
	kid := sha256.Sum256(der)
	e := &Emulator{
		opts:   o,
		logger: o.Logger,
		keyID:  hex.EncodeToString(kid[:20]),
		tokens: map[string]*accessToken{},
		quota:  map[string]*quotaWindow{},
	}
	_, _ = rand.Read(e.macKey[:])
	if o.RateLimit > 0 {
		e.limiter = rate.NewLimiter(rate.Limit(o.RateLimit), max(1, int(o.RateLimit)))
	}
	e.dir = newDir(o.Now())
	if o.AdminEmail != "-" {
		_, _ = e.AddUser(User{PrimaryEmail: o.AdminEmail, GivenName: "Workspace", FamilyName: "Admin", IsAdmin: true})
	}
	return e
}

// Handler returns the HTTP handler serving the token endpoint (/token) and
// the Directory API (/admin/directory/v1/...).
func (e *Emulator) Handler() http.Handler { return http.HandlerFunc(e.serveHTTP) }

// StartTest starts the emulator on a loopback httptest.Server that is
// closed when the test ends, and returns its base URL.
func (e *Emulator) StartTest(t testing.TB) string {
	t.Helper()
	srv := httptest.NewServer(e.Handler())
	t.Cleanup(srv.Close)
	return srv.URL
}

// TokenURL returns the token endpoint under baseURL.
func (e *Emulator) TokenURL(baseURL string) string { return strings.TrimRight(baseURL, "/") + "/token" }

// APIURL returns the API root under baseURL, the value the Go client takes
// as its endpoint (the Directory paths are relative to it).
func (e *Emulator) APIURL(baseURL string) string { return strings.TrimRight(baseURL, "/") + "/" }

// Domain returns the customer's primary domain.
func (e *Emulator) Domain() string { return e.opts.Domain }

// CustomerID returns the customer's ID.
func (e *Emulator) CustomerID() string { return e.opts.CustomerID }

// AdminEmail returns the administrator New created.
func (e *Emulator) AdminEmail() string { return e.opts.AdminEmail }

// ServiceAccountEmail returns the service account's client_email.
func (e *Emulator) ServiceAccountEmail() string { return e.opts.ServiceAccountEmail }

// KeyJSON returns a service account key file, as the Cloud console
// downloads it, whose token_uri is the token endpoint under baseURL.
func (e *Emulator) KeyJSON(baseURL string) []byte {
	der, _ := x509.MarshalPKCS8PrivateKey(e.opts.PrivateKey)
	b, _ := json.MarshalIndent(map[string]string{
		"type":                        "service_account",
		"project_id":                  "integrator-test",
		"private_key_id":              e.keyID,
		"private_key":                 string(pem.EncodeToMemory(&pem.Block{Type: "PRIVATE KEY", Bytes: der})),
		"client_email":                e.opts.ServiceAccountEmail,
		"client_id":                   e.opts.ClientID,
		"auth_uri":                    "https://accounts.google.com/o/oauth2/auth",
		"token_uri":                   e.TokenURL(baseURL),
		"auth_provider_x509_cert_url": "https://www.googleapis.com/oauth2/v1/certs",
		"client_x509_cert_url":        "https://www.googleapis.com/robot/v1/metadata/x509/" + e.opts.ServiceAccountEmail,
		"universe_domain":             "googleapis.com",
	}, "", "  ")
	return b
}

// SetDelegatedScopes replaces the scopes granted to the service account in
// the Admin console. Tokens already issued keep their scopes.
func (e *Emulator) SetDelegatedScopes(scopes ...string) {
	e.tokMu.Lock()
	e.opts.DelegatedScopes = slices.Clone(scopes)
	e.tokMu.Unlock()
}

// Stats counts the requests an emulator has served.
type Stats struct {
	// Requests counts every request, token endpoint included.
	Requests int64
	// TokenRequests counts requests to the token endpoint.
	TokenRequests int64
	// Throttled counts 429 and rate-limit 403 answers.
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
