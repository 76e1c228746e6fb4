// Package auth authenticates the API and the console: administrators with
// argon2id passwords, console sessions (server-side rows behind an
// HttpOnly, SameSite cookie), API tokens with a read or admin scope, and
// one-time setup links. Only SHA-256 hashes of tokens are stored. Logins
// are rate-limited per client address and user name. Cross-site request
// forgery is refused by net/http.CrossOriginProtection (see Protect).
package auth

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"os"
	"strings"
	"sync"
	"time"

	"github.com/integrator-oss/integrator/internal/store"
)

// EnvAdminPassword sets the first administrator's password, for
// automated installs, instead of a setup link.
const EnvAdminPassword = "INTEGRATOR_ADMIN_PASSWORD"

// CookieName is the console session cookie.
const CookieName = "integrator_session"

// Defaults.
const (
	SessionTTL = 12 * time.Hour
	SetupTTL   = 24 * time.Hour
	// FirstAdmin is the user name of the administrator the first start
	// creates.
	FirstAdmin = "admin"
)

// Errors.
var (
	// ErrUnauthenticated: no credential, or one that is unknown or expired.
	ErrUnauthenticated = errors.New("authentication required")
	// ErrForbidden: a credential whose scope does not allow the request.
	ErrForbidden = errors.New("this credential's scope does not allow it")
	// ErrBadLogin: wrong user name or password (never which of the two).
	ErrBadLogin = errors.New("wrong user name or password")
)

// RateLimitedError is a login refused because of earlier failures.
type RateLimitedError struct{ RetryAfter time.Duration }

func (e *RateLimitedError) Error() string {
	return fmt.Sprintf("too many failed logins; try again in %s", e.RetryAfter.Round(time.Second))
}

// Principal is who a request comes from.
type Principal struct {
	// Kind is store.CredentialSession or store.CredentialToken.
	Kind string
	// Scope is store.ScopeRead or store.ScopeAdmin.
	Scope    string
	AdminID  int64
	Username string
	// TokenName is an API token's label.
	TokenName string
}

// CanWrite reports whether the principal may change things.
func (p *Principal) CanWrite() bool { return p != nil && p.Scope == store.ScopeAdmin }

// Service authenticates requests against the store.
type Service struct {
	cs     store.Console
	logger *slog.Logger
	// Secure marks cookies Secure (the server runs TLS).
	Secure bool
	now    func() time.Time
	limit  *limiter
}

// New returns a Service over the store's console side.
func New(cs store.Console, logger *slog.Logger, secure bool) *Service {
	if logger == nil {
		logger = slog.New(slog.DiscardHandler)
	}
	return &Service{cs: cs, logger: logger, Secure: secure, now: time.Now, limit: newLimiter(5, 15*time.Minute)}
}

// Bootstrap creates the first administrator when there is none. With
// INTEGRATOR_ADMIN_PASSWORD set, that is its password; otherwise it returns
// a one-time setup path ("/setup?token=..."), valid for SetupTTL, on which
// the administrator chooses one. It returns "" when nothing was to do.
func (s *Service) Bootstrap(ctx context.Context) (string, error) {
	admins, err := s.cs.AdminList(ctx)
	if err != nil {
		return "", err
	}
	for _, a := range admins {
		if a.PasswordHash != "" {
			return "", nil
		}
	}
	if pw, ok := os.LookupEnv(EnvAdminPassword); ok && pw != "" {
		hash, err := HashPassword(pw)
		if err != nil {
			return "", fmt.Errorf("%s: %w", EnvAdminPassword, err)
		}
		_, err = s.cs.AdminPut(ctx, &store.AdminPutParams{Username: FirstAdmin, PasswordHash: hash})
		return "", err
	}
	return s.SetupLink(ctx, FirstAdmin)
}

// SetupLink creates the administrator when missing and returns a one-time
// path on which it sets its password. Earlier links of that administrator
// stop working.
func (s *Service) SetupLink(ctx context.Context, username string) (string, error) {
	a, err := s.cs.AdminGet(ctx, username)
	if errors.Is(err, store.ErrNotFound) {
		a, err = s.cs.AdminPut(ctx, &store.AdminPutParams{Username: username})
	}
	if err != nil {
		return "", err
	}
	if _, err := s.cs.CredentialDelete(ctx, store.CredentialSetup, 0, a.ID); err != nil {
		return "", err
	}
	tok := newToken(PrefixSetup)
	err = s.cs.CredentialCreate(ctx, &store.Credential{Kind: store.CredentialSetup, Hash: hashToken(tok),
		Scope: store.ScopeAdmin, AdminID: a.ID, ExpiresAt: s.now().Add(SetupTTL)})
	if err != nil {
		return "", err
	}
	return "/setup?token=" + tok, nil
}

// SetupUser returns the administrator a setup token is for.
func (s *Service) SetupUser(ctx context.Context, token string) (*store.Admin, error) {
	c, err := s.cs.CredentialGet(ctx, hashToken(token), s.now())
	if err != nil || c.Kind != store.CredentialSetup {
		return nil, ErrUnauthenticated
	}
	return s.cs.AdminGetByID(ctx, c.AdminID)
}

// CompleteSetup sets the password of a setup token's administrator, spends
// the token, and opens a session.
func (s *Service) CompleteSetup(ctx context.Context, token, password string) (string, error) {
	a, err := s.SetupUser(ctx, token)
	if err != nil {
		return "", err
	}
	if err := s.SetPassword(ctx, a.Username, password); err != nil {
		return "", err
	}
	if _, err := s.cs.CredentialDelete(ctx, store.CredentialSetup, 0, a.ID); err != nil {
		return "", err
	}
	return s.newSession(ctx, a)
}

// SetPassword replaces an administrator's password and ends its sessions.
func (s *Service) SetPassword(ctx context.Context, username, password string) error {
	hash, err := HashPassword(password)
	if err != nil {
		return err
	}
	a, err := s.cs.AdminPut(ctx, &store.AdminPutParams{Username: username, PasswordHash: hash})
	if err != nil {
		return err
	}
	_, err = s.cs.CredentialDelete(ctx, store.CredentialSession, 0, a.ID)
	return err
}

// Login checks a user name and password from a client address and returns
// a new session token.
func (s *Service) Login(ctx context.Context, username, password, clientAddr string) (string, error) {
	key := clientIP(clientAddr) + "\x00" + strings.ToLower(username)
	now := s.now()
	if ok, wait := s.limit.allow(key, now); !ok {
		return "", &RateLimitedError{RetryAfter: wait}
	}
	a, err := s.cs.AdminGet(ctx, username)
	if err != nil && !errors.Is(err, store.ErrNotFound) {
		return "", err
	}
	ok := false
	if a != nil && a.PasswordHash != "" {
		ok, _ = VerifyPassword(a.PasswordHash, password)
	} else {
		// Spend the same time as a real check, so timing does not say
		// which user names exist.
		_, _ = VerifyPassword(dummyHash(), password)
	}
	if !ok {
		s.limit.fail(key, now)
		s.logger.Warn("failed console login", "user", username, "client", clientIP(clientAddr))
		return "", ErrBadLogin
	}
	s.limit.succeed(key)
	return s.newSession(ctx, a)
}

// dummyHash is verified against when the user does not exist.
var dummyHash = sync.OnceValue(func() string {
	h, _ := HashPassword("not-a-real-password-at-all")
	return h
})

func (s *Service) newSession(ctx context.Context, a *store.Admin) (string, error) {
	tok := newToken(PrefixSession)
	err := s.cs.CredentialCreate(ctx, &store.Credential{Kind: store.CredentialSession, Hash: hashToken(tok),
		Scope: store.ScopeAdmin, AdminID: a.ID, ExpiresAt: s.now().Add(SessionTTL)})
	if err != nil {
		return "", err
	}
	// Expired rows go when sessions are made, not on a timer.
	if _, err := s.cs.CredentialDeleteExpired(ctx, s.now()); err != nil {
		s.logger.Warn("deleting expired credentials", "err", err)
	}
	return tok, nil
}

// Logout ends the session of a token.
func (s *Service) Logout(ctx context.Context, token string) error {
	c, err := s.cs.CredentialGet(ctx, hashToken(token), s.now())
	if err != nil {
		return nil
	}
	_, err = s.cs.CredentialDelete(ctx, store.CredentialSession, c.ID, 0)
	return err
}

// CreateToken creates an API token and returns it: it is shown once and
// only its hash is kept.
func (s *Service) CreateToken(ctx context.Context, by *Principal, name, scope string, ttl time.Duration) (string, *store.Credential, error) {
	if scope != store.ScopeRead && scope != store.ScopeAdmin {
		return "", nil, fmt.Errorf("scope: must be read or admin, not %q", scope)
	}
	if strings.TrimSpace(name) == "" {
		return "", nil, errors.New("name: required")
	}
	tok := newToken(PrefixToken)
	c := &store.Credential{Kind: store.CredentialToken, Hash: hashToken(tok), Name: name, Scope: scope, AdminID: by.AdminID}
	if ttl > 0 {
		c.ExpiresAt = s.now().Add(ttl)
	}
	if err := s.cs.CredentialCreate(ctx, c); err != nil {
		return "", nil, err
	}
	return tok, c, nil
}

// Tokens lists the API tokens (never their values).
func (s *Service) Tokens(ctx context.Context) ([]store.Credential, error) {
	return s.cs.CredentialList(ctx, store.CredentialToken, s.now())
}

// RevokeToken deletes an API token.
func (s *Service) RevokeToken(ctx context.Context, id int64) error {
	n, err := s.cs.CredentialDelete(ctx, store.CredentialToken, id, 0)
	if err == nil && n == 0 {
		err = fmt.Errorf("token %d: %w", id, store.ErrNotFound)
	}
	return err
}

// Authenticate finds the principal of a request: an API token in
// "Authorization: Bearer", or the session cookie.
func (s *Service) Authenticate(r *http.Request) (*Principal, error) {
	var tok, kind string
	if h := r.Header.Get("Authorization"); h != "" {
		scheme, v, _ := strings.Cut(h, " ")
		if !strings.EqualFold(scheme, "Bearer") || v == "" {
			return nil, ErrUnauthenticated
		}
		tok, kind = strings.TrimSpace(v), store.CredentialToken
	} else if c, err := r.Cookie(CookieName); err == nil && c.Value != "" {
		tok, kind = c.Value, store.CredentialSession
	} else {
		return nil, ErrUnauthenticated
	}
	c, err := s.cs.CredentialGet(r.Context(), hashToken(tok), s.now())
	if errors.Is(err, store.ErrNotFound) || (err == nil && c.Kind != kind) {
		return nil, ErrUnauthenticated
	}
	if err != nil {
		return nil, err
	}
	p := &Principal{Kind: c.Kind, Scope: c.Scope, AdminID: c.AdminID, TokenName: c.Name}
	if c.AdminID != 0 {
		if a, err := s.cs.AdminGetByID(r.Context(), c.AdminID); err == nil {
			p.Username = a.Username
		}
	}
	return p, nil
}

// SessionCookie is the cookie that carries a session token.
func (s *Service) SessionCookie(tok string) *http.Cookie {
	return &http.Cookie{Name: CookieName, Value: tok, Path: "/", HttpOnly: true, Secure: s.Secure,
		SameSite: http.SameSiteLaxMode, MaxAge: int(SessionTTL / time.Second)}
}

// ClearCookie removes the session cookie.
func (s *Service) ClearCookie() *http.Cookie {
	return &http.Cookie{Name: CookieName, Value: "", Path: "/", HttpOnly: true, Secure: s.Secure,
		SameSite: http.SameSiteLaxMode, MaxAge: -1}
}

type ctxKey struct{}

// WithPrincipal returns ctx carrying p.
func WithPrincipal(ctx context.Context, p *Principal) context.Context {
	return context.WithValue(ctx, ctxKey{}, p)
}

// From returns the principal a request was authenticated as, or nil.
func From(ctx context.Context) *Principal {
	p, _ := ctx.Value(ctxKey{}).(*Principal)
	return p
}

// Protect refuses cross-origin unsafe requests (POST, PUT, PATCH, DELETE
// from another site's page), using the browser's Sec-Fetch-Site and Origin
// headers (net/http.CrossOriginProtection). Clients that are not browsers
// send neither header and pass; they authenticate with a bearer token,
// which a forged request cannot carry.
func Protect(h http.Handler) http.Handler {
	return http.NewCrossOriginProtection().Handler(h)
}

func clientIP(addr string) string {
	if host, _, err := net.SplitHostPort(addr); err == nil {
		return host
	}
	return addr
}
