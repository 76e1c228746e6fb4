package google

import (
	"errors"
	"fmt"
	"slices"
	"strings"
	"time"
)

// Errors returned by the mutation methods.
var (
	// ErrNotFound means the user, group or member does not exist.
	ErrNotFound = errors.New("not found")
	// ErrInvalid means the change is not one Google would accept (a
	// duplicate email, a group that would contain itself).
	ErrInvalid = errors.New("invalid change")
)

// Member types and roles of members.list.
const (
	TypeUser  = "USER"
	TypeGroup = "GROUP"

	RoleOwner   = "OWNER"
	RoleManager = "MANAGER"
	RoleMember  = "MEMBER"
)

// User is a directory user as the emulator's callers see it.
type User struct {
	// ID is Google's immutable numeric user ID; AddUser assigns one.
	ID           string
	PrimaryEmail string
	Aliases      []string
	GivenName    string
	FamilyName   string
	// Suspended users cannot sign in; SuspensionReason says why ("ADMIN"
	// by default when suspended).
	Suspended        bool
	SuspensionReason string
	// Archived users keep their data under an archived-user licence.
	Archived bool
	IsAdmin  bool
	// OrgUnitPath is the user's organisational unit. Defaults to "/".
	OrgUnitPath string
	// Title and Department are the primary organizations entry.
	Title      string
	Department string
	// EmployeeID is the externalIds entry of type "organization".
	EmployeeID string
	// ManagerEmail is the relations entry of type "manager".
	ManagerEmail string
	// CreationTime defaults to the time the user was added.
	CreationTime time.Time
	// LastLoginTime is zero for a user who never signed in (Google then
	// reports 1970-01-01T00:00:00.000Z).
	LastLoginTime time.Time
	// DeletionTime is set on a deleted user. Output only.
	DeletionTime time.Time
}

// FullName is the name Google derives from the given and family names.
func (u User) FullName() string { return strings.TrimSpace(u.GivenName + " " + u.FamilyName) }

// Group is a directory group.
type Group struct {
	// ID is Google's immutable group ID; AddGroup assigns one.
	ID          string
	Email       string
	Name        string
	Description string
}

// Member is one direct member of a group.
type Member struct {
	// ID is the member's user or group ID.
	ID string
	// Type is TypeUser or TypeGroup.
	Type string
	// Role is RoleOwner, RoleManager or RoleMember.
	Role string
}

type userRec struct {
	User
	etag uint64
}

type memberRec struct {
	Member
	seq uint64
}

type groupRec struct {
	Group
	etag    uint64
	members []memberRec
	nextSeq uint64
}

// dir is the directory: the objects, their indexes and the sort caches.
// It is guarded by Emulator.mu.
type dir struct {
	users   map[string]*userRec // by ID, deleted users included
	emails  map[string]string   // lower-case primary email or alias → user ID (not deleted)
	groups  map[string]*groupRec
	gEmails map[string]string // lower-case group email → group ID
	nextID  uint64
	version uint64 // bumped by every change; invalidates the sort caches
	created time.Time
	sorted  map[string]sortCache
}

type sortCache struct {
	version uint64
	keys    []string // sort keys, ascending
	ids     []string
}

func newDir(now time.Time) dir {
	return dir{
		users:   map[string]*userRec{},
		emails:  map[string]string{},
		groups:  map[string]*groupRec{},
		gEmails: map[string]string{},
		created: now.UTC().Truncate(time.Second),
		sorted:  map[string]sortCache{},
	}
}

// newID returns a user ID shaped like Google's: 21 decimal digits.
func (d *dir) newID() string {
	d.nextID++
	return "1048576" + fmt.Sprintf("%014d", d.nextID)
}

// newGroupID returns a group ID shaped like Google's: 15 characters.
func (d *dir) newGroupID() string {
	d.nextID++
	return "03" + fmt.Sprintf("%013x", d.nextID)
}

func (d *dir) changed() { d.version++ }

// AddUser adds a user and returns it with its ID and defaults filled in.
func (e *Emulator) AddUser(u User) (User, error) {
	e.mu.Lock()
	defer e.mu.Unlock()
	email := strings.ToLower(strings.TrimSpace(u.PrimaryEmail))
	if email == "" || !strings.Contains(email, "@") {
		return User{}, fmt.Errorf("%w: primary email %q", ErrInvalid, u.PrimaryEmail)
	}
	if e.emailTaken(email) {
		return User{}, fmt.Errorf("%w: %s is taken", ErrInvalid, email)
	}
	for _, a := range u.Aliases {
		if e.emailTaken(strings.ToLower(a)) {
			return User{}, fmt.Errorf("%w: alias %s is taken", ErrInvalid, a)
		}
	}
	if u.ID == "" {
		u.ID = e.newID()
	} else if _, dup := e.users[u.ID]; dup {
		return User{}, fmt.Errorf("%w: user ID %s exists", ErrInvalid, u.ID)
	}
	u.PrimaryEmail = email
	u.Aliases = slices.Clone(u.Aliases)
	if u.OrgUnitPath == "" {
		u.OrgUnitPath = "/"
	}
	if u.Suspended && u.SuspensionReason == "" {
		u.SuspensionReason = "ADMIN"
	}
	if u.CreationTime.IsZero() {
		u.CreationTime = e.created.Add(time.Duration(len(e.users)) * time.Minute)
	}
	u.DeletionTime = time.Time{}
	e.users[u.ID] = &userRec{User: u, etag: e.version + 1}
	e.indexUser(&u)
	e.changed()
	return u, nil
}

func (d *dir) emailTaken(email string) bool {
	_, u := d.emails[email]
	_, g := d.gEmails[email]
	return u || g
}

func (d *dir) indexUser(u *User) {
	d.emails[u.PrimaryEmail] = u.ID
	for _, a := range u.Aliases {
		d.emails[strings.ToLower(a)] = u.ID
	}
}

func (d *dir) unindexUser(u *User) {
	delete(d.emails, u.PrimaryEmail)
	for _, a := range u.Aliases {
		delete(d.emails, strings.ToLower(a))
	}
}

// User returns a user by ID or email (deleted users by ID only).
func (e *Emulator) User(key string) (User, bool) {
	e.mu.RLock()
	defer e.mu.RUnlock()
	r := e.userByKey(key, true)
	if r == nil {
		return User{}, false
	}
	u := r.User
	u.Aliases = slices.Clone(u.Aliases)
	return u, true
}

func (d *dir) userByKey(key string, deleted bool) *userRec {
	if r, ok := d.users[key]; ok && (deleted || r.DeletionTime.IsZero()) {
		return r
	}
	if id, ok := d.emails[strings.ToLower(key)]; ok {
		return d.users[id]
	}
	return nil
}

// UpdateUser applies change to a live user. The ID cannot change; a new
// primary email must be free.
func (e *Emulator) UpdateUser(key string, change func(*User)) error {
	e.mu.Lock()
	defer e.mu.Unlock()
	r := e.userByKey(key, false)
	if r == nil {
		return fmt.Errorf("user %s: %w", key, ErrNotFound)
	}
	u := r.User
	u.Aliases = slices.Clone(u.Aliases)
	change(&u)
	u.ID = r.ID
	u.PrimaryEmail = strings.ToLower(strings.TrimSpace(u.PrimaryEmail))
	e.unindexUser(&r.User)
	taken := e.emailTaken(u.PrimaryEmail)
	for _, a := range u.Aliases {
		taken = taken || e.emailTaken(strings.ToLower(a))
	}
	if taken || u.PrimaryEmail == "" {
		e.indexUser(&r.User)
		return fmt.Errorf("%w: an email of user %s is taken or empty", ErrInvalid, key)
	}
	if u.OrgUnitPath == "" {
		u.OrgUnitPath = "/"
	}
	switch {
	case !u.Suspended:
		u.SuspensionReason = ""
	case u.SuspensionReason == "":
		u.SuspensionReason = "ADMIN"
	}
	u.DeletionTime = r.DeletionTime
	r.User = u
	e.indexUser(&r.User)
	e.changed()
	r.etag = e.version
	return nil
}

// SuspendUser suspends or unsuspends a user.
func (e *Emulator) SuspendUser(key string, suspended bool) error {
	return e.UpdateUser(key, func(u *User) { u.Suspended = suspended })
}

// ArchiveUser archives or unarchives a user.
func (e *Emulator) ArchiveUser(key string, archived bool) error {
	return e.UpdateUser(key, func(u *User) { u.Archived = archived })
}

// MoveUser moves a user to another organisational unit.
func (e *Emulator) MoveUser(key, orgUnitPath string) error {
	return e.UpdateUser(key, func(u *User) { u.OrgUnitPath = orgUnitPath })
}

// SetManager sets a user's manager relation to an email ("" removes it).
func (e *Emulator) SetManager(key, managerEmail string) error {
	return e.UpdateUser(key, func(u *User) { u.ManagerEmail = managerEmail })
}

// DeleteUser deletes a user: it leaves every group and the live listing,
// and shows in users.list?showDeleted=true for DeletedRetention.
func (e *Emulator) DeleteUser(key string) error {
	e.mu.Lock()
	defer e.mu.Unlock()
	r := e.userByKey(key, false)
	if r == nil {
		return fmt.Errorf("user %s: %w", key, ErrNotFound)
	}
	e.unindexUser(&r.User)
	r.DeletionTime = e.opts.Now().UTC()
	for _, g := range e.groups {
		e.dropMember(g, r.ID)
	}
	e.changed()
	r.etag = e.version
	return nil
}

// AddGroup adds a group and returns it with its ID.
func (e *Emulator) AddGroup(g Group) (Group, error) {
	e.mu.Lock()
	defer e.mu.Unlock()
	email := strings.ToLower(strings.TrimSpace(g.Email))
	if email == "" || !strings.Contains(email, "@") {
		return Group{}, fmt.Errorf("%w: group email %q", ErrInvalid, g.Email)
	}
	if e.emailTaken(email) {
		return Group{}, fmt.Errorf("%w: %s is taken", ErrInvalid, email)
	}
	if g.ID == "" {
		g.ID = e.newGroupID()
	} else if _, dup := e.groups[g.ID]; dup {
		return Group{}, fmt.Errorf("%w: group ID %s exists", ErrInvalid, g.ID)
	}
	g.Email = email
	if g.Name == "" {
		g.Name, _, _ = strings.Cut(email, "@")
	}
	e.groups[g.ID] = &groupRec{Group: g, etag: e.version + 1}
	e.gEmails[email] = g.ID
	e.changed()
	return g, nil
}

func (d *dir) groupByKey(key string) *groupRec {
	if g, ok := d.groups[key]; ok {
		return g
	}
	if id, ok := d.gEmails[strings.ToLower(key)]; ok {
		return d.groups[id]
	}
	return nil
}

// DeleteGroup deletes a group; it also leaves the groups it was a member of.
func (e *Emulator) DeleteGroup(key string) error {
	e.mu.Lock()
	defer e.mu.Unlock()
	g := e.groupByKey(key)
	if g == nil {
		return fmt.Errorf("group %s: %w", key, ErrNotFound)
	}
	delete(e.groups, g.ID)
	delete(e.gEmails, g.Email)
	for _, o := range e.groups {
		e.dropMember(o, g.ID)
	}
	e.changed()
	return nil
}

// RenameGroup changes a group's display name.
func (e *Emulator) RenameGroup(key, name string) error {
	e.mu.Lock()
	defer e.mu.Unlock()
	g := e.groupByKey(key)
	if g == nil {
		return fmt.Errorf("group %s: %w", key, ErrNotFound)
	}
	g.Name = name
	e.changed()
	g.etag = e.version
	return nil
}

// AddMember adds a user or a group (by ID or email) to a group with role
// (RoleMember when empty). Google allows a group to contain a group that
// contains it, so cycles are accepted; only a group inside itself is not.
func (e *Emulator) AddMember(groupKey, memberKey, role string) error {
	e.mu.Lock()
	defer e.mu.Unlock()
	g := e.groupByKey(groupKey)
	if g == nil {
		return fmt.Errorf("group %s: %w", groupKey, ErrNotFound)
	}
	m := Member{Role: role}
	if m.Role == "" {
		m.Role = RoleMember
	}
	if u := e.userByKey(memberKey, false); u != nil {
		m.ID, m.Type = u.ID, TypeUser
	} else if sub := e.groupByKey(memberKey); sub != nil {
		if sub.ID == g.ID {
			return fmt.Errorf("%w: group %s cannot be its own member", ErrInvalid, g.Email)
		}
		m.ID, m.Type = sub.ID, TypeGroup
	} else {
		return fmt.Errorf("member %s: %w", memberKey, ErrNotFound)
	}
	for _, x := range g.members {
		if x.ID == m.ID {
			return fmt.Errorf("%w: %s is already a member of %s", ErrInvalid, memberKey, g.Email)
		}
	}
	g.nextSeq++
	g.members = append(g.members, memberRec{Member: m, seq: g.nextSeq})
	e.changed()
	g.etag = e.version
	return nil
}

// RemoveMember removes a direct member (by ID or email) from a group.
func (e *Emulator) RemoveMember(groupKey, memberKey string) error {
	e.mu.Lock()
	defer e.mu.Unlock()
	g := e.groupByKey(groupKey)
	if g == nil {
		return fmt.Errorf("group %s: %w", groupKey, ErrNotFound)
	}
	id := memberKey
	if u := e.userByKey(memberKey, false); u != nil {
		id = u.ID
	} else if sub := e.groupByKey(memberKey); sub != nil {
		id = sub.ID
	}
	if !e.dropMember(g, id) {
		return fmt.Errorf("member %s of %s: %w", memberKey, g.Email, ErrNotFound)
	}
	e.changed()
	return nil
}

func (d *dir) dropMember(g *groupRec, id string) bool {
	i := slices.IndexFunc(g.members, func(m memberRec) bool { return m.ID == id })
	if i < 0 {
		return false
	}
	g.members = slices.Delete(g.members, i, i+1)
	g.etag = d.version + 1
	return true
}

// Members returns a group's direct members.
func (e *Emulator) Members(groupKey string) ([]Member, error) {
	e.mu.RLock()
	defer e.mu.RUnlock()
	g := e.groupByKey(groupKey)
	if g == nil {
		return nil, fmt.Errorf("group %s: %w", groupKey, ErrNotFound)
	}
	out := make([]Member, len(g.members))
	for i, m := range g.members {
		out[i] = m.Member
	}
	return out, nil
}

// Counts returns the number of live users, deleted users and groups.
func (e *Emulator) Counts() (users, deleted, groups int) {
	e.mu.RLock()
	defer e.mu.RUnlock()
	for _, u := range e.users {
		if u.DeletionTime.IsZero() {
			users++
		} else {
			deleted++
		}
	}
	return users, deleted, len(e.groups)
}
