package engine

import (
	"context"
	"fmt"
	"strings"

	"github.com/integrator-oss/integrator/internal/integration"
	"github.com/integrator-oss/integrator/internal/record"
	"github.com/integrator-oss/integrator/internal/store"
)

// placement is where the scope rules put one user.
type placement struct {
	InScope bool
	Site    string
	Role    string
	// Why explains the outcome in words for the link and the audit trail.
	Why string
}

// scoper applies an integration's mappings. Mappings name groups by ID or
// display name; names are resolved to the source IDs of the integration's
// groups once per run, and again after a page of groups arrives.
type scoper struct {
	scope integration.Scope
	// byGroup maps a group's source ID to the indexes of the mappings that
	// name it, in precedence order.
	byGroup  map[string][]int
	resolved bool
}

func newScoper(s integration.Scope) *scoper {
	return &scoper{scope: s}
}

// needsMembers reports whether placing a user depends on its groups.
func (s *scoper) needsMembers() bool { return len(s.scope.Mappings) > 0 }

func (s *scoper) invalidate() { s.resolved = false }

// resolve finds the source IDs of the mapped groups. A mapping whose group
// matches no known group simply places nobody, and the diagnostics say so.
func (s *scoper) resolve(ctx context.Context, r store.Reader, integrationID int64) error {
	if s.resolved {
		return nil
	}
	s.byGroup = make(map[string][]int)
	for i, m := range s.scope.Mappings {
		ids := []string{m.Group}
		groups, err := r.GroupList(ctx, &store.EntityListParams{Search: m.Group, Limit: 1000})
		if err != nil {
			return fmt.Errorf("resolving mapped group %q: %w", m.Group, err)
		}
		for _, g := range groups {
			if !strings.EqualFold(g.Name, m.Group) {
				continue
			}
			links, err := r.LinkListByEntity(ctx, record.KindGroup, g.ID)
			if err != nil {
				return fmt.Errorf("resolving mapped group %q: %w", m.Group, err)
			}
			for _, l := range links {
				if l.IntegrationID == integrationID {
					ids = append(ids, l.ExternalID)
				}
			}
		}
		for _, id := range ids {
			if !containsInt(s.byGroup[id], i) {
				s.byGroup[id] = append(s.byGroup[id], i)
			}
		}
	}
	s.resolved = true
	return nil
}

// mapped reports whether a group (by source ID or name) is named by a mapping.
func (s *scoper) mapped(id, name string) bool {
	if _, ok := s.byGroup[id]; ok {
		return true
	}
	for _, m := range s.scope.Mappings {
		if m.Group == id || (name != "" && strings.EqualFold(m.Group, name)) {
			return true
		}
	}
	return false
}

// place decides a user's scope from the source IDs of its groups.
//
// Precedence: the site comes from the first mapping, in configuration
// order, whose group the user is in; the user is an agent when any mapping
// it matches says agent. A user in no mapped group is out of scope unless
// the integration imports all users, who then go to the default site.
func (s *scoper) place(groups []string) placement {
	first := -1
	agent := false
	for _, g := range groups {
		for _, i := range s.byGroup[g] {
			if first == -1 || i < first {
				first = i
			}
			if s.scope.Mappings[i].Role == store.RoleAgent {
				agent = true
			}
		}
	}
	role := store.RoleUser
	if agent {
		role = store.RoleAgent
	}
	if first == -1 {
		if s.scope.AllUsers {
			return placement{InScope: true, Site: s.scope.DefaultSite, Role: role, Why: "all users are imported"}
		}
		if len(s.scope.Mappings) == 0 {
			return placement{Why: "the integration has no mappings and does not import all users"}
		}
		return placement{Why: "not a member of any mapped group"}
	}
	m := s.scope.Mappings[first]
	site := m.Site
	if site == "" {
		site = s.scope.DefaultSite
	}
	return placement{InScope: true, Site: site, Role: role, Why: fmt.Sprintf("member of mapped group %q", m.Group)}
}

func containsInt(xs []int, x int) bool {
	for _, v := range xs {
		if v == x {
			return true
		}
	}
	return false
}
