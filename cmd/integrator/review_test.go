package main_test

import (
	"context"
	"path/filepath"
	"regexp"
	"strconv"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/integrator-oss/integrator/internal/emulator/graph"
	"github.com/integrator-oss/integrator/internal/record"
	"github.com/integrator-oss/integrator/internal/store"
	"github.com/integrator-oss/integrator/internal/store/sqlite"
)

// Two people created by hand share the mail address of a directory user:
// the sync refuses to pick one, `review` shows the choice, `review link`
// makes it, and `duplicates` explains the pair.
func TestCLIReviewQueueAndDuplicates(t *testing.T) {
	t.Parallel()
	e := newE2E(t, 20, graph.Options{}, allUsers+"\n    matching: [email]")
	target := e.em.Users()[3]

	st, err := sqlite.Open(t.Context(), filepath.Join(e.dir, "i.db"), nil)
	require.NoError(t, err)
	hand := []store.User{
		{Role: store.RoleUser, Active: true, DisplayName: "Hand One", UPN: "one@hand", Email: target.Mail},
		{Role: store.RoleUser, Active: true, DisplayName: "Hand Two", UPN: "two@hand", Email: target.Mail},
	}
	require.NoError(t, st.Tx(t.Context(), func(tx store.Tx) error { return tx.UserInsertMany(context.Background(), hand) }))
	require.NoError(t, st.Close())

	_, stderr, code := e.run(t, "sync", "t")
	require.Zero(t, code, stderr)

	st, err = sqlite.Open(t.Context(), filepath.Join(e.dir, "i.db"), nil)
	require.NoError(t, err)
	us, err := st.UserList(t.Context(), &store.EntityListParams{Limit: 100})
	require.NoError(t, err)
	before := len(us)
	require.NoError(t, st.Close())

	out, _, code := e.run(t, "review")
	require.Zero(t, code)
	require.Contains(t, out, "matches 2 platform users")
	require.Contains(t, out, "candidate "+strconv.FormatInt(hand[1].ID, 10)+": Hand Two")
	m := regexp.MustCompile(`#(\d+)  OPEN  user ` + regexp.QuoteMeta(target.ID)).FindStringSubmatch(out)
	require.NotNil(t, m, "item of %s in:\n%s", target.ID, out)

	out, _, code = e.run(t, "duplicates")
	require.Zero(t, code)
	require.Contains(t, out, "2 people share email")
	require.Contains(t, out, "no source: created by hand")

	_, stderr, code = e.run(t, "review", "link", m[1])
	require.NotZero(t, code)
	require.Contains(t, stderr, "--to")

	out, stderr, code = e.run(t, "review", "link", m[1], "--to", strconv.FormatInt(hand[1].ID, 10))
	require.Zero(t, code, stderr)
	require.Contains(t, out, "linked")

	_, stderr, code = e.run(t, "sync", "t", "--full")
	require.Zero(t, code, stderr)
	st, err = sqlite.Open(t.Context(), filepath.Join(e.dir, "i.db"), nil)
	require.NoError(t, err)
	defer st.Close()
	links, err := st.LinkListByEntity(t.Context(), record.KindUser, hand[1].ID)
	require.NoError(t, err)
	require.Len(t, links, 1)
	require.Equal(t, target.ID, links[0].ExternalID)
	require.Equal(t, store.MatchedOperator, links[0].MatchedBy)
	us, err = st.UserList(t.Context(), &store.EntityListParams{Limit: 100})
	require.NoError(t, err)
	require.Len(t, us, before, "linked to the chosen person: no one created")
	u, err := st.UserGet(t.Context(), hand[1].ID)
	require.NoError(t, err)
	require.Equal(t, target.UserPrincipalName, u.UPN, "the directory now writes the person it was linked to")
}
