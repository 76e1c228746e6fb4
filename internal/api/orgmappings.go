package api

import (
	"net/http"
	"strings"

	"github.com/integrator-oss/integrator/internal/store"
)

// orgMappingOut is an organisation mapping as the API shows it.
type orgMappingOut struct {
	ID            int64  `json:"id"`
	SourceOrgID   string `json:"source_org_id"`
	SourceOrgName string `json:"source_org_name"`
	Client        string `json:"client"`
	Site          string `json:"site,omitempty"`
	// Origin is "auto" (a run matched the organisation to the client of
	// the same name) or "operator".
	Origin    string `json:"origin"`
	CreatedAt string `json:"created_at"`
	UpdatedAt string `json:"updated_at"`
}

func orgMappingView(m store.OrgMapping) orgMappingOut {
	return orgMappingOut{ID: m.ID, SourceOrgID: m.SourceOrgID, SourceOrgName: m.SourceOrgName, Client: m.Client, Site: m.Site,
		Origin: m.Origin, CreatedAt: m.CreatedAt.UTC().Format(timeFormat), UpdatedAt: m.UpdatedAt.UTC().Format(timeFormat)}
}

const timeFormat = "2006-01-02T15:04:05Z07:00"

// orgMappings lists an integration's organisation mapping table.
func (s *Server) orgMappings(r *http.Request) (any, error) {
	id, err := s.integrationID(r.Context(), r.PathValue("name"))
	if err != nil {
		return nil, err
	}
	ms, err := s.st.OrgMappingList(r.Context(), id)
	if err != nil {
		return nil, err
	}
	out := make([]orgMappingOut, 0, len(ms))
	for _, m := range ms {
		out = append(out, orgMappingView(m))
	}
	return out, nil
}

// orgMappingPut creates or replaces the mapping of one source organisation.
// An operator's row is never rewritten by a run.
func (s *Server) orgMappingPut(r *http.Request) (any, error) {
	st, ok := s.st.(store.Store)
	if !ok {
		return nil, errNoAuth
	}
	id, err := s.integrationID(r.Context(), r.PathValue("name"))
	if err != nil {
		return nil, err
	}
	var body struct {
		SourceOrgID   string `json:"source_org_id"`
		SourceOrgName string `json:"source_org_name"`
		Client        string `json:"client"`
		Site          string `json:"site"`
	}
	if err := decodeBody(r, &body); err != nil {
		return nil, err
	}
	if strings.TrimSpace(body.SourceOrgID) == "" {
		return nil, badField("source_org_id", "required: the organisation's ID at the source")
	}
	if strings.TrimSpace(body.Client) == "" {
		return nil, badField("client", "required: the platform client to place the organisation's devices at")
	}
	m := store.OrgMapping{IntegrationID: id, SourceOrgID: body.SourceOrgID, SourceOrgName: body.SourceOrgName,
		Client: strings.TrimSpace(body.Client), Site: strings.TrimSpace(body.Site), Origin: store.OrgMappingOperator}
	if err := st.Tx(r.Context(), func(tx store.Tx) error { return tx.OrgMappingUpsert(r.Context(), &m) }); err != nil {
		return nil, err
	}
	return orgMappingView(m), nil
}

// orgMappingDelete removes a mapping: the organisation is matched by name
// again on the next run.
func (s *Server) orgMappingDelete(r *http.Request) (any, error) {
	st, ok := s.st.(store.Store)
	if !ok {
		return nil, errNoAuth
	}
	integ, err := s.integrationID(r.Context(), r.PathValue("name"))
	if err != nil {
		return nil, err
	}
	id, err := idParam(r)
	if err != nil {
		return nil, err
	}
	ms, err := s.st.OrgMappingList(r.Context(), integ)
	if err != nil {
		return nil, err
	}
	found := false
	for _, m := range ms {
		found = found || m.ID == id
	}
	if !found {
		return nil, store.ErrNotFound
	}
	if err := st.Tx(r.Context(), func(tx store.Tx) error { return tx.OrgMappingDelete(r.Context(), id) }); err != nil {
		return nil, err
	}
	return map[string]any{"deleted": id}, nil
}
