package api

import (
	"context"
	"encoding/json"
	"net/http"
	"strconv"
	"time"

	"github.com/integrator-oss/integrator/internal/record"
	"github.com/integrator-oss/integrator/internal/store"
)

func listParams(r *http.Request) (*store.EntityListParams, error) {
	p := &store.EntityListParams{Search: r.URL.Query().Get("search")}
	var err error
	if p.Active, err = boolParam(r, "active"); err != nil {
		return nil, err
	}
	if p.Limit, err = limitParam(r, 100, 1000); err != nil {
		return nil, err
	}
	after, err := intParam(r, "after", 0)
	if err != nil {
		return nil, err
	}
	p.AfterID = int64(after)
	site, err := intParam(r, "site", 0)
	p.SiteID = int64(site)
	return p, err
}

func (s *Server) users(r *http.Request) (any, error) {
	p, err := listParams(r)
	if err != nil {
		return nil, err
	}
	role := r.URL.Query().Get("role")
	switch role {
	case "", store.RoleUser, store.RoleAgent, store.RoleContact:
	default:
		return nil, badField("role", "must be user, agent or contact, not %q", role)
	}
	list, err := s.st.UserList(r.Context(), p)
	if err != nil {
		return nil, err
	}
	out := []userJSON{}
	for _, u := range list {
		if role == "" || u.Role == role {
			out = append(out, userOut(u))
		}
	}
	return out, nil
}

// entityDetail is an entity with its links and audit history.
type entityDetail struct {
	Entity any         `json:"entity"`
	Links  []linkView  `json:"links"`
	Audit  []auditJSON `json:"audit"`
	// Members are the platform user IDs of a group.
	Members []int64 `json:"members,omitempty"`
}

// linkView is a link as the API shows it: which integration, the source
// ID, its status, the rule that matched it, why, and what the source last
// said of it.
type linkView struct {
	IntegrationID int64           `json:"integration_id"`
	Kind          record.Kind     `json:"kind"`
	ExternalID    string          `json:"external_id"`
	EntityID      int64           `json:"entity_id,omitempty"`
	Status        string          `json:"status"`
	MatchedBy     string          `json:"matched_by"`
	Reason        string          `json:"reason"`
	LastRunID     int64           `json:"last_run_id"`
	UpdatedAt     time.Time       `json:"updated_at"`
	Data          json.RawMessage `json:"data,omitempty"`
}

func viewLink(l store.Link) linkView {
	v := linkView{IntegrationID: l.IntegrationID, Kind: l.Kind, ExternalID: l.ExternalID, EntityID: l.EntityID, Status: l.Status,
		MatchedBy: l.MatchedBy, Reason: l.Reason, LastRunID: l.LastRunID, UpdatedAt: l.UpdatedAt}
	if json.Valid(l.Data) {
		v.Data = l.Data
	}
	return v
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
	d := &entityDetail{Entity: e, Audit: auditsOut(audit), Links: []linkView{}}
	for _, l := range links {
		d.Links = append(d.Links, viewLink(l))
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
	return s.detail(r.Context(), record.KindUser, id, userOut(*u))
}

func (s *Server) groups(r *http.Request) (any, error) {
	p, err := listParams(r)
	if err != nil {
		return nil, err
	}
	list, err := s.st.GroupList(r.Context(), p)
	if err != nil {
		return nil, err
	}
	out := make([]groupJSON, len(list))
	for i, g := range list {
		out[i] = groupOut(g)
	}
	return out, nil
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
	d, err := s.detail(r.Context(), record.KindGroup, id, groupOut(*g))
	if err != nil {
		return nil, err
	}
	if d.Members, err = s.st.GroupMembers(r.Context(), id); err != nil {
		return nil, err
	}
	return d, nil
}

func (s *Server) sites(r *http.Request) (any, error) {
	list, err := s.st.SiteList(r.Context())
	if err != nil {
		return nil, err
	}
	out := make([]siteJSON, len(list))
	for i, st := range list {
		out[i] = siteJSON{st.ID, st.ClientID, st.ClientName, st.Name}
	}
	return out, nil
}

func (s *Server) reviews(r *http.Request) (any, error) {
	p := &store.ReviewListParams{Status: r.URL.Query().Get("status")}
	switch p.Status {
	case "":
		p.Status = store.ReviewOpen
	case "all":
		p.Status = ""
	case store.ReviewOpen, store.ReviewLinked, store.ReviewCreated, store.ReviewIgnored, store.ReviewCleared:
	default:
		return nil, badField("status", "must be open, linked, created, ignored, cleared or all, not %q", p.Status)
	}
	if name := r.URL.Query().Get("integration"); name != "" {
		id, err := s.integrationID(r.Context(), name)
		if err != nil {
			return nil, err
		}
		p.IntegrationID = id
	}
	var err error
	if p.Limit, err = limitParam(r, 100, 1000); err != nil {
		return nil, err
	}
	after, err := intParam(r, "after", 0)
	if err != nil {
		return nil, err
	}
	p.AfterID = int64(after)
	list, err := s.st.ReviewList(r.Context(), p)
	if err != nil {
		return nil, err
	}
	out := make([]reviewJSON, len(list))
	for i, it := range list {
		out[i] = reviewOut(it)
	}
	return out, nil
}

func (s *Server) review(r *http.Request) (any, error) {
	id, err := idParam(r)
	if err != nil {
		return nil, err
	}
	item, err := s.st.ReviewGet(r.Context(), id)
	if err != nil {
		return nil, err
	}
	if item.Kind == record.KindAsset {
		assets, err := s.st.AssetGetMany(r.Context(), item.Candidates)
		if err != nil {
			return nil, err
		}
		return map[string]any{"item": reviewOut(*item), "candidates": snakes(assets)}, nil
	}
	cands, err := s.st.UserGetMany(r.Context(), item.Candidates)
	if err != nil {
		return nil, err
	}
	return map[string]any{"item": reviewOut(*item), "candidates": usersOut(cands)}, nil
}

func (s *Server) auditParams(r *http.Request) (*store.AuditListParams, error) {
	q := r.URL.Query()
	p := &store.AuditListParams{Kind: record.Kind(q.Get("kind")), Action: q.Get("action")}
	if name := q.Get("integration"); name != "" {
		id, err := s.integrationID(r.Context(), name)
		if err != nil {
			return nil, err
		}
		p.IntegrationID = id
	}
	for _, f := range []struct {
		name string
		dst  *int64
	}{{"run", &p.RunID}, {"entity", &p.EntityID}, {"after", &p.AfterID}} {
		if v := q.Get(f.name); v != "" {
			n, err := strconv.ParseInt(v, 10, 64)
			if err != nil || n < 0 {
				return nil, badField(f.name, "want a non-negative number, got %q", v)
			}
			*f.dst = n
		}
	}
	if p.EntityID != 0 && p.Kind == "" {
		return nil, badField("kind", "required with entity")
	}
	var err error
	if p.Since, err = timeParam(r, "since"); err != nil {
		return nil, err
	}
	if p.Until, err = timeParam(r, "until"); err != nil {
		return nil, err
	}
	return p, nil
}

func (s *Server) audit(r *http.Request) (any, error) {
	p, err := s.auditParams(r)
	if err != nil {
		return nil, err
	}
	if p.Limit, err = limitParam(r, 500, 5000); err != nil {
		return nil, err
	}
	list, err := s.st.AuditList(r.Context(), p)
	if err != nil {
		return nil, err
	}
	return auditsOut(list), nil
}
