package graph

import (
	mrand "math/rand/v2"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
)

const contactSelect = "/v1.0/contacts/delta?$select=displayName,givenName,surname,mail,companyName,jobTitle,department,phones"

// contactReplica merges contacts delta items the way a sync client does.
type contactReplica map[string]map[string]any

func (r contactReplica) apply(items []map[string]any) {
	for _, it := range items {
		id := it["id"].(string)
		if _, removed := it["@removed"]; removed {
			delete(r, id)
			continue
		}
		c := r[id]
		if c == nil {
			c = map[string]any{}
			r[id] = c
		}
		for k, v := range it {
			c[k] = v
		}
	}
}

// phonesJSON is how a contact's phones decode from a response.
func phonesJSON(ps []Phone) []any {
	out := []any{}
	for _, p := range ps {
		out = append(out, map[string]any{"type": p.Type, "number": p.Number})
	}
	return out
}

// requireMatch asserts the replica holds exactly the emulator's contacts
// with their current selected properties.
func (r contactReplica) requireMatch(t *testing.T, emu *Emulator) {
	t.Helper()
	contacts := emu.Contacts()
	require.Len(t, r, len(contacts))
	for _, c := range contacts {
		got, ok := r[c.ID]
		require.True(t, ok, "contact %s missing from replica", c.ID)
		require.Equal(t, nullable(c.DisplayName), got["displayName"], "contact %s", c.ID)
		require.Equal(t, nullable(c.Mail), got["mail"], "contact %s", c.ID)
		require.Equal(t, nullable(c.JobTitle), got["jobTitle"], "contact %s", c.ID)
		require.Equal(t, nullable(c.Department), got["department"], "contact %s", c.ID)
		require.Equal(t, phonesJSON(c.Phones), got["phones"], "contact %s", c.ID)
	}
}

// nullable is how a string property decodes: null when empty.
func nullable(s string) any {
	if s == "" {
		return nil
	}
	return s
}

func TestGenerateContacts(t *testing.T) {
	t.Parallel()
	a := New(Options{})
	a.Generate(1000, 5, 42)
	contacts := a.Contacts()
	require.Len(t, contacts, 1000*DefaultContactPercent/100, "a few percent of the users by default")
	mails := map[string]bool{}
	mobiles, addresses, synced := 0, 0, 0
	for _, c := range contacts {
		require.NotEmpty(t, c.ID)
		require.NotEmpty(t, c.CompanyName)
		require.False(t, mails[c.Mail], "duplicate mail %s", c.Mail)
		mails[c.Mail] = true
		require.Equal(t, localPart(c.Mail), c.MailNickname)
		require.Equal(t, []string{"SMTP:" + c.Mail}, c.ProxyAddresses)
		require.Equal(t, "business", c.Phones[0].Type)
		for _, p := range c.Phones[1:] {
			if p.Type == "mobile" {
				mobiles++
			}
		}
		addresses += len(c.Addresses)
		if c.OnPremisesSyncEnabled {
			synced++
		}
	}
	require.InDelta(t, 15, mobiles, 10, "about half have a mobile")
	require.InDelta(t, 20, addresses, 10, "about two in three have an address")
	require.InDelta(t, 15, synced, 10, "about half come from on-premises")

	// Same seed, same contacts; the count does not change the users.
	b := New(Options{})
	b.Generate(1000, 5, 42)
	require.Equal(t, contacts, b.Contacts())
	none := New(Options{Contacts: -1})
	none.Generate(1000, 5, 42)
	require.Empty(t, none.Contacts())
	require.Equal(t, a.Users(), none.Users())
	require.Equal(t, a.Groups(), none.Groups())
	seven := New(Options{Contacts: 7})
	seven.Generate(10, 1, 42)
	require.Equal(t, 7, seven.ContactCount())
}

func TestContactsDeltaDeliversEachMutationKind(t *testing.T) {
	t.Parallel()
	b := setup(t, Options{DisableReplay: true})
	b.emu.Generate(400, 3, 5)
	contacts := b.emu.Contacts()
	require.Len(t, contacts, 12)

	items, delta, pages := b.round(t, b.base+contactSelect, 5)
	require.Equal(t, 3, pages, "12 contacts in pages of 5")
	r := contactReplica{}
	r.apply(items)
	require.Len(t, items, 12, "each contact once")
	r.requireMatch(t, b.emu)
	for _, it := range items {
		require.NotContains(t, it, "addresses", "$select limits the properties")
		require.NotContains(t, it, "userPrincipalName", "a contact is not a user")
	}
	_, userDelta, _ := b.round(t, b.base+userSelect, 0)

	next := func(t *testing.T) map[string]map[string]any {
		t.Helper()
		items, link, _ := b.round(t, delta, 0)
		delta = link
		r.apply(items)
		out := map[string]map[string]any{}
		for _, it := range items {
			id := it["id"].(string)
			require.NotContains(t, out, id, "replay is off: one item per object")
			out[id] = it
		}
		return out
	}
	require.Empty(t, next(t), "nothing changed")

	added := b.emu.AddContact(Contact{
		DisplayName: "Pat Vendor (Fabrikam)", GivenName: "Pat", Surname: "Vendor", Mail: "pat.vendor@fabrikam.com",
		CompanyName: "Fabrikam", Phones: []Phone{{Type: "business", Number: "+1 425 555 0100"}, {Type: "mobile", Number: "+1 206 555 0101"}},
	})
	got := next(t)
	require.Len(t, got, 1)
	require.Equal(t, "Pat Vendor (Fabrikam)", got[added]["displayName"])
	require.Equal(t, "Fabrikam", got[added]["companyName"])
	require.Equal(t, []any{
		map[string]any{"type": "business", "number": "+1 425 555 0100"},
		map[string]any{"type": "mobile", "number": "+1 206 555 0101"},
	}, got[added]["phones"])
	require.Nil(t, got[added]["jobTitle"], "an unset property is null")

	// Several updates in one window: one item in the latest state; an
	// update that changes nothing is no change.
	require.NoError(t, b.emu.UpdateContact(contacts[0].ID, func(c *Contact) { c.JobTitle = "First" }))
	require.NoError(t, b.emu.UpdateContact(contacts[0].ID, func(c *Contact) { c.JobTitle = "Second"; c.Department = "Legal" }))
	require.NoError(t, b.emu.UpdateContact(contacts[1].ID, func(c *Contact) {}))
	got = next(t)
	require.Len(t, got, 1)
	require.Equal(t, "Second", got[contacts[0].ID]["jobTitle"])
	require.Equal(t, "Legal", got[contacts[0].ID]["department"])

	require.NoError(t, b.emu.DeleteContact(contacts[2].ID))
	got = next(t)
	require.Equal(t, map[string]any{"id": contacts[2].ID, "@removed": map[string]any{"reason": "deleted"}}, got[contacts[2].ID],
		"contacts have no deleted-items stage: the removal is permanent")

	// Created and deleted inside one window: the removal is still sent.
	ghost := b.emu.AddContact(Contact{DisplayName: "Ghost", Mail: "ghost@litwareinc.com"})
	require.NoError(t, b.emu.DeleteContact(ghost))
	got = next(t)
	require.Equal(t, "deleted", got[ghost]["@removed"].(map[string]any)["reason"])
	r.requireMatch(t, b.emu)

	// Contact changes are not user changes, and user changes are not
	// contact changes.
	users, _, _ := b.round(t, userDelta, 0)
	require.Empty(t, users)
	require.NoError(t, b.emu.UpdateUser(b.emu.Users()[0].ID, func(u *User) { u.JobTitle = "Contact Manager" }))
	require.Empty(t, next(t))

	require.ErrorIs(t, b.emu.UpdateContact(contacts[2].ID, func(c *Contact) {}), ErrNotFound)
	require.ErrorIs(t, b.emu.DeleteContact(contacts[2].ID), ErrNotFound)
	_, ok := b.emu.ContactByID(contacts[2].ID)
	require.False(t, ok)

	// Adding a deleted contact's ID brings it back as a plain object.
	require.Equal(t, contacts[2].ID, b.emu.AddContact(contacts[2]))
	got = next(t)
	require.Equal(t, contacts[2].DisplayName, got[contacts[2].ID]["displayName"])
	require.NotContains(t, got[contacts[2].ID], "@removed")
}

func TestContactsDefaultPropertiesAndQueryOptions(t *testing.T) {
	t.Parallel()
	b := setup(t, Options{DisableReplay: true, Contacts: -1})
	b.emu.Generate(10, 1, 1)
	id := b.emu.AddContact(Contact{
		DisplayName: "Kim Partner", GivenName: "Kim", Surname: "Partner", Mail: "kim@adatum.com",
		CompanyName: "Adatum", JobTitle: "Buyer", Department: "Purchasing", OnPremisesSyncEnabled: true,
		Phones:    []Phone{{Type: "businessFax", Number: "+44 20 7946 0000"}},
		Addresses: []Address{{Street: "1 High Street", City: "London", PostalCode: "EC1A 1BB", CountryOrRegion: "United Kingdom"}},
	})
	items, _, _ := b.round(t, b.base+"/v1.0/contacts/delta", 0)
	require.Len(t, items, 1)
	it := items[0]
	for _, name := range contactPropNames {
		require.Contains(t, it, name, "orgContact returns every property without $select")
	}
	require.Equal(t, id, it["id"])
	require.Equal(t, "kim", it["mailNickname"])
	require.Equal(t, []any{"SMTP:kim@adatum.com"}, it["proxyAddresses"])
	require.Equal(t, true, it["onPremisesSyncEnabled"])
	require.NotEmpty(t, it["onPremisesLastSyncDateTime"])
	require.Equal(t, []any{map[string]any{
		"street": "1 High Street", "city": "London", "state": nil, "postalCode": "EC1A 1BB",
		"countryOrRegion": "United Kingdom", "officeLocation": nil,
	}}, it["addresses"])

	c := b.getPage(t, b.base+"/v1.0/contacts/delta?$select=mail", 0)
	require.Equal(t, []map[string]any{{"id": id, "mail": "kim@adatum.com"}}, c.Value)
	require.Equal(t, b.base+"/v1.0/$metadata#contacts(mail)", c.Context)

	_, ge := b.graphError(t, b.base+"/v1.0/contacts/delta?$select=userPrincipalName", http.StatusBadRequest)
	require.Contains(t, ge.Error.Message, "microsoft.graph.orgContact")
	_, ge = b.graphError(t, b.base+"/v1.0/contacts/delta?$expand=manager", http.StatusBadRequest)
	require.Equal(t, "Request_UnsupportedQuery", ge.Error.Code)

	// The plain list and the single object.
	for range 4 {
		b.emu.AddContact(Contact{DisplayName: "More", Mail: "more@adatum.com"})
	}
	list := b.getPage(t, b.base+"/v1.0/contacts?$top=2&$count=true", 0)
	require.Len(t, list.Value, 2)
	require.Equal(t, 5, *list.Count)
	all, _ := b.listAll(t, list)
	require.Len(t, all, 5)
	resp, body := b.get(t, b.base+"/v1.0/contacts/"+id+"?$select=companyName", 0)
	require.Equal(t, http.StatusOK, resp.StatusCode)
	require.JSONEq(t, `{"@odata.context":"`+b.base+`/v1.0/$metadata#contacts/$entity","id":"`+id+`","companyName":"Adatum"}`, string(body))
	require.NoError(t, b.emu.DeleteContact(id))
	_, ge = b.graphError(t, b.base+"/v1.0/contacts/"+id, http.StatusNotFound)
	require.Equal(t, "Request_ResourceNotFound", ge.Error.Code)
}

// listAll follows a list's nextLinks from its first page.
func (b *testBundle) listAll(t *testing.T, first collection) ([]map[string]any, int) {
	t.Helper()
	items, pages := first.Value, 1
	for u := first.Next; u != ""; pages++ {
		c := b.getPage(t, u, 0)
		items = append(items, c.Value...)
		u = c.Next
	}
	return items, pages
}

func TestContactsDeltaTokenExpiry(t *testing.T) {
	t.Parallel()
	clock := newClock()
	b := setup(t, Options{Now: clock.Now, TokenLifetime: 30 * 24 * time.Hour})
	b.emu.Generate(300, 2, 6)
	first := b.getPage(t, b.base+contactSelect, 4)
	_, delta, _ := b.round(t, first.Next, 4)

	b.emu.ExpireDeltaTokens()
	for _, u := range []string{first.Next, delta} {
		resp, ge := b.graphError(t, u, http.StatusGone)
		require.True(t, strings.EqualFold(ge.Error.Code, "SyncStateNotFound"), ge.Error.Code)
		loc := resp.Header.Get("Location")
		require.Equal(t, b.base+"/v1.0/contacts/delta?$select=companyName,department,displayName,givenName,jobTitle,mail,phones,surname", loc,
			"a fresh initial round with the original $select")
		items, _, _ := b.round(t, loc, 0)
		require.Len(t, items, 9)
	}

	_, delta, _ = b.round(t, b.base+"/v1.0/contacts/delta", 0)
	clock.Advance(7*24*time.Hour + time.Minute)
	resp, _ := b.graphError(t, delta, http.StatusGone)
	require.Equal(t, b.base+"/v1.0/contacts/delta", resp.Header.Get("Location"))

	// A contacts token is no users token, and the reverse.
	_, delta, _ = b.round(t, b.base+"/v1.0/contacts/delta", 0)
	token := delta[strings.Index(delta, "=")+1:]
	_, ge := b.graphError(t, b.base+"/v1.0/users/delta?$deltatoken="+token, http.StatusBadRequest)
	require.Equal(t, "Request_BadRequest", ge.Error.Code)
}

func TestContactsFaultsByPath(t *testing.T) {
	t.Parallel()
	b := setup(t, Options{})
	b.emu.Generate(300, 2, 6)
	b.emu.Inject(Fault{Path: "/contacts/delta", Status: http.StatusTooManyRequests, RetryAfter: "7"})
	b.getPage(t, b.base+userSelect, 0) // users are not affected
	resp, ge := b.graphError(t, b.base+contactSelect, http.StatusTooManyRequests)
	require.Equal(t, "7", resp.Header.Get("Retry-After"))
	require.Equal(t, "TooManyRequests", ge.Error.Code)
	items, _, _ := b.round(t, b.base+contactSelect, 0)
	require.Len(t, items, 9, "one fault, then the round goes through")

	// An injected 410 on contacts points back at the contacts round.
	b.emu.Inject(Fault{Path: "/contacts/delta", Status: http.StatusGone})
	resp, _ = b.graphError(t, b.base+contactSelect, http.StatusGone)
	require.Equal(t, b.base+"/v1.0/contacts/delta", resp.Header.Get("Location"))
}

func TestContactsEmptyTenantMishap(t *testing.T) {
	t.Parallel()
	b := setup(t, Options{DisableReplay: true})
	b.emu.Generate(300, 2, 4)
	_, delta, _ := b.round(t, b.base+contactSelect, 0)
	b.emu.Clear()
	items, _, _ := b.round(t, b.base+contactSelect, 0)
	require.Empty(t, items)
	items, _, _ = b.round(t, delta, 0)
	require.Len(t, items, 9, "a delta round reports every contact removed")
	for _, it := range items {
		require.Contains(t, it, "@removed")
	}
	b.emu.Empty(false)
	items, _, _ = b.round(t, b.base+contactSelect, 0)
	require.Len(t, items, 9)
}

func TestChurnChangesContacts(t *testing.T) {
	t.Parallel()
	b := setup(t, Options{}) // replays on: the replica must merge them
	b.emu.Generate(1000, 8, 13)
	r := contactReplica{}
	items, delta, _ := b.round(t, b.base+contactSelect, 7)
	r.apply(items)
	rng := mrand.New(mrand.NewPCG(5, 6))
	kinds := map[string]bool{}
	for range 6 {
		for _, line := range b.emu.Churn(rng, 50) {
			kind, _, _ := strings.Cut(line, ":")
			kinds[kind] = true
		}
		items, delta, _ = b.round(t, delta, 7)
		r.apply(items)
		r.requireMatch(t, b.emu)
	}
	for _, k := range []string{"contact added", "contact changed", "contact deleted", "hire", "leaver"} {
		require.True(t, kinds[k], "churn made no %q change in 300 changes", k)
	}

	// A tenant without contacts gets no contact changes.
	x := New(Options{Contacts: -1})
	x.Generate(200, 4, 1)
	for _, line := range x.Churn(mrand.New(mrand.NewPCG(9, 9)), 300) {
		require.False(t, strings.HasPrefix(line, "contact"), line)
	}
	require.Zero(t, x.ContactCount())
}
