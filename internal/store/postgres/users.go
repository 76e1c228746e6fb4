package postgres

import (
	"context"
	"encoding/json"
	"fmt"
	"slices"
	"strings"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgtype"

	"github.com/integrator-oss/integrator/internal/store"
)

const userColumns = `id, site_id, role, active, display_name, given_name, surname, upn, email,
	job_title, department, employee_id, immutable_id, user_type, manager_id,
	created_at, updated_at, deactivated_at, deactivated_reason, owners, deactivated_by`

// userWriteNames are the columns UserInsertMany writes, in userRow order.
var userWriteNames = []string{"id", "site_id", "role", "active", "display_name", "given_name", "surname",
	"upn", "email", "job_title", "department", "employee_id", "immutable_id", "user_type", "manager_id",
	"created_at", "updated_at", "deactivated_at", "deactivated_reason", "owners", "deactivated_by",
	"name_key", "upn_key", "email_key", "employee_id_key", "immutable_id_key"}

// userArrayTypes are the array types of userWriteNames, for unnest().
var userArrayTypes = []string{"bigint", "bigint", "text", "boolean", "text", "text", "text",
	"text", "text", "text", "text", "text", "text", "text", "bigint",
	"timestamptz", "timestamptz", "timestamptz", "text", "text", "bigint",
	"text", "text", "text", "text", "text"}

func scanUser(sc rowScanner) (store.User, error) {
	var (
		u                             store.User
		site, manager                 *int64
		created, updated, deactivated pgtype.Timestamptz
		owners                        string
	)
	if err := sc.Scan(&u.ID, &site, &u.Role, &u.Active, &u.DisplayName, &u.GivenName, &u.Surname,
		&u.UPN, &u.Email, &u.JobTitle, &u.Department, &u.EmployeeID, &u.ImmutableID, &u.UserType,
		&manager, &created, &updated, &deactivated, &u.DeactivatedReason, &owners, &u.DeactivatedBy); err != nil {
		return u, err
	}
	if owners != "" {
		if err := json.Unmarshal([]byte(owners), &u.Owners); err != nil {
			return u, fmt.Errorf("user %d: decoding field owners: %w", u.ID, err)
		}
	}
	if site != nil {
		u.SiteID = *site
	}
	if manager != nil {
		u.ManagerID = *manager
	}
	u.CreatedAt = timeOf(created)
	u.UpdatedAt = timeOf(updated)
	u.DeactivatedAt = timeOf(deactivated)
	return u, nil
}

func collectUsers(rows pgx.Rows, err error) ([]store.User, error) {
	if err != nil {
		return nil, interpretError(err)
	}
	out, err := pgx.CollectRows(rows, func(row pgx.CollectableRow) (store.User, error) { return scanUser(row) })
	return out, interpretError(err)
}

// userRow returns the userWriteNames values of u.
func userRow(u *store.User) []any {
	return []any{
		u.ID, idValue(u.SiteID), u.Role, u.Active, u.DisplayName, u.GivenName, u.Surname,
		u.UPN, u.Email, u.JobTitle, u.Department, u.EmployeeID, u.ImmutableID, u.UserType,
		idValue(u.ManagerID), timeValue(u.CreatedAt), timeValue(u.UpdatedAt),
		timeValue(u.DeactivatedAt), u.DeactivatedReason, ownersValue(u.Owners), u.DeactivatedBy,
		strings.ToLower(u.DisplayName), keyValue(u.UPN), keyValue(u.Email),
		keyValue(u.EmployeeID), keyValue(u.ImmutableID),
	}
}

// columnArrays turns rows into one array per column, for unnest(): the
// arrays are []any, which pgx encodes as the array type the statement
// casts its parameter to.
func columnArrays(width, n int, row func(i int) []any) []any {
	cols := make([][]any, width)
	for c := range cols {
		cols[c] = make([]any, n)
	}
	for i := range n {
		for c, v := range row(i) {
			cols[c][i] = v
		}
	}
	out := make([]any, width)
	for c := range cols {
		out[c] = cols[c]
	}
	return out
}

// unnestList returns "unnest($1::t1[], $2::t2[], ...)" for the given types.
func unnestList(types []string) string {
	var b strings.Builder
	b.WriteString("unnest(")
	for i, t := range types {
		if i > 0 {
			b.WriteString(", ")
		}
		fmt.Fprintf(&b, "$%d::%s[]", i+1, t)
	}
	b.WriteString(")")
	return b.String()
}

// UserGet returns a user by ID, or store.ErrNotFound.
func (r reader) UserGet(ctx context.Context, id int64) (*store.User, error) {
	u, err := scanUser(r.q.QueryRow(ctx, `SELECT `+userColumns+` FROM users WHERE id = $1`, id))
	if err != nil {
		return nil, fmt.Errorf("getting user %d: %w", id, interpretError(err))
	}
	return &u, nil
}

// UserGetMany returns the users with the given IDs that exist, by ID.
func (r reader) UserGetMany(ctx context.Context, ids []int64) ([]store.User, error) {
	if len(ids) == 0 {
		return nil, nil
	}
	out, err := collectUsers(r.q.Query(ctx,
		perKey("bigint", `SELECT `+userColumns+` FROM users WHERE id = k.v`, 1)+` ORDER BY id`, distinctIDs(ids)))
	if err != nil {
		return nil, fmt.Errorf("getting %d users: %w", len(ids), err)
	}
	return out, nil
}

// UserList lists users by ascending ID, filtered by p. Search matches a
// substring of the display name, UPN or email, case-insensitively.
func (r reader) UserList(ctx context.Context, p *store.EntityListParams) ([]store.User, error) {
	q, args := entityListQuery(`SELECT `+userColumns+` FROM users`, p,
		[]string{"name_key", "upn_key", "email_key"}, true)
	out, err := collectUsers(r.q.Query(ctx, q, args...))
	if err != nil {
		return nil, fmt.Errorf("listing users: %w", err)
	}
	return out, nil
}

// entityListQuery completes a list query with the filters of p over the
// given lower-cased search columns.
func entityListQuery(base string, p *store.EntityListParams, searchCols []string, hasSite bool) (string, []any) {
	if p == nil {
		p = &store.EntityListParams{}
	}
	var w where
	if p.Search != "" {
		var or []string
		for _, c := range searchCols {
			or = append(or, "strpos("+c+", $1) > 0")
		}
		w.addRaw("("+strings.Join(or, " OR ")+")", strings.ToLower(p.Search))
	}
	if p.Active != nil {
		w.add("active = ", *p.Active)
	}
	if hasSite && p.SiteID != 0 {
		w.add("site_id = ", p.SiteID)
	}
	if p.AfterID != 0 {
		w.add("id > ", p.AfterID)
	}
	q := base + w.String() + " ORDER BY id" + w.limit(p.Limit)
	return q, w.args
}

// userKeyColumns maps UserFind keys to their lower-cased columns.
var userKeyColumns = map[string]string{
	store.KeyImmutableID: "immutable_id_key",
	store.KeyUPN:         "upn_key",
	store.KeyEmail:       "email_key",
	store.KeyEmployeeID:  "employee_id_key",
}

// UserFind returns, for each value that matches, the IDs (ascending) of the
// users whose key field equals it case-insensitively: among the contacts
// when p.Contacts is set, else among the users and agents. Empty values
// match nothing.
func (t *tx) UserFind(ctx context.Context, p *store.UserFindParams) (map[string][]int64, error) {
	col, ok := userKeyColumns[p.Key]
	if !ok {
		return nil, fmt.Errorf("finding users: unknown key %q", p.Key)
	}
	var keys []string
	seen := make(map[string]bool, len(p.Values))
	for _, v := range p.Values {
		k := strings.ToLower(v)
		if k == "" || seen[k] {
			continue
		}
		seen[k] = true
		keys = append(keys, k)
	}
	out := make(map[string][]int64)
	if len(keys) == 0 {
		return out, nil
	}
	slices.Sort(keys)
	rows, err := t.q.Query(ctx, perKey("text", `SELECT `+col+`, id FROM users
		WHERE `+col+` = k.v AND (role = $2) = $3`, 1)+` ORDER BY id`, keys, store.RoleContact, p.Contacts)
	if err != nil {
		return nil, fmt.Errorf("finding users by %s: %w", p.Key, interpretError(err))
	}
	byKey := make(map[string][]int64)
	var (
		k  string
		id int64
	)
	if _, err := pgx.ForEachRow(rows, []any{&k, &id}, func() error {
		byKey[k] = append(byKey[k], id)
		return nil
	}); err != nil {
		return nil, fmt.Errorf("finding users by %s: %w", p.Key, interpretError(err))
	}
	for _, v := range p.Values {
		if ids, ok := byKey[strings.ToLower(v)]; ok {
			out[v] = slices.Clone(ids)
		}
	}
	return out, nil
}

// UserInsertMany inserts users, setting their IDs (ascending, from the
// users sequence) and their CreatedAt and UpdatedAt to now.
func (t *tx) UserInsertMany(ctx context.Context, users []store.User) error {
	if len(users) == 0 {
		return nil
	}
	ids, err := t.nextIDs(ctx, "users", len(users))
	if err != nil {
		return fmt.Errorf("inserting users: %w", err)
	}
	now := t.s.clock()
	for i := range users {
		users[i].ID = ids[i]
		users[i].CreatedAt = now
		users[i].UpdatedAt = now
	}
	row := func(i int) []any { return userRow(&users[i]) }
	if len(users) >= copyThreshold {
		_, err = t.q.CopyFrom(ctx, pgx.Identifier{"users"}, userWriteNames,
			pgx.CopyFromSlice(len(users), func(i int) ([]any, error) { return row(i), nil }))
	} else {
		_, err = t.q.Exec(ctx, `INSERT INTO users (`+strings.Join(userWriteNames, ", ")+`)
			SELECT * FROM `+unnestList(userArrayTypes),
			columnArrays(len(userWriteNames), len(users), row)...)
	}
	if err != nil {
		for i := range users {
			users[i].ID = 0
		}
		return fmt.Errorf("inserting %d users: %w", len(users), interpretError(err))
	}
	t.count("users", int64(len(users)))
	return nil
}

// UserUpdateMany replaces the stored fields of users by ID (CreatedAt
// excepted) and sets their UpdatedAt to now. It returns store.ErrNotFound
// if any ID does not exist. Rows go in ID order, so that two transactions
// updating the same people (one person linked from two sources) lock them
// in the same order instead of deadlocking.
func (t *tx) UserUpdateMany(ctx context.Context, users []store.User) error {
	if len(users) == 0 {
		return nil
	}
	now := t.s.clock()
	ids := make(map[int64]bool, len(users))
	for i := range users {
		users[i].UpdatedAt = now
		ids[users[i].ID] = true
	}
	order := byID(len(users), func(i int) int64 { return users[i].ID })
	tag, err := t.q.Exec(ctx, `
		UPDATE users SET
			site_id = v.site_id, role = v.role, active = v.active,
			display_name = v.display_name, given_name = v.given_name, surname = v.surname,
			upn = v.upn, email = v.email, job_title = v.job_title, department = v.department,
			employee_id = v.employee_id, immutable_id = v.immutable_id, user_type = v.user_type,
			manager_id = v.manager_id, updated_at = v.updated_at,
			deactivated_at = v.deactivated_at, deactivated_reason = v.deactivated_reason,
			owners = v.owners, deactivated_by = v.deactivated_by,
			name_key = v.name_key, upn_key = v.upn_key, email_key = v.email_key,
			employee_id_key = v.employee_id_key, immutable_id_key = v.immutable_id_key
		FROM `+unnestList(userArrayTypes)+` AS v (`+strings.Join(userWriteNames, ", ")+`)
		WHERE users.id = v.id`,
		columnArrays(len(userWriteNames), len(users), func(i int) []any { return userRow(&users[order[i]]) })...)
	if err != nil {
		return fmt.Errorf("updating %d users: %w", len(users), interpretError(err))
	}
	if n := tag.RowsAffected(); n < int64(len(ids)) {
		return fmt.Errorf("updating users: %w: %d of %d users", store.ErrNotFound, int64(len(ids))-n, len(ids))
	}
	t.count("users", tag.RowsAffected())
	return nil
}

// ownersValue encodes a user's field owners; none is the empty string.
func ownersValue(o map[string]int64) string {
	if len(o) == 0 {
		return ""
	}
	b, _ := json.Marshal(o)
	return string(b)
}
