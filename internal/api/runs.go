package api

import (
	"net/http"
	"time"

	"github.com/integrator-oss/integrator/internal/record"
	"github.com/integrator-oss/integrator/internal/store"
)

func (s *Server) runs(r *http.Request) (any, error) {
	q := r.URL.Query()
	p := &store.RunListParams{Status: q.Get("status")}
	switch p.Status {
	case "", store.RunRunning, store.RunSucceeded, store.RunFailed, store.RunHeld, store.RunSkipped:
	default:
		return nil, badField("status", "must be running, succeeded, failed, held or skipped, not %q", p.Status)
	}
	if name := q.Get("integration"); name != "" {
		id, err := s.integrationID(r.Context(), name)
		if err != nil {
			return nil, err
		}
		p.IntegrationID = id
	}
	var err error
	if p.Since, err = timeParam(r, "since"); err != nil {
		return nil, err
	}
	until, err := timeParam(r, "until")
	if err != nil {
		return nil, err
	}
	if p.Limit, err = limitParam(r, 100, 1000); err != nil {
		return nil, err
	}
	list, err := s.st.RunList(r.Context(), p)
	if err != nil {
		return nil, err
	}
	out := make([]runView, 0, len(list))
	for _, run := range list {
		if !until.IsZero() && !run.StartedAt.Before(until) {
			continue
		}
		out = append(out, viewRun(run, time.Now()))
	}
	return out, nil
}

// runView is a run with its duration and rate.
type runView struct {
	runJSON
	Duration time.Duration `json:"duration_ns"`
	// Rate is records fetched per second so far.
	Rate float64 `json:"rate"`
}

func viewRun(run store.Run, now time.Time) runView {
	end := run.FinishedAt
	if end.IsZero() {
		end = now
	}
	v := runView{runJSON: runOut(run), Duration: end.Sub(run.StartedAt)}
	if s := v.Duration.Seconds(); s > 0 {
		v.Rate = float64(run.Counts.Fetched) / s
	}
	return v
}

func (s *Server) run(r *http.Request) (any, error) {
	id, err := idParam(r)
	if err != nil {
		return nil, err
	}
	run, err := s.st.RunGet(r.Context(), id)
	if err != nil {
		return nil, err
	}
	return viewRun(*run, time.Now()), nil
}

// outcomes are a run's per-record outcomes.
type outcomes struct {
	Links []linkView  `json:"links"`
	Audit []auditJSON `json:"audit"`
}

func (s *Server) runOutcomes(r *http.Request) (any, error) {
	id, err := idParam(r)
	if err != nil {
		return nil, err
	}
	run, err := s.st.RunGet(r.Context(), id)
	if err != nil {
		return nil, err
	}
	kind := record.Kind(r.URL.Query().Get("kind"))
	if kind == "" {
		kind = record.KindUser
	}
	after, err := intParam(r, "after", 0)
	if err != nil {
		return nil, err
	}
	limit, err := limitParam(r, 500, 1000)
	if err != nil {
		return nil, err
	}
	out := outcomes{Links: []linkView{}}
	if ll, ok := s.st.(store.LinkLister); ok {
		links, err := ll.LinkList(r.Context(), &store.LinkListParams{IntegrationID: run.IntegrationID, Kind: kind, RunID: id,
			Status: r.URL.Query().Get("status"), AfterID: int64(after), Limit: limit})
		if err != nil {
			return nil, err
		}
		for _, l := range links {
			out.Links = append(out.Links, viewLink(l))
		}
	}
	audit, err := s.st.AuditList(r.Context(), &store.AuditListParams{RunID: id, Kind: kind, Limit: limit})
	if err != nil {
		return nil, err
	}
	out.Audit = auditsOut(audit)
	return out, nil
}
