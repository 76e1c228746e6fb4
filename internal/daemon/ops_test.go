package daemon_test

import (
	"context"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/integrator-oss/integrator/internal/daemon"
	"github.com/integrator-oss/integrator/internal/emulator/graph"
	"github.com/integrator-oss/integrator/internal/jobs"
)

// smallTenant is Sales {alice}, Support {bob}, and carol in no group.
func smallTenant(t *testing.T) (*graph.Emulator, string, map[string]string) {
	em := graph.New(graph.Options{ClientSecret: testSecret})
	ids := map[string]string{}
	sales := em.AddGroup(graph.Group{DisplayName: "Sales", SecurityEnabled: true})
	support := em.AddGroup(graph.Group{DisplayName: "Support", SecurityEnabled: true})
	for _, n := range []string{"alice", "bob", "carol"} {
		ids[n] = em.AddUser(graph.User{DisplayName: n + " Example", UserPrincipalName: n + "@contoso.com", Mail: n + "@contoso.com", AccountEnabled: true})
	}
	require.NoError(t, em.AddMember(sales, ids["alice"]))
	require.NoError(t, em.AddMember(support, ids["bob"]))
	return em, em.StartTest(t), ids
}

func TestPreviewExplainTroubleshoot(t *testing.T) {
	em, base, ids := smallTenant(t)
	app := openEmpty(t, t.TempDir())
	defer app.Close()
	require.NoError(t, app.StartJobs(context.WithoutCancel(t.Context()), false))
	defer app.StopJobs(context.Background())
	doc := entraDoc(em, base)
	doc["scope"] = map[string]any{"mappings": []any{map[string]any{"group": "Sales", "site": "London"}}}
	_, err := app.IntegrationCreate(t.Context(), doc)
	require.NoError(t, err)

	groups, err := app.ListGroups(t.Context(), "api-entra")
	require.NoError(t, err)
	require.Len(t, groups, 2)
	require.Equal(t, "Sales", groups[0].Name)
	require.NoError(t, app.Check(t.Context(), "api-entra"))

	p, err := app.PreviewSettings(t.Context(), "api-entra", nil)
	require.NoError(t, err)
	require.Equal(t, int64(1), p.Imported, "saved settings: alice")
	require.NoError(t, app.RunNow(t.Context(), jobs.RunRequest{Integration: "api-entra", Full: true, Trigger: "api"}))

	// Unsaved: Support becomes agents, Sales moves to Leeds.
	p, err = app.PreviewSettings(t.Context(), "api-entra", map[string]any{"scope": map[string]any{"mappings": []any{
		map[string]any{"group": "Sales", "site": "Leeds"},
		map[string]any{"group": "Support", "site": "London", "role": "agent"},
	}}})
	require.NoError(t, err)
	require.Equal(t, int64(1), p.Imported, "bob would be imported")
	require.Equal(t, int64(1), p.Moved, "alice would move to Leeds")
	v, err := app.IntegrationGetView(t.Context(), "api-entra")
	require.NoError(t, err)
	require.Len(t, v.Settings.Scope.Mappings, 1, "a preview saves nothing")

	ex, _, err := app.Explain(t.Context(), "api-entra", "carol")
	require.NoError(t, err)
	require.Len(t, ex, 1)
	require.Equal(t, ids["carol"], ex[0].ExternalID)
	require.Contains(t, ex[0].Answer, "not imported: not a member of any mapped group")
	require.Contains(t, ex[0].Answer, `"Sales"`)

	ex, _, err = app.Explain(t.Context(), "api-entra", "ALICE@contoso")
	require.NoError(t, err)
	require.Len(t, ex, 1)
	require.Contains(t, ex[0].Answer, "imported at site London as an end user")

	ex, summary, err := app.Explain(t.Context(), "api-entra", "nobody-like-this")
	require.NoError(t, err)
	require.Empty(t, ex)
	require.Contains(t, summary, "No user matching")

	require.NoError(t, em.HardDeleteUser(ids["alice"]))
	require.NoError(t, app.RunNow(t.Context(), jobs.RunRequest{Integration: "api-entra", Full: true, AllowMassDeactivation: true, Trigger: "api"}))
	ex, _, err = app.Explain(t.Context(), "api-entra", "alice")
	require.NoError(t, err)
	require.Len(t, ex, 1)
	require.False(t, ex[0].Active)
	require.Contains(t, ex[0].Answer, "deactivated")

	_, err = app.IntegrationPatch(t.Context(), "api-entra", map[string]any{"deactivate_when_not_found": false, "enabled": false})
	require.NoError(t, err)
	findings, err := app.Troubleshoot(t.Context(), "api-entra", true)
	require.NoError(t, err)
	byCheck := map[string]daemon.Finding{}
	for _, f := range findings {
		byCheck[f.Check] = f
	}
	require.Equal(t, daemon.FindingError, byCheck["enabled"].Status)
	require.Equal(t, daemon.FindingWarn, byCheck["deactivation"].Status)
	require.Equal(t, daemon.FindingInfo, byCheck["scope"].Status)
	require.Contains(t, byCheck["scope"].Detail, "2 source users")
	require.Equal(t, daemon.FindingOK, byCheck["credentials"].Status)
	require.Equal(t, daemon.FindingOK, byCheck["held"].Status)
}
