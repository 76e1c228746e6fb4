package graph

import "fmt"

// AddUser creates a user and returns its ID (generated when u.ID is empty).
// Adding an ID that already exists replaces that user's fields and makes it
// active again, as a restore followed by an update would.
func (e *Emulator) AddUser(u User) string {
	e.mu.Lock()
	defer e.mu.Unlock()
	if u.ID == "" {
		u.ID = e.newID()
	}
	created := u.CreatedDateTime
	if created.IsZero() {
		created = e.opts.Now()
	}
	if i, ok := e.userIdx[u.ID]; ok {
		r := &e.users[i]
		wasSoftDeleted := r.state == stateSoftDeleted
		r.setFields(&u)
		r.state = stateActive
		e.touchUser(i)
		if wasSoftDeleted {
			e.restoreMemberships(r.groups)
		}
		return u.ID
	}
	e.appendUser(&u, created.Unix())
	return u.ID
}

// appendUser stores a new user under e.mu and records its creation.
func (e *Emulator) appendUser(u *User, created int64) int32 {
	i := int32(len(e.users))
	e.users = append(e.users, userRec{id: u.ID, created: created})
	e.users[i].setFields(u)
	e.userIdx[u.ID] = i
	e.touchUser(i)
	return i
}

// UpdateUser applies fn to an active user. The ID and the Deleted flag
// cannot be changed; a manager must be another active user.
func (e *Emulator) UpdateUser(id string, fn func(*User)) error {
	e.mu.Lock()
	defer e.mu.Unlock()
	i, ok := e.activeUser(id)
	if !ok {
		return fmt.Errorf("updating user %q: %w", id, ErrNotFound)
	}
	r := &e.users[i]
	before := r.toUser()
	after := before
	fn(&after)
	after.ID, after.Deleted, after.CreatedDateTime = before.ID, before.Deleted, before.CreatedDateTime
	if after == before {
		return nil
	}
	if after.ManagerID != before.ManagerID && after.ManagerID != "" {
		if _, ok := e.activeUser(after.ManagerID); !ok || after.ManagerID == id {
			return fmt.Errorf("updating user %q: manager %q: %w", id, after.ManagerID, ErrInvalid)
		}
	}
	r.setFields(&after)
	e.touchUser(i)
	return nil
}

// SoftDeleteUser moves an active user to deleted items: delta rounds report
// it with "@removed": {"reason": "changed"} and its group memberships are
// removed until it is restored.
func (e *Emulator) SoftDeleteUser(id string) error {
	e.mu.Lock()
	defer e.mu.Unlock()
	i, ok := e.activeUser(id)
	if !ok {
		return fmt.Errorf("soft-deleting user %q: %w", id, ErrNotFound)
	}
	e.users[i].state = stateSoftDeleted
	e.touchUser(i)
	for _, ref := range e.users[i].groups {
		if e.groups[ref.group].members[ref.pos].present {
			e.setPresent(ref, false, true)
		}
	}
	return nil
}

// RestoreUser brings a soft-deleted user back with its group memberships;
// delta rounds report it as a plain object again.
func (e *Emulator) RestoreUser(id string) error {
	e.mu.Lock()
	defer e.mu.Unlock()
	i, ok := e.userIdx[id]
	if !ok || e.users[i].state != stateSoftDeleted {
		return fmt.Errorf("restoring user %q: %w", id, ErrNotFound)
	}
	e.users[i].state = stateActive
	e.touchUser(i)
	e.restoreMemberships(e.users[i].groups)
	return nil
}

func (e *Emulator) restoreMemberships(refs []memberRef) {
	for _, ref := range refs {
		if e.groups[ref.group].state == stateActive && e.groups[ref.group].members[ref.pos].suspended {
			e.setPresent(ref, true, false)
		}
	}
}

// HardDeleteUser permanently deletes a user, active or soft-deleted: delta
// rounds report it with "@removed": {"reason": "deleted"}, its memberships
// end, and it stops being anyone's manager.
func (e *Emulator) HardDeleteUser(id string) error {
	e.mu.Lock()
	defer e.mu.Unlock()
	i, ok := e.userIdx[id]
	if !ok || e.users[i].state == stateDeleted {
		return fmt.Errorf("deleting user %q: %w", id, ErrNotFound)
	}
	e.users[i].state = stateDeleted
	e.touchUser(i)
	for _, ref := range e.users[i].groups {
		e.setPresent(ref, false, false)
	}
	for j := range e.users {
		if r := &e.users[j]; r.manager == id && r.state != stateDeleted {
			r.formerManager, r.manager = id, ""
			e.touchUser(int32(j))
		}
	}
	return nil
}

// Users returns copies of the active (not deleted) users in creation order.
func (e *Emulator) Users() []User {
	e.mu.RLock()
	defer e.mu.RUnlock()
	out := make([]User, 0, len(e.users))
	for i := range e.users {
		if e.users[i].state == stateActive {
			out = append(out, e.users[i].toUser())
		}
	}
	return out
}

// UserByID returns a user that is active or soft-deleted (Deleted set).
func (e *Emulator) UserByID(id string) (User, bool) {
	e.mu.RLock()
	defer e.mu.RUnlock()
	i, ok := e.userIdx[id]
	if !ok || e.users[i].state == stateDeleted {
		return User{}, false
	}
	return e.users[i].toUser(), true
}

// UserCount returns the number of active users.
func (e *Emulator) UserCount() int {
	e.mu.RLock()
	defer e.mu.RUnlock()
	n := 0
	for i := range e.users {
		if e.users[i].state == stateActive {
			n++
		}
	}
	return n
}
