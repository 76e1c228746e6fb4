package ldap

import (
	"io"
	"log/slog"
	"path/filepath"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/integrator-oss/integrator/internal/engine"
	"github.com/integrator-oss/integrator/internal/integration"
	"github.com/integrator-oss/integrator/internal/record"
	"github.com/integrator-oss/integrator/internal/store"
	"github.com/integrator-oss/integrator/internal/store/sqlite"
)

// TestSambaThroughEngine drives the connector through the engine into a
// SQLite store: an AD account disabled at the source is deactivated on the
// next (delta) run, and reactivated, as the same platform user, when it is
// enabled again.
func TestSambaThroughEngine(t *testing.T) {
	srv := useSamba(t)
	seedSamba(t, srv)
	admin := srv.admin(t)
	ctx := t.Context()
	logger := slog.New(slog.NewTextHandler(io.Discard, nil))
	st, err := sqlite.Open(ctx, filepath.Join(t.TempDir(), "t.db"), logger)
	require.NoError(t, err)
	t.Cleanup(func() { st.Close() })
	var integ *store.Integration
	require.NoError(t, st.Tx(ctx, func(tx store.Tx) error {
		integ, err = tx.IntegrationUpsert(ctx, &store.IntegrationUpsertParams{Name: "corp-ad", Type: "ldap", Enabled: true})
		return err
	}))
	set := integration.Settings{Name: "corp-ad", Type: "ldap", Enabled: true, Client: "Corp",
		Scope: integration.Scope{AllUsers: true}}.WithDefaults()
	set.Threshold.MaxPercent = -1
	src, err := open(srv.config(e2eBase), "corp-ad", logger)
	require.NoError(t, err)
	eng := engine.New(st, logger)
	run := func() *engine.Result {
		t.Helper()
		res, err := eng.Run(ctx, engine.RunParams{Integration: integ, Settings: set, Source: src, Trigger: "test"})
		require.NoError(t, err)
		return res
	}
	annID := formatGUID(rawGUID(t, admin, "CN=e2e-ann,"+e2eBase))
	user := func() store.User {
		t.Helper()
		links, err := st.LinkGetMany(ctx, &store.LinkGetManyParams{IntegrationID: integ.ID, Kind: record.KindUser, ExternalIDs: []string{annID}})
		require.NoError(t, err)
		require.Len(t, links, 1)
		u, err := st.UserGet(ctx, links[0].EntityID)
		require.NoError(t, err)
		return *u
	}

	res := run()
	require.True(t, res.Run.Full)
	require.Equal(t, int64(2), res.Run.ByKind[record.KindUser].Created)
	first := user()
	require.True(t, first.Active)
	require.Equal(t, "e2e-ann@corp.example.test", first.UPN)
	require.NotEmpty(t, first.ImmutableID)

	modify(t, admin, "CN=e2e-ann,"+e2eBase, "userAccountControl", "546")
	res = run()
	require.False(t, res.Run.Full, "a delta run")
	require.Equal(t, int64(1), res.Run.ByKind[record.KindUser].Deactivated)
	u := user()
	require.False(t, u.Active)
	require.Contains(t, u.DeactivatedReason, "userAccountControl")

	modify(t, admin, "CN=e2e-ann,"+e2eBase, "userAccountControl", "544")
	res = run()
	require.False(t, res.Run.Full)
	require.Equal(t, int64(1), res.Run.ByKind[record.KindUser].Reactivated)
	u = user()
	require.True(t, u.Active)
	require.Equal(t, first.ID, u.ID, "the same platform user")
}
