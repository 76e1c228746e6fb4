// Package integration holds the connector-agnostic settings of one
// integration: the "Imports tab" that says what to import, on which
// schedule, into which sites, and how deactivation is guarded. The config
// file, the API and the store all carry this one type.
package integration

import (
	"time"

	"github.com/integrator-oss/integrator/internal/record"
)

// Settings are an integration's Integrator settings. The zero value is not
// usable: call WithDefaults.
type Settings struct {
	// Name is the integration's unique name.
	Name string `json:"name"`
	// Type is the connector type ("entra", ...).
	Type string `json:"type"`
	// Enabled: nothing runs for a disabled integration.
	Enabled bool `json:"enabled"`
	// Entities are the kinds to import. Defaults to users and groups.
	Entities []record.Kind `json:"entities"`
	// Schedule is when runs start. Defaults to every 15 minutes.
	Schedule Schedule `json:"schedule"`
	// FullSyncEvery is how often a full enumeration replaces a delta run,
	// so that deletions a delta can miss are found. Defaults to 24h.
	FullSyncEvery time.Duration `json:"full_sync_every"`
	// RunTimeout bounds one run. Defaults to 2h.
	RunTimeout time.Duration `json:"run_timeout"`
	// Client is the platform client the integration's sites belong to.
	// Defaults to the integration's name.
	Client string `json:"client"`
	// DeactivateWhenNotFound: on a full run, linked entities the source no
	// longer returns are deactivated. Defaults to true. Removals and
	// disables the source reports deactivate regardless.
	DeactivateWhenNotFound *bool `json:"deactivate_when_not_found"`
	// Threshold guards against mass deactivation.
	Threshold Threshold `json:"threshold"`
	// Scope says which users are imported and where they go.
	Scope Scope `json:"scope"`
	// Matching is the order of rules that find an existing platform user
	// before a new one is created. Defaults to immutable_id, upn, email.
	Matching []string `json:"matching"`
	// Lifecycle says what a disable or removal at this source does to a
	// person other sources also link: "authoritative" (the default, safe for
	// access revocation) deactivates the platform user; "contributing" only
	// drops this source's link, and deactivates the user only when no other
	// source still links it.
	Lifecycle string `json:"lifecycle"`
	// Assets are the device settings of integrations that import assets.
	Assets AssetSettings `json:"assets"`
}

// AssetSettings say how devices become platform assets.
type AssetSettings struct {
	// Matching is the order of rules that find the platform asset a
	// device already is: serial, mac, hostname (within the client).
	// Defaults to serial, mac, hostname.
	Matching []string `json:"matching,omitempty"`
	// PlaceholderSerials extend the built-in list of serial numbers that
	// identify nothing ("To be filled by O.E.M.", "Default string", ...).
	PlaceholderSerials []string `json:"placeholder_serials,omitempty"`
	// StaleAfter marks an asset inactive when no source has seen it for
	// this long. Defaults to 90 days; a negative value turns it off.
	StaleAfter time.Duration `json:"stale_after,omitempty"`
	// User says how an asset gets its platform user: "auto" (the default:
	// the primary user the source reports, else the last logged-on user),
	// "primary", "last_logged_on" or "none".
	User string `json:"user,omitempty"`
	// UPNSuffix turns a last logged-on user reported as DOMAIN\name into
	// name@suffix to find the platform user.
	UPNSuffix string `json:"upn_suffix,omitempty"`
	// Organisations map source organisations to platform clients ahead of
	// the mapping table. Organisations nothing maps are matched to a
	// platform client of the same name (and the match is added to the
	// table), else placed at the integration's client and default site.
	Organisations []OrgMap `json:"organisations,omitempty"`
}

// OrgMap places one source organisation.
type OrgMap struct {
	// Source is the organisation's ID or name at the source.
	Source string `json:"source"`
	Client string `json:"client"`
	// Site, when set, is the site of every device of the organisation.
	Site string `json:"site,omitempty"`
}

// Asset matching rules and user modes.
const (
	AssetMatchSerial   = "serial"
	AssetMatchMAC      = "mac"
	AssetMatchHostname = "hostname"

	AssetUserAuto         = "auto"
	AssetUserPrimary      = "primary"
	AssetUserLastLoggedOn = "last_logged_on"
	AssetUserNone         = "none"

	DefaultStaleAfter = 90 * 24 * time.Hour
)

// Lifecycle values.
const (
	Authoritative = "authoritative"
	Contributing  = "contributing"
)

// Schedule is an interval or a cron expression (exactly one is set).
type Schedule struct {
	Every time.Duration `json:"every,omitempty"`
	Cron  string        `json:"cron,omitempty"`
}

// Threshold refuses a run that would deactivate more than MaxCount or more
// than MaxPercent of the integration's active users, until an operator
// confirms it.
type Threshold struct {
	// MaxCount defaults to 500; -1 disables the count limit.
	MaxCount int `json:"max_count"`
	// MaxPercent defaults to 10; -1 disables the percentage limit.
	MaxPercent float64 `json:"max_percent"`
}

// Scope maps source groups to platform sites and roles.
type Scope struct {
	// AllUsers imports users in no mapped group too, into DefaultSite.
	AllUsers bool `json:"all_users"`
	// DefaultSite is the site of users that no mapping places. Defaults to
	// "Main".
	DefaultSite string `json:"default_site"`
	// Mappings, in order of precedence: a user's site is the site of the
	// first mapping (in this order) whose group the user is in; the user is
	// an agent if any mapping the user matches says agent.
	Mappings []Mapping `json:"mappings"`
}

// Mapping places the members of one source group, or the objects filed
// under one organisational unit. Exactly one of Group and OrgUnit is set.
type Mapping struct {
	// Group is the source group's ID or its display name.
	Group string `json:"group,omitempty"`
	// OrgUnit is an organisational unit: an LDAP DN
	// ("OU=London,DC=corp,DC=example") or a Google orgUnitPath
	// ("/London"). It places the objects filed in it or below it; when
	// several OU mappings hold a user, the deepest wins.
	OrgUnit string `json:"org_unit,omitempty"`
	// Site is the platform site's name; empty keeps DefaultSite.
	Site string `json:"site,omitempty"`
	// Role is "user" (the default) or "agent".
	Role string `json:"role,omitempty"`
}

// Matching rule names.
const (
	MatchImmutableID = "immutable_id"
	MatchUPN         = "upn"
	MatchEmail       = "email"
	MatchEmployeeID  = "employee_id"
)

// Defaults.
const (
	DefaultEvery         = 15 * time.Minute
	DefaultFullSyncEvery = 24 * time.Hour
	DefaultRunTimeout    = 2 * time.Hour
	DefaultMaxCount      = 500
	DefaultMaxPercent    = 10
	DefaultSite          = "Main"
)

// WithDefaults returns a copy with every unset field at its default. It is
// the only place defaults live.
func (s Settings) WithDefaults() Settings {
	if len(s.Entities) == 0 {
		s.Entities = []record.Kind{record.KindUser, record.KindGroup}
	}
	if s.Schedule.Every == 0 && s.Schedule.Cron == "" {
		s.Schedule.Every = DefaultEvery
	}
	if s.FullSyncEvery == 0 {
		s.FullSyncEvery = DefaultFullSyncEvery
	}
	if s.RunTimeout == 0 {
		s.RunTimeout = DefaultRunTimeout
	}
	if s.Client == "" {
		s.Client = s.Name
	}
	if s.DeactivateWhenNotFound == nil {
		t := true
		s.DeactivateWhenNotFound = &t
	}
	if s.Threshold.MaxCount == 0 {
		s.Threshold.MaxCount = DefaultMaxCount
	}
	if s.Threshold.MaxPercent == 0 {
		s.Threshold.MaxPercent = DefaultMaxPercent
	}
	if s.Scope.DefaultSite == "" {
		s.Scope.DefaultSite = DefaultSite
	}
	if len(s.Matching) == 0 {
		s.Matching = []string{MatchImmutableID, MatchUPN, MatchEmail}
	}
	if s.Lifecycle == "" {
		s.Lifecycle = Authoritative
	}
	if len(s.Assets.Matching) == 0 {
		s.Assets.Matching = []string{AssetMatchSerial, AssetMatchMAC, AssetMatchHostname}
	}
	if s.Assets.StaleAfter == 0 {
		s.Assets.StaleAfter = DefaultStaleAfter
	}
	if s.Assets.User == "" {
		s.Assets.User = AssetUserAuto
	}
	return s
}

// Imports reports whether the settings import kind k.
func (s Settings) Imports(k record.Kind) bool {
	for _, e := range s.Entities {
		if e == k {
			return true
		}
	}
	return false
}
