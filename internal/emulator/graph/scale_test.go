package graph

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"net/url"
	"os"
	"runtime"
	"runtime/metrics"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
)

type scaleUser struct {
	ID                string `json:"id"`
	DisplayName       string `json:"displayName"`
	UserPrincipalName string `json:"userPrincipalName"`
	Mail              string `json:"mail"`
	AccountEnabled    bool   `json:"accountEnabled"`
	Department        string `json:"department"`
	EmployeeID        string `json:"employeeId"`
	Removed           *struct {
		Reason string `json:"reason"`
	} `json:"@removed"`
}

type scalePage struct {
	Next  string      `json:"@odata.nextLink"`
	Delta string      `json:"@odata.deltaLink"`
	Value []scaleUser `json:"value"`
}

const scaleSelect = "/v1.0/users/delta?$select=displayName,userPrincipalName,mail,accountEnabled,department,employeeId,manager"

func scaleToken(tb testing.TB, client *http.Client, emu *Emulator, base string) string {
	tb.Helper()
	form := url.Values{"client_id": {emu.ClientID()}, "client_secret": {testSecret},
		"grant_type": {"client_credentials"}, "scope": {"https://graph.microsoft.com/.default"}}
	resp, err := client.PostForm(emu.TokenURL(base), form)
	require.NoError(tb, err)
	defer resp.Body.Close()
	var tok struct {
		AccessToken string `json:"access_token"`
	}
	require.NoError(tb, json.NewDecoder(resp.Body).Decode(&tok))
	return tok.AccessToken
}

// scaleRound pages a full round the way a connector does, decoding into
// typed structs, and calls visit for every user.
func scaleRound(ctx context.Context, client *http.Client, token, u string, visit func(i int, su *scaleUser)) (int, error) {
	n := 0
	for u != "" {
		req, err := http.NewRequestWithContext(ctx, http.MethodGet, u, nil)
		if err != nil {
			return n, err
		}
		req.Header.Set("Authorization", "Bearer "+token)
		req.Header.Set("Prefer", "odata.maxpagesize=999")
		resp, err := client.Do(req)
		if err != nil {
			return n, err
		}
		var p scalePage
		err = json.NewDecoder(resp.Body).Decode(&p)
		resp.Body.Close()
		if err != nil {
			return n, err
		}
		if resp.StatusCode != http.StatusOK {
			return n, fmt.Errorf("status %d", resp.StatusCode)
		}
		for i := range p.Value {
			if visit != nil {
				visit(n, &p.Value[i])
			}
			n++
		}
		u = p.Next
	}
	return n, nil
}

func BenchmarkFullRound(b *testing.B) {
	emu := New(Options{ClientSecret: testSecret})
	emu.Generate(100_000, 50, 1)
	srv := emu.Start()
	defer srv.Close()
	tr := &http.Transport{}
	defer tr.CloseIdleConnections()
	client := &http.Client{Transport: tr}
	token := scaleToken(b, client, emu, srv.URL)
	users := 0
	b.ResetTimer()
	for b.Loop() {
		n, err := scaleRound(b.Context(), client, token, srv.URL+scaleSelect, nil)
		if err != nil || n != 100_000 {
			b.Fatalf("round: %d users, %v", n, err)
		}
		users += n
	}
	b.ReportMetric(float64(users)/b.Elapsed().Seconds(), "users/s")
}

// TestMillionUsers pages once through a tenant of a million users and
// reports the peak heap. It needs INTEGRATOR_HEAVY=1.
func TestMillionUsers(t *testing.T) {
	if os.Getenv("INTEGRATOR_HEAVY") != "1" {
		t.Skip("set INTEGRATOR_HEAVY=1 to run")
	}
	const total = 1_000_000
	start := time.Now()
	emu := New(Options{ClientSecret: testSecret})
	emu.Generate(total, 500, 1)
	genTime := time.Since(start)
	runtime.GC()
	var ms runtime.MemStats
	runtime.ReadMemStats(&ms)
	baseline := ms.HeapAlloc

	tr := &http.Transport{}
	t.Cleanup(tr.CloseIdleConnections)
	client := &http.Client{Transport: tr}
	base := emu.StartTest(t)
	token := scaleToken(t, client, emu, base)

	// HeapAlloc includes garbage the collector has not reclaimed yet (up to
	// GOGC percent of the live heap); the live heap after each collection
	// is what paging really holds.
	var peak, peakLive atomic.Uint64
	stop := make(chan struct{})
	var wg sync.WaitGroup
	wg.Go(func() {
		tick := time.NewTicker(20 * time.Millisecond)
		defer tick.Stop()
		live := []metrics.Sample{{Name: "/gc/heap/live:bytes"}}
		for {
			var m runtime.MemStats
			runtime.ReadMemStats(&m)
			if m.HeapAlloc > peak.Load() {
				peak.Store(m.HeapAlloc)
			}
			metrics.Read(live)
			if v := live[0].Value.Uint64(); v > peakLive.Load() {
				peakLive.Store(v)
			}
			select {
			case <-stop:
				return
			case <-tick.C:
			}
		}
	})
	start = time.Now()
	emu.mu.RLock()
	wantIDs := make([]string, 0, total) // shares the stored strings: no new heap per ID
	for i := range emu.users {
		wantIDs = append(wantIDs, emu.users[i].id)
	}
	emu.mu.RUnlock()
	n, err := scaleRound(t.Context(), client, token, base+scaleSelect, func(i int, su *scaleUser) {
		if i < len(wantIDs) && su.ID != wantIDs[i] {
			t.Errorf("user %d: got %s, want %s", i, su.ID, wantIDs[i])
		}
		if su.Removed != nil || !strings.Contains(su.UserPrincipalName, "@") {
			t.Errorf("user %d malformed: %+v", i, su)
		}
	})
	elapsed := time.Since(start)
	close(stop)
	wg.Wait()
	require.NoError(t, err)
	require.Equal(t, total, n)
	growth := int64(peakLive.Load()) - int64(baseline)
	t.Logf("generate: %v; tenant heap %d MiB; full round %v (%.0f users/s); peak HeapAlloc %d MiB; peak live heap %d MiB (+%d MiB while paging)",
		genTime, baseline>>20, elapsed, float64(n)/elapsed.Seconds(), peak.Load()>>20, peakLive.Load()>>20, growth>>20)
	require.Less(t, growth, int64(128<<20), "paging must not materialise the tenant's JSON")
}
