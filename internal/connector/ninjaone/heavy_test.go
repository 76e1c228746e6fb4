package ninjaone_test

import (
	"bufio"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/integrator-oss/integrator/internal/connector"
	"github.com/integrator-oss/integrator/internal/connector/ninjaone"
	nemu "github.com/integrator-oss/integrator/internal/emulator/ninjaone"
	"github.com/integrator-oss/integrator/internal/engine"
	"github.com/integrator-oss/integrator/internal/integration"
	"github.com/integrator-oss/integrator/internal/record"
	"github.com/integrator-oss/integrator/internal/secret"
	"github.com/integrator-oss/integrator/internal/store"
	"github.com/integrator-oss/integrator/internal/store/sqlite"
)

// countSink counts records without keeping them.
type countSink struct{ sites, assets int }

func (s *countSink) Page(_ context.Context, recs []record.Record) error {
	for _, r := range recs {
		if r.Kind == record.KindSite {
			s.sites++
		} else {
			s.assets++
		}
	}
	return nil
}

func (s *countSink) Progress(connector.Progress) {}

// vmHWM is the process's peak resident set size in MiB (Linux).
func vmHWM(t *testing.T) int64 {
	b, err := os.ReadFile("/proc/self/status")
	if err != nil {
		return -1
	}
	for line := range strings.SplitSeq(string(b), "\n") {
		if v, ok := strings.CutPrefix(line, "VmHWM:"); ok {
			kb, err := strconv.ParseInt(strings.TrimSuffix(strings.TrimSpace(v), " kB"), 10, 64)
			require.NoError(t, err)
			return kb >> 10
		}
	}
	return -1
}

// TestHeavyHundredThousandDevices measures, for 100,000 devices in 200
// organisations (two locations each), with the rate limit off:
//
//   - emulator paging alone: the device list and the five inventory
//     queries paged with a plain HTTP client and decoded as raw JSON;
//   - the connector alone: a full fetch into a counting sink;
//   - a first full sync through the engine into SQLite, then a no-op
//     full resync.
//
// INTEGRATOR_HEAVY=1 runs it:
//
//	INTEGRATOR_HEAVY=1 go test ./internal/connector/ninjaone -run Heavy -v -timeout 30m
func TestHeavyHundredThousandDevices(t *testing.T) {
	if os.Getenv("INTEGRATOR_HEAVY") != "1" {
		t.Skip("set INTEGRATOR_HEAVY=1 to sync 100,000 NinjaOne devices from the emulator")
	}
	const devices, orgs, locs = 100_000, 200, 2
	ctx := t.Context()
	logger := slog.New(slog.NewTextHandler(io.Discard, nil))
	base, clientID := startEmulatorChild(t, devices, orgs, locs)
	t.Logf("test process peak RSS before the first request: %d MiB", vmHWM(t))

	// Emulator paging alone.
	tok := rawToken(t, base, clientID)
	start := time.Now()
	n, reqs := rawDevices(t, base, tok)
	for _, q := range []string{"computer-systems", "operating-systems", "network-interfaces", "logged-on-users", "software"} {
		reqs += rawQuery(t, base, tok, q)
	}
	paging := time.Since(start)
	require.Equal(t, devices, n)
	t.Logf("emulator paging alone: %d devices and their inventory in %s (%d requests): %.0f devices/s",
		n, paging.Round(time.Millisecond), reqs, float64(n)/paging.Seconds())

	cfg := ninjaone.Config{BaseURL: base, ClientID: clientID, ClientSecret: secret.New("heavy-secret")}
	cfg.RequestsPerSecond = 1e9 // the rate limit off
	cfg = cfg.WithDefaults()
	src, err := cfg.Open("heavy", logger)
	require.NoError(t, err)
	t.Cleanup(func() { _ = src.(connector.Closer).Close() })

	// The connector alone.
	sink := &countSink{}
	start = time.Now()
	res, err := src.Fetch(ctx, connector.FetchRequest{}, sink)
	took := time.Since(start)
	require.NoError(t, err)
	require.True(t, res.Full)
	require.Equal(t, devices, sink.assets)
	require.Equal(t, orgs*locs, sink.sites)
	t.Logf("connector alone: %d assets and %d sites in %s: %.0f devices/s; peak RSS %d MiB",
		sink.assets, sink.sites, took.Round(time.Millisecond), float64(devices)/took.Seconds(), vmHWM(t))

	// Through the engine into SQLite.
	st, err := sqlite.Open(ctx, filepath.Join(t.TempDir(), "heavy.db"), logger)
	require.NoError(t, err)
	t.Cleanup(func() { st.Close() })
	var integ *store.Integration
	require.NoError(t, st.Tx(ctx, func(tx store.Tx) error {
		integ, err = tx.IntegrationUpsert(ctx, &store.IntegrationUpsertParams{Name: "heavy", Type: "ninjaone", Enabled: true})
		return err
	}))
	set := integration.Settings{Name: "heavy", Type: "ninjaone", Enabled: true,
		Entities: []record.Kind{record.KindAsset, record.KindSite}}.WithDefaults()
	eng := engine.New(st, logger)
	for _, name := range []string{"first full sync", "no-op full resync"} {
		start = time.Now()
		r, err := eng.Run(ctx, engine.RunParams{Integration: integ, Settings: set, Source: src, Trigger: "bench"})
		took := time.Since(start)
		require.NoError(t, err)
		require.Equal(t, "succeeded", r.Run.Status, r.Run.Error)
		c := r.Run.ByKind[record.KindAsset]
		t.Logf("engine, %s: %s, %.0f devices/s (assets created %d, updated %d, unchanged %d); peak RSS %d MiB",
			name, took.Round(time.Millisecond), float64(devices)/took.Seconds(), c.Created, c.Updated, c.Unchanged, vmHWM(t))
	}
}

// startEmulatorChild runs the emulator in a child process (this test
// binary running TestHeavyEmulatorChild), so that its dataset does not
// count in this process's memory, and returns its base URL.
func startEmulatorChild(t *testing.T, devices, orgs, locs int) (base, clientID string) {
	t.Helper()
	cmd := exec.Command(os.Args[0], "-test.run=^TestHeavyEmulatorChild$")
	cmd.Env = append(os.Environ(), "NINJAONE_EMULATOR_CHILD="+strconv.Itoa(devices)+","+strconv.Itoa(orgs)+","+strconv.Itoa(locs))
	stdin, err := cmd.StdinPipe()
	require.NoError(t, err)
	stdout, err := cmd.StdoutPipe()
	require.NoError(t, err)
	cmd.Stderr = os.Stderr
	require.NoError(t, cmd.Start())
	t.Cleanup(func() {
		_ = stdin.Close()
		_ = cmd.Wait()
	})
	sc := bufio.NewScanner(stdout)
	for sc.Scan() {
		if rest, ok := strings.CutPrefix(sc.Text(), "EMULATOR "); ok {
			f := strings.Fields(rest)
			base, clientID = f[0], f[1]
			t.Logf("emulator child: %s", rest)
			go func() { _, _ = io.Copy(io.Discard, stdout) }()
			return base, clientID
		}
	}
	t.Fatal("the emulator child did not start")
	return "", ""
}

// TestHeavyEmulatorChild is the emulator process of the heavy test: it
// generates the dataset, prints its URL and serves until stdin closes.
func TestHeavyEmulatorChild(t *testing.T) {
	spec := os.Getenv("NINJAONE_EMULATOR_CHILD")
	if spec == "" {
		t.Skip("runs only as the heavy test's emulator process")
	}
	var n [3]int
	for i, f := range strings.SplitN(spec, ",", 3) {
		n[i], _ = strconv.Atoi(f)
	}
	emu := nemu.New(nemu.Options{ClientSecret: "heavy-secret"})
	start := time.Now()
	emu.Generate(n[0], n[1], n[2], 1)
	runtime.GC()
	var ms runtime.MemStats
	runtime.ReadMemStats(&ms)
	srv := httptest.NewServer(emu.Handler())
	defer srv.Close()
	fmt.Printf("EMULATOR %s %s (generated %d devices in %s, heap %d MiB)\n", srv.URL, emu.ClientID(),
		n[0], time.Since(start).Round(time.Millisecond), ms.HeapAlloc>>20)
	_, _ = io.Copy(io.Discard, os.Stdin)
}

func rawToken(t *testing.T, base, clientID string) string {
	resp, err := http.PostForm(base+"/ws/oauth/token", url.Values{"grant_type": {"client_credentials"},
		"client_id": {clientID}, "client_secret": {"heavy-secret"}, "scope": {"monitoring"}})
	require.NoError(t, err)
	defer resp.Body.Close()
	var tok struct {
		AccessToken string `json:"access_token"`
	}
	require.Equal(t, http.StatusOK, resp.StatusCode)
	require.NoError(t, json.NewDecoder(resp.Body).Decode(&tok))
	return tok.AccessToken
}

func rawGet(t *testing.T, u, tok string, v any) {
	req, err := http.NewRequestWithContext(t.Context(), http.MethodGet, u, nil)
	require.NoError(t, err)
	req.Header.Set("Authorization", "Bearer "+tok)
	resp, err := http.DefaultClient.Do(req)
	require.NoError(t, err)
	defer resp.Body.Close()
	require.Equal(t, http.StatusOK, resp.StatusCode)
	require.NoError(t, json.NewDecoder(resp.Body).Decode(v))
}

func rawDevices(t *testing.T, base, tok string) (n, reqs int) {
	after := 0
	for {
		var page []struct {
			ID int `json:"id"`
		}
		rawGet(t, base+"/v2/devices-detailed?pageSize=1000&after="+strconv.Itoa(after), tok, &page)
		reqs++
		n += len(page)
		if len(page) < 1000 {
			return n, reqs
		}
		after = page[len(page)-1].ID
	}
}

func rawQuery(t *testing.T, base, tok, name string) (reqs int) {
	u := base + "/v2/queries/" + name + "?pageSize=1000"
	for {
		var page struct {
			Cursor  struct{ Name string }
			Results []json.RawMessage
		}
		rawGet(t, u, tok, &page)
		reqs++
		if len(page.Results) == 0 {
			return reqs
		}
		u = base + "/v2/queries/" + name + "?cursor=" + page.Cursor.Name
	}
}
