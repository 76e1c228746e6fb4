// Package api serves the integrator's JSON HTTP API under /api/v1. Handlers
// have the form func(*http.Request) (any, error), wrapped once into one
// envelope {status, data, error_type, error} with one error → status map.
//
// Every route is declared once in the route table (routes.go), with its
// scope and its documentation; the OpenAPI document at
// /api/v1/openapi.json is built from that table.
package api

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/integrator-oss/integrator/internal/auth"
	"github.com/integrator-oss/integrator/internal/connector"
	"github.com/integrator-oss/integrator/internal/daemon"
	"github.com/integrator-oss/integrator/internal/jobs"
	"github.com/integrator-oss/integrator/internal/store"
)

// Services are what the API needs of the rest of the integrator;
// *daemon.App is one.
type Services interface {
	Status(ctx context.Context) ([]daemon.IntegrationStatus, error)
	Enqueue(ctx context.Context, req jobs.RunRequest) (int64, error)
	IntegrationGetView(ctx context.Context, name string) (*daemon.IntegrationView, error)
	IntegrationCreate(ctx context.Context, doc map[string]any) (*daemon.IntegrationView, error)
	IntegrationReplace(ctx context.Context, name string, doc map[string]any, version int64) (*daemon.IntegrationView, error)
	IntegrationPatch(ctx context.Context, name string, patch map[string]any) (*daemon.IntegrationView, error)
	IntegrationDelete(ctx context.Context, name string) error
	IntegrationSetEnabled(ctx context.Context, name string, enabled bool) (*daemon.IntegrationView, error)
	Check(ctx context.Context, name string) error
	ListGroups(ctx context.Context, name string) ([]connector.Option, error)
	PreviewSettings(ctx context.Context, name string, patch map[string]any) (*daemon.Preview, error)
	ConfirmHeld(ctx context.Context, name string) (int64, error)
	Troubleshoot(ctx context.Context, name string, probe bool) ([]daemon.Finding, error)
	Explain(ctx context.Context, name, q string) ([]daemon.Explanation, string, error)
}

// Server is the API's HTTP handler.
type Server struct {
	st     store.Reader
	svc    Services
	logger *slog.Logger
	mux    *http.ServeMux
	auth   *auth.Service
	ready  func(context.Context) error
	routes []route
}

// Option configures a Server.
type Option func(*Server)

// WithAuth requires authentication on every route but /healthz, /readyz,
// login and setup. Without it the API is open: only for tests and
// in-process use.
func WithAuth(a *auth.Service) Option { return func(s *Server) { s.auth = a } }

// WithReady sets the check behind /readyz (store reachable, jobs started).
func WithReady(f func(context.Context) error) Option { return func(s *Server) { s.ready = f } }

// WithMetrics serves a Prometheus handler at /metrics (read scope).
func WithMetrics(h http.Handler) Option {
	return func(s *Server) {
		s.mux.Handle("GET /metrics", s.authenticate(store.ScopeRead, h))
	}
}

// New builds the API.
func New(st store.Reader, svc Services, logger *slog.Logger, opts ...Option) *Server {
	s := &Server{st: st, svc: svc, logger: logger, mux: http.NewServeMux()}
	s.mux.HandleFunc("GET /healthz", func(w http.ResponseWriter, _ *http.Request) { w.Write([]byte("ok\n")) })
	s.mux.HandleFunc("GET /readyz", s.readyz)
	for _, o := range opts {
		o(s)
	}
	s.routes = s.table()
	for _, rt := range s.routes {
		s.register(rt)
	}
	return s
}

// ServeHTTP implements http.Handler.
func (s *Server) ServeHTTP(w http.ResponseWriter, r *http.Request) { s.mux.ServeHTTP(w, r) }

func (s *Server) readyz(w http.ResponseWriter, r *http.Request) {
	ctx, cancel := context.WithTimeout(r.Context(), 5*time.Second)
	defer cancel()
	_, err := s.st.IntegrationList(ctx)
	if err == nil && s.ready != nil {
		err = s.ready(ctx)
	}
	if err != nil {
		http.Error(w, "not ready: "+err.Error(), http.StatusServiceUnavailable)
		return
	}
	w.Write([]byte("ready\n"))
}

type envelope struct {
	Status    string `json:"status"`
	Data      any    `json:"data,omitempty"`
	ErrorType string `json:"error_type,omitempty"`
	Error     string `json:"error,omitempty"`
	// Fields name each invalid field of a bad request.
	Fields []fieldError `json:"fields,omitempty"`
}

type fieldError struct {
	Field   string `json:"field"`
	Message string `json:"message"`
}

// apiError is an error with its HTTP meaning.
type apiError struct {
	typ    string
	status int
	err    error
	fields []fieldError
}

func (e *apiError) Error() string { return e.err.Error() }
func (e *apiError) Unwrap() error { return e.err }

func badRequest(format string, args ...any) error {
	return &apiError{typ: "bad_request", status: http.StatusBadRequest, err: fmt.Errorf(format, args...)}
}

func badField(field, format string, args ...any) error {
	msg := fmt.Sprintf(format, args...)
	return &apiError{typ: "bad_request", status: http.StatusBadRequest, err: fmt.Errorf("%s: %s", field, msg),
		fields: []fieldError{{field, msg}}}
}

// classify maps an error to its HTTP meaning.
func (s *Server) classify(r *http.Request, err error) *apiError {
	var ae *apiError
	var ve *daemon.ValidationError
	var rl *auth.RateLimitedError
	switch {
	case errors.As(err, &ae):
		return ae
	case errors.As(err, &ve):
		out := &apiError{typ: "bad_request", status: http.StatusBadRequest, err: err}
		for _, p := range ve.Problems {
			out.fields = append(out.fields, fieldError{p.Field, p.Msg})
		}
		return out
	case errors.As(err, &rl):
		return &apiError{typ: "rate_limited", status: http.StatusTooManyRequests, err: err}
	case errors.Is(err, auth.ErrUnauthenticated), errors.Is(err, auth.ErrBadLogin):
		return &apiError{typ: "unauthorized", status: http.StatusUnauthorized, err: err}
	case errors.Is(err, auth.ErrForbidden):
		return &apiError{typ: "forbidden", status: http.StatusForbidden, err: err}
	case errors.Is(err, store.ErrNotFound):
		return &apiError{typ: "not_found", status: http.StatusNotFound, err: err}
	case errors.Is(err, jobs.ErrAlreadyRunning), errors.Is(err, store.ErrConflict), errors.Is(err, daemon.ErrReadOnly):
		return &apiError{typ: "conflict", status: http.StatusConflict, err: err}
	case errors.Is(err, daemon.ErrNotSupported), errors.Is(err, daemon.ErrNoConsoleStore):
		return &apiError{typ: "not_supported", status: http.StatusNotImplemented, err: err}
	case errors.Is(err, connector.ErrUnauthorized), errors.Is(err, connector.ErrForbidden):
		// The source refused: the request was fine, the upstream was not.
		return &apiError{typ: "source_refused", status: http.StatusBadGateway, err: err}
	}
	s.logger.Error("api request failed", "method", r.Method, "path", r.URL.Path, "err", err)
	return &apiError{typ: "internal", status: http.StatusInternalServerError, err: err}
}

func (s *Server) writeError(w http.ResponseWriter, r *http.Request, err error) {
	ae := s.classify(r, err)
	w.Header().Set("Content-Type", "application/json")
	if ae.status == http.StatusUnauthorized {
		w.Header().Set("WWW-Authenticate", `Bearer realm="integrator"`)
	}
	var rl *auth.RateLimitedError
	if errors.As(err, &rl) {
		w.Header().Set("Retry-After", strconv.Itoa(int(rl.RetryAfter.Seconds())+1))
	}
	w.WriteHeader(ae.status)
	json.NewEncoder(w).Encode(envelope{Status: "error", ErrorType: ae.typ, Error: ae.Error(), Fields: ae.fields})
}

// authenticate wraps h: the request needs a principal with scope (read
// allows admin too). With no auth.Service configured it passes.
func (s *Server) authenticate(scope string, h http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if s.auth == nil || scope == "" {
			h.ServeHTTP(w, r)
			return
		}
		p, err := s.auth.Authenticate(r)
		if err != nil {
			s.writeError(w, r, err)
			return
		}
		if scope == store.ScopeAdmin && !p.CanWrite() {
			s.writeError(w, r, fmt.Errorf("%s %s needs the admin scope: %w", r.Method, r.URL.Path, auth.ErrForbidden))
			return
		}
		h.ServeHTTP(w, r.WithContext(auth.WithPrincipal(r.Context(), p)))
	})
}

func (s *Server) register(rt route) {
	h := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if rt.raw != nil {
			rt.raw(w, r)
			return
		}
		data, err := rt.h(r)
		if err != nil {
			s.writeError(w, r, err)
			return
		}
		w.Header().Set("Content-Type", "application/json")
		if rt.created {
			w.WriteHeader(http.StatusCreated)
		}
		json.NewEncoder(w).Encode(envelope{Status: "success", Data: data})
	})
	s.mux.Handle(rt.method+" "+rt.path, s.authenticate(rt.scope, h))
}

// decodeBody decodes a JSON request body strictly into v.
func decodeBody(r *http.Request, v any) error {
	dec := json.NewDecoder(http.MaxBytesReader(nil, r.Body, 1<<20))
	dec.DisallowUnknownFields()
	if err := dec.Decode(v); err != nil {
		return badRequest("decoding the JSON body: %v", err)
	}
	return nil
}

// decodeObject decodes a JSON object body into a map.
func decodeObject(r *http.Request) (map[string]any, error) {
	var m map[string]any
	dec := json.NewDecoder(http.MaxBytesReader(nil, r.Body, 1<<20))
	if err := dec.Decode(&m); err != nil {
		return nil, badRequest("decoding the JSON body: want an object: %v", err)
	}
	if m == nil {
		return nil, badRequest("decoding the JSON body: want an object, got null")
	}
	return m, nil
}

func idParam(r *http.Request) (int64, error) {
	id, err := strconv.ParseInt(r.PathValue("id"), 10, 64)
	if err != nil || id <= 0 {
		return 0, badField("id", "want a positive number, got %q", r.PathValue("id"))
	}
	return id, nil
}

func intParam(r *http.Request, name string, def int) (int, error) {
	v := r.URL.Query().Get(name)
	if v == "" {
		return def, nil
	}
	n, err := strconv.Atoi(v)
	if err != nil || n < 0 {
		return 0, badField(name, "want a non-negative number, got %q", v)
	}
	return n, nil
}

func limitParam(r *http.Request, def, maxLimit int) (int, error) {
	n, err := intParam(r, "limit", def)
	if err != nil {
		return 0, err
	}
	if n == 0 || n > maxLimit {
		n = maxLimit
	}
	return n, nil
}

func timeParam(r *http.Request, name string) (time.Time, error) {
	v := r.URL.Query().Get(name)
	if v == "" {
		return time.Time{}, nil
	}
	t, err := time.Parse(time.RFC3339, v)
	if err != nil {
		return time.Time{}, badField(name, "want an RFC 3339 time like 2026-03-14T09:00:00Z, got %q", v)
	}
	return t, nil
}

func boolParam(r *http.Request, name string) (*bool, error) {
	v := r.URL.Query().Get(name)
	if v == "" {
		return nil, nil
	}
	b, err := strconv.ParseBool(v)
	if err != nil {
		return nil, badField(name, "want true or false, got %q", v)
	}
	return &b, nil
}

// integrationID resolves an integration name to its store ID.
func (s *Server) integrationID(ctx context.Context, name string) (int64, error) {
	in, err := s.st.IntegrationGet(ctx, name)
	if err != nil {
		return 0, fmt.Errorf("integration %q: %w", name, err)
	}
	return in.ID, nil
}

func clean(s string) string { return strings.TrimSpace(s) }
