package sqlite

import (
	"context"
	"errors"
	"path/filepath"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
	"go.uber.org/goleak"

	"github.com/integrator-oss/integrator/internal/record"
	"github.com/integrator-oss/integrator/internal/store"
	"github.com/integrator-oss/integrator/internal/store/storetest"
)

func TestMain(m *testing.M) {
	goleak.VerifyTestMain(m)
}

func openTemp(t *testing.T) (*Store, string) {
	t.Helper()
	path := filepath.Join(t.TempDir(), "integrator.db")
	s, err := Open(t.Context(), path, nil)
	require.NoError(t, err)
	t.Cleanup(func() { require.NoError(t, s.Close()) })
	return s, path
}

func TestConformanceFile(t *testing.T) {
	t.Parallel()
	storetest.RunTests(t, func(t *testing.T) store.Store {
		s, _ := openTemp(t)
		return s
	})
}

func TestConformanceMemory(t *testing.T) {
	t.Parallel()
	storetest.RunTests(t, func(t *testing.T) store.Store {
		s, err := Open(t.Context(), ":memory:", nil)
		require.NoError(t, err)
		t.Cleanup(func() { require.NoError(t, s.Close()) })
		return s
	})
}

func TestMemoryStoresAreSeparate(t *testing.T) {
	t.Parallel()
	ctx := t.Context()
	a, err := Open(ctx, ":memory:", nil)
	require.NoError(t, err)
	defer a.Close()
	b, err := Open(ctx, ":memory:", nil)
	require.NoError(t, err)
	defer b.Close()
	require.NoError(t, a.Tx(ctx, func(tx store.Tx) error {
		_, err := tx.IntegrationUpsert(ctx, &store.IntegrationUpsertParams{Name: "only-in-a", Type: "fake"})
		return err
	}))
	_, err = b.IntegrationGet(ctx, "only-in-a")
	require.ErrorIs(t, err, store.ErrNotFound)
	_, err = a.IntegrationGet(ctx, "only-in-a")
	require.NoError(t, err)
}

func TestMigrationsApplyOnce(t *testing.T) {
	t.Parallel()
	ctx := t.Context()
	s, path := openTemp(t)
	list, err := migrations()
	require.NoError(t, err)
	require.NotEmpty(t, list)
	v, err := s.SchemaVersion(ctx)
	require.NoError(t, err)
	require.Equal(t, list[len(list)-1].version, v)

	require.NoError(t, s.Tx(ctx, func(tx store.Tx) error {
		_, err := tx.IntegrationUpsert(ctx, &store.IntegrationUpsertParams{Name: "kept", Type: "fake"})
		return err
	}))
	// Reopening applies nothing and keeps the data.
	again, err := Open(ctx, path, nil)
	require.NoError(t, err)
	defer again.Close()
	_, err = again.IntegrationGet(ctx, "kept")
	require.NoError(t, err)
	var n int
	require.NoError(t, again.r.QueryRowContext(ctx, `SELECT COUNT(*) FROM schema_migrations`).Scan(&n))
	require.Equal(t, len(list), n)
}

func TestClose(t *testing.T) {
	t.Parallel()
	ctx := t.Context()
	s, err := Open(ctx, filepath.Join(t.TempDir(), "x.db"), nil)
	require.NoError(t, err)
	require.NoError(t, s.Close())
	require.NoError(t, s.Close(), "closing twice is fine")
	err = s.Tx(ctx, func(store.Tx) error { return nil })
	require.ErrorIs(t, err, errClosed)
	_, err = s.IntegrationList(ctx)
	require.Error(t, err)
}

func TestTxWaitsForContext(t *testing.T) {
	t.Parallel()
	ctx := t.Context()
	s, _ := openTemp(t)
	inside, release := make(chan struct{}), make(chan struct{})
	done := make(chan error, 1)
	go func() {
		done <- s.Tx(ctx, func(store.Tx) error {
			close(inside)
			<-release
			return nil
		})
	}()
	<-inside
	short, cancel := context.WithTimeout(ctx, 50*time.Millisecond)
	defer cancel()
	err := s.Tx(short, func(store.Tx) error { return nil })
	require.ErrorIs(t, err, context.DeadlineExceeded, "a Tx waiting for the writer gives up with its context")
	close(release)
	require.NoError(t, <-done)
}

// Reads outside a transaction must not wait behind a long write batch.
func TestReadsDoNotWaitForWriter(t *testing.T) {
	t.Parallel()
	for _, name := range []string{"file", "memory"} {
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			ctx := t.Context()
			var s *Store
			if name == "file" {
				s, _ = openTemp(t)
			} else {
				var err error
				s, err = Open(ctx, ":memory:", nil)
				require.NoError(t, err)
				defer s.Close()
			}
			inside, release := make(chan struct{}), make(chan struct{})
			done := make(chan error, 1)
			go func() {
				done <- s.Tx(ctx, func(tx store.Tx) error {
					if err := tx.UserInsertMany(ctx, []store.User{{DisplayName: "in flight", Active: true}}); err != nil {
						return err
					}
					close(inside)
					<-release
					return nil
				})
			}()
			<-inside
			rctx, cancel := context.WithTimeout(ctx, 2*time.Second)
			defer cancel()
			_, err := s.UserList(rctx, &store.EntityListParams{})
			require.NoError(t, err, "a read waited for the open write transaction")
			_, err = s.CursorGet(rctx, 1)
			require.NoError(t, err)
			close(release)
			require.NoError(t, <-done)
		})
	}
}

// Two stores (two processes, as far as SQLite knows) writing one file wait
// for each other instead of failing with SQLITE_BUSY.
func TestTwoStoresOneFile(t *testing.T) {
	t.Parallel()
	ctx := t.Context()
	a, path := openTemp(t)
	b, err := Open(ctx, path, nil)
	require.NoError(t, err)
	defer b.Close()

	const perStore = 40
	var wg sync.WaitGroup
	errs := make(chan error, 2*perStore)
	for _, s := range []*Store{a, b} {
		wg.Go(func() {
			for range perStore {
				errs <- s.Tx(ctx, func(tx store.Tx) error {
					// Read first, then write: the transaction must already
					// hold the write lock, or the upgrade could fail.
					if _, err := tx.UserList(ctx, &store.EntityListParams{Limit: 1}); err != nil {
						return err
					}
					return tx.UserInsertMany(ctx, []store.User{{DisplayName: "u", Active: true}})
				})
			}
		})
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		require.NoError(t, err)
	}
	users, err := a.UserList(ctx, &store.EntityListParams{})
	require.NoError(t, err)
	require.Len(t, users, 2*perStore)
}

// Transactions are serialised: a read-modify-write in one Tx never loses
// another's update.
func TestTxSerialised(t *testing.T) {
	t.Parallel()
	ctx := t.Context()
	s, _ := openTemp(t)
	var run *store.Run
	require.NoError(t, s.Tx(ctx, func(tx store.Tx) error {
		in, err := tx.IntegrationUpsert(ctx, &store.IntegrationUpsertParams{Name: "x", Type: "fake"})
		if err != nil {
			return err
		}
		run, err = tx.RunStart(ctx, &store.RunStartParams{IntegrationID: in.ID, Mode: "full"})
		return err
	}))
	const workers, perWorker = 4, 25
	var wg sync.WaitGroup
	errs := make(chan error, workers*perWorker)
	for range workers {
		wg.Go(func() {
			for range perWorker {
				errs <- s.Tx(ctx, func(tx store.Tx) error {
					cur, err := tx.RunGet(ctx, run.ID)
					if err != nil {
						return err
					}
					c := cur.Counts
					c.Fetched++
					return tx.RunProgress(ctx, run.ID, c)
				})
			}
		})
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		require.NoError(t, err)
	}
	got, err := s.RunGet(ctx, run.ID)
	require.NoError(t, err)
	require.Equal(t, int64(workers*perWorker), got.Counts.Fetched)
}

func TestIntegrationUpsertUnchangedKeepsRow(t *testing.T) {
	t.Parallel()
	ctx := t.Context()
	s, _ := openTemp(t)
	clock := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	s.now = func() time.Time { return clock }
	upsert := func(settings string) *store.Integration {
		var in *store.Integration
		require.NoError(t, s.Tx(ctx, func(tx store.Tx) error {
			var err error
			in, err = tx.IntegrationUpsert(ctx, &store.IntegrationUpsertParams{Name: "x", Type: "fake", Enabled: true, Settings: []byte(settings)})
			return err
		}))
		return in
	}
	first := upsert(`{"a":1}`)
	clock = clock.Add(time.Hour)
	same := upsert(`{"a":1}`)
	require.True(t, same.UpdatedAt.Equal(first.UpdatedAt), "an unchanged upsert must not write")
	clock = clock.Add(time.Hour)
	changed := upsert(`{"a":2}`)
	require.True(t, changed.UpdatedAt.Equal(clock))
	require.True(t, changed.CreatedAt.Equal(first.CreatedAt))
}

func TestInterpretError(t *testing.T) {
	t.Parallel()
	ctx := t.Context()
	s, _ := openTemp(t)
	require.NoError(t, s.Tx(ctx, func(tx store.Tx) error {
		_, err := tx.IntegrationUpsert(ctx, &store.IntegrationUpsertParams{Name: "x", Type: "fake"})
		return err
	}))
	tests := []struct {
		name string
		fn   func(tx *tx) error
		want error
	}{
		{"unique", func(tx *tx) error {
			_, err := tx.q.ExecContext(ctx, `INSERT INTO integrations (name, type, enabled, created_at, updated_at) VALUES ('x', 'y', 1, 0, 0)`)
			return interpretError(err)
		}, store.ErrConflict},
		{"foreign key", func(tx *tx) error {
			_, err := tx.RunStart(ctx, &store.RunStartParams{IntegrationID: 424242, Mode: "full"})
			return err
		}, store.ErrNotFound},
		{"no rows", func(tx *tx) error {
			_, err := tx.RunGet(ctx, 424242)
			return err
		}, store.ErrNotFound},
	}
	for _, tc := range tests {
		err := s.Tx(ctx, func(st store.Tx) error { return tc.fn(st.(*tx)) })
		require.ErrorIs(t, err, tc.want, tc.name)
	}
	require.NoError(t, interpretError(nil))
	other := errors.New("other")
	require.Same(t, other, interpretError(other))
}

func TestLinkDataIsReadableJSON(t *testing.T) {
	t.Parallel()
	ctx := t.Context()
	s, _ := openTemp(t)
	require.NoError(t, s.Tx(ctx, func(st store.Tx) error {
		in, err := st.IntegrationUpsert(ctx, &store.IntegrationUpsertParams{Name: "x", Type: "fake"})
		if err != nil {
			return err
		}
		return st.LinkUpsertMany(ctx, []store.Link{{
			IntegrationID: in.ID, Kind: record.KindUser, ExternalID: "a", Status: store.LinkOutOfScope,
			Data: []byte(`{"attrs":{"manager":"m"}}`),
		}})
	}))
	var manager string
	require.NoError(t, s.r.QueryRowContext(ctx, `SELECT json_extract(data, '$.attrs.manager') FROM links`).Scan(&manager))
	require.Equal(t, "m", manager)
}

func TestWriterPragmas(t *testing.T) {
	t.Parallel()
	s, _ := openTemp(t)
	ctx := t.Context()
	var mode string
	var pages, cache int
	require.NoError(t, s.wconn.QueryRowContext(ctx, "PRAGMA journal_mode").Scan(&mode))
	require.NoError(t, s.wconn.QueryRowContext(ctx, "PRAGMA wal_autocheckpoint").Scan(&pages))
	require.NoError(t, s.wconn.QueryRowContext(ctx, "PRAGMA cache_size").Scan(&cache))
	require.Equal(t, "wal", mode)
	require.Equal(t, 10000, pages)
	require.Equal(t, -32000, cache, "a bounded page cache, in KiB")
}
