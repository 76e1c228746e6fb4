package api

import (
	"encoding/json"
	"net/http"
	"regexp"
	"strings"
)

var pathParam = regexp.MustCompile(`\{([a-z_]+)\}`)

// schemas are the request bodies the routes name.
var schemas = map[string]any{
	"Login": obj(map[string]any{"username": str("user name"), "password": str("password")}, "username", "password"),
	"Setup": obj(map[string]any{"token": str("the token of the one-time setup link"), "password": str("at least 12 characters")}, "token", "password"),
	"TokenCreate": obj(map[string]any{"name": str("label"), "scope": map[string]any{"type": "string", "enum": []string{"read", "admin"}},
		"expires_in": str("a Go duration like 720h; none: no expiry")}, "name", "scope"),
	"ReviewLink": obj(map[string]any{"entity_id": map[string]any{"type": "integer", "description": "the platform entity to link to"}}, "entity_id"),
	"OrgMapping": obj(map[string]any{"source_org_id": str("the organisation's ID at the source"), "source_org_name": str("its name, for people"),
		"client": str("platform client"), "site": str("platform site for every device of the organisation; empty: the device's source site name")}, "source_org_id", "client"),
	"AdminCreate": obj(map[string]any{"username": str("user name")}, "username"),
	"IntegrationDocument": map[string]any{
		"type":        "object",
		"description": "The keys of an entry of the config file's integrations: list (name, type, enabled, entities, schedule, full_sync_every, run_timeout, client, deactivate_when_not_found, threshold, scope, matching, config). Secrets in config are plain strings here and are never returned: a read shows {\"set\": true}; sending that back, or leaving the key out, keeps the secret; null clears it.",
		"required":    []string{"name", "type"},
		"properties": map[string]any{
			"name": str("unique: lower-case letters, digits, '.', '-', '_'"), "type": str("connector type, e.g. entra"),
			"enabled": map[string]any{"type": "boolean"}, "schedule": str("an interval like 15m or a cron expression"),
			"config": map[string]any{"type": "object", "description": "the connector's own block"},
		},
	},
	"IntegrationReplace": map[string]any{"type": "object", "properties": map[string]any{
		"version":  map[string]any{"type": "integer", "description": "the version read; a stale one is refused with 409"},
		"document": map[string]any{"$ref": "#/components/schemas/IntegrationDocument"},
	}},
	"Settings": map[string]any{"type": "object", "description": "Any of: enabled, entities, schedule, full_sync_every, run_timeout, client, deactivate_when_not_found, threshold {max_count, max_percent}, scope {all_users, default_site, mappings [{group, site, role}]}, matching. null returns a key to its default."},
	"RunNow":   obj(map[string]any{"full": map[string]any{"type": "boolean"}, "allow_mass_deactivation": map[string]any{"type": "boolean", "description": "confirms a run past the threshold"}}),
	"Envelope": obj(map[string]any{
		"status": map[string]any{"type": "string", "enum": []string{"success", "error"}}, "data": map[string]any{},
		"error_type": str("bad_request, unauthorized, forbidden, not_found, conflict, rate_limited, source_refused, not_supported, internal"),
		"error":      str("what is wrong, in words"),
		"fields":     map[string]any{"type": "array", "items": obj(map[string]any{"field": str("dotted path"), "message": str("")})},
	}, "status"),
}

func str(desc string) map[string]any { return map[string]any{"type": "string", "description": desc} }

func obj(props map[string]any, required ...string) map[string]any {
	o := map[string]any{"type": "object", "properties": props}
	if len(required) > 0 {
		o["required"] = required
	}
	return o
}

// Document builds the OpenAPI 3 document of the routes.
func (s *Server) Document() map[string]any {
	paths := map[string]map[string]any{}
	for _, rt := range s.routes {
		op := map[string]any{"summary": rt.summary, "tags": []string{rt.tag}, "operationId": opID(rt)}
		var params []any
		for _, m := range pathParam.FindAllStringSubmatch(rt.path, -1) {
			typ := "string"
			if m[1] == "id" {
				typ = "integer"
			}
			params = append(params, map[string]any{"name": m[1], "in": "path", "required": true, "schema": map[string]any{"type": typ}})
		}
		for _, p := range rt.params {
			params = append(params, map[string]any{"name": p.name, "in": "query", "description": p.doc, "schema": map[string]any{"type": p.typ}})
		}
		if len(params) > 0 {
			op["parameters"] = params
		}
		if rt.body != "" {
			op["requestBody"] = map[string]any{"content": map[string]any{"application/json": map[string]any{
				"schema": map[string]any{"$ref": "#/components/schemas/" + rt.body}}}}
		}
		ok := "200"
		if rt.created {
			ok = "201"
		}
		media := "application/json"
		if rt.produces != "" {
			media = rt.produces
		}
		resp := map[string]any{ok: map[string]any{"description": "success", "content": map[string]any{media: map[string]any{
			"schema": map[string]any{"$ref": "#/components/schemas/Envelope"}}}}}
		errResp := map[string]any{"description": "error", "content": map[string]any{"application/json": map[string]any{
			"schema": map[string]any{"$ref": "#/components/schemas/Envelope"}}}}
		resp["400"] = errResp
		if rt.scope != "" {
			resp["401"] = errResp
			if rt.scope == "admin" {
				resp["403"] = errResp
			}
		} else {
			op["security"] = []any{}
		}
		op["responses"] = resp
		if rt.scope == "admin" {
			op["description"] = "Needs the admin scope."
		}
		if paths[rt.path] == nil {
			paths[rt.path] = map[string]any{}
		}
		paths[rt.path][strings.ToLower(rt.method)] = op
	}
	for _, extra := range []struct{ path, summary string }{{"/healthz", "Liveness"}, {"/readyz", "Readiness: store reachable, jobs started"}} {
		paths[extra.path] = map[string]any{"get": map[string]any{"summary": extra.summary, "tags": []string{"meta"}, "security": []any{},
			"operationId": strings.TrimPrefix(extra.path, "/"),
			"responses":   map[string]any{"200": map[string]any{"description": "ok"}, "503": map[string]any{"description": "not ready"}}}}
	}
	paths["/metrics"] = map[string]any{"get": map[string]any{"summary": "Prometheus metrics", "tags": []string{"meta"}, "operationId": "metrics",
		"responses": map[string]any{"200": map[string]any{"description": "text exposition format"}, "401": map[string]any{"description": "authentication required"}}}}
	return map[string]any{
		"openapi": "3.0.3",
		"info": map[string]any{"title": "Integrator API", "version": "1",
			"description": "Integrations, runs, the platform directory and its audit trail. Every route but /healthz, /readyz, login and setup needs an API token (Authorization: Bearer itg_...) or a console session; changes need the admin scope."},
		"paths": paths,
		"components": map[string]any{
			"schemas": schemas,
			"securitySchemes": map[string]any{
				"token":   map[string]any{"type": "http", "scheme": "bearer"},
				"session": map[string]any{"type": "apiKey", "in": "cookie", "name": "integrator_session"},
			},
		},
		"security": []any{map[string]any{"token": []string{}}, map[string]any{"session": []string{}}},
	}
}

func opID(rt route) string {
	p := pathParam.ReplaceAllString(strings.TrimPrefix(rt.path, "/api/v1/"), "by_$1")
	return strings.ToLower(rt.method) + "_" + strings.NewReplacer("/", "_", ".", "_").Replace(p)
}

func (s *Server) openapi(w http.ResponseWriter, _ *http.Request) {
	w.Header().Set("Content-Type", "application/json")
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	enc.Encode(s.Document())
}
