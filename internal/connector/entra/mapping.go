package entra

import (
	"bytes"
	"encoding/json"
	"fmt"
	"strings"
	"unicode/utf8"

	"github.com/integrator-oss/integrator/internal/record"
)

// Reasons recorded for removals and disables, kept in the audit trail.
const (
	ReasonSoftDeleted = "soft-deleted (recoverable)"
	ReasonDeleted     = "deleted permanently"
	ReasonDisabled    = "accountEnabled=false"
)

// userType is the @odata.type of user members and managers.
const userType = "#microsoft.graph.user"

// optString is a JSON string property that remembers whether it was present:
// an absent property maps to an absent attribute (the engine keeps the old
// value), null and "" map to "".
type optString struct {
	set bool
	v   string
}

func (o *optString) UnmarshalJSON(b []byte) error {
	o.set = true
	if string(b) == "null" {
		o.v = ""
		return nil
	}
	// The decoder has already validated b; a string without escapes is its
	// own content. This path carries almost every directory value.
	if n := len(b); n >= 2 && b[0] == '"' && b[n-1] == '"' && bytes.IndexByte(b, '\\') < 0 && utf8.Valid(b) {
		o.v = string(b[1 : n-1])
		return nil
	}
	return json.Unmarshal(b, &o.v)
}

// removal is the "@removed" annotation of a delta item.
type removal struct {
	Reason string `json:"reason"`
}

// reason is the audit reason of a removal.
func (r *removal) reason() string {
	switch r.Reason {
	case "changed":
		return ReasonSoftDeleted
	case "deleted":
		return ReasonDeleted
	}
	return "removed (" + r.Reason + ")"
}

// directoryRef is one entry of members@delta or manager@delta.
type directoryRef struct {
	Type    string   `json:"@odata.type"`
	ID      string   `json:"id"`
	Removed *removal `json:"@removed"`
}

func (d directoryRef) isUser() bool { return d.Type == "" || d.Type == userType }

// userItem is one item of /users/delta.
type userItem struct {
	ID                    string         `json:"id"`
	Removed               *removal       `json:"@removed"`
	AccountEnabled        *bool          `json:"accountEnabled"`
	UserPrincipalName     optString      `json:"userPrincipalName"`
	Mail                  optString      `json:"mail"`
	GivenName             optString      `json:"givenName"`
	Surname               optString      `json:"surname"`
	DisplayName           optString      `json:"displayName"`
	JobTitle              optString      `json:"jobTitle"`
	Department            optString      `json:"department"`
	EmployeeID            optString      `json:"employeeId"`
	OnPremisesImmutableID optString      `json:"onPremisesImmutableId"`
	UserType              optString      `json:"userType"`
	ManagerDelta          []directoryRef `json:"manager@delta"`
}

// userSelect is the $select of the users delta query.
const userSelect = "id,accountEnabled,userPrincipalName,mail,givenName,surname,displayName,jobTitle,department,employeeId,onPremisesImmutableId,userType,manager"

func (u *userItem) record() (record.Record, error) {
	if u.ID == "" {
		return record.Record{}, fmt.Errorf("user item without an id")
	}
	r := record.Record{Kind: record.KindUser, ID: u.ID}
	if u.Removed != nil {
		r.State, r.Reason = record.Removed, u.Removed.reason()
		return r, nil
	}
	attrs := make(map[string]string, 12)
	put := func(name string, v optString) {
		if v.set {
			attrs[name] = v.v
		}
	}
	put(record.AttrDisplayName, u.DisplayName)
	put(record.AttrGivenName, u.GivenName)
	put(record.AttrSurname, u.Surname)
	put(record.AttrUPN, u.UserPrincipalName)
	put(record.AttrEmail, u.Mail)
	put(record.AttrJobTitle, u.JobTitle)
	put(record.AttrDepartment, u.Department)
	put(record.AttrEmployeeID, u.EmployeeID)
	put(record.AttrImmutableID, u.OnPremisesImmutableID)
	put(record.AttrUserType, u.UserType)
	if len(u.ManagerDelta) > 0 {
		// The last entry that is not a removal is the current manager; a
		// manager@delta holding only removals means the manager was unset.
		manager := ""
		for _, m := range u.ManagerDelta {
			if m.Removed == nil {
				manager = m.ID
			}
		}
		attrs[record.AttrManager] = manager
	}
	r.Attrs = attrs
	if u.AccountEnabled != nil && !*u.AccountEnabled {
		r.State, r.Reason = record.Disabled, ReasonDisabled
	}
	return r, nil
}

// groupItem is one item of /groups/delta. A large group repeats across
// pages, each item with a slice of members@delta.
type groupItem struct {
	ID           string         `json:"id"`
	Removed      *removal       `json:"@removed"`
	DisplayName  optString      `json:"displayName"`
	Mail         optString      `json:"mail"`
	MembersDelta []directoryRef `json:"members@delta"`
}

// groupSelect is the $select of the groups delta query.
const groupSelect = "id,displayName,mail,securityEnabled,members"

func (g *groupItem) record() (record.Record, error) {
	if g.ID == "" {
		return record.Record{}, fmt.Errorf("group item without an id")
	}
	r := record.Record{Kind: record.KindGroup, ID: g.ID}
	if g.Removed != nil {
		r.State, r.Reason = record.Removed, g.Removed.reason()
		return r, nil
	}
	attrs := make(map[string]string, 2)
	if g.DisplayName.set {
		attrs[record.AttrName] = g.DisplayName.v
	}
	if g.Mail.set {
		attrs[record.AttrMail] = g.Mail.v
	}
	r.Attrs = attrs
	// Nested groups (and devices, service principals, contacts) are not
	// expanded: only user members are carried.
	m := &record.Members{}
	for _, ref := range g.MembersDelta {
		if !ref.isUser() || ref.ID == "" {
			continue
		}
		if ref.Removed != nil {
			m.Removed = append(m.Removed, ref.ID)
		} else {
			m.Added = append(m.Added, ref.ID)
		}
	}
	r.Members = m
	return r, nil
}

// contactItem is one item of /contacts/delta (an orgContact).
type contactItem struct {
	ID          string    `json:"id"`
	Removed     *removal  `json:"@removed"`
	DisplayName optString `json:"displayName"`
	GivenName   optString `json:"givenName"`
	Surname     optString `json:"surname"`
	Mail        optString `json:"mail"`
	CompanyName optString `json:"companyName"`
	JobTitle    optString `json:"jobTitle"`
	Department  optString `json:"department"`
	Phones      optPhones `json:"phones"`
}

// contactSelect is the $select of the contacts delta query.
const contactSelect = "id,displayName,givenName,surname,mail,companyName,jobTitle,department,phones"

// phone is one entry of an orgContact's phones.
type phone struct {
	Type   string    `json:"type"`
	Number optString `json:"number"`
}

// optPhones is the phones collection, remembering whether it was present:
// present (even null or empty) means the contact's numbers are known.
type optPhones struct {
	set bool
	v   []phone
}

func (o *optPhones) UnmarshalJSON(b []byte) error {
	o.set = true
	return json.Unmarshal(b, &o.v)
}

// number returns the first number of the given type ("business",
// "mobile"), "" when there is none.
func (o *optPhones) number(typ string) string {
	for _, p := range o.v {
		if strings.EqualFold(p.Type, typ) && p.Number.v != "" {
			return p.Number.v
		}
	}
	return ""
}

func (c *contactItem) record() (record.Record, error) {
	if c.ID == "" {
		return record.Record{}, fmt.Errorf("contact item without an id")
	}
	r := record.Record{Kind: record.KindContact, ID: c.ID}
	if c.Removed != nil {
		r.State, r.Reason = record.Removed, c.Removed.reason()
		return r, nil
	}
	attrs := make(map[string]string, 9)
	put := func(name string, v optString) {
		if v.set {
			attrs[name] = v.v
		}
	}
	put(record.AttrDisplayName, c.DisplayName)
	put(record.AttrGivenName, c.GivenName)
	put(record.AttrSurname, c.Surname)
	put(record.AttrEmail, c.Mail)
	put(record.AttrCompany, c.CompanyName)
	put(record.AttrJobTitle, c.JobTitle)
	put(record.AttrDepartment, c.Department)
	if c.Phones.set {
		// Fax numbers and any other type are not carried.
		attrs[record.AttrPhone] = c.Phones.number("business")
		attrs[record.AttrMobile] = c.Phones.number("mobile")
	}
	r.Attrs = attrs
	return r, nil
}
