package graph

import (
	"net/http"
	"strconv"
	"strings"
)

// serveList serves /users, /groups, /contacts and /groups/{id}/members with
// $top and $skiptoken paging.
func (e *Emulator) serveList(w http.ResponseWriter, r *http.Request, res resource, groupID string) {
	q := r.URL.Query()
	base := baseURL(r)
	path := base + "/v1.0/" + collectionName(res)
	if res == resGroupMembers {
		path = base + "/v1.0/groups/" + groupID + "/members"
	}
	var tok pageToken
	first := true
	if raw, _ := queryGet(q, "skiptoken"); raw != "" {
		t, err := e.decodeToken(raw)
		if err != nil || t.res != res || t.phase != phaseList {
			e.writeGraphError(w, http.StatusBadRequest, "Request_BadRequest", "The $skiptoken provided in the request is invalid or malformed.")
			return
		}
		tok, first = t, false
	} else {
		selRes := res
		if res == resGroupMembers {
			selRes = resUsers
		}
		dq, aerr := parseInitialQuery(q, selRes, false)
		if aerr != nil {
			e.writeAPIError(w, aerr)
			return
		}
		tok = pageToken{res: res, phase: phaseList, sel: dq.sel, selected: dq.selected, size: uint16(dq.size)}
	}
	size := cmpInt(int(tok.size), e.opts.PageSize)
	count := int64(-1)
	withCount := false
	if v, _ := queryGet(q, "count"); first && strings.EqualFold(v, "true") {
		withCount = true
	}

	bp := e.getBuf()
	defer e.putBuf(bp)
	p := page{buf: *bp}
	e.mu.RLock()
	if res == resGroupMembers && first {
		gi, ok := e.activeGroup(groupID)
		if !ok || e.empty {
			e.mu.RUnlock()
			e.writeAPIError(w, notFound(groupID))
			return
		}
		tok.ref = gi
	}
	if withCount {
		count = e.countLocked(res, tok.ref)
	}
	done := e.buildPage(&p, &tok, size)
	e.mu.RUnlock()
	*bp = p.buf[:0]

	l := links{context: base + "/v1.0/$metadata#" + collectionName(res), count: count}
	if res == resGroupMembers {
		l.context = base + "/v1.0/$metadata#directoryObjects"
	}
	if !done {
		l.next = path + "?$skiptoken=" + e.encodeToken(tok)
	}
	writeCollection(w, l, p.buf)
}

func (e *Emulator) countLocked(res resource, ref int32) int64 {
	if e.empty {
		return 0
	}
	var n int64
	switch res {
	case resUsers:
		for i := range e.users {
			if e.users[i].state == stateActive {
				n++
			}
		}
	case resGroups:
		for i := range e.groups {
			if e.groups[i].state == stateActive {
				n++
			}
		}
	case resContacts:
		n = int64(e.contactCountLocked())
	case resGroupMembers:
		for _, m := range e.groups[ref].members {
			if m.present {
				n++
			}
		}
	}
	return n
}

// serveUser serves /users/{id or userPrincipalName}.
func (e *Emulator) serveUser(w http.ResponseWriter, r *http.Request, key string) {
	dq, aerr := parseInitialQuery(r.URL.Query(), resUsers, false)
	if aerr != nil {
		e.writeAPIError(w, aerr)
		return
	}
	bp := e.getBuf()
	defer e.putBuf(bp)
	b := append((*bp)[:0], `{"@odata.context":`...)
	b = appendString(b, baseURL(r)+"/v1.0/$metadata#users/$entity")
	e.mu.RLock()
	i, ok := e.activeUser(key)
	if !ok && strings.Contains(key, "@") {
		for j := range e.users {
			if e.users[j].state == stateActive && strings.EqualFold(e.users[j].upn, key) {
				i, ok = int32(j), true
				break
			}
		}
	}
	ok = ok && !e.empty
	if ok {
		open := len(b)
		b = appendUser(b, &e.users[i], dq.sel, false, false)
		b[open] = ','
	}
	e.mu.RUnlock()
	*bp = b[:0]
	if !ok {
		e.writeAPIError(w, notFound(key))
		return
	}
	writeEntity(w, b)
}

// serveGroup serves /groups/{id}.
func (e *Emulator) serveGroup(w http.ResponseWriter, r *http.Request, id string) {
	dq, aerr := parseInitialQuery(r.URL.Query(), resGroups, false)
	if aerr != nil {
		e.writeAPIError(w, aerr)
		return
	}
	bp := e.getBuf()
	defer e.putBuf(bp)
	b := append((*bp)[:0], `{"@odata.context":`...)
	b = appendString(b, baseURL(r)+"/v1.0/$metadata#groups/$entity")
	e.mu.RLock()
	i, ok := e.activeGroup(id)
	ok = ok && !e.empty
	if ok {
		open := len(b)
		b = appendGroupOpen(b, &e.groups[i], dq.sel, false)
		b = append(b, '}')
		b[open] = ','
	}
	e.mu.RUnlock()
	*bp = b[:0]
	if !ok {
		e.writeAPIError(w, notFound(id))
		return
	}
	writeEntity(w, b)
}

// serveContact serves /contacts/{id}.
func (e *Emulator) serveContact(w http.ResponseWriter, r *http.Request, id string) {
	dq, aerr := parseInitialQuery(r.URL.Query(), resContacts, false)
	if aerr != nil {
		e.writeAPIError(w, aerr)
		return
	}
	bp := e.getBuf()
	defer e.putBuf(bp)
	b := append((*bp)[:0], `{"@odata.context":`...)
	b = appendString(b, baseURL(r)+"/v1.0/$metadata#contacts/$entity")
	e.mu.RLock()
	i, ok := e.activeContact(id)
	ok = ok && !e.empty
	if ok {
		open := len(b)
		b = appendContact(b, &e.contacts[i], dq.sel)
		b[open] = ','
	}
	e.mu.RUnlock()
	*bp = b[:0]
	if !ok {
		e.writeAPIError(w, notFound(id))
		return
	}
	writeEntity(w, b)
}

// writeEntity writes one entity response.
func writeEntity(w http.ResponseWriter, b []byte) {
	h := w.Header()
	h.Set("Content-Type", jsonContentType)
	h.Set("Content-Length", strconv.Itoa(len(b)))
	w.WriteHeader(http.StatusOK)
	_, _ = w.Write(b)
}

// serveOrganization serves /organization, the usual connectivity probe.
func (e *Emulator) serveOrganization(w http.ResponseWriter, r *http.Request) {
	base := baseURL(r)
	b := []byte(`{"@odata.context":`)
	b = appendString(b, base+"/v1.0/$metadata#organization")
	b = append(b, `,"value":[{"id":`...)
	b = appendString(b, e.opts.TenantID)
	b = append(b, `,"displayName":`...)
	b = appendString(b, e.opts.Organization)
	b = append(b, `,"tenantType":"AAD","countryLetterCode":"US","preferredLanguage":"en","createdDateTime":"2021-03-01T08:00:00Z","onPremisesSyncEnabled":true,"verifiedDomains":[{"capabilities":"Email, OfficeCommunicationsOnline","isDefault":true,"isInitial":false,"name":`...)
	b = appendString(b, e.opts.Domain)
	b = append(b, `,"type":"Managed"},{"capabilities":"Email, OfficeCommunicationsOnline","isDefault":false,"isInitial":true,"name":`...)
	b = appendString(b, e.initialDomain())
	b = append(b, `,"type":"Managed"}]}]}`...)
	h := w.Header()
	h.Set("Content-Type", jsonContentType)
	h.Set("Content-Length", strconv.Itoa(len(b)))
	_, _ = w.Write(b)
}
