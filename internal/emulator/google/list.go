package google

import (
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"net/http"
	"net/url"
	"slices"
	"strconv"
	"strings"
)

// maxResults reads the maxResults parameter.
func maxResults(q url.Values, def, limit int) (int, *apiError) {
	v := q.Get("maxResults")
	if v == "" {
		return def, nil
	}
	n, err := strconv.Atoi(v)
	if err != nil || n < 1 || n > limit {
		return 0, invalidParameter("maxResults", "Invalid value '"+v+"'. Values must be within the range: [1, "+strconv.Itoa(limit)+"]")
	}
	return n, nil
}

// descending reads sortOrder.
func descending(q url.Values) (bool, *apiError) {
	switch v := strings.ToUpper(q.Get("sortOrder")); v {
	case "", "ASCENDING":
		return false, nil
	case "DESCENDING":
		return true, nil
	default:
		return false, invalidParameter("sortOrder", "Invalid value '"+q.Get("sortOrder")+"'. Values must be one of: ASCENDING, DESCENDING")
	}
}

// scopeParams checks customer and domain, which select the listing of
// users or groups. It returns the domain to keep ("" for every domain).
func (e *Emulator) scopeParams(q url.Values) (string, *apiError) {
	customer, domain := q.Get("customer"), strings.ToLower(q.Get("domain"))
	if customer == "" && domain == "" {
		return "", badRequest("Bad Request")
	}
	if customer != "" && customer != "my_customer" && customer != e.opts.CustomerID {
		return "", badRequest("Bad Request")
	}
	if domain != "" && domain != e.opts.Domain && !slices.Contains(e.opts.SecondaryDomains, domain) {
		return "", notAuthorized()
	}
	return domain, nil
}

func emailDomain(email string) string {
	_, d, _ := strings.Cut(email, "@")
	return d
}

// sortedIDs returns the IDs of every user (or group) in the order of key,
// with their sort positions, from a cache that lives until the next change.
// The caller holds e.mu.
func (e *Emulator) sortedIDs(name string, groups bool, key func(id string) string) ([]string, []string) {
	if c, ok := e.sorted[name]; ok && c.version == e.version {
		return c.keys, c.ids
	}
	var ids []string
	if groups {
		for id := range e.groups {
			ids = append(ids, id)
		}
	} else {
		for id := range e.users {
			ids = append(ids, id)
		}
	}
	keys := make([]string, len(ids))
	for i, id := range ids {
		// The ID breaks ties, so every position is unique.
		keys[i] = key(id) + "\x00" + id
	}
	idx := make([]int, len(ids))
	for i := range idx {
		idx[i] = i
	}
	slices.SortFunc(idx, func(a, b int) int { return strings.Compare(keys[a], keys[b]) })
	sk, si := make([]string, len(ids)), make([]string, len(ids))
	for i, j := range idx {
		sk[i], si[i] = keys[j], ids[j]
	}
	e.sorted[name] = sortCache{version: e.version, keys: sk, ids: si}
	return sk, si
}

// walk returns up to limit indexes of keys after position last (before it
// when desc) whose item keep accepts, and whether another accepted item
// follows them.
func walk(keys []string, last string, desc bool, limit int, keep func(i int) bool) ([]int, bool) {
	var out []int
	if !desc {
		start := 0
		if last != "" {
			start, _ = slices.BinarySearch(keys, last)
			if start < len(keys) && keys[start] == last {
				start++
			}
		}
		for i := start; i < len(keys); i++ {
			if keep(i) {
				if len(out) == limit {
					return out, true
				}
				out = append(out, i)
			}
		}
		return out, false
	}
	start := len(keys) - 1
	if last != "" {
		p, _ := slices.BinarySearch(keys, last)
		start = p - 1
	}
	for i := start; i >= 0; i-- {
		if keep(i) {
			if len(out) == limit {
				return out, true
			}
			out = append(out, i)
		}
	}
	return out, false
}

// writeList writes a list response with its etag (a hash of the body),
// applying the fields parameter.
func (e *Emulator) writeList(w http.ResponseWriter, q url.Values, resp map[string]any) {
	if f := q.Get("fields"); f != "" {
		sel, err := parseFields(f)
		if err != nil {
			e.writeAPIError(w, invalidParameter("fields", "Invalid field selection "+f))
			return
		}
		var v any
		b, _ := json.Marshal(resp)
		_ = json.Unmarshal(b, &v)
		b, _ = json.Marshal(sel.apply(v))
		writeBody(w, b)
		return
	}
	b, _ := json.Marshal(resp)
	sum := sha256.Sum256(b)
	etag, _ := json.Marshal(`"` + hex.EncodeToString(sum[:12]) + `"`)
	out := make([]byte, 0, len(b)+len(etag)+10)
	out = append(out, `{"etag":`...)
	out = append(out, etag...)
	out = append(out, ',')
	out = append(out, b[1:]...)
	writeBody(w, out)
}

func writeBody(w http.ResponseWriter, b []byte) {
	h := w.Header()
	h.Set("Content-Type", "application/json; charset=UTF-8")
	h.Set("Content-Length", strconv.Itoa(len(b)))
	w.WriteHeader(http.StatusOK)
	_, _ = w.Write(b)
}

// serveUsers is users.list.
func (e *Emulator) serveUsers(w http.ResponseWriter, r *http.Request, _ string) {
	q := r.URL.Query()
	domain, aerr := e.scopeParams(q)
	if aerr != nil {
		e.writeAPIError(w, aerr)
		return
	}
	limit, aerr := maxResults(q, DefaultUsersPage, MaxUsersPage)
	if aerr != nil {
		e.writeAPIError(w, aerr)
		return
	}
	desc, aerr := descending(q)
	if aerr != nil {
		e.writeAPIError(w, aerr)
		return
	}
	orderBy := q.Get("orderBy")
	if !slices.Contains([]string{"", "email", "familyName", "givenName"}, orderBy) {
		e.writeAPIError(w, invalidParameter("orderBy", "Invalid value '"+orderBy+"'. Values must be one of: email, familyName, givenName"))
		return
	}
	projection := q.Get("projection")
	switch projection {
	case "", "basic", "full":
	case "custom":
		if q.Get("customFieldMask") == "" {
			e.writeAPIError(w, badRequest("Bad Request: customFieldMask is required with projection=custom"))
			return
		}
	default:
		e.writeAPIError(w, invalidParameter("projection", "Invalid value '"+projection+"'. Values must be one of: basic, custom, full"))
		return
	}
	public := false
	switch v := q.Get("viewType"); v {
	case "", "admin_view":
	case "domain_public":
		public = true
	default:
		e.writeAPIError(w, invalidParameter("viewType", "Invalid value '"+v+"'. Values must be one of: admin_view, domain_public"))
		return
	}
	filter, aerr := parseUserQuery(q.Get("query"))
	if aerr != nil {
		e.writeAPIError(w, aerr)
		return
	}
	showDeleted := strings.EqualFold(q.Get("showDeleted"), "true")
	tok, aerr := e.continuation("users.list", q)
	if aerr != nil {
		e.writeAPIError(w, aerr)
		return
	}

	e.mu.Lock()
	now := e.opts.Now()
	key := func(id string) string { return e.users[id].PrimaryEmail }
	switch orderBy {
	case "familyName":
		key = func(id string) string { return strings.ToLower(e.users[id].FamilyName) }
	case "givenName":
		key = func(id string) string { return strings.ToLower(e.users[id].GivenName) }
	}
	keys, ids := e.sortedIDs("users:"+orderBy, false, key)
	page, more := walk(keys, tok.Last, desc, limit, func(i int) bool {
		u := e.users[ids[i]]
		if showDeleted {
			if u.DeletionTime.IsZero() || now.Sub(u.DeletionTime) > DeletedRetention {
				return false
			}
		} else if !u.DeletionTime.IsZero() {
			return false
		}
		if domain != "" && emailDomain(u.PrimaryEmail) != domain {
			return false
		}
		return filter(&u.User)
	})
	users := make([]any, 0, len(page))
	for _, i := range page {
		users = append(users, e.encodeUser(e.users[ids[i]], public))
	}
	e.mu.Unlock()

	resp := map[string]any{"kind": "admin#directory#users"}
	if len(users) > 0 {
		resp["users"] = users
	}
	if more {
		resp["nextPageToken"] = e.encodeToken(pageToken{Method: "users.list", Query: fingerprint("users.list", q), Last: keys[page[len(page)-1]]})
	}
	e.writeList(w, q, resp)
}

// parseUserQuery understands the few search clauses a directory sync
// uses, space-separated and all required: isSuspended=true|false,
// isArchived=true|false and orgUnitPath='/Path' (that unit only, as in
// Google's search). Anything else is refused rather than ignored.
func parseUserQuery(query string) (func(*User) bool, *apiError) {
	var tests []func(*User) bool
	for _, clause := range strings.Fields(query) {
		name, val, ok := strings.Cut(clause, "=")
		if !ok {
			return nil, invalidParameter("query", "Invalid Input: "+clause)
		}
		switch {
		case name == "isSuspended" && (val == "true" || val == "false"):
			want := val == "true"
			tests = append(tests, func(u *User) bool { return u.Suspended == want })
		case name == "isArchived" && (val == "true" || val == "false"):
			want := val == "true"
			tests = append(tests, func(u *User) bool { return u.Archived == want })
		case name == "orgUnitPath":
			want := strings.Trim(val, `'"`)
			tests = append(tests, func(u *User) bool { return strings.EqualFold(u.OrgUnitPath, want) })
		default:
			return nil, invalidParameter("query", "Invalid Input: "+clause)
		}
	}
	return func(u *User) bool {
		for _, t := range tests {
			if !t(u) {
				return false
			}
		}
		return true
	}, nil
}

const timeLayout = "2006-01-02T15:04:05.000Z"

// encodeUser renders a user resource. public leaves out what the
// domain_public view does not show.
func (e *Emulator) encodeUser(r *userRec, public bool) map[string]any {
	u := &r.User
	m := map[string]any{
		"kind":         "admin#directory#user",
		"id":           u.ID,
		"etag":         `"u` + strconv.FormatUint(r.etag, 10) + `"`,
		"primaryEmail": u.PrimaryEmail,
		"name":         map[string]string{"givenName": u.GivenName, "familyName": u.FamilyName, "fullName": u.FullName()},
	}
	emails := []map[string]any{{"address": u.PrimaryEmail, "primary": true}}
	for _, a := range u.Aliases {
		emails = append(emails, map[string]any{"address": a})
	}
	m["emails"] = emails
	if u.Title != "" || u.Department != "" {
		org := map[string]any{"primary": true, "customType": ""}
		if u.Title != "" {
			org["title"] = u.Title
		}
		if u.Department != "" {
			org["department"] = u.Department
		}
		m["organizations"] = []any{org}
	}
	if public {
		return m
	}
	last := "1970-01-01T00:00:00.000Z"
	if !u.LastLoginTime.IsZero() {
		last = u.LastLoginTime.UTC().Format(timeLayout)
	}
	m["isAdmin"] = u.IsAdmin
	m["isDelegatedAdmin"] = false
	m["lastLoginTime"] = last
	m["creationTime"] = u.CreationTime.UTC().Format(timeLayout)
	m["agreedToTerms"] = true
	m["suspended"] = u.Suspended
	if u.Suspended {
		m["suspensionReason"] = u.SuspensionReason
	}
	m["archived"] = u.Archived
	m["changePasswordAtNextLogin"] = false
	m["ipWhitelisted"] = false
	m["customerId"] = e.opts.CustomerID
	m["orgUnitPath"] = u.OrgUnitPath
	m["isMailboxSetup"] = true
	m["isEnrolledIn2Sv"] = false
	m["isEnforcedIn2Sv"] = false
	m["includeInGlobalAddressList"] = true
	if len(u.Aliases) > 0 {
		m["aliases"] = u.Aliases
	}
	if u.EmployeeID != "" {
		m["externalIds"] = []any{map[string]string{"value": u.EmployeeID, "type": "organization"}}
	}
	if u.ManagerEmail != "" {
		m["relations"] = []any{map[string]string{"value": u.ManagerEmail, "type": "manager"}}
	}
	if !u.DeletionTime.IsZero() {
		m["deletionTime"] = u.DeletionTime.UTC().Format(timeLayout)
	}
	return m
}

// serveGroups is groups.list.
func (e *Emulator) serveGroups(w http.ResponseWriter, r *http.Request, _ string) {
	q := r.URL.Query()
	var domain, memberID string
	if uk := q.Get("userKey"); uk != "" {
		if q.Get("customer") != "" {
			e.writeAPIError(w, badRequest("Bad Request: userKey cannot be used with customer"))
			return
		}
		e.mu.RLock()
		u := e.userByKey(uk, false)
		if u != nil {
			memberID = u.ID
		}
		e.mu.RUnlock()
		if u == nil {
			e.writeAPIError(w, notFound("userKey"))
			return
		}
	} else {
		var aerr *apiError
		if domain, aerr = e.scopeParams(q); aerr != nil {
			e.writeAPIError(w, aerr)
			return
		}
	}
	limit, aerr := maxResults(q, MaxGroupsPage, MaxGroupsPage)
	if aerr != nil {
		e.writeAPIError(w, aerr)
		return
	}
	desc, aerr := descending(q)
	if aerr != nil {
		e.writeAPIError(w, aerr)
		return
	}
	if ob := q.Get("orderBy"); ob != "" && ob != "email" {
		e.writeAPIError(w, invalidParameter("orderBy", "Invalid value '"+ob+"'. Values must be one of: email"))
		return
	}
	if q.Get("query") != "" {
		e.writeAPIError(w, invalidParameter("query", "Invalid Input: "+q.Get("query")))
		return
	}
	tok, aerr := e.continuation("groups.list", q)
	if aerr != nil {
		e.writeAPIError(w, aerr)
		return
	}

	e.mu.Lock()
	keys, ids := e.sortedIDs("groups", true, func(id string) string { return e.groups[id].Email })
	page, more := walk(keys, tok.Last, desc, limit, func(i int) bool {
		g := e.groups[ids[i]]
		if domain != "" && emailDomain(g.Email) != domain {
			return false
		}
		return memberID == "" || slices.ContainsFunc(g.members, func(m memberRec) bool { return m.ID == memberID })
	})
	groups := make([]any, 0, len(page))
	for _, i := range page {
		g := e.groups[ids[i]]
		groups = append(groups, map[string]any{
			"kind":               "admin#directory#group",
			"id":                 g.ID,
			"etag":               `"g` + strconv.FormatUint(g.etag, 10) + `"`,
			"email":              g.Email,
			"name":               g.Name,
			"directMembersCount": strconv.Itoa(len(g.members)),
			"description":        g.Description,
			"adminCreated":       true,
		})
	}
	e.mu.Unlock()

	resp := map[string]any{"kind": "admin#directory#groups"}
	if len(groups) > 0 {
		resp["groups"] = groups
	}
	if more {
		resp["nextPageToken"] = e.encodeToken(pageToken{Method: "groups.list", Query: fingerprint("groups.list", q), Last: keys[page[len(page)-1]]})
	}
	e.writeList(w, q, resp)
}

// serveMembers is members.list. Direct members come in the order they were
// added; with includeDerivedMembership the members of nested groups follow
// (each user once, by ID order).
func (e *Emulator) serveMembers(w http.ResponseWriter, r *http.Request, groupKey string) {
	q := r.URL.Query()
	limit, aerr := maxResults(q, MaxGroupsPage, MaxGroupsPage)
	if aerr != nil {
		e.writeAPIError(w, aerr)
		return
	}
	var roles []string
	if v := q.Get("roles"); v != "" {
		for _, role := range strings.Split(v, ",") {
			role = strings.ToUpper(strings.TrimSpace(role))
			if !slices.Contains([]string{RoleOwner, RoleManager, RoleMember}, role) {
				e.writeAPIError(w, invalidParameter("roles", "Invalid value '"+v+"'. Values must be a comma-separated list of OWNER, MANAGER, MEMBER"))
				return
			}
			roles = append(roles, role)
		}
	}
	derived := strings.EqualFold(q.Get("includeDerivedMembership"), "true")
	tok, aerr := e.continuation("members.list", q)
	if aerr != nil {
		e.writeAPIError(w, aerr)
		return
	}

	e.mu.RLock()
	defer e.mu.RUnlock()
	g := e.groupByKey(groupKey)
	if g == nil {
		e.writeAPIError(w, notFound("groupKey"))
		return
	}
	list := g.members
	if derived {
		list = e.derivedMembers(g)
	}
	var out []any
	var last uint64
	more := false
	for _, m := range list {
		if m.seq <= tok.Seq || (len(roles) > 0 && !slices.Contains(roles, m.Role)) {
			continue
		}
		if len(out) == limit {
			more = true
			break
		}
		out = append(out, e.encodeMember(g, m))
		last = m.seq
	}
	resp := map[string]any{"kind": "admin#directory#members"}
	if len(out) > 0 {
		resp["members"] = out
	}
	if more {
		resp["nextPageToken"] = e.encodeToken(pageToken{Method: "members.list", Query: fingerprint("members.list", q), Seq: last})
	}
	e.writeList(w, q, resp)
}

// derivedMembers is a group's direct members followed by the users of its
// nested groups, each once, numbered after the direct ones.
func (e *Emulator) derivedMembers(g *groupRec) []memberRec {
	list := slices.Clone(g.members)
	seen := map[string]bool{"group:" + g.ID: true}
	for _, m := range g.members {
		seen[m.ID] = true
	}
	var nested []string
	queue := []*groupRec{g}
	for len(queue) > 0 {
		cur := queue[0]
		queue = queue[1:]
		for _, m := range cur.members {
			if m.Type != TypeGroup {
				if !seen[m.ID] {
					seen[m.ID] = true
					nested = append(nested, m.ID)
				}
				continue
			}
			if sub := e.groups[m.ID]; sub != nil && !seen["group:"+m.ID] {
				seen["group:"+m.ID] = true
				queue = append(queue, sub)
			}
		}
	}
	slices.Sort(nested)
	next := g.nextSeq
	for _, id := range nested {
		next++
		list = append(list, memberRec{Member: Member{ID: id, Type: TypeUser, Role: RoleMember}, seq: next})
	}
	return list
}

func (e *Emulator) encodeMember(g *groupRec, m memberRec) map[string]any {
	out := map[string]any{
		"kind": "admin#directory#member",
		"etag": `"m` + strconv.FormatUint(g.etag, 10) + "." + strconv.FormatUint(m.seq, 10) + `"`,
		"id":   m.ID,
		"role": m.Role,
		"type": m.Type,
	}
	switch m.Type {
	case TypeUser:
		status := "ACTIVE"
		if u := e.users[m.ID]; u != nil {
			out["email"] = u.PrimaryEmail
			if u.Suspended {
				status = "SUSPENDED"
			}
		}
		out["status"] = status
		out["delivery_settings"] = "ALL_MAIL"
	case TypeGroup:
		if sub := e.groups[m.ID]; sub != nil {
			out["email"] = sub.Email
		}
		out["status"] = "ACTIVE"
	}
	return out
}
