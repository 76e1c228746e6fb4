package google_test

import (
	"io"
	"log/slog"
	"os"
	"path/filepath"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/integrator-oss/integrator/internal/connector/google"
	gemu "github.com/integrator-oss/integrator/internal/emulator/google"
	"github.com/integrator-oss/integrator/internal/engine"
	"github.com/integrator-oss/integrator/internal/integration"
	"github.com/integrator-oss/integrator/internal/record"
	"github.com/integrator-oss/integrator/internal/store"
	"github.com/integrator-oss/integrator/internal/store/sqlite"
)

// TestEngineRuns drives full runs of the connector through the engine into
// a SQLite store: a user deleted in Google is deactivated by the sweep of
// the next run, a suspended one at once, a failed listing deactivates
// nothing, and a run with nothing changed writes nothing.
func TestEngineRuns(t *testing.T) {
	t.Parallel()
	ctx := t.Context()
	logger := slog.New(slog.NewTextHandler(io.Discard, nil))

	emu := gemu.New(gemu.Options{})
	base := emu.StartTest(t)
	users, groups, err := emu.Generate(40, 2)
	require.NoError(t, err)
	keyFile := filepath.Join(t.TempDir(), "sa.json")
	require.NoError(t, os.WriteFile(keyFile, emu.KeyJSON(base), 0o600))
	cfg := google.Config{CredentialsFile: keyFile, Subject: emu.AdminEmail(), APIURL: emu.APIURL(base)}.WithDefaults()
	cfg.MaxRetries = -1 // an injected failure fails at once
	src, err := cfg.Open("acme-google", logger)
	require.NoError(t, err)

	st, err := sqlite.Open(ctx, filepath.Join(t.TempDir(), "t.db"), logger)
	require.NoError(t, err)
	t.Cleanup(func() { st.Close() })
	var integ *store.Integration
	require.NoError(t, st.Tx(ctx, func(tx store.Tx) error {
		integ, err = tx.IntegrationUpsert(ctx, &store.IntegrationUpsertParams{Name: "acme-google", Type: "google", Enabled: true})
		return err
	}))
	set := integration.Settings{
		Name: "acme-google", Type: "google", Enabled: true, Client: "Acme",
		Scope: integration.Scope{AllUsers: true, Mappings: []integration.Mapping{{Group: groups[0].Name, Site: "London"}}},
	}.WithDefaults()
	eng := engine.New(st, logger)
	run := func() *engine.Result {
		t.Helper()
		res, err := eng.Run(ctx, engine.RunParams{Integration: integ, Settings: set, Source: src, Trigger: "test"})
		require.NoError(t, err)
		require.Equal(t, "succeeded", res.Run.Status, res.Run.Error)
		require.True(t, res.Run.Full)
		return res
	}
	user := func(ext string) store.User {
		t.Helper()
		links, err := st.LinkGetMany(ctx, &store.LinkGetManyParams{IntegrationID: integ.ID, Kind: record.KindUser, ExternalIDs: []string{ext}})
		require.NoError(t, err)
		require.Len(t, links, 1, "link of %s", ext)
		require.NotZero(t, links[0].EntityID, "user %s not imported", ext)
		u, err := st.UserGet(ctx, links[0].EntityID)
		require.NoError(t, err)
		return *u
	}

	first := run()
	require.Equal(t, int64(40), first.Run.ByKind[record.KindUser].Created, "40 active users; the suspended one is not imported")
	gone, suspended, mgr := users[5], users[6], users[0]
	require.True(t, user(gone.ID).Active)
	require.Equal(t, user(mgr.ID).ID, user(users[1].ID).ManagerID, "the manager named by email is linked")

	require.NoError(t, emu.DeleteUser(gone.ID))
	require.NoError(t, emu.SuspendUser(suspended.ID, true))
	second := run()
	require.Equal(t, int64(2), second.Run.ByKind[record.KindUser].Deactivated)
	require.False(t, user(gone.ID).Active, "deleted in Google: swept by the full run")
	require.False(t, user(suspended.ID).Active, "suspended in Google")
	require.True(t, user(users[7].ID).Active)

	// A listing that fails part-way deactivates nothing, though the user
	// is gone from Google.
	require.NoError(t, emu.DeleteUser(users[8].ID))
	emu.Inject(gemu.Fault{Path: "/users", After: 1, Status: 503})
	res, err := eng.Run(ctx, engine.RunParams{Integration: integ, Settings: set, Source: src, Trigger: "test"})
	require.Error(t, err)
	require.Equal(t, "failed", res.Run.Status)
	require.Zero(t, res.Run.ByKind[record.KindUser].Deactivated)
	require.True(t, user(users[8].ID).Active, "a failed run sweeps nothing")
	require.Equal(t, int64(1), run().Run.ByKind[record.KindUser].Deactivated, "the next complete run does")

	third := run()
	require.Zero(t, third.Run.Counts.Writes, "nothing changed, nothing written: %+v", third.Run.Counts)
	require.Zero(t, third.Run.ByKind[record.KindUser].Updated)

	// Back from suspension: the same platform user is reactivated.
	require.NoError(t, emu.SuspendUser(suspended.ID, false))
	fourth := run()
	require.Equal(t, int64(1), fourth.Run.ByKind[record.KindUser].Reactivated)
	require.True(t, user(suspended.ID).Active)
}
