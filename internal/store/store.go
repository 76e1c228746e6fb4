// Package store defines the platform's persistence: clients, sites, users
// (end users and agents), groups, memberships, links to source objects,
// cursors, runs and the audit trail. Backends live in subpackages (sqlite,
// postgres) and all pass the conformance suite in storetest.
//
// The interface is deliberately batch-oriented: the engine hands over one
// page of work at a time and each method does its part of the page in a
// few statements, so a run costs round trips per page, not per record.
package store

import (
	"context"
	"errors"
	"time"

	"github.com/integrator-oss/integrator/internal/record"
)

// Sentinel errors. Backends translate their driver's errors into these in
// one place.
var (
	ErrNotFound = errors.New("not found")
	ErrConflict = errors.New("conflict")
)

// Store is a platform store. Methods are safe for concurrent use.
type Store interface {
	Reader
	// Tx runs fn in one transaction. If fn returns an error the
	// transaction is rolled back and the error returned unchanged. fn must
	// not keep the Tx after it returns.
	Tx(ctx context.Context, fn func(Tx) error) error
	// Close releases the store. Safe to call more than once.
	Close() error
}

// Reader is the read side, usable inside and outside a transaction.
type Reader interface {
	IntegrationGet(ctx context.Context, name string) (*Integration, error)
	IntegrationList(ctx context.Context) ([]Integration, error)
	// CursorGet returns the integration's cursor; an integration that never
	// completed a run has the zero Cursor and no error.
	CursorGet(ctx context.Context, integrationID int64) (Cursor, error)

	RunGet(ctx context.Context, id int64) (*Run, error)
	RunList(ctx context.Context, p *RunListParams) ([]Run, error)

	UserGet(ctx context.Context, id int64) (*User, error)
	// UserGetMany returns the users with the given IDs that exist, in no
	// particular order.
	UserGetMany(ctx context.Context, ids []int64) ([]User, error)
	UserList(ctx context.Context, p *EntityListParams) ([]User, error)
	GroupGet(ctx context.Context, id int64) (*Group, error)
	GroupList(ctx context.Context, p *EntityListParams) ([]Group, error)
	// GroupMembers lists the platform user IDs that are members of a
	// platform group, through every integration that links both.
	GroupMembers(ctx context.Context, groupID int64) ([]int64, error)
	SiteList(ctx context.Context) ([]Site, error)

	// LinkListByEntity lists every link to one platform entity.
	LinkListByEntity(ctx context.Context, kind record.Kind, entityID int64) ([]Link, error)
	// LinkGetMany returns the links of the given external IDs that exist,
	// in no particular order.
	LinkGetMany(ctx context.Context, p *LinkGetManyParams) ([]Link, error)

	// EntityCount counts the integration's linked entities of a kind by
	// their platform state.
	EntityCount(ctx context.Context, integrationID int64, kind record.Kind) (EntityCount, error)

	AuditList(ctx context.Context, p *AuditListParams) ([]AuditEvent, error)

	AssetGet(ctx context.Context, id int64) (*Asset, error)
	// AssetGetMany returns the assets with the given IDs that exist.
	AssetGetMany(ctx context.Context, ids []int64) ([]Asset, error)
	AssetList(ctx context.Context, p *EntityListParams) ([]Asset, error)
	// AssetFind returns asset IDs (ascending) whose matching key equals
	// one of the values, by value. Hostname keys are looked up within
	// ClientID only.
	AssetFind(ctx context.Context, p *AssetFindParams) (map[string][]int64, error)
	AppointmentGetMany(ctx context.Context, ids []int64) ([]Appointment, error)
	// AppointmentList lists appointments by ascending ID, filtered by p.
	AppointmentList(ctx context.Context, p *AppointmentListParams) ([]Appointment, error)
	LicenceGetMany(ctx context.Context, ids []int64) ([]Licence, error)
	// LicenceFind returns the licences of the given (tenant, SKU) pairs
	// that exist, keyed "tenant/sku".
	LicenceFind(ctx context.Context, tenantID string, skuIDs []string) (map[string]Licence, error)
	// LicenceList lists licences by ascending ID, filtered by p.
	LicenceList(ctx context.Context, p *LicenceListParams) ([]Licence, error)
	// LicenceHolders lists the platform users holding a licence.
	LicenceHolders(ctx context.Context, licenceID int64) ([]int64, error)
	// LicencesOf lists the licences a platform user holds.
	LicencesOf(ctx context.Context, userID int64) ([]int64, error)
	// OrgMappingList lists an integration's organisation mappings.
	OrgMappingList(ctx context.Context, integrationID int64) ([]OrgMapping, error)

	// ReviewGet returns one review item, or ErrNotFound.
	ReviewGet(ctx context.Context, id int64) (*ReviewItem, error)
	// ReviewList lists review items by ascending ID after AfterID.
	ReviewList(ctx context.Context, p *ReviewListParams) ([]ReviewItem, error)
	// ReviewCount counts review items in a status ("" counts all).
	ReviewCount(ctx context.Context, status string) (int64, error)
	// UserDuplicates lists sets of active people (users and agents, not
	// contacts) sharing a key that should be unique: immutable ID, UPN,
	// email or employee ID (compared case-insensitively), or, weaker, the
	// same display name. At most Limit sets, strongest keys first.
	UserDuplicates(ctx context.Context, limit int) ([]DuplicateSet, error)
}

// Tx is one transaction. Every write goes through a Tx.
type Tx interface {
	Reader

	// IntegrationUpsert creates or updates an integration by name.
	IntegrationUpsert(ctx context.Context, p *IntegrationUpsertParams) (*Integration, error)
	// CursorSet stores the integration's cursor. The engine calls it in the
	// same transaction as the run's last batch.
	CursorSet(ctx context.Context, p *CursorSetParams) error

	RunStart(ctx context.Context, p *RunStartParams) (*Run, error)
	// RunProgress updates a running run's counts (for live progress).
	RunProgress(ctx context.Context, id int64, c Counts) error
	RunFinish(ctx context.Context, p *RunFinishParams) error
	// RunSkip records a scheduled tick that did not start a run because
	// one was still going; it is a run row with status skipped.
	RunSkip(ctx context.Context, p *RunSkipParams) (*Run, error)
	// RunAbandon marks runs still "running" for an integration as failed
	// with the given reason (a process that died mid-run).
	RunAbandon(ctx context.Context, integrationID int64, reason string) (int, error)

	// SiteEnsure returns the site of that name under that client, creating
	// the client and the site when missing.
	SiteEnsure(ctx context.Context, client, site string) (*Site, error)

	// LinkUpsertMany creates or replaces links by (integration, kind,
	// external ID), and sets each link's ID.
	LinkUpsertMany(ctx context.Context, links []Link) error
	// LinkListUnseen lists, by ascending link ID after AfterID, the
	// integration's links of a kind that point at an active entity and
	// were not marked seen in the run. The engine pages through it to sweep
	// what a full run no longer returned.
	LinkListUnseen(ctx context.Context, p *LinkListUnseenParams) ([]Link, error)

	// SeenMark marks external IDs as seen in a run. Seen marks are run
	// scratch: RunScratchClear drops them; they are not platform data.
	SeenMark(ctx context.Context, p *SeenMarkParams) error

	// UserFind returns platform user IDs whose key field equals one of the
	// values (compared case-insensitively), by value.
	UserFind(ctx context.Context, p *UserFindParams) (map[string][]int64, error)
	// UserInsertMany inserts users and sets their IDs and timestamps.
	UserInsertMany(ctx context.Context, users []User) error
	// UserUpdateMany replaces the stored fields of users by ID.
	UserUpdateMany(ctx context.Context, users []User) error
	// UserManagersResolve sets manager_id on the integration's users from
	// their links' ManagerRef: to the entity of the link with that external
	// ID, or to none when there is no such link (or it has no entity). It
	// considers only the links written in run runID and the links whose
	// ManagerRef names a link written in run runID, so its cost follows the
	// run's changes, not the directory's size. It writes only rows whose
	// manager changes and returns their count.
	UserManagersResolve(ctx context.Context, integrationID, runID int64) (int, error)

	GroupInsertMany(ctx context.Context, groups []Group) error
	GroupUpdateMany(ctx context.Context, groups []Group) error

	// MemberApply adds and removes source memberships of one group, in
	// source IDs, and marks the added ones seen in the run. It returns the
	// number of rows it changed.
	MemberApply(ctx context.Context, p *MemberApplyParams) (int, error)
	// MemberGroupsOf returns, for each member external ID, the external IDs
	// of the groups it belongs to in the integration.
	MemberGroupsOf(ctx context.Context, integrationID int64, memberIDs []string) (map[string][]string, error)
	// MemberList returns the member external IDs of one group of the
	// integration, in ascending order.
	MemberList(ctx context.Context, integrationID int64, groupExternalID string) ([]string, error)
	// MemberSweep deletes the integration's memberships not seen in the run
	// and returns the member external IDs it removed, to be re-scoped.
	MemberSweep(ctx context.Context, integrationID, runID int64) ([]string, error)

	// PendingAdd queues records whose outcome deactivates something, to be
	// applied after the run's threshold check. Run scratch.
	PendingAdd(ctx context.Context, runID int64, recs []Pending) error
	// PendingList pages through a run's queued records by Seq.
	PendingList(ctx context.Context, runID int64, afterSeq int64, limit int) ([]Pending, error)
	// RescopeAdd queues member external IDs whose scope may have changed
	// because a group membership changed. Run scratch.
	RescopeAdd(ctx context.Context, runID int64, memberIDs []string) error
	// RescopeList pages through queued member IDs not seen in the run,
	// in ascending order after AfterID.
	RescopeList(ctx context.Context, runID int64, after string, limit int) ([]string, error)
	// RunScratchClear drops a run's seen marks, pending and rescope queues.
	RunScratchClear(ctx context.Context, runID int64) error

	// AuditInsertMany appends audit events.
	AuditInsertMany(ctx context.Context, events []AuditEvent) error

	// AssetInsertMany inserts assets and sets their IDs and timestamps.
	AssetInsertMany(ctx context.Context, assets []Asset) error
	// AssetUpdateMany replaces the stored fields of assets by ID.
	AssetUpdateMany(ctx context.Context, assets []Asset) error
	AppointmentInsertMany(ctx context.Context, as []Appointment) error
	AppointmentUpdateMany(ctx context.Context, as []Appointment) error
	LicenceInsertMany(ctx context.Context, ls []Licence) error
	LicenceUpdateMany(ctx context.Context, ls []Licence) error
	// LicenceAssign sets the licences among those of tenantID that a user
	// holds to exactly licenceIDs, and returns how many rows changed.
	LicenceAssign(ctx context.Context, userID int64, tenantID string, licenceIDs []int64) (int, error)
	// OrgMappingUpsert creates or replaces a mapping by (integration,
	// source organisation ID) and sets its ID.
	OrgMappingUpsert(ctx context.Context, m *OrgMapping) error
	// OrgMappingDelete deletes a mapping; ErrNotFound if there is none.
	OrgMappingDelete(ctx context.Context, id int64) error

	// ReviewUpsert creates or replaces review items by (integration, kind,
	// external ID), keeping the ID and CreatedAt of an existing one, and
	// sets each item's ID.
	ReviewUpsert(ctx context.Context, items []ReviewItem) error
}

// Integration is one configured connection to a source, as the store knows
// it. Settings holds the non-secret settings as JSON; secrets never reach the
// store through this type.
type Integration struct {
	ID        int64
	Name      string
	Type      string
	Enabled   bool
	Settings  []byte
	CreatedAt time.Time
	UpdatedAt time.Time
}

// IntegrationUpsertParams are the fields IntegrationUpsert writes.
type IntegrationUpsertParams struct {
	Name     string
	Type     string
	Enabled  bool
	Settings []byte
}

// Cursor is an integration's delta state.
type Cursor struct {
	Value string
	// RunID is the run that committed it.
	RunID int64
	// LastFullAt is when the last successful full run finished; zero if
	// never.
	LastFullAt time.Time
	UpdatedAt  time.Time
}

// CursorSetParams set an integration's cursor.
type CursorSetParams struct {
	IntegrationID int64
	Value         string
	RunID         int64
	// Full marks the run that committed it as a complete full run, which
	// updates LastFullAt.
	Full bool
	At   time.Time
}

// Run statuses.
const (
	RunRunning   = "running"
	RunSucceeded = "succeeded"
	RunFailed    = "failed"
	// RunHeld is a run that stopped before deactivating because it would
	// have crossed the mass-deactivation threshold.
	RunHeld    = "held"
	RunSkipped = "skipped"
)

// Run is one execution of one integration.
type Run struct {
	ID            int64
	IntegrationID int64
	Status        string
	// Mode is "full" or "delta" as requested; Full reports what happened.
	Mode       string
	Full       bool
	DryRun     bool
	Trigger    string // "schedule", "manual", "api", "retry"
	StartedAt  time.Time
	FinishedAt time.Time
	Counts     Counts
	// ByKind breaks Counts down by entity kind.
	ByKind map[record.Kind]Counts
	// Error is the failure in plain words, secrets redacted.
	Error string
	// Notes are plain-language remarks (resync, held and why, ...).
	Notes string
}

// Counts are a run's outcome counts, per action over all kinds.
type Counts struct {
	Fetched     int64 `json:"fetched"`
	Created     int64 `json:"created"`
	Updated     int64 `json:"updated"`
	Unchanged   int64 `json:"unchanged"`
	Deactivated int64 `json:"deactivated"`
	Reactivated int64 `json:"reactivated"`
	OutOfScope  int64 `json:"out_of_scope"`
	Failed      int64 `json:"failed"`
	// Writes counts the platform rows written (entities, links,
	// memberships, audit events); a no-op run writes none.
	Writes int64 `json:"writes"`
}

// Add adds o to c.
func (c *Counts) Add(o Counts) {
	c.Fetched += o.Fetched
	c.Created += o.Created
	c.Updated += o.Updated
	c.Unchanged += o.Unchanged
	c.Deactivated += o.Deactivated
	c.Reactivated += o.Reactivated
	c.OutOfScope += o.OutOfScope
	c.Failed += o.Failed
	c.Writes += o.Writes
}

// RunStartParams open a run.
type RunStartParams struct {
	IntegrationID int64
	Mode          string
	DryRun        bool
	Trigger       string
	At            time.Time
}

// RunFinishParams close a run.
type RunFinishParams struct {
	ID     int64
	Status string
	Full   bool
	Counts Counts
	ByKind map[record.Kind]Counts
	Error  string
	Notes  string
	At     time.Time
}

// RunSkipParams record a skipped tick.
type RunSkipParams struct {
	IntegrationID int64
	Reason        string
	At            time.Time
}

// RunListParams filter RunList. Zero fields do not filter. Runs come newest
// first.
type RunListParams struct {
	IntegrationID int64
	Status        string
	Since         time.Time
	Limit         int
}

// Site is a platform site under a client.
type Site struct {
	ID         int64
	ClientID   int64
	ClientName string
	Name       string
}

// Roles of a platform user. Contacts (organisational contacts: people
// without an account) are users with the contact role: they share the
// user table, its keys and its history, but never match a user or agent.
const (
	RoleUser    = "user"
	RoleAgent   = "agent"
	RoleContact = "contact"
)

// User is a platform user: an end user or an agent.
type User struct {
	ID          int64
	SiteID      int64
	Role        string
	Active      bool
	DisplayName string
	GivenName   string
	Surname     string
	UPN         string
	Email       string
	JobTitle    string
	Department  string
	EmployeeID  string
	ImmutableID string
	UserType    string
	ManagerID   int64
	// Owners maps a field name (the record.Attr* names, and "manager") to
	// the ID of the integration that last wrote it under the ownership
	// rules; a field absent from the map is owned by nobody yet.
	Owners    map[string]int64
	CreatedAt time.Time
	UpdatedAt time.Time
	// DeactivatedAt and DeactivatedReason are set while inactive;
	// DeactivatedBy is the integration whose run deactivated the user (0
	// for none or an operator).
	DeactivatedAt     time.Time
	DeactivatedReason string
	DeactivatedBy     int64
}

// Group is a platform group.
type Group struct {
	ID                int64
	Name              string
	Mail              string
	Active            bool
	CreatedAt         time.Time
	UpdatedAt         time.Time
	DeactivatedAt     time.Time
	DeactivatedReason string
}

// EntityListParams filter entity lists. Entities come by ascending ID after
// AfterID.
type EntityListParams struct {
	// Search matches a substring of the name, UPN or email, case-insensitively.
	Search string
	// Active filters by state when non-nil.
	Active  *bool
	SiteID  int64
	AfterID int64
	Limit   int
}

// EntityCount counts linked entities by state.
type EntityCount struct {
	Active   int64
	Inactive int64
}

// Link states.
const (
	// LinkLinked points at a platform entity.
	LinkLinked = "linked"
	// LinkOutOfScope is a source object the scope rules leave out; it has
	// no entity (or keeps the one it had, deactivated).
	LinkOutOfScope = "out_of_scope"
	// LinkRemoved is a source object the source reported removed, or that
	// a full run no longer returned.
	LinkRemoved = "removed"
	// LinkConflict is a source object that matched more than one platform
	// entity, or an entity already linked to another object of the same
	// integration; nothing was created or merged, and Reason says why.
	LinkConflict = "conflict"
	// LinkIgnored is a source object an operator chose to ignore from the
	// review queue; runs leave it alone until the link is deleted.
	LinkIgnored = "ignored"
)

// MatchedBy values an operator's review decision leaves on a link.
const (
	// MatchedOperator: an operator linked the object to an entity.
	MatchedOperator = "operator"
	// MatchedOperatorCreate: an operator asked for a new entity; the next
	// run creates it without trying the matching rules.
	MatchedOperatorCreate = "operator_create"
)

// Link ties one source object of one integration to a platform entity.
type Link struct {
	ID            int64
	IntegrationID int64
	Kind          record.Kind
	ExternalID    string
	// EntityID is 0 while the object has never been in scope.
	EntityID int64
	Status   string
	// MatchedBy is the rule that tied the source object to the entity:
	// "created", "immutable_id", "upn", "email", ...
	MatchedBy string
	// Fingerprint is the hash of the last applied source record together
	// with its scope outcome; an equal fingerprint means nothing to do.
	Fingerprint string
	// Data is the last applied source record (attributes and state) as
	// JSON, used to re-scope without refetching and to explain outcomes.
	Data []byte
	// ManagerRef is, for a user, the external ID of its manager at the
	// source ("" for none); UserManagersResolve turns it into manager_id.
	ManagerRef string
	// Reason is the last outcome in words ("not in a mapped group", ...).
	Reason       string
	LastRunID    int64
	CreatedAt    time.Time
	UpdatedAt    time.Time
	EntityActive bool // filled by reads that join the entity
}

// LinkGetManyParams select links by external ID.
type LinkGetManyParams struct {
	IntegrationID int64
	Kind          record.Kind
	ExternalIDs   []string
}

// LinkListUnseenParams page LinkListUnseen.
type LinkListUnseenParams struct {
	IntegrationID int64
	Kind          record.Kind
	RunID         int64
	AfterID       int64
	Limit         int
}

// SeenMarkParams mark external IDs seen in a run.
type SeenMarkParams struct {
	RunID       int64
	Kind        record.Kind
	ExternalIDs []string
}

// User key fields that UserFind can search.
const (
	KeyImmutableID = "immutable_id"
	KeyUPN         = "upn"
	KeyEmail       = "email"
	KeyEmployeeID  = "employee_id"
)

// UserFindParams look users up by one key field.
type UserFindParams struct {
	Key    string
	Values []string
	// Contacts searches the contacts instead of the users and agents.
	Contacts bool
}

// MemberApplyParams change one group's source memberships.
type MemberApplyParams struct {
	IntegrationID   int64
	RunID           int64
	GroupExternalID string
	Added           []string
	Removed         []string
}

// Pending is a record queued until the threshold check.
type Pending struct {
	Seq  int64
	Kind record.Kind
	// ExternalID is the source object; Record is its JSON (link data form),
	// empty for a link found missing by the sweep.
	ExternalID string
	Record     []byte
	Reason     string
}

// Audit actions.
const (
	ActionCreated     = "created"
	ActionUpdated     = "updated"
	ActionDeactivated = "deactivated"
	ActionReactivated = "reactivated"
	ActionLinked      = "linked"
	// ActionUnlinked: a source dropped its link to an entity that other
	// sources keep active.
	ActionUnlinked = "unlinked"
)

// AuditEvent is one change to a platform entity.
type AuditEvent struct {
	ID            int64
	At            time.Time
	RunID         int64
	IntegrationID int64
	Kind          record.Kind
	EntityID      int64
	Action        string
	// Reason says why, in words ("accountEnabled=false at source",
	// "not returned by a full run", "matched by upn").
	Reason string
	// Changes is a JSON object of field → [old, new] for updates.
	Changes []byte
}

// AuditListParams filter AuditList. Events come by ascending ID after
// AfterID.
type AuditListParams struct {
	IntegrationID int64
	RunID         int64
	Kind          record.Kind
	EntityID      int64
	Action        string
	Since, Until  time.Time
	AfterID       int64
	Limit         int
}

// Review item statuses.
const (
	ReviewOpen = "open"
	// ReviewLinked, ReviewCreated and ReviewIgnored are an operator's
	// decisions; ReviewCleared is an item a later run no longer found
	// ambiguous.
	ReviewLinked  = "linked"
	ReviewCreated = "created"
	ReviewIgnored = "ignored"
	ReviewCleared = "cleared"
)

// ReviewItem is a source object the engine would not link or create on its
// own: it matched several platform entities, or an entity another object of
// the same integration already holds. Nothing was created or merged; an
// operator decides.
type ReviewItem struct {
	ID            int64
	IntegrationID int64
	Kind          record.Kind
	ExternalID    string
	// Rule is the matching rule that collided ("email", ...).
	Rule string
	// Reason says what collided, in words.
	Reason string
	// Candidates are the platform entities the object matched.
	Candidates []int64
	// Data is the source record (link data form) as JSON.
	Data       []byte
	Status     string
	RunID      int64
	CreatedAt  time.Time
	UpdatedAt  time.Time
	ResolvedAt time.Time
	// ResolvedBy says who decided ("operator", "run 42").
	ResolvedBy string
}

// ReviewListParams filter ReviewList. Zero fields do not filter.
type ReviewListParams struct {
	IntegrationID int64
	Status        string
	AfterID       int64
	Limit         int
}

// DuplicateSet is a set of platform people that look like one person.
type DuplicateSet struct {
	// Key is what they share: "immutable_id", "upn", "email",
	// "employee_id" or "display_name".
	Key     string
	Value   string
	UserIDs []int64
}

// Asset types.
const (
	AssetWorkstation    = "workstation"
	AssetLaptop         = "laptop"
	AssetServer         = "server"
	AssetMobile         = "mobile"
	AssetVirtualMachine = "virtual_machine"
	AssetNetworkDevice  = "network_device"
	AssetPrinter        = "printer"
	AssetOther          = "other"
)

// Asset is a platform asset: one device, whatever the number of sources
// that report it.
type Asset struct {
	ID       int64
	ClientID int64
	SiteID   int64
	// Type is one of the Asset* constants.
	Type         string
	Name         string
	Hostname     string
	Serial       string
	Manufacturer string
	Model        string
	OS           string
	OSVersion    string
	MACs         []string
	IPs          []string
	// PrimaryUserID is the platform user the device belongs to (0: none).
	PrimaryUserID int64
	// LastLoggedOnUser is as the source reported it.
	LastLoggedOnUser string
	LastSeen         time.Time
	// Online is "online", "offline" or "" (unknown).
	Online     string
	Compliance string
	// Details holds the other attributes under their record.Attr* names:
	// owner type, encryption, warranty, CPU, memory, disks and software
	// (JSON arrays), custom fields ("custom.NAME").
	Details map[string]string
	// Owners maps a field to the integration that owns it, as for users.
	Owners    map[string]int64
	Active    bool
	CreatedAt time.Time
	UpdatedAt time.Time
	// DeactivatedAt, DeactivatedReason and DeactivatedBy are set while
	// inactive (retired, stale, gone from its sources).
	DeactivatedAt     time.Time
	DeactivatedReason string
	DeactivatedBy     int64
	// SerialKey, MACKey and HostnameKey are the matching keys the engine
	// computed ("" for none: a placeholder serial, only virtual MACs).
	SerialKey   string
	MACKey      string
	HostnameKey string
}

// Asset matching keys AssetFind can search.
const (
	AssetKeySerial   = "serial"
	AssetKeyMAC      = "mac"
	AssetKeyHostname = "hostname"
)

// AssetFindParams look assets up by one key.
type AssetFindParams struct {
	Key    string
	Values []string
	// ClientID scopes hostname lookups: two devices named alike at two
	// clients are two devices.
	ClientID int64
}

// Organisation mapping origins.
const (
	// OrgMappingAuto: a run matched an unmapped organisation to a platform
	// client of the same name and recorded it.
	OrgMappingAuto = "auto"
	// OrgMappingOperator: an operator wrote it (API or console).
	OrgMappingOperator = "operator"
)

// OrgMapping places a source organisation (an RMM client/organisation) at a
// platform client, and optionally one site. Runs add mappings for
// organisations they match by name; they never change an existing one.
type OrgMapping struct {
	ID            int64
	IntegrationID int64
	SourceOrgID   string
	SourceOrgName string
	Client        string
	// Site, when set, is the site of every device of the organisation;
	// empty places each device at the site named like its source site.
	Site      string
	Origin    string
	CreatedAt time.Time
	UpdatedAt time.Time
}

// Appointment is one event of one mailbox's calendar. Occurrences and
// exceptions of a recurring series are appointments of their own, tied to
// the series by SeriesID (the source ID of the series master).
type Appointment struct {
	ID int64
	// UserID is the platform user whose mailbox holds the event (0: none).
	UserID    int64
	Mailbox   string
	SeriesID  string
	EventType string
	// Subject, Location and Attendees are empty for a private event: it is
	// busy time only.
	Subject  string
	Start    time.Time
	End      time.Time
	TimeZone string
	AllDay   bool
	Location string
	// Organizer is a mail address; Attendees a JSON array.
	Organizer  string
	Attendees  string
	ShowAs     string
	Private    bool
	Recurrence string
	Cancelled  bool
	// Active is false for an event deleted at the source or moved out of
	// the synchronised window.
	Active            bool
	CreatedAt         time.Time
	UpdatedAt         time.Time
	DeactivatedAt     time.Time
	DeactivatedReason string
}

// AppointmentListParams filter AppointmentList. Zero fields do not
// filter; From and To select appointments overlapping [From, To).
type AppointmentListParams struct {
	UserID   int64
	From, To time.Time
	Active   *bool
	AfterID  int64
	Limit    int
}

// Licence is one subscribed SKU of one tenant, at the platform client the
// tenant maps to.
type Licence struct {
	ID               int64
	ClientID         int64
	TenantID         string
	SkuID            string
	SkuPartNumber    string
	Name             string
	CapabilityStatus string
	EnabledUnits     int64
	SuspendedUnits   int64
	WarningUnits     int64
	ConsumedUnits    int64
	// Active is false for a SKU the tenant no longer has; it is never
	// deleted.
	Active            bool
	CreatedAt         time.Time
	UpdatedAt         time.Time
	DeactivatedAt     time.Time
	DeactivatedReason string
}

// LicenceListParams filter LicenceList.
type LicenceListParams struct {
	ClientID int64
	Active   *bool
	AfterID  int64
	Limit    int
}
