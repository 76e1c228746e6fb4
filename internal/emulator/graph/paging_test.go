package graph

import (
	"encoding/json"
	"net/http"
	"slices"
	"strconv"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"
)

func TestFullRoundPagesWithoutGapsOrDuplicates(t *testing.T) {
	t.Parallel()
	b := setup(t, Options{})
	b.emu.Generate(2345, 15, 7)
	want := make([]string, 0, 2345)
	for _, u := range b.emu.Users() {
		want = append(want, u.ID)
	}
	for _, size := range []int{1, 7, 100, 999} {
		t.Run(strconv.Itoa(size), func(t *testing.T) {
			t.Parallel()
			if size == 1 && testing.Short() {
				t.Skip("slow in -short")
			}
			items, delta, pages := b.round(t, b.base+"/v1.0/users/delta?$select=displayName,accountEnabled", size)
			got := ids(items)
			require.Equal(t, want, got, "every user once, in directory order")
			require.Equal(t, (len(want)+size-1)/size, pages)
			require.Contains(t, delta, "$deltatoken=")
			for _, it := range items {
				require.Len(t, it, 3, "only id and the selected properties: %v", it)
			}
		})
	}
}

func TestDefaultPageSizeAndTopOnDelta(t *testing.T) {
	t.Parallel()
	b := setup(t, Options{PageSize: 40})
	b.emu.Generate(100, 3, 1)
	first := b.getPage(t, b.base+"/v1.0/users/delta", 0)
	require.Len(t, first.Value, 40)
	// The default property set of users, as Graph returns it without $select.
	for _, k := range []string{"id", "displayName", "userPrincipalName", "mail", "givenName", "surname", "jobTitle", "businessPhones"} {
		require.Contains(t, first.Value[0], k)
	}
	require.NotContains(t, first.Value[0], "accountEnabled")
	// $top on the first request sets the page size for the whole round.
	items, _, pages := b.round(t, b.base+"/v1.0/users/delta?$top=30", 0)
	require.Len(t, items, 100)
	require.Equal(t, 4, pages)
	// The Prefer header wins over everything, and is capped at 999.
	resp, body := b.get(t, b.base+"/v1.0/users/delta", 5000)
	require.Equal(t, http.StatusOK, resp.StatusCode)
	require.Equal(t, "odata.maxpagesize=999", resp.Header.Get("Preference-Applied"))
	var c collection
	require.NoError(t, json.Unmarshal(body, &c))
	require.Len(t, c.Value, 100)
}

func TestSelectIsBakedIntoTokens(t *testing.T) {
	t.Parallel()
	b := setup(t, Options{DisableReplay: true})
	b.emu.Generate(30, 2, 3)
	items, delta, _ := b.round(t, b.base+"/v1.0/users/delta?$select=userPrincipalName,employeeId,manager", 10)
	require.Len(t, items, 30)
	for _, it := range items {
		require.NotContains(t, it, "displayName")
		require.Contains(t, it, "employeeId")
	}
	require.Contains(t, items[1], "manager@delta", "generated users below the first have a manager")
	u := b.emu.Users()[5]
	require.NoError(t, b.emu.UpdateUser(u.ID, func(v *User) { v.DisplayName = "Renamed"; v.EmployeeID = "X1" }))
	changed, _, _ := b.round(t, delta, 0)
	require.Len(t, changed, 1)
	require.Equal(t, "X1", changed[0]["employeeId"])
	require.NotContains(t, changed[0], "displayName", "the deltaLink carries the first request's $select")

	_, ge := b.graphError(t, b.base+"/v1.0/users/delta?$select=displayName,shoeSize", http.StatusBadRequest)
	require.Equal(t, "Request_BadRequest", ge.Error.Code)
	require.Contains(t, ge.Error.Message, "shoeSize")
	_, ge = b.graphError(t, b.base+"/v1.0/users/delta?$filter=accountEnabled%20eq%20true", http.StatusBadRequest)
	require.Equal(t, "Request_UnsupportedQuery", ge.Error.Code)
}

func TestDeltaPathAliases(t *testing.T) {
	t.Parallel()
	b := setup(t, Options{})
	b.emu.Generate(5, 2, 3)
	for _, p := range []string{"users/delta", "users/delta()", "users/microsoft.graph.delta", "users/microsoft.graph.delta()", "Users/Delta"} {
		items, _, _ := b.round(t, b.base+"/v1.0/"+p, 0)
		require.Len(t, items, 5, p)
	}
	items, _, _ := b.round(t, b.base+"/v1.0/groups/microsoft.graph.delta", 0)
	require.Len(t, items, 2)
}

func TestListEndpoints(t *testing.T) {
	t.Parallel()
	b := setup(t, Options{})
	b.emu.Generate(250, 14, 9)
	users := b.emu.Users()

	first := b.getPage(t, b.base+"/v1.0/users?$top=120&$select=displayName,accountEnabled&$count=true", 0)
	require.NotNil(t, first.Count)
	require.Equal(t, 250, *first.Count)
	var all []map[string]any
	all = append(all, first.Value...)
	for next := first.Next; next != ""; {
		c := b.getPage(t, next, 0)
		require.Nil(t, c.Count, "@odata.count is only on the first page")
		all = append(all, c.Value...)
		next = c.Next
	}
	require.Len(t, all, 250)
	require.Equal(t, users[249].ID, all[249]["id"])
	require.Contains(t, all[0], "accountEnabled")

	groups := b.getPage(t, b.base+"/v1.0/groups", 0)
	require.Len(t, groups.Value, 14)
	require.Equal(t, "Sales", groups.Value[0]["displayName"])
	require.Equal(t, "Group 0013", groups.Value[12]["displayName"])

	_, ge := b.graphError(t, b.base+"/v1.0/users?$top=1000", http.StatusBadRequest)
	require.Contains(t, ge.Error.Message, "1000")

	// Single user by id and by userPrincipalName.
	resp, body := b.get(t, b.base+"/v1.0/users/"+users[3].ID+"?$select=displayName,department", 0)
	require.Equal(t, http.StatusOK, resp.StatusCode)
	var one map[string]any
	require.NoError(t, json.Unmarshal(body, &one))
	require.Equal(t, users[3].DisplayName, one["displayName"])
	require.Equal(t, users[3].ID, one["id"])
	require.True(t, strings.HasSuffix(one["@odata.context"].(string), "$metadata#users/$entity"))
	resp, _ = b.get(t, b.base+"/v1.0/users/"+strings.ToUpper(users[3].UserPrincipalName), 0)
	require.Equal(t, http.StatusOK, resp.StatusCode)

	require.NoError(t, b.emu.SoftDeleteUser(users[3].ID))
	_, ge = b.graphError(t, b.base+"/v1.0/users/"+users[3].ID, http.StatusNotFound)
	require.Equal(t, "Request_ResourceNotFound", ge.Error.Code)

	// Members of a group, as directory objects.
	sales := b.emu.Groups()[0]
	members := b.emu.Members(sales.ID)
	var got []string
	for next := b.base + "/v1.0/groups/" + sales.ID + "/members?$top=7"; next != ""; {
		c := b.getPage(t, next, 0)
		for _, it := range c.Value {
			require.Equal(t, "#microsoft.graph.user", it["@odata.type"])
			got = append(got, it["id"].(string))
		}
		next = c.Next
	}
	require.Equal(t, members, got)

	org := b.getPage(t, b.base+"/v1.0/organization", 0)
	require.Len(t, org.Value, 1)
	require.Equal(t, b.emu.TenantID(), org.Value[0]["id"])

	_, ge = b.graphError(t, b.base+"/v1.0/devices", http.StatusBadRequest)
	require.Contains(t, ge.Error.Message, "devices")
}

func TestGenerateIsDeterministic(t *testing.T) {
	t.Parallel()
	a, c := New(Options{}), New(Options{})
	a.Generate(500, 20, 42)
	c.Generate(500, 20, 42)
	require.Equal(t, a.Users(), c.Users())
	require.Equal(t, a.Groups(), c.Groups())
	users := a.Users()
	disabled, guests, managed := 0, 0, 0
	seen := map[string]bool{}
	for _, u := range users {
		require.False(t, seen[u.UserPrincipalName], "duplicate UPN %s", u.UserPrincipalName)
		seen[u.UserPrincipalName] = true
		if !u.AccountEnabled {
			disabled++
		}
		if u.UserType == "Guest" {
			guests++
			require.Empty(t, u.ManagerID)
		}
		if u.ManagerID != "" {
			managed++
			m, ok := a.UserByID(u.ManagerID)
			require.True(t, ok)
			require.Equal(t, "Member", m.UserType)
		}
	}
	require.InDelta(t, 15, disabled, 12, "about 3%% disabled")
	require.Equal(t, 10, guests)
	require.Greater(t, managed, 450)
	names := []string{}
	for _, g := range a.Groups()[:13] {
		names = append(names, g.DisplayName)
	}
	require.Equal(t, "Sales", names[0])
	require.Equal(t, "Group 0013", names[12])
	total := 0
	for _, g := range a.Groups() {
		total += len(a.Members(g.ID))
	}
	require.GreaterOrEqual(t, total, 500, "every user is in a group")

	d := New(Options{})
	d.Generate(500, 20, 43)
	require.False(t, slices.Equal(a.Users(), d.Users()), "another seed gives another tenant")
}
