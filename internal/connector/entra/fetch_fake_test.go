package entra

import (
	"net/http"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/integrator-oss/integrator/internal/connector"
	"github.com/integrator-oss/integrator/internal/record"
	"github.com/integrator-oss/integrator/internal/secret"
)

// simpleTenant serves one group page and two user pages, and a delta round
// with one change per collection.
func simpleTenant(w http.ResponseWriter, r *http.Request, _ string) {
	b := base(r)
	switch {
	case r.URL.Path == "/v1.0/groups/delta" && r.URL.Query().Get("$deltatoken") == "g1":
		writePage(w, []string{`{"id":"g1","displayName":"Sales 2"}`}, "", b+"/groups/delta?$deltatoken=g2")
	case r.URL.Path == "/v1.0/groups/delta" && r.URL.Query().Get("$select") != groupSelect:
		writeGraphError(w, http.StatusBadRequest, "Request_BadRequest", "unexpected $select")
	case r.URL.Path == "/v1.0/groups/delta":
		writePage(w, []string{`{"id":"g1","displayName":"Sales","members@delta":[{"@odata.type":"#microsoft.graph.user","id":"u1"}]}`},
			"", b+"/groups/delta?$deltatoken=g1")
	case r.URL.Path == "/v1.0/users/delta" && r.URL.Query().Get("$deltatoken") == "u1":
		writePage(w, []string{`{"id":"u2","@removed":{"reason":"changed"}}`}, "", b+"/users/delta?$deltatoken=u2")
	case r.URL.Path == "/v1.0/users/delta" && r.URL.Query().Get("$skiptoken") == "p2":
		writePage(w, []string{`{"id":"u2","displayName":"Bo"}`}, "", b+"/users/delta?$deltatoken=u1")
	case r.URL.Path == "/v1.0/users/delta" && r.URL.Query().Get("$select") != userSelect:
		writeGraphError(w, http.StatusBadRequest, "Request_BadRequest", "unexpected $select")
	case r.URL.Path == "/v1.0/users/delta":
		writePage(w, []string{`{"id":"u1","displayName":"Ana"}`}, b+"/users/delta?$skiptoken=p2", "")
	default:
		writeGraphError(w, http.StatusNotFound, "Request_ResourceNotFound", r.URL.Path)
	}
}

func TestFetchFullThenDelta(t *testing.T) {
	t.Parallel()
	f := newFakeGraph(t, simpleTenant)
	src, _, _ := f.open(t, f.config())

	sink := &testSink{}
	res, err := src.Fetch(t.Context(), connector.FetchRequest{Kinds: []record.Kind{record.KindUser, record.KindGroup}}, sink)
	require.NoError(t, err)
	require.True(t, res.Full)
	require.False(t, res.Resynced)
	recs := sink.records()
	require.Equal(t, []string{"g1", "u1", "u2"}, ids(recs), "groups come before users")
	require.Len(t, sink.pages, 3, "one sink page per Graph page")
	require.Equal(t, 4, sink.requests(), "the token request and three pages")

	cur, err := parseCursor(res.Cursor)
	require.NoError(t, err)
	require.Equal(t, f.srv.URL+"/v1.0/users/delta?$deltatoken=u1", cur.Users)
	require.Equal(t, f.srv.URL+"/v1.0/groups/delta?$deltatoken=g1", cur.Groups)

	sink = &testSink{}
	res, err = src.Fetch(t.Context(), connector.FetchRequest{Cursor: res.Cursor}, sink)
	require.NoError(t, err)
	require.False(t, res.Full)
	require.False(t, res.Resynced)
	recs = sink.records()
	require.Len(t, recs, 2)
	require.Equal(t, record.Record{Kind: record.KindGroup, ID: "g1", Attrs: map[string]string{record.AttrName: "Sales 2"}, Members: &record.Members{}}, recs[0])
	require.Equal(t, record.Record{Kind: record.KindUser, ID: "u2", State: record.Removed, Reason: ReasonSoftDeleted}, recs[1])

	// Full overrides the cursor.
	sink = &testSink{}
	res, err = src.Fetch(t.Context(), connector.FetchRequest{Cursor: res.Cursor, Full: true}, sink)
	require.NoError(t, err)
	require.True(t, res.Full)
	require.Len(t, sink.records(), 3)
}

func ids(recs []record.Record) []string {
	out := make([]string, len(recs))
	for i, r := range recs {
		out[i] = r.ID
	}
	return out
}

func TestFetchKindsAndCursorCoverage(t *testing.T) {
	t.Parallel()
	f := newFakeGraph(t, simpleTenant)
	src, _, _ := f.open(t, f.config())

	sink := &testSink{}
	res, err := src.Fetch(t.Context(), connector.FetchRequest{Kinds: []record.Kind{record.KindUser}}, sink)
	require.NoError(t, err)
	require.Equal(t, []string{"u1", "u2"}, ids(sink.records()))
	cur, err := parseCursor(res.Cursor)
	require.NoError(t, err)
	require.Empty(t, cur.Groups)
	require.NotEmpty(t, cur.Users)

	// Groups are now requested too but the cursor has no groups link: the
	// whole run is full, users included.
	sink = &testSink{}
	res, err = src.Fetch(t.Context(), connector.FetchRequest{Kinds: []record.Kind{record.KindGroup, record.KindUser}, Cursor: res.Cursor}, sink)
	require.NoError(t, err)
	require.True(t, res.Full)
	require.Equal(t, []string{"g1", "u1", "u2"}, ids(sink.records()))

	_, err = src.Fetch(t.Context(), connector.FetchRequest{Kinds: []record.Kind{record.KindAsset}}, &testSink{})
	require.ErrorContains(t, err, `does not fetch "asset"`)

	// An unreadable cursor is a full resync, not a failure.
	sink = &testSink{}
	res, err = src.Fetch(t.Context(), connector.FetchRequest{Cursor: `{"v":99}`}, sink)
	require.NoError(t, err)
	require.True(t, res.Full)
	require.True(t, res.Resynced)
	require.Len(t, sink.records(), 3)
}

func TestExpiredAccessTokenIsRefreshedOnce(t *testing.T) {
	t.Parallel()
	f := newFakeGraph(t, func(w http.ResponseWriter, r *http.Request, auth string) {
		if auth == "tok-1" {
			writeGraphError(w, http.StatusUnauthorized, "InvalidAuthenticationToken", "Access token has expired or is not yet valid.")
			return
		}
		simpleTenant(w, r, auth)
	})
	src, _, _ := f.open(t, f.config())
	sink := &testSink{}
	_, err := src.Fetch(t.Context(), connector.FetchRequest{}, sink)
	require.NoError(t, err)
	require.Len(t, sink.records(), 3)
	require.Equal(t, 2, f.tokenCalls)
	require.Len(t, f.graphRequests(), 4, "the refused request is sent again once")
}

func TestAccessTokenRefusedTwice(t *testing.T) {
	t.Parallel()
	f := newFakeGraph(t, func(w http.ResponseWriter, _ *http.Request, _ string) {
		writeGraphError(w, http.StatusUnauthorized, "InvalidAuthenticationToken", "Access token validation failure.")
	})
	src, _, _ := f.open(t, f.config())
	_, err := src.Fetch(t.Context(), connector.FetchRequest{}, &testSink{})
	require.ErrorIs(t, err, connector.ErrUnauthorized)
	require.ErrorContains(t, err, "InvalidAuthenticationToken")
	require.ErrorContains(t, err, "groups page 1 (/v1.0/groups/delta)")
	require.NotContains(t, err.Error(), "tok-")
	require.Equal(t, 2, f.tokenCalls)
	require.Len(t, f.graphRequests(), 2)
}

func TestWrongSecret(t *testing.T) {
	t.Parallel()
	f := newFakeGraph(t, simpleTenant)
	cfg := f.config()
	cfg.ClientSecret = secret.New("wrong-secret-Kx7")
	src, _, logs := f.open(t, cfg)
	_, err := src.Fetch(t.Context(), connector.FetchRequest{}, &testSink{})
	require.ErrorIs(t, err, connector.ErrUnauthorized)
	require.False(t, connector.IsRetryable(err))
	require.ErrorContains(t, err, "invalid_client")
	require.ErrorContains(t, err, "AADSTS7000215")
	require.NotContains(t, err.Error(), "Trace ID", "only the first line of the description")
	require.NotContains(t, err.Error(), "wrong-secret-Kx7")
	require.NotContains(t, logs.String(), "wrong-secret-Kx7")
	require.Empty(t, f.graphRequests())

	var te *TokenError
	require.ErrorAs(t, err, &te)
	require.Equal(t, http.StatusUnauthorized, te.StatusCode)
}

func TestTokenEndpointOtherErrors(t *testing.T) {
	t.Parallel()
	f := newFakeGraph(t, simpleTenant)
	f.token = func(w http.ResponseWriter, _ *http.Request) {
		w.Header().Set("Content-Type", "application/json")
		w.WriteHeader(http.StatusBadRequest)
		_, _ = w.Write([]byte(`{"error":"invalid_scope","error_description":"AADSTS70011: The provided value for scope is not valid."}`))
	}
	src, _, _ := f.open(t, f.config())
	_, err := src.Fetch(t.Context(), connector.FetchRequest{}, &testSink{})
	require.ErrorContains(t, err, "invalid_scope")
	require.NotErrorIs(t, err, connector.ErrUnauthorized)

	f2 := newFakeGraph(t, simpleTenant)
	f2.token = func(w http.ResponseWriter, _ *http.Request) { w.WriteHeader(http.StatusServiceUnavailable) }
	src2, sl, _ := f2.open(t, f2.config())
	_, err = src2.Fetch(t.Context(), connector.FetchRequest{}, &testSink{})
	require.True(t, connector.IsRetryable(err), "a token endpoint outage is transient: %v", err)
	require.Positive(t, sl.total())
}

func TestForbidden(t *testing.T) {
	t.Parallel()
	f := newFakeGraph(t, func(w http.ResponseWriter, _ *http.Request, _ string) {
		writeGraphError(w, http.StatusForbidden, "Authorization_RequestDenied", "Insufficient privileges to complete the operation.")
	})
	src, _, _ := f.open(t, f.config())
	_, err := src.Fetch(t.Context(), connector.FetchRequest{}, &testSink{})
	require.ErrorIs(t, err, connector.ErrForbidden)
	require.ErrorContains(t, err, "Insufficient privileges")
	require.ErrorContains(t, err, "fetching groups page 1 (/v1.0/groups/delta): the app needs the GroupMember.Read.All or Group.Read.All application permission")

	err = src.Check(t.Context())
	require.ErrorIs(t, err, connector.ErrForbidden)
	require.ErrorContains(t, err, "Organization.Read.All")
}

func TestCheckNamesTheMissingPermission(t *testing.T) {
	t.Parallel()
	f := newFakeGraph(t, func(w http.ResponseWriter, r *http.Request, _ string) {
		switch r.URL.Path {
		case "/v1.0/organization":
			_, _ = w.Write([]byte(`{"value":[{"id":"o","displayName":"Contoso"}]}`))
		case "/v1.0/users/delta":
			if r.URL.Query().Get("$deltaToken") != "latest" {
				writeGraphError(w, http.StatusBadRequest, "Request_BadRequest", "expected $deltaToken=latest")
				return
			}
			writePage(w, nil, "", base(r)+"/users/delta?$deltatoken=x")
		default:
			writeGraphError(w, http.StatusForbidden, "Authorization_RequestDenied", "Insufficient privileges to complete the operation.")
		}
	})
	src, _, _ := f.open(t, f.config())
	err := src.Check(t.Context())
	require.ErrorIs(t, err, connector.ErrForbidden)
	require.ErrorContains(t, err, "GroupMember.Read.All")
	require.Len(t, f.graphRequests(), 3)
}

func TestForeignLinksAreRefused(t *testing.T) {
	t.Parallel()
	f := newFakeGraph(t, func(w http.ResponseWriter, _ *http.Request, _ string) {
		writePage(w, []string{`{"id":"g1"}`}, "https://attacker.example/v1.0/groups/delta?$skiptoken=x", "")
	})
	src, _, _ := f.open(t, f.config())
	_, err := src.Fetch(t.Context(), connector.FetchRequest{}, &testSink{})
	require.ErrorContains(t, err, "refusing to follow a link to https://attacker.example")
	require.ErrorContains(t, err, "groups page 2")

	// A cursor pointing elsewhere is refused too.
	_, err = src.Fetch(t.Context(), connector.FetchRequest{Cursor: `{"v":1,"users":"https://attacker.example/u","groups":"https://attacker.example/g"}`}, &testSink{})
	require.ErrorContains(t, err, "refusing to follow")
}

func TestPageWithoutLinks(t *testing.T) {
	t.Parallel()
	f := newFakeGraph(t, func(w http.ResponseWriter, _ *http.Request, _ string) {
		writePage(w, []string{`{"id":"g1"}`}, "", "")
	})
	src, _, _ := f.open(t, f.config())
	_, err := src.Fetch(t.Context(), connector.FetchRequest{}, &testSink{})
	require.ErrorContains(t, err, "neither @odata.nextLink nor @odata.deltaLink")
}

func TestSinkErrorStopsTheFetch(t *testing.T) {
	t.Parallel()
	f := newFakeGraph(t, simpleTenant)
	src, _, _ := f.open(t, f.config())
	sink := &testSink{failAt: 2}
	_, err := src.Fetch(t.Context(), connector.FetchRequest{}, sink)
	require.ErrorIs(t, err, errSinkFull)
	require.ErrorContains(t, err, "handling users page 1")
	require.Len(t, f.graphRequests(), 2, "nothing is fetched after the sink fails")
}

func TestResyncOnlyOnce(t *testing.T) {
	t.Parallel()
	f := newFakeGraph(t, func(w http.ResponseWriter, r *http.Request, auth string) {
		if strings.Contains(r.URL.RawQuery, "skiptoken") {
			writeGraphError(w, http.StatusBadRequest, "syncStateNotFound", "The sync state generation is not found.")
			return
		}
		simpleTenant(w, r, auth)
	})
	src, _, _ := f.open(t, f.config())
	sink := &testSink{}
	_, err := src.Fetch(t.Context(), connector.FetchRequest{}, sink)
	require.ErrorContains(t, err, "again during the full resync")
	require.ErrorContains(t, err, "users page 2")
	require.NotContains(t, err.Error(), "skiptoken")
	require.Equal(t, 2, strings.Count(strings.Join(f.graphRequests(), " "), "skiptoken"))
}
