package config_test

import (
	"errors"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/integrator-oss/integrator/internal/config"
)

func TestParseIntegrationReportsFieldPaths(t *testing.T) {
	_, err := config.ParseIntegration([]byte(`{"name":"Bad Name","type":"entra","schedule":"1s",
		"scope":{"mappings":[{"group":"g","role":"boss"}]},"config":{"tenant_id":"t"}}`), testRegistry())
	var errs *config.Errors
	require.True(t, errors.As(err, &errs), "%v", err)
	fields := map[string]bool{}
	for _, e := range *errs {
		fields[e.Field] = true
	}
	for _, f := range []string{"name", "schedule", "scope.mappings[0].role", "config.client_id"} {
		require.True(t, fields[f], "no error for %s in %v", f, err)
	}
}

func TestParseIntegrationJSON(t *testing.T) {
	it, err := config.ParseIntegration([]byte(`{"name":"ok","type":"entra","schedule":"5m","enabled":false,
		"config":{"tenant_id":"t","client_id":"c","client_secret":"s"}}`), testRegistry())
	require.NoError(t, err)
	require.Equal(t, "ok", it.Settings.Name)
	require.False(t, it.Settings.Enabled)
	require.NotNil(t, it.Connector)
}
