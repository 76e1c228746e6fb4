package config_test

import (
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/integrator-oss/integrator/internal/config"
	"github.com/integrator-oss/integrator/internal/integration"
	"github.com/integrator-oss/integrator/internal/record"
)

func TestSample(t *testing.T) {
	t.Setenv("ENTRA_CLIENT_SECRET", "contoso-secret")
	t.Setenv("FABRIKAM_CLIENT_SECRET", "fabrikam-secret")

	cfg, err := config.Parse("sample.yaml", []byte(config.Sample()), testRegistry())
	require.NoError(t, err)
	require.Len(t, cfg.Integrations, 2)

	contoso, ok := cfg.Integration("contoso-entra")
	require.True(t, ok)
	require.Equal(t, "entra", contoso.Settings.Type)
	require.Equal(t, integration.Schedule{Every: 15 * time.Minute}, contoso.Settings.Schedule)
	require.Equal(t, "Contoso", contoso.Settings.Client)
	require.Len(t, contoso.Settings.Scope.Mappings, 2)
	require.Equal(t, "contoso-secret", contoso.Connector.(*fakeEntraConfig).ClientSecret.Reveal())

	fabrikam, ok := cfg.Integration("fabrikam-entra")
	require.True(t, ok)
	require.Equal(t, integration.Schedule{Cron: "30 6-18 * * 1-5"}, fabrikam.Settings.Schedule)
	require.Equal(t, 7*24*time.Hour, fabrikam.Settings.FullSyncEvery, "merged from the x- anchor")
	require.Equal(t, time.Hour, fabrikam.Settings.RunTimeout)
	require.Equal(t, []record.Kind{record.KindUser}, fabrikam.Settings.Entities)
	require.Equal(t, "fabrikam-secret", fabrikam.Connector.(*fakeEntraConfig).ClientSecret.Reveal())
}

func TestSampleNeedsItsConnectorTypes(t *testing.T) {
	t.Parallel()

	// Without the entra type the sample must fail, naming the type: the
	// sample really is checked against the registry it is given.
	reg := testRegistry()
	delete(reg, "entra")
	_, err := config.Parse("sample.yaml", []byte(config.Sample()), reg)
	require.ErrorContains(t, err, `integrations[0].type: unknown connector type "entra"`)
	require.ErrorContains(t, err, `integrations[1].type: unknown connector type "entra"`)
}
