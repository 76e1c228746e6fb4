package sqlite

import (
	"context"
	"os"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/integrator-oss/integrator/internal/record"
	"github.com/integrator-oss/integrator/internal/store"
)

// TestSweepAtScale checks that the end-of-run reads stay linear at 100,000
// users: paging LinkListUnseen and RescopeList, counting, resolving
// managers. Set INTEGRATOR_HEAVY=1 to run it.
func TestSweepAtScale(t *testing.T) {
	if os.Getenv("INTEGRATOR_HEAVY") == "" {
		t.Skip("set INTEGRATOR_HEAVY=1 to run")
	}
	t.Parallel()
	ctx := t.Context()
	s, _ := openTemp(t)
	var (
		in        *store.Integration
		run1, run *store.Run
	)
	require.NoError(t, s.Tx(ctx, func(tx store.Tx) error {
		var err error
		if in, err = tx.IntegrationUpsert(ctx, &store.IntegrationUpsertParams{Name: "scale", Type: "fake"}); err != nil {
			return err
		}
		if run1, err = tx.RunStart(ctx, &store.RunStartParams{IntegrationID: in.ID, Mode: "full"}); err != nil {
			return err
		}
		run, err = tx.RunStart(ctx, &store.RunStartParams{IntegrationID: in.ID, Mode: "full"})
		return err
	}))

	const pages, perPage = 100, 1000
	start := time.Now()
	for p := range pages {
		users := make([]store.User, perPage)
		links := make([]store.Link, perPage)
		ids := make([]string, 0, perPage)
		for i := range users {
			n := p*perPage + i
			rec := newBaselineRecord(n)
			users[i] = rec.user
			links[i] = store.Link{IntegrationID: in.ID, Kind: record.KindUser, ExternalID: rec.ext,
				Status: store.LinkLinked, Data: rec.data, ManagerRef: rec.manager, LastRunID: run1.ID}
			if n%2 == 0 {
				ids = append(ids, links[i].ExternalID)
			}
		}
		require.NoError(t, s.Tx(ctx, func(tx store.Tx) error {
			if err := tx.UserInsertMany(ctx, users); err != nil {
				return err
			}
			for i := range links {
				links[i].EntityID = users[i].ID
			}
			if err := tx.LinkUpsertMany(ctx, links); err != nil {
				return err
			}
			if err := tx.RescopeAdd(ctx, run.ID, ids); err != nil {
				return err
			}
			return tx.SeenMark(ctx, &store.SeenMarkParams{RunID: run.ID, Kind: record.KindUser, ExternalIDs: ids[:len(ids)/2]})
		}))
	}
	t.Logf("loaded %d users in %v", pages*perPage, time.Since(start))

	timed := func(name string, limit time.Duration, fn func(ctx context.Context, tx store.Tx) error) {
		t.Helper()
		start := time.Now()
		require.NoError(t, s.Tx(ctx, func(tx store.Tx) error { return fn(ctx, tx) }))
		took := time.Since(start)
		t.Logf("%s: %v", name, took)
		require.Less(t, took, limit, name)
	}
	timed("LinkListUnseen pages", 10*time.Second, func(ctx context.Context, tx store.Tx) error {
		var after int64
		n := 0
		for {
			ls, err := tx.LinkListUnseen(ctx, &store.LinkListUnseenParams{IntegrationID: in.ID, Kind: record.KindUser, RunID: run.ID, AfterID: after, Limit: 500})
			if err != nil {
				return err
			}
			n += len(ls)
			if len(ls) < 500 {
				break
			}
			after = ls[len(ls)-1].ID
		}
		require.Equal(t, pages*perPage*3/4, n)
		return nil
	})
	timed("RescopeList pages", 10*time.Second, func(ctx context.Context, tx store.Tx) error {
		after, n := "", 0
		for {
			ids, err := tx.RescopeList(ctx, run.ID, after, 500)
			if err != nil {
				return err
			}
			n += len(ids)
			if len(ids) < 500 {
				break
			}
			after = ids[len(ids)-1]
		}
		require.Equal(t, pages*perPage/4, n)
		return nil
	})
	timed("UserManagersResolve", 10*time.Second, func(ctx context.Context, tx store.Tx) error {
		n, err := tx.UserManagersResolve(ctx, in.ID, run1.ID)
		require.Equal(t, pages*perPage, n)
		return err
	})
	timed("UserManagersResolve, nothing to change", 10*time.Second, func(ctx context.Context, tx store.Tx) error {
		n, err := tx.UserManagersResolve(ctx, in.ID, run1.ID)
		require.Zero(t, n)
		return err
	})
	start = time.Now()
	c, err := s.EntityCount(ctx, in.ID, record.KindUser)
	require.NoError(t, err)
	require.Equal(t, int64(pages*perPage), c.Active)
	t.Logf("EntityCount: %v", time.Since(start))
}
