package lansweeper

import (
	"encoding/base64"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"sort"
	"strconv"
	"strings"
	"time"
)

// gqlError is one entry of a GraphQL response's "errors".
type gqlError struct {
	Message    string         `json:"message"`
	Path       []any          `json:"path,omitempty"`
	Extensions map[string]any `json:"extensions,omitempty"`
}

func newError(code, format string, args ...any) gqlError {
	return gqlError{Message: fmt.Sprintf(format, args...), Extensions: map[string]any{"code": code}}
}

// validationError stops a request before execution: HTTP 400, no data.
type validationError struct{ gqlError }

// execError fails one field during execution: HTTP 200, the field null.
type execError struct{ gqlError }

func writeJSON(w http.ResponseWriter, status int, v any) {
	w.Header().Set("Content-Type", "application/json; charset=utf-8")
	w.WriteHeader(status)
	_ = json.NewEncoder(w).Encode(v)
}

func writeErrors(w http.ResponseWriter, status int, errs ...gqlError) {
	writeJSON(w, status, map[string]any{"errors": errs})
}

// serveHTTP handles one GraphQL request: faults, authentication, rate
// limit, parsing, validation, execution.
func (e *Emulator) serveHTTP(w http.ResponseWriter, r *http.Request) {
	e.requests.Add(1)
	e.logger.Debug("lansweeper emulator request", "method", r.Method, "path", r.URL.Path)
	if r.URL.Path != GraphQLPath && r.URL.Path != LegacyGraphQLPath {
		writeJSON(w, http.StatusNotFound, map[string]any{"message": "Not Found", "statusCode": 404})
		return
	}
	if r.Method != http.MethodPost {
		writeErrors(w, http.StatusMethodNotAllowed, newError("METHOD_NOT_ALLOWED", "GraphQL requests are sent with POST"))
		return
	}
	body, err := io.ReadAll(io.LimitReader(r.Body, 1<<20))
	if err != nil {
		writeErrors(w, http.StatusBadRequest, newError("BAD_REQUEST", "reading the request body: %v", err))
		return
	}
	var req struct {
		Query         string         `json:"query"`
		Variables     map[string]any `json:"variables"`
		OperationName string         `json:"operationName"`
	}
	if err := json.Unmarshal(body, &req); err != nil || req.Query == "" {
		writeErrors(w, http.StatusBadRequest, newError("BAD_REQUEST", "POST body must be a JSON object with a non-empty \"query\""))
		return
	}

	f, hit := e.nextFault(req.Query)
	if hit && f.Kind == FaultRevokeToken {
		e.RevokeToken()
	}
	tok, ok := strings.CutPrefix(r.Header.Get("Authorization"), "Token ")
	if !ok || !e.tokenValid(strings.TrimSpace(tok)) {
		// Observed answer of the Data API to an expired or unknown token.
		writeErrors(w, http.StatusBadRequest, newError("UNAUTHENTICATED", "Unauthorized: the access token is invalid or expired"))
		return
	}
	if wait, refused := e.rate.admit(e.opts.Now()); refused {
		e.throttled.Add(1)
		w.Header().Set("Retry-After", strconv.Itoa(int((wait+time.Second-1)/time.Second)))
		writeErrors(w, http.StatusTooManyRequests, newError("TOO_MANY_REQUESTS", "Too many requests: the rate limit was exceeded; pause all requests for a full minute"))
		return
	}
	if hit {
		e.logger.Debug("lansweeper emulator fault", "kind", f.Kind, "status", f.Status)
		switch f.Kind {
		case FaultMalformed:
			writeMalformed(w)
			return
		case FaultGraphQLError:
			msg, code := f.Message, f.Code
			if msg == "" {
				msg = "Internal server error"
			}
			if code == "" {
				code = "INTERNAL_SERVER_ERROR"
			}
			writeJSON(w, http.StatusOK, map[string]any{"data": nil, "errors": []gqlError{newError(code, "%s", msg)}})
			return
		case FaultStatus:
			if f.RetryAfter != "" {
				w.Header().Set("Retry-After", f.RetryAfter)
			}
			status := f.Status
			if status == 0 {
				status = http.StatusServiceUnavailable
			}
			msg := f.Message
			if msg == "" {
				msg = http.StatusText(status)
			}
			writeErrors(w, status, newError(strings.ToUpper(strings.ReplaceAll(http.StatusText(status), " ", "_")), "%s", msg))
			return
		}
	}

	_, declared, sel, err := parseDocument(req.Query)
	if err != nil {
		writeErrors(w, http.StatusBadRequest, newError("GRAPHQL_PARSE_FAILED", "%s", err.Error()))
		return
	}
	if verr := validate(sel, declared, req.Variables); verr != nil {
		writeErrors(w, http.StatusBadRequest, verr.gqlError)
		return
	}
	e.mu.RLock()
	data, errs := e.execute(sel, req.Variables)
	e.mu.RUnlock()
	resp := map[string]any{"data": data}
	if len(errs) > 0 {
		resp["errors"] = errs
	}
	writeJSON(w, http.StatusOK, resp)
}

// schema is the part of the Data API's schema the emulator serves: type →
// field → the field's type ("" for a leaf).
var schema = map[string]map[string]string{
	"Query":           {"authorizedSites": "AuthorizedSites", "site": "Site"},
	"AuthorizedSites": {"sites": "Site"},
	"Site":            {"id": "", "name": "", "assetResources": "AssetResources"},
	"AssetResources":  {"total": "", "items": "", "pagination": "Pagination"},
	"Pagination":      {"limit": "", "current": "", "next": "", "page": ""},
}

// arguments are the arguments each field takes.
var arguments = map[string]map[string]bool{
	"site":           {"id": true},
	"assetResources": {"fields": true, "assetPagination": true, "pagination": true, "filters": true},
}

func validate(sel []field, declared map[string]string, vars map[string]any) *validationError {
	var walk func(typ string, sel []field) *validationError
	walk = func(typ string, sel []field) *validationError {
		for _, f := range sel {
			sub, ok := schema[typ][f.name]
			if !ok {
				return &validationError{newError("GRAPHQL_VALIDATION_FAILED", "Cannot query field %q on type %q.", f.name, typ)}
			}
			for a, v := range f.args {
				if !arguments[f.name][a] {
					return &validationError{newError("GRAPHQL_VALIDATION_FAILED", "Unknown argument %q on field %q.", a, typ+"."+f.name)}
				}
				if err := checkVars(v, declared); err != nil {
					return err
				}
			}
			switch {
			case sub == "" && f.sel != nil:
				return &validationError{newError("GRAPHQL_VALIDATION_FAILED", "Field %q must not have a selection since its type has no subfields.", f.name)}
			case sub != "" && f.sel == nil:
				return &validationError{newError("GRAPHQL_VALIDATION_FAILED", "Field %q of type %q must have a selection of subfields.", f.name, sub)}
			case sub != "":
				if err := walk(sub, f.sel); err != nil {
					return err
				}
			}
		}
		return nil
	}
	for name, typ := range declared {
		if strings.HasSuffix(typ, "!") && vars[name] == nil {
			return &validationError{newError("BAD_USER_INPUT", "Variable \"$%s\" of required type %q was not provided.", name, typ)}
		}
	}
	return walk("Query", sel)
}

func checkVars(v value, declared map[string]string) *validationError {
	if v.variable != "" {
		if _, ok := declared[v.variable]; !ok {
			return &validationError{newError("GRAPHQL_VALIDATION_FAILED", "Variable \"$%s\" is not defined.", v.variable)}
		}
		return nil
	}
	switch x := v.v.(type) {
	case []value:
		for _, e := range x {
			if err := checkVars(e, declared); err != nil {
				return err
			}
		}
	case map[string]value:
		for _, e := range x {
			if err := checkVars(e, declared); err != nil {
				return err
			}
		}
	}
	return nil
}

// execute runs a validated selection on Query. The caller holds e.mu.
func (e *Emulator) execute(sel []field, vars map[string]any) (map[string]any, []gqlError) {
	data := map[string]any{}
	var errs []gqlError
	for _, f := range sel {
		switch f.name {
		case "authorizedSites":
			out := map[string]any{}
			for _, sf := range f.sel {
				sites := []any{}
				for _, st := range e.sites {
					if !e.siteAuthorized(st.ID) {
						continue
					}
					m, ferrs := e.site(st, sf.sel, vars, []any{f.key(), sf.key(), len(sites)})
					errs = append(errs, ferrs...)
					sites = append(sites, m)
				}
				out[sf.key()] = sites
			}
			data[f.key()] = out
		case "site":
			id, _ := resolve(f.args["id"], vars).(string)
			var found *Site
			for i := range e.sites {
				if e.sites[i].ID == id {
					found = &e.sites[i]
				}
			}
			if found == nil || !e.siteAuthorized(id) {
				ge := newError("FORBIDDEN", "Not authorized to access site %q", id)
				ge.Path = []any{f.key()}
				errs = append(errs, ge)
				data[f.key()] = nil
				continue
			}
			m, ferrs := e.site(*found, f.sel, vars, []any{f.key()})
			errs = append(errs, ferrs...)
			data[f.key()] = m
		}
	}
	return data, errs
}

func (e *Emulator) site(s Site, sel []field, vars map[string]any, path []any) (map[string]any, []gqlError) {
	out := map[string]any{}
	var errs []gqlError
	for _, f := range sel {
		switch f.name {
		case "id":
			out[f.key()] = s.ID
		case "name":
			out[f.key()] = s.Name
		case "assetResources":
			m, err := e.assetResources(s, f, vars)
			if err != nil {
				err.Path = append(append([]any{}, path...), f.key())
				errs = append(errs, err.gqlError)
				out[f.key()] = nil
				continue
			}
			out[f.key()] = m
		}
	}
	return out, errs
}

// cursor is what a pagination cursor encodes: the site and the keys that
// bound a page.
type cursor struct {
	Site  string `json:"s"`
	First string `json:"f,omitempty"`
	Last  string `json:"l"`
}

func (c cursor) encode() string {
	b, _ := json.Marshal(c)
	return base64.RawURLEncoding.EncodeToString(b)
}

func decodeCursor(s string) (cursor, bool) {
	b, err := base64.RawURLEncoding.DecodeString(s)
	if err != nil {
		return cursor{}, false
	}
	var c cursor
	if json.Unmarshal(b, &c) != nil || c.Site == "" {
		return cursor{}, false
	}
	return c, true
}

func (e *Emulator) assetResources(s Site, f field, vars map[string]any) (map[string]any, *execError) {
	bad := func(format string, args ...any) *execError {
		return &execError{newError("BAD_USER_INPUT", format, args...)}
	}
	if _, ok := f.args["filters"]; ok && resolve(f.args["filters"], vars) != nil {
		return nil, bad("filters are not supported by this emulator")
	}
	rawFields, _ := resolve(f.args["fields"], vars).([]any)
	if len(rawFields) == 0 {
		return nil, bad("fields must list at least one field path")
	}
	if len(rawFields) > MaxFields {
		return nil, bad("A maximum of %d fields can be requested, got %d", MaxFields, len(rawFields))
	}
	paths := make([]string, 0, len(rawFields))
	for _, x := range rawFields {
		p, _ := x.(string)
		paths = append(paths, p)
	}
	plan, badPath := planFields(paths)
	if badPath != "" {
		return nil, bad("Invalid field path %q", badPath)
	}

	pv := f.args["assetPagination"]
	if _, ok := f.args["pagination"]; ok {
		pv = f.args["pagination"]
	}
	pag, _ := resolve(pv, vars).(map[string]any)
	limit := 100
	if l, ok := pag["limit"].(float64); ok {
		limit = int(l)
	}
	if limit < 1 || limit > MaxLimit {
		return nil, bad("limit must be between 1 and %d", MaxLimit)
	}
	page, _ := pag["page"].(string)
	if page == "" {
		page = "FIRST"
	}
	wantsTotal := false
	for _, sf := range f.sel {
		wantsTotal = wantsTotal || sf.name == "total"
	}
	if wantsTotal && page != "FIRST" {
		return nil, bad("total can only be requested with page FIRST")
	}

	all := e.assets[s.ID]
	var items []*Asset
	switch page {
	case "FIRST":
		items = all[:min(limit, len(all))]
	case "LAST":
		items = all[max(0, len(all)-limit):]
	case "NEXT", "PREV":
		cs, _ := pag["cursor"].(string)
		c, ok := decodeCursor(cs)
		if !ok || c.Site != s.ID {
			return nil, bad("Invalid cursor")
		}
		if page == "NEXT" {
			i := sort.Search(len(all), func(i int) bool { return all[i].Key > c.Last })
			items = all[i:min(i+limit, len(all))]
		} else {
			i := sort.Search(len(all), func(i int) bool { return all[i].Key >= c.First })
			items = all[max(0, i-limit):i]
		}
	default:
		return nil, bad("page must be one of FIRST, NEXT, PREV, LAST, not %q", page)
	}

	pagination := map[string]any{"limit": limit, "page": page, "current": nil, "next": nil}
	if len(items) > 0 {
		first, last := items[0].Key, items[len(items)-1].Key
		pagination["current"] = cursor{Site: s.ID, First: first, Last: last}.encode()
		if last != all[len(all)-1].Key {
			pagination["next"] = cursor{Site: s.ID, Last: last}.encode()
		}
	}
	out := map[string]any{}
	for _, sf := range f.sel {
		switch sf.name {
		case "total":
			out[sf.key()] = len(all)
		case "items":
			rendered := make([]map[string]any, len(items))
			for i, a := range items {
				rendered[i] = e.item(a, plan)
			}
			out[sf.key()] = rendered
		case "pagination":
			pm := map[string]any{}
			for _, pf := range sf.sel {
				pm[pf.key()] = pagination[pf.name]
			}
			out[sf.key()] = pm
		}
	}
	return out, nil
}
