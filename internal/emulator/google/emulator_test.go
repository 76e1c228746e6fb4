package google

import (
	"context"
	"crypto/rand"
	"crypto/rsa"
	"crypto/x509"
	"encoding/json"
	"encoding/pem"
	"io"
	"net/http"
	"net/url"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
	"go.uber.org/goleak"
	"golang.org/x/oauth2"
	"golang.org/x/oauth2/jwt"
)

func TestMain(m *testing.M) {
	goleak.VerifyTestMain(m)
}

type testBundle struct {
	emu    *Emulator
	base   string
	client *http.Client
}

func setup(t *testing.T, o Options) *testBundle {
	t.Helper()
	emu := New(o)
	tr := &http.Transport{}
	t.Cleanup(tr.CloseIdleConnections)
	return &testBundle{emu: emu, base: emu.StartTest(t), client: &http.Client{Transport: tr}}
}

// jwtConfig is the service account's JWT grant as golang.org/x/oauth2 sends it.
func (b *testBundle) jwtConfig(subject string, scopes ...string) *jwt.Config {
	if len(scopes) == 0 {
		scopes = []string{ScopeUserReadonly, ScopeGroupReadonly, ScopeGroupMemberReadonly}
	}
	der, _ := x509.MarshalPKCS8PrivateKey(b.emu.opts.PrivateKey)
	return &jwt.Config{
		Email:        b.emu.ServiceAccountEmail(),
		PrivateKey:   pem.EncodeToMemory(&pem.Block{Type: "PRIVATE KEY", Bytes: der}),
		PrivateKeyID: b.emu.keyID,
		Subject:      subject,
		Scopes:       scopes,
		TokenURL:     b.emu.TokenURL(b.base),
	}
}

func (b *testBundle) token(t *testing.T, cfg *jwt.Config) (*oauth2.Token, error) {
	t.Helper()
	ctx := context.WithValue(t.Context(), oauth2.HTTPClient, b.client)
	return cfg.TokenSource(ctx).Token()
}

func (b *testBundle) adminToken(t *testing.T) string {
	t.Helper()
	tok, err := b.token(t, b.jwtConfig(b.emu.AdminEmail()))
	require.NoError(t, err)
	return tok.AccessToken
}

// get calls an API path and decodes the JSON answer.
func (b *testBundle) get(t *testing.T, token, path string, q url.Values) (*http.Response, map[string]any) {
	t.Helper()
	req, err := http.NewRequestWithContext(t.Context(), http.MethodGet, b.base+path+"?"+q.Encode(), nil)
	require.NoError(t, err)
	if token != "" {
		req.Header.Set("Authorization", "Bearer "+token)
	}
	resp, err := b.client.Do(req)
	require.NoError(t, err)
	defer resp.Body.Close()
	body, err := io.ReadAll(resp.Body)
	require.NoError(t, err)
	var v map[string]any
	require.NoError(t, json.Unmarshal(body, &v), string(body))
	return resp, v
}

// googleError checks the error body shape and returns errors[0].reason.
func googleError(t *testing.T, resp *http.Response, v map[string]any, status int) string {
	t.Helper()
	require.Equal(t, status, resp.StatusCode, "%v", v)
	e, ok := v["error"].(map[string]any)
	require.True(t, ok, "%v", v)
	require.EqualValues(t, status, e["code"])
	require.NotEmpty(t, e["message"])
	require.Equal(t, statusName(status), e["status"])
	errs := e["errors"].([]any)
	require.Len(t, errs, 1)
	item := errs[0].(map[string]any)
	require.NotEmpty(t, item["domain"])
	require.NotEmpty(t, item["message"])
	return item["reason"].(string)
}

func TestTokenGrant(t *testing.T) {
	t.Parallel()
	b := setup(t, Options{})
	tok, err := b.token(t, b.jwtConfig(b.emu.AdminEmail()))
	require.NoError(t, err)
	require.True(t, strings.HasPrefix(tok.AccessToken, "ya29."))
	require.Equal(t, "Bearer", tok.TokenType)
	require.WithinDuration(t, time.Now().Add(time.Hour), tok.Expiry, time.Minute)

	other, err := rsa.GenerateKey(rand.Reader, 1024) //nolint:gosec // a test key that must be refused.
	require.NoError(t, err)
	otherDER, _ := x509.MarshalPKCS8PrivateKey(other)

	tests := []struct {
		name       string
		cfg        func() *jwt.Config
		status     int
		code, desc string
	}{
		{"unknown subject", func() *jwt.Config { return b.jwtConfig("nobody@example.com") }, 400, "invalid_grant", "Invalid email or User ID"},
		{"scope not delegated", func() *jwt.Config {
			return b.jwtConfig(b.emu.AdminEmail(), "https://www.googleapis.com/auth/admin.directory.user")
		}, 401, "unauthorized_client", "Client is unauthorized"},
		{"wrong key", func() *jwt.Config {
			c := b.jwtConfig(b.emu.AdminEmail())
			c.PrivateKey = pem.EncodeToMemory(&pem.Block{Type: "PRIVATE KEY", Bytes: otherDER})
			return c
		}, 400, "invalid_grant", "Invalid JWT Signature."},
		{"wrong audience", func() *jwt.Config {
			c := b.jwtConfig(b.emu.AdminEmail())
			c.Audience = "https://oauth2.googleapis.com/token"
			return c
		}, 400, "invalid_grant", "audience"},
		{"too long lived", func() *jwt.Config {
			c := b.jwtConfig(b.emu.AdminEmail())
			c.Expires = 2 * time.Hour
			return c
		}, 400, "invalid_grant", "short-lived"},
		{"unknown service account", func() *jwt.Config {
			c := b.jwtConfig(b.emu.AdminEmail())
			c.Email = "other@p.iam.gserviceaccount.com"
			return c
		}, 400, "invalid_grant", "account not found"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			_, err := b.token(t, tc.cfg())
			var re *oauth2.RetrieveError
			require.ErrorAs(t, err, &re)
			require.Equal(t, tc.status, re.Response.StatusCode)
			var body struct {
				Error       string `json:"error"`
				Description string `json:"error_description"`
			}
			require.NoError(t, json.Unmarshal(re.Body, &body))
			require.Equal(t, tc.code, body.Error)
			require.Contains(t, body.Description, tc.desc)
		})
	}
}

func TestAuthorisationErrors(t *testing.T) {
	t.Parallel()
	now := time.Now()
	var mu sync.Mutex
	b := setup(t, Options{Now: func() time.Time { mu.Lock(); defer mu.Unlock(); return now }})
	_, err := b.emu.AddUser(User{PrimaryEmail: "staff@example.com"})
	require.NoError(t, err)
	q := url.Values{"customer": {"my_customer"}}

	resp, v := b.get(t, "", "/admin/directory/v1/users", q)
	require.Equal(t, "required", googleError(t, resp, v, 401))

	tok := b.adminToken(t)
	resp, v = b.get(t, tok, "/admin/directory/v1/users", q)
	require.Equal(t, 200, resp.StatusCode, "%v", v)

	// A user who is not an administrator may get a token, not the data.
	staff, err := b.token(t, b.jwtConfig("staff@example.com"))
	require.NoError(t, err)
	resp, v = b.get(t, staff.AccessToken, "/admin/directory/v1/users", q)
	require.Equal(t, "forbidden", googleError(t, resp, v, 403))
	require.Equal(t, "Not Authorized to access this resource/api", v["error"].(map[string]any)["message"])

	// A token without the group scope cannot list groups.
	usersOnly, err := b.token(t, b.jwtConfig(b.emu.AdminEmail(), ScopeUserReadonly))
	require.NoError(t, err)
	resp, v = b.get(t, usersOnly.AccessToken, "/admin/directory/v1/groups", q)
	require.Equal(t, "insufficientPermissions", googleError(t, resp, v, 403))

	// An hour later the token has expired.
	mu.Lock()
	now = now.Add(time.Hour)
	mu.Unlock()
	resp, v = b.get(t, tok, "/admin/directory/v1/users", q)
	require.Equal(t, "authError", googleError(t, resp, v, 401))
	require.Contains(t, resp.Header.Get("WWW-Authenticate"), "invalid_token")
}

// listAll pages users.list to its end and returns the emails in order.
func (b *testBundle) listAll(t *testing.T, tok string, q url.Values) ([]string, int) {
	t.Helper()
	var emails []string
	pages := 0
	for {
		resp, v := b.get(t, tok, "/admin/directory/v1/users", q)
		require.Equal(t, 200, resp.StatusCode, "%v", v)
		require.Equal(t, "admin#directory#users", v["kind"])
		pages++
		users, _ := v["users"].([]any)
		for _, u := range users {
			emails = append(emails, u.(map[string]any)["primaryEmail"].(string))
		}
		next, _ := v["nextPageToken"].(string)
		if next == "" {
			return emails, pages
		}
		q.Set("pageToken", next)
	}
}

func TestUsersPaging(t *testing.T) {
	t.Parallel()
	b := setup(t, Options{})
	users, _, err := b.emu.Generate(1200, 4)
	require.NoError(t, err)
	tok := b.adminToken(t)

	emails, pages := b.listAll(t, tok, url.Values{"customer": {"my_customer"}, "maxResults": {"500"}, "orderBy": {"email"}, "projection": {"full"}})
	require.Equal(t, 3, pages)
	require.Len(t, emails, 1201)
	require.IsIncreasing(t, emails)

	desc, _ := b.listAll(t, tok, url.Values{"domain": {"example.com"}, "maxResults": {"500"}, "orderBy": {"email"}, "sortOrder": {"DESCENDING"}})
	require.Len(t, desc, 1201)
	require.IsDecreasing(t, desc)

	// Changes between pages: a user added behind the cursor is not seen, one
	// ahead is; a deleted one ahead disappears; nobody repeats.
	q := url.Values{"customer": {"my_customer"}, "maxResults": {"100"}, "orderBy": {"email"}}
	resp, v := b.get(t, tok, "/admin/directory/v1/users", q)
	require.Equal(t, 200, resp.StatusCode)
	_, err = b.emu.AddUser(User{PrimaryEmail: "aaa.first@example.com"})
	require.NoError(t, err)
	_, err = b.emu.AddUser(User{PrimaryEmail: "zzz.last@example.com"})
	require.NoError(t, err)
	require.NoError(t, b.emu.DeleteUser(users[len(users)-1].ID))
	q.Set("pageToken", v["nextPageToken"].(string))
	rest, _ := b.listAll(t, tok, q)
	require.Len(t, rest, 1201-100+1-1)
	require.Contains(t, rest, "zzz.last@example.com")
	require.NotContains(t, rest, "aaa.first@example.com")

	// A page token belongs to its listing.
	q = url.Values{"customer": {"my_customer"}, "maxResults": {"100"}, "orderBy": {"familyName"}, "pageToken": {v["nextPageToken"].(string)}}
	resp, v = b.get(t, tok, "/admin/directory/v1/users", q)
	require.Equal(t, "invalidParameter", googleError(t, resp, v, 400))
	resp, v = b.get(t, tok, "/admin/directory/v1/users", url.Values{"customer": {"my_customer"}, "pageToken": {"bm90IGEgdG9rZW4"}})
	require.Equal(t, "invalidParameter", googleError(t, resp, v, 400))

	resp, v = b.get(t, tok, "/admin/directory/v1/users", url.Values{"customer": {"my_customer"}, "maxResults": {"501"}})
	require.Equal(t, "invalidParameter", googleError(t, resp, v, 400))
	require.Contains(t, v["error"].(map[string]any)["message"], "[1, 500]")
	resp, v = b.get(t, tok, "/admin/directory/v1/users", url.Values{})
	require.Equal(t, "badRequest", googleError(t, resp, v, 400))
	resp, v = b.get(t, tok, "/admin/directory/v1/users", url.Values{"domain": {"other.org"}})
	require.Equal(t, "forbidden", googleError(t, resp, v, 403))
}

func TestUserResourceAndDeleted(t *testing.T) {
	t.Parallel()
	b := setup(t, Options{})
	mgr, err := b.emu.AddUser(User{PrimaryEmail: "boss@example.com", GivenName: "Bo", FamilyName: "Ss"})
	require.NoError(t, err)
	u, err := b.emu.AddUser(User{PrimaryEmail: "ana@example.com", GivenName: "Ana", FamilyName: "Ruiz",
		OrgUnitPath: "/Sales/EMEA", Title: "Rep", Department: "Sales", EmployeeID: "E1", ManagerEmail: mgr.PrimaryEmail})
	require.NoError(t, err)
	require.NoError(t, b.emu.SuspendUser(u.ID, true))
	require.NoError(t, b.emu.ArchiveUser("boss@example.com", true))
	tok := b.adminToken(t)

	resp, v := b.get(t, tok, "/admin/directory/v1/users", url.Values{"customer": {"my_customer"}, "projection": {"full"}, "query": {"isSuspended=true"}})
	require.Equal(t, 200, resp.StatusCode, "%v", v)
	list := v["users"].([]any)
	require.Len(t, list, 1)
	got := list[0].(map[string]any)
	require.Equal(t, u.ID, got["id"])
	require.Equal(t, true, got["suspended"])
	require.Equal(t, "ADMIN", got["suspensionReason"])
	require.Equal(t, "/Sales/EMEA", got["orgUnitPath"])
	require.Equal(t, "Ana Ruiz", got["name"].(map[string]any)["fullName"])
	require.Equal(t, []any{map[string]any{"value": "boss@example.com", "type": "manager"}}, got["relations"])
	require.Equal(t, []any{map[string]any{"value": "E1", "type": "organization"}}, got["externalIds"])
	require.Equal(t, "1970-01-01T00:00:00.000Z", got["lastLoginTime"])

	// Partial response.
	resp, v = b.get(t, tok, "/admin/directory/v1/users", url.Values{"customer": {"my_customer"}, "fields": {"nextPageToken,users(id,primaryEmail,name/givenName)"}})
	require.Equal(t, 200, resp.StatusCode, "%v", v)
	require.Len(t, v, 1, "only users: %v", v)
	for _, x := range v["users"].([]any) {
		m := x.(map[string]any)
		require.Len(t, m, 3, "%v", m)
		require.Len(t, m["name"], 1)
	}

	require.NoError(t, b.emu.DeleteUser(u.ID))
	emails, _ := b.listAll(t, tok, url.Values{"customer": {"my_customer"}})
	require.ElementsMatch(t, []string{"admin@example.com", "boss@example.com"}, emails)
	resp, v = b.get(t, tok, "/admin/directory/v1/users", url.Values{"customer": {"my_customer"}, "showDeleted": {"true"}})
	require.Equal(t, 200, resp.StatusCode)
	require.Len(t, v["users"], 1)
	require.NotEmpty(t, v["users"].([]any)[0].(map[string]any)["deletionTime"])
}

func TestGroupsAndMembersPaging(t *testing.T) {
	t.Parallel()
	b := setup(t, Options{})
	users, groups, err := b.emu.Generate(450, 3)
	require.NoError(t, err)
	big, err := b.emu.AddGroup(Group{Email: "all@example.com", Name: "All"})
	require.NoError(t, err)
	for _, u := range users {
		require.NoError(t, b.emu.AddMember(big.ID, u.ID, ""))
	}
	require.NoError(t, b.emu.AddMember(big.Email, groups[0].Email, RoleOwner))
	tok := b.adminToken(t)

	resp, v := b.get(t, tok, "/admin/directory/v1/groups", url.Values{"customer": {"my_customer"}, "maxResults": {"2"}})
	require.Equal(t, 200, resp.StatusCode, "%v", v)
	require.Len(t, v["groups"], 2)
	require.NotEmpty(t, v["nextPageToken"])
	resp, v = b.get(t, tok, "/admin/directory/v1/groups", url.Values{"customer": {"my_customer"}, "maxResults": {"201"}})
	require.Equal(t, "invalidParameter", googleError(t, resp, v, 400))

	var ids []string
	var types = map[string]int{}
	q := url.Values{"maxResults": {"200"}}
	pages := 0
	for {
		resp, v := b.get(t, tok, "/admin/directory/v1/groups/"+big.Email+"/members", q)
		require.Equal(t, 200, resp.StatusCode, "%v", v)
		pages++
		for _, m := range v["members"].([]any) {
			mm := m.(map[string]any)
			ids = append(ids, mm["id"].(string))
			types[mm["type"].(string)]++
		}
		next, _ := v["nextPageToken"].(string)
		if next == "" {
			break
		}
		q.Set("pageToken", next)
	}
	require.Equal(t, 3, pages)
	require.Len(t, ids, 451)
	require.Equal(t, map[string]int{TypeUser: 450, TypeGroup: 1}, types)

	resp, v = b.get(t, tok, "/admin/directory/v1/groups/nope@example.com/members", url.Values{})
	require.Equal(t, "notFound", googleError(t, resp, v, 404))
}

func TestThrottlingAndFaults(t *testing.T) {
	t.Parallel()
	now := time.Now()
	var mu sync.Mutex
	clock := func() time.Time { mu.Lock(); defer mu.Unlock(); return now }
	b := setup(t, Options{QuotaPerMinute: 3, Now: clock})
	tok := b.adminToken(t)
	q := url.Values{"customer": {"my_customer"}}
	for range 3 {
		resp, _ := b.get(t, tok, "/admin/directory/v1/users", q)
		require.Equal(t, 200, resp.StatusCode)
	}
	resp, v := b.get(t, tok, "/admin/directory/v1/users", q)
	require.Equal(t, "userRateLimitExceeded", googleError(t, resp, v, 403))
	require.Equal(t, "usageLimits", v["error"].(map[string]any)["errors"].([]any)[0].(map[string]any)["domain"])
	mu.Lock()
	now = now.Add(time.Minute)
	mu.Unlock()
	resp, _ = b.get(t, tok, "/admin/directory/v1/users", q)
	require.Equal(t, 200, resp.StatusCode)

	b.emu.Inject(Fault{Path: "/users", Status: 429, RetryAfter: "7"})
	resp, v = b.get(t, tok, "/admin/directory/v1/users", q)
	require.Equal(t, "rateLimitExceeded", googleError(t, resp, v, 429))
	require.Equal(t, "7", resp.Header.Get("Retry-After"))

	b.emu.Inject(Fault{Path: "/users", Status: 503})
	resp, v = b.get(t, tok, "/admin/directory/v1/users", q)
	require.Equal(t, "backendError", googleError(t, resp, v, 503))

	b.emu.Inject(Fault{Kind: FaultExpireToken})
	resp, v = b.get(t, tok, "/admin/directory/v1/groups", q)
	require.Equal(t, "authError", googleError(t, resp, v, 401))
	// The quota's 403 and the 429 count as throttling; the 503 does not.
	require.Equal(t, int64(2), b.emu.Stats().Throttled)
}
