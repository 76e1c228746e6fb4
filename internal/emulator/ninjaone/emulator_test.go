package ninjaone

import (
	"encoding/json"
	"io"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
)

const testSecret = "ninja-secret-Qw8"

type bundle struct {
	emu   *Emulator
	base  string
	token string
}

func setup(t *testing.T, o Options) *bundle {
	t.Helper()
	o.ClientSecret = testSecret
	b := &bundle{emu: New(o)}
	b.base = b.emu.StartTest(t)
	b.token = b.fetchToken(t)
	return b
}

func (b *bundle) fetchToken(t *testing.T) string {
	t.Helper()
	resp, err := http.PostForm(b.base+"/ws/oauth/token", url.Values{"grant_type": {"client_credentials"},
		"client_id": {b.emu.ClientID()}, "client_secret": {testSecret}, "scope": {"monitoring"}})
	require.NoError(t, err)
	defer resp.Body.Close()
	require.Equal(t, http.StatusOK, resp.StatusCode)
	var tok struct {
		AccessToken string `json:"access_token"`
		TokenType   string `json:"token_type"`
		ExpiresIn   int    `json:"expires_in"`
	}
	require.NoError(t, json.NewDecoder(resp.Body).Decode(&tok))
	require.Equal(t, "Bearer", tok.TokenType)
	require.Equal(t, 3600, tok.ExpiresIn)
	return tok.AccessToken
}

func (b *bundle) get(t *testing.T, path string) (int, []byte, http.Header) {
	t.Helper()
	req, err := http.NewRequestWithContext(t.Context(), http.MethodGet, b.base+path, nil)
	require.NoError(t, err)
	req.Header.Set("Authorization", "Bearer "+b.token)
	resp, err := http.DefaultClient.Do(req)
	require.NoError(t, err)
	defer resp.Body.Close()
	body, err := io.ReadAll(resp.Body)
	require.NoError(t, err)
	return resp.StatusCode, body, resp.Header
}

func TestKeysetPaging(t *testing.T) {
	t.Parallel()
	b := setup(t, Options{})
	b.emu.Generate(250, 4, 2, 1)
	var ids []int
	after, pages := 0, 0
	for {
		status, body, _ := b.get(t, "/v2/devices-detailed?pageSize=60&after="+strconv.Itoa(after))
		require.Equal(t, http.StatusOK, status, string(body))
		var page []struct {
			ID           int      `json:"id"`
			Created      float64  `json:"created"`
			MACAddresses []string `json:"macAddresses"`
		}
		require.NoError(t, json.Unmarshal(body, &page))
		pages++
		for _, d := range page {
			require.Greater(t, d.ID, after, "ascending ids after the keyset")
			require.NotEmpty(t, d.MACAddresses)
			require.Greater(t, d.Created, 1e9, "epoch seconds")
			ids = append(ids, d.ID)
			after = d.ID
		}
		if len(page) < 60 {
			break
		}
	}
	require.Equal(t, 5, pages)
	require.Len(t, ids, 250)

	// A device filter narrows to one organisation.
	status, body, _ := b.get(t, "/v2/devices?df="+url.QueryEscape("org = 2")+"&pageSize=1000")
	require.Equal(t, http.StatusOK, status)
	var org2 []struct{ OrganizationID int }
	require.NoError(t, json.Unmarshal(body, &org2))
	require.NotEmpty(t, org2)
	for _, d := range org2 {
		require.Equal(t, 2, d.OrganizationID)
	}
	status, body, _ = b.get(t, "/v2/devices?df="+url.QueryEscape("name ~ x"))
	require.Equal(t, http.StatusBadRequest, status)
	require.Contains(t, string(body), `"errorMessage"`)
}

func TestQueryCursor(t *testing.T) {
	t.Parallel()
	b := setup(t, Options{})
	b.emu.Generate(40, 2, 1, 2)
	want := 0
	for _, d := range b.emu.Devices() {
		want += len(d.Software)
	}
	rows, pages, cursor := 0, 0, ""
	for {
		path := "/v2/queries/software?pageSize=50"
		if cursor != "" {
			path = "/v2/queries/software?cursor=" + cursor
		}
		status, body, _ := b.get(t, path)
		require.Equal(t, http.StatusOK, status, string(body))
		var p struct {
			Cursor struct {
				Name   string
				Offset int
				Count  int
			}
			Results []struct {
				Name     string
				DeviceID int
			}
		}
		require.NoError(t, json.Unmarshal(body, &p))
		require.Equal(t, rows, p.Cursor.Offset)
		require.Equal(t, len(p.Results), p.Cursor.Count)
		pages++
		if len(p.Results) == 0 {
			break
		}
		rows += len(p.Results)
		cursor = p.Cursor.Name
	}
	require.Equal(t, want, rows)
	require.Greater(t, pages, 3)

	status, _, _ := b.get(t, "/v2/queries/software?cursor="+cursor)
	require.Equal(t, http.StatusBadRequest, status, "a finished cursor is gone")
}

func TestCursorExpires(t *testing.T) {
	t.Parallel()
	now := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	b := setup(t, Options{Now: func() time.Time { return now }, CursorTTL: time.Minute, TokenLifetime: time.Hour})
	b.emu.Generate(10, 1, 1, 3)
	_, body, _ := b.get(t, "/v2/queries/computer-systems?pageSize=2")
	var p struct{ Cursor struct{ Name string } }
	require.NoError(t, json.Unmarshal(body, &p))
	now = now.Add(2 * time.Minute)
	status, body, _ := b.get(t, "/v2/queries/computer-systems?cursor="+p.Cursor.Name)
	require.Equal(t, http.StatusBadRequest, status, string(body))

	now = now.Add(2 * time.Hour)
	status, _, hdr := b.get(t, "/v2/organizations")
	require.Equal(t, http.StatusUnauthorized, status, "the token expired")
	require.Contains(t, hdr.Get("WWW-Authenticate"), "invalid_token")
}

func TestRateLimitAndFaults(t *testing.T) {
	t.Parallel()
	b := setup(t, Options{RateLimit: 2})
	b.emu.Generate(5, 1, 1, 4)
	var throttled bool
	for range 5 {
		status, body, hdr := b.get(t, "/v2/organizations")
		if status == http.StatusTooManyRequests {
			throttled = true
			require.NotEmpty(t, hdr.Get("Retry-After"))
			require.True(t, strings.Contains(string(body), "errorMessage"))
		}
	}
	require.True(t, throttled)

	b2 := setup(t, Options{})
	b2.emu.Generate(5, 1, 1, 4)
	b2.emu.Inject(Fault{Path: "/v2/locations", Status: 503, RetryAfter: "3"})
	status, _, hdr := b2.get(t, "/v2/locations")
	require.Equal(t, http.StatusServiceUnavailable, status)
	require.Equal(t, "3", hdr.Get("Retry-After"))
	status, _, _ = b2.get(t, "/v2/locations")
	require.Equal(t, http.StatusOK, status)

	resp, err := http.PostForm(b2.base+"/oauth/token", url.Values{"grant_type": {"client_credentials"},
		"client_id": {b2.emu.ClientID()}, "client_secret": {"wrong"}})
	require.NoError(t, err)
	resp.Body.Close()
	require.Equal(t, http.StatusUnauthorized, resp.StatusCode)
}

func TestMutations(t *testing.T) {
	t.Parallel()
	e := New(Options{})
	org := e.AddOrganization(Organization{Name: "Contoso"})
	loc, err := e.AddLocation(Location{OrganizationID: org, Name: "HQ"})
	require.NoError(t, err)
	id, err := e.AddDevice(Device{OrganizationID: org, LocationID: loc, SystemName: "PC-1"})
	require.NoError(t, err)
	_, err = e.AddDevice(Device{OrganizationID: org, LocationID: loc + 7})
	require.ErrorIs(t, err, ErrInvalid)
	org2 := e.AddOrganization(Organization{Name: "Fabrikam"})
	loc2, _ := e.AddLocation(Location{OrganizationID: org2, Name: "Plant"})
	require.NoError(t, e.MoveDevice(id, org2, loc2))
	d, ok := e.DeviceByID(id)
	require.True(t, ok)
	require.Equal(t, org2, d.OrganizationID)
	require.NoError(t, e.RemoveDevice(id))
	require.Zero(t, e.DeviceCount())
	require.ErrorIs(t, e.RemoveDevice(id), ErrNotFound)
}
