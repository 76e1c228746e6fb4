package google

import (
	"encoding/json"
	"fmt"
	"strings"

	admin "google.golang.org/api/admin/directory/v1"

	"github.com/integrator-oss/integrator/internal/record"
)

// Reasons recorded for disabled users, kept in the audit trail.
const (
	ReasonSuspended = "suspended"
	ReasonArchived  = "archived"
)

// typedValue is one entry of a user's externalIds or relations.
type typedValue struct {
	Value string `json:"value"`
	Type  string `json:"type"`
}

// organization is one entry of a user's organizations.
type organization struct {
	Title      string `json:"title"`
	Department string `json:"department"`
	Primary    bool   `json:"primary"`
}

// decodeList re-reads one of the user fields the API client leaves untyped
// (organizations, externalIds, relations).
func decodeList[T any](v any, what string) ([]T, error) {
	if v == nil {
		return nil, nil
	}
	b, err := json.Marshal(v)
	if err != nil {
		return nil, fmt.Errorf("reading %s: %w", what, err)
	}
	var out []T
	if err := json.Unmarshal(b, &out); err != nil {
		return nil, fmt.Errorf("reading %s: %w", what, err)
	}
	return out, nil
}

// managerEmail is the value of the user's first relation of type manager.
func managerEmail(u *admin.User) string {
	rels, _ := decodeList[typedValue](u.Relations, "relations")
	for _, r := range rels {
		if r.Type == "manager" {
			return r.Value
		}
	}
	return ""
}

// userRecord maps a user of a full listing. Every attribute is set, empty
// when Google leaves the field out, since a listing that omits a field
// means the field is empty. ids maps lower-case emails to user IDs, to
// turn the manager's email into its record ID; a manager not in the
// listing leaves the manager empty.
func userRecord(u *admin.User, ids map[string]string) (record.Record, error) {
	if u.Id == "" {
		return record.Record{}, fmt.Errorf("user without an id")
	}
	attrs := map[string]string{
		record.AttrUPN:         u.PrimaryEmail,
		record.AttrEmail:       u.PrimaryEmail,
		record.AttrGivenName:   "",
		record.AttrSurname:     "",
		record.AttrDisplayName: "",
		record.AttrJobTitle:    "",
		record.AttrDepartment:  "",
		record.AttrEmployeeID:  "",
		record.AttrManager:     "",
		record.AttrOrgUnit:     u.OrgUnitPath,
	}
	if n := u.Name; n != nil {
		attrs[record.AttrGivenName] = n.GivenName
		attrs[record.AttrSurname] = n.FamilyName
		attrs[record.AttrDisplayName] = n.FullName
		if n.FullName == "" {
			attrs[record.AttrDisplayName] = strings.TrimSpace(n.GivenName + " " + n.FamilyName)
		}
	}
	orgs, err := decodeList[organization](u.Organizations, "organizations")
	if err != nil {
		return record.Record{}, err
	}
	if len(orgs) > 0 {
		o := orgs[0]
		for _, x := range orgs {
			if x.Primary {
				o = x
				break
			}
		}
		attrs[record.AttrJobTitle] = o.Title
		attrs[record.AttrDepartment] = o.Department
	}
	ext, err := decodeList[typedValue](u.ExternalIds, "externalIds")
	if err != nil {
		return record.Record{}, err
	}
	for _, x := range ext {
		if x.Type == "organization" {
			attrs[record.AttrEmployeeID] = x.Value
			break
		}
	}
	rels, err := decodeList[typedValue](u.Relations, "relations")
	if err != nil {
		return record.Record{}, err
	}
	for _, x := range rels {
		if x.Type == "manager" {
			attrs[record.AttrManager] = ids[strings.ToLower(strings.TrimSpace(x.Value))]
			break
		}
	}
	r := record.Record{Kind: record.KindUser, ID: u.Id, Attrs: attrs}
	switch {
	case u.Suspended:
		r.State, r.Reason = record.Disabled, ReasonSuspended
	case u.Archived:
		r.State, r.Reason = record.Disabled, ReasonArchived
	}
	return r, nil
}
