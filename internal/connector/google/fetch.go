package google

import (
	"context"
	"fmt"
	"slices"
	"strings"

	admin "google.golang.org/api/admin/directory/v1"

	"github.com/integrator-oss/integrator/internal/connector"
	"github.com/integrator-oss/integrator/internal/httpclient"
	"github.com/integrator-oss/integrator/internal/record"
)

// Fetch lists the requested kinds, groups before users, and hands them to
// the sink page by page. Google has no delta API, so every fetch is a full
// listing (FetchResult.Full, no cursor). A page that fails after the HTTP
// client's retries fails the whole fetch, so the engine deactivates
// nothing.
func (s *Source) Fetch(ctx context.Context, req connector.FetchRequest, sink connector.Sink) (connector.FetchResult, error) {
	kinds := req.Kinds
	if len(kinds) == 0 {
		kinds = supportedKinds()
	}
	for _, k := range kinds {
		if !slices.Contains(supportedKinds(), k) {
			return connector.FetchResult{}, fmt.Errorf("selecting kinds: the google connector does not fetch %q records", k)
		}
	}
	r := &run{s: s, sink: sink}
	ctx = httpclient.WithHooks(ctx, httpclient.Hooks{OnRequest: r.onRequest, OnWait: r.onWait})
	if slices.Contains(kinds, record.KindGroup) {
		if err := r.groups(ctx); err != nil {
			return connector.FetchResult{}, err
		}
	}
	if slices.Contains(kinds, record.KindUser) {
		if err := r.users(ctx); err != nil {
			return connector.FetchResult{}, err
		}
	}
	return connector.FetchResult{Full: true}, nil
}

// run is the state of one Fetch.
type run struct {
	s        *Source
	sink     connector.Sink
	requests int
}

func (r *run) onRequest() {
	r.requests++
	r.sink.Progress(connector.Progress{Requests: r.requests})
}

func (r *run) onWait(w httpclient.Wait) {
	r.sink.Progress(connector.Progress{Requests: r.requests, Waiting: w.Delay})
}

// usersCall and groupsCall start a list call of the configured customer
// or domain.
func (s *Source) usersCall() *admin.UsersListCall {
	c := s.api.Users.List()
	if s.domain != "" {
		return c.Domain(s.domain)
	}
	return c.Customer(s.customer)
}

func (s *Source) groupsCall() *admin.GroupsListCall {
	c := s.api.Groups.List()
	if s.domain != "" {
		return c.Domain(s.domain)
	}
	return c.Customer(s.customer)
}

// users lists the users twice: a light pass that learns every email's user
// ID (managers are named by email, and the manager of an early user may
// come on a late page), then the full pass that emits the records.
func (r *run) users(ctx context.Context) error {
	ids := map[string]string{}
	call := r.s.usersCall().MaxResults(r.s.usersPage).OrderBy("email").
		Fields("nextPageToken", "users(id,primaryEmail,aliases)")
	n := 0
	err := call.Pages(ctx, func(p *admin.Users) error {
		n++
		for _, u := range p.Users {
			ids[strings.ToLower(u.PrimaryEmail)] = u.Id
			for _, a := range u.Aliases {
				ids[strings.ToLower(a)] = u.Id
			}
		}
		return nil
	})
	if err != nil {
		return fmt.Errorf("listing user emails, page %d: %w", n+1, apiError(ctx, err))
	}

	n = 0
	var sinkErr error
	call = r.s.usersCall().MaxResults(r.s.usersPage).OrderBy("email").Projection("full")
	err = call.Pages(ctx, func(p *admin.Users) error {
		n++
		recs := make([]record.Record, 0, len(p.Users))
		for _, u := range p.Users {
			rec, err := userRecord(u, ids)
			if err != nil {
				return fmt.Errorf("user %s: %w", u.Id, err)
			}
			if m := rec.Attrs[record.AttrManager]; m == "" && managerEmail(u) != "" {
				r.s.logger.Debug("manager is not a user of the listing", "user", u.Id)
			}
			recs = append(recs, rec)
		}
		r.s.logger.Debug("fetched page", "kind", record.KindUser, "page", n, "records", len(recs))
		if len(recs) > 0 {
			if err := r.sink.Page(ctx, recs); err != nil {
				sinkErr = err
				return err
			}
		}
		return nil
	})
	if sinkErr != nil {
		return fmt.Errorf("handling users page %d: %w", n, sinkErr)
	}
	if err != nil {
		return fmt.Errorf("listing users, page %d: %w", n+1, apiError(ctx, err))
	}
	return nil
}

// groupInfo is a group of the listing.
type groupInfo struct {
	id, email, name string
}

// direct is one group's direct members: user IDs and nested group IDs.
type direct struct {
	users, groups []string
}

// groups lists every group, then reads each group's members and emits one
// record per group with its complete, flattened user membership: the users
// of nested groups (of this customer) count as members, and a cycle of
// groups is walked once.
func (r *run) groups(ctx context.Context) error {
	var list []groupInfo
	known := map[string]bool{}
	n := 0
	err := r.s.groupsCall().MaxResults(r.s.groupsPage).OrderBy("email").Pages(ctx, func(p *admin.Groups) error {
		n++
		for _, g := range p.Groups {
			list = append(list, groupInfo{id: g.Id, email: g.Email, name: g.Name})
			known[g.Id] = true
		}
		return nil
	})
	if err != nil {
		return fmt.Errorf("listing groups, page %d: %w", n+1, apiError(ctx, err))
	}

	// Member lists of groups that turned out to be nested in another are
	// kept, so each is read once more at most.
	nested := map[string]*direct{}
	read := func(id string, keep bool) (*direct, error) {
		if d, ok := nested[id]; ok {
			return d, nil
		}
		d, err := r.members(ctx, id)
		if err != nil {
			return nil, err
		}
		if keep {
			nested[id] = d
		}
		return d, nil
	}

	batch := make([]record.Record, 0, groupsPageSize)
	for _, g := range list {
		d, err := read(g.id, false)
		if err != nil {
			return err
		}
		users := slices.Clone(d.users)
		seen := map[string]bool{g.id: true}
		queue := slices.Clone(d.groups)
		for len(queue) > 0 {
			id := queue[0]
			queue = queue[1:]
			if seen[id] {
				continue
			}
			seen[id] = true
			if !known[id] {
				r.s.logger.Debug("skipping a nested group outside the listing", "group", g.id, "nested", id)
				continue
			}
			sub, err := read(id, true)
			if err != nil {
				return err
			}
			users = append(users, sub.users...)
			queue = append(queue, sub.groups...)
		}
		slices.Sort(users)
		users = slices.Compact(users)
		batch = append(batch, record.Record{
			Kind:    record.KindGroup,
			ID:      g.id,
			Attrs:   map[string]string{record.AttrName: g.name, record.AttrMail: g.email},
			Members: &record.Members{Added: users, Complete: true},
		})
		if len(batch) == cap(batch) {
			if err := r.flushGroups(ctx, batch); err != nil {
				return err
			}
			batch = make([]record.Record, 0, groupsPageSize)
		}
	}
	if len(batch) > 0 {
		return r.flushGroups(ctx, batch)
	}
	return nil
}

func (r *run) flushGroups(ctx context.Context, batch []record.Record) error {
	r.s.logger.Debug("fetched groups", "records", len(batch))
	if err := r.sink.Page(ctx, batch); err != nil {
		return fmt.Errorf("handling groups: %w", err)
	}
	return nil
}

// members reads one group's direct members to the last page. Members of
// other types (the whole customer, external addresses without an account)
// are left out.
func (r *run) members(ctx context.Context, groupID string) (*direct, error) {
	d := &direct{}
	n := 0
	err := r.s.api.Members.List(groupID).MaxResults(r.s.membersPage).
		Fields("nextPageToken", "members(id,type)").
		Pages(ctx, func(p *admin.Members) error {
			n++
			for _, m := range p.Members {
				switch m.Type {
				case "USER":
					if m.Id != "" {
						d.users = append(d.users, m.Id)
					}
				case "GROUP":
					d.groups = append(d.groups, m.Id)
				}
			}
			return nil
		})
	if err != nil {
		return nil, fmt.Errorf("listing members of group %s, page %d: %w", groupID, n+1, apiError(ctx, err))
	}
	return d, nil
}
