package ninjaone

import (
	"encoding/json"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strconv"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/integrator-oss/integrator/internal/connector"
	"github.com/integrator-oss/integrator/internal/httpclient"
	"github.com/integrator-oss/integrator/internal/record"
	"github.com/integrator-oss/integrator/internal/secret"
)

// TestKeysetToleratesAnInclusiveAfter serves lists whose "after" includes
// its own ID (the other reading of the parameter): every location still
// arrives once, and the listing ends.
func TestKeysetToleratesAnInclusiveAfter(t *testing.T) {
	t.Parallel()
	const locations = 25
	mux := http.NewServeMux()
	mux.HandleFunc("POST /ws/oauth/token", func(w http.ResponseWriter, _ *http.Request) {
		w.Header().Set("Content-Type", "application/json")
		_ = json.NewEncoder(w).Encode(map[string]any{"access_token": "t", "token_type": "Bearer", "expires_in": 3600})
	})
	inclusive := func(n int, item func(id int) any) http.HandlerFunc {
		return func(w http.ResponseWriter, r *http.Request) {
			size, _ := strconv.Atoi(r.URL.Query().Get("pageSize"))
			after, _ := strconv.Atoi(r.URL.Query().Get("after"))
			out := []any{}
			for id := max(after, 1); id <= n && len(out) < size; id++ {
				out = append(out, item(id))
			}
			_ = json.NewEncoder(w).Encode(out)
		}
	}
	mux.HandleFunc("GET /v2/organizations", inclusive(1, func(id int) any { return map[string]any{"id": id, "name": "Org"} }))
	mux.HandleFunc("GET /v2/locations", inclusive(locations, func(id int) any {
		return map[string]any{"id": id, "name": "Loc " + strconv.Itoa(id), "organizationId": 1}
	}))
	mux.HandleFunc("GET /v2/devices-detailed", func(w http.ResponseWriter, _ *http.Request) { _, _ = w.Write([]byte("[]")) })
	mux.HandleFunc("GET /v2/queries/", func(w http.ResponseWriter, _ *http.Request) {
		_, _ = w.Write([]byte(`{"cursor":{"name":"c"},"results":[]}`))
	})
	srv := httptest.NewServer(mux)
	t.Cleanup(srv.Close)

	cfg := Config{BaseURL: srv.URL, ClientID: "c", ClientSecret: secret.New("s"), PageSize: 10}
	cfg.RequestsPerSecond = 1e6
	src, err := open(cfg.WithDefaults(), "fake", slog.New(slog.DiscardHandler), httpclient.Options{})
	require.NoError(t, err)
	t.Cleanup(func() { _ = src.Close() })
	sink := &testSink{}
	_, err = src.Fetch(t.Context(), connector.FetchRequest{Kinds: []record.Kind{record.KindSite}}, sink)
	require.NoError(t, err)
	seen := map[string]int{}
	for _, r := range sink.Records() {
		seen[r.ID]++
	}
	require.Len(t, seen, locations)
	for id, n := range seen {
		require.Equal(t, 1, n, "location %s", id)
	}
}
