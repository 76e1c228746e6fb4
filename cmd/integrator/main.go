// Command integrator keeps an ITSM platform's directory in step with the
// systems an organisation runs: see `integrator --help`.
package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"os"
	"os/signal"
	"syscall"

	"github.com/spf13/cobra"

	"github.com/integrator-oss/integrator/internal/config"
	"github.com/integrator-oss/integrator/internal/connector/all"
)

// exitError carries an exit code without printing anything more.
type exitError struct{ code int }

func (e exitError) Error() string { return fmt.Sprintf("exit %d", e.code) }

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	err := newRoot(os.Stdout, os.Stderr).ExecuteContext(ctx)
	stop()
	var ee exitError
	switch {
	case errors.As(err, &ee):
		os.Exit(ee.code)
	case err != nil:
		fmt.Fprintln(os.Stderr, "error:", err)
		os.Exit(1)
	}
}

// globals are the flags every command shares.
type globals struct {
	configPath string
	logLevel   string
	stdout     io.Writer
	stderr     io.Writer
}

func newRoot(stdout, stderr io.Writer) *cobra.Command {
	g := &globals{stdout: stdout, stderr: stderr}
	root := &cobra.Command{
		Use:           "integrator",
		Short:         "Keep a platform directory in step with Entra ID and the other systems an organisation runs",
		SilenceUsage:  true,
		SilenceErrors: true,
	}
	root.SetOut(stdout)
	root.SetErr(stderr)
	def := os.Getenv("INTEGRATOR_CONFIG")
	if def == "" {
		def = "integrator.yaml"
	}
	root.PersistentFlags().StringVarP(&g.configPath, "config", "c", def, "configuration file (env INTEGRATOR_CONFIG)")
	root.PersistentFlags().StringVar(&g.logLevel, "log-level", "", "log level: debug, info, warn, error (default: the config's, else info)")
	root.AddCommand(newServe(g), newSync(g), newStatus(g), newValidate(g), newDemo(g), newConnectors(g), newBench(g), newCheck(g), newReview(g), newDuplicates(g), newMigrateStore(g))
	return root
}

// load reads and validates the configuration. A bad configuration is
// printed as it is — one line per problem, with file, line and field — and
// ends the command with exit code 1.
func (g *globals) load() (*config.Config, error) {
	cfg, err := config.Load(g.configPath, all.Registry())
	if err != nil {
		fmt.Fprintln(g.stderr, err)
		return nil, exitError{code: 1}
	}
	return cfg, nil
}

// logger builds the process logger from the config and flags.
func (g *globals) logger(cfg *config.Config) *slog.Logger {
	level := "info"
	format := "text"
	if cfg != nil {
		level = cmpOr(cfg.Log.Level, level)
		format = cmpOr(cfg.Log.Format, format)
	}
	level = cmpOr(g.logLevel, level)
	var l slog.Level
	if err := l.UnmarshalText([]byte(level)); err != nil {
		l = slog.LevelInfo
	}
	opts := &slog.HandlerOptions{Level: l}
	if format == "json" {
		return slog.New(slog.NewJSONHandler(g.stderr, opts))
	}
	return slog.New(slog.NewTextHandler(g.stderr, opts))
}

func cmpOr(s, d string) string {
	if s == "" {
		return d
	}
	return s
}
