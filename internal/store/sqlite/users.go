package sqlite

import (
	"context"
	"database/sql"
	"encoding/json"
	"fmt"
	"slices"
	"strings"

	"github.com/integrator-oss/integrator/internal/store"
)

const userColumns = `id, site_id, role, active, display_name, given_name, surname, upn, email,
	job_title, department, employee_id, immutable_id, user_type, manager_id,
	created_at, updated_at, deactivated_at, deactivated_reason, owners, deactivated_by`

// userWriteColumns are the columns UserInsertMany writes, in userArgs order.
const userWriteColumns = userColumns + `,
	name_key, upn_key, email_key, employee_id_key, immutable_id_key`

const userWidth = 26

func scanUser(sc interface{ Scan(...any) error }) (store.User, error) {
	var (
		u                             store.User
		site, manager                 sql.NullInt64
		created, updated, deactivated sql.NullInt64
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
	u.SiteID = site.Int64
	u.ManagerID = manager.Int64
	u.CreatedAt = timeOf(created)
	u.UpdatedAt = timeOf(updated)
	u.DeactivatedAt = timeOf(deactivated)
	return u, nil
}

// userArgs appends the userWriteColumns values of u.
func userArgs(args []any, u *store.User) []any {
	return append(args,
		u.ID, idValue(u.SiteID), u.Role, u.Active, u.DisplayName, u.GivenName, u.Surname,
		u.UPN, u.Email, u.JobTitle, u.Department, u.EmployeeID, u.ImmutableID, u.UserType,
		idValue(u.ManagerID), timeValue(u.CreatedAt), timeValue(u.UpdatedAt),
		timeValue(u.DeactivatedAt), u.DeactivatedReason, ownersValue(u.Owners), u.DeactivatedBy,
		strings.ToLower(u.DisplayName), keyValue(u.UPN), keyValue(u.Email),
		keyValue(u.EmployeeID), keyValue(u.ImmutableID))
}

// UserGet returns a user by ID, or store.ErrNotFound.
func (r reader) UserGet(ctx context.Context, id int64) (*store.User, error) {
	u, err := scanUser(r.queryRow(ctx, "users.get", text(`SELECT `+userColumns+` FROM users WHERE id = ?`), id))
	if err != nil {
		return nil, fmt.Errorf("getting user %d: %w", id, interpretError(err))
	}
	return &u, nil
}

// UserGetMany returns the users with the given IDs that exist, by ID.
func (r reader) UserGetMany(ctx context.Context, ids []int64) ([]store.User, error) {
	var out []store.User
	err := chunks(ids, lookupChunk, func(part []int64) error {
		n, args := inArgs(nil, part)
		rows, err := r.query(ctx, batchKey("users.getmany", n), func() string {
			return `SELECT ` + userColumns + ` FROM users WHERE id IN (` + inList(n) + `) ORDER BY id`
		}, args...)
		if err != nil {
			return err
		}
		defer rows.Close()
		for rows.Next() {
			u, err := scanUser(rows)
			if err != nil {
				return err
			}
			out = append(out, u)
		}
		return interpretError(rows.Err())
	})
	if err != nil {
		return nil, fmt.Errorf("getting users: %w", err)
	}
	return out, nil
}

// UserList lists users by ascending ID, filtered by p. Search matches a
// substring of the display name, UPN or email, case-insensitively.
func (r reader) UserList(ctx context.Context, p *store.EntityListParams) ([]store.User, error) {
	q, args := entityListQuery(`SELECT `+userColumns+` FROM users`, p,
		[]string{"name_key", "upn_key", "email_key"}, true)
	rows, err := r.q.QueryContext(ctx, q, args...)
	if err != nil {
		return nil, fmt.Errorf("listing users: %w", interpretError(err))
	}
	defer rows.Close()
	var out []store.User
	for rows.Next() {
		u, err := scanUser(rows)
		if err != nil {
			return nil, fmt.Errorf("listing users: %w", err)
		}
		out = append(out, u)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("listing users: %w", interpretError(err))
	}
	return out, nil
}

// entityListQuery completes a list query with the filters of p over the
// given lower-cased search columns.
func entityListQuery(base string, p *store.EntityListParams, searchCols []string, hasSite bool) (string, []any) {
	if p == nil {
		p = &store.EntityListParams{}
	}
	var (
		where []string
		args  []any
	)
	if p.Search != "" {
		needle := strings.ToLower(p.Search)
		var or []string
		for _, c := range searchCols {
			or = append(or, "instr("+c+", ?) > 0")
			args = append(args, needle)
		}
		where = append(where, "("+strings.Join(or, " OR ")+")")
	}
	if p.Active != nil {
		where = append(where, "active = ?")
		args = append(args, *p.Active)
	}
	if hasSite && p.SiteID != 0 {
		where = append(where, "site_id = ?")
		args = append(args, p.SiteID)
	}
	if p.AfterID != 0 {
		where = append(where, "id > ?")
		args = append(args, p.AfterID)
	}
	q := base
	if len(where) > 0 {
		q += " WHERE " + strings.Join(where, " AND ")
	}
	q += " ORDER BY id"
	if p.Limit > 0 {
		q += " LIMIT ?"
		args = append(args, p.Limit)
	}
	return q, args
}

// userKeyColumns maps UserFind keys to their lower-cased columns.
var userKeyColumns = map[string]string{
	store.KeyImmutableID: "immutable_id_key",
	store.KeyUPN:         "upn_key",
	store.KeyEmail:       "email_key",
	store.KeyEmployeeID:  "employee_id_key",
}

// UserFind returns, for each value that matches, the IDs (ascending) of the
// users whose key field equals it case-insensitively. Empty values match
// nothing.
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
	byKey := make(map[string][]int64)
	err := chunks(keys, lookupChunk, func(part []string) error {
		n, args := inArgs(nil, part)
		rows, err := t.query(ctx, batchKey("users.find2."+col, n), func() string {
			return `SELECT ` + col + `, id FROM users WHERE ` + col + ` IN (` + inList(n) + `)
				AND (role = 'contact') = ? ORDER BY id`
		}, append(args, p.Contacts)...)
		if err != nil {
			return err
		}
		defer rows.Close()
		for rows.Next() {
			var (
				k  string
				id int64
			)
			if err := rows.Scan(&k, &id); err != nil {
				return err
			}
			byKey[k] = append(byKey[k], id)
		}
		return interpretError(rows.Err())
	})
	if err != nil {
		return nil, fmt.Errorf("finding users by %s: %w", p.Key, err)
	}
	out := make(map[string][]int64)
	for _, v := range p.Values {
		if ids, ok := byKey[strings.ToLower(v)]; ok {
			out[v] = slices.Clone(ids)
		}
	}
	return out, nil
}

// UserInsertMany inserts users, setting their IDs and their CreatedAt and
// UpdatedAt to now. IDs are allocated from the table's highest ID, which is
// safe because every write runs on the one writer connection inside an
// IMMEDIATE transaction.
func (t *tx) UserInsertMany(ctx context.Context, users []store.User) error {
	if len(users) == 0 {
		return nil
	}
	var maxID int64
	if err := t.queryRow(ctx, "users.maxid", text(`SELECT COALESCE(MAX(id), 0) FROM users`)).Scan(&maxID); err != nil {
		return fmt.Errorf("inserting users: %w", interpretError(err))
	}
	now := t.s.clock()
	for i := range users {
		users[i].ID = maxID + int64(i) + 1
		users[i].CreatedAt = now
		users[i].UpdatedAt = now
	}
	err := forBatches(len(users), userWidth, func(start, rows int) error {
		args := t.args(rows * userWidth)
		for i := start; i < start+rows; i++ {
			args = userArgs(args, &users[i])
		}
		_, err := t.exec(ctx, batchKey("users.insert", rows), func() string {
			return `INSERT INTO users (` + userWriteColumns + `) VALUES ` + placeholders(userWidth, rows)
		}, args...)
		return err
	})
	if err != nil {
		for i := range users {
			users[i].ID = 0
		}
		return fmt.Errorf("inserting users: %w", err)
	}
	return nil
}

// UserUpdateMany replaces the stored fields of users by ID (CreatedAt
// excepted) and sets their UpdatedAt to now. It returns store.ErrNotFound
// if any ID does not exist.
func (t *tx) UserUpdateMany(ctx context.Context, users []store.User) error {
	if len(users) == 0 {
		return nil
	}
	now := t.s.clock()
	for i := range users {
		users[i].UpdatedAt = now
	}
	err := forBatches(len(users), userWidth, func(start, rows int) error {
		args := t.args(rows * userWidth)
		ids := make(map[int64]bool, rows)
		for i := start; i < start+rows; i++ {
			args = userArgs(args, &users[i])
			ids[users[i].ID] = true
		}
		res, err := t.exec(ctx, batchKey("users.update", rows), func() string {
			return `
			WITH v (` + userWriteColumns + `) AS (VALUES ` + placeholders(userWidth, rows) + `)
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
			FROM v WHERE users.id = v.id`
		}, args...)
		if err != nil {
			return err
		}
		if n, _ := res.RowsAffected(); n < int64(len(ids)) {
			return fmt.Errorf("%w: %d of %d users", store.ErrNotFound, int64(len(ids))-n, len(ids))
		}
		return nil
	})
	if err != nil {
		return fmt.Errorf("updating users: %w", err)
	}
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
