package cwautomate

import (
	"bytes"
	"encoding/json"
	"net/http"
	"net/url"
	"strconv"
	"testing"

	"github.com/stretchr/testify/require"
)

type client struct {
	t                   *testing.T
	base, tok, clientID string
}

func (c *client) do(method, path string, body any) (int, any) {
	c.t.Helper()
	var rd *bytes.Reader
	if body != nil {
		b, _ := json.Marshal(body)
		rd = bytes.NewReader(b)
	} else {
		rd = bytes.NewReader(nil)
	}
	req, err := http.NewRequest(method, c.base+"/cwa/api/v1"+path, rd)
	require.NoError(c.t, err)
	req.Header.Set("ClientId", c.clientID)
	req.Header.Set("Content-Type", "application/json")
	if c.tok != "" {
		req.Header.Set("Authorization", "Bearer "+c.tok)
	}
	resp, err := http.DefaultClient.Do(req)
	require.NoError(c.t, err)
	defer resp.Body.Close()
	var out any
	require.NoError(c.t, json.NewDecoder(resp.Body).Decode(&out))
	return resp.StatusCode, out
}

func TestTokenAndPaging(t *testing.T) {
	t.Parallel()
	e := New(Options{TwoFactorPasscode: ""})
	_, comps, err := e.Generate(130, 3, 2)
	require.NoError(t, err)
	c := &client{t: t, base: e.StartTest(t), clientID: "wrong"}
	status, body := c.do(http.MethodPost, "/apitoken", map[string]string{"UserName": e.Username(), "Password": e.Password()})
	require.Equal(t, http.StatusUnauthorized, status, "a ClientId is required")
	c.clientID = e.ClientID()
	status, body = c.do(http.MethodPost, "/apitoken", map[string]string{"UserName": e.Username(), "Password": "nope"})
	require.Equal(t, http.StatusUnauthorized, status)
	require.Contains(t, body.(map[string]any)["Message"], "incorrect")
	status, body = c.do(http.MethodPost, "/apitoken", map[string]string{"UserName": e.Username(), "Password": e.Password()})
	require.Equal(t, http.StatusOK, status)
	c.tok = body.(map[string]any)["AccessToken"].(string)

	seen := 0
	for page := 1; ; page++ {
		status, body = c.do(http.MethodGet, "/computers?pageSize=50&orderBy=Id%20asc&page="+strconv.Itoa(page), nil)
		require.Equal(t, http.StatusOK, status)
		if len(body.([]any)) == 0 {
			break
		}
		seen += len(body.([]any))
	}
	require.Equal(t, len(comps), seen)

	cond := url.QueryEscape("(Status = 'Offline') and Id > 0")
	status, body = c.do(http.MethodGet, "/computers?pageSize=1000&condition="+cond, nil)
	require.Equal(t, http.StatusOK, status)
	require.Len(t, body.([]any), 5)
	status, _ = c.do(http.MethodGet, "/computers?condition="+url.QueryEscape("Nonsense ~ 3"), nil)
	require.Equal(t, http.StatusBadRequest, status)

	e.ExpireTokens()
	status, body = c.do(http.MethodGet, "/clients", nil)
	require.Equal(t, http.StatusUnauthorized, status)
	require.Equal(t, "Authorization has been denied for this request.", body.(map[string]any)["Message"])
}

func TestRefreshTwoFactorAndMove(t *testing.T) {
	t.Parallel()
	e := New(Options{TwoFactorPasscode: "246810"})
	locs, comps, err := e.Generate(3, 2, 1)
	require.NoError(t, err)
	c := &client{t: t, base: e.StartTest(t), clientID: e.ClientID()}
	status, body := c.do(http.MethodPost, "/apitoken", map[string]string{"UserName": e.Username(), "Password": e.Password()})
	require.Equal(t, http.StatusOK, status)
	require.Equal(t, true, body.(map[string]any)["IsTwoFactorRequired"])
	require.Nil(t, body.(map[string]any)["AccessToken"])
	status, body = c.do(http.MethodPost, "/apitoken", map[string]string{"UserName": e.Username(), "Password": e.Password(), "TwoFactorPasscode": "246810"})
	require.Equal(t, http.StatusOK, status)
	old := body.(map[string]any)["AccessToken"].(string)
	status, body = c.do(http.MethodPost, "/apitoken/refresh", old)
	require.Equal(t, http.StatusOK, status)
	c.tok = body.(map[string]any)["AccessToken"].(string)
	require.NotEqual(t, old, c.tok)

	require.NoError(t, e.MoveComputer(comps[0].ID, locs[1].ID))
	status, body = c.do(http.MethodGet, "/computers?condition="+url.QueryEscape("Id = "+strconv.Itoa(comps[0].ID)), nil)
	require.Equal(t, http.StatusOK, status)
	got := body.([]any)[0].(map[string]any)
	require.InDelta(t, locs[1].ID, got["Location"].(map[string]any)["Id"], 0)
	require.InDelta(t, locs[1].ClientID, got["Client"].(map[string]any)["Id"], 0)
	require.Regexp(t, `^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d$`, got["RemoteAgentLastContact"], "no zone, as Automate writes it")
}
