package graph

import (
	"encoding/json"
	"io"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
	"go.uber.org/goleak"
)

func TestMain(m *testing.M) {
	goleak.VerifyTestMain(m)
}

const testSecret = "s3cr3t-Value~with.special_chars"

// testBundle is one emulator on a loopback server with a client holding a
// valid access token.
type testBundle struct {
	emu    *Emulator
	base   string
	client *http.Client
	token  string
}

func setup(t *testing.T, o Options) *testBundle {
	t.Helper()
	if o.ClientSecret == "" {
		o.ClientSecret = testSecret
	}
	emu := New(o)
	tr := &http.Transport{}
	t.Cleanup(tr.CloseIdleConnections)
	b := &testBundle{emu: emu, base: emu.StartTest(t), client: &http.Client{Transport: tr}}
	b.token = b.fetchToken(t)
	return b
}

func (b *testBundle) fetchToken(t *testing.T) string {
	t.Helper()
	resp, body := b.postToken(t, b.emu.TokenURL(b.base), url.Values{
		"client_id": {b.emu.ClientID()}, "client_secret": {testSecret},
		"grant_type": {"client_credentials"}, "scope": {"https://graph.microsoft.com/.default"},
	})
	require.Equal(t, http.StatusOK, resp.StatusCode, string(body))
	var tok struct {
		TokenType   string `json:"token_type"`
		ExpiresIn   int    `json:"expires_in"`
		AccessToken string `json:"access_token"`
	}
	require.NoError(t, json.Unmarshal(body, &tok))
	require.Equal(t, "Bearer", tok.TokenType)
	require.NotEmpty(t, tok.AccessToken)
	return tok.AccessToken
}

func (b *testBundle) postToken(t *testing.T, u string, form url.Values) (*http.Response, []byte) {
	t.Helper()
	req, err := http.NewRequestWithContext(t.Context(), http.MethodPost, u, strings.NewReader(form.Encode()))
	require.NoError(t, err)
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	resp, err := b.client.Do(req)
	require.NoError(t, err)
	defer resp.Body.Close()
	body, err := io.ReadAll(resp.Body)
	require.NoError(t, err)
	return resp, body
}

// get sends an authenticated GET; pageSize > 0 adds the Prefer header.
func (b *testBundle) get(t *testing.T, u string, pageSize int) (*http.Response, []byte) {
	t.Helper()
	req, err := http.NewRequestWithContext(t.Context(), http.MethodGet, u, nil)
	require.NoError(t, err)
	req.Header.Set("Authorization", "Bearer "+b.token)
	if pageSize > 0 {
		req.Header.Set("Prefer", "odata.maxpagesize="+strconv.Itoa(pageSize))
	}
	resp, err := b.client.Do(req)
	require.NoError(t, err)
	defer resp.Body.Close()
	body, err := io.ReadAll(resp.Body)
	require.NoError(t, err)
	return resp, body
}

type collection struct {
	Context string           `json:"@odata.context"`
	Count   *int             `json:"@odata.count"`
	Next    string           `json:"@odata.nextLink"`
	Delta   string           `json:"@odata.deltaLink"`
	Value   []map[string]any `json:"value"`
}

type graphError struct {
	Error struct {
		Code       string            `json:"code"`
		Message    string            `json:"message"`
		InnerError map[string]string `json:"innerError"`
	} `json:"error"`
}

func (b *testBundle) getPage(t *testing.T, u string, pageSize int) collection {
	t.Helper()
	resp, body := b.get(t, u, pageSize)
	require.Equal(t, http.StatusOK, resp.StatusCode, string(body))
	var c collection
	require.NoError(t, json.Unmarshal(body, &c))
	require.NotEmpty(t, c.Context)
	require.False(t, c.Next != "" && c.Delta != "", "a page carries a nextLink or a deltaLink, not both")
	return c
}

// round follows nextLinks from u until a deltaLink and returns every item
// in order, the deltaLink and the page count.
func (b *testBundle) round(t *testing.T, u string, pageSize int) (items []map[string]any, deltaLink string, pages int) {
	t.Helper()
	for range 100_000 {
		c := b.getPage(t, u, pageSize)
		pages++
		items = append(items, c.Value...)
		if c.Delta != "" {
			return items, c.Delta, pages
		}
		require.NotEmpty(t, c.Next, "a page without deltaLink must carry a nextLink")
		require.True(t, strings.HasPrefix(c.Next, b.base+"/v1.0/"), "nextLink must be absolute: %s", c.Next)
		u = c.Next
	}
	t.Fatal("round did not end")
	return nil, "", 0
}

func (b *testBundle) graphError(t *testing.T, u string, wantStatus int) (*http.Response, graphError) {
	t.Helper()
	resp, body := b.get(t, u, 0)
	require.Equal(t, wantStatus, resp.StatusCode, string(body))
	var ge graphError
	require.NoError(t, json.Unmarshal(body, &ge), string(body))
	require.NotEmpty(t, ge.Error.Code)
	require.NotEmpty(t, ge.Error.Message)
	require.NotEmpty(t, ge.Error.InnerError["request-id"])
	require.NotEmpty(t, ge.Error.InnerError["client-request-id"])
	require.NotEmpty(t, ge.Error.InnerError["date"])
	return resp, ge
}

// replica is what a sync client keeps: objects merged from delta pages.
type replica struct {
	users   map[string]map[string]any
	groups  map[string]map[string]any
	members map[string]map[string]bool
}

func newReplica() *replica {
	return &replica{users: map[string]map[string]any{}, groups: map[string]map[string]any{}, members: map[string]map[string]bool{}}
}

func (r *replica) applyUsers(items []map[string]any) {
	for _, it := range items {
		id := it["id"].(string)
		if _, removed := it["@removed"]; removed {
			delete(r.users, id)
			continue
		}
		u := r.users[id]
		if u == nil {
			u = map[string]any{}
			r.users[id] = u
		}
		for k, v := range it {
			u[k] = v
		}
	}
}

func (r *replica) applyGroups(items []map[string]any) {
	for _, it := range items {
		id := it["id"].(string)
		if _, removed := it["@removed"]; removed {
			delete(r.groups, id)
			delete(r.members, id)
			continue
		}
		g := r.groups[id]
		if g == nil {
			g = map[string]any{}
			r.groups[id] = g
			r.members[id] = map[string]bool{}
		}
		for k, v := range it {
			if k != "members@delta" {
				g[k] = v
			}
		}
		ms, _ := it["members@delta"].([]any)
		for _, m := range ms {
			mm := m.(map[string]any)
			if _, removed := mm["@removed"]; removed {
				delete(r.members[id], mm["id"].(string))
			} else {
				r.members[id][mm["id"].(string)] = true
			}
		}
	}
}

// requireUsersMatch asserts the replica's users equal the emulator's.
func (r *replica) requireUsersMatch(t *testing.T, emu *Emulator) {
	t.Helper()
	users := emu.Users()
	require.Len(t, r.users, len(users))
	for _, u := range users {
		got, ok := r.users[u.ID]
		require.True(t, ok, "user %s missing from replica", u.ID)
		require.Equal(t, u.DisplayName, got["displayName"], "user %s", u.ID)
		require.Equal(t, u.UserPrincipalName, got["userPrincipalName"], "user %s", u.ID)
		if v, ok := got["accountEnabled"]; ok {
			require.Equal(t, u.AccountEnabled, v, "user %s", u.ID)
		}
		if v, ok := got["jobTitle"]; ok && u.JobTitle != "" {
			require.Equal(t, u.JobTitle, v, "user %s", u.ID)
		}
	}
}

// requireGroupsMatch asserts the replica's groups and memberships equal the
// emulator's.
func (r *replica) requireGroupsMatch(t *testing.T, emu *Emulator) {
	t.Helper()
	groups := emu.Groups()
	require.Len(t, r.groups, len(groups))
	for _, g := range groups {
		require.Equal(t, g.DisplayName, r.groups[g.ID]["displayName"])
		if r.members[g.ID] == nil {
			continue
		}
		want := map[string]bool{}
		for _, m := range emu.Members(g.ID) {
			want[m] = true
		}
		require.Equal(t, want, r.members[g.ID], "members of %s", g.DisplayName)
	}
}

// stepClock is an injectable clock tests move by hand.
type stepClock struct {
	mu  sync.Mutex
	now time.Time
}

func newClock() *stepClock { return &stepClock{now: time.Date(2025, 6, 2, 9, 0, 0, 0, time.UTC)} }

func (c *stepClock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.now
}

func (c *stepClock) Advance(d time.Duration) {
	c.mu.Lock()
	c.now = c.now.Add(d)
	c.mu.Unlock()
}

func ids(items []map[string]any) []string {
	out := make([]string, 0, len(items))
	for _, it := range items {
		out = append(out, it["id"].(string))
	}
	return out
}
