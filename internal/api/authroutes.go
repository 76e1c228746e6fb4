package api

import (
	"encoding/json"
	"net/http"
	"strings"
	"time"

	"github.com/integrator-oss/integrator/internal/auth"
	"github.com/integrator-oss/integrator/internal/store"
)

func (s *Server) writeJSON(w http.ResponseWriter, status int, data any) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	json.NewEncoder(w).Encode(envelope{Status: "success", Data: data})
}

func (s *Server) needAuth(w http.ResponseWriter, r *http.Request) bool {
	if s.auth == nil {
		s.writeError(w, r, &apiError{typ: "not_supported", status: http.StatusNotImplemented, err: errNoAuth})
		return false
	}
	return true
}

var errNoAuth = errorString("authentication is not configured on this server")

type errorString string

func (e errorString) Error() string { return string(e) }

func (s *Server) login(w http.ResponseWriter, r *http.Request) {
	if !s.needAuth(w, r) {
		return
	}
	var body struct {
		Username string `json:"username"`
		Password string `json:"password"`
	}
	if err := decodeBody(r, &body); err != nil {
		s.writeError(w, r, err)
		return
	}
	if clean(body.Username) == "" {
		s.writeError(w, r, badField("username", "required"))
		return
	}
	tok, err := s.auth.Login(r.Context(), clean(body.Username), body.Password, r.RemoteAddr)
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	http.SetCookie(w, s.auth.SessionCookie(tok))
	s.writeJSON(w, http.StatusOK, map[string]string{"username": clean(body.Username)})
}

func (s *Server) logout(w http.ResponseWriter, r *http.Request) {
	if !s.needAuth(w, r) {
		return
	}
	if c, err := r.Cookie(auth.CookieName); err == nil {
		if err := s.auth.Logout(r.Context(), c.Value); err != nil {
			s.writeError(w, r, err)
			return
		}
	}
	http.SetCookie(w, s.auth.ClearCookie())
	s.writeJSON(w, http.StatusOK, map[string]bool{"logged_out": true})
}

func (s *Server) setup(w http.ResponseWriter, r *http.Request) {
	if !s.needAuth(w, r) {
		return
	}
	var body struct {
		Token    string `json:"token"`
		Password string `json:"password"`
	}
	if err := decodeBody(r, &body); err != nil {
		s.writeError(w, r, err)
		return
	}
	if len(body.Password) < auth.MinPasswordLen {
		s.writeError(w, r, badField("password", "at least %d characters", auth.MinPasswordLen))
		return
	}
	tok, err := s.auth.CompleteSetup(r.Context(), body.Token, body.Password)
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	http.SetCookie(w, s.auth.SessionCookie(tok))
	s.writeJSON(w, http.StatusOK, map[string]bool{"password_set": true})
}

func (s *Server) me(r *http.Request) (any, error) {
	p := auth.From(r.Context())
	if p == nil {
		return map[string]any{"authenticated": false}, nil
	}
	return map[string]any{"authenticated": true, "username": p.Username, "kind": p.Kind, "scope": p.Scope, "token_name": p.TokenName}, nil
}

type tokenView struct {
	ID        int64     `json:"id"`
	Name      string    `json:"name"`
	Scope     string    `json:"scope"`
	CreatedAt time.Time `json:"created_at"`
	ExpiresAt time.Time `json:"expires_at,omitzero"`
	// Token is the value, in the answer to its creation only.
	Token string `json:"token,omitempty"`
}

func (s *Server) authService() (*auth.Service, error) {
	if s.auth == nil {
		return nil, &apiError{typ: "not_supported", status: http.StatusNotImplemented, err: errNoAuth}
	}
	return s.auth, nil
}

func (s *Server) tokens(r *http.Request) (any, error) {
	a, err := s.authService()
	if err != nil {
		return nil, err
	}
	list, err := a.Tokens(r.Context())
	if err != nil {
		return nil, err
	}
	out := []tokenView{}
	for _, c := range list {
		out = append(out, tokenView{ID: c.ID, Name: c.Name, Scope: c.Scope, CreatedAt: c.CreatedAt, ExpiresAt: c.ExpiresAt})
	}
	return out, nil
}

func (s *Server) tokenCreate(r *http.Request) (any, error) {
	a, err := s.authService()
	if err != nil {
		return nil, err
	}
	var body struct {
		Name      string `json:"name"`
		Scope     string `json:"scope"`
		ExpiresIn string `json:"expires_in"`
	}
	if err := decodeBody(r, &body); err != nil {
		return nil, err
	}
	if clean(body.Name) == "" {
		return nil, badField("name", "required")
	}
	if body.Scope != store.ScopeRead && body.Scope != store.ScopeAdmin {
		return nil, badField("scope", "must be read or admin, not %q", body.Scope)
	}
	var ttl time.Duration
	if body.ExpiresIn != "" {
		if ttl, err = time.ParseDuration(body.ExpiresIn); err != nil || ttl <= 0 {
			return nil, badField("expires_in", "want a positive duration like 720h, got %q", body.ExpiresIn)
		}
	}
	tok, c, err := a.CreateToken(r.Context(), auth.From(r.Context()), clean(body.Name), body.Scope, ttl)
	if err != nil {
		return nil, err
	}
	return tokenView{ID: c.ID, Name: c.Name, Scope: c.Scope, CreatedAt: c.CreatedAt, ExpiresAt: c.ExpiresAt, Token: tok}, nil
}

func (s *Server) tokenDelete(r *http.Request) (any, error) {
	a, err := s.authService()
	if err != nil {
		return nil, err
	}
	id, err := idParam(r)
	if err != nil {
		return nil, err
	}
	return map[string]bool{"revoked": true}, a.RevokeToken(r.Context(), id)
}

func (s *Server) admins(r *http.Request) (any, error) {
	cs, ok := s.st.(store.Console)
	if !ok {
		return nil, &apiError{typ: "not_supported", status: http.StatusNotImplemented, err: errNoAuth}
	}
	list, err := cs.AdminList(r.Context())
	if err != nil {
		return nil, err
	}
	type adminView struct {
		ID          int64     `json:"id"`
		Username    string    `json:"username"`
		PasswordSet bool      `json:"password_set"`
		CreatedAt   time.Time `json:"created_at"`
	}
	out := []adminView{}
	for _, a := range list {
		out = append(out, adminView{a.ID, a.Username, a.PasswordHash != "", a.CreatedAt})
	}
	return out, nil
}

func (s *Server) adminCreate(r *http.Request) (any, error) {
	a, err := s.authService()
	if err != nil {
		return nil, err
	}
	var body struct {
		Username string `json:"username"`
	}
	if err := decodeBody(r, &body); err != nil {
		return nil, err
	}
	name := clean(body.Username)
	if name == "" || len(name) > 64 || strings.ContainsAny(name, " \t\r\n/") {
		return nil, badField("username", "required: 1 to 64 characters, no spaces or slashes")
	}
	link, err := a.SetupLink(r.Context(), name)
	if err != nil {
		return nil, err
	}
	return map[string]string{"username": name, "setup_path": link}, nil
}
