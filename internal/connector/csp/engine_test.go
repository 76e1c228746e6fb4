package csp_test

import (
	"io"
	"log/slog"
	"path/filepath"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/integrator-oss/integrator/internal/connector/csp"
	"github.com/integrator-oss/integrator/internal/emulator/graph"
	"github.com/integrator-oss/integrator/internal/engine"
	"github.com/integrator-oss/integrator/internal/integration"
	"github.com/integrator-oss/integrator/internal/record"
	"github.com/integrator-oss/integrator/internal/secret"
	"github.com/integrator-oss/integrator/internal/store"
	"github.com/integrator-oss/integrator/internal/store/sqlite"
)

// TestEngineRuns drives the connector through the engine into SQLite:
// each tenant's SKUs become licences at the client its tenant maps to, a
// SKU removed from a tenant is marked inactive, and a tenant whose consent
// was revoked fails alone with nothing of it swept.
func TestEngineRuns(t *testing.T) {
	t.Parallel()
	ctx := t.Context()
	logger := slog.New(slog.NewTextHandler(io.Discard, nil))

	p := graph.NewCSP(graph.CSPOptions{ClientSecret: "engine-secret"})
	contoso := p.AddCustomer(graph.Customer{Name: "Contoso"})
	fabrikam := p.AddCustomer(graph.Customer{Name: "Fabrikam"})
	northwind := p.AddCustomer(graph.Customer{Name: "Northwind"})
	for i, e := range []*graph.Emulator{contoso, fabrikam, northwind} {
		require.NoError(t, p.AddSku(e.TenantID(), graph.SubscribedSku{SkuID: "6fd2c87f-b296-42f0-b197-1e91e994b90" + string(rune('0'+i)), SkuPartNumber: "ENTERPRISEPACK", Enabled: 10}))
		require.NoError(t, p.AddSku(e.TenantID(), graph.SubscribedSku{SkuID: "4b9405b0-7788-4568-add1-99614e613b6" + string(rune('0'+i)), SkuPartNumber: "EXCHANGESTANDARD", Enabled: 5}))
	}
	base := p.StartTest(t)

	cfg := csp.Config{CustomerSource: csp.SourceGDAP}
	cfg.TenantID, cfg.ClientID, cfg.ClientSecret = p.Partner().TenantID(), p.ClientID(), secret.New("engine-secret")
	cfg.AuthorityURL, cfg.GraphURL = base, base+"/v1.0"
	cfg.MaxRetries = -1
	src, err := cfg.Open("partner", logger)
	require.NoError(t, err)

	st, err := sqlite.Open(ctx, filepath.Join(t.TempDir(), "t.db"), logger)
	require.NoError(t, err)
	t.Cleanup(func() { st.Close() })
	var integ *store.Integration
	require.NoError(t, st.Tx(ctx, func(tx store.Tx) error {
		integ, err = tx.IntegrationUpsert(ctx, &store.IntegrationUpsertParams{Name: "partner", Type: "csp", Enabled: true})
		return err
	}))
	set := integration.Settings{Name: "partner", Type: "csp", Enabled: true,
		Entities: []record.Kind{record.KindLicence, record.KindLicenceAssignment}}.WithDefaults()
	set.Threshold.MaxPercent = 50 // one SKU of six goes in the test
	set.Assets.Organisations = []integration.OrgMap{
		{Source: contoso.TenantID(), Client: "Contoso Ltd"}, {Source: fabrikam.TenantID(), Client: "Fabrikam Inc"}, {Source: northwind.TenantID(), Client: "Northwind"},
	}
	eng := engine.New(st, logger)
	run := func() *engine.Result {
		t.Helper()
		res, err := eng.Run(ctx, engine.RunParams{Integration: integ, Settings: set, Source: src, Trigger: "test", Full: true})
		require.NoError(t, err)
		require.Equal(t, "succeeded", res.Run.Status, res.Run.Error)
		return res
	}
	licences := func() map[string]bool {
		t.Helper()
		ls, err := st.LicenceList(ctx, nil)
		require.NoError(t, err)
		out := map[string]bool{}
		for _, l := range ls {
			require.NotZero(t, l.ClientID, "every licence is at its tenant's client")
			out[l.TenantID+"/"+l.Name] = l.Active
		}
		return out
	}

	first := run()
	require.EqualValues(t, 6, first.Run.ByKind[record.KindLicence].Created)
	require.Len(t, licences(), 6)
	require.True(t, licences()[contoso.TenantID()+"/Office 365 E3"])

	require.NoError(t, p.RemoveSku(contoso.TenantID(), "4b9405b0-7788-4568-add1-99614e613b60"))
	require.NoError(t, p.RemoveSku(fabrikam.TenantID(), "4b9405b0-7788-4568-add1-99614e613b61"))
	require.NoError(t, p.SetConsent(fabrikam.TenantID(), graph.ConsentRevoked))
	second := run()
	require.Contains(t, second.Run.Notes, "Fabrikam (tenant "+fabrikam.TenantID()+") failed")
	got := licences()
	require.False(t, got[contoso.TenantID()+"/Exchange Online (Plan 1)"], "the SKU Contoso dropped is inactive, not deleted")
	require.True(t, got[fabrikam.TenantID()+"/Exchange Online (Plan 1)"], "nothing of the failed tenant is swept")
	require.True(t, got[northwind.TenantID()+"/Exchange Online (Plan 1)"])
}
