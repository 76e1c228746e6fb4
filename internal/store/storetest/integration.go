package storetest

import (
	"context"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/integrator-oss/integrator/internal/store"
)

func testIntegrations(t *testing.T, s store.Store) {
	ctx := t.Context()

	_, err := s.IntegrationGet(ctx, "contoso")
	require.ErrorIs(t, err, store.ErrNotFound)

	var created *store.Integration
	inTx(t, s, func(ctx context.Context, tx store.Tx) error {
		var err error
		created, err = tx.IntegrationUpsert(ctx, &store.IntegrationUpsertParams{
			Name: "contoso", Type: "entra", Enabled: true, Settings: []byte(`{"schedule":{"every":900}}`),
		})
		return err
	})
	require.NotZero(t, created.ID)
	require.Equal(t, "contoso", created.Name)
	require.Equal(t, "entra", created.Type)
	require.True(t, created.Enabled)
	require.JSONEq(t, `{"schedule":{"every":900}}`, string(created.Settings))
	require.False(t, created.CreatedAt.IsZero())
	require.False(t, created.UpdatedAt.IsZero())

	got, err := s.IntegrationGet(ctx, "contoso")
	require.NoError(t, err)
	require.Equal(t, created.ID, got.ID)
	require.Equal(t, created.Type, got.Type)
	require.JSONEq(t, string(created.Settings), string(got.Settings))
	require.True(t, got.CreatedAt.Equal(created.CreatedAt))

	// Upserting the same name updates in place.
	var updated *store.Integration
	inTx(t, s, func(ctx context.Context, tx store.Tx) error {
		var err error
		updated, err = tx.IntegrationUpsert(ctx, &store.IntegrationUpsertParams{
			Name: "contoso", Type: "entra", Enabled: false, Settings: []byte(`{"entities":["user"]}`),
		})
		return err
	})
	require.Equal(t, created.ID, updated.ID)
	require.False(t, updated.Enabled)
	require.JSONEq(t, `{"entities":["user"]}`, string(updated.Settings))
	require.True(t, updated.CreatedAt.Equal(created.CreatedAt))

	newIntegration(t, s, "acme")
	list, err := s.IntegrationList(ctx)
	require.NoError(t, err)
	require.Len(t, list, 2)
	names := []string{list[0].Name, list[1].Name}
	require.ElementsMatch(t, []string{"acme", "contoso"}, names)
	for _, in := range list {
		if in.Name == "contoso" {
			require.False(t, in.Enabled)
		}
	}

	// Reads inside a transaction see its own writes.
	inTx(t, s, func(ctx context.Context, tx store.Tx) error {
		if _, err := tx.IntegrationUpsert(ctx, &store.IntegrationUpsertParams{Name: "fabrikam", Type: "ldap"}); err != nil {
			return err
		}
		got, err := tx.IntegrationGet(ctx, "fabrikam")
		require.NoError(t, err)
		require.Equal(t, "ldap", got.Type)
		return nil
	})
}

func testCursors(t *testing.T, s store.Store) {
	ctx := t.Context()
	in := newIntegration(t, s, "contoso")
	other := newIntegration(t, s, "acme")

	c, err := s.CursorGet(ctx, in.ID)
	require.NoError(t, err)
	require.Equal(t, store.Cursor{}, c)

	run1 := newRun(t, s, in.ID)
	full := baseTime.Add(time.Hour)
	inTx(t, s, func(ctx context.Context, tx store.Tx) error {
		return tx.CursorSet(ctx, &store.CursorSetParams{IntegrationID: in.ID, Value: "delta-1", RunID: run1.ID, Full: true, At: full})
	})
	c, err = s.CursorGet(ctx, in.ID)
	require.NoError(t, err)
	require.Equal(t, "delta-1", c.Value)
	require.Equal(t, run1.ID, c.RunID)
	require.True(t, c.LastFullAt.Equal(full), "LastFullAt %v, want %v", c.LastFullAt, full)
	require.True(t, c.UpdatedAt.Equal(full))

	// A delta run moves the value but not LastFullAt.
	run2 := newRun(t, s, in.ID)
	delta := full.Add(15 * time.Minute)
	inTx(t, s, func(ctx context.Context, tx store.Tx) error {
		return tx.CursorSet(ctx, &store.CursorSetParams{IntegrationID: in.ID, Value: "delta-2", RunID: run2.ID, At: delta})
	})
	c, err = s.CursorGet(ctx, in.ID)
	require.NoError(t, err)
	require.Equal(t, "delta-2", c.Value)
	require.Equal(t, run2.ID, c.RunID)
	require.True(t, c.LastFullAt.Equal(full), "LastFullAt moved on a delta run: %v", c.LastFullAt)
	require.True(t, c.UpdatedAt.Equal(delta))

	// A first cursor from a delta run has no LastFullAt.
	run3 := newRun(t, s, other.ID)
	inTx(t, s, func(ctx context.Context, tx store.Tx) error {
		return tx.CursorSet(ctx, &store.CursorSetParams{IntegrationID: other.ID, Value: "x", RunID: run3.ID, At: delta})
	})
	c, err = s.CursorGet(ctx, other.ID)
	require.NoError(t, err)
	require.Equal(t, "x", c.Value)
	require.True(t, c.LastFullAt.IsZero())
}

func testSites(t *testing.T, s store.Store) {
	ctx := t.Context()
	var a1, a1again, a2, b1 *store.Site
	inTx(t, s, func(ctx context.Context, tx store.Tx) error {
		var err error
		if a1, err = tx.SiteEnsure(ctx, "Contoso", "London"); err != nil {
			return err
		}
		if a1again, err = tx.SiteEnsure(ctx, "Contoso", "London"); err != nil {
			return err
		}
		if a2, err = tx.SiteEnsure(ctx, "Contoso", "Paris"); err != nil {
			return err
		}
		b1, err = tx.SiteEnsure(ctx, "Fabrikam", "London")
		return err
	})
	require.NotZero(t, a1.ID)
	require.Equal(t, *a1, *a1again)
	require.Equal(t, "Contoso", a1.ClientName)
	require.Equal(t, "London", a1.Name)
	require.Equal(t, a1.ClientID, a2.ClientID)
	require.NotEqual(t, a1.ID, a2.ID)
	require.NotEqual(t, a1.ClientID, b1.ClientID)
	require.NotEqual(t, a1.ID, b1.ID)

	// Idempotent across transactions too.
	inTx(t, s, func(ctx context.Context, tx store.Tx) error {
		again, err := tx.SiteEnsure(ctx, "Fabrikam", "London")
		require.NoError(t, err)
		require.Equal(t, *b1, *again)
		return nil
	})

	sites, err := s.SiteList(ctx)
	require.NoError(t, err)
	require.ElementsMatch(t, []store.Site{*a1, *a2, *b1}, sites)
}
