package graph

import "fmt"

// AddGroup creates a group and returns its ID (generated when g.ID is
// empty). Adding an ID that already exists replaces its properties and
// makes it active again.
func (e *Emulator) AddGroup(g Group) string {
	e.mu.Lock()
	defer e.mu.Unlock()
	if g.ID == "" {
		g.ID = e.newID()
	}
	if i, ok := e.groupIdx[g.ID]; ok {
		r := &e.groups[i]
		r.name, r.mail, r.security, r.state = g.DisplayName, g.Mail, g.SecurityEnabled, stateActive
		e.touchGroup(i, true)
		return g.ID
	}
	e.appendGroup(&g, e.opts.Now().Unix())
	return g.ID
}

func (e *Emulator) appendGroup(g *Group, created int64) int32 {
	i := int32(len(e.groups))
	e.groups = append(e.groups, groupRec{id: g.ID, name: g.DisplayName, mail: g.Mail, security: g.SecurityEnabled, created: created})
	e.groupIdx[g.ID] = i
	e.touchGroup(i, true)
	return i
}

// UpdateGroup applies fn to an active group's properties; the ID cannot be
// changed.
func (e *Emulator) UpdateGroup(id string, fn func(*Group)) error {
	e.mu.Lock()
	defer e.mu.Unlock()
	i, ok := e.activeGroup(id)
	if !ok {
		return fmt.Errorf("updating group %q: %w", id, ErrNotFound)
	}
	r := &e.groups[i]
	before := r.toGroup()
	after := before
	fn(&after)
	after.ID = before.ID
	if after == before {
		return nil
	}
	r.name, r.mail, r.security = after.DisplayName, after.Mail, after.SecurityEnabled
	e.touchGroup(i, true)
	return nil
}

// AddMember makes an active user or group a direct member of an active
// group. Adding an existing member changes nothing.
func (e *Emulator) AddMember(groupID, memberID string) error {
	e.mu.Lock()
	defer e.mu.Unlock()
	gi, ok := e.activeGroup(groupID)
	if !ok {
		return fmt.Errorf("adding member to group %q: %w", groupID, ErrNotFound)
	}
	if ui, ok := e.activeUser(memberID); ok {
		e.addMemberLocked(gi, ui, false)
		return nil
	}
	mi, ok := e.activeGroup(memberID)
	if !ok {
		return fmt.Errorf("adding member %q to group %q: %w", memberID, groupID, ErrNotFound)
	}
	if mi == gi {
		return fmt.Errorf("adding group %q to itself: %w", groupID, ErrInvalid)
	}
	e.addMemberLocked(gi, mi, true)
	return nil
}

// RemoveMember ends a direct membership. Delta rounds report it in the
// group's members@delta with "@removed": {"reason": "deleted"}.
func (e *Emulator) RemoveMember(groupID, memberID string) error {
	e.mu.Lock()
	defer e.mu.Unlock()
	gi, ok := e.activeGroup(groupID)
	if !ok {
		return fmt.Errorf("removing member from group %q: %w", groupID, ErrNotFound)
	}
	var refs []memberRef
	if i, ok := e.userIdx[memberID]; ok {
		refs = e.users[i].groups
	} else if i, ok := e.groupIdx[memberID]; ok {
		refs = e.groups[i].memberOf
	}
	for _, ref := range refs {
		if ref.group != gi {
			continue
		}
		m := e.groups[gi].members[ref.pos]
		if !m.present && !m.suspended {
			break
		}
		e.setPresent(ref, false, false)
		return nil
	}
	return fmt.Errorf("removing member %q from group %q: %w", memberID, groupID, ErrNotFound)
}

// DeleteGroup deletes a group permanently: delta rounds report it with
// "@removed": {"reason": "deleted"} and it leaves the groups it was in.
func (e *Emulator) DeleteGroup(id string) error {
	e.mu.Lock()
	defer e.mu.Unlock()
	i, ok := e.activeGroup(id)
	if !ok {
		return fmt.Errorf("deleting group %q: %w", id, ErrNotFound)
	}
	e.groups[i].state = stateDeleted
	e.touchGroup(i, true)
	for _, ref := range e.groups[i].memberOf {
		e.setPresent(ref, false, false)
	}
	return nil
}

// Groups returns copies of the active groups in creation order.
func (e *Emulator) Groups() []Group {
	e.mu.RLock()
	defer e.mu.RUnlock()
	out := make([]Group, 0, len(e.groups))
	for i := range e.groups {
		if e.groups[i].state == stateActive {
			out = append(out, e.groups[i].toGroup())
		}
	}
	return out
}

// GroupByID returns an active group.
func (e *Emulator) GroupByID(id string) (Group, bool) {
	e.mu.RLock()
	defer e.mu.RUnlock()
	i, ok := e.activeGroup(id)
	if !ok {
		return Group{}, false
	}
	return e.groups[i].toGroup(), true
}

// Members returns the IDs of an active group's direct members (users and
// groups) in the order they were added; nil when the group does not exist.
func (e *Emulator) Members(groupID string) []string {
	e.mu.RLock()
	defer e.mu.RUnlock()
	i, ok := e.activeGroup(groupID)
	if !ok {
		return nil
	}
	out := []string{}
	for _, m := range e.groups[i].members {
		if m.present {
			out = append(out, m.id)
		}
	}
	return out
}
