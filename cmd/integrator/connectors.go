package main

import (
	"fmt"
	"slices"

	"github.com/spf13/cobra"

	"github.com/integrator-oss/integrator/internal/connector/all"
)

func newConnectors(g *globals) *cobra.Command {
	c := &cobra.Command{Use: "connectors", Short: "List connector types, print their sample configuration or documentation"}
	c.AddCommand(&cobra.Command{
		Use: "list", Short: "List connector types", Args: cobra.NoArgs,
		RunE: func(*cobra.Command, []string) error {
			reg := all.Registry()
			names := make([]string, 0, len(reg))
			for n := range reg {
				names = append(names, n)
			}
			slices.Sort(names)
			for _, n := range names {
				fmt.Fprintf(g.stdout, "%-12s %v\n", n, reg[n].Kinds)
			}
			return nil
		},
	}, &cobra.Command{
		Use: "sample TYPE", Short: "Print a connector's sample configuration", Args: cobra.ExactArgs(1),
		RunE: func(_ *cobra.Command, args []string) error {
			t, ok := all.Registry()[args[0]]
			if !ok {
				return fmt.Errorf("unknown connector type %q (see: integrator connectors list)", args[0])
			}
			fmt.Fprint(g.stdout, t.Sample)
			return nil
		},
	}, &cobra.Command{
		Use: "doc TYPE", Short: "Print a connector's documentation", Args: cobra.ExactArgs(1),
		RunE: func(_ *cobra.Command, args []string) error {
			t, ok := all.Registry()[args[0]]
			if !ok {
				return fmt.Errorf("unknown connector type %q (see: integrator connectors list)", args[0])
			}
			fmt.Fprint(g.stdout, t.Doc)
			return nil
		},
	})
	return c
}
