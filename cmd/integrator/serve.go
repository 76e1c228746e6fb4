package main

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/http"
	"time"

	"github.com/spf13/cobra"

	"github.com/integrator-oss/integrator/internal/api"
	"github.com/integrator-oss/integrator/internal/daemon"
)

// shutdownGrace is how long a running sync gets to finish its batch after
// SIGINT/SIGTERM before its context is cancelled.
const shutdownGrace = 30 * time.Second

func newServe(g *globals) *cobra.Command {
	return &cobra.Command{
		Use:   "serve",
		Short: "Run the daemon: schedules, runs and the API",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			cfg, err := g.load()
			if err != nil {
				return err
			}
			logger := g.logger(cfg)
			app, err := daemon.Open(cmd.Context(), cfg, logger, daemon.Options{})
			if err != nil {
				return err
			}
			defer app.Close()
			return serve(cmd.Context(), app, cfg.Listen, func(addr string) {
				logger.Info("integrator serving", "api", "http://"+addr+"/api/v1/integrations", "integrations", len(cfg.Integrations))
			})
		},
	}
}

// serve runs the job engine and the API until ctx is done, then shuts
// both down gracefully.
func serve(ctx context.Context, app *daemon.App, listen string, ready func(addr string)) error {
	// The job engine outlives ctx so that a signal stops it gracefully below.
	if err := app.StartJobs(context.WithoutCancel(ctx), true); err != nil {
		return err
	}
	ln, err := net.Listen("tcp", listen)
	if err != nil {
		return fmt.Errorf("listening on %s: %w", listen, err)
	}
	srv := &http.Server{Handler: api.New(app.Store, app, app.Logger()), ReadHeaderTimeout: 10 * time.Second}
	errc := make(chan error, 1)
	go func() { errc <- srv.Serve(ln) }()
	ready(ln.Addr().String())
	select {
	case <-ctx.Done():
	case err := <-errc:
		return fmt.Errorf("serving API: %w", err)
	}
	sctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), shutdownGrace)
	defer cancel()
	jerr := app.StopJobs(sctx)
	herr := srv.Shutdown(sctx)
	if errors.Is(herr, http.ErrServerClosed) {
		herr = nil
	}
	return errors.Join(jerr, herr)
}
