package graph

import (
	"encoding/json"
	"net/http"
	"strconv"
	"strings"
)

// Resources of CSP page tokens, beyond the directory's.
const (
	resCSPCustomers resource = 200 + iota
	resLicensedUsers
)

func (c *CSP) serveHTTP(w http.ResponseWriter, r *http.Request) {
	if tenant, ok := tokenEndpointTenant(r.URL.Path); ok {
		t, err := c.tenant(tenant)
		if err != nil {
			c.partner.e.Handler().ServeHTTP(w, r) // answers "tenant not found"
			return
		}
		c.mu.RLock()
		consent := t.consent
		c.mu.RUnlock()
		if consent == ConsentRevoked {
			t.e.requests.Add(1)
			t.e.tokenRequests.Add(1)
			startRequest(w, r)
			t.e.writeOAuthError(w, r, http.StatusBadRequest, "invalid_client", 7000229,
				"The client application "+c.opts.ClientID+" is missing service principal in the tenant "+t.e.TenantID()+
					". See instructions here: https://go.microsoft.com/fwlink/?linkid=2225119")
			return
		}
		t.e.Handler().ServeHTTP(w, r)
		return
	}
	t := c.tenantOfToken(r)
	if t == nil {
		c.partner.e.Handler().ServeHTTP(w, r) // answers 401
		return
	}
	c.mu.RLock()
	consent := t.consent
	c.mu.RUnlock()
	rest := strings.ToLower(strings.Trim(strings.TrimPrefix(r.URL.Path, "/v1.0/"), "/"))
	q := r.URL.Query()
	sel, _ := queryGet(q, "select")
	skip, _ := queryGet(q, "skiptoken")
	own := rest == "subscribedskus" || rest == "tenantrelationships/delegatedadmincustomers" ||
		rest == "users" && (strings.Contains(strings.ToLower(sel), "assignedlicenses") || c.licensedSkip(t, skip))
	if !own && consent != ConsentNoAccess {
		t.e.Handler().ServeHTTP(w, r)
		return
	}
	e := t.e
	e.requests.Add(1)
	startRequest(w, r)
	expire := false
	if f, hit := e.nextFault(r.URL.Path, false); hit {
		serve := func(w http.ResponseWriter, r *http.Request) { c.serveOwn(w, r, t, rest, consent, false) }
		var done bool
		if done, expire = e.serveFault(w, r, f, serve, e.writeFaultStatus); done {
			return
		}
	}
	c.serveOwn(w, r, t, rest, consent, expire)
}

// licensedSkip reports a skip token of the licensed users listing.
func (c *CSP) licensedSkip(t *cspTenant, raw string) bool {
	if raw == "" {
		return false
	}
	tok, err := t.e.decodeToken(raw)
	return err == nil && tok.res == resLicensedUsers
}

// tenantOfToken finds the tenant whose token endpoint issued the request's
// access token.
func (c *CSP) tenantOfToken(r *http.Request) *cspTenant {
	tok, ok := strings.CutPrefix(r.Header.Get("Authorization"), "Bearer ")
	if !ok {
		return nil
	}
	tok = strings.TrimSpace(tok)
	c.mu.RLock()
	all := append([]*cspTenant{c.partner}, c.customers...)
	c.mu.RUnlock()
	for _, t := range all {
		t.e.tokMu.Lock()
		_, known := t.e.tokens[tok]
		t.e.tokMu.Unlock()
		if known {
			return t
		}
	}
	return nil
}

func (c *CSP) serveOwn(w http.ResponseWriter, r *http.Request, t *cspTenant, rest string, consent Consent, expire bool) {
	e := t.e
	if aerr := e.checkBearer(r, expire); aerr != nil {
		w.Header().Set("WWW-Authenticate", wwwAuthenticate)
		e.writeAPIError(w, aerr)
		return
	}
	if consent == ConsentNoAccess {
		e.writeGraphError(w, http.StatusForbidden, "Authorization_RequestDenied", "Insufficient privileges to complete the operation.")
		return
	}
	if r.Method != http.MethodGet {
		e.writeGraphError(w, http.StatusMethodNotAllowed, "Request_BadRequest", "Specified HTTP method is not allowed for the request uri.")
		return
	}
	switch rest {
	case "subscribedskus":
		c.serveSkus(w, r, t)
	case "tenantrelationships/delegatedadmincustomers":
		if t != c.partner {
			e.writeGraphError(w, http.StatusForbidden, "Forbidden", "The tenant is not a partner tenant.")
			return
		}
		c.serveDelegatedCustomers(w, r)
	default:
		c.serveLicensedUsers(w, r, t)
	}
}

// serveSkus answers GET /subscribedSkus: every subscription, no paging, no
// query options.
func (c *CSP) serveSkus(w http.ResponseWriter, r *http.Request, t *cspTenant) {
	for _, opt := range []string{"filter", "top", "orderby", "search"} {
		if _, ok := queryGet(r.URL.Query(), opt); ok {
			t.e.writeGraphError(w, http.StatusBadRequest, "Request_UnsupportedQuery", "Unsupported query option '$"+opt+"' for this resource.")
			return
		}
	}
	type units struct {
		Enabled   int `json:"enabled"`
		Suspended int `json:"suspended"`
		Warning   int `json:"warning"`
		LockedOut int `json:"lockedOut"`
	}
	type sku struct {
		AccountID        string   `json:"accountId"`
		AccountName      string   `json:"accountName"`
		AppliesTo        string   `json:"appliesTo"`
		CapabilityStatus string   `json:"capabilityStatus"`
		ConsumedUnits    int      `json:"consumedUnits"`
		ID               string   `json:"id"`
		PrepaidUnits     units    `json:"prepaidUnits"`
		ServicePlans     []any    `json:"servicePlans"`
		SkuID            string   `json:"skuId"`
		SkuPartNumber    string   `json:"skuPartNumber"`
		SubscriptionIDs  []string `json:"subscriptionIds"`
	}
	active := map[string]bool{}
	for _, u := range t.e.Users() {
		active[u.ID] = true
	}
	c.mu.RLock()
	out := make([]sku, 0, len(t.skus))
	for _, s := range t.skus {
		consumed := 0
		for u, l := range t.licences {
			if active[u] && containsFold(l, s.SkuID) {
				consumed++
			}
		}
		out = append(out, sku{
			AccountID: t.e.TenantID(), AccountName: t.name, AppliesTo: s.AppliesTo, CapabilityStatus: s.CapabilityStatus,
			ConsumedUnits: consumed, ID: t.e.TenantID() + "_" + s.SkuID,
			PrepaidUnits: units{Enabled: s.Enabled, Suspended: s.Suspended, Warning: s.Warning, LockedOut: s.Locked},
			ServicePlans: []any{}, SkuID: s.SkuID, SkuPartNumber: s.SkuPartNumber, SubscriptionIDs: []string{},
		})
	}
	c.mu.RUnlock()
	b, _ := json.Marshal(map[string]any{"@odata.context": baseURL(r) + "/v1.0/$metadata#subscribedSkus", "value": out})
	writeEntity(w, b)
}

func containsFold(l []string, s string) bool {
	for _, x := range l {
		if strings.EqualFold(x, s) {
			return true
		}
	}
	return false
}

// serveDelegatedCustomers answers the partner's GDAP customer listing,
// paged by 100 (or $top) with $skiptoken nextLinks.
func (c *CSP) serveDelegatedCustomers(w http.ResponseWriter, r *http.Request) {
	e := c.partner.e
	c.mu.RLock()
	list := make([]Customer, 0, len(c.customers))
	for _, t := range c.customers {
		list = append(list, Customer{TenantID: t.e.TenantID(), Name: t.name})
	}
	c.mu.RUnlock()
	pos, size, ok := c.listPosition(w, r, e, resCSPCustomers)
	if !ok {
		return
	}
	items := []map[string]string{}
	for ; pos < len(list) && len(items) < size; pos++ {
		items = append(items, map[string]string{"id": list[pos].TenantID, "tenantId": list[pos].TenantID, "displayName": list[pos].Name})
	}
	body := map[string]any{"@odata.context": baseURL(r) + "/v1.0/$metadata#tenantRelationships/delegatedAdminCustomers", "value": items}
	if pos < len(list) {
		body["@odata.nextLink"] = baseURL(r) + "/v1.0/tenantRelationships/delegatedAdminCustomers?$skiptoken=" +
			e.encodeToken(pageToken{res: resCSPCustomers, phase: phaseList, pos: uint64(pos), size: uint16(size)})
	}
	b, _ := json.Marshal(body)
	writeEntity(w, b)
}

// listPosition reads $top or $skiptoken of a simple list.
func (c *CSP) listPosition(w http.ResponseWriter, r *http.Request, e *Emulator, res resource) (pos, size int, ok bool) {
	q := r.URL.Query()
	size = DefaultPageSize
	if raw, _ := queryGet(q, "skiptoken"); raw != "" {
		t, err := e.decodeToken(raw)
		if err != nil || t.res != res || t.phase != phaseList {
			e.writeGraphError(w, http.StatusBadRequest, "Request_BadRequest", "The $skiptoken provided in the request is invalid or malformed.")
			return 0, 0, false
		}
		return int(t.pos), int(t.size), true
	}
	if v, has := queryGet(q, "top"); has {
		n, err := strconv.Atoi(v)
		if err != nil || n < 1 || n > MaxPageSize {
			e.writeGraphError(w, http.StatusBadRequest, "Request_BadRequest", "Invalid page size specified: '"+v+"'. Must be between 1 and 999 inclusive.")
			return 0, 0, false
		}
		size = n
	}
	return 0, size, true
}

// serveLicensedUsers answers GET /users?$select=...,assignedLicenses: the
// tenant's active users with the SKUs assigned to them.
func (c *CSP) serveLicensedUsers(w http.ResponseWriter, r *http.Request, t *cspTenant) {
	e := t.e
	pos, size, ok := c.listPosition(w, r, e, resLicensedUsers)
	if !ok {
		return
	}
	type lic struct {
		DisabledPlans []string `json:"disabledPlans"`
		SkuID         string   `json:"skuId"`
	}
	type user struct {
		ID               string  `json:"id"`
		UPN              string  `json:"userPrincipalName"`
		DisplayName      string  `json:"displayName"`
		Mail             *string `json:"mail"`
		AccountEnabled   bool    `json:"accountEnabled"`
		AssignedLicenses []lic   `json:"assignedLicenses"`
	}
	var items []user
	e.mu.RLock()
	c.mu.RLock()
	for ; pos < len(e.users) && len(items) < size; pos++ {
		u := &e.users[pos]
		if u.state != stateActive || e.empty {
			continue
		}
		it := user{ID: u.id, UPN: u.upn, DisplayName: u.display, AccountEnabled: u.enabled, AssignedLicenses: []lic{}}
		if u.mail != "" {
			m := u.mail
			it.Mail = &m
		}
		for _, s := range t.licences[u.id] {
			it.AssignedLicenses = append(it.AssignedLicenses, lic{DisabledPlans: []string{}, SkuID: s})
		}
		items = append(items, it)
	}
	more := pos < len(e.users)
	c.mu.RUnlock()
	e.mu.RUnlock()
	if items == nil {
		items = []user{}
	}
	body := map[string]any{"@odata.context": baseURL(r) + "/v1.0/$metadata#users(id,userPrincipalName,displayName,mail,accountEnabled,assignedLicenses)", "value": items}
	if more {
		body["@odata.nextLink"] = baseURL(r) + "/v1.0/users?$skiptoken=" +
			e.encodeToken(pageToken{res: resLicensedUsers, phase: phaseList, pos: uint64(pos), size: uint16(size)})
	}
	b, _ := json.Marshal(body)
	writeEntity(w, b)
}
