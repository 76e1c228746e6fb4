package exchange

import (
	"bytes"
	"encoding/json"
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/integrator-oss/integrator/internal/record"
)

// event is what the connector reads of a Graph event.
type event struct {
	ID      string `json:"id"`
	Removed *struct {
		Reason string `json:"reason"`
	} `json:"@removed"`
	Subject               string          `json:"subject"`
	Type                  string          `json:"type"`
	SeriesMasterID        string          `json:"seriesMasterId"`
	ShowAs                string          `json:"showAs"`
	Sensitivity           string          `json:"sensitivity"`
	OriginalStartTimeZone string          `json:"originalStartTimeZone"`
	IsAllDay              bool            `json:"isAllDay"`
	IsCancelled           bool            `json:"isCancelled"`
	Start                 *dateTimeZone   `json:"start"`
	End                   *dateTimeZone   `json:"end"`
	Location              *location       `json:"location"`
	Organizer             *recipient      `json:"organizer"`
	Attendees             []attendee      `json:"attendees"`
	Recurrence            json.RawMessage `json:"recurrence"`
}

type dateTimeZone struct {
	DateTime string `json:"dateTime"`
	TimeZone string `json:"timeZone"`
}

type location struct {
	DisplayName string `json:"displayName"`
}

type emailAddress struct {
	Name    string `json:"name"`
	Address string `json:"address"`
}

type recipient struct {
	EmailAddress emailAddress `json:"emailAddress"`
}

type attendee struct {
	Type   string `json:"type"`
	Status *struct {
		Response string `json:"response"`
	} `json:"status"`
	EmailAddress emailAddress `json:"emailAddress"`
}

// attendeeAttr is one element of record.AttrAttendees.
type attendeeAttr struct {
	Email    string `json:"email"`
	Name     string `json:"name,omitempty"`
	Type     string `json:"type,omitempty"`
	Response string `json:"response,omitempty"`
}

// private reports a sensitivity whose details stay in the mailbox: the
// platform gets busy time only.
func private(sensitivity string) bool {
	return strings.EqualFold(sensitivity, "private") || strings.EqualFold(sensitivity, "confidential")
}

// record maps an event of mailbox m to an appointment record.
func (ev *event) record(m mailboxRef) (record.Record, error) {
	attrs := map[string]string{
		record.AttrPart:       m.id,
		record.AttrMailbox:    m.id,
		record.AttrMailboxUPN: m.upn,
	}
	if ev.ID == "" {
		return record.Record{}, fmt.Errorf("an event without an id")
	}
	if ev.Removed != nil {
		return record.Record{Kind: record.KindAppointment, ID: ev.ID, State: record.Removed,
			Reason: ev.Removed.Reason, Attrs: attrs}, nil
	}
	if ev.Start == nil || ev.End == nil {
		return record.Record{}, fmt.Errorf("event %s: no start or end", ev.ID)
	}
	start, err := parseDateTime(*ev.Start)
	if err != nil {
		return record.Record{}, fmt.Errorf("event %s: start: %w", ev.ID, err)
	}
	end, err := parseDateTime(*ev.End)
	if err != nil {
		return record.Record{}, fmt.Errorf("event %s: end: %w", ev.ID, err)
	}
	attrs[record.AttrStart] = start.Format(time.RFC3339)
	attrs[record.AttrEnd] = end.Format(time.RFC3339)
	attrs[record.AttrTimeZone] = ev.OriginalStartTimeZone
	attrs[record.AttrAllDay] = strconv.FormatBool(ev.IsAllDay)
	attrs[record.AttrShowAs] = ev.ShowAs
	attrs[record.AttrSensitivity] = ev.Sensitivity
	attrs[record.AttrEventType] = ev.Type
	attrs[record.AttrCancelled] = strconv.FormatBool(ev.IsCancelled)
	if ev.SeriesMasterID != "" {
		attrs[record.AttrSeriesID] = ev.SeriesMasterID
	}
	if len(ev.Recurrence) > 0 && !bytes.Equal(bytes.TrimSpace(ev.Recurrence), []byte("null")) {
		var b bytes.Buffer
		if err := json.Compact(&b, ev.Recurrence); err != nil {
			return record.Record{}, fmt.Errorf("event %s: recurrence: %w", ev.ID, err)
		}
		attrs[record.AttrRecurrence] = b.String()
	}
	if private(ev.Sensitivity) {
		// Busy time only: what, where, with whom and who asked stay in
		// the mailbox.
		return record.Record{Kind: record.KindAppointment, ID: ev.ID, Attrs: attrs}, nil
	}
	attrs[record.AttrSubject] = ev.Subject
	if ev.Location != nil {
		attrs[record.AttrLocation] = ev.Location.DisplayName
	}
	if ev.Organizer != nil {
		attrs[record.AttrOrganizer] = ev.Organizer.EmailAddress.Address
	}
	list := make([]attendeeAttr, 0, len(ev.Attendees))
	for _, a := range ev.Attendees {
		at := attendeeAttr{Email: a.EmailAddress.Address, Name: a.EmailAddress.Name, Type: a.Type}
		if a.Status != nil {
			at.Response = a.Status.Response
		}
		list = append(list, at)
	}
	b, err := json.Marshal(list)
	if err != nil {
		return record.Record{}, fmt.Errorf("event %s: attendees: %w", ev.ID, err)
	}
	attrs[record.AttrAttendees] = string(b)
	return record.Record{Kind: record.KindAppointment, ID: ev.ID, Attrs: attrs}, nil
}

// parseDateTime reads a Graph dateTimeTimeZone. The connector asks for UTC
// (Prefer: outlook.timezone="UTC"); another zone is honoured if Go knows
// it.
func parseDateTime(d dateTimeZone) (time.Time, error) {
	loc := time.UTC
	if d.TimeZone != "" && !strings.EqualFold(d.TimeZone, "UTC") {
		l, err := time.LoadLocation(d.TimeZone)
		if err != nil {
			return time.Time{}, fmt.Errorf("unknown time zone %q", d.TimeZone)
		}
		loc = l
	}
	t, err := time.ParseInLocation("2006-01-02T15:04:05.9999999", d.DateTime, loc)
	if err != nil {
		if t2, err2 := time.Parse(time.RFC3339Nano, d.DateTime); err2 == nil {
			return t2.UTC(), nil
		}
		return time.Time{}, fmt.Errorf("parsing %q: %w", d.DateTime, err)
	}
	return t.UTC(), nil
}
