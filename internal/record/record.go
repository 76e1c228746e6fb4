// Package record holds the value types that connectors produce and the engine
// consumes. It imports nothing internal: it is the leaf every other package
// may depend on.
package record

// Kind names one kind of platform entity.
type Kind string

// The entity kinds the platform knows.
const (
	KindUser        Kind = "user"
	KindGroup       Kind = "group"
	KindContact     Kind = "contact"
	KindSite        Kind = "site"
	KindOrgUnit     Kind = "org_unit"
	KindAsset       Kind = "asset"
	KindLicence     Kind = "licence"
	KindAppointment Kind = "appointment"
	// KindLicenceAssignment is the licences one user holds.
	KindLicenceAssignment Kind = "licence_assignment"
)

// State says what the source reports about an object.
type State uint8

const (
	// Present is an object the source returns as existing and enabled.
	Present State = iota
	// Disabled is an object the source still has but reports as disabled
	// (accountEnabled=false, userAccountControl bit 0x2, suspended, ...).
	Disabled
	// Removed is an object the source reports as deleted or soft-deleted
	// (Graph "@removed", an AD tombstone). A removal carries only the ID.
	Removed
)

// String returns the state's lower-case name.
func (s State) String() string {
	switch s {
	case Present:
		return "present"
	case Disabled:
		return "disabled"
	case Removed:
		return "removed"
	}
	return "unknown"
}

// Record is one object as a source reports it, normalised to platform
// attribute names. Records are values: the engine may keep them after the
// page that carried them has been handled, so a connector must not reuse the
// maps or slices it put in a record it has emitted.
type Record struct {
	Kind Kind
	// ID is the source's stable, unique identifier of the object (Graph id,
	// AD objectGUID, LDAP entryUUID). It never changes for the object's life.
	ID    string
	State State
	// Reason is the source's own word for a removal or a disable, kept for
	// the audit trail ("deleted", "soft-deleted", "accountEnabled=false").
	Reason string
	// Attrs holds the object's attributes under the names below (AttrUPN,
	// AttrEmail, ...). An absent key means the source did not report the
	// attribute; an empty value means the source reported it empty.
	Attrs map[string]string
	// Members carries group membership for KindGroup records; nil otherwise.
	Members *Members
}

// Members is a change to a group's membership, in source IDs. In a full
// enumeration every current member is in Added; the engine removes the
// members it did not see. A group may arrive in several records of one run,
// each with a slice of its membership (Graph splits large groups across
// pages): the engine applies them in order.
type Members struct {
	Added   []string
	Removed []string
	// Complete says Added is the group's whole current membership (a
	// directory that returns member lists, not changes): the engine
	// removes any other member it holds for the group, in delta runs too.
	// A group with Complete set must arrive in one record per run.
	Complete bool
}

// Well-known attribute names. Connectors map their vendor fields onto these;
// the engine, the store and the API read them.
const (
	AttrDisplayName = "display_name"
	AttrGivenName   = "given_name"
	AttrSurname     = "surname"
	AttrUPN         = "upn"
	AttrEmail       = "email"
	AttrJobTitle    = "job_title"
	AttrDepartment  = "department"
	AttrEmployeeID  = "employee_id"
	// AttrImmutableID is the identifier a directory keeps across tenants and
	// migrations (Entra onPremisesImmutableId, the base64 of AD objectGUID).
	AttrImmutableID = "immutable_id"
	AttrUserType    = "user_type"
	// AttrManager holds the source ID of the user's manager.
	AttrManager = "manager"
	AttrName    = "name"
	AttrMail    = "mail"
	// AttrOrgUnit is where a directory files the object: for LDAP/AD the
	// DN of its parent container ("OU=Sales,OU=London,DC=corp,DC=example"),
	// for Google Workspace the orgUnitPath ("/London/Sales"). Scope
	// mappings by organisational unit read it; the deepest mapped unit wins.
	AttrOrgUnit = "org_unit"
	// Asset attributes (KindAsset). Lists are comma-separated (MACs, IPs)
	// or JSON arrays (disks, software); times are RFC 3339; booleans are
	// "true"/"false". The engine normalises serials and MACs before
	// matching, so connectors pass them as the vendor reports them.
	AttrHostname     = "hostname"
	AttrSerial       = "serial_number"
	AttrManufacturer = "manufacturer"
	AttrModel        = "model"
	// AttrAssetType is one of workstation, laptop, server, mobile,
	// virtual_machine, network_device, printer, other.
	AttrAssetType = "asset_type"
	AttrOS        = "os"
	AttrOSVersion = "os_version"
	AttrMACs      = "mac_addresses"
	AttrIPs       = "ip_addresses"
	// AttrPrimaryUser is the UPN or mail of the device's primary user
	// (Intune's userPrincipalName).
	AttrPrimaryUser = "primary_user"
	// AttrLastLoggedOnUser is the last user an agent saw logged on, as the
	// RMM reports it: DOMAIN\user, a UPN or a mail address.
	AttrLastLoggedOnUser = "last_logged_on_user"
	AttrLastSeen         = "last_seen"
	AttrOnline           = "online"
	// AttrCompliance is Intune's complianceState (compliant, noncompliant,
	// inGracePeriod, unknown, ...).
	AttrCompliance = "compliance"
	AttrOwnerType  = "owner_type"
	AttrEncrypted  = "encrypted"
	AttrWarranty   = "warranty_date"
	AttrCPU        = "cpu"
	AttrMemoryMB   = "memory_mb"
	// AttrDisks is a JSON array of {"name","size_gb","free_gb"}.
	AttrDisks = "disks"
	// AttrSoftware is a JSON array of {"name","version","publisher"}.
	AttrSoftware = "software"
	// AttrSourceOrgID/Name and AttrSourceSiteID/Name name where the source
	// files the object (an RMM organisation and its location or site);
	// the organisation mapping table turns them into platform clients and
	// sites. KindSite records describe the source's sites with the same
	// attributes (their ID is the source site ID).
	AttrSourceOrgID    = "source_org_id"
	AttrSourceOrgName  = "source_org_name"
	AttrSourceSiteID   = "source_site_id"
	AttrSourceSiteName = "source_site_name"
	// AttrCustomPrefix prefixes custom fields a source defines
	// ("custom.Cost centre").
	AttrCustomPrefix = "custom."

	// AttrPart names the part of a source an object came from (a mailbox
	// ID, a customer tenant ID) where parts fail independently; see
	// connector.FetchResult.FailedParts.
	AttrPart = "part"

	// Appointment attributes (KindAppointment: one event of one mailbox;
	// occurrences and exceptions of a series are appointments of their
	// own). Times are RFC 3339 in UTC; AttrTimeZone keeps the event's own
	// zone. A private event carries no subject, body or attendees.
	AttrMailbox     = "mailbox"     // the mailbox owner's source user ID
	AttrMailboxUPN  = "mailbox_upn" // and UPN, to find the platform user
	AttrSubject     = "subject"
	AttrStart       = "start"
	AttrEnd         = "end"
	AttrTimeZone    = "time_zone"
	AttrAllDay      = "all_day"
	AttrLocation    = "location"
	AttrOrganizer   = "organizer" // a mail address
	AttrAttendees   = "attendees" // JSON array of {"email","name","type","response"}
	AttrShowAs      = "show_as"
	AttrSensitivity = "sensitivity"
	AttrEventType   = "event_type" // singleInstance, occurrence, exception, seriesMaster
	AttrSeriesID    = "series_id"  // the series master's ID for occurrences and exceptions
	AttrRecurrence  = "recurrence" // JSON of the pattern and range, on series masters
	AttrCancelled   = "cancelled"

	// Licence attributes. KindLicence is one subscribed SKU of one tenant
	// (ID "<tenant id>/<sku id>"); KindLicenceAssignment is the SKUs one
	// user holds (ID "<tenant id>/<user id>").
	AttrTenantID         = "tenant_id"
	AttrTenantName       = "tenant_name"
	AttrSkuID            = "sku_id"
	AttrSkuPartNumber    = "sku_part_number"
	AttrCapabilityStatus = "capability_status"
	AttrEnabledUnits     = "enabled_units"
	AttrSuspendedUnits   = "suspended_units"
	AttrWarningUnits     = "warning_units"
	AttrConsumedUnits    = "consumed_units"
	AttrSkuIDs           = "sku_ids" // comma-separated, on assignments

	// Contact attributes (Entra organisational contacts and the like).
	AttrCompany = "company"
	AttrPhone   = "phone"
	AttrMobile  = "mobile"
)
