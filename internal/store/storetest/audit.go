package storetest

import (
	"context"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/integrator-oss/integrator/internal/record"
	"github.com/integrator-oss/integrator/internal/store"
)

func testAudit(t *testing.T, s store.Store) {
	ctx := t.Context()
	in := newIntegration(t, s, "contoso")
	other := newIntegration(t, s, "acme")
	run1 := newRun(t, s, in.ID)
	run2 := newRun(t, s, other.ID)
	at := func(m int) time.Time { return baseTime.Add(time.Duration(m) * time.Minute) }
	events := []store.AuditEvent{
		{At: at(0), RunID: run1.ID, IntegrationID: in.ID, Kind: record.KindUser, EntityID: 1, Action: store.ActionCreated, Reason: "in group Staff"},
		{At: at(1), RunID: run1.ID, IntegrationID: in.ID, Kind: record.KindUser, EntityID: 2, Action: store.ActionUpdated, Reason: "changed at source",
			Changes: []byte(`{"display_name":["Ada","Ada King"]}`)},
		{At: at(2), RunID: run1.ID, IntegrationID: in.ID, Kind: record.KindGroup, EntityID: 1, Action: store.ActionCreated, Reason: "group at source"},
		{At: at(3), RunID: run2.ID, IntegrationID: other.ID, Kind: record.KindUser, EntityID: 1, Action: store.ActionLinked, Reason: "matched by upn"},
		{At: at(4), RunID: run2.ID, IntegrationID: other.ID, Kind: record.KindUser, EntityID: 2, Action: store.ActionDeactivated, Reason: "not found at source"},
	}
	inTx(t, s, func(ctx context.Context, tx store.Tx) error {
		if err := tx.AuditInsertMany(ctx, events[:2]); err != nil {
			return err
		}
		return tx.AuditInsertMany(ctx, events[2:])
	})

	all, err := s.AuditList(ctx, &store.AuditListParams{})
	require.NoError(t, err)
	require.Len(t, all, len(events))
	for i, e := range all {
		require.NotZero(t, e.ID)
		if i > 0 {
			require.Greater(t, e.ID, all[i-1].ID, "events come by ascending ID")
		}
		want := events[i]
		require.True(t, e.At.Equal(want.At), "event %d at %v, want %v", i, e.At, want.At)
		require.Equal(t, want.RunID, e.RunID)
		require.Equal(t, want.IntegrationID, e.IntegrationID)
		require.Equal(t, want.Kind, e.Kind)
		require.Equal(t, want.EntityID, e.EntityID)
		require.Equal(t, want.Action, e.Action)
		require.Equal(t, want.Reason, e.Reason)
	}
	require.JSONEq(t, `{"display_name":["Ada","Ada King"]}`, string(all[1].Changes))
	require.Empty(t, all[0].Changes)

	reasons := func(es []store.AuditEvent) []string {
		out := make([]string, len(es))
		for i, e := range es {
			out[i] = e.Reason
		}
		return out
	}
	tests := []struct {
		name string
		p    *store.AuditListParams
		want []string
	}{
		{"nil params", nil, reasons(all)},
		{"integration", &store.AuditListParams{IntegrationID: other.ID}, []string{"matched by upn", "not found at source"}},
		{"run", &store.AuditListParams{RunID: run1.ID}, []string{"in group Staff", "changed at source", "group at source"}},
		{"kind", &store.AuditListParams{Kind: record.KindGroup}, []string{"group at source"}},
		{"entity", &store.AuditListParams{Kind: record.KindUser, EntityID: 2}, []string{"changed at source", "not found at source"}},
		{"action", &store.AuditListParams{Action: store.ActionDeactivated}, []string{"not found at source"}},
		{"since inclusive", &store.AuditListParams{Since: at(3)}, []string{"matched by upn", "not found at source"}},
		{"until exclusive", &store.AuditListParams{Until: at(1)}, []string{"in group Staff"}},
		{"window", &store.AuditListParams{Since: at(1), Until: at(3)}, []string{"changed at source", "group at source"}},
		{"after id", &store.AuditListParams{AfterID: all[2].ID}, []string{"matched by upn", "not found at source"}},
		{"limit", &store.AuditListParams{AfterID: all[0].ID, Limit: 2}, []string{"changed at source", "group at source"}},
	}
	for _, tc := range tests {
		got, err := s.AuditList(ctx, tc.p)
		require.NoError(t, err, tc.name)
		require.Equal(t, tc.want, reasons(got), tc.name)
	}

	// An event without a time is stamped.
	inTx(t, s, func(ctx context.Context, tx store.Tx) error {
		return tx.AuditInsertMany(ctx, []store.AuditEvent{{RunID: run1.ID, IntegrationID: in.ID, Kind: record.KindUser, EntityID: 3, Action: store.ActionReactivated}})
	})
	got, err := s.AuditList(ctx, &store.AuditListParams{Action: store.ActionReactivated})
	require.NoError(t, err)
	require.Len(t, got, 1)
	require.False(t, got[0].At.IsZero())
}
