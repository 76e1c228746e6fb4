package ldap

import (
	"context"
	"fmt"
	"slices"
	"strings"

	goldap "github.com/go-ldap/ldap/v3"

	"github.com/integrator-oss/integrator/internal/record"
)

// dirIndex maps the users in scope to their record IDs, by DN and (for
// posixGroup memberUid) by uid. It is built with one light paged search
// when a run needs it: to flatten group memberships and to turn manager
// DNs into IDs. It is the one structure of a run that grows with the
// directory (about 100 bytes a user).
type dirIndex struct {
	byDN  map[string]string
	byUID map[string]string
}

func (r *run) buildIndex(ctx context.Context) error {
	idx := &dirIndex{byDN: map[string]string{}, byUID: map[string]string{}}
	attrs := []string{r.info.idAttr}
	if r.root.dialect != DialectAD {
		attrs = append(attrs, "uid")
	}
	for _, base := range r.root.baseDNs {
		err := r.ss.search(ctx, base, r.userFilter(), attrs, func(entries []*goldap.Entry) error {
			for _, e := range entries {
				id := idOf(e, r.root.dialect)
				if id == "" {
					continue
				}
				idx.byDN[dnKey(e.DN)] = id
				for _, uid := range e.GetAttributeValues("uid") {
					idx.byUID[uid] = id
				}
			}
			return nil
		})
		if err != nil {
			return fmt.Errorf("indexing users: %w", err)
		}
	}
	r.index = idx
	return nil
}

// group is one group of the run, with its direct members.
type group struct {
	id, dn  string
	name    string
	mail    string
	changed bool
	// members are the DN keys of member / uniqueMember values.
	members []string
	// uids are memberUid values (posixGroup).
	uids []string
}

// groups reads every group in scope (a nested group's change changes its
// parents' flattened membership, so a delta needs them all), and emits
// the groups that changed and their ancestors — every group in a full run —
// each with its complete, flattened user membership.
func (r *run) groups(ctx context.Context) error {
	if !r.full {
		// Most deltas change no group: one light search says so, and
		// spares reading every group's members.
		changed, err := r.anyGroupChanged(ctx)
		if err != nil || !changed {
			return err
		}
	}
	all, err := r.readGroups(ctx)
	if err != nil {
		return err
	}
	byKey := make(map[string]*group, len(all))
	parents := map[*group][]*group{}
	for _, g := range all {
		byKey[dnKey(g.dn)] = g
	}
	for _, g := range all {
		for _, m := range g.members {
			if child, ok := byKey[m]; ok {
				parents[child] = append(parents[child], g)
			}
		}
	}
	// The groups to emit: the changed ones and, up the nesting, every
	// group that contains one.
	emit := map[*group]bool{}
	var up []*group
	for _, g := range all {
		if g.changed {
			emit[g] = true
			up = append(up, g)
		}
	}
	for len(up) > 0 {
		g := up[len(up)-1]
		up = up[:len(up)-1]
		for _, p := range parents[g] {
			if !emit[p] {
				emit[p] = true
				up = append(up, p)
			}
		}
	}
	if len(emit) == 0 {
		return nil
	}
	if r.index == nil {
		if err := r.buildIndex(ctx); err != nil {
			return err
		}
	}
	page := make([]record.Record, 0, r.s.cfg.PageSize)
	for _, g := range all {
		if !emit[g] {
			continue
		}
		page = append(page, record.Record{
			Kind: record.KindGroup,
			ID:   g.id,
			Attrs: map[string]string{
				record.AttrName:    g.name,
				record.AttrMail:    g.mail,
				record.AttrOrgUnit: parentDN(g.dn),
			},
			Members: &record.Members{Added: r.flatten(g, byKey), Complete: true},
		})
		if len(page) == cap(page) {
			if err := r.sink.Page(ctx, page); err != nil {
				return err
			}
			page = make([]record.Record, 0, r.s.cfg.PageSize)
		}
	}
	if len(page) > 0 {
		return r.sink.Page(ctx, page)
	}
	return nil
}

// flatten returns the IDs of the users in scope that are members of g,
// directly or through nested groups, sorted. Each group is walked once,
// so a cycle of groups ends.
func (r *run) flatten(g *group, byKey map[string]*group) []string {
	users := map[string]bool{}
	visited := map[*group]bool{g: true}
	stack := []*group{g}
	for len(stack) > 0 {
		cur := stack[len(stack)-1]
		stack = stack[:len(stack)-1]
		for _, m := range cur.members {
			if child, ok := byKey[m]; ok {
				if !visited[child] {
					visited[child] = true
					stack = append(stack, child)
				}
				continue
			}
			if id, ok := r.index.byDN[m]; ok {
				users[id] = true
			}
		}
		for _, uid := range cur.uids {
			if id, ok := r.index.byUID[uid]; ok {
				users[id] = true
			}
		}
	}
	ids := make([]string, 0, len(users))
	for id := range users {
		ids = append(ids, id)
	}
	slices.Sort(ids)
	return ids
}

// anyGroupChanged reports whether a group under the base DNs changed since
// the cursor.
func (r *run) anyGroupChanged(ctx context.Context) (bool, error) {
	found := false
	filter := and(r.info.groupFilter, r.s.cfg.GroupFilter, r.deltaFilter())
	for _, base := range r.root.baseDNs {
		err := r.ss.search(ctx, base, filter, []string{r.info.idAttr}, func(entries []*goldap.Entry) error {
			found = found || len(entries) > 0
			return nil
		})
		if err != nil {
			return false, fmt.Errorf("looking for changed groups: %w", err)
		}
		if found {
			return true, nil
		}
	}
	return false, nil
}

// readGroups reads every group under the base DNs with its direct
// members, completing AD's ranged member values.
func (r *run) readGroups(ctx context.Context) ([]*group, error) {
	var all []*group
	seenIDs := map[string]bool{}
	ad := r.root.dialect == DialectAD
	attrs := ldapGroupAttrs
	if ad {
		attrs = append(slices.Clone(adGroupAttrs), fmt.Sprintf("member;range=0-%d", r.s.cfg.MemberRangeSize-1))
	}
	filter := and(r.info.groupFilter, r.s.cfg.GroupFilter)
	for _, base := range r.root.baseDNs {
		err := r.ss.search(ctx, base, filter, attrs, func(entries []*goldap.Entry) error {
			for _, e := range entries {
				id := idOf(e, r.root.dialect)
				if id == "" || seenIDs[id] {
					continue
				}
				seenIDs[id] = true
				r.seen(e)
				g := &group{id: id, dn: e.DN, name: first(e, "displayName", "cn", "sAMAccountName"),
					mail: e.GetAttributeValue("mail"), changed: r.changed(e)}
				var values []string
				if ad {
					vals, next, _ := rangeOf(e, "member")
					var err error
					if values, err = r.ss.rangedValues(ctx, e.DN, "member", vals, next); err != nil {
						return fmt.Errorf("reading the members of group %q: %w", e.DN, err)
					}
				} else {
					values = append(e.GetAttributeValues("member"), uniqueMembers(e.GetAttributeValues("uniqueMember"))...)
					g.uids = e.GetAttributeValues("memberUid")
				}
				g.members = make([]string, len(values))
				for i, v := range values {
					g.members[i] = dnKey(v)
				}
				all = append(all, g)
			}
			return nil
		})
		if err != nil {
			return nil, fmt.Errorf("reading groups: %w", err)
		}
	}
	return all, nil
}

// uniqueMembers drops the optional "#'0101'B" unique identifier of
// uniqueMember values (RFC 4517 NameAndOptionalUID).
func uniqueMembers(values []string) []string {
	out := make([]string, len(values))
	for i, v := range values {
		if j := strings.LastIndex(v, "#'"); j > 0 && strings.HasSuffix(v, "'B") {
			v = v[:j]
		}
		out[i] = v
	}
	return out
}
