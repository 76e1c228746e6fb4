package graph

import (
	"slices"
	"sort"
	"time"
)

// viewItem is one event as a calendar view shows it: a single instance, a
// series master, an occurrence or an exception.
type viewItem struct {
	ev       Event // Start and End are this instance's
	typ      string
	masterID string
	// originalStart is the occurrence's start before any exception.
	originalStart time.Time
	ver           uint64
	created       time.Time
	modified      time.Time
}

// overlaps reports whether [s, e) meets the window [ws, we).
func overlaps(s, e, ws, we time.Time) bool { return s.Before(we) && e.After(ws) }

// viewLocked lists the instances of a mailbox in the window [ws, we), under
// c.mu.
func (c *Calendars) viewLocked(m *mailbox, ws, we time.Time) map[string]viewItem {
	out := map[string]viewItem{}
	for _, ce := range m.events {
		if ce.deleted {
			continue
		}
		if ce.ev.Recurrence == nil {
			if overlaps(ce.ev.Start, ce.ev.End, ws, we) {
				out[ce.ev.ID] = viewItem{ev: ce.ev, typ: "singleInstance", ver: ce.seq, created: ce.created, modified: ce.modified}
			}
			continue
		}
		shown := false
		dur := ce.ev.End.Sub(ce.ev.Start)
		for _, s := range occurrences(ce.ev, we) {
			id := OccurrenceID(ce.ev.ID, s)
			if ex := ce.exceptions[s.Unix()]; ex != nil {
				if ex.deleted || !overlaps(ex.ev.Start, ex.ev.End, ws, we) {
					continue
				}
				out[id] = viewItem{ev: ex.ev, typ: "exception", masterID: ce.ev.ID, originalStart: s,
					ver: max(ce.seq, ex.seq), created: ce.created, modified: ex.modified}
				shown = true
				continue
			}
			if !overlaps(s, s.Add(dur), ws, we) {
				continue
			}
			ev := ce.ev
			ev.ID, ev.Recurrence, ev.Start, ev.End = id, nil, s, s.Add(dur)
			out[id] = viewItem{ev: ev, typ: "occurrence", masterID: ce.ev.ID, originalStart: s,
				ver: ce.seq, created: ce.created, modified: ce.modified}
			shown = true
		}
		if shown {
			out[ce.ev.ID] = viewItem{ev: ce.ev, typ: "seriesMaster", ver: ce.seq, created: ce.created, modified: ce.modified}
		}
	}
	return out
}

// occurrences expands a series master's start times, in the event's own
// zone so that a series keeps its wall-clock time across daylight saving
// changes, up to (not including) until.
func occurrences(ev Event, until time.Time) []time.Time {
	r := ev.Recurrence
	loc := zone(ev.TimeZone)
	if ev.IsAllDay {
		loc = time.UTC
	}
	first := ev.Start.In(loc)
	var endDate time.Time
	if !r.EndDate.IsZero() {
		y, mo, d := r.EndDate.Date()
		endDate = time.Date(y, mo, d, 0, 0, 0, 0, loc).AddDate(0, 0, 1)
	}
	stop := func(s time.Time, n int) bool {
		return !s.Before(until) || (!endDate.IsZero() && !s.Before(endDate)) ||
			(r.Count > 0 && n >= r.Count) || n >= maxOccurrences
	}
	at := func(day time.Time) time.Time {
		y, mo, d := day.Date()
		return time.Date(y, mo, d, first.Hour(), first.Minute(), first.Second(), 0, loc)
	}
	var out []time.Time
	switch r.Type {
	case "weekly":
		days := slices.Clone(r.DaysOfWeek)
		sort.Slice(days, func(i, j int) bool { return days[i] < days[j] })
		weekStart := first.AddDate(0, 0, -int(first.Weekday()))
		for w := 0; ; w += r.Interval {
			for _, d := range days {
				s := at(weekStart.AddDate(0, 0, 7*w+int(d)))
				if s.Before(first) {
					continue
				}
				if stop(s, len(out)) {
					return out
				}
				out = append(out, s)
			}
		}
	default: // daily
		for k := 0; ; k += r.Interval {
			s := at(first.AddDate(0, 0, k))
			if stop(s, len(out)) {
				return out
			}
			out = append(out, s)
		}
	}
}
