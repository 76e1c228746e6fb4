package entra

import (
	"net/http"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/integrator-oss/integrator/internal/connector"
	"github.com/integrator-oss/integrator/internal/emulator/graph"
	"github.com/integrator-oss/integrator/internal/record"
)

var allKinds = []record.Kind{record.KindUser, record.KindGroup, record.KindContact}

func contactsOf(recs []record.Record) []record.Record {
	var out []record.Record
	for _, r := range recs {
		if r.Kind == record.KindContact {
			out = append(out, r)
		}
	}
	return out
}

// contactPhone is the first number of a type, as the connector maps it.
func contactPhone(c graph.Contact, typ string) string {
	for _, p := range c.Phones {
		if p.Type == typ {
			return p.Number
		}
	}
	return ""
}

// requireContactsMatch checks that recs hold every active contact of the
// tenant exactly once, with its attributes.
func requireContactsMatch(t *testing.T, emu *graph.Emulator, recs []record.Record) {
	t.Helper()
	byID := map[string]record.Record{}
	for _, r := range contactsOf(recs) {
		require.NotContains(t, byID, r.ID, "contact %s delivered twice", r.ID)
		byID[r.ID] = r
	}
	want := emu.Contacts()
	require.Len(t, byID, len(want))
	for _, c := range want {
		r, ok := byID[c.ID]
		require.True(t, ok, "contact %s missing", c.ID)
		require.Equal(t, record.Present, r.State)
		require.Equal(t, map[string]string{
			record.AttrDisplayName: c.DisplayName, record.AttrGivenName: c.GivenName, record.AttrSurname: c.Surname,
			record.AttrEmail: c.Mail, record.AttrCompany: c.CompanyName, record.AttrJobTitle: c.JobTitle,
			record.AttrDepartment: c.Department, record.AttrPhone: contactPhone(c, "business"),
			record.AttrMobile: contactPhone(c, "mobile"),
		}, r.Attrs, "contact %s", c.ID)
	}
}

func TestEmulatorContactsFullThenDelta(t *testing.T) {
	t.Parallel()
	b := setupEmulator(t, graph.Options{PageSize: 7}, nil)
	b.emu.Generate(1000, 3, 5)
	contacts := b.emu.Contacts()
	require.Len(t, contacts, 30)

	res, sink, err := b.fetch(t, connector.FetchRequest{Kinds: allKinds})
	require.NoError(t, err)
	require.True(t, res.Full)
	recs := sink.records()
	requireContactsMatch(t, b.emu, recs)
	requireEachUserOnce(t, b.emu, recs)
	firstContact := slices.IndexFunc(recs, func(r record.Record) bool { return r.Kind == record.KindContact })
	require.Empty(t, slices.DeleteFunc(slices.Clone(recs[firstContact:]), func(r record.Record) bool { return r.Kind == record.KindContact }),
		"contacts come after groups and users")
	contactPages := 0
	for _, p := range sink.pages {
		if p[0].Kind == record.KindContact {
			contactPages++
			require.LessOrEqual(t, len(p), 7)
		}
	}
	require.Equal(t, 5, contactPages, "30 contacts in pages of 7, one sink page each")
	cur, err := parseCursor(res.Cursor)
	require.NoError(t, err)
	require.True(t, strings.HasPrefix(cur.Contacts, b.emu.GraphURL(b.base)+"/contacts/delta?$deltatoken="), cur.Contacts)

	// Nothing changed: nothing delivered.
	res, sink, err = b.fetch(t, connector.FetchRequest{Kinds: allKinds, Cursor: res.Cursor})
	require.NoError(t, err)
	require.False(t, res.Full)
	require.Empty(t, sink.records())

	added := b.emu.AddContact(graph.Contact{
		DisplayName: "Pat Vendor", GivenName: "Pat", Surname: "Vendor", Mail: "pat@fabrikam.com", CompanyName: "Fabrikam",
		Phones: []graph.Phone{{Type: "business", Number: "+1 425 555 0100"}},
	})
	require.NoError(t, b.emu.UpdateContact(contacts[0].ID, func(c *graph.Contact) {
		c.JobTitle = "Chief Buyer"
		c.Phones = []graph.Phone{{Type: "mobile", Number: "+1 206 555 0199"}}
	}))
	require.NoError(t, b.emu.DeleteContact(contacts[1].ID))
	res, sink, err = b.fetch(t, connector.FetchRequest{Kinds: allKinds, Cursor: res.Cursor})
	require.NoError(t, err)
	require.False(t, res.Full)
	got := lastByID(sink.records(), record.KindContact)
	require.Len(t, sink.records(), 3, "only the three changed contacts")
	require.Equal(t, record.Record{Kind: record.KindContact, ID: added, Attrs: map[string]string{
		record.AttrDisplayName: "Pat Vendor", record.AttrGivenName: "Pat", record.AttrSurname: "Vendor",
		record.AttrEmail: "pat@fabrikam.com", record.AttrCompany: "Fabrikam", record.AttrJobTitle: "",
		record.AttrDepartment: "", record.AttrPhone: "+1 425 555 0100", record.AttrMobile: "",
	}}, got[added])
	require.Equal(t, "Chief Buyer", got[contacts[0].ID].Attrs[record.AttrJobTitle])
	require.Equal(t, "", got[contacts[0].ID].Attrs[record.AttrPhone], "the business number was removed")
	require.Equal(t, "+1 206 555 0199", got[contacts[0].ID].Attrs[record.AttrMobile])
	require.Equal(t, record.Record{Kind: record.KindContact, ID: contacts[1].ID, State: record.Removed, Reason: ReasonDeleted},
		got[contacts[1].ID])
}

func TestEmulatorContactsOnlyWhenAsked(t *testing.T) {
	t.Parallel()
	b := setupEmulator(t, graph.Options{}, nil)
	b.emu.Generate(500, 2, 3)
	require.Positive(t, b.emu.ContactCount())
	b.emu.Inject(graph.Fault{Path: "/contacts", Status: http.StatusForbidden, Times: 1000})

	// A request without kinds gets users and groups: contacts need a
	// permission of their own, which this application lacks.
	res, sink, err := b.fetch(t, connector.FetchRequest{})
	require.NoError(t, err)
	require.Empty(t, contactsOf(sink.records()))
	require.NotContains(t, res.Cursor, "contacts")

	// Asked for, the missing permission fails the run as forbidden.
	_, _, err = b.fetch(t, connector.FetchRequest{Kinds: allKinds})
	require.ErrorIs(t, err, connector.ErrForbidden)
	require.ErrorContains(t, err, "fetching contacts page 1 (/v1.0/contacts/delta): the app needs the OrgContact.Read.All application permission")
	require.Contains(t, Type().Kinds, record.KindContact)
}

// An integration that adds contacts to a running delta sync: users and
// groups continue from their links, contacts start with a full enumeration,
// and the run does not claim to have enumerated the users.
func TestEmulatorCursorWithoutContacts(t *testing.T) {
	t.Parallel()
	b := setupEmulator(t, graph.Options{PageSize: 50}, nil)
	b.emu.Generate(600, 3, 7)
	res, _, err := b.fetch(t, connector.FetchRequest{Kinds: []record.Kind{record.KindUser, record.KindGroup}})
	require.NoError(t, err)
	require.NotContains(t, res.Cursor, `"contacts"`, "a cursor as written before contacts")

	renamed := b.emu.Users()[5].ID
	require.NoError(t, b.emu.UpdateUser(renamed, func(u *graph.User) { u.DisplayName = "Renamed" }))
	res, sink, err := b.fetch(t, connector.FetchRequest{Kinds: allKinds, Cursor: res.Cursor})
	require.NoError(t, err)
	require.False(t, res.Full, "users and groups were a delta: nothing may be swept")
	require.False(t, res.Resynced)
	recs := sink.records()
	require.Equal(t, []string{renamed}, ids(usersOf(recs)), "users continue from their deltaLink")
	requireContactsMatch(t, b.emu, recs)
	require.Contains(t, b.logs.String(), "enumerating it in full")
	cur, err := parseCursor(res.Cursor)
	require.NoError(t, err)
	require.NotEmpty(t, cur.Contacts, "the cursor gains the contacts link")
	require.NotEmpty(t, cur.Users)
	require.NotEmpty(t, cur.Groups)

	// The next run is a plain delta of all three.
	require.NoError(t, b.emu.DeleteContact(b.emu.Contacts()[0].ID))
	res, sink, err = b.fetch(t, connector.FetchRequest{Kinds: allKinds, Cursor: res.Cursor})
	require.NoError(t, err)
	require.False(t, res.Full)
	require.Len(t, sink.records(), 1)
	require.Equal(t, record.Removed, sink.records()[0].State)

	// Contacts alone with a cursor that has none: everything asked for was
	// enumerated, so the result is full.
	old := cursor{Users: cur.Users, Groups: cur.Groups}.String()
	res, sink, err = b.fetch(t, connector.FetchRequest{Kinds: []record.Kind{record.KindContact}, Cursor: old})
	require.NoError(t, err)
	require.True(t, res.Full)
	requireContactsMatch(t, b.emu, sink.records())
	require.Len(t, sink.records(), b.emu.ContactCount())

	// A cursor without a users link still makes the whole round full.
	noUsers := cursor{Groups: cur.Groups, Contacts: cur.Contacts}.String()
	res, sink, err = b.fetch(t, connector.FetchRequest{Kinds: allKinds, Cursor: noUsers})
	require.NoError(t, err)
	require.True(t, res.Full)
	requireEachUserOnce(t, b.emu, sink.records())
	requireContactsMatch(t, b.emu, sink.records())
}

func TestEmulatorContactsExpiredTokenResync(t *testing.T) {
	t.Parallel()
	b := setupEmulator(t, graph.Options{PageSize: 100}, nil)
	b.emu.Generate(400, 3, 5)
	res, _, err := b.fetch(t, connector.FetchRequest{Kinds: allKinds})
	require.NoError(t, err)

	// Only the contacts link is refused: the run starts over in full.
	b.emu.Inject(graph.Fault{Path: "/contacts/delta", Status: http.StatusGone})
	hired := b.emu.AddContact(graph.Contact{DisplayName: "Late", Mail: "late@adatum.com"})
	res2, sink, err := b.fetch(t, connector.FetchRequest{Kinds: allKinds, Cursor: res.Cursor})
	require.NoError(t, err)
	require.True(t, res2.Full)
	require.True(t, res2.Resynced)
	requireEachUserOnce(t, b.emu, sink.records())
	requireContactsMatch(t, b.emu, sink.records()[len(sink.records())-b.emu.ContactCount():])
	require.Contains(t, lastByID(sink.records(), record.KindContact), hired)

	// Expired delta state is the same.
	b.emu.ExpireDeltaTokens()
	res3, sink, err := b.fetch(t, connector.FetchRequest{Kinds: allKinds, Cursor: res2.Cursor})
	require.NoError(t, err)
	require.True(t, res3.Full)
	require.True(t, res3.Resynced)
	requireContactsMatch(t, b.emu, contactsOf(sink.records()))

	// And the new cursor works for a plain delta round.
	res4, sink, err := b.fetch(t, connector.FetchRequest{Kinds: allKinds, Cursor: res3.Cursor})
	require.NoError(t, err)
	require.False(t, res4.Full)
	require.False(t, res4.Resynced)
	require.Empty(t, sink.records())

	// A refusal during the resync fails the run.
	b.emu.Inject(graph.Fault{Path: "/contacts/delta", Status: http.StatusGone, Times: 2})
	_, _, err = b.fetch(t, connector.FetchRequest{Kinds: allKinds, Cursor: res4.Cursor})
	require.ErrorContains(t, err, "again during the full resync")
}

func TestEmulatorContactsThrottledMidPaging(t *testing.T) {
	t.Parallel()
	b := setupEmulator(t, graph.Options{PageSize: 5, Contacts: 40}, nil)
	b.emu.Generate(20, 1, 3)
	b.emu.Inject(graph.Fault{Path: "/contacts/delta", After: 3, Times: 2, Status: http.StatusTooManyRequests, RetryAfter: "4"})
	_, sink, err := b.fetch(t, connector.FetchRequest{Kinds: []record.Kind{record.KindContact}})
	require.NoError(t, err)
	requireContactsMatch(t, b.emu, sink.records())
	require.Equal(t, []time.Duration{4 * time.Second, 4 * time.Second}, b.sleep.slept)
	require.Len(t, sink.pages, 8)

	// A page cut short fails the run as retryable, naming the page.
	b.emu.Inject(graph.Fault{Path: "/contacts/delta", After: 2, Kind: graph.FaultTruncate})
	res, _, err := b.fetch(t, connector.FetchRequest{Kinds: []record.Kind{record.KindContact}})
	require.Error(t, err)
	require.Empty(t, res.Cursor)
	require.ErrorContains(t, err, "contacts page 3 (/v1.0/contacts/delta)")
	require.True(t, connector.IsRetryable(err))
}
