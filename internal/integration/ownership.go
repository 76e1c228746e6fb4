package integration

import "slices"

// Ownership says, per platform user field, which integrations win when
// several sources link one person: field name → integration names, the
// strongest first. It overrides DefaultOwnerTypes field by field.
//
// The rule the engine applies: a source may write a field that nobody owns
// yet, or that it owns, or whose owner it outranks; it then owns the field.
// A lower-ranked source never overwrites an owned field. Sources of equal
// rank (neither ranked for the field) leave the field with whoever wrote
// it first, which is the first source that linked the person.
type Ownership map[string][]string

// OwnedFields are the user and asset fields under ownership, by
// attribute name (record.Attr*, plus "manager" and "site").
var OwnedFields = []string{
	"display_name", "given_name", "surname", "upn", "email", "job_title",
	"department", "employee_id", "immutable_id", "user_type", "manager",
	"name", "hostname", "serial_number", "manufacturer", "model", "asset_type", "os", "os_version",
	"mac_addresses", "ip_addresses", "primary_user", "last_logged_on_user", "online", "compliance",
	"owner_type", "encrypted", "warranty_date", "cpu", "memory_mb", "disks", "software", "site",
}

var (
	rmmFirst    = []string{"ninjaone", "datto", "cwautomate", "lansweeper", "intune", "snipeit"}
	intuneFirst = []string{"intune", "ninjaone", "datto", "cwautomate", "lansweeper", "snipeit"}
)

// DefaultOwnerTypes rank connector types per field when the configuration
// does not: the on-premises directory owns the HR-ish fields, Entra ID owns
// the mail address. Fields not listed stay with the first linked source.
var DefaultOwnerTypes = map[string][]string{
	"department":  {"ldap", "google", "entra"},
	"job_title":   {"ldap", "google", "entra"},
	"manager":     {"ldap", "google", "entra"},
	"employee_id": {"ldap", "google", "entra"},
	"email":       {"entra", "google", "ldap"},

	// Devices: hardware from the RMM agents, who read it off the machine;
	// the primary user and compliance from Intune; software from
	// Lansweeper's inventory scans; the warranty from the asset register.
	"serial_number": rmmFirst,
	"manufacturer":  rmmFirst,
	"model":         rmmFirst,
	"cpu":           rmmFirst,
	"memory_mb":     rmmFirst,
	"disks":         rmmFirst,
	"mac_addresses": rmmFirst,
	"site":          {"ninjaone", "datto", "cwautomate", "snipeit", "lansweeper", "intune"},
	"primary_user":  intuneFirst,
	"compliance":    intuneFirst,
	"owner_type":    intuneFirst,
	"encrypted":     intuneFirst,
	"software":      {"lansweeper", "ninjaone", "datto", "cwautomate", "intune", "snipeit"},
	"warranty_date": {"snipeit", "lansweeper", "ninjaone", "datto", "cwautomate", "intune"},
}

// unranked is the rank of a source nothing ranks for a field.
const unranked = 1 << 20

// Rank is the precedence of the integration (by name and connector type)
// for a field: lower wins.
func (o Ownership) Rank(field, name, typ string) int {
	if names, ok := o[field]; ok {
		if i := slices.Index(names, name); i >= 0 {
			return i
		}
		return unranked
	}
	if i := slices.Index(DefaultOwnerTypes[field], typ); i >= 0 {
		return 1000 + i
	}
	return unranked
}
