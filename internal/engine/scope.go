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
func (s *scoper) needsMembers() bool {
	for _, m := range s.scope.Mappings {
		if m.Group != "" {
			return true
		}
	}
	return false
}

// needsOrgUnit reports whether placing a user depends on its
// organisational unit.
func (s *scoper) needsOrgUnit() bool {
	for _, m := range s.scope.Mappings {
		if m.OrgUnit != "" {
			return true
		}
	}
	return false
}

func (s *scoper) invalidate() { s.resolved = false }

// resolve finds the source IDs of the mapped groups. A mapping whose group
// matches no known group simply places nobody, and the diagnostics say so.
func (s *scoper) resolve(ctx context.Context, r store.Reader, integrationID int64) error {
	if s.resolved {
		return nil
	}
	s.byGroup = make(map[string][]int)
	for i, m := range s.scope.Mappings {
		if m.Group == "" {
			continue
		}
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
		if m.Group == "" {
			continue
		}
		if m.Group == id || (name != "" && strings.EqualFold(m.Group, name)) {
			return true
		}
	}
	return false
}

// place decides a user's scope from the source IDs of its groups and the
// organisational unit it is filed in.
//
// Precedence: the site comes from the first group mapping, in
// configuration order, whose group the user is in; failing that, from the
// deepest organisational-unit mapping that holds the user. The user is an
// agent when any mapping it matches says agent. A user no mapping holds is
// out of scope unless the integration imports all users, who then go to
// the default site.
func (s *scoper) place(groups []string, orgUnit string) placement {
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
	deepest, depth := -1, 0
	if orgUnit != "" {
		for i, m := range s.scope.Mappings {
			if m.OrgUnit == "" {
				continue
			}
			d, ok := ouHolds(m.OrgUnit, orgUnit)
			if !ok {
				continue
			}
			if m.Role == store.RoleAgent {
				agent = true
			}
			if d > depth {
				deepest, depth = i, d
			}
		}
	}
	role := store.RoleUser
	if agent {
		role = store.RoleAgent
	}
	var why string
	switch {
	case first != -1:
		why = fmt.Sprintf("member of mapped group %q", s.scope.Mappings[first].Group)
	case deepest != -1:
		first = deepest
		why = fmt.Sprintf("filed under mapped organisational unit %q", s.scope.Mappings[deepest].OrgUnit)
	default:
		if s.scope.AllUsers {
			return placement{InScope: true, Site: s.scope.DefaultSite, Role: role, Why: "all users are imported"}
		}
		if len(s.scope.Mappings) == 0 {
			return placement{Why: "the integration has no mappings and does not import all users"}
		}
		if s.needsOrgUnit() {
			where := "no organisational unit"
			if orgUnit != "" {
				where = fmt.Sprintf("organisational unit %q", orgUnit)
			}
			return placement{Why: "not a member of any mapped group, and " + where + " is not under a mapped one"}
		}
		return placement{Why: "not a member of any mapped group"}
	}
	site := s.scope.Mappings[first].Site
	if site == "" {
		site = s.scope.DefaultSite
	}
	return placement{InScope: true, Site: site, Role: role, Why: why}
}

// placeContact places an organisational contact: always in scope (the
// integration imports contacts), at the site a mapping gives it or the
// default site, with the contact role.
func (s *scoper) placeContact(groups []string, orgUnit string) placement {
	p := s.place(groups, orgUnit)
	if !p.InScope {
		p = placement{InScope: true, Site: s.scope.DefaultSite, Why: "organisational contacts are imported"}
	}
	p.Role = store.RoleContact
	return p
}

// ouHolds reports whether the organisational unit unit is mapped or
// below it, and the mapped unit's depth. Units are LDAP DNs
// ("OU=Sales,OU=London,DC=corp,DC=example", the parent is the suffix) or
// Google paths ("/London/Sales", the parent is the prefix); both compare
// case-insensitively.
func ouHolds(mapped, unit string) (int, bool) {
	if strings.HasPrefix(mapped, "/") {
		m, u := strings.ToLower(strings.TrimSuffix(mapped, "/")), strings.ToLower(unit)
		if m == "" {
			return 1, true // "/" is the root unit: it holds everything
		}
		if u == m || strings.HasPrefix(u, m+"/") {
			return strings.Count(m, "/") + 1, true
		}
		return 0, false
	}
	m, u := normDN(mapped), normDN(unit)
	if m == "" {
		return 0, false
	}
	if u == m || strings.HasSuffix(u, ","+m) {
		return strings.Count(m, ",") + 1, true
	}
	return 0, false
}

// normDN lower-cases a DN and drops the blanks around its separators, so
// "OU=London, DC=corp" and "ou=london,dc=corp" compare equal.
func normDN(dn string) string {
	parts := strings.Split(strings.ToLower(dn), ",")
	for i, p := range parts {
		k, v, _ := strings.Cut(p, "=")
		parts[i] = strings.TrimSpace(k) + "=" + strings.TrimSpace(v)
	}
	return strings.Join(parts, ",")
}

func containsInt(xs []int, x int) bool {
	for _, v := range xs {
		if v == x {
			return true
		}
	}
	return false
}
