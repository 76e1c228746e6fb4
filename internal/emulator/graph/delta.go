package graph

import (
	"net/http"
	"net/url"
	"strconv"
	"strings"
)

// deltaQuery is what the first request of a round may carry.
type deltaQuery struct {
	sel      uint64
	selected bool
	size     int
}

// parseInitialQuery validates the query options of a first delta (or list)
// request. Graph rejects options a delta query does not support rather than
// ignoring them, and so does the emulator.
func parseInitialQuery(q url.Values, res resource, delta bool) (deltaQuery, *apiError) {
	names, typeName, dflt := propNames(res)
	dq := deltaQuery{sel: dflt}
	if v, ok := queryGet(q, "select"); ok && strings.TrimSpace(v) != "" {
		sel, err := parseSelect(v, names, typeName)
		if err != nil {
			return dq, err.(*apiError)
		}
		dq.sel, dq.selected = sel, true
	}
	if v, ok := queryGet(q, "expand"); ok && v != "" {
		switch {
		case delta && res == resGroups && strings.EqualFold(v, "members"):
			dq.sel |= 1 << gpMembers
		case delta && res == resUsers && strings.EqualFold(v, "manager"):
			dq.sel |= 1 << upManager
		default:
			return dq, badRequest("Request_UnsupportedQuery", "Unsupported $expand value '"+v+"'.")
		}
	}
	if v, ok := queryGet(q, "top"); ok {
		n, err := strconv.Atoi(v)
		if err != nil || n < 1 || n > MaxPageSize {
			return dq, badRequest("Request_BadRequest",
				"Invalid page size specified: '"+v+"'. Must be between 1 and 999 inclusive.")
		}
		dq.size = n
	}
	for _, opt := range []string{"filter", "orderby", "search"} {
		if v, ok := queryGet(q, opt); ok && v != "" {
			return dq, badRequest("Request_UnsupportedQuery", "Unsupported query option '$"+opt+"' for this resource.")
		}
	}
	return dq, nil
}

// queryGet looks up an OData system query option case-insensitively, with
// or without its "$" prefix, as Graph accepts it.
func queryGet(q url.Values, name string) (string, bool) {
	for k, vs := range q {
		kk := strings.TrimPrefix(k, "$")
		if strings.EqualFold(kk, name) && len(vs) > 0 {
			return vs[0], true
		}
	}
	return "", false
}

func collectionName(res resource) string {
	switch res {
	case resGroups:
		return "groups"
	case resContacts:
		return "contacts"
	}
	return "users"
}

func (e *Emulator) contextURL(base string, res resource, t *pageToken) string {
	c := base + "/v1.0/$metadata#" + collectionName(res)
	if t.selected {
		names, _, _ := propNames(res)
		c += "(" + selectNames(t.sel, names) + ")"
	}
	return c
}

// initialDeltaURL is where a client restarts after a 410: a fresh initial
// delta request with the round's original $select.
func initialDeltaURL(base string, res resource, t *pageToken) string {
	u := base + "/v1.0/" + collectionName(res) + "/delta"
	if t != nil && t.selected {
		names, _, _ := propNames(res)
		u += "?$select=" + selectNames(t.sel, names)
	}
	return u
}

// serveDelta serves /users/delta, /groups/delta and /contacts/delta.
func (e *Emulator) serveDelta(w http.ResponseWriter, r *http.Request, res resource) {
	q := r.URL.Query()
	base := baseURL(r)
	now := e.opts.Now()
	var (
		tok      pageToken
		raw      string
		latest   bool
		fromLink bool
	)
	skip, _ := queryGet(q, "skiptoken")
	delta, _ := queryGet(q, "deltatoken")
	switch {
	case skip != "":
		raw = skip
	case strings.EqualFold(delta, "latest"):
		latest = true
	case delta != "":
		raw, fromLink = delta, true
	}
	if raw != "" {
		t, err := e.decodeToken(raw)
		okPhase := t.phase == phaseFull || t.phase == phaseDelta || t.phase == phaseRemoveAll
		if fromLink {
			okPhase = t.phase == phaseDeltaLink
		}
		if err != nil || t.res != res || !okPhase {
			e.writeGraphError(w, http.StatusBadRequest, "Request_BadRequest",
				"The "+tokenParam(fromLink)+" provided in the request is invalid or malformed.")
			return
		}
		tok = t
	} else {
		dq, aerr := parseInitialQuery(q, res, true)
		if aerr != nil {
			e.writeAPIError(w, aerr)
			return
		}
		tok = pageToken{res: res, phase: phaseFull, sel: dq.sel, selected: dq.selected, size: uint16(dq.size)}
	}

	size := preferPageSize(r)
	if size > 0 {
		w.Header().Set("Preference-Applied", "odata.maxpagesize="+strconv.Itoa(size))
	} else {
		size = cmpInt(int(tok.size), e.opts.PageSize)
	}

	bp := e.getBuf()
	defer e.putBuf(bp)
	p := page{buf: *bp}

	e.mu.RLock()
	if raw != "" {
		if aerr := e.checkTokenState(&tok, raw, now.UnixNano(), base); aerr != nil {
			e.mu.RUnlock()
			e.writeAPIError(w, aerr)
			return
		}
	} else {
		tok.epoch, tok.gen, tok.upto = e.epoch, e.gen, e.seq
	}
	done := false
	switch {
	case latest:
		done = true
	case fromLink:
		// A deltaLink starts a new round covering changes after the
		// previous round's snapshot, up to now.
		tok.upto = e.seq
		if e.empty {
			tok.phase, tok.pos = phaseRemoveAll, 0
		} else {
			tok.phase, tok.pos = phaseDelta, tok.since
		}
		done = e.buildPage(&p, &tok, size)
	default:
		done = e.buildPage(&p, &tok, size)
	}
	e.mu.RUnlock()
	*bp = p.buf[:0]

	l := links{context: e.contextURL(base, res, &tok), count: -1}
	tok.issued = now.UnixNano()
	path := base + "/v1.0/" + collectionName(res) + "/delta"
	if done {
		next := tok
		next.phase, next.since, next.upto, next.pos, next.sub = phaseDeltaLink, tok.upto, 0, 0, 0
		l.delta = path + "?$deltatoken=" + e.encodeToken(next)
	} else {
		l.next = path + "?$skiptoken=" + e.encodeToken(tok)
	}
	writeCollection(w, l, p.buf)
}

func tokenParam(deltaLink bool) string {
	if deltaLink {
		return "$deltatoken"
	}
	return "$skiptoken"
}

func cmpInt(a, b int) int {
	if a > 0 {
		return a
	}
	return b
}

// checkTokenState rejects a delta or skip token that belongs to an earlier
// tenant, was invalidated by ExpireDeltaTokens, or is older than the TTL. It
// must run under e.mu held for reading.
func (e *Emulator) checkTokenState(t *pageToken, raw string, now int64, base string) *apiError {
	expired := now-t.issued > int64(e.opts.DeltaTokenTTL)
	if t.epoch == e.epoch && t.gen == e.gen && !expired {
		return nil
	}
	code := "SyncStateNotFound"
	if !tokenParity(raw) {
		code = "syncStateNotFound"
	}
	return &apiError{
		status:   http.StatusGone,
		code:     code,
		message:  "The sync state generation is not found; generation=" + strconv.FormatUint(uint64(t.gen)+t.epoch%1000, 10) + ";",
		location: initialDeltaURL(base, t.res, t),
	}
}
