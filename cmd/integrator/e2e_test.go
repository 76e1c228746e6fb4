package main_test

import (
	"bytes"
	"context"
	"database/sql"
	"encoding/json"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/integrator-oss/integrator/internal/emulator/graph"
	"github.com/integrator-oss/integrator/internal/record"
	"github.com/integrator-oss/integrator/internal/store"
	"github.com/integrator-oss/integrator/internal/store/sqlite"
)

// These tests drive the real binary.

var binary string

func TestMain(m *testing.M) {
	dir, err := os.MkdirTemp("", "integrator-e2e-")
	if err != nil {
		panic(err)
	}
	binary = filepath.Join(dir, "integrator")
	out, err := exec.Command("go", "build", "-o", binary, ".").CombinedOutput()
	if err != nil {
		fmt.Fprintf(os.Stderr, "building the binary: %v\n%s", err, out)
		os.Exit(2)
	}
	code := m.Run()
	os.RemoveAll(dir)
	os.Exit(code)
}

const e2eSecret = "e2e-Secret-9d1c-never-print-me"

type e2e struct {
	em   *graph.Emulator
	base string
	dir  string
	cfg  string
}

func newE2E(t *testing.T, users int, o graph.Options, integration string) *e2e {
	t.Helper()
	o.ClientSecret = e2eSecret
	em := graph.New(o)
	em.Generate(users, 5, 3)
	srv := em.Start()
	t.Cleanup(srv.Close)
	e := &e2e{em: em, base: srv.URL, dir: t.TempDir()}
	require.NoError(t, os.WriteFile(filepath.Join(e.dir, "secret"), []byte(e2eSecret), 0o600))
	e.cfg = filepath.Join(e.dir, "integrator.yaml")
	e.write(t, integration)
	return e
}

// write writes the config; integration is the YAML of the integration's
// own keys after name and type.
func (e *e2e) write(t *testing.T, integration string) {
	t.Helper()
	yaml := fmt.Sprintf(`store: sqlite:%s
listen: 127.0.0.1:0
integrations:
  - name: t
    type: entra
%s
    config:
      tenant_id: %s
      client_id: %s
      client_secret: {file: %s}
      token_url: %s
      graph_url: %s
`, filepath.Join(e.dir, "i.db"), integration, e.em.TenantID(), e.em.ClientID(), filepath.Join(e.dir, "secret"),
		e.em.TokenURL(e.base), e.em.GraphURL(e.base))
	require.NoError(t, os.WriteFile(e.cfg, []byte(yaml), 0o600))
}

func (e *e2e) cmd(ctx context.Context, args ...string) *exec.Cmd {
	c := exec.CommandContext(ctx, binary, append([]string{"-c", e.cfg}, args...)...)
	c.Env = append(os.Environ(), "INTEGRATOR_CONFIG=")
	return c
}

func (e *e2e) run(t *testing.T, args ...string) (stdout, stderr string, code int) {
	t.Helper()
	var o, er bytes.Buffer
	c := e.cmd(t.Context(), args...)
	c.Stdout, c.Stderr = &o, &er
	err := c.Run()
	if ee, ok := err.(*exec.ExitError); ok {
		code = ee.ExitCode()
	} else {
		require.NoError(t, err)
	}
	return o.String(), er.String(), code
}

// state opens the integration's database after the process is gone and
// returns UPN → active of every platform user, failing on duplicates.
func (e *e2e) state(t *testing.T) (map[string]bool, store.Store) {
	t.Helper()
	st, err := sqlite.Open(t.Context(), filepath.Join(e.dir, "i.db"), nil)
	require.NoError(t, err)
	t.Cleanup(func() { st.Close() })
	users, err := st.UserList(t.Context(), &store.EntityListParams{Limit: 1 << 20})
	require.NoError(t, err)
	out := map[string]bool{}
	for _, u := range users {
		_, dup := out[u.UPN]
		require.False(t, dup, "duplicate platform user %s", u.UPN)
		links, err := st.LinkListByEntity(t.Context(), record.KindUser, u.ID)
		require.NoError(t, err)
		require.Len(t, links, 1, "user %s has one link", u.UPN)
		out[u.UPN] = u.Active
	}
	return out, st
}

const allUsers = `    schedule: 1h
    scope: {all_users: true}`

func TestCLICrashMidRunEndsLikeAnUninterruptedRun(t *testing.T) {
	t.Parallel()
	// The reference: the same tenant, synced without interruption.
	ref := newE2E(t, 12000, graph.Options{PageSize: 100, DisableReplay: true}, allUsers)
	_, stderr, code := ref.run(t, "sync", "t")
	require.Zero(t, code, stderr)
	want, _ := ref.state(t)

	e := newE2E(t, 12000, graph.Options{PageSize: 100, DisableReplay: true}, allUsers)
	c := e.cmd(t.Context(), "sync", "t")
	var out syncBuf
	c.Stdout, c.Stderr = &out, &out
	require.NoError(t, c.Start())
	// Kill it with SIGKILL once a few thousand users are committed,
	// well before the end.
	db, err := sql.Open("sqlite", "file:"+filepath.Join(e.dir, "i.db")+"?mode=ro&_pragma=busy_timeout(5000)")
	require.NoError(t, err)
	defer db.Close()
	deadline := time.Now().Add(90 * time.Second)
	for {
		var n int
		if err := db.QueryRow(`SELECT count(*) FROM users`).Scan(&n); err == nil && n >= 2000 {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("the run did not get going: %s", out.String())
		}
		time.Sleep(2 * time.Millisecond)
	}
	require.NoError(t, c.Process.Signal(syscall.SIGKILL))
	c.Wait()
	partial, st := e.state(t)
	require.NotEmpty(t, partial, "some pages were applied before the kill")
	require.Less(t, len(partial), len(want), "the kill came before the end")
	cur, err := st.CursorGet(t.Context(), 1)
	require.NoError(t, err)
	require.Empty(t, cur.Value, "no cursor was committed by the killed run")
	st.Close()

	stdout, stderr, code := e.run(t, "sync", "t")
	require.Zero(t, code, "%s\n%s", stdout, stderr)
	got, st := e.state(t)
	require.Equal(t, want, got, "same users, same states, no duplicates")
	cur, err = st.CursorGet(t.Context(), 1)
	require.NoError(t, err)
	require.NotEmpty(t, cur.Value)
	runs, err := st.RunList(t.Context(), &store.RunListParams{})
	require.NoError(t, err)
	var statuses []string
	for _, r := range runs {
		statuses = append(statuses, r.Status)
	}
	require.Contains(t, statuses, store.RunFailed, "the killed run is closed as failed")
	require.Equal(t, store.RunSucceeded, runs[0].Status)

	// And the next delta continues from the committed cursor.
	u := e.em.Users()[5]
	require.NoError(t, e.em.UpdateUser(u.ID, func(u *graph.User) { u.AccountEnabled = !u.AccountEnabled }))
	st.Close()
	stdout, _, code = e.run(t, "sync", "t")
	require.Zero(t, code)
	require.Contains(t, stdout, "(delta)")
}

func TestCLISyncSummaryDryRunAndStatus(t *testing.T) {
	t.Parallel()
	e := newE2E(t, 300, graph.Options{}, allUsers)
	stdout, stderr, code := e.run(t, "sync", "t", "--dry-run")
	require.Zero(t, code, stderr)
	require.Contains(t, stdout, "nothing was written")
	require.Contains(t, stdout, "created")
	stdout, _, code = e.run(t, "status")
	require.Zero(t, code)
	require.Contains(t, stdout, "last run:      never", "a dry run leaves no run behind")

	stdout, stderr, code = e.run(t, "sync", "t")
	require.Zero(t, code, stderr)
	require.Contains(t, stdout, "succeeded (full)")
	require.Regexp(t, `users\s+300\s+\d+`, stdout)
	stdout, _, code = e.run(t, "status")
	require.Zero(t, code)
	require.Contains(t, stdout, "last success:")
	require.Regexp(t, `users:\s+\d+ active, 0 inactive`, stdout)

	// The tenant empties: the run is held, exit code 3, and it says how
	// to confirm.
	e.em.Empty(true)
	stdout, _, code = e.run(t, "sync", "t", "--full")
	require.Equal(t, 3, code, stdout)
	require.Contains(t, stdout, "held")
	require.Contains(t, stdout, "--allow-mass-deactivation")
	stdout, _, code = e.run(t, "status")
	require.Zero(t, code)
	require.Contains(t, stdout, "HELD")
	stdout, _, code = e.run(t, "sync", "t", "--full", "--allow-mass-deactivation")
	require.Zero(t, code, stdout)
	require.Regexp(t, `users:\s+0 active`, func() string { s, _, _ := e.run(t, "status"); return s }())
}

func TestCLIValidateNamesTheField(t *testing.T) {
	t.Parallel()
	e := newE2E(t, 1, graph.Options{}, allUsers)
	good, err := os.ReadFile(e.cfg)
	require.NoError(t, err)
	for _, tc := range []struct {
		name, old, new, want string
	}{
		{"unknown key", "    schedule: 1h\n", "    schedule: 1h\n    schedul: 2h\n", "integrations[0].schedul: unknown field"},
		{"missing tenant", "      tenant_id: " + e.em.TenantID() + "\n", "", "integrations[0].config.tenant_id"},
		{"bad duration", "    schedule: 1h\n", "    schedule: 1h\n    full_sync_every: 5x\n", "integrations[0].full_sync_every"},
		{"bad cron", "    schedule: 1h\n", "    schedule: \"61 * * * *\"\n", "integrations[0].schedule"},
		{"unknown connector type", "    type: entra\n", "    type: entraa\n", "integrations[0].type"},
		{"unreadable secret file", filepath.Join(e.dir, "secret"), filepath.Join(e.dir, "no-such-file"), "integrations[0].config.client_secret"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			bad := strings.Replace(string(good), tc.old, tc.new, 1)
			require.NotEqual(t, string(good), bad)
			path := filepath.Join(t.TempDir(), "bad.yaml")
			require.NoError(t, os.WriteFile(path, []byte(bad), 0o600))
			var o, er bytes.Buffer
			c := exec.Command(binary, "validate", "-c", path)
			c.Stdout, c.Stderr = &o, &er
			err := c.Run()
			require.Error(t, err)
			lines := strings.Split(strings.TrimSpace(er.String()), "\n")
			require.Len(t, lines, 1, "one clear line: %s", er.String())
			require.Contains(t, lines[0], path+":")
			require.Contains(t, lines[0], tc.want)
			require.NotContains(t, er.String(), e2eSecret)
		})
	}
	stdout, _, code := e.run(t, "validate")
	require.Zero(t, code)
	require.Contains(t, stdout, "OK")
}

func TestCLINoOverlapAndSkippedTicksWhileServing(t *testing.T) {
	t.Parallel()
	// Throttled to ~4 requests/s, a full run of 3,000 users in pages of 100
	// outlasts the 10 s interval.
	e := newE2E(t, 3000, graph.Options{PageSize: 100, RateLimit: 4, DisableReplay: true}, `    schedule: 10s
    scope: {all_users: true}`)
	ctx, cancel := context.WithCancel(t.Context())
	defer cancel()
	c := e.cmd(ctx, "serve", "--log-level", "debug")
	c.Env = append(c.Env, "INTEGRATOR_ADMIN_PASSWORD="+e2eAdminPassword)
	var logs syncBuf
	c.Stdout, c.Stderr = &logs, &logs
	require.NoError(t, c.Start())
	addr := waitFor(t, &logs, `api=http://`, 20*time.Second)
	session := apiLogin(t, addr)
	deadline := time.Now().Add(90 * time.Second)
	var runs []store.Run
	for {
		require.True(t, time.Now().Before(deadline), "no skipped tick and completed run in time:\n%s", logs.String())
		runs = apiRuns(t, addr, session)
		skipped, done := 0, 0
		for _, r := range runs {
			switch r.Status {
			case store.RunSkipped:
				skipped++
			case store.RunSucceeded:
				done++
			}
		}
		if skipped > 0 && done > 0 {
			break
		}
		time.Sleep(500 * time.Millisecond)
	}
	require.NoError(t, c.Process.Signal(syscall.SIGTERM))
	require.NoError(t, c.Wait(), "clean shutdown on SIGTERM:\n%s", logs.String())
	// No two runs of the integration overlap in time.
	for i, a := range runs {
		if a.Status == store.RunSkipped {
			continue
		}
		for _, b := range runs[i+1:] {
			if b.Status == store.RunSkipped {
				continue
			}
			aEnd, bEnd := endOf(a), endOf(b)
			require.False(t, a.StartedAt.Before(bEnd) && b.StartedAt.Before(aEnd), "runs %d and %d overlap", a.ID, b.ID)
		}
	}
	require.NotContains(t, logs.String(), e2eSecret)
}

func endOf(r store.Run) time.Time {
	if r.FinishedAt.IsZero() {
		return time.Now()
	}
	return r.FinishedAt
}

// e2eAdminPassword is the administrator's password of the served tests.
const e2eAdminPassword = "e2e-admin-password-1"

// apiLogin logs in to the API as the administrator and returns the session
// cookie.
func apiLogin(t *testing.T, addr string) *http.Cookie {
	t.Helper()
	resp, err := http.Post("http://"+addr+"/api/v1/login", "application/json",
		strings.NewReader(`{"username":"admin","password":"`+e2eAdminPassword+`"}`))
	require.NoError(t, err)
	defer resp.Body.Close()
	require.Equal(t, http.StatusOK, resp.StatusCode)
	for _, c := range resp.Cookies() {
		if c.Name == "integrator_session" {
			return c
		}
	}
	t.Fatal("no session cookie")
	return nil
}

func apiRuns(t *testing.T, addr string, session *http.Cookie) []store.Run {
	t.Helper()
	req, err := http.NewRequest("GET", "http://"+addr+"/api/v1/runs?integration=t", nil)
	require.NoError(t, err)
	req.AddCookie(session)
	resp, err := http.DefaultClient.Do(req)
	require.NoError(t, err)
	defer resp.Body.Close()
	body, err := io.ReadAll(resp.Body)
	require.NoError(t, err)
	require.NotContains(t, string(body), e2eSecret)
	var env struct {
		Status string `json:"status"`
		Data   []struct {
			ID         int64     `json:"id"`
			Status     string    `json:"status"`
			StartedAt  time.Time `json:"started_at"`
			FinishedAt time.Time `json:"finished_at"`
		} `json:"data"`
	}
	require.NoError(t, json.Unmarshal(body, &env), string(body))
	require.Equal(t, "success", env.Status)
	runs := make([]store.Run, len(env.Data))
	for i, r := range env.Data {
		runs[i] = store.Run{ID: r.ID, Status: r.Status, StartedAt: r.StartedAt, FinishedAt: r.FinishedAt}
	}
	return runs
}

// waitFor waits for a log line containing marker and returns the host:port
// that follows "http://" on it.
func waitFor(t *testing.T, logs *syncBuf, marker string, d time.Duration) string {
	t.Helper()
	deadline := time.Now().Add(d)
	for time.Now().Before(deadline) {
		s := logs.String()
		if i := strings.Index(s, marker); i >= 0 {
			rest := s[i+len(marker):]
			host := rest[:strings.IndexAny(rest, "/ \n")]
			if _, _, err := net.SplitHostPort(host); err == nil {
				return host
			}
		}
		time.Sleep(50 * time.Millisecond)
	}
	t.Fatalf("no %q in the logs:\n%s", marker, logs.String())
	return ""
}
