package web_test

import (
	"context"
	"fmt"
	"log/slog"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"
	"github.com/stretchr/testify/require"

	"github.com/integrator-oss/integrator/internal/auth"
	"github.com/integrator-oss/integrator/internal/config"
	"github.com/integrator-oss/integrator/internal/connector/all"
	"github.com/integrator-oss/integrator/internal/daemon"
	"github.com/integrator-oss/integrator/internal/emulator/graph"
	"github.com/integrator-oss/integrator/internal/metrics"
	"github.com/integrator-oss/integrator/internal/web"
)

// EnvScreenshots set to 1 makes the browser test write the screenshots of
// the main pages that the README shows, under docs/screenshots.
const EnvScreenshots = "INTEGRATOR_SCREENSHOTS"

const browserSecret = "browser-S3cret-value-never-shown"

// chromium finds Debian's chromium, or the one INTEGRATOR_CHROMIUM names.
func chromium(t *testing.T) string {
	if p := os.Getenv("INTEGRATOR_CHROMIUM"); p != "" {
		return p
	}
	for _, name := range []string{"chromium", "chromium-browser", "google-chrome"} {
		if p, err := exec.LookPath(name); err == nil {
			return p
		}
	}
	t.Skip("no chromium: the console's browser tests need it (apt-get install -y chromium, or set INTEGRATOR_CHROMIUM)")
	return ""
}

// stack is a served integrator over an emulated tenant.
type stack struct {
	em   *graph.Emulator
	base string // the emulator
	app  *daemon.App
	url  string // the console
}

func newStack(t *testing.T) *stack {
	t.Helper()
	s := &stack{em: graph.New(graph.Options{ClientSecret: browserSecret})}
	s.em.Generate(120, 5, 11)
	s.base = s.em.StartTest(t)
	dir := t.TempDir()
	path := filepath.Join(dir, "integrator.yaml")
	require.NoError(t, os.WriteFile(path, []byte("store: sqlite:"+filepath.Join(dir, "i.db")+"\n"), 0o600))
	cfg, err := config.Load(path, all.Registry())
	require.NoError(t, err)
	logger := slog.New(slog.DiscardHandler)
	var m *metrics.Metrics
	s.app, err = daemon.Open(t.Context(), cfg, logger, daemon.Options{MaxAttempts: 1})
	require.NoError(t, err)
	m = metrics.New(s.app, s.app.Store)
	require.NoError(t, s.app.StartJobs(context.WithoutCancel(t.Context()), true))
	t.Cleanup(func() {
		s.app.StopJobs(context.Background())
		s.app.Close()
	})
	a := auth.New(s.app.ConsoleStore(), logger, false)
	require.NoError(t, a.SetPassword(t.Context(), auth.FirstAdmin, "correct horse battery"))
	h, err := web.Handler(s.app, a, m, logger)
	require.NoError(t, err)
	srv := httptest.NewServer(h)
	t.Cleanup(srv.Close)
	s.url = srv.URL
	return s
}

// browser starts a headless chromium.
func browser(t *testing.T) context.Context {
	t.Helper()
	path := chromium(t)
	opts := []chromedp.ExecAllocatorOption{
		chromedp.ExecPath(path), chromedp.Headless, chromedp.NoSandbox, chromedp.DisableGPU,
		chromedp.Flag("disable-background-networking", true), chromedp.NoFirstRun, chromedp.NoDefaultBrowserCheck,
		chromedp.WindowSize(1360, 900),
	}
	actx, cancelAlloc := chromedp.NewExecAllocator(context.Background(), opts...)
	bctx, cancel := chromedp.NewContext(actx)
	require.NoError(t, chromedp.Do(bctx), "starting chromium")
	ctx, cancelT := context.WithTimeout(bctx, 90*time.Second)
	t.Cleanup(func() { cancelT(); cancel(); cancelAlloc() })
	return ctx
}

// shots writes screenshots when INTEGRATOR_SCREENSHOTS=1.
type shots struct {
	dir string
}

func (s shots) take(t *testing.T, ctx context.Context, name string) {
	t.Helper()
	if s.dir == "" {
		return
	}
	png, err := chromedp.Run(ctx, chromedp.FullScreenshot(100))
	require.NoError(t, err)
	require.NoError(t, os.WriteFile(filepath.Join(s.dir, name+".png"), png, 0o644))
}

func TestConsoleInABrowser(t *testing.T) {
	s := newStack(t)
	ctx := browser(t)
	sh := shots{}
	if os.Getenv(EnvScreenshots) == "1" {
		sh.dir = filepath.Join("..", "..", "docs", "screenshots")
		require.NoError(t, os.MkdirAll(sh.dir, 0o755))
	}

	groups := s.em.Groups()
	mapped, agents := groups[0], groups[1]
	inMapped := map[string]bool{}
	for _, id := range append(s.em.Members(mapped.ID), s.em.Members(agents.ID)...) {
		inMapped[id] = true
	}
	var leaver, outsider graph.User
	for _, u := range s.em.Users() {
		switch {
		case !u.AccountEnabled:
		case inMapped[u.ID] && slices.Contains(s.em.Members(mapped.ID), u.ID) && leaver.ID == "":
			leaver = u
		case !inMapped[u.ID] && outsider.ID == "":
			outsider = u
		}
	}
	require.NotEmpty(t, leaver.ID)
	require.NotEmpty(t, outsider.ID)

	text := func(sel string) string {
		v, err := chromedp.Run(ctx, chromedp.Text(chromedp.CSS(sel)))
		require.NoError(t, err, sel)
		return v
	}
	// waitText waits for the element to say want: after a click the old
	// page may still be there for a moment.
	waitText := func(sel, want string) {
		t.Helper()
		deadline := time.Now().Add(15 * time.Second)
		for {
			v, _ := chromedp.Run(ctx, chromedp.Text(chromedp.CSS(sel)))
			if strings.Contains(v, want) {
				return
			}
			require.True(t, time.Now().Before(deadline), "%s never said %q (last: %q)", sel, want, v)
			time.Sleep(100 * time.Millisecond)
		}
	}

	// Log in: the console sends an anonymous visitor to the login page.
	require.NoError(t, chromedp.Do(ctx,
		chromedp.Navigate(s.url+"/integrations"),
		chromedp.WaitVisible(chromedp.ID("username")),
	))
	sh.take(t, ctx, "login")
	require.NoError(t, chromedp.Do(ctx,
		chromedp.SendKeys(chromedp.ID("username"), "admin"),
		chromedp.SendKeys(chromedp.ID("password"), "correct horse battery"),
		chromedp.Click(chromedp.ID("signin")),
		chromedp.WaitVisible(chromedp.CSS(`a[href="/integrations/new"]`)),
	))

	// Create an Entra integration against the emulator.
	require.NoError(t, chromedp.Do(ctx,
		chromedp.Navigate(s.url+"/integrations/new?type=entra"),
		chromedp.WaitVisible(chromedp.ID("name")),
		chromedp.SendKeys(chromedp.ID("name"), "contoso"),
		chromedp.SendKeys(chromedp.ID("cfg_tenant_id"), s.em.TenantID()),
		chromedp.SendKeys(chromedp.ID("cfg_client_id"), s.em.ClientID()),
		chromedp.SendKeys(chromedp.ID("cfg_client_secret"), browserSecret),
		chromedp.SendKeys(chromedp.ID("cfg_token_url"), s.em.TokenURL(s.base)),
		chromedp.SendKeys(chromedp.ID("cfg_graph_url"), s.em.GraphURL(s.base)),
		chromedp.Click(chromedp.ID("create")),
	))
	waitText(".flash", "Integration created")

	// Enable it and edit the mappings: the mapping editor offers the
	// source's groups, fetched live.
	require.NoError(t, chromedp.Do(ctx,
		chromedp.WaitReady(chromedp.CSS(`#source-groups option`)),
		chromedp.Click(chromedp.ID("enabled")),
		chromedp.Click(chromedp.ID("add-mapping")),
		chromedp.SendKeys(chromedp.CSS(`#mappings tr:last-child input[name=map_group]`), mapped.DisplayName),
		chromedp.SendKeys(chromedp.CSS(`#mappings tr:last-child input[name=map_site]`), "London"),
		chromedp.Click(chromedp.ID("add-mapping")),
		chromedp.SendKeys(chromedp.CSS(`#mappings tr:last-child input[name=map_group]`), agents.DisplayName),
		chromedp.SendKeys(chromedp.CSS(`#mappings tr:last-child input[name=map_site]`), "Leeds"),
		chromedp.SetValue(chromedp.CSS(`#mappings tr:last-child select[name=map_role]`), "agent"),
	))
	options, err := chromedp.Run(ctx, chromedp.Evaluate[int](`document.querySelectorAll("#source-groups option").length`))
	require.NoError(t, err)
	require.Equal(t, len(groups), options, "the source's groups are offered")

	// Preview before saving.
	require.NoError(t, chromedp.Do(ctx,
		chromedp.Click(chromedp.ID("preview-button")),
		chromedp.WaitVisible(chromedp.ID("preview-result")),
	))
	imported, err := strconv.Atoi(strings.TrimSpace(text(`[data-preview=imported]`)))
	require.NoError(t, err)
	require.Equal(t, len(inMapped)-disabledAmong(s.em, inMapped), imported, "the preview counts the members of the mapped groups")
	agentsPreview, _ := strconv.Atoi(strings.TrimSpace(text(`[data-preview=agents]`)))
	require.Zero(t, agentsPreview, "nobody changes role: nobody is imported yet")
	sh.take(t, ctx, "imports-preview")

	require.NoError(t, chromedp.Do(ctx, chromedp.Click(chromedp.ID("save-imports"))))
	waitText(".flash", "Imports settings saved")

	// Run now and watch the run finish, then the users appear.
	waitRun := func(n int) {
		t.Helper()
		deadline := time.Now().Add(60 * time.Second)
		for {
			require.True(t, time.Now().Before(deadline), "run %d did not finish", n)
			require.NoError(t, chromedp.Do(ctx, chromedp.Navigate(s.url+"/runs?integration=contoso&status=succeeded")))
			body, err := chromedp.Run(ctx, chromedp.Text(chromedp.CSS("tbody")))
			require.NoError(t, err)
			if strings.Count(body, "succeeded") >= n {
				return
			}
			time.Sleep(300 * time.Millisecond)
		}
	}
	require.NoError(t, chromedp.Do(ctx,
		chromedp.Navigate(s.url+"/integrations/contoso"),
		chromedp.Click(chromedp.ID("run-now")),
	))
	waitText(".flash", "Run queued")
	waitRun(1)
	sh.take(t, ctx, "runs")
	require.NoError(t, chromedp.Do(ctx, chromedp.Navigate(s.url+"/directory/users?search="+leaver.UserPrincipalName),
		chromedp.WaitVisible(chromedp.ID("users"))))
	row := text("#users tbody")
	require.Contains(t, row, leaver.DisplayName)
	require.Contains(t, row, "active")

	// The emulator removes a user; a full run deactivates it.
	require.NoError(t, s.em.HardDeleteUser(leaver.ID))
	require.NoError(t, chromedp.Do(ctx,
		chromedp.Navigate(s.url+"/integrations/contoso"),
		chromedp.Click(chromedp.ID("run-full")),
	))
	waitText(".flash", "Run queued")
	waitRun(2)
	require.NoError(t, chromedp.Do(ctx, chromedp.Navigate(s.url+"/directory/users?search="+leaver.UserPrincipalName),
		chromedp.WaitVisible(chromedp.ID("users"))))
	require.Contains(t, text("#users tbody"), "inactive")
	require.NoError(t, chromedp.Do(ctx, chromedp.Navigate(s.url+"/directory/users"), chromedp.WaitVisible(chromedp.ID("users"))))
	sh.take(t, ctx, "users")
	require.NoError(t, chromedp.Do(ctx, chromedp.Navigate(s.url+"/runs/2"), chromedp.WaitVisible(chromedp.CSS("h1"))))
	sh.take(t, ctx, "run")

	// Troubleshooting: why is the outsider not imported?
	require.NoError(t, chromedp.Do(ctx,
		chromedp.Navigate(s.url+"/integrations/contoso?tab=troubleshooting"),
		chromedp.WaitVisible(chromedp.ID("explain-q")),
		chromedp.SendKeys(chromedp.ID("explain-q"), outsider.UserPrincipalName),
		chromedp.Click(chromedp.ID("explain")),
		chromedp.WaitVisible(chromedp.CSS(".explain-answer")),
	))
	answer := text(".explain-answer")
	require.Contains(t, answer, fmt.Sprintf("%s is not imported: not a member of any mapped group", outsider.DisplayName))
	require.Contains(t, answer, mapped.DisplayName)
	sh.take(t, ctx, "troubleshooting")

	require.NoError(t, chromedp.Do(ctx, chromedp.Navigate(s.url+"/integrations"), chromedp.WaitVisible(chromedp.CSS("table"))))
	require.Contains(t, text("tbody"), "succeeded")
	sh.take(t, ctx, "integrations")

	require.NoError(t, chromedp.Do(ctx, chromedp.Navigate(s.url+"/integrations/contoso?tab=connection")))
	html, err := chromedp.Run(ctx, chromedp.OuterHTML(chromedp.CSS("html")))
	require.NoError(t, err)
	require.NotContains(t, html, browserSecret, "the secret is write-only")
}

// disabledAmong counts the disabled accounts among ids (not imported).
func disabledAmong(em *graph.Emulator, ids map[string]bool) int {
	n := 0
	for _, u := range em.Users() {
		if ids[u.ID] && !u.AccountEnabled {
			n++
		}
	}
	return n
}
