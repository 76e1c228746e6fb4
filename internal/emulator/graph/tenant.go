package graph

import (
	"encoding/hex"
	"errors"
	"time"
)

// Errors returned by the mutation methods.
var (
	// ErrNotFound means the object does not exist, or is not in a state the
	// change applies to (updating a deleted user, restoring an active one).
	ErrNotFound = errors.New("object not found")
	// ErrInvalid means the change is not one Entra ID would accept.
	ErrInvalid = errors.New("invalid change")
)

// User is a directory user as the emulator's callers see it. Field names
// follow Graph's user resource.
type User struct {
	ID                    string
	UserPrincipalName     string
	Mail                  string
	GivenName             string
	Surname               string
	DisplayName           string
	JobTitle              string
	Department            string
	EmployeeID            string
	OnPremisesImmutableID string
	// UserType is "Member" or "Guest". Defaults to "Member".
	UserType       string
	AccountEnabled bool
	// ManagerID is the ID of the user's manager, "" for none.
	ManagerID string
	// CreatedDateTime defaults to the time the user was added.
	CreatedDateTime time.Time
	// Deleted reports a soft-deleted user (restorable). It is output only:
	// AddUser and UpdateUser ignore it.
	Deleted bool
}

// Group is a directory group as the emulator's callers see it.
type Group struct {
	ID              string
	DisplayName     string
	Mail            string
	SecurityEnabled bool
}

type objState uint8

const (
	stateActive objState = iota
	stateSoftDeleted
	stateDeleted
)

// Change log entries are object indexes tagged with their kind in the top
// bits: none for a user, groupBit for a group, contactBit for a contact.
const (
	groupBit   = 1 << 31
	contactBit = 1 << 30
	kindBits   = groupBit | contactBit
)

// memberRef points from a member to its entry in a group's member list.
type memberRef struct{ group, pos int32 }

// userRec is the compact stored form of a user. Records are never removed
// from the slice, so an index stays valid for the emulator's life; a
// permanently deleted user stays as a tombstone until Generate.
type userRec struct {
	id, upn, mail, given, surname, display, jobTitle, department string
	employeeID, immutableID, userType                            string
	manager                                                      string
	formerManager                                                string // manager removed since; reported as removed in manager@delta
	created                                                      int64
	seq                                                          uint64 // change sequence of the last change
	enabled                                                      bool
	state                                                        objState
	groups                                                       []memberRef
}

type groupRec struct {
	id, name, mail string
	security       bool
	state          objState
	created        int64
	seq            uint64 // last change of any kind, membership included
	propSeq        uint64 // last change of a property
	members        []membership
	memberOf       []memberRef
}

// membership is one entry of a group's member list. Entries are never
// removed, only marked absent, so positions carried in tokens stay valid and
// a delta round can report removed members.
type membership struct {
	id        string
	seq       uint64 // change sequence of the last change of this entry
	group     bool   // the member is a group
	present   bool
	suspended bool // removed because the member was soft-deleted; restored with it
}

func (u *userRec) toUser() User {
	return User{
		ID: u.id, UserPrincipalName: u.upn, Mail: u.mail, GivenName: u.given, Surname: u.surname,
		DisplayName: u.display, JobTitle: u.jobTitle, Department: u.department, EmployeeID: u.employeeID,
		OnPremisesImmutableID: u.immutableID, UserType: u.userType, AccountEnabled: u.enabled,
		ManagerID: u.manager, CreatedDateTime: time.Unix(u.created, 0).UTC(), Deleted: u.state == stateSoftDeleted,
	}
}

// setFields copies the caller-settable fields of u into the record.
func (u *userRec) setFields(v *User) {
	u.upn, u.mail, u.given, u.surname, u.display = v.UserPrincipalName, v.Mail, v.GivenName, v.Surname, v.DisplayName
	u.jobTitle, u.department, u.employeeID, u.immutableID = v.JobTitle, v.Department, v.EmployeeID, v.OnPremisesImmutableID
	u.userType, u.enabled = v.UserType, v.AccountEnabled
	if u.userType == "" {
		u.userType = "Member"
	}
	if v.ManagerID != u.manager {
		if v.ManagerID == "" {
			u.formerManager = u.manager
		} else {
			u.formerManager = ""
		}
		u.manager = v.ManagerID
	}
}

func (g *groupRec) toGroup() Group {
	return Group{ID: g.id, DisplayName: g.name, Mail: g.mail, SecurityEnabled: g.security}
}

// touchUser records a change of user i under e.mu.
func (e *Emulator) touchUser(i int32) {
	e.seq++
	e.users[i].seq = e.seq
	e.changes = append(e.changes, uint32(i))
}

// touchGroup records a change of group i under e.mu.
func (e *Emulator) touchGroup(i int32, props bool) {
	e.seq++
	g := &e.groups[i]
	g.seq = e.seq
	if props {
		g.propSeq = e.seq
	}
	e.changes = append(e.changes, uint32(i)|groupBit)
}

// setPresent changes one membership entry and records the group's change.
func (e *Emulator) setPresent(ref memberRef, present, suspended bool) {
	g := &e.groups[ref.group]
	m := &g.members[ref.pos]
	m.suspended = suspended
	if m.present == present {
		return
	}
	m.present = present
	e.touchGroup(ref.group, false)
	m.seq = g.seq
}

func (e *Emulator) newID() string {
	var b [16]byte
	for i := range 2 {
		v := e.rng.Uint64()
		for j := range 8 {
			b[i*8+j] = byte(v >> (8 * j))
		}
	}
	return formatUUID(b)
}

func formatUUID(b [16]byte) string {
	b[6] = b[6]&0x0f | 0x40
	b[8] = b[8]&0x3f | 0x80
	var s [36]byte
	hex.Encode(s[0:8], b[0:4])
	s[8] = '-'
	hex.Encode(s[9:13], b[4:6])
	s[13] = '-'
	hex.Encode(s[14:18], b[6:8])
	s[18] = '-'
	hex.Encode(s[19:23], b[8:10])
	s[23] = '-'
	hex.Encode(s[24:], b[10:])
	return string(s[:])
}

func (e *Emulator) activeUser(id string) (int32, bool) {
	i, ok := e.userIdx[id]
	return i, ok && e.users[i].state == stateActive
}

func (e *Emulator) activeGroup(id string) (int32, bool) {
	i, ok := e.groupIdx[id]
	return i, ok && e.groups[i].state == stateActive
}
