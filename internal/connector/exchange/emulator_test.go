package exchange

import (
	"context"
	"encoding/json"
	"errors"
	"net/http"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/integrator-oss/integrator/internal/connector"
	"github.com/integrator-oss/integrator/internal/emulator/graph"
	"github.com/integrator-oss/integrator/internal/record"
	"github.com/integrator-oss/integrator/internal/secret"
)

func TestEventsAndTheirChanges(t *testing.T) {
	t.Parallel()
	b := setup(t, 2, graph.CalendarOptions{})
	ana, bo := b.users[0], b.users[1]
	src := b.open(t, nil)

	budget, err := b.cal.AddEvent(ana.ID, graph.Event{Subject: "Budget review", Start: testNow.Add(3 * time.Hour), End: testNow.Add(4 * time.Hour),
		TimeZone: "Europe/Berlin", Location: "Room 4", ShowAs: "busy",
		Attendees: []graph.Attendee{{Name: "Bo", Address: bo.Mail, Type: "required", Response: "accepted"}}})
	require.NoError(t, err)
	retro, err := b.cal.AddEvent(ana.ID, graph.Event{Subject: "Retro", Start: testNow.AddDate(0, 0, 2), End: testNow.AddDate(0, 0, 2).Add(time.Hour)})
	require.NoError(t, err)
	offsite, err := b.cal.AddEvent(ana.ID, graph.Event{Subject: "Offsite", Start: testNow.AddDate(0, 0, 5), End: testNow.AddDate(0, 0, 6)})
	require.NoError(t, err)
	doctor, err := b.cal.AddEvent(ana.ID, graph.Event{Subject: "Doctor", Location: "Clinic", Sensitivity: "private",
		Start: testNow.AddDate(0, 0, 1), End: testNow.AddDate(0, 0, 1).Add(time.Hour),
		Attendees: []graph.Attendee{{Name: "Dr Who", Address: "dr@clinic.example"}}})
	require.NoError(t, err)
	holiday, err := b.cal.AddEvent(bo.ID, graph.Event{Subject: "Holiday", IsAllDay: true, ShowAs: "oof",
		Start: time.Date(2026, 3, 10, 0, 0, 0, 0, time.UTC), End: time.Date(2026, 3, 12, 0, 0, 0, 0, time.UTC)})
	require.NoError(t, err)
	standup, err := b.cal.AddEvent(bo.ID, graph.Event{Subject: "Stand-up", Start: testNow.Add(24 * time.Hour), End: testNow.Add(24*time.Hour + 15*time.Minute),
		Recurrence: &graph.Recurrence{Type: "weekly", DaysOfWeek: []time.Weekday{time.Tuesday, time.Thursday}, Count: 6}})
	require.NoError(t, err)
	second := testNow.Add(3 * 24 * time.Hour) // Thursday
	exc, err := b.cal.UpdateOccurrence(bo.ID, standup, second, func(ev *graph.Event) { ev.Subject = "Stand-up (in the big room)"; ev.Location = "Big room" })
	require.NoError(t, err)

	// First run: everything in the window.
	res, recs := b.run(t, src)
	require.Empty(t, res.FailedParts)
	got := byID(recs)
	require.Len(t, got, 4+1+1+6, "ana's four events, bo's holiday, the series master and six occurrences")

	r := got[budget]
	require.Equal(t, map[string]string{
		record.AttrPart: ana.ID, record.AttrMailbox: ana.ID, record.AttrMailboxUPN: ana.UserPrincipalName,
		record.AttrSubject: "Budget review", record.AttrStart: "2026-03-02T12:30:00Z", record.AttrEnd: "2026-03-02T13:30:00Z",
		record.AttrTimeZone: "Europe/Berlin", record.AttrAllDay: "false", record.AttrLocation: "Room 4",
		record.AttrOrganizer: ana.Mail, record.AttrShowAs: "busy", record.AttrSensitivity: "normal",
		record.AttrEventType: "singleInstance", record.AttrCancelled: "false",
		record.AttrAttendees: `[{"email":"` + bo.Mail + `","name":"Bo","type":"required","response":"accepted"}]`,
	}, r.Attrs)

	p := got[doctor].Attrs
	require.Equal(t, "private", p[record.AttrSensitivity])
	require.Equal(t, "2026-03-03T09:30:00Z", p[record.AttrStart], "busy time is kept")
	for _, k := range []string{record.AttrSubject, record.AttrLocation, record.AttrAttendees, record.AttrOrganizer} {
		require.NotContains(t, p, k, "a private event carries no %s", k)
	}

	h := got[holiday].Attrs
	require.Equal(t, "true", h[record.AttrAllDay])
	require.Equal(t, "2026-03-10T00:00:00Z", h[record.AttrStart])
	require.Equal(t, "2026-03-12T00:00:00Z", h[record.AttrEnd])
	require.Equal(t, bo.ID, h[record.AttrPart])

	m := got[standup].Attrs
	require.Equal(t, "seriesMaster", m[record.AttrEventType])
	var rec struct {
		Pattern struct {
			Type       string   `json:"type"`
			DaysOfWeek []string `json:"daysOfWeek"`
		} `json:"pattern"`
		Range struct {
			Type string `json:"type"`
			N    int    `json:"numberOfOccurrences"`
		} `json:"range"`
	}
	require.NoError(t, json.Unmarshal([]byte(m[record.AttrRecurrence]), &rec))
	require.Equal(t, "weekly", rec.Pattern.Type)
	require.Equal(t, []string{"tuesday", "thursday"}, rec.Pattern.DaysOfWeek)
	require.Equal(t, 6, rec.Range.N)
	occurrences := 0
	for _, r := range recs {
		if r.Attrs[record.AttrEventType] == "occurrence" {
			occurrences++
			require.Equal(t, standup, r.Attrs[record.AttrSeriesID])
		}
	}
	require.Equal(t, 5, occurrences)
	require.Equal(t, "exception", got[exc].Attrs[record.AttrEventType])
	require.Equal(t, standup, got[exc].Attrs[record.AttrSeriesID])
	require.Equal(t, "Stand-up (in the big room)", got[exc].Attrs[record.AttrSubject])

	// A run with nothing changed delivers nothing.
	_, recs = b.run(t, src)
	require.Empty(t, recs)

	// Changed, cancelled, deleted, moved out of the window, a new event,
	// and an occurrence removed from the series.
	require.NoError(t, b.cal.UpdateEvent(ana.ID, budget, func(ev *graph.Event) { ev.Subject = "Budget review (v2)"; ev.End = ev.End.Add(30 * time.Minute) }))
	require.NoError(t, b.cal.CancelEvent(ana.ID, retro))
	require.NoError(t, b.cal.DeleteEvent(ana.ID, doctor))
	require.NoError(t, b.cal.UpdateEvent(ana.ID, offsite, func(ev *graph.Event) { ev.Start, ev.End = testNow.AddDate(1, 0, 0), testNow.AddDate(1, 0, 1) }))
	lunch, err := b.cal.AddEvent(bo.ID, graph.Event{Subject: "Lunch", Start: testNow.Add(2 * time.Hour), End: testNow.Add(3 * time.Hour)})
	require.NoError(t, err)
	fourth := testNow.Add(8 * 24 * time.Hour)
	require.NoError(t, b.cal.DeleteOccurrence(bo.ID, standup, fourth))

	_, recs = b.run(t, src)
	got = byID(recs)
	require.Len(t, got, 6)
	require.Equal(t, "Budget review (v2)", got[budget].Attrs[record.AttrSubject])
	require.Equal(t, "2026-03-02T14:00:00Z", got[budget].Attrs[record.AttrEnd])
	require.Equal(t, "true", got[retro].Attrs[record.AttrCancelled])
	require.Equal(t, "Canceled: Retro", got[retro].Attrs[record.AttrSubject])
	for _, id := range []string{doctor, offsite, graph.OccurrenceID(standup, fourth)} {
		require.Equal(t, record.Removed, got[id].State, "%s is removed", id)
		require.Equal(t, "deleted", got[id].Reason)
		require.NotEmpty(t, got[id].Attrs[record.AttrPart], "a removal names its mailbox")
	}
	require.Equal(t, record.Present, got[lunch].State)
	require.Equal(t, bo.UserPrincipalName, got[lunch].Attrs[record.AttrMailboxUPN])
}

// expected is what the platform should hold for the mailboxes in the
// window the source computes now: what a fresh full round returns.
func expected(t *testing.T, b *bundle, mod func(*Config)) map[string]record.Record {
	t.Helper()
	fresh := &bundle{emu: b.emu, cal: b.cal, base: b.base, clock: b.clock, sleep: &fakeSleep{}, users: b.users, state: map[string]record.Record{}}
	src := fresh.open(t, mod)
	fresh.run(t, src)
	return fresh.state
}

func TestWindowRollForwardLosesAndDuplicatesNothing(t *testing.T) {
	t.Parallel()
	b := setup(t, 3, graph.CalendarOptions{})
	window := func(c *Config) { c.WindowBack, c.WindowAhead = Days(2*24*time.Hour), Days(5*24*time.Hour) }
	src := b.open(t, window)
	ana := b.users[0]
	day := 24 * time.Hour
	today := testNow.Truncate(day)
	// The window is [today-2d, today+5d).
	old, err := b.cal.AddEvent(ana.ID, graph.Event{Subject: "Falls off the back", Start: today.Add(-2*day + time.Hour), End: today.Add(-2*day + 2*time.Hour)})
	require.NoError(t, err)
	stays, err := b.cal.AddEvent(ana.ID, graph.Event{Subject: "Stays", Start: today.Add(day), End: today.Add(day + time.Hour)})
	require.NoError(t, err)
	doomed, err := b.cal.AddEvent(ana.ID, graph.Event{Subject: "Deleted overnight", Start: today.Add(2 * day), End: today.Add(2*day + time.Hour)})
	require.NoError(t, err)
	coming, err := b.cal.AddEvent(ana.ID, graph.Event{Subject: "Enters at the front", Start: today.Add(5*day + time.Hour), End: today.Add(5*day + 2*time.Hour)})
	require.NoError(t, err)
	daily, err := b.cal.AddEvent(b.users[1].ID, graph.Event{Subject: "Daily", Start: today.Add(-10*day + 8*time.Hour), End: today.Add(-10*day + 9*time.Hour),
		Recurrence: &graph.Recurrence{Type: "daily"}})
	require.NoError(t, err)

	_, recs := b.run(t, src)
	first := byID(recs)
	require.Contains(t, first, old)
	require.NotContains(t, first, coming)
	require.Equal(t, expected(t, b, window), b.state)
	before := b.cursorState(t)

	// Overnight: one event is deleted and the day changes.
	require.NoError(t, b.cal.DeleteEvent(ana.ID, doomed))
	b.clock.add(day)
	res, recs := b.run(t, src)
	require.Empty(t, res.FailedParts)
	require.False(t, res.Resynced)
	got := byID(recs)
	require.Equal(t, record.Removed, got[doomed].State, "the old delta link is drained first: the deletion is not lost")
	require.Equal(t, "Stays", got[stays].Attrs[record.AttrSubject], "an event seen again has the same ID")
	require.Contains(t, got, coming, "the new front of the window is read")
	require.NotContains(t, b.state, doomed)
	require.Contains(t, b.state, old, "an appointment that fell off the back of the window is left alone")

	after := b.cursorState(t)
	for id, st := range after.Mailboxes {
		require.Equal(t, today.Add(-day).Format(time.RFC3339), st.Start)
		require.NotEqual(t, before.Mailboxes[id].Delta, st.Delta)
	}

	// The platform now holds the new window exactly (plus what fell off the
	// back), once per event: series occurrences included.
	want := expected(t, b, window)
	for id, r := range want {
		require.Equal(t, r.Attrs, b.state[id].Attrs, "appointment %s", id)
	}
	newStart := today.Add(-day).Format(time.RFC3339)
	extra := 0
	for id, r := range b.state {
		if _, ok := want[id]; !ok {
			extra++
			require.Less(t, r.Attrs[record.AttrEnd], newStart, "only appointments behind the new window are extra: %s", r.Attrs[record.AttrSubject])
		}
	}
	require.Equal(t, 2, extra, "the single event and the daily occurrence of the day that fell off")
	n := 0
	for _, r := range b.state {
		if r.Attrs[record.AttrSeriesID] == daily {
			n++
		}
	}
	require.Equal(t, 7+1, n, "the daily series: one appointment per day of the first window, and one for the new front day")

	// The next run in the same window reads only deltas.
	_, recs = b.run(t, src)
	require.Empty(t, recs)
}

// The integration's periodic full run drains every mailbox's delta link
// before starting new rounds, so a deletion made since the last run is not
// lost, and reports itself full so the next runs are deltas again.
func TestFullRunDrainsPendingRemovalsFirst(t *testing.T) {
	t.Parallel()
	b := setup(t, 2, graph.CalendarOptions{})
	src := b.open(t, nil)
	ana := b.users[0]
	today := testNow.Truncate(24 * time.Hour)
	doomed, err := b.cal.AddEvent(ana.ID, graph.Event{Subject: "Deleted before the full run", Start: today.Add(26 * time.Hour), End: today.Add(27 * time.Hour)})
	require.NoError(t, err)
	stays, err := b.cal.AddEvent(ana.ID, graph.Event{Subject: "Stays", Start: today.Add(50 * time.Hour), End: today.Add(51 * time.Hour)})
	require.NoError(t, err)
	b.run(t, src)
	require.Contains(t, b.state, doomed)
	before := b.cursorState(t)

	require.NoError(t, b.cal.DeleteEvent(ana.ID, doomed))
	res, recs := b.fetch(t, src, true)
	require.True(t, res.Full, "every mailbox started a new round")
	got := byID(recs)
	require.Equal(t, record.Removed, got[doomed].State, "the deletion is delivered before the new round")
	require.Equal(t, "Stays", got[stays].Attrs[record.AttrSubject], "the new round lists the window again, same IDs")
	require.NotContains(t, b.state, doomed)
	for id, st := range b.cursorState(t).Mailboxes {
		require.NotEqual(t, before.Mailboxes[id].Delta, st.Delta, "a new round, a new delta link")
	}
	_, recs = b.run(t, src)
	require.Empty(t, recs, "and the next run reads only deltas")
}

func TestFiftyMailboxesOneFailing(t *testing.T) {
	t.Parallel()
	b := setup(t, 50, graph.CalendarOptions{Latency: 2 * time.Millisecond})
	ids := make([]string, 0, len(b.users))
	for _, u := range b.users {
		ids = append(ids, u.ID)
	}
	require.NoError(t, b.cal.GenerateCalendars(ids, 6, 1))
	src := b.open(t, nil)
	_, recs := b.run(t, src)
	require.NotEmpty(t, recs)
	before := b.cursorState(t)
	require.Len(t, before.Mailboxes, 50)
	require.Zero(t, b.emu.Stats().Throttled, "never more than four requests at once to one mailbox")

	bad := b.users[17]
	b.cal.FailMailbox(bad.ID, http.StatusForbidden)
	for _, u := range b.users[:5] {
		_, err := b.cal.AddEvent(u.ID, graph.Event{Subject: "New", Start: testNow.Add(time.Hour), End: testNow.Add(2 * time.Hour)})
		require.NoError(t, err)
	}
	_, err := b.cal.AddEvent(bad.ID, graph.Event{Subject: "Unseen", Start: testNow.Add(time.Hour), End: testNow.Add(2 * time.Hour)})
	require.NoError(t, err)

	res, recs := b.run(t, src)
	require.Len(t, res.FailedParts, 1)
	f := res.FailedParts[0]
	require.Equal(t, bad.ID, f.Part)
	require.Equal(t, bad.UserPrincipalName, f.Name)
	require.Contains(t, f.Err, "403")
	require.Contains(t, f.Err, "Calendars.Read")
	require.Len(t, recs, 5, "the others complete")
	after := b.cursorState(t)
	require.Len(t, after.Mailboxes, 50)
	for id, st := range after.Mailboxes {
		if id == bad.ID {
			require.Equal(t, before.Mailboxes[id], st, "the failed mailbox keeps its cursor")
		} else {
			require.NotEqual(t, before.Mailboxes[id].Delta, st.Delta, "mailbox %s advances", st.UPN)
		}
	}

	// Healed, it resumes from its old delta link.
	b.cal.FailMailbox(bad.ID, 0)
	res, recs = b.run(t, src)
	require.Empty(t, res.FailedParts)
	require.Len(t, recs, 1)
	require.Equal(t, "Unseen", recs[0].Attrs[record.AttrSubject], "the event made while it failed arrives now")
	require.Equal(t, bad.ID, recs[0].Attrs[record.AttrPart])
}

func TestMailboxThrottlingIsHonoured(t *testing.T) {
	t.Parallel()
	b := setup(t, 4, graph.CalendarOptions{})
	for _, u := range b.users {
		_, err := b.cal.AddEvent(u.ID, graph.Event{Subject: "x", Start: testNow.Add(time.Hour), End: testNow.Add(2 * time.Hour)})
		require.NoError(t, err)
	}
	src := b.open(t, nil)
	slow := b.users[1]
	b.emu.Inject(graph.Fault{Path: "/users/" + slow.ID + "/calendarView", Status: http.StatusTooManyRequests, RetryAfter: "7", Times: 2})
	res, recs := b.run(t, src)
	require.Empty(t, res.FailedParts)
	require.Len(t, recs, 4)
	require.Equal(t, []time.Duration{7 * time.Second, 7 * time.Second}, b.sleep.all(), "the mailbox's Retry-After is waited out")

	// Throttled past the retries: that mailbox fails alone.
	hopeless := b.users[2]
	_, err := b.cal.AddEvent(hopeless.ID, graph.Event{Subject: "y", Start: testNow.Add(time.Hour), End: testNow.Add(2 * time.Hour)})
	require.NoError(t, err)
	before := b.cursorState(t).Mailboxes[hopeless.ID]
	b.emu.Inject(graph.Fault{Path: "/users/" + hopeless.ID + "/calendarView", Status: http.StatusTooManyRequests, RetryAfter: "1", Times: 100})
	res, _ = b.run(t, src)
	require.Len(t, res.FailedParts, 1)
	require.Equal(t, hopeless.UserPrincipalName, res.FailedParts[0].Name)
	require.Contains(t, res.FailedParts[0].Err, "429")
	require.Equal(t, before, b.cursorState(t).Mailboxes[hopeless.ID])
}

func TestConcurrencyStaysUnderTheMailboxLimit(t *testing.T) {
	t.Parallel()
	b := setup(t, 12, graph.CalendarOptions{Latency: 5 * time.Millisecond, PageSize: 2})
	ids := make([]string, 0, len(b.users))
	for _, u := range b.users {
		ids = append(ids, u.ID)
	}
	require.NoError(t, b.cal.GenerateCalendars(ids, 12, 2))
	src := b.open(t, func(c *Config) { c.Concurrency = 16; c.PageSize = 2 })
	res, recs := b.run(t, src)
	require.Empty(t, res.FailedParts)
	require.NotEmpty(t, recs)
	require.Zero(t, b.emu.Stats().Throttled)
	require.Empty(t, b.sleep.all())
}

func TestExpiredSyncStateStartsOver(t *testing.T) {
	t.Parallel()
	b := setup(t, 2, graph.CalendarOptions{})
	id, err := b.cal.AddEvent(b.users[0].ID, graph.Event{Subject: "x", Start: testNow.Add(time.Hour), End: testNow.Add(2 * time.Hour)})
	require.NoError(t, err)
	src := b.open(t, nil)
	b.run(t, src)
	b.cal.ExpireSyncStates()
	res, recs := b.run(t, src)
	require.True(t, res.Resynced)
	require.Empty(t, res.FailedParts)
	require.Contains(t, byID(recs), id, "a new round delivers the window again")
	_, recs = b.run(t, src)
	require.Empty(t, recs)
}

func TestMailboxSources(t *testing.T) {
	t.Parallel()
	b := setup(t, 4, graph.CalendarOptions{})
	for _, u := range b.users {
		_, err := b.cal.AddEvent(u.ID, graph.Event{Subject: "x", Start: testNow.Add(time.Hour), End: testNow.Add(2 * time.Hour)})
		require.NoError(t, err)
	}
	g := b.emu.AddGroup(graph.Group{DisplayName: "Support", SecurityEnabled: true})
	require.NoError(t, b.emu.AddMember(g, b.users[1].ID))
	require.NoError(t, b.emu.AddMember(g, b.users[3].ID))
	nobox := b.emu.AddUser(graph.User{UserPrincipalName: "kiosk@contoso.com", Mail: "kiosk@contoso.com", AccountEnabled: true})
	nomail := b.emu.AddUser(graph.User{UserPrincipalName: "svc@contoso.com", AccountEnabled: true})
	require.NoError(t, b.cal.AddMailbox(nomail))

	parts := func(recs []record.Record) map[string]int {
		m := map[string]int{}
		for _, r := range recs {
			m[r.Attrs[record.AttrPart]]++
		}
		return m
	}
	gb := &bundle{emu: b.emu, cal: b.cal, base: b.base, clock: b.clock, sleep: &fakeSleep{}, state: map[string]record.Record{}}
	src := gb.open(t, func(c *Config) { c.Mailboxes, c.MailboxSource, c.MailboxGroup = nil, SourceGroup, g })
	_, recs := gb.run(t, src)
	require.Equal(t, map[string]int{b.users[1].ID: 1, b.users[3].ID: 1}, parts(recs))
	require.NoError(t, src.Check(t.Context()))

	ab := &bundle{emu: b.emu, cal: b.cal, base: b.base, clock: b.clock, sleep: &fakeSleep{}, state: map[string]record.Record{}}
	src = ab.open(t, func(c *Config) { c.Mailboxes, c.MailboxSource = nil, SourceAll })
	res, recs := ab.run(t, src)
	require.Empty(t, res.FailedParts, "a user with mail but no mailbox is skipped, not failed")
	require.Len(t, parts(recs), 4)
	require.NotContains(t, ab.cursorState(t).Mailboxes, nobox)
	require.NotContains(t, ab.cursorState(t).Mailboxes, nomail, "users without mail are not read")

	// An unknown entry in the list fails alone; the list is resolved once.
	lb := &bundle{emu: b.emu, cal: b.cal, base: b.base, clock: b.clock, sleep: &fakeSleep{}, state: map[string]record.Record{}}
	src = lb.open(t, func(c *Config) {
		c.Mailboxes = []string{b.users[0].UserPrincipalName, "gone@contoso.com", b.users[2].ID}
	})
	res, recs = lb.run(t, src)
	require.Len(t, res.FailedParts, 1)
	require.Equal(t, "gone@contoso.com", res.FailedParts[0].Name)
	require.Len(t, parts(recs), 2)
	n := b.emu.Stats().Requests
	lb.run(t, src)
	require.Equal(t, n+1+2, b.emu.Stats().Requests, "the next run looks up only the unknown entry, then one request per mailbox")
}

func TestEveryMailboxFailingFailsTheRun(t *testing.T) {
	t.Parallel()
	b := setup(t, 2, graph.CalendarOptions{})
	for _, u := range b.users {
		b.cal.FailMailbox(u.ID, http.StatusForbidden)
	}
	src := b.open(t, nil)
	_, err := src.Fetch(t.Context(), connector.FetchRequest{Kinds: []record.Kind{record.KindAppointment}}, &testSink{})
	require.ErrorIs(t, err, connector.ErrForbidden)
	require.ErrorContains(t, err, "every mailbox failed (2)")

	sinkErr := errors.New("disk full")
	b.cal.FailMailbox(b.users[0].ID, 0)
	_, err = b.cal.AddEvent(b.users[0].ID, graph.Event{Subject: "x", Start: testNow.Add(time.Hour), End: testNow.Add(2 * time.Hour)})
	require.NoError(t, err)
	_, err = src.Fetch(t.Context(), connector.FetchRequest{Kinds: []record.Kind{record.KindAppointment}}, &testSink{fail: sinkErr})
	require.ErrorIs(t, err, sinkErr)
}

func TestCheck(t *testing.T) {
	t.Parallel()
	b := setup(t, 2, graph.CalendarOptions{})
	src := b.open(t, nil)
	require.NoError(t, src.Check(t.Context()))

	b.cal.FailMailbox(b.users[0].ID, http.StatusForbidden)
	err := src.Check(t.Context())
	require.ErrorIs(t, err, connector.ErrForbidden)
	require.ErrorContains(t, err, "Calendars.Read")
	require.ErrorContains(t, err, b.users[0].UserPrincipalName)

	bad := b.open(t, func(c *Config) { c.ClientSecret = secret.New("wrong") })
	require.ErrorIs(t, bad.Check(t.Context()), connector.ErrUnauthorized)
}

func TestCancelledFetchStops(t *testing.T) {
	t.Parallel()
	b := setup(t, 20, graph.CalendarOptions{Latency: 20 * time.Millisecond})
	src := b.open(t, nil)
	ctx, cancel := context.WithTimeout(t.Context(), 30*time.Millisecond)
	defer cancel()
	_, err := src.Fetch(ctx, connector.FetchRequest{Kinds: []record.Kind{record.KindAppointment}}, &testSink{})
	require.ErrorIs(t, err, context.DeadlineExceeded)
}
