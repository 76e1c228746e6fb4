package main

import (
	"context"
	"crypto/tls"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"strings"
	"time"

	"github.com/spf13/cobra"

	"github.com/integrator-oss/integrator/internal/auth"
	"github.com/integrator-oss/integrator/internal/config"
	"github.com/integrator-oss/integrator/internal/daemon"
	"github.com/integrator-oss/integrator/internal/engine"
	"github.com/integrator-oss/integrator/internal/metrics"
	"github.com/integrator-oss/integrator/internal/web"
)

// shutdownGrace is how long a running sync gets to finish its batch after
// SIGINT/SIGTERM before its context is cancelled.
const shutdownGrace = 30 * time.Second

func newServe(g *globals) *cobra.Command {
	return &cobra.Command{
		Use:   "serve",
		Short: "Run the daemon: schedules, runs, the API and the console",
		Long: `Runs the schedules of every enabled integration and serves the operator console
and the REST API on "listen" (HTTPS when tls_cert_file and tls_key_file are set).

On the first start it creates the administrator "admin" and prints a one-time
setup link to choose its password, or takes the password from
INTEGRATOR_ADMIN_PASSWORD. Secrets of integrations created in the console are
sealed with the key in INTEGRATOR_SECRET_KEY, or in a key file created beside
the database.`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			cfg, err := g.load()
			if err != nil {
				return err
			}
			logger := g.logger(cfg)
			var m *metrics.Metrics
			app, err := daemon.Open(cmd.Context(), cfg, logger, daemon.Options{
				Finished: func(name string, res *engine.Result, err error) {
					if m != nil {
						m.Observe(name, res, err)
					}
				},
			})
			if err != nil {
				return err
			}
			defer app.Close()
			m = metrics.New(app, app.Store)
			return serve(cmd.Context(), app, cfg, m, func(base, setup string) {
				logger.Info("integrator serving", "console", base+"/", "api", base+"/api/v1/openapi.json",
					"integrations", len(app.Integrations()))
				if setup != "" {
					fmt.Fprintf(g.stdout, "\nFirst start: set the password of the administrator %q at\n\n  %s%s\n\nThe link works once, for %s.\n\n",
						auth.FirstAdmin, base, setup, auth.SetupTTL)
				}
			})
		},
	}
}

// serve runs the job engine, the API and the console until ctx is done,
// then shuts them down gracefully. ready gets the base URL and, on a first
// start, the one-time setup path of the first administrator.
func serve(ctx context.Context, app *daemon.App, cfg *config.Config, m *metrics.Metrics, ready func(base, setup string)) error {
	cs := app.ConsoleStore()
	if cs == nil {
		return errors.New("this store cannot keep administrators and sessions; the console needs the SQLite store")
	}
	secure := cfg.TLSCertFile != ""
	a := auth.New(cs, app.Logger(), secure)
	setup, err := a.Bootstrap(ctx)
	if err != nil {
		return fmt.Errorf("creating the first administrator: %w", err)
	}
	h, err := web.Handler(app, a, m, app.Logger())
	if err != nil {
		return err
	}
	// The job engine outlives ctx so that a signal stops it gracefully below.
	if err := app.StartJobs(context.WithoutCancel(ctx), true); err != nil {
		return err
	}
	wctx, stopWatch := context.WithCancel(ctx)
	defer stopWatch()
	go app.WatchIntegrations(wctx, 30*time.Second)

	ln, err := net.Listen("tcp", cfg.Listen)
	if err != nil {
		return fmt.Errorf("listening on %s: %w", cfg.Listen, err)
	}
	srv := &http.Server{Handler: h, ReadHeaderTimeout: 10 * time.Second, ErrorLog: slog.NewLogLogger(app.Logger().Handler(), slog.LevelWarn)}
	scheme := "http"
	if secure {
		scheme = "https"
		cert, err := tls.LoadX509KeyPair(cfg.TLSCertFile, cfg.TLSKeyFile)
		if err != nil {
			ln.Close()
			return fmt.Errorf("loading tls_cert_file and tls_key_file: %w", err)
		}
		srv.TLSConfig = &tls.Config{Certificates: []tls.Certificate{cert}, MinVersion: tls.VersionTLS12}
		ln = tls.NewListener(ln, srv.TLSConfig)
	}
	errc := make(chan error, 1)
	go func() { errc <- srv.Serve(ln) }()
	ready(scheme+"://"+browsable(ln.Addr().String()), setup)
	select {
	case <-ctx.Done():
	case err := <-errc:
		return fmt.Errorf("serving: %w", err)
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

// browsable turns a listening address into one a browser can open:
// "[::]:8080" and "0.0.0.0:8080" become "localhost:8080".
func browsable(addr string) string {
	host, port, err := net.SplitHostPort(addr)
	if err != nil {
		return addr
	}
	if host == "" || host == "::" || host == "0.0.0.0" {
		host = "localhost"
	}
	if strings.Contains(host, ":") {
		host = "[" + host + "]"
	}
	return host + ":" + port
}
