// Package api serves the integrator's JSON HTTP API under /api/v1. Handlers
// have the form func(*http.Request) (any, error), wrapped once into one
// envelope {status, data, error_type, error} with one error → status map.
package api

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"strconv"
	"time"

	"github.com/integrator-oss/integrator/internal/daemon"
	"github.com/integrator-oss/integrator/internal/jobs"
	"github.com/integrator-oss/integrator/internal/record"
	"github.com/integrator-oss/integrator/internal/store"
)

// Services are what the API needs of the rest of the integrator.
type Services interface {
	Status(ctx context.Context) ([]daemon.IntegrationStatus, error)
	Enqueue(ctx context.Context, req jobs.RunRequest) (int64, error)
}

// Server is the API's HTTP handler.
type Server struct {
	st     store.Reader
	svc    Services
	logger *slog.Logger
	mux    *http.ServeMux
}

// New builds the API.
func New(st store.Reader, svc Services, logger *slog.Logger) *Server {
	s := &Server{st: st, svc: svc, logger: logger, mux: http.NewServeMux()}
	s.mux.HandleFunc("GET /healthz", func(w http.ResponseWriter, _ *http.Request) { w.Write([]byte("ok\n")) })
	s.handle("GET /api/v1/integrations", s.integrations)
	s.handle("GET /api/v1/integrations/{name}", s.integration)
	s.handle("POST /api/v1/integrations/{name}/runs", s.runNow)
	s.handle("GET /api/v1/runs", s.runs)
	s.handle("GET /api/v1/runs/{id}", s.run)
	s.handle("GET /api/v1/users", s.users)
	s.handle("GET /api/v1/users/{id}", s.user)
	s.handle("GET /api/v1/groups", s.groups)
	s.handle("GET /api/v1/groups/{id}", s.group)
	s.handle("GET /api/v1/audit", s.audit)
	return s
}

// ServeHTTP implements http.Handler.
func (s *Server) ServeHTTP(w http.ResponseWriter, r *http.Request) { s.mux.ServeHTTP(w, r) }

type envelope struct {
	Status    string `json:"status"`
	Data      any    `json:"data,omitempty"`
	ErrorType string `json:"error_type,omitempty"`
	Error     string `json:"error,omitempty"`
}

// apiError is an error with its HTTP meaning.
type apiError struct {
	typ    string
	status int
	err    error
}

func (e *apiError) Error() string { return e.err.Error() }

func badRequest(format string, args ...any) error {
	return &apiError{typ: "bad_request", status: http.StatusBadRequest, err: fmt.Errorf(format, args...)}
}

func (s *Server) handle(pattern string, h func(*http.Request) (any, error)) {
	s.mux.HandleFunc(pattern, func(w http.ResponseWriter, r *http.Request) {
		data, err := h(r)
		w.Header().Set("Content-Type", "application/json")
		if err != nil {
			ae := &apiError{typ: "internal", status: http.StatusInternalServerError, err: err}
			switch {
			case errors.As(err, &ae):
			case errors.Is(err, store.ErrNotFound):
				ae = &apiError{typ: "not_found", status: http.StatusNotFound, err: err}
			case errors.Is(err, jobs.ErrAlreadyRunning):
				ae = &apiError{typ: "conflict", status: http.StatusConflict, err: err}
			default:
				s.logger.Error("api request failed", "path", r.URL.Path, "err", err)
			}
			w.WriteHeader(ae.status)
			json.NewEncoder(w).Encode(envelope{Status: "error", ErrorType: ae.typ, Error: ae.Error()})
			return
		}
		json.NewEncoder(w).Encode(envelope{Status: "success", Data: data})
	})
}

func (s *Server) integrations(r *http.Request) (any, error) {
	return s.svc.Status(r.Context())
}

func (s *Server) integration(r *http.Request) (any, error) {
	all, err := s.svc.Status(r.Context())
	if err != nil {
		return nil, err
	}
	for _, st := range all {
		if st.Name == r.PathValue("name") {
			return st, nil
		}
	}
	return nil, fmt.Errorf("integration %q: %w", r.PathValue("name"), store.ErrNotFound)
}

// runNow queues a run. Body (optional): {"full": bool,
// "allow_mass_deactivation": bool} — the latter confirms a held run.
func (s *Server) runNow(r *http.Request) (any, error) {
	var body struct {
		Full                  bool `json:"full"`
		AllowMassDeactivation bool `json:"allow_mass_deactivation"`
	}
	if r.ContentLength != 0 {
		dec := json.NewDecoder(r.Body)
		dec.DisallowUnknownFields()
		if err := dec.Decode(&body); err != nil {
			return nil, badRequest("decoding body: %v", err)
		}
	}
	id, err := s.svc.Enqueue(r.Context(), jobs.RunRequest{
		Integration: r.PathValue("name"), Full: body.Full, AllowMassDeactivation: body.AllowMassDeactivation, Trigger: "api",
	})
	if err != nil {
		return nil, err
	}
	return map[string]int64{"job_id": id}, nil
}

func (s *Server) runs(r *http.Request) (any, error) {
	q := r.URL.Query()
	p := &store.RunListParams{Status: q.Get("status"), Limit: 100}
	if name := q.Get("integration"); name != "" {
		in, err := s.st.IntegrationGet(r.Context(), name)
		if err != nil {
			return nil, fmt.Errorf("integration %q: %w", name, err)
		}
		p.IntegrationID = in.ID
	}
	if v := q.Get("since"); v != "" {
		t, err := time.Parse(time.RFC3339, v)
		if err != nil {
			return nil, badRequest("since: want RFC 3339 time, got %q", v)
		}
		p.Since = t
	}
	var err error
	if p.Limit, err = intParam(q.Get("limit"), 100); err != nil {
		return nil, err
	}
	return s.st.RunList(r.Context(), p)
}

func (s *Server) run(r *http.Request) (any, error) {
	id, err := idParam(r)
	if err != nil {
		return nil, err
	}
	return s.st.RunGet(r.Context(), id)
}

func listParams(r *http.Request) (*store.EntityListParams, error) {
	q := r.URL.Query()
	p := &store.EntityListParams{Search: q.Get("search")}
	if v := q.Get("active"); v != "" {
		b, err := strconv.ParseBool(v)
		if err != nil {
			return nil, badRequest("active: want true or false, got %q", v)
		}
		p.Active = &b
	}
	var err error
	if p.Limit, err = intParam(q.Get("limit"), 100); err != nil {
		return nil, err
	}
	after, err := intParam(q.Get("after"), 0)
	p.AfterID = int64(after)
	return p, err
}

func (s *Server) users(r *http.Request) (any, error) {
	p, err := listParams(r)
	if err != nil {
		return nil, err
	}
	return s.st.UserList(r.Context(), p)
}

// entityDetail is an entity with its links and audit history.
type entityDetail struct {
	Entity any                `json:"entity"`
	Links  []linkView         `json:"links"`
	Audit  []store.AuditEvent `json:"audit"`
	// Members are the platform user IDs of a group.
	Members []int64 `json:"members,omitempty"`
}

type linkView struct {
	IntegrationID int64     `json:"integration_id"`
	ExternalID    string    `json:"external_id"`
	Status        string    `json:"status"`
	MatchedBy     string    `json:"matched_by"`
	Reason        string    `json:"reason"`
	LastRunID     int64     `json:"last_run_id"`
	UpdatedAt     time.Time `json:"updated_at"`
}

func (s *Server) detail(ctx context.Context, kind record.Kind, id int64, e any) (*entityDetail, error) {
	links, err := s.st.LinkListByEntity(ctx, kind, id)
	if err != nil {
		return nil, err
	}
	audit, err := s.st.AuditList(ctx, &store.AuditListParams{Kind: kind, EntityID: id, Limit: 500})
	if err != nil {
		return nil, err
	}
	d := &entityDetail{Entity: e, Audit: audit, Links: []linkView{}}
	for _, l := range links {
		d.Links = append(d.Links, linkView{l.IntegrationID, l.ExternalID, l.Status, l.MatchedBy, l.Reason, l.LastRunID, l.UpdatedAt})
	}
	return d, nil
}

func (s *Server) user(r *http.Request) (any, error) {
	id, err := idParam(r)
	if err != nil {
		return nil, err
	}
	u, err := s.st.UserGet(r.Context(), id)
	if err != nil {
		return nil, err
	}
	return s.detail(r.Context(), record.KindUser, id, u)
}

func (s *Server) groups(r *http.Request) (any, error) {
	p, err := listParams(r)
	if err != nil {
		return nil, err
	}
	return s.st.GroupList(r.Context(), p)
}

func (s *Server) group(r *http.Request) (any, error) {
	id, err := idParam(r)
	if err != nil {
		return nil, err
	}
	g, err := s.st.GroupGet(r.Context(), id)
	if err != nil {
		return nil, err
	}
	d, err := s.detail(r.Context(), record.KindGroup, id, g)
	if err != nil {
		return nil, err
	}
	if d.Members, err = s.st.GroupMembers(r.Context(), id); err != nil {
		return nil, err
	}
	return d, nil
}

func (s *Server) audit(r *http.Request) (any, error) {
	q := r.URL.Query()
	p := &store.AuditListParams{Kind: record.Kind(q.Get("kind")), Action: q.Get("action"), Limit: 500}
	var err error
	run, err := intParam(q.Get("run"), 0)
	if err != nil {
		return nil, err
	}
	p.RunID = int64(run)
	after, err := intParam(q.Get("after"), 0)
	p.AfterID = int64(after)
	if err != nil {
		return nil, err
	}
	return s.st.AuditList(r.Context(), p)
}

func idParam(r *http.Request) (int64, error) {
	id, err := strconv.ParseInt(r.PathValue("id"), 10, 64)
	if err != nil {
		return 0, badRequest("id: want a number, got %q", r.PathValue("id"))
	}
	return id, nil
}

func intParam(v string, def int) (int, error) {
	if v == "" {
		return def, nil
	}
	n, err := strconv.Atoi(v)
	if err != nil || n < 0 {
		return 0, badRequest("want a non-negative number, got %q", v)
	}
	return n, nil
}
