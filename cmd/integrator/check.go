package main

import (
	"fmt"

	"github.com/spf13/cobra"

	"github.com/integrator-oss/integrator/internal/connector"
)

func newCheck(g *globals) *cobra.Command {
	return &cobra.Command{
		Use:   "check NAME",
		Short: "Test an integration's connection and credentials with one light request",
		Args:  cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			cfg, err := g.load()
			if err != nil {
				return err
			}
			in, ok := cfg.Integration(args[0])
			if !ok {
				return fmt.Errorf("no integration named %q in %s", args[0], cfg.Path)
			}
			src, err := in.Connector.Open(in.Settings.Name, g.logger(cfg))
			if err != nil {
				return fmt.Errorf("opening connector: %w", err)
			}
			if c, ok := src.(connector.Closer); ok {
				defer c.Close()
			}
			ch, ok := src.(connector.Checker)
			if !ok {
				return fmt.Errorf("the %s connector has no connection check", in.Settings.Type)
			}
			if err := ch.Check(cmd.Context()); err != nil {
				return fmt.Errorf("%s: %w", args[0], err)
			}
			fmt.Fprintf(g.stdout, "%s: connection and credentials OK\n", args[0])
			return nil
		},
	}
}
