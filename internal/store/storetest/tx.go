package storetest

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/integrator-oss/integrator/internal/record"
	"github.com/integrator-oss/integrator/internal/store"
)

var errSentinel = errors.New("sentinel from the transaction function")

func testTxRollback(t *testing.T, s store.Store) {
	ctx := t.Context()
	kept := newIntegration(t, s, "kept")
	err := s.Tx(ctx, func(tx store.Tx) error {
		in, err := tx.IntegrationUpsert(ctx, &store.IntegrationUpsertParams{Name: "rolled-back", Type: "fake"})
		if err != nil {
			return err
		}
		users := []store.User{user("ghost")}
		if err := tx.UserInsertMany(ctx, users); err != nil {
			return err
		}
		if err := tx.LinkUpsertMany(ctx, []store.Link{link(in.ID, record.KindUser, "ghost", users[0].ID)}); err != nil {
			return err
		}
		run, err := tx.RunStart(ctx, &store.RunStartParams{IntegrationID: kept.ID, Mode: "full", At: baseTime})
		if err != nil {
			return err
		}
		if err := tx.CursorSet(ctx, &store.CursorSetParams{IntegrationID: kept.ID, Value: "c", RunID: run.ID, Full: true, At: baseTime}); err != nil {
			return err
		}
		return fmt.Errorf("wrapped: %w", errSentinel)
	})
	require.ErrorIs(t, err, errSentinel)
	require.Equal(t, "wrapped: "+errSentinel.Error(), err.Error(), "the function's error is returned unchanged")

	// The returned error is the very value fn returned.
	err = s.Tx(ctx, func(store.Tx) error { return errSentinel })
	require.Same(t, errSentinel, err)

	_, err = s.IntegrationGet(ctx, "rolled-back")
	require.ErrorIs(t, err, store.ErrNotFound)
	users, err := s.UserList(ctx, &store.EntityListParams{})
	require.NoError(t, err)
	require.Empty(t, users)
	runs, err := s.RunList(ctx, &store.RunListParams{})
	require.NoError(t, err)
	require.Empty(t, runs)
	c, err := s.CursorGet(ctx, kept.ID)
	require.NoError(t, err)
	require.Equal(t, store.Cursor{}, c)

	// The store is usable after a rollback.
	newUsers(t, s, user("after"))
	users, err = s.UserList(ctx, &store.EntityListParams{})
	require.NoError(t, err)
	require.Len(t, users, 1)
}

func testTxPanic(t *testing.T, s store.Store) {
	ctx := t.Context()
	require.Panics(t, func() {
		_ = s.Tx(ctx, func(tx store.Tx) error {
			if err := tx.UserInsertMany(ctx, []store.User{user("panicked")}); err != nil {
				return err
			}
			panic("boom")
		})
	})
	users, err := s.UserList(ctx, &store.EntityListParams{})
	require.NoError(t, err)
	require.Empty(t, users, "a panicking transaction is rolled back")
	newUsers(t, s, user("after"))
}

func testTxCancel(t *testing.T, s store.Store) {
	ctx, cancel := context.WithCancel(t.Context())
	err := s.Tx(ctx, func(tx store.Tx) error {
		if err := tx.UserInsertMany(ctx, []store.User{user("cancelled")}); err != nil {
			return err
		}
		cancel()
		return tx.UserInsertMany(ctx, []store.User{user("after cancel")})
	})
	require.ErrorIs(t, err, context.Canceled)

	users, err := s.UserList(t.Context(), &store.EntityListParams{})
	require.NoError(t, err)
	require.Empty(t, users, "a cancelled transaction is rolled back")
	// The store is usable afterwards.
	newUsers(t, s, user("next"))
	users, err = s.UserList(t.Context(), &store.EntityListParams{})
	require.NoError(t, err)
	require.Len(t, users, 1)
}

func testTimeZones(t *testing.T, s store.Store) {
	ctx := t.Context()
	kolkata := time.FixedZone("IST", 5*3600+1800)
	losAngeles := time.FixedZone("PDT", -7*3600)
	started := time.Date(2026, 7, 1, 23, 45, 12, 123456000, kolkata) // 18:15:12 UTC
	finished := time.Date(2026, 7, 1, 11, 50, 0, 999999000, losAngeles)

	in := newIntegration(t, s, "contoso")
	var runID int64
	inTx(t, s, func(ctx context.Context, tx store.Tx) error {
		run, err := tx.RunStart(ctx, &store.RunStartParams{IntegrationID: in.ID, Mode: "full", At: started})
		if err != nil {
			return err
		}
		runID = run.ID
		if err := tx.RunFinish(ctx, &store.RunFinishParams{ID: run.ID, Status: store.RunSucceeded, At: finished}); err != nil {
			return err
		}
		if err := tx.CursorSet(ctx, &store.CursorSetParams{IntegrationID: in.ID, Value: "v", RunID: run.ID, Full: true, At: finished}); err != nil {
			return err
		}
		u := user("tz")
		u.Active, u.DeactivatedAt = false, started
		if err := tx.UserInsertMany(ctx, []store.User{u}); err != nil {
			return err
		}
		return tx.AuditInsertMany(ctx, []store.AuditEvent{{At: started, RunID: run.ID, IntegrationID: in.ID, Kind: record.KindUser, EntityID: u.ID, Action: store.ActionCreated}})
	})

	run, err := s.RunGet(ctx, runID)
	require.NoError(t, err)
	require.True(t, run.StartedAt.Equal(started), "started %v, want %v", run.StartedAt, started)
	require.True(t, run.FinishedAt.Equal(finished), "finished %v, want %v", run.FinishedAt, finished)
	c, err := s.CursorGet(ctx, in.ID)
	require.NoError(t, err)
	require.True(t, c.LastFullAt.Equal(finished))
	users, err := s.UserList(ctx, &store.EntityListParams{})
	require.NoError(t, err)
	require.Len(t, users, 1)
	require.True(t, users[0].DeactivatedAt.Equal(started))
	events, err := s.AuditList(ctx, &store.AuditListParams{})
	require.NoError(t, err)
	require.Len(t, events, 1)
	require.True(t, events[0].At.Equal(started))

	// Filters compare instants, not wall clocks: the run started at
	// 18:15:12Z (23:45 in Kolkata), before 11:20 in Los Angeles (18:20Z).
	justAfter := time.Date(2026, 7, 1, 11, 20, 0, 0, losAngeles)
	runs, err := s.RunList(ctx, &store.RunListParams{Since: justAfter})
	require.NoError(t, err)
	require.Empty(t, runs)
	runs, err = s.RunList(ctx, &store.RunListParams{Since: started.In(losAngeles)})
	require.NoError(t, err)
	require.Len(t, runs, 1)
	events, err = s.AuditList(ctx, &store.AuditListParams{Until: started.Add(time.Microsecond).In(kolkata), Since: started.UTC()})
	require.NoError(t, err)
	require.Len(t, events, 1)
}

func testConcurrentTx(t *testing.T, s store.Store) {
	ctx := t.Context()
	in := newIntegration(t, s, "contoso")
	run := newRun(t, s, in.ID)
	const workers, perWorker = 6, 15
	var wg sync.WaitGroup
	errs := make(chan error, 2*workers*perWorker)
	for w := range workers {
		wg.Go(func() {
			for i := range perWorker {
				err := s.Tx(ctx, func(tx store.Tx) error {
					users := []store.User{user(fmt.Sprintf("w%d-%d", w, i))}
					if err := tx.UserInsertMany(ctx, users); err != nil {
						return err
					}
					if err := tx.LinkUpsertMany(ctx, []store.Link{link(in.ID, record.KindUser, users[0].DisplayName, users[0].ID)}); err != nil {
						return err
					}
					return tx.AuditInsertMany(ctx, []store.AuditEvent{{RunID: run.ID, IntegrationID: in.ID,
						Kind: record.KindUser, EntityID: users[0].ID, Action: store.ActionCreated}})
				})
				if err != nil {
					errs <- err
				}
				// Reads outside transactions run alongside the writers.
				if _, err := s.UserList(ctx, &store.EntityListParams{Limit: 5}); err != nil {
					errs <- err
				}
			}
		})
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		require.NoError(t, err)
	}
	const total = workers * perWorker
	users, err := s.UserList(ctx, &store.EntityListParams{})
	require.NoError(t, err)
	require.Len(t, users, total)
	c, err := s.EntityCount(ctx, in.ID, record.KindUser)
	require.NoError(t, err)
	require.Equal(t, int64(total), c.Active, "every link landed, on its own user")
	events, err := s.AuditList(ctx, &store.AuditListParams{RunID: run.ID})
	require.NoError(t, err)
	require.Len(t, events, total)
	seen := map[int64]bool{}
	for _, e := range events {
		require.False(t, seen[e.ID], "audit IDs must be distinct")
		seen[e.ID] = true
	}
}
