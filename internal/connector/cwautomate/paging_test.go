package cwautomate

import (
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/integrator-oss/integrator/internal/connector"
	"github.com/integrator-oss/integrator/internal/httpclient"
	"github.com/integrator-oss/integrator/internal/record"
	"github.com/integrator-oss/integrator/internal/secret"
)

// A server that ignores page (or the Id condition) must fail the run, not
// loop forever or repeat records.
func TestServerIgnoringPagingFailsTheRun(t *testing.T) {
	t.Parallel()
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/json")
		switch {
		case strings.HasSuffix(r.URL.Path, "/apitoken"):
			_, _ = w.Write([]byte(`{"AccessToken":"t","ExpirationDate":"` + time.Now().Add(time.Hour).UTC().Format(time.RFC3339) + `"}`))
		case strings.HasSuffix(r.URL.Path, "/clients"):
			_, _ = w.Write([]byte(`[{"Id":1,"Name":"Acme"}]`))
		case strings.HasSuffix(r.URL.Path, "/computers"):
			_, _ = w.Write([]byte(`[{"Id":5,"ComputerName":"PC-5"},{"Id":6,"ComputerName":"PC-6"}]`))
		default:
			_, _ = w.Write([]byte(`[]`))
		}
	}))
	t.Cleanup(srv.Close)
	cfg := Config{ServerURL: srv.URL, ClientID: "c", Username: "u", Password: secret.New("p")}.WithDefaults()
	cfg.RequestsPerSecond = 1000
	src, err := open(cfg, "x", nil, httpclient.Options{})
	require.NoError(t, err)
	t.Cleanup(func() { _ = src.Close() })

	_, err = src.Fetch(t.Context(), connector.FetchRequest{}, &testSink{})
	require.ErrorContains(t, err, "may not honour page")
	_, err = src.Fetch(t.Context(), connector.FetchRequest{Kinds: []record.Kind{record.KindAsset}}, &testSink{})
	require.ErrorContains(t, err, "out of order")
}
