package graph

import (
	"encoding/json"
	"net/http"
	"net/url"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
)

var calNow = time.Date(2026, 3, 2, 9, 0, 0, 0, time.UTC)

type calBundle struct {
	*testBundle
	cal  *Calendars
	user User
}

func setupCalendars(t *testing.T, o CalendarOptions) *calBundle {
	t.Helper()
	emu := New(Options{ClientSecret: testSecret, Now: func() time.Time { return calNow }})
	u := User{UserPrincipalName: "ana@contoso.com", Mail: "ana@contoso.com", DisplayName: "Ana Ruiz", AccountEnabled: true}
	u.ID = emu.AddUser(u)
	cal := NewCalendars(emu, o)
	tr := &http.Transport{}
	t.Cleanup(tr.CloseIdleConnections)
	b := &testBundle{emu: emu, base: cal.StartTest(t), client: &http.Client{Transport: tr}}
	b.token = b.fetchToken(t)
	return &calBundle{testBundle: b, cal: cal, user: u}
}

func (b *calBundle) viewURL(key string, ws, we time.Time) string {
	return b.base + "/v1.0/users/" + key + "/calendarView/delta?" + url.Values{
		"startDateTime": {ws.Format(time.RFC3339)}, "endDateTime": {we.Format(time.RFC3339)},
	}.Encode()
}

func eventsByID(items []map[string]any) map[string]map[string]any {
	out := map[string]map[string]any{}
	for _, it := range items {
		out[it["id"].(string)] = it
	}
	return out
}

func TestCalendarDeltaRounds(t *testing.T) {
	t.Parallel()
	b := setupCalendars(t, CalendarOptions{})
	ws, we := calNow.AddDate(0, 0, -7), calNow.AddDate(0, 0, 30)
	uid := b.user.ID
	single, err := b.cal.AddEvent(uid, Event{Subject: "Budget", Start: calNow.Add(2 * time.Hour), End: calNow.Add(3 * time.Hour),
		TimeZone: "Europe/Berlin", Attendees: []Attendee{{Name: "Bo", Address: "bo@contoso.com"}}})
	require.NoError(t, err)
	out, err := b.cal.AddEvent(uid, Event{Subject: "Far away", Start: calNow.AddDate(1, 0, 0), End: calNow.AddDate(1, 0, 0).Add(time.Hour)})
	require.NoError(t, err)
	master, err := b.cal.AddEvent(uid, Event{Subject: "Stand-up", Start: calNow.Add(time.Hour), End: calNow.Add(90 * time.Minute),
		Recurrence: &Recurrence{Type: "daily", Count: 5}})
	require.NoError(t, err)
	excID, err := b.cal.UpdateOccurrence(uid, master, calNow.Add(25*time.Hour), func(ev *Event) {
		ev.Subject = "Stand-up (moved)"
		ev.Start = ev.Start.Add(time.Hour)
		ev.End = ev.End.Add(time.Hour)
	})
	require.NoError(t, err)
	require.NoError(t, b.cal.DeleteOccurrence(uid, master, calNow.Add(49*time.Hour)))

	items, delta, pages := b.round(t, b.viewURL(b.user.UserPrincipalName, ws, we), 2)
	got := eventsByID(items)
	require.Len(t, got, 1+1+4, "the single event, the master and four occurrences (one deleted); not the event a year away")
	require.Greater(t, pages, 2, "odata.maxpagesize=2 pages the round")
	require.NotContains(t, got, out)
	require.Equal(t, "singleInstance", got[single]["type"])
	require.Equal(t, "Europe/Berlin", got[single]["originalStartTimeZone"])
	require.Equal(t, map[string]any{"dateTime": "2026-03-02T11:00:00.0000000", "timeZone": "UTC"}, got[single]["start"])
	require.Equal(t, "seriesMaster", got[master]["type"])
	require.NotNil(t, got[master]["recurrence"])
	require.Equal(t, "exception", got[excID]["type"])
	require.Equal(t, master, got[excID]["seriesMasterId"])
	require.Equal(t, "Stand-up (moved)", got[excID]["subject"])

	// Nothing changed: an empty round.
	items, delta, _ = b.round(t, delta, 0)
	require.Empty(t, items)

	require.NoError(t, b.cal.UpdateEvent(uid, single, func(ev *Event) { ev.Start, ev.End = calNow.AddDate(0, 2, 0), calNow.AddDate(0, 2, 0).Add(time.Hour) }))
	require.NoError(t, b.cal.UpdateEvent(uid, out, func(ev *Event) { ev.Start, ev.End = calNow.Add(5*time.Hour), calNow.Add(6*time.Hour) }))
	require.NoError(t, b.cal.DeleteOccurrence(uid, master, calNow.Add(73*time.Hour)))
	items, delta, _ = b.round(t, delta, 0)
	got = eventsByID(items)
	require.Len(t, got, 3)
	require.Equal(t, map[string]any{"reason": "deleted"}, got[single]["@removed"], "moved out of the window")
	require.Equal(t, "Far away", got[out]["subject"], "moved into the window")
	require.Equal(t, map[string]any{"reason": "deleted"}, got[OccurrenceID(master, calNow.Add(73*time.Hour))]["@removed"])

	require.NoError(t, b.cal.CancelEvent(uid, out))
	items, _, _ = b.round(t, delta, 0)
	require.Len(t, items, 1)
	require.Equal(t, true, items[0]["isCancelled"])
	require.Equal(t, "Canceled: Far away", items[0]["subject"])

	b.cal.ExpireSyncStates()
	resp, gerr := b.graphError(t, delta, http.StatusGone)
	require.Equal(t, "SyncStateNotFound", gerr.Error.Code, resp.Header)
}

func TestCalendarPreferAndErrors(t *testing.T) {
	t.Parallel()
	b := setupCalendars(t, CalendarOptions{})
	ws, we := calNow, calNow.AddDate(0, 0, 1)
	_, err := b.cal.AddEvent(b.user.ID, Event{Subject: "x", Start: calNow.Add(time.Hour), End: calNow.Add(2 * time.Hour)})
	require.NoError(t, err)
	req, _ := http.NewRequestWithContext(t.Context(), http.MethodGet, b.viewURL(b.user.ID, ws, we), nil)
	req.Header.Set("Authorization", "Bearer "+b.token)
	req.Header.Set("Prefer", `odata.maxpagesize=7, outlook.timezone="America/New_York"`)
	resp, err := b.client.Do(req)
	require.NoError(t, err)
	var c collection
	require.NoError(t, json.NewDecoder(resp.Body).Decode(&c))
	_ = resp.Body.Close()
	require.Equal(t, `odata.maxpagesize=7, outlook.timezone="America/New_York"`, resp.Header.Get("Preference-Applied"))
	require.Equal(t, map[string]any{"dateTime": "2026-03-02T05:00:00.0000000", "timeZone": "America/New_York"}, c.Value[0]["start"])

	_, gerr := b.graphError(t, b.base+"/v1.0/users/"+b.user.ID+"/calendarView/delta", http.StatusBadRequest)
	require.Equal(t, "ErrorInvalidParameter", gerr.Error.Code, "a first request needs a window")
	_, gerr = b.graphError(t, b.viewURL(b.user.ID, ws, we)+"&$select=subject", http.StatusBadRequest)
	require.Equal(t, "ErrorInvalidUrlQuery", gerr.Error.Code)
	nobox := b.emu.AddUser(User{UserPrincipalName: "nomail@contoso.com", AccountEnabled: true})
	_, gerr = b.graphError(t, b.viewURL(nobox, ws, we), http.StatusNotFound)
	require.Equal(t, "MailboxNotEnabledForRESTAPI", gerr.Error.Code)
	b.cal.FailMailbox(b.user.ID, http.StatusForbidden)
	_, gerr = b.graphError(t, b.viewURL(b.user.ID, ws, we), http.StatusForbidden)
	require.Equal(t, "ErrorAccessDenied", gerr.Error.Code)
}

func TestCalendarMailboxConcurrency(t *testing.T) {
	t.Parallel()
	b := setupCalendars(t, CalendarOptions{Latency: 200 * time.Millisecond})
	require.NoError(t, b.cal.AddMailbox(b.user.ID))
	u := b.viewURL(b.user.ID, calNow, calNow.AddDate(0, 0, 1))
	statuses := make([]int, 6)
	retryAfter := make([]string, 6)
	var wg sync.WaitGroup
	for i := range statuses {
		wg.Go(func() {
			resp, _ := b.get(t, u, 0)
			statuses[i], retryAfter[i] = resp.StatusCode, resp.Header.Get("Retry-After")
		})
	}
	wg.Wait()
	ok, throttled := 0, 0
	for i, s := range statuses {
		switch s {
		case http.StatusOK:
			ok++
		case http.StatusTooManyRequests:
			throttled++
			require.NotEmpty(t, retryAfter[i])
		}
	}
	require.Equal(t, 4, ok, "four requests to one mailbox run at once")
	require.Equal(t, 2, throttled, "the fifth and sixth get 429 ApplicationThrottled")
}

func TestCalendarMailboxRequestLimit(t *testing.T) {
	t.Parallel()
	b := setupCalendars(t, CalendarOptions{MailboxRequestsPer10Min: 3})
	require.NoError(t, b.cal.AddMailbox(b.user.ID))
	u := b.viewURL(b.user.ID, calNow, calNow.AddDate(0, 0, 1))
	for range 3 {
		resp, body := b.get(t, u, 0)
		require.Equal(t, http.StatusOK, resp.StatusCode, string(body))
	}
	resp, gerr := b.graphError(t, u, http.StatusTooManyRequests)
	require.Equal(t, "ApplicationThrottled", gerr.Error.Code)
	require.Equal(t, "200", resp.Header.Get("Retry-After"), "a tenth of ten minutes for one request of three")

	other := b.emu.AddUser(User{UserPrincipalName: "bo@contoso.com", AccountEnabled: true})
	require.NoError(t, b.cal.AddMailbox(other))
	resp, body := b.get(t, b.viewURL(other, calNow, calNow.AddDate(0, 0, 1)), 0)
	require.Equal(t, http.StatusOK, resp.StatusCode, "the limit is per mailbox: %s", body)
}
