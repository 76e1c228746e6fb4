package entra

import (
	"fmt"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/integrator-oss/integrator/internal/httpclient"
	"github.com/integrator-oss/integrator/internal/secret"
)

// fakeGraph is a scripted stand-in for Graph and the token endpoint, for
// the cases the emulator does not script (a foreign nextLink, a page with
// no links, exact token sequences).
type fakeGraph struct {
	srv *httptest.Server

	mu         sync.Mutex
	tokenCalls int
	// token answers token requests when set; by default tokens "tok-1",
	// "tok-2", ... are issued for an hour.
	token func(w http.ResponseWriter, r *http.Request)
	// graph answers Graph requests; auth is the bearer token sent.
	graph    func(w http.ResponseWriter, r *http.Request, auth string)
	requests []string
}

const fakeSecret = "fake-secret-Zq9"

func newFakeGraph(t *testing.T, graph func(w http.ResponseWriter, r *http.Request, auth string)) *fakeGraph {
	t.Helper()
	f := &fakeGraph{graph: graph}
	f.srv = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if strings.HasSuffix(r.URL.Path, "/oauth2/v2.0/token") {
			f.mu.Lock()
			f.tokenCalls++
			n := f.tokenCalls
			tok := f.token
			f.mu.Unlock()
			if tok != nil {
				tok(w, r)
				return
			}
			if r.PostFormValue("client_secret") != fakeSecret {
				w.Header().Set("Content-Type", "application/json")
				w.WriteHeader(http.StatusUnauthorized)
				_, _ = fmt.Fprint(w, `{"error":"invalid_client","error_description":"AADSTS7000215: Invalid client secret provided.\r\nTrace ID: x"}`)
				return
			}
			w.Header().Set("Content-Type", "application/json")
			_, _ = fmt.Fprintf(w, `{"token_type":"Bearer","expires_in":3599,"access_token":"tok-%d"}`, n)
			return
		}
		f.mu.Lock()
		f.requests = append(f.requests, r.URL.RequestURI())
		f.mu.Unlock()
		f.graph(w, r, strings.TrimPrefix(r.Header.Get("Authorization"), "Bearer "))
	}))
	t.Cleanup(f.srv.Close)
	return f
}

func (f *fakeGraph) config() Config {
	return Config{
		TenantID:     "tenant",
		ClientID:     "client",
		ClientSecret: secret.New(fakeSecret),
		AuthorityURL: f.srv.URL,
		GraphURL:     f.srv.URL + "/v1.0",
	}.WithDefaults()
}

func (f *fakeGraph) open(t *testing.T, cfg Config) (*Source, *fakeSleep, *logBuffer) {
	t.Helper()
	sl := &fakeSleep{}
	logs := &logBuffer{}
	s, err := open(cfg, "test", logs.logger(), httpclient.Options{Sleep: sl.sleep})
	require.NoError(t, err)
	t.Cleanup(func() { require.NoError(t, s.Close()) })
	return s, sl, logs
}

func (f *fakeGraph) graphRequests() []string {
	f.mu.Lock()
	defer f.mu.Unlock()
	return append([]string(nil), f.requests...)
}

// writePage writes a delta collection page.
func writePage(w http.ResponseWriter, items []string, next, delta string) {
	w.Header().Set("Content-Type", "application/json")
	links := ""
	if next != "" {
		links += fmt.Sprintf(`,"@odata.nextLink":%q`, next)
	}
	if delta != "" {
		links += fmt.Sprintf(`,"@odata.deltaLink":%q`, delta)
	}
	_, _ = fmt.Fprintf(w, `{"@odata.context":"ctx","value":[%s]%s}`, strings.Join(items, ","), links)
}

func writeGraphError(w http.ResponseWriter, status int, code, msg string) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	_, _ = fmt.Fprintf(w, `{"error":{"code":%q,"message":%q,"innerError":{"request-id":"r"}}}`, code, msg)
}

// base is the URL prefix links of r's server start with.
func base(r *http.Request) string { return "http://" + r.Host + "/v1.0" }
