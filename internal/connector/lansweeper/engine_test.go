package lansweeper_test

import (
	"io"
	"log/slog"
	"path/filepath"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/integrator-oss/integrator/internal/connector/lansweeper"
	lemu "github.com/integrator-oss/integrator/internal/emulator/lansweeper"
	"github.com/integrator-oss/integrator/internal/engine"
	"github.com/integrator-oss/integrator/internal/integration"
	"github.com/integrator-oss/integrator/internal/record"
	"github.com/integrator-oss/integrator/internal/secret"
	"github.com/integrator-oss/integrator/internal/store"
	"github.com/integrator-oss/integrator/internal/store/sqlite"
)

// TestEngineRuns drives full runs through the engine into SQLite: every
// asset becomes a platform asset, one marked Sold is inactive, an asset
// deleted in Lansweeper is deactivated by the next full run, a failed
// listing deactivates nothing, and a run with nothing changed writes
// nothing (the inventory maps to the same values every time).
func TestEngineRuns(t *testing.T) {
	t.Parallel()
	ctx := t.Context()
	logger := slog.New(slog.NewTextHandler(io.Discard, nil))

	emu := lemu.New(lemu.Options{RateLimit: -1})
	base := emu.StartTest(t)
	site := emu.Generate("", 50, 3)
	keys := emu.Keys(site)
	for _, k := range keys {
		require.NoError(t, emu.UpdateAsset(k, func(a *lemu.Asset) { a.StateName = "Active" }))
	}
	cfg := lansweeper.Config{APIURL: base + lemu.GraphQLPath, Token: secret.New(emu.Token()), PageSize: 20}
	cfg.MaxRetries = -1 // an injected failure fails at once
	cfg.RequestsPerSecond = 1e6
	cfg = cfg.WithDefaults()
	src, err := cfg.Open("acme-lansweeper", logger)
	require.NoError(t, err)

	st, err := sqlite.Open(ctx, filepath.Join(t.TempDir(), "t.db"), logger)
	require.NoError(t, err)
	t.Cleanup(func() { st.Close() })
	var integ *store.Integration
	require.NoError(t, st.Tx(ctx, func(tx store.Tx) error {
		integ, err = tx.IntegrationUpsert(ctx, &store.IntegrationUpsertParams{Name: "acme-lansweeper", Type: "lansweeper", Enabled: true})
		return err
	}))
	set := integration.Settings{Name: "acme-lansweeper", Type: "lansweeper", Enabled: true,
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
	asset := func(key string) store.Asset {
		t.Helper()
		links, err := st.LinkGetMany(ctx, &store.LinkGetManyParams{IntegrationID: integ.ID, Kind: record.KindAsset, ExternalIDs: []string{key}})
		require.NoError(t, err)
		require.Len(t, links, 1, "link of asset %s", key)
		a, err := st.AssetGet(ctx, links[0].EntityID)
		require.NoError(t, err)
		return *a
	}

	first := run()
	require.Equal(t, int64(50), first.Run.ByKind[record.KindAsset].Created+first.Run.ByKind[record.KindAsset].Updated)
	gone, sold := keys[7], keys[8]
	src7, _ := emu.Asset(gone)
	require.True(t, asset(gone).Active)
	require.Equal(t, src7.SerialNumber, asset(gone).Serial)

	require.NoError(t, emu.RemoveAsset(gone))
	require.NoError(t, emu.UpdateAsset(sold, func(a *lemu.Asset) { a.StateName = "Sold" }))
	emu.Inject(lemu.Fault{Match: "assetResources", After: 1, Kind: lemu.FaultGraphQLError, Message: "Internal error"})
	_, err = eng.Run(ctx, engine.RunParams{Integration: integ, Settings: set, Source: src, Trigger: "test"})
	require.ErrorContains(t, err, "GraphQL error", "an error that arrives with HTTP 200 fails the run")
	require.True(t, asset(gone).Active, "a failed run deactivates nothing")

	second := run()
	require.False(t, asset(gone).Active, "deleted in Lansweeper: swept by the full run")
	require.False(t, asset(sold).Active, "sold")
	require.Equal(t, int64(2), second.Run.ByKind[record.KindAsset].Deactivated)

	third := run()
	require.Zero(t, third.Run.ByKind[record.KindAsset].Created+third.Run.ByKind[record.KindAsset].Updated+
		third.Run.ByKind[record.KindAsset].Deactivated, "an unchanged source writes nothing")
}
