package entra

import (
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/integrator-oss/integrator/internal/emulator/graph"
)

func TestListGroupsFollowsPagesAgainstEmulator(t *testing.T) {
	em := graph.New(graph.Options{ClientSecret: "list-secret", PageSize: 2})
	em.Generate(20, 5, 3)
	base := em.StartTest(t)
	cfg := &Config{TenantID: em.TenantID(), ClientID: em.ClientID(), TokenURL: em.TokenURL(base), GraphURL: em.GraphURL(base)}
	cfg.ClientSecret.UnmarshalText([]byte("list-secret"))
	src, err := cfg.Open("t", nil)
	require.NoError(t, err)
	opts, err := src.(*Source).ListGroups(t.Context())
	require.NoError(t, err)
	require.Len(t, opts, len(em.Groups()))
	names := map[string]bool{}
	for _, g := range em.Groups() {
		names[g.DisplayName] = true
	}
	for i, o := range opts {
		require.True(t, names[o.Name], o.Name)
		require.NotEmpty(t, o.ID)
		if i > 0 {
			require.LessOrEqual(t, opts[i-1].Name, o.Name, "sorted by name")
		}
	}

	bad := *cfg
	bad.ClientSecret.UnmarshalText([]byte("wrong"))
	src, err = bad.Open("t", nil)
	require.NoError(t, err)
	_, err = src.(*Source).ListGroups(t.Context())
	require.Error(t, err)
	require.NotContains(t, err.Error(), "wrong")
}
