package api

import (
	"fmt"
	"net/http"

	"github.com/integrator-oss/integrator/internal/daemon"
	"github.com/integrator-oss/integrator/internal/jobs"
	"github.com/integrator-oss/integrator/internal/store"
)

// statusJSON is an integration's state, its last run in the API's run
// shape.
type statusJSON struct {
	daemon.IntegrationStatus
	LastRun *runJSON `json:"last_run,omitempty"`
}

func statusOut(st daemon.IntegrationStatus) statusJSON {
	out := statusJSON{IntegrationStatus: st}
	if st.LastRun != nil {
		r := runOut(*st.LastRun)
		out.LastRun = &r
	}
	return out
}

func (s *Server) integrations(r *http.Request) (any, error) {
	list, err := s.svc.Status(r.Context())
	if err != nil {
		return nil, err
	}
	out := make([]statusJSON, len(list))
	for i, st := range list {
		out[i] = statusOut(st)
	}
	return out, nil
}

// integrationDetail is an integration's state and definition.
type integrationDetail struct {
	statusJSON
	Definition *daemon.IntegrationView `json:"definition"`
}

func (s *Server) status(r *http.Request, name string) (*daemon.IntegrationStatus, error) {
	all, err := s.svc.Status(r.Context())
	if err != nil {
		return nil, err
	}
	for _, st := range all {
		if st.Name == name {
			return &st, nil
		}
	}
	return nil, fmt.Errorf("integration %q: %w", name, store.ErrNotFound)
}

func (s *Server) integration(r *http.Request) (any, error) {
	name := r.PathValue("name")
	v, err := s.svc.IntegrationGetView(r.Context(), name)
	if err != nil {
		return nil, err
	}
	st, err := s.status(r, name)
	if err != nil {
		// A stored integration that no longer loads has a view, no state.
		st = &daemon.IntegrationStatus{Name: name, Source: v.Source}
	}
	return integrationDetail{statusJSON: statusOut(*st), Definition: v}, nil
}

func (s *Server) integrationCreate(r *http.Request) (any, error) {
	doc, err := decodeObject(r)
	if err != nil {
		return nil, err
	}
	return s.svc.IntegrationCreate(r.Context(), doc)
}

// integrationReplace takes {"version": N, "document": {...}} or the bare
// document.
func (s *Server) integrationReplace(r *http.Request) (any, error) {
	body, err := decodeObject(r)
	if err != nil {
		return nil, err
	}
	doc := body
	var version int64
	if d, ok := body["document"].(map[string]any); ok {
		doc = d
		if v, ok := body["version"].(float64); ok {
			version = int64(v)
		}
	}
	return s.svc.IntegrationReplace(r.Context(), r.PathValue("name"), doc, version)
}

func (s *Server) integrationDelete(r *http.Request) (any, error) {
	return map[string]bool{"deleted": true}, s.svc.IntegrationDelete(r.Context(), r.PathValue("name"))
}

func (s *Server) enable(on bool) func(*http.Request) (any, error) {
	return func(r *http.Request) (any, error) {
		return s.svc.IntegrationSetEnabled(r.Context(), r.PathValue("name"), on)
	}
}

// settingsKeys are the Imports-tab settings the settings routes accept.
var settingsKeys = map[string]bool{
	"enabled": true, "entities": true, "schedule": true, "full_sync_every": true, "run_timeout": true, "client": true,
	"deactivate_when_not_found": true, "threshold": true, "scope": true, "matching": true,
}

func (s *Server) settings(r *http.Request) (any, error) {
	v, err := s.svc.IntegrationGetView(r.Context(), r.PathValue("name"))
	if err != nil {
		return nil, err
	}
	return map[string]any{"source": v.Source, "settings": v.Settings}, nil
}

func settingsBody(r *http.Request) (map[string]any, error) {
	patch, err := decodeObject(r)
	if err != nil {
		return nil, err
	}
	for k := range patch {
		if !settingsKeys[k] {
			return nil, badField(k, "not an Integrator setting (connection settings are changed with PUT /api/v1/integrations/{name})")
		}
	}
	return patch, nil
}

func (s *Server) settingsPut(r *http.Request) (any, error) {
	patch, err := settingsBody(r)
	if err != nil {
		return nil, err
	}
	return s.svc.IntegrationPatch(r.Context(), r.PathValue("name"), patch)
}

func (s *Server) preview(r *http.Request) (any, error) {
	var patch map[string]any
	if r.ContentLength != 0 {
		var err error
		if patch, err = settingsBody(r); err != nil {
			return nil, err
		}
	}
	return s.svc.PreviewSettings(r.Context(), r.PathValue("name"), patch)
}

func (s *Server) check(r *http.Request) (any, error) {
	if err := s.svc.Check(r.Context(), r.PathValue("name")); err != nil {
		return nil, err
	}
	return map[string]any{"ok": true}, nil
}

func (s *Server) sourceGroups(r *http.Request) (any, error) {
	return s.svc.ListGroups(r.Context(), r.PathValue("name"))
}

// runNow queues a run. Body (optional): {"full": bool,
// "allow_mass_deactivation": bool} — the latter confirms a held run.
func (s *Server) runNow(r *http.Request) (any, error) {
	var body struct {
		Full                  bool `json:"full"`
		AllowMassDeactivation bool `json:"allow_mass_deactivation"`
	}
	if r.ContentLength != 0 {
		if err := decodeBody(r, &body); err != nil {
			return nil, err
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

func (s *Server) confirm(r *http.Request) (any, error) {
	id, err := s.svc.ConfirmHeld(r.Context(), r.PathValue("name"))
	if err != nil {
		return nil, err
	}
	return map[string]int64{"job_id": id}, nil
}

func (s *Server) troubleshoot(r *http.Request) (any, error) {
	probe, err := boolParam(r, "probe")
	if err != nil {
		return nil, err
	}
	return s.svc.Troubleshoot(r.Context(), r.PathValue("name"), probe != nil && *probe)
}

func (s *Server) explain(r *http.Request) (any, error) {
	q := clean(r.URL.Query().Get("q"))
	if q == "" {
		return nil, badField("q", "required: a name, UPN, mail or source ID")
	}
	list, summary, err := s.svc.Explain(r.Context(), r.PathValue("name"), q)
	if err != nil {
		return nil, err
	}
	return map[string]any{"matches": list, "summary": summary}, nil
}
