package main

import (
	"encoding/json"
	"fmt"
	"strconv"
	"strings"

	"github.com/spf13/cobra"

	"github.com/integrator-oss/integrator/internal/daemon"
	"github.com/integrator-oss/integrator/internal/record"
	"github.com/integrator-oss/integrator/internal/review"
	"github.com/integrator-oss/integrator/internal/store"
)

// openApp opens the configured store for a one-off command.
func openApp(cmd *cobra.Command, g *globals) (*daemon.App, error) {
	cfg, err := g.load()
	if err != nil {
		return nil, err
	}
	return daemon.Open(cmd.Context(), cfg, g.logger(cfg), daemon.Options{})
}

func newReview(g *globals) *cobra.Command {
	var all, asJSON bool
	c := &cobra.Command{
		Use:   "review",
		Short: "List the source objects waiting for an operator: ambiguous matches that created or merged nothing",
		Long: `review lists the review queue: source records that matched several platform
people, or a person another record of the same integration already holds.
Nothing was created or merged for them. Decide each with
  integrator review link ITEM --to USER_ID   apply the record to that person
  integrator review create ITEM              create a new person for it
  integrator review ignore ITEM              leave the record alone
The next run of the integration carries the decision out.`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			app, err := openApp(cmd, g)
			if err != nil {
				return err
			}
			defer app.Close()
			p := &store.ReviewListParams{Status: store.ReviewOpen, Limit: 1000}
			if all {
				p.Status = ""
			}
			items, err := app.Store.ReviewList(cmd.Context(), p)
			if err != nil {
				return err
			}
			names, err := integrationNames(cmd, app)
			if err != nil {
				return err
			}
			if asJSON {
				enc := json.NewEncoder(g.stdout)
				enc.SetIndent("", "  ")
				return enc.Encode(items)
			}
			if len(items) == 0 {
				fmt.Fprintln(g.stdout, "The review queue is empty.")
				return nil
			}
			for _, it := range items {
				fmt.Fprintf(g.stdout, "#%d  %s  %s %s of %s — %s\n", it.ID, strings.ToUpper(it.Status), it.Kind, it.ExternalID, names[it.IntegrationID], it.Reason)
				for _, id := range it.Candidates {
					fmt.Fprintf(g.stdout, "      candidate %d: %s\n", id, describeCandidate(cmd, app, it.Kind, id))
				}
			}
			return nil
		},
	}
	c.Flags().BoolVar(&all, "all", false, "include decided items")
	c.Flags().BoolVar(&asJSON, "json", false, "print JSON")

	decide := func(use, short, action string) *cobra.Command {
		var to int64
		var by string
		dc := &cobra.Command{
			Use:   use + " ITEM",
			Short: short,
			Args:  cobra.ExactArgs(1),
			RunE: func(cmd *cobra.Command, args []string) error {
				id, err := strconv.ParseInt(strings.TrimPrefix(args[0], "#"), 10, 64)
				if err != nil {
					return fmt.Errorf("ITEM: %q is not a review item number", args[0])
				}
				if action == store.ReviewLinked && to == 0 {
					return fmt.Errorf("--to: name the platform user to link to (one of the candidates `integrator review` lists)")
				}
				app, err := openApp(cmd, g)
				if err != nil {
					return err
				}
				defer app.Close()
				it, err := review.Decide(cmd.Context(), app.Store, review.Decision{ItemID: id, Action: action, EntityID: to, By: by})
				if err != nil {
					return err
				}
				fmt.Fprintf(g.stdout, "Review item #%d: %s. The next run of the integration applies it.\n", it.ID, it.Status)
				return nil
			},
		}
		dc.Flags().StringVar(&by, "by", "operator", "who decides, for the audit trail")
		if action == store.ReviewLinked {
			dc.Flags().Int64Var(&to, "to", 0, "platform user ID to link the source record to")
		}
		return dc
	}
	c.AddCommand(
		decide("link", "Apply a source record to the platform person you choose", store.ReviewLinked),
		decide("create", "Create a new platform person for a source record", store.ReviewCreated),
		decide("ignore", "Leave a source record alone in future runs", store.ReviewIgnored),
	)
	return c
}

// describeCandidate says who or what a review candidate is.
func describeCandidate(cmd *cobra.Command, app *daemon.App, kind record.Kind, id int64) string {
	if kind == record.KindAsset {
		a, err := app.Store.AssetGet(cmd.Context(), id)
		if err != nil {
			return err.Error()
		}
		return fmt.Sprintf("%s serial %s, MACs %s", a.Name, a.Serial, strings.Join(a.MACs, " "))
	}
	u, err := app.Store.UserGet(cmd.Context(), id)
	if err != nil {
		return err.Error()
	}
	return fmt.Sprintf("%s <%s> upn %s", u.DisplayName, u.Email, u.UPN)
}

func integrationNames(cmd *cobra.Command, app *daemon.App) (map[int64]string, error) {
	ins, err := app.Store.IntegrationList(cmd.Context())
	if err != nil {
		return nil, err
	}
	m := make(map[int64]string, len(ins))
	for _, in := range ins {
		m[in.ID] = in.Name
	}
	return m, nil
}

func newDuplicates(g *globals) *cobra.Command {
	var asJSON bool
	var limit int
	c := &cobra.Command{
		Use:   "duplicates",
		Short: "List active platform people that look like one person, and why",
		Long: `duplicates reports active users and agents that share a key meant to be
unique — immutable ID, UPN, email, employee ID — or, weaker, a display name,
with the sources that link each. Typical causes: two integrations whose
matching rules do not overlap, or a person created by hand before the
source linked it. Fix with the matching order, or link by hand.`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			app, err := openApp(cmd, g)
			if err != nil {
				return err
			}
			defer app.Close()
			sets, err := app.Store.UserDuplicates(cmd.Context(), limit)
			if err != nil {
				return err
			}
			if asJSON {
				enc := json.NewEncoder(g.stdout)
				enc.SetIndent("", "  ")
				return enc.Encode(sets)
			}
			if len(sets) == 0 {
				fmt.Fprintln(g.stdout, "No likely duplicates among active people.")
				return nil
			}
			names, err := integrationNames(cmd, app)
			if err != nil {
				return err
			}
			for _, s := range sets {
				fmt.Fprintf(g.stdout, "%d people share %s %q\n", len(s.UserIDs), strings.ReplaceAll(s.Key, "_", " "), s.Value)
				for _, id := range s.UserIDs {
					u, err := app.Store.UserGet(cmd.Context(), id)
					if err != nil {
						return err
					}
					links, err := app.Store.LinkListByEntity(cmd.Context(), record.KindUser, id)
					if err != nil {
						return err
					}
					var from []string
					for _, l := range links {
						from = append(from, fmt.Sprintf("%s (%s, matched by %s)", names[l.IntegrationID], l.ExternalID, l.MatchedBy))
					}
					if len(from) == 0 {
						from = []string{"no source: created by hand"}
					}
					fmt.Fprintf(g.stdout, "  user %d %s <%s>: %s\n", u.ID, u.DisplayName, u.Email, strings.Join(from, "; "))
				}
			}
			return nil
		},
	}
	c.Flags().BoolVar(&asJSON, "json", false, "print JSON")
	c.Flags().IntVar(&limit, "limit", 100, "at most this many sets")
	return c
}
