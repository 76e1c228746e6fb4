package ninjaone_test

import (
	"io"
	"log/slog"
	"path/filepath"
	"strconv"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/integrator-oss/integrator/internal/connector/ninjaone"
	nemu "github.com/integrator-oss/integrator/internal/emulator/ninjaone"
	"github.com/integrator-oss/integrator/internal/engine"
	"github.com/integrator-oss/integrator/internal/integration"
	"github.com/integrator-oss/integrator/internal/record"
	"github.com/integrator-oss/integrator/internal/secret"
	"github.com/integrator-oss/integrator/internal/store"
	"github.com/integrator-oss/integrator/internal/store/sqlite"
)

// TestEngineRuns drives full runs through the engine into SQLite: every
// device becomes an asset, a device deleted in NinjaOne is deactivated by
// the next full run, a failed listing deactivates nothing, and a run with
// nothing changed writes nothing.
func TestEngineRuns(t *testing.T) {
	t.Parallel()
	ctx := t.Context()
	logger := slog.New(slog.NewTextHandler(io.Discard, nil))

	emu := nemu.New(nemu.Options{ClientSecret: "engine-secret"})
	base := emu.StartTest(t)
	emu.Generate(60, 3, 2, 11)
	cfg := ninjaone.Config{BaseURL: base, ClientID: emu.ClientID(), ClientSecret: secret.New("engine-secret"), PageSize: 25}
	cfg.MaxRetries = -1 // an injected failure fails at once
	cfg.RequestsPerSecond = 1e6
	cfg = cfg.WithDefaults()
	src, err := cfg.Open("msp-ninja", logger)
	require.NoError(t, err)

	st, err := sqlite.Open(ctx, filepath.Join(t.TempDir(), "t.db"), logger)
	require.NoError(t, err)
	t.Cleanup(func() { st.Close() })
	var integ *store.Integration
	require.NoError(t, st.Tx(ctx, func(tx store.Tx) error {
		integ, err = tx.IntegrationUpsert(ctx, &store.IntegrationUpsertParams{Name: "msp-ninja", Type: "ninjaone", Enabled: true})
		return err
	}))
	set := integration.Settings{Name: "msp-ninja", Type: "ninjaone", Enabled: true,
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
		require.Len(t, links, 1, "link of device %d", id)
		a, err := st.AssetGet(ctx, links[0].EntityID)
		require.NoError(t, err)
		return *a
	}

	first := run()
	require.Equal(t, int64(60), first.Run.ByKind[record.KindAsset].Created+first.Run.ByKind[record.KindAsset].Updated)
	d, _ := emu.DeviceByID(9)
	a := asset(9)
	require.True(t, a.Active)
	require.Equal(t, d.SystemName, a.Hostname)

	require.NoError(t, emu.RemoveDevice(9))
	emu.Inject(nemu.Fault{Path: "/v2/devices-detailed", After: 1, Status: 500})
	_, err = eng.Run(ctx, engine.RunParams{Integration: integ, Settings: set, Source: src, Trigger: "test"})
	require.ErrorContains(t, err, "devices page 2", "the injected failure fails the run")
	require.True(t, asset(9).Active, "a failed run deactivates nothing")

	second := run()
	require.Equal(t, int64(1), second.Run.ByKind[record.KindAsset].Deactivated)
	require.False(t, asset(9).Active)

	third := run()
	require.Zero(t, third.Run.ByKind[record.KindAsset].Created+third.Run.ByKind[record.KindAsset].Updated+
		third.Run.ByKind[record.KindAsset].Deactivated, "an unchanged source writes nothing")
}
