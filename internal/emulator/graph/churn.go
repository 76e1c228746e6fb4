package graph

import (
	"fmt"
	mrand "math/rand/v2"
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
)

// churnWeights are the relative frequencies of the changes Churn makes.
var churnWeights = []struct {
	op     churnOp
	weight int
}{
	{opHire, 20}, {opLeaver, 12}, {opRename, 12}, {opTitle, 12},
	{opDisable, 10}, {opEnable, 10}, {opGroupMove, 14}, {opRestore, 10},
}

// Churn makes n random, realistic changes to the tenant, as a live
// directory sees them: hires, leavers (soft delete), renames, title and
// department changes, disabled and re-enabled accounts, moves between
// groups and restores of earlier leavers. It returns one human-readable
// line per change. The same rng state on the same tenant gives the same
// changes.
func (e *Emulator) Churn(rng *mrand.Rand, n int) []string {
	out := make([]string, 0, n)
	for range n {
		op := pickOp(rng)
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
		}
		if !ok { // nothing fitted that change: hire someone instead
			line = e.churnHire(rng)
		}
		out = append(out, line)
	}
	return out
}

func pickOp(rng *mrand.Rand) churnOp {
	total := 0
	for _, w := range churnWeights {
		total += w.weight
	}
	r := rng.IntN(total)
	for _, w := range churnWeights {
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
