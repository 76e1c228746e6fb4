// Package web composes what the daemon serves on its one address: the
// operator console, the JSON API under /api/, /healthz, /readyz and
// /metrics, all behind one cross-origin guard (auth.Protect).
package web

import (
	"context"
	"errors"
	"log/slog"
	"net/http"

	"github.com/integrator-oss/integrator/internal/api"
	"github.com/integrator-oss/integrator/internal/auth"
	"github.com/integrator-oss/integrator/internal/console"
	"github.com/integrator-oss/integrator/internal/daemon"
	"github.com/integrator-oss/integrator/internal/metrics"
)

// Handler builds the daemon's HTTP handler. m may be nil (no /metrics).
func Handler(app *daemon.App, a *auth.Service, m *metrics.Metrics, logger *slog.Logger) (http.Handler, error) {
	opts := []api.Option{api.WithAuth(a), api.WithReady(func(context.Context) error {
		if !app.JobsStarted() {
			return errors.New("the job engine is not started")
		}
		return nil
	})}
	if m != nil {
		opts = append(opts, api.WithMetrics(m.Handler()))
	}
	apiSrv := api.New(app.Store, app, logger, opts...)
	con, err := console.New(app.Store, app, a, logger)
	if err != nil {
		return nil, err
	}
	mux := http.NewServeMux()
	for _, p := range []string{"/api/", "/healthz", "/readyz", "/metrics"} {
		mux.Handle(p, apiSrv)
	}
	mux.Handle("/", con)
	return auth.Protect(mux), nil
}
