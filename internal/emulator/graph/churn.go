package graph

import (
	"fmt"
	mrand "math/rand/v2"
	"slices"
	"strconv"
	"strings"
)

type churnOp int

const (
	opHire churnOp = iota
	opLeaver
	opRename
	opTitle
	opDisable
	opEnable
	opGroupMove
	opRestore
	opContactAdd
	opContactChange
	opContactDelete
)

// churnWeights are the relative frequencies of the changes Churn makes.
var churnWeights = []struct {
	op     churnOp
	weight int
}{
	{opHire, 20}, {opLeaver, 12}, {opRename, 12}, {opTitle, 12},
	{opDisable, 10}, {opEnable, 10}, {opGroupMove, 14}, {opRestore, 10},
}

// contactChurnWeights are the frequencies of contact changes, relative to
// churnWeights, in a tenant that has organisational contacts.
var contactChurnWeights = []struct {
	op     churnOp
	weight int
}{
	{opContactAdd, 2}, {opContactChange, 3}, {opContactDelete, 1},
}

// Churn makes n random, realistic changes to the tenant, as a live
// directory sees them: hires, leavers (soft delete), renames, title and
// department changes, disabled and re-enabled accounts, moves between
// groups and restores of earlier leavers; in a tenant with organisational
// contacts, also new, changed and deleted contacts. It returns one
// human-readable line per change. The same rng state on the same tenant
// gives the same changes.
func (e *Emulator) Churn(rng *mrand.Rand, n int) []string {
	out := make([]string, 0, n)
	for range n {
		e.mu.RLock()
		withContacts := e.contactCountLocked() > 0
		e.mu.RUnlock()
		op := pickOp(rng, withContacts)
		var line string
		ok := false
		switch op {
		case opLeaver:
			line, ok = e.churnLeaver(rng)
		case opRename:
			line, ok = e.churnRename(rng)
		case opTitle:
			line, ok = e.churnTitle(rng)
		case opDisable:
			line, ok = e.churnSetEnabled(rng, false)
		case opEnable:
			line, ok = e.churnSetEnabled(rng, true)
		case opGroupMove:
			line, ok = e.churnGroupMove(rng)
		case opRestore:
			line, ok = e.churnRestore(rng)
		case opContactAdd:
			line, ok = e.churnContactAdd(rng), true
		case opContactChange:
			line, ok = e.churnContactChange(rng)
		case opContactDelete:
			line, ok = e.churnContactDelete(rng)
		}
		if !ok { // nothing fitted that change: hire someone instead
			line = e.churnHire(rng)
		}
		out = append(out, line)
	}
	return out
}

// pickOp draws a change. A tenant without contacts draws from the user
// changes alone, exactly as before contacts existed.
func pickOp(rng *mrand.Rand, withContacts bool) churnOp {
	weights := churnWeights
	if withContacts {
		weights = append(slices.Clip(weights), contactChurnWeights...)
	}
	total := 0
	for _, w := range weights {
		total += w.weight
	}
	r := rng.IntN(total)
	for _, w := range weights {
		if r < w.weight {
			return w.op
		}
		r -= w.weight
	}
	return opHire
}

// pickUser returns a random user satisfying pred, probing a bounded number
// of times so a huge tenant costs nothing to search.
func (e *Emulator) pickUser(rng *mrand.Rand, pred func(*userRec) bool) (User, bool) {
	e.mu.RLock()
	defer e.mu.RUnlock()
	if len(e.users) == 0 {
		return User{}, false
	}
	for range 64 {
		u := &e.users[rng.IntN(len(e.users))]
		if pred(u) {
			return u.toUser(), true
		}
	}
	return User{}, false
}

func activeMember(u *userRec) bool { return u.state == stateActive && u.userType != "Guest" }

func (e *Emulator) churnHire(rng *mrand.Rand) string {
	e.mu.RLock()
	seq := len(e.users)
	var groupIdx []int32
	for i := range e.groups {
		if e.groups[i].state == stateActive {
			groupIdx = append(groupIdx, int32(i))
		}
	}
	var group Group
	if len(groupIdx) > 0 {
		group = e.groups[groupIdx[rng.IntN(len(groupIdx))]].toGroup()
	}
	e.mu.RUnlock()

	given := givenNames[rng.IntN(len(givenNames))]
	surname := surnames[rng.IntN(len(surnames))]
	local := strings.ToLower(given) + "." + strings.ToLower(surname) + ".h" + strconv.Itoa(seq)
	u := User{
		GivenName: given, Surname: surname, DisplayName: given + " " + surname,
		UserPrincipalName: local + "@" + e.opts.Domain, Mail: local + "@" + e.opts.Domain,
		JobTitle: jobTitles[rng.IntN(len(jobTitles))], AccountEnabled: true, UserType: "Member",
		EmployeeID: "H" + strconv.Itoa(seq), Department: group.DisplayName,
	}
	if m, ok := e.pickUser(rng, activeMember); ok {
		u.ManagerID = m.ID
	}
	u.ID = e.AddUser(u)
	line := fmt.Sprintf("hire: %s <%s> joined as %s", u.DisplayName, u.UserPrincipalName, u.JobTitle)
	if group.ID != "" && e.AddMember(group.ID, u.ID) == nil {
		line += " in " + group.DisplayName
	}
	return line
}

func (e *Emulator) churnLeaver(rng *mrand.Rand) (string, bool) {
	u, ok := e.pickUser(rng, activeMember)
	if !ok || e.SoftDeleteUser(u.ID) != nil {
		return "", false
	}
	return fmt.Sprintf("leaver: %s <%s> left; account soft-deleted", u.DisplayName, u.UserPrincipalName), true
}

func (e *Emulator) churnRestore(rng *mrand.Rand) (string, bool) {
	u, ok := e.pickUser(rng, func(u *userRec) bool { return u.state == stateSoftDeleted })
	if !ok || e.RestoreUser(u.ID) != nil {
		return "", false
	}
	return fmt.Sprintf("restore: %s <%s> restored from deleted items", u.DisplayName, u.UserPrincipalName), true
}

func (e *Emulator) churnRename(rng *mrand.Rand) (string, bool) {
	u, ok := e.pickUser(rng, activeMember)
	if !ok {
		return "", false
	}
	surname := surnames[rng.IntN(len(surnames))]
	if surname == u.Surname {
		return "", false
	}
	local := strings.ToLower(u.GivenName) + "." + strings.ToLower(surname) + ".r" + strconv.Itoa(rng.IntN(1_000_000))
	var after User
	err := e.UpdateUser(u.ID, func(v *User) {
		v.Surname, v.DisplayName = surname, v.GivenName+" "+surname
		v.UserPrincipalName, v.Mail = local+"@"+e.opts.Domain, local+"@"+e.opts.Domain
		after = *v
	})
	if err != nil {
		return "", false
	}
	return fmt.Sprintf("rename: %s <%s> is now %s <%s>", u.DisplayName, u.UserPrincipalName, after.DisplayName, after.UserPrincipalName), true
}

func (e *Emulator) churnTitle(rng *mrand.Rand) (string, bool) {
	u, ok := e.pickUser(rng, activeMember)
	if !ok {
		return "", false
	}
	title := jobTitles[rng.IntN(len(jobTitles))]
	if title == u.JobTitle || e.UpdateUser(u.ID, func(v *User) { v.JobTitle = title }) != nil {
		return "", false
	}
	return fmt.Sprintf("title: %s <%s> is now %s (was %s)", u.DisplayName, u.UserPrincipalName, title, u.JobTitle), true
}

func (e *Emulator) churnSetEnabled(rng *mrand.Rand, enabled bool) (string, bool) {
	u, ok := e.pickUser(rng, func(u *userRec) bool { return activeMember(u) && u.enabled != enabled })
	if !ok || e.UpdateUser(u.ID, func(v *User) { v.AccountEnabled = enabled }) != nil {
		return "", false
	}
	if enabled {
		return fmt.Sprintf("enable: %s <%s> sign-in re-enabled", u.DisplayName, u.UserPrincipalName), true
	}
	return fmt.Sprintf("disable: %s <%s> sign-in blocked", u.DisplayName, u.UserPrincipalName), true
}

func (e *Emulator) churnGroupMove(rng *mrand.Rand) (string, bool) {
	u, ok := e.pickUser(rng, activeMember)
	if !ok {
		return "", false
	}
	e.mu.RLock()
	var from, to Group
	i := e.userIdx[u.ID]
	for _, ref := range e.users[i].groups {
		if g := &e.groups[ref.group]; g.state == stateActive && g.members[ref.pos].present {
			from = g.toGroup()
			break
		}
	}
	if len(e.groups) > 0 {
		if g := &e.groups[rng.IntN(len(e.groups))]; g.state == stateActive {
			to = g.toGroup()
		}
	}
	e.mu.RUnlock()
	if from.ID == "" || to.ID == "" || from.ID == to.ID {
		return "", false
	}
	if e.RemoveMember(from.ID, u.ID) != nil || e.AddMember(to.ID, u.ID) != nil {
		return "", false
	}
	return fmt.Sprintf("group move: %s <%s> moved from %s to %s", u.DisplayName, u.UserPrincipalName, from.DisplayName, to.DisplayName), true
}

// pickContact returns a random active contact, probing a bounded number of
// times.
func (e *Emulator) pickContact(rng *mrand.Rand) (Contact, bool) {
	e.mu.RLock()
	defer e.mu.RUnlock()
	if len(e.contacts) == 0 {
		return Contact{}, false
	}
	for range 64 {
		if c := &e.contacts[rng.IntN(len(e.contacts))]; c.state == stateActive {
			return c.Contact.clone(), true
		}
	}
	return Contact{}, false
}

func (e *Emulator) churnContactAdd(rng *mrand.Rand) string {
	e.mu.RLock()
	n := len(e.contacts)
	e.mu.RUnlock()
	c := generatedContact(rng, n)
	c.ID = ""
	c.ID = e.AddContact(c)
	return fmt.Sprintf("contact added: %s <%s>, %s at %s", c.DisplayName, c.Mail, c.JobTitle, c.CompanyName)
}

func (e *Emulator) churnContactChange(rng *mrand.Rand) (string, bool) {
	c, ok := e.pickContact(rng)
	if !ok {
		return "", false
	}
	var what string
	err := e.UpdateContact(c.ID, func(v *Contact) {
		switch rng.IntN(3) {
		case 0:
			v.JobTitle = jobTitles[rng.IntN(len(jobTitles))]
			if v.JobTitle != c.JobTitle {
				what = "is now " + v.JobTitle + " (was " + c.JobTitle + ")"
			}
		case 1:
			number := fmt.Sprintf("+1 206 555 %04d", rng.IntN(10000))
			v.Phones = slices.DeleteFunc(v.Phones, func(p Phone) bool { return p.Type == "mobile" })
			v.Phones = append(v.Phones, Phone{Type: "mobile", Number: number})
			what = "mobile is now " + number
		default:
			v.Department = contactDepartments[rng.IntN(len(contactDepartments))]
			if v.Department != c.Department {
				what = "moved to " + v.Department + " (was " + c.Department + ")"
			}
		}
	})
	if err != nil || what == "" {
		return "", false
	}
	return fmt.Sprintf("contact changed: %s <%s> %s", c.DisplayName, c.Mail, what), true
}

func (e *Emulator) churnContactDelete(rng *mrand.Rand) (string, bool) {
	c, ok := e.pickContact(rng)
	if !ok || e.DeleteContact(c.ID) != nil {
		return "", false
	}
	return fmt.Sprintf("contact deleted: %s <%s>", c.DisplayName, c.Mail), true
}
