package api

import (
	"net/http"

	"github.com/integrator-oss/integrator/internal/store"
)

// route is one API route, its scope and its documentation.
type route struct {
	method, path string
	// scope is the least scope a caller needs; "" for none (login, setup).
	scope   string
	tag     string
	summary string
	params  []param
	// body names the request body's schema in the OpenAPI document.
	body    string
	created bool
	h       func(*http.Request) (any, error)
	// raw handlers write their own response (exports, login cookies).
	raw http.HandlerFunc
	// produces is the response media type of a raw handler.
	produces string
}

// param is a query parameter.
type param struct {
	name, typ, doc string
}

var (
	pLimit  = param{"limit", "integer", "at most this many (default and maximum depend on the route)"}
	pAfter  = param{"after", "integer", "the ID to continue after (paging)"}
	pSearch = param{"search", "string", "a substring of the name, UPN or email, case-insensitive"}
	pActive = param{"active", "boolean", "only active (true) or inactive (false) ones"}
)

func (s *Server) table() []route {
	read, admin := store.ScopeRead, store.ScopeAdmin
	return []route{
		{method: "GET", path: "/api/v1/openapi.json", scope: read, tag: "meta", summary: "This document", raw: s.openapi, produces: "application/json"},

		{method: "POST", path: "/api/v1/login", tag: "auth", summary: "Log in: sets the session cookie", body: "Login", raw: s.login},
		{method: "POST", path: "/api/v1/logout", scope: read, tag: "auth", summary: "Log out: ends the session", raw: s.logout},
		{method: "POST", path: "/api/v1/setup", tag: "auth", summary: "Set a password with a one-time setup token; starts a session", body: "Setup", raw: s.setup},
		{method: "GET", path: "/api/v1/me", scope: read, tag: "auth", summary: "Who the request authenticates as", h: s.me},
		{method: "GET", path: "/api/v1/tokens", scope: admin, tag: "auth", summary: "API tokens (never their values)", h: s.tokens},
		{method: "POST", path: "/api/v1/tokens", scope: admin, tag: "auth", summary: "Create an API token; its value is shown once", body: "TokenCreate", created: true, h: s.tokenCreate},
		{method: "DELETE", path: "/api/v1/tokens/{id}", scope: admin, tag: "auth", summary: "Revoke an API token", h: s.tokenDelete},
		{method: "GET", path: "/api/v1/admins", scope: admin, tag: "auth", summary: "Administrators", h: s.admins},
		{method: "POST", path: "/api/v1/admins", scope: admin, tag: "auth", summary: "Create an administrator (or renew its setup link); returns a one-time setup link", body: "AdminCreate", created: true, h: s.adminCreate},

		{method: "GET", path: "/api/v1/integrations", scope: read, tag: "integrations", summary: "Integrations with their state", h: s.integrations},
		{method: "POST", path: "/api/v1/integrations", scope: admin, tag: "integrations", summary: "Create an integration (the keys of a config file entry; secrets write-only)", body: "IntegrationDocument", created: true, h: s.integrationCreate},
		{method: "GET", path: "/api/v1/integrations/{name}", scope: read, tag: "integrations", summary: "An integration: state, document (secrets only as set: true/false) and effective settings", h: s.integration},
		{method: "PUT", path: "/api/v1/integrations/{name}", scope: admin, tag: "integrations", summary: "Replace an integration's document; absent secrets are kept", body: "IntegrationReplace", h: s.integrationReplace},
		{method: "DELETE", path: "/api/v1/integrations/{name}", scope: admin, tag: "integrations", summary: "Delete an integration; its runs, links and audit trail stay", h: s.integrationDelete},
		{method: "POST", path: "/api/v1/integrations/{name}/enable", scope: admin, tag: "integrations", summary: "Enable", h: s.enable(true)},
		{method: "POST", path: "/api/v1/integrations/{name}/disable", scope: admin, tag: "integrations", summary: "Disable", h: s.enable(false)},
		{method: "GET", path: "/api/v1/integrations/{name}/settings", scope: read, tag: "integrations", summary: "The Integrator settings (Imports tab)", h: s.settings},
		{method: "PUT", path: "/api/v1/integrations/{name}/settings", scope: admin, tag: "integrations", summary: "Change Integrator settings: entities, schedule, full_sync_every, deactivate_when_not_found, threshold, scope (mappings), matching, enabled", body: "Settings", h: s.settingsPut},
		{method: "POST", path: "/api/v1/integrations/{name}/preview", scope: admin, tag: "integrations", summary: "What unsaved settings would do: a full dry run, nothing written", body: "Settings", h: s.preview},
		{method: "POST", path: "/api/v1/integrations/{name}/check", scope: admin, tag: "integrations", summary: "Test the connection and credentials with light requests", h: s.check},
		{method: "GET", path: "/api/v1/integrations/{name}/groups", scope: read, tag: "integrations", summary: "The source's groups, fetched live, to map", h: s.sourceGroups},
		{method: "POST", path: "/api/v1/integrations/{name}/runs", scope: admin, tag: "runs", summary: "Run now (full or delta)", body: "RunNow", created: true, h: s.runNow},
		{method: "POST", path: "/api/v1/integrations/{name}/confirm", scope: admin, tag: "runs", summary: "Confirm a held mass deactivation: a full run allowed past the threshold", created: true, h: s.confirm},
		{method: "GET", path: "/api/v1/integrations/{name}/troubleshoot", scope: read, tag: "integrations", summary: "Troubleshooting checks", params: []param{{"probe", "boolean", "also test the credentials against the source"}}, h: s.troubleshoot},
		{method: "GET", path: "/api/v1/integrations/{name}/explain", scope: read, tag: "integrations", summary: "Why is a user not imported / not deactivated / at this site?", params: []param{{"q", "string", "a name, UPN, mail or source ID (substring)"}}, h: s.explain},

		{method: "GET", path: "/api/v1/integrations/{name}/org-mappings", scope: read, tag: "integrations", summary: "The organisation mapping table: source organisation → platform client (and site)", h: s.orgMappings},
		{method: "PUT", path: "/api/v1/integrations/{name}/org-mappings", scope: admin, tag: "integrations", summary: "Map a source organisation to a platform client; runs never rewrite it", body: "OrgMapping", h: s.orgMappingPut},
		{method: "DELETE", path: "/api/v1/integrations/{name}/org-mappings/{id}", scope: admin, tag: "integrations", summary: "Remove a mapping: the organisation is matched by name again", h: s.orgMappingDelete},

		{method: "GET", path: "/api/v1/runs", scope: read, tag: "runs", summary: "Runs, newest first",
			params: []param{{"integration", "string", "integration name"}, {"status", "string", "running, succeeded, failed, held or skipped"}, {"since", "string", "started at or after (RFC 3339)"}, {"until", "string", "started before (RFC 3339)"}, pLimit}, h: s.runs},
		{method: "GET", path: "/api/v1/runs/{id}", scope: read, tag: "runs", summary: "A run: counts per kind, rate and, while running, live progress", h: s.run},
		{method: "GET", path: "/api/v1/runs/{id}/outcomes", scope: read, tag: "runs", summary: "Per-record outcomes of a run: the links it wrote (status, reason) and its audit events",
			params: []param{{"kind", "string", "entity kind (default user)"}, {"status", "string", "linked, out_of_scope, removed, conflict"}, pAfter, pLimit}, h: s.runOutcomes},

		{method: "GET", path: "/api/v1/users", scope: read, tag: "directory", summary: "Platform users, agents and contacts", params: []param{pSearch, pActive, {"site", "integer", "site ID"}, {"role", "string", "user, agent or contact"}, pAfter, pLimit}, h: s.users},
		{method: "GET", path: "/api/v1/users/{id}", scope: read, tag: "directory", summary: "A user with every link and its audit history", h: s.user},
		{method: "GET", path: "/api/v1/groups", scope: read, tag: "directory", summary: "Platform groups", params: []param{pSearch, pActive, pAfter, pLimit}, h: s.groups},
		{method: "GET", path: "/api/v1/groups/{id}", scope: read, tag: "directory", summary: "A group with its links, members and audit history", h: s.group},
		{method: "GET", path: "/api/v1/sites", scope: read, tag: "directory", summary: "Sites and their clients", h: s.sites},
		{method: "GET", path: "/api/v1/contacts", scope: read, tag: "directory", summary: "Organisational contacts (users with the contact role)", params: []param{pSearch, pActive, pAfter, pLimit}, h: s.contacts},
		{method: "GET", path: "/api/v1/assets", scope: read, tag: "directory", summary: "Assets (devices)", params: []param{{"search", "string", "a substring of the name, hostname or serial"}, pActive, {"site", "integer", "site ID"}, pAfter, pLimit}, h: s.assets},
		{method: "GET", path: "/api/v1/assets/{id}", scope: read, tag: "directory", summary: "An asset with every link and its audit history", h: s.asset},
		{method: "GET", path: "/api/v1/licences", scope: read, tag: "directory", summary: "Licences (subscribed SKUs)", params: []param{pActive, pAfter, pLimit}, h: s.licences},
		{method: "GET", path: "/api/v1/licences/{id}", scope: read, tag: "directory", summary: "A licence with its links, holders (members) and audit history", h: s.licence},
		{method: "GET", path: "/api/v1/appointments", scope: read, tag: "directory", summary: "Appointments", params: []param{{"user", "integer", "platform user ID"}, {"from", "string", "ending after (RFC 3339)"}, {"to", "string", "starting before (RFC 3339)"}, pActive, pAfter, pLimit}, h: s.appointments},

		{method: "GET", path: "/api/v1/review", scope: read, tag: "review", summary: "The review queue: ambiguous matches awaiting an operator", params: []param{{"integration", "string", "integration name"}, {"status", "string", "open (default), linked, created, ignored, cleared, or all"}, pAfter, pLimit}, h: s.reviews},
		{method: "GET", path: "/api/v1/review/{id}", scope: read, tag: "review", summary: "A review item with its candidates", h: s.review},
		{method: "POST", path: "/api/v1/review/{id}/link", scope: admin, tag: "review", summary: "Link the source object to the platform entity chosen; the next run applies it", body: "ReviewLink", h: s.decide(store.ReviewLinked)},
		{method: "POST", path: "/api/v1/review/{id}/create", scope: admin, tag: "review", summary: "Create a new platform entity for the source object; the next run creates it", h: s.decide(store.ReviewCreated)},
		{method: "POST", path: "/api/v1/review/{id}/ignore", scope: admin, tag: "review", summary: "Leave the source object alone in future runs", h: s.decide(store.ReviewIgnored)},

		{method: "GET", path: "/api/v1/audit", scope: read, tag: "audit", summary: "The audit trail, oldest first", params: auditParams, h: s.audit},
		{method: "GET", path: "/api/v1/audit/export", scope: read, tag: "audit", summary: "Export the audit trail as CSV or JSON lines",
			params: append([]param{{"format", "string", "csv (default) or jsonl"}}, auditParams...), raw: s.auditExport, produces: "text/csv"},
	}
}

var auditParams = []param{
	{"integration", "string", "integration name"}, {"run", "integer", "run ID"}, {"kind", "string", "entity kind"},
	{"entity", "integer", "entity ID (with kind)"}, {"action", "string", "created, updated, deactivated, reactivated, linked"},
	{"since", "string", "at or after (RFC 3339)"}, {"until", "string", "before (RFC 3339)"}, pAfter, pLimit,
}
