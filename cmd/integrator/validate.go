package main

import (
	"fmt"

	"github.com/spf13/cobra"
)

func newValidate(g *globals) *cobra.Command {
	return &cobra.Command{
		Use:   "validate",
		Short: "Check a configuration file strictly and report every mistake with its file, line and field",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			cfg, err := g.load()
			if err != nil {
				return err
			}
			fmt.Fprintf(g.stdout, "%s: OK, %d integration(s)\n", cfg.Path, len(cfg.Integrations))
			return nil
		},
	}
}
