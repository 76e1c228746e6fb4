package auth_test

import (
	"errors"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/integrator-oss/integrator/internal/auth"
	"github.com/integrator-oss/integrator/internal/store"
	"github.com/integrator-oss/integrator/internal/store/sqlite"
)

func newService(t *testing.T) (*auth.Service, store.Console) {
	t.Helper()
	t.Cleanup(auth.CheapHashes())
	st, err := sqlite.Open(t.Context(), ":memory:", nil)
	require.NoError(t, err)
	t.Cleanup(func() { st.Close() })
	return auth.New(st, nil, false), st
}

func TestPasswordHash(t *testing.T) {
	h, err := auth.HashPassword("correct horse battery")
	require.NoError(t, err)
	require.True(t, strings.HasPrefix(h, "$argon2id$v=19$m=65536,t=3,p=2$"), h)
	ok, err := auth.VerifyPassword(h, "correct horse battery")
	require.NoError(t, err)
	require.True(t, ok)
	ok, _ = auth.VerifyPassword(h, "correct horse batterY")
	require.False(t, ok)
	h2, _ := auth.HashPassword("correct horse battery")
	require.NotEqual(t, h, h2, "salted")
	_, err = auth.HashPassword("short")
	require.Error(t, err)
}

func TestSetupLinkThenLogin(t *testing.T) {
	s, cs := newService(t)
	ctx := t.Context()
	link, err := s.Bootstrap(ctx)
	require.NoError(t, err)
	require.True(t, strings.HasPrefix(link, "/setup?token=itu_"), link)
	again, err := s.Bootstrap(ctx)
	require.NoError(t, err)
	require.NotEqual(t, link, again, "a new start without a password prints a new link")
	tok := strings.TrimPrefix(link, "/setup?token=")
	_, err = s.CompleteSetup(ctx, tok, "a long enough password")
	require.ErrorIs(t, err, auth.ErrUnauthenticated, "the earlier link stopped working")

	tok = strings.TrimPrefix(again, "/setup?token=")
	sess, err := s.CompleteSetup(ctx, tok, "a long enough password")
	require.NoError(t, err)
	require.True(t, strings.HasPrefix(sess, auth.PrefixSession))
	_, err = s.CompleteSetup(ctx, tok, "another long password")
	require.ErrorIs(t, err, auth.ErrUnauthenticated, "a setup link works once")
	link, err = s.Bootstrap(ctx)
	require.NoError(t, err)
	require.Empty(t, link, "an administrator with a password exists")

	a, err := cs.AdminGet(ctx, auth.FirstAdmin)
	require.NoError(t, err)
	require.NotContains(t, a.PasswordHash, "a long enough password")

	_, err = s.Login(ctx, "admin", "wrong password!", "192.0.2.1:5000")
	require.ErrorIs(t, err, auth.ErrBadLogin)
	_, err = s.Login(ctx, "nobody", "a long enough password", "192.0.2.1:5000")
	require.ErrorIs(t, err, auth.ErrBadLogin, "an unknown user gets the same answer")
	sess, err = s.Login(ctx, "admin", "a long enough password", "192.0.2.1:5000")
	require.NoError(t, err)

	r := httptest.NewRequest("GET", "/api/v1/runs", nil)
	r.AddCookie(s.SessionCookie(sess))
	p, err := s.Authenticate(r)
	require.NoError(t, err)
	require.Equal(t, "admin", p.Username)
	require.True(t, p.CanWrite())

	require.NoError(t, s.Logout(ctx, sess))
	_, err = s.Authenticate(r)
	require.ErrorIs(t, err, auth.ErrUnauthenticated, "a logged-out session is refused")
}

func TestAdminPasswordFromEnvironment(t *testing.T) {
	t.Setenv(auth.EnvAdminPassword, "automation-password")
	s, _ := newService(t)
	link, err := s.Bootstrap(t.Context())
	require.NoError(t, err)
	require.Empty(t, link)
	_, err = s.Login(t.Context(), "admin", "automation-password", "127.0.0.1:1")
	require.NoError(t, err)
}

func TestLoginRateLimitedPerClientAndUser(t *testing.T) {
	t.Setenv(auth.EnvAdminPassword, "automation-password")
	s, _ := newService(t)
	ctx := t.Context()
	_, err := s.Bootstrap(ctx)
	require.NoError(t, err)
	for range 5 {
		_, err := s.Login(ctx, "admin", "guess-guess-guess", "198.51.100.7:1")
		require.ErrorIs(t, err, auth.ErrBadLogin)
	}
	_, err = s.Login(ctx, "admin", "automation-password", "198.51.100.7:2")
	var rl *auth.RateLimitedError
	require.True(t, errors.As(err, &rl), "even the right password waits: %v", err)
	require.Positive(t, rl.RetryAfter)
	_, err = s.Login(ctx, "admin", "automation-password", "203.0.113.9:1")
	require.NoError(t, err, "another client is not locked out")
}

func TestTokensScopesAndRevocation(t *testing.T) {
	s, _ := newService(t)
	ctx := t.Context()
	admin := &auth.Principal{Scope: store.ScopeAdmin}
	tok, c, err := s.CreateToken(ctx, admin, "monitoring", store.ScopeRead, 0)
	require.NoError(t, err)
	require.True(t, strings.HasPrefix(tok, auth.PrefixToken))
	_, _, err = s.CreateToken(ctx, admin, "x", "root", 0)
	require.ErrorContains(t, err, "scope")

	r := httptest.NewRequest("GET", "/api/v1/runs", nil)
	r.Header.Set("Authorization", "Bearer "+tok)
	p, err := s.Authenticate(r)
	require.NoError(t, err)
	require.False(t, p.CanWrite())
	require.Equal(t, "monitoring", p.TokenName)

	list, err := s.Tokens(ctx)
	require.NoError(t, err)
	require.Len(t, list, 1)
	require.NotContains(t, string(list[0].Hash), tok)

	// A session token is not an API token, and the reverse.
	r2 := httptest.NewRequest("GET", "/", nil)
	r2.AddCookie(&http.Cookie{Name: auth.CookieName, Value: tok})
	_, err = s.Authenticate(r2)
	require.ErrorIs(t, err, auth.ErrUnauthenticated)

	require.NoError(t, s.RevokeToken(ctx, c.ID))
	_, err = s.Authenticate(r)
	require.ErrorIs(t, err, auth.ErrUnauthenticated)
}

func TestProtectRefusesCrossSiteForms(t *testing.T) {
	h := auth.Protect(http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) { w.WriteHeader(204) }))
	r := httptest.NewRequest("POST", "http://console.example/integrations", nil)
	r.Header.Set("Sec-Fetch-Site", "cross-site")
	w := httptest.NewRecorder()
	h.ServeHTTP(w, r)
	require.Equal(t, http.StatusForbidden, w.Code)

	r.Header.Set("Sec-Fetch-Site", "same-origin")
	w = httptest.NewRecorder()
	h.ServeHTTP(w, r)
	require.Equal(t, 204, w.Code)

	r = httptest.NewRequest("POST", "http://console.example/api/v1/integrations", nil)
	w = httptest.NewRecorder()
	h.ServeHTTP(w, r)
	require.Equal(t, 204, w.Code, "a non-browser client sends neither header")
}
