package engine

import (
	"context"
	"fmt"
	"maps"

	"github.com/integrator-oss/integrator/internal/store"
)

// userField reads and writes one owned field of a platform user.
type userField struct {
	name string
	ptr  func(*store.User) *string
}

var userFields = []userField{
	{"display_name", func(u *store.User) *string { return &u.DisplayName }},
	{"given_name", func(u *store.User) *string { return &u.GivenName }},
	{"surname", func(u *store.User) *string { return &u.Surname }},
	{"upn", func(u *store.User) *string { return &u.UPN }},
	{"email", func(u *store.User) *string { return &u.Email }},
	{"job_title", func(u *store.User) *string { return &u.JobTitle }},
	{"department", func(u *store.User) *string { return &u.Department }},
	{"employee_id", func(u *store.User) *string { return &u.EmployeeID }},
	{"immutable_id", func(u *store.User) *string { return &u.ImmutableID }},
	{"user_type", func(u *store.User) *string { return &u.UserType }},
}

// own applies the field-ownership rules to what this integration would
// write (nu) over the stored user (old). A user only one source writes has
// no owners and takes nu as it is. When a second source first links the
// user, firstOwner (the integration that wrote it until now) becomes the
// owner of every field it had set; from then on each field changes only
// at the hands of its owner or of a source that outranks it
// (integration.Ownership).
func (r *runner) own(ctx context.Context, tx store.Tx, old, nu store.User, firstOwner int64) (store.User, error) {
	self := r.p.Integration.ID
	owners := maps.Clone(old.Owners)
	if len(owners) == 0 {
		if firstOwner == 0 || firstOwner == self {
			nu.Owners = old.Owners
			return nu, nil
		}
		owners = map[string]int64{}
		for _, f := range userFields {
			if *f.ptr(&old) != "" {
				owners[f.name] = firstOwner
			}
		}
		if old.ManagerID != 0 {
			owners["manager"] = firstOwner
		}
	}
	may := func(field string) (bool, error) {
		cur := owners[field]
		if cur == 0 || cur == self {
			return true, nil
		}
		other, err := r.integrationByID(ctx, tx, cur)
		if err != nil {
			return false, err
		}
		if other == nil {
			// The owner is gone: the field is free.
			return true, nil
		}
		pol := r.p.Ownership
		return pol.Rank(field, r.p.Integration.Name, r.p.Integration.Type) < pol.Rank(field, other.Name, other.Type), nil
	}
	for _, f := range userFields {
		ok, err := may(f.name)
		if err != nil {
			return nu, err
		}
		switch {
		case !ok:
			*f.ptr(&nu) = *f.ptr(&old)
		case *f.ptr(&nu) != "":
			owners[f.name] = self
		}
	}
	ok, err := may("manager")
	if err != nil {
		return nu, err
	}
	switch {
	case !ok:
		nu.ManagerID = old.ManagerID
	case nu.ManagerID != 0:
		owners["manager"] = self
	}
	nu.Owners = owners
	return nu, nil
}

// integrationByID returns an integration by store ID (nil when it no
// longer exists), from a cache filled once per run.
func (r *runner) integrationByID(ctx context.Context, tx store.Tx, id int64) (*store.Integration, error) {
	if r.integrations == nil {
		list, err := tx.IntegrationList(ctx)
		if err != nil {
			return nil, fmt.Errorf("listing integrations: %w", err)
		}
		r.integrations = make(map[int64]*store.Integration, len(list))
		for i := range list {
			r.integrations[list[i].ID] = &list[i]
		}
	}
	return r.integrations[id], nil
}

// integrationName names an integration for messages.
func (r *runner) integrationName(ctx context.Context, tx store.Tx, id int64) string {
	in, err := r.integrationByID(ctx, tx, id)
	if err != nil || in == nil {
		return fmt.Sprintf("#%d", id)
	}
	return in.Name
}
