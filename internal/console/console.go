// Package console serves the operator console: server-rendered pages
// (html/template, embedded assets, no build toolchain) over the same
// services as the JSON API, with a little vanilla JavaScript where it earns
// its keep (live run progress, the source's groups in the mapping editor,
// the preview of unsaved settings). Every page needs a console session; the
// forms are protected from cross-site submission by auth.Protect.
package console

import (
	"context"
	"embed"
	"errors"
	"fmt"
	"html/template"
	"io/fs"
	"log/slog"
	"net/http"
	"net/url"
	"strings"

	"github.com/integrator-oss/integrator/internal/auth"
	"github.com/integrator-oss/integrator/internal/connector"
	"github.com/integrator-oss/integrator/internal/daemon"
	"github.com/integrator-oss/integrator/internal/jobs"
	"github.com/integrator-oss/integrator/internal/store"
)

//go:embed templates/*.html
var templateFS embed.FS

//go:embed static
var staticFS embed.FS

// Services are what the console needs of the daemon; *daemon.App is one.
type Services interface {
	Status(ctx context.Context) ([]daemon.IntegrationStatus, error)
	Enqueue(ctx context.Context, req jobs.RunRequest) (int64, error)
	IntegrationGetView(ctx context.Context, name string) (*daemon.IntegrationView, error)
	IntegrationCreate(ctx context.Context, doc map[string]any) (*daemon.IntegrationView, error)
	IntegrationPatch(ctx context.Context, name string, patch map[string]any) (*daemon.IntegrationView, error)
	IntegrationDelete(ctx context.Context, name string) error
	IntegrationSetEnabled(ctx context.Context, name string, enabled bool) (*daemon.IntegrationView, error)
	Check(ctx context.Context, name string) error
	PreviewSettings(ctx context.Context, name string, patch map[string]any) (*daemon.Preview, error)
	ConfirmHeld(ctx context.Context, name string) (int64, error)
	Troubleshoot(ctx context.Context, name string, probe bool) ([]daemon.Finding, error)
	Explain(ctx context.Context, name, q string) ([]daemon.Explanation, string, error)
	Registry() connector.Registry
	Unloadable() map[string]string
}

// Console is the console's HTTP handler.
type Console struct {
	svc    Services
	st     store.Reader
	auth   *auth.Service
	logger *slog.Logger
	pages  map[string]*template.Template
	mux    *http.ServeMux
}

// New builds the console.
func New(st store.Reader, svc Services, a *auth.Service, logger *slog.Logger) (*Console, error) {
	c := &Console{svc: svc, st: st, auth: a, logger: logger, mux: http.NewServeMux(), pages: map[string]*template.Template{}}
	names, err := fs.Glob(templateFS, "templates/*.html")
	if err != nil {
		return nil, err
	}
	for _, n := range names {
		base := strings.TrimSuffix(strings.TrimPrefix(n, "templates/"), ".html")
		if base == "layout" {
			continue
		}
		t, err := template.New("layout.html").Funcs(funcs).ParseFS(templateFS, "templates/layout.html", n)
		if err != nil {
			return nil, fmt.Errorf("parsing console template %s: %w", n, err)
		}
		c.pages[base] = t
	}
	static, _ := fs.Sub(staticFS, "static")
	c.mux.Handle("GET /static/", http.StripPrefix("/static/", cacheFor(http.FileServerFS(static))))
	c.mux.HandleFunc("GET /login", c.loginPage)
	c.mux.HandleFunc("POST /login", c.loginSubmit)
	c.mux.HandleFunc("GET /setup", c.setupPage)
	c.mux.HandleFunc("POST /setup", c.setupSubmit)
	c.mux.Handle("POST /logout", c.session(c.logout))
	c.mux.Handle("GET /{$}", c.session(func(w http.ResponseWriter, r *http.Request) {
		http.Redirect(w, r, "/integrations", http.StatusSeeOther)
	}))
	c.mux.Handle("GET /integrations", c.session(c.integrations))
	c.mux.Handle("GET /integrations/new", c.session(c.newIntegration))
	c.mux.Handle("POST /integrations/new", c.session(c.createIntegration))
	c.mux.Handle("GET /integrations/{name}", c.session(c.integration))
	c.mux.Handle("POST /integrations/{name}/imports", c.session(c.saveImports))
	c.mux.Handle("POST /integrations/{name}/preview", c.session(c.preview))
	c.mux.Handle("POST /integrations/{name}/connection", c.session(c.saveConnection))
	c.mux.Handle("POST /integrations/{name}/action", c.session(c.action))
	c.mux.Handle("GET /runs", c.session(c.runs))
	c.mux.Handle("GET /runs/{id}", c.session(c.run))
	c.mux.Handle("GET /directory/{kind}", c.session(c.directory))
	c.mux.Handle("GET /directory/{kind}/{id}", c.session(c.entity))
	c.mux.Handle("GET /review", c.session(c.review))
	c.mux.Handle("POST /review/{id}", c.session(c.reviewDecide))
	c.mux.Handle("GET /audit", c.session(c.audit))
	c.mux.Handle("GET /tokens", c.session(c.tokens))
	c.mux.Handle("POST /tokens", c.session(c.tokenCreate))
	c.mux.Handle("POST /tokens/{id}/revoke", c.session(c.tokenRevoke))
	return c, nil
}

// ServeHTTP implements http.Handler.
func (c *Console) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	h := w.Header()
	h.Set("Content-Security-Policy", "default-src 'self'; img-src 'self' data:; style-src 'self'; script-src 'self'; frame-ancestors 'none'; form-action 'self'")
	h.Set("X-Content-Type-Options", "nosniff")
	h.Set("Referrer-Policy", "same-origin")
	c.mux.ServeHTTP(w, r)
}

func cacheFor(h http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Cache-Control", "public, max-age=300")
		h.ServeHTTP(w, r)
	})
}

// session requires a console session; without one it sends the browser
// to the login page, and back afterwards.
func (c *Console) session(h http.HandlerFunc) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.Header.Get("Authorization") != "" {
			http.Error(w, "the console needs a session; API tokens are for /api/v1", http.StatusUnauthorized)
			return
		}
		p, err := c.auth.Authenticate(r)
		if err != nil {
			if !errors.Is(err, auth.ErrUnauthenticated) {
				c.fail(w, r, err)
				return
			}
			http.Redirect(w, r, "/login?next="+url.QueryEscape(r.URL.RequestURI()), http.StatusSeeOther)
			return
		}
		h(w, r.WithContext(auth.WithPrincipal(r.Context(), p)))
	})
}

// page is what every template gets.
type page struct {
	Title string
	// Nav is the section the page belongs to, for the navigation.
	Nav   string
	User  string
	Flash string
	Error string
	Data  any
}

func (c *Console) render(w http.ResponseWriter, r *http.Request, name string, status int, p page) {
	t, ok := c.pages[name]
	if !ok {
		http.Error(w, "no page "+name, http.StatusInternalServerError)
		return
	}
	if pr := auth.From(r.Context()); pr != nil {
		p.User = pr.Username
	}
	if p.Flash == "" {
		p.Flash = r.URL.Query().Get("flash")
	}
	var b strings.Builder
	if err := t.Execute(&b, p); err != nil {
		c.logger.Error("rendering console page", "page", name, "err", err)
		http.Error(w, "rendering the page failed", http.StatusInternalServerError)
		return
	}
	w.Header().Set("Content-Type", "text/html; charset=utf-8")
	w.WriteHeader(status)
	w.Write([]byte(b.String()))
}

// fail renders an error page for err.
func (c *Console) fail(w http.ResponseWriter, r *http.Request, err error) {
	status := http.StatusInternalServerError
	switch {
	case errors.Is(err, store.ErrNotFound):
		status = http.StatusNotFound
	case errors.Is(err, store.ErrConflict), errors.Is(err, daemon.ErrReadOnly), errors.Is(err, jobs.ErrAlreadyRunning):
		status = http.StatusConflict
	default:
		c.logger.Error("console request failed", "path", r.URL.Path, "err", err)
	}
	c.render(w, r, "error", status, page{Title: http.StatusText(status), Error: err.Error()})
}

func redirectFlash(w http.ResponseWriter, r *http.Request, path, flash string) {
	sep := "?"
	if strings.Contains(path, "?") {
		sep = "&"
	}
	http.Redirect(w, r, path+sep+"flash="+url.QueryEscape(flash), http.StatusSeeOther)
}
