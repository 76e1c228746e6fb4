package snipeit_test

import (
	"io"
	"log/slog"
	"path/filepath"
	"strconv"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/integrator-oss/integrator/internal/connector/snipeit"
	semu "github.com/integrator-oss/integrator/internal/emulator/snipeit"
	"github.com/integrator-oss/integrator/internal/engine"
	"github.com/integrator-oss/integrator/internal/integration"
	"github.com/integrator-oss/integrator/internal/record"
	"github.com/integrator-oss/integrator/internal/secret"
	"github.com/integrator-oss/integrator/internal/store"
	"github.com/integrator-oss/integrator/internal/store/sqlite"
)

// TestEngineRuns drives full runs through the engine into SQLite: every
// asset becomes a platform asset, an archived one is inactive, an asset
// purged in Snipe-IT is deactivated by the next full run, a failed listing
// deactivates nothing, and a run with nothing changed writes nothing.
func TestEngineRuns(t *testing.T) {
	t.Parallel()
	ctx := t.Context()
	logger := slog.New(slog.NewTextHandler(io.Discard, nil))

	emu := semu.New(semu.Options{RateLimit: -1})
	base := emu.StartTest(t)
	emu.Generate(60, semu.GenerateOptions{Locations: 3})
	for id := 1; id <= 60; id++ {
		require.NoError(t, emu.SetStatus(id, semu.LabelReadyToDeploy))
	}
	cfg := snipeit.Config{URL: base, APIToken: secret.New(emu.Token()), PageSize: 25}
	cfg.MaxRetries = -1 // an injected failure fails at once
	cfg.RequestsPerSecond = 1e6
	cfg = cfg.WithDefaults()
	src, err := cfg.Open("acme-snipeit", logger)
	require.NoError(t, err)

	st, err := sqlite.Open(ctx, filepath.Join(t.TempDir(), "t.db"), logger)
	require.NoError(t, err)
	t.Cleanup(func() { st.Close() })
	var integ *store.Integration
	require.NoError(t, st.Tx(ctx, func(tx store.Tx) error {
		integ, err = tx.IntegrationUpsert(ctx, &store.IntegrationUpsertParams{Name: "acme-snipeit", Type: "snipeit", Enabled: true})
		return err
	}))
	set := integration.Settings{Name: "acme-snipeit", Type: "snipeit", Enabled: true,
		Entities: []record.Kind{record.KindAsset, record.KindSite}}.WithDefaults()
	eng := engine.New(st, logger)
	run := func() *engine.Result {
		t.Helper()
		res, err := eng.Run(ctx, engine.RunParams{Integration: integ, Settings: set, Source: src, Trigger: "test"})
		require.NoError(t, err)
		require.Equal(t, "succeeded", res.Run.Status, res.Run.Error)
		require.True(t, res.Run.Full)
		return res
	}
	asset := func(id int) store.Asset {
		t.Helper()
		links, err := st.LinkGetMany(ctx, &store.LinkGetManyParams{IntegrationID: integ.ID, Kind: record.KindAsset, ExternalIDs: []string{strconv.Itoa(id)}})
		require.NoError(t, err)
		require.Len(t, links, 1, "link of asset %d", id)
		a, err := st.AssetGet(ctx, links[0].EntityID)
		require.NoError(t, err)
		return *a
	}

	first := run()
	require.Equal(t, int64(60), first.Run.ByKind[record.KindAsset].Created+first.Run.ByKind[record.KindAsset].Updated)
	src9, _ := emu.Asset(9)
	require.True(t, asset(9).Active)
	require.Equal(t, src9.Serial, asset(9).Serial)

	require.NoError(t, emu.PurgeAsset(9))
	require.NoError(t, emu.SetStatus(10, semu.LabelArchived))
	emu.Inject(semu.Fault{Path: "/hardware", After: 1, Kind: semu.FaultError200, Message: "Server Error"})
	_, err = eng.Run(ctx, engine.RunParams{Integration: integ, Settings: set, Source: src, Trigger: "test"})
	require.ErrorContains(t, err, `status "error"`, "an HTTP 200 error answer fails the run")
	require.True(t, asset(9).Active, "a failed run deactivates nothing")

	second := run()
	require.False(t, asset(9).Active, "purged in Snipe-IT: swept by the full run")
	require.False(t, asset(10).Active, "archived in Snipe-IT")
	require.Equal(t, int64(2), second.Run.ByKind[record.KindAsset].Deactivated)

	third := run()
	require.Zero(t, third.Run.ByKind[record.KindAsset].Created+third.Run.ByKind[record.KindAsset].Updated+
		third.Run.ByKind[record.KindAsset].Deactivated, "an unchanged source writes nothing")
}
