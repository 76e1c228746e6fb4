package engine

import (
	"context"
	"fmt"
	"maps"
	"strconv"

	"github.com/integrator-oss/integrator/internal/store"
)

// ownedField reads and writes one field of an entity under the
// field-ownership rules.
type ownedField[T any] struct {
	name string
	get  func(*T) string
	set  func(*T, string)
}

func strField[T any](name string, ptr func(*T) *string) ownedField[T] {
	return ownedField[T]{name: name, get: func(t *T) string { return *ptr(t) }, set: func(t *T, v string) { *ptr(t) = v }}
}

func idField[T any](name string, ptr func(*T) *int64) ownedField[T] {
	return ownedField[T]{
		name: name,
		get: func(t *T) string {
			if *ptr(t) == 0 {
				return ""
			}
			return strconv.FormatInt(*ptr(t), 10)
		},
		set: func(t *T, v string) { *ptr(t), _ = strconv.ParseInt(v, 10, 64) },
	}
}

var userFields = []ownedField[store.User]{
	strField("display_name", func(u *store.User) *string { return &u.DisplayName }),
	strField("given_name", func(u *store.User) *string { return &u.GivenName }),
	strField("surname", func(u *store.User) *string { return &u.Surname }),
	strField("upn", func(u *store.User) *string { return &u.UPN }),
	strField("email", func(u *store.User) *string { return &u.Email }),
	strField("job_title", func(u *store.User) *string { return &u.JobTitle }),
	strField("department", func(u *store.User) *string { return &u.Department }),
	strField("employee_id", func(u *store.User) *string { return &u.EmployeeID }),
	strField("immutable_id", func(u *store.User) *string { return &u.ImmutableID }),
	strField("user_type", func(u *store.User) *string { return &u.UserType }),
	idField("manager", func(u *store.User) *int64 { return &u.ManagerID }),
}

// own applies the field-ownership rules to what this integration would
// write of a user (nu) over the stored one (old).
func (r *runner) own(ctx context.Context, tx store.Tx, old, nu store.User, firstOwner int64) (store.User, error) {
	owners, err := applyOwnership(ctx, r, tx, old.Owners, &old, &nu, userFields, firstOwner)
	nu.Owners = owners
	return nu, err
}

// applyOwnership merges what this integration would write (nu) over the
// stored entity (old), field by field, and returns the owners to store.
//
// An entity only one source writes has no owners and takes nu as it is.
// When a second source first links it, firstOwner (the integration that
// wrote it until now) becomes the owner of every field it had set; from
// then on each field changes only at the hands of its owner or of a source
// that outranks it (integration.Ownership), and a lower-ranked source only
// fills fields nobody owns.
func applyOwnership[T any](ctx context.Context, r *runner, tx store.Tx, current map[string]int64, old, nu *T, fields []ownedField[T], firstOwner int64) (map[string]int64, error) {
	self := r.p.Integration.ID
	owners := maps.Clone(current)
	if len(owners) == 0 {
		if firstOwner == 0 || firstOwner == self {
			return current, nil
		}
		owners = map[string]int64{}
		for _, f := range fields {
			if f.get(old) != "" {
				owners[f.name] = firstOwner
			}
		}
	}
	for _, f := range fields {
		cur := owners[f.name]
		ok := cur == 0 || cur == self
		if !ok {
			other, err := r.integrationByID(ctx, tx, cur)
			if err != nil {
				return nil, err
			}
			// A field whose owner is gone is free.
			pol := r.p.Ownership
			ok = other == nil || pol.Rank(f.name, r.p.Integration.Name, r.p.Integration.Type) < pol.Rank(f.name, other.Name, other.Type)
		}
		switch {
		case !ok:
			f.set(nu, f.get(old))
		case f.get(nu) != "":
			owners[f.name] = self
		}
	}
	return owners, nil
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
