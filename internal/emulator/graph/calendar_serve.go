package graph

import (
	"cmp"
	"crypto/rand"
	"encoding/base64"
	"encoding/json"
	"net/http"
	"net/url"
	"sort"
	"strconv"
	"strings"
	"time"
)

// syncState is what one $skiptoken or $deltatoken stands for.
type syncState struct {
	userID string
	gen    uint32
	ws, we time.Time
	// seen maps each instance delivered so far to its version: the state
	// of a deltaLink.
	seen map[string]uint64
	// round and pos are the state of a nextLink: the rest of a round.
	round *calRound
	pos   int
}

// calRound is one delta round: the entries to deliver, and what the
// client holds once it has them all.
type calRound struct {
	entries []roundEntry
	next    map[string]uint64
}

type roundEntry struct {
	removed bool
	id      string
	item    viewItem
}

// serve answers one calendarView delta request for mailbox key (a user ID
// or UPN).
func (c *Calendars) serve(w http.ResponseWriter, r *http.Request, key string) {
	e := c.e
	expire := false
	if f, hit := e.nextFault(r.URL.Path, false); hit {
		var done bool
		serve := func(w http.ResponseWriter, r *http.Request) { c.serveAuthorised(w, r, key, false) }
		if done, expire = e.serveFault(w, r, f, serve, e.writeFaultStatus); done {
			return
		}
	}
	c.serveAuthorised(w, r, key, expire)
}

func (c *Calendars) serveAuthorised(w http.ResponseWriter, r *http.Request, key string, expire bool) {
	e := c.e
	if aerr := e.checkBearer(r, expire); aerr != nil {
		w.Header().Set("WWW-Authenticate", wwwAuthenticate)
		e.writeAPIError(w, aerr)
		return
	}
	if r.Method != http.MethodGet {
		e.writeGraphError(w, http.StatusMethodNotAllowed, "ErrorInvalidRequest", "The OData request is not supported.")
		return
	}
	userID, ok := c.resolveUser(key)
	if !ok {
		e.writeGraphError(w, http.StatusNotFound, "ErrorInvalidUser", "The requested user '"+key+"' is invalid.")
		return
	}

	c.mu.Lock()
	m := c.mailboxes[userID]
	if m == nil {
		c.mu.Unlock()
		e.writeGraphError(w, http.StatusNotFound, "MailboxNotEnabledForRESTAPI", "The mailbox is either inactive, soft-deleted, or is hosted on-premise.")
		return
	}
	if m.fail != 0 {
		status := m.fail
		c.mu.Unlock()
		c.writeMailboxFailure(w, r, status)
		return
	}
	if m.inflight >= c.opts.MailboxConcurrency {
		c.mu.Unlock()
		w.Header().Set("Retry-After", "1")
		e.writeGraphError(w, http.StatusTooManyRequests, "ApplicationThrottled", "Application is over its MailboxConcurrency limit.")
		return
	}
	if m.limiter != nil {
		now := e.opts.Now()
		res := m.limiter.ReserveN(now, 1)
		if d := res.DelayFrom(now); d > 0 {
			res.CancelAt(now)
			c.mu.Unlock()
			w.Header().Set("Retry-After", retryAfterSeconds(d))
			e.writeGraphError(w, http.StatusTooManyRequests, "ApplicationThrottled", "Application is over its MailboxRequestRate limit.")
			return
		}
	}
	m.inflight++
	c.mu.Unlock()
	defer func() {
		c.mu.Lock()
		m.inflight--
		c.mu.Unlock()
	}()
	if c.opts.Latency > 0 {
		t := time.NewTimer(c.opts.Latency)
		select {
		case <-r.Context().Done():
			t.Stop()
			return
		case <-t.C:
		}
	}
	c.servePage(w, r, m)
}

// writeMailboxFailure answers a mailbox made to fail by FailMailbox.
func (c *Calendars) writeMailboxFailure(w http.ResponseWriter, r *http.Request, status int) {
	switch status {
	case http.StatusForbidden:
		c.e.writeGraphError(w, status, "ErrorAccessDenied", "Access to OData is disabled: the mailbox is outside the application access policy.")
	case http.StatusTooManyRequests:
		w.Header().Set("Retry-After", "30")
		c.e.writeGraphError(w, status, "ApplicationThrottled", "Application is over its MailboxConcurrency limit.")
	default:
		c.e.writeFaultStatus(w, r, Fault{Status: status})
	}
}

// resolveUser finds an active user by ID or user principal name.
func (c *Calendars) resolveUser(key string) (string, bool) {
	e := c.e
	e.mu.RLock()
	defer e.mu.RUnlock()
	if i, ok := e.activeUser(key); ok {
		return e.users[i].id, true
	}
	if strings.Contains(key, "@") {
		for j := range e.users {
			if e.users[j].state == stateActive && strings.EqualFold(e.users[j].upn, key) {
				return e.users[j].id, true
			}
		}
	}
	return "", false
}

// servePage builds and writes one page of a round.
func (c *Calendars) servePage(w http.ResponseWriter, r *http.Request, m *mailbox) {
	e := c.e
	q := r.URL.Query()
	size, tzName, applied, aerr := calendarPrefer(r, c.opts.PageSize)
	if aerr != nil {
		e.writeAPIError(w, aerr)
		return
	}
	loc := zone(tzName)

	skip, _ := queryGet(q, "skiptoken")
	delta, _ := queryGet(q, "deltatoken")
	base := baseURL(r)
	path := base + r.URL.Path

	c.mu.Lock()
	var st *syncState
	switch {
	case skip != "" || delta != "":
		tok := cmp.Or(skip, delta)
		s := c.states[tok]
		if s == nil || s.gen != c.gen || s.userID != m.userID || (skip != "") != (s.round != nil) {
			c.mu.Unlock()
			e.writeAPIError(w, &apiError{status: http.StatusGone, code: "SyncStateNotFound",
				message: "The sync state generation is not found; generation=" + strconv.Itoa(int(c.gen)) + ";"})
			return
		}
		st = s
	default:
		ws, we, aerr := calendarWindow(q)
		if aerr != nil {
			c.mu.Unlock()
			e.writeAPIError(w, aerr)
			return
		}
		st = &syncState{userID: m.userID, gen: c.gen, ws: ws, we: we, seen: map[string]uint64{}}
	}
	round, pos := st.round, st.pos
	if round == nil {
		round = c.newRoundLocked(m, st)
		pos = 0
	}
	end := min(pos+size, len(round.entries))
	page := round.entries[pos:end]
	var link string
	if end < len(round.entries) {
		key := c.storeStateLocked(m, &syncState{userID: m.userID, gen: c.gen, ws: st.ws, we: st.we, round: round, pos: end})
		link = path + "?$skiptoken=" + key
	} else {
		key := c.storeStateLocked(m, &syncState{userID: m.userID, gen: c.gen, ws: st.ws, we: st.we, seen: round.next})
		link = path + "?$deltatoken=" + key
	}
	c.mu.Unlock()

	body := struct {
		Context string            `json:"@odata.context"`
		Next    string            `json:"@odata.nextLink,omitempty"`
		Delta   string            `json:"@odata.deltaLink,omitempty"`
		Value   []json.RawMessage `json:"value"`
	}{Context: base + "/v1.0/$metadata#Collection(event)", Value: make([]json.RawMessage, 0, len(page))}
	if end < len(round.entries) {
		body.Next = link
	} else {
		body.Delta = link
	}
	for _, en := range page {
		body.Value = append(body.Value, renderEntry(en, tzName, loc))
	}
	b, _ := json.Marshal(body)
	h := w.Header()
	if len(applied) > 0 {
		h.Set("Preference-Applied", strings.Join(applied, ", "))
	}
	writeEntity(w, b)
}

// newRoundLocked computes the round that follows state st: every instance
// added or changed since st.seen, and removals for the ones gone.
func (c *Calendars) newRoundLocked(m *mailbox, st *syncState) *calRound {
	view := c.viewLocked(m, st.ws, st.we)
	rd := &calRound{next: make(map[string]uint64, len(view))}
	for id, it := range view {
		rd.next[id] = it.ver
		if v, ok := st.seen[id]; !ok || v != it.ver {
			rd.entries = append(rd.entries, roundEntry{id: id, item: it})
		}
	}
	sort.Slice(rd.entries, func(i, j int) bool {
		a, b := rd.entries[i].item, rd.entries[j].item
		if !a.ev.Start.Equal(b.ev.Start) {
			return a.ev.Start.Before(b.ev.Start)
		}
		return rd.entries[i].id < rd.entries[j].id
	})
	var gone []string
	for id := range st.seen {
		if _, ok := view[id]; !ok {
			gone = append(gone, id)
		}
	}
	sort.Strings(gone)
	for _, id := range gone {
		rd.entries = append(rd.entries, roundEntry{removed: true, id: id})
	}
	return rd
}

// storeStateLocked files a state under a new opaque key, evicting the
// mailbox's oldest state past the limit.
func (c *Calendars) storeStateLocked(m *mailbox, st *syncState) string {
	var b [18]byte
	_, _ = rand.Read(b[:])
	key := base64.RawURLEncoding.EncodeToString(b[:])
	c.states[key] = st
	m.states = append(m.states, key)
	for len(m.states) > c.opts.SyncStatesPerMailbox {
		delete(c.states, m.states[0])
		m.states = m.states[1:]
	}
	return key
}

// calendarWindow reads the startDateTime and endDateTime of the first
// request of a round.
func calendarWindow(q url.Values) (time.Time, time.Time, *apiError) {
	missing := badRequest("ErrorInvalidParameter", "This request requires a time window specified by the query string parameters StartDateTime and EndDateTime.")
	for _, opt := range []string{"select", "filter", "orderby", "expand", "search", "top"} {
		if _, ok := queryGet(q, opt); ok {
			return time.Time{}, time.Time{}, badRequest("ErrorInvalidUrlQuery",
				"The following parameters are not supported with change tracking over the 'CalendarView' resource: '$"+opt+"'.")
		}
	}
	sv, eok := queryGet(q, "startDateTime")
	ev, fok := queryGet(q, "endDateTime")
	if !eok || !fok || sv == "" || ev == "" {
		return time.Time{}, time.Time{}, missing
	}
	ws, err1 := parseGraphTime(sv)
	we, err2 := parseGraphTime(ev)
	if err1 != nil || err2 != nil {
		return time.Time{}, time.Time{}, badRequest("ErrorInvalidParameter", "The value of the parameter 'StartDateTime' or 'EndDateTime' is not a valid date and time.")
	}
	if !we.After(ws) {
		return time.Time{}, time.Time{}, badRequest("ErrorInvalidParameter", "The parameter 'EndDateTime' must be after 'StartDateTime'.")
	}
	return ws, we, nil
}

func parseGraphTime(s string) (time.Time, error) {
	if t, err := time.Parse(time.RFC3339Nano, s); err == nil {
		return t.UTC(), nil
	}
	return time.ParseInLocation("2006-01-02T15:04:05.9999999", s, time.UTC)
}

// calendarPrefer reads the Prefer header: odata.maxpagesize and
// outlook.timezone, and returns the preferences applied.
func calendarPrefer(r *http.Request, dflt int) (size int, tz string, applied []string, aerr *apiError) {
	size, tz = dflt, "UTC"
	for _, v := range r.Header.Values("Prefer") {
		for pref := range strings.SplitSeq(v, ",") {
			k, val, ok := strings.Cut(strings.TrimSpace(pref), "=")
			if !ok {
				continue
			}
			k, val = strings.TrimSpace(k), strings.Trim(strings.TrimSpace(val), `"`)
			switch {
			case strings.EqualFold(k, "odata.maxpagesize"):
				if n, err := strconv.Atoi(val); err == nil && n > 0 {
					size = min(n, MaxEventPageSize)
					applied = append(applied, "odata.maxpagesize="+strconv.Itoa(size))
				}
			case strings.EqualFold(k, "outlook.timezone"):
				if !strings.EqualFold(val, "UTC") {
					if _, err := time.LoadLocation(val); err != nil {
						return 0, "", nil, badRequest("ErrorTimeZoneException", "A valid TimeZone value must be specified. The following TimeZone value is not supported: '"+val+"'.")
					}
				} else {
					val = "UTC"
				}
				tz = val
				applied = append(applied, `outlook.timezone="`+val+`"`)
			}
		}
	}
	return size, tz, applied, nil
}

// Wire form of an event.
type (
	wireDateTime struct {
		DateTime string `json:"dateTime"`
		TimeZone string `json:"timeZone"`
	}
	wireEmail struct {
		Name    string `json:"name"`
		Address string `json:"address"`
	}
	wireRecipient struct {
		EmailAddress wireEmail `json:"emailAddress"`
	}
	wireAttendee struct {
		Type   string `json:"type"`
		Status struct {
			Response string `json:"response"`
			Time     string `json:"time"`
		} `json:"status"`
		EmailAddress wireEmail `json:"emailAddress"`
	}
	wirePattern struct {
		Type           string   `json:"type"`
		Interval       int      `json:"interval"`
		Month          int      `json:"month"`
		DayOfMonth     int      `json:"dayOfMonth"`
		DaysOfWeek     []string `json:"daysOfWeek,omitempty"`
		FirstDayOfWeek string   `json:"firstDayOfWeek"`
		Index          string   `json:"index"`
	}
	wireRange struct {
		Type                string `json:"type"`
		StartDate           string `json:"startDate"`
		EndDate             string `json:"endDate"`
		RecurrenceTimeZone  string `json:"recurrenceTimeZone"`
		NumberOfOccurrences int    `json:"numberOfOccurrences"`
	}
	wireRecurrence struct {
		Pattern wirePattern `json:"pattern"`
		Range   wireRange   `json:"range"`
	}
	wireEvent struct {
		Type                  string          `json:"@odata.type"`
		ETag                  string          `json:"@odata.etag"`
		ID                    string          `json:"id"`
		CreatedDateTime       string          `json:"createdDateTime"`
		LastModifiedDateTime  string          `json:"lastModifiedDateTime"`
		ICalUID               string          `json:"iCalUId"`
		Subject               string          `json:"subject"`
		BodyPreview           string          `json:"bodyPreview"`
		Body                  any             `json:"body"`
		Importance            string          `json:"importance"`
		Sensitivity           string          `json:"sensitivity"`
		IsAllDay              bool            `json:"isAllDay"`
		IsCancelled           bool            `json:"isCancelled"`
		IsOrganizer           bool            `json:"isOrganizer"`
		ShowAs                string          `json:"showAs"`
		EventType             string          `json:"type"`
		SeriesMasterID        *string         `json:"seriesMasterId"`
		OriginalStart         *string         `json:"originalStart,omitempty"`
		OriginalStartTimeZone string          `json:"originalStartTimeZone"`
		OriginalEndTimeZone   string          `json:"originalEndTimeZone"`
		Start                 wireDateTime    `json:"start"`
		End                   wireDateTime    `json:"end"`
		Location              any             `json:"location"`
		Recurrence            *wireRecurrence `json:"recurrence"`
		Attendees             []wireAttendee  `json:"attendees"`
		Organizer             wireRecipient   `json:"organizer"`
	}
)

const graphDateTime = "2006-01-02T15:04:05.0000000"

func renderEntry(en roundEntry, tzName string, loc *time.Location) json.RawMessage {
	if en.removed {
		b, _ := json.Marshal(map[string]any{
			"@odata.type": "#microsoft.graph.event", "id": en.id, "@removed": map[string]string{"reason": "deleted"},
		})
		return b
	}
	it := en.item
	ev := it.ev
	dt := func(t time.Time) wireDateTime {
		if ev.IsAllDay {
			y, m, d := t.UTC().Date()
			return wireDateTime{DateTime: time.Date(y, m, d, 0, 0, 0, 0, time.UTC).Format(graphDateTime), TimeZone: tzName}
		}
		return wireDateTime{DateTime: t.In(loc).Format(graphDateTime), TimeZone: tzName}
	}
	w := wireEvent{
		Type:                  "#microsoft.graph.event",
		ETag:                  `W/"` + base64.StdEncoding.EncodeToString([]byte(strconv.FormatUint(it.ver, 10))) + `"`,
		ID:                    ev.ID,
		CreatedDateTime:       it.created.UTC().Format(time.RFC3339Nano),
		LastModifiedDateTime:  it.modified.UTC().Format(time.RFC3339Nano),
		ICalUID:               ev.ICalUID,
		Subject:               ev.Subject,
		BodyPreview:           ev.Body,
		Body:                  map[string]string{"contentType": "html", "content": "<html><body>" + ev.Body + "</body></html>"},
		Importance:            "normal",
		Sensitivity:           ev.Sensitivity,
		IsAllDay:              ev.IsAllDay,
		IsCancelled:           ev.IsCancelled,
		ShowAs:                ev.ShowAs,
		EventType:             it.typ,
		OriginalStartTimeZone: ev.TimeZone,
		OriginalEndTimeZone:   ev.TimeZone,
		Start:                 dt(ev.Start),
		End:                   dt(ev.End),
		Location:              map[string]any{"displayName": ev.Location, "locationType": "default", "uniqueIdType": "unknown"},
		Attendees:             []wireAttendee{},
		Organizer:             wireRecipient{EmailAddress: wireEmail{Name: ev.Organizer.Name, Address: ev.Organizer.Address}},
	}
	if it.masterID != "" {
		w.SeriesMasterID = &it.masterID
		os := it.originalStart.UTC().Format("2006-01-02T15:04:05Z")
		w.OriginalStart = &os
	}
	for _, a := range ev.Attendees {
		wa := wireAttendee{Type: cmp.Or(a.Type, "required"), EmailAddress: wireEmail{Name: a.Name, Address: a.Address}}
		wa.Status.Response = cmp.Or(a.Response, "none")
		wa.Status.Time = "0001-01-01T00:00:00Z"
		w.Attendees = append(w.Attendees, wa)
	}
	if r := ev.Recurrence; r != nil {
		rl := zone(ev.TimeZone)
		wr := &wireRecurrence{
			Pattern: wirePattern{Type: r.Type, Interval: r.Interval, FirstDayOfWeek: "sunday", Index: "first"},
			Range:   wireRange{Type: "noEnd", StartDate: ev.Start.In(rl).Format("2006-01-02"), EndDate: "0001-01-01", RecurrenceTimeZone: ev.TimeZone},
		}
		for _, d := range r.DaysOfWeek {
			wr.Pattern.DaysOfWeek = append(wr.Pattern.DaysOfWeek, strings.ToLower(d.String()))
		}
		switch {
		case !r.EndDate.IsZero():
			wr.Range.Type, wr.Range.EndDate = "endDate", r.EndDate.Format("2006-01-02")
		case r.Count > 0:
			wr.Range.Type, wr.Range.NumberOfOccurrences = "numbered", r.Count
		}
		w.Recurrence = wr
	}
	b, _ := json.Marshal(w)
	return b
}
