package intune_test

import (
	"io"
	"log/slog"
	"path/filepath"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/integrator-oss/integrator/internal/connector/intune"
	"github.com/integrator-oss/integrator/internal/emulator/graph"
	"github.com/integrator-oss/integrator/internal/engine"
	"github.com/integrator-oss/integrator/internal/integration"
	"github.com/integrator-oss/integrator/internal/record"
	"github.com/integrator-oss/integrator/internal/secret"
	"github.com/integrator-oss/integrator/internal/store"
	"github.com/integrator-oss/integrator/internal/store/sqlite"
)

// TestEngineRuns drives full runs through the engine into SQLite: every
// managed device becomes an asset with its compliance state, a device
// removed from Intune is deactivated by the next full run, a failed
// listing deactivates nothing, and an unchanged run writes nothing.
func TestEngineRuns(t *testing.T) {
	t.Parallel()
	ctx := t.Context()
	logger := slog.New(slog.NewTextHandler(io.Discard, nil))

	emu := graph.New(graph.Options{ClientSecret: "engine-secret"})
	base := emu.StartTest(t)
	emu.Generate(30, 2, 5)
	emu.GenerateManagedDevices(45, 5)
	cfg := intune.Config{PageSize: 20}
	cfg.TenantID, cfg.ClientID, cfg.ClientSecret = emu.TenantID(), emu.ClientID(), secret.New("engine-secret")
	cfg.AuthorityURL, cfg.GraphURL = base, emu.GraphURL(base)
	cfg.MaxRetries = -1 // an injected failure fails at once
	cfg.RequestsPerSecond = 1e6
	src, err := cfg.Open("contoso-intune", logger)
	require.NoError(t, err)

	st, err := sqlite.Open(ctx, filepath.Join(t.TempDir(), "t.db"), logger)
	require.NoError(t, err)
	t.Cleanup(func() { st.Close() })
	var integ *store.Integration
	require.NoError(t, st.Tx(ctx, func(tx store.Tx) error {
		integ, err = tx.IntegrationUpsert(ctx, &store.IntegrationUpsertParams{Name: "contoso-intune", Type: "intune", Enabled: true})
		return err
	}))
	set := integration.Settings{Name: "contoso-intune", Type: "intune", Enabled: true,
		Entities: []record.Kind{record.KindAsset}}.WithDefaults()
	eng := engine.New(st, logger)
	run := func() *engine.Result {
		t.Helper()
		res, err := eng.Run(ctx, engine.RunParams{Integration: integ, Settings: set, Source: src, Trigger: "test"})
		require.NoError(t, err)
		require.Equal(t, "succeeded", res.Run.Status, res.Run.Error)
		require.True(t, res.Run.Full)
		return res
	}
	asset := func(id string) store.Asset {
		t.Helper()
		links, err := st.LinkGetMany(ctx, &store.LinkGetManyParams{IntegrationID: integ.ID, Kind: record.KindAsset, ExternalIDs: []string{id}})
		require.NoError(t, err)
		require.Len(t, links, 1, "link of device %s", id)
		a, err := st.AssetGet(ctx, links[0].EntityID)
		require.NoError(t, err)
		return *a
	}

	first := run()
	c := first.Run.ByKind[record.KindAsset]
	require.Equal(t, int64(45), c.Created+c.Updated, "every device is an asset (placeholder serials included)")
	d := emu.ManagedDevices()[3]
	a := asset(d.ID)
	require.True(t, a.Active)
	require.Equal(t, d.ComplianceState, a.Compliance)
	require.Equal(t, d.SerialNumber, a.Serial)

	require.NoError(t, emu.RemoveManagedDevice(d.ID))
	emu.Inject(graph.Fault{Path: "managedDevices", After: 1, Status: 500})
	_, err = eng.Run(ctx, engine.RunParams{Integration: integ, Settings: set, Source: src, Trigger: "test"})
	require.ErrorContains(t, err, "managed devices page 2")
	require.True(t, asset(d.ID).Active, "a failed run deactivates nothing")

	second := run()
	require.Equal(t, int64(1), second.Run.ByKind[record.KindAsset].Deactivated)
	require.False(t, asset(d.ID).Active)

	third := run()
	c = third.Run.ByKind[record.KindAsset]
	require.Zero(t, c.Created+c.Updated+c.Deactivated, "an unchanged source writes nothing")
}
