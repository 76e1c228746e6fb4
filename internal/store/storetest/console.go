package storetest

import (
	"context"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/integrator-oss/integrator/internal/record"
	"github.com/integrator-oss/integrator/internal/store"
)

// RunConsoleTests checks a backend's store.Console: integrations defined at
// run time, administrators and credentials. newStore must return a new,
// empty store that implements store.Console.
func RunConsoleTests(t *testing.T, newStore func(t *testing.T) store.Store) {
	tests := []struct {
		name string
		fn   func(t *testing.T, s store.Console)
	}{
		{"IntegrationDefs", testIntegrationDefs},
		{"Admins", testAdmins},
		{"Credentials", testCredentials},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			s, ok := newStore(t).(store.Console)
			require.True(t, ok, "the store does not implement store.Console")
			tc.fn(t, s)
		})
	}
}

func testIntegrationDefs(t *testing.T, s store.Console) {
	ctx := t.Context()
	_, err := s.IntegrationDefGet(ctx, "a")
	require.ErrorIs(t, err, store.ErrNotFound)
	list, err := s.IntegrationDefList(ctx)
	require.NoError(t, err)
	require.Empty(t, list)

	d, err := s.IntegrationDefPut(ctx, &store.IntegrationDefPutParams{
		Name: "b", Type: "entra", Document: []byte(`{"name":"b"}`), Sealed: []byte{1, 2, 3},
	})
	require.NoError(t, err)
	require.Equal(t, int64(1), d.Version)
	require.Equal(t, []byte{1, 2, 3}, d.Sealed)
	require.False(t, d.CreatedAt.IsZero())

	_, err = s.IntegrationDefPut(ctx, &store.IntegrationDefPutParams{Name: "b", Type: "entra", Document: []byte(`{}`)})
	require.ErrorIs(t, err, store.ErrConflict, "creating a name that exists")

	_, err = s.IntegrationDefPut(ctx, &store.IntegrationDefPutParams{Name: "a", Type: "entra", Document: []byte(`{"name":"a"}`)})
	require.NoError(t, err)

	d2, err := s.IntegrationDefPut(ctx, &store.IntegrationDefPutParams{
		Name: "b", Type: "entra", Document: []byte(`{"name":"b","enabled":false}`), Version: 1,
	})
	require.NoError(t, err)
	require.Equal(t, int64(2), d2.Version)
	require.Nil(t, d2.Sealed, "a write replaces the sealed secrets")
	require.Equal(t, d.CreatedAt, d2.CreatedAt)

	_, err = s.IntegrationDefPut(ctx, &store.IntegrationDefPutParams{Name: "b", Type: "entra", Document: []byte(`{}`), Version: 1})
	require.ErrorIs(t, err, store.ErrConflict, "a stale version")
	_, err = s.IntegrationDefPut(ctx, &store.IntegrationDefPutParams{Name: "zz", Type: "entra", Document: []byte(`{}`), Version: 3})
	require.ErrorIs(t, err, store.ErrNotFound, "replacing a missing definition")

	got, err := s.IntegrationDefGet(ctx, "b")
	require.NoError(t, err)
	require.JSONEq(t, `{"name":"b","enabled":false}`, string(got.Document))

	list, err = s.IntegrationDefList(ctx)
	require.NoError(t, err)
	require.Len(t, list, 2)
	require.Equal(t, "a", list[0].Name)

	require.NoError(t, s.IntegrationDefDelete(ctx, "a"))
	require.ErrorIs(t, s.IntegrationDefDelete(ctx, "a"), store.ErrNotFound)
	list, err = s.IntegrationDefList(ctx)
	require.NoError(t, err)
	require.Len(t, list, 1)
}

func testAdmins(t *testing.T, s store.Console) {
	ctx := t.Context()
	_, err := s.AdminGet(ctx, "root")
	require.ErrorIs(t, err, store.ErrNotFound)
	a, err := s.AdminPut(ctx, &store.AdminPutParams{Username: "root"})
	require.NoError(t, err)
	require.NotZero(t, a.ID)
	require.Empty(t, a.PasswordHash)

	b, err := s.AdminPut(ctx, &store.AdminPutParams{Username: "root", PasswordHash: "$argon2id$x"})
	require.NoError(t, err)
	require.Equal(t, a.ID, b.ID, "same user name, same administrator")
	require.Equal(t, "$argon2id$x", b.PasswordHash)

	got, err := s.AdminGetByID(ctx, a.ID)
	require.NoError(t, err)
	require.Equal(t, "root", got.Username)
	_, err = s.AdminGetByID(ctx, a.ID+100)
	require.ErrorIs(t, err, store.ErrNotFound)

	_, err = s.AdminPut(ctx, &store.AdminPutParams{Username: "alice", PasswordHash: "h"})
	require.NoError(t, err)
	list, err := s.AdminList(ctx)
	require.NoError(t, err)
	require.Len(t, list, 2)
	require.Equal(t, "alice", list[0].Username)
}

func testCredentials(t *testing.T, s store.Console) {
	ctx := t.Context()
	admin, err := s.AdminPut(ctx, &store.AdminPutParams{Username: "root", PasswordHash: "h"})
	require.NoError(t, err)
	now := baseTime

	sess := &store.Credential{Kind: store.CredentialSession, Hash: []byte("session-1"), Scope: store.ScopeAdmin,
		AdminID: admin.ID, ExpiresAt: now.Add(time.Hour)}
	require.NoError(t, s.CredentialCreate(ctx, sess))
	require.NotZero(t, sess.ID)
	dup := *sess
	require.ErrorIs(t, s.CredentialCreate(ctx, &dup), store.ErrConflict, "a hash is unique")

	tok := &store.Credential{Kind: store.CredentialToken, Hash: []byte("token-1"), Name: "ci", Scope: store.ScopeRead, AdminID: admin.ID}
	require.NoError(t, s.CredentialCreate(ctx, tok))

	got, err := s.CredentialGet(ctx, []byte("session-1"), now)
	require.NoError(t, err)
	require.Equal(t, admin.ID, got.AdminID)
	require.Equal(t, store.CredentialSession, got.Kind)
	require.True(t, got.ExpiresAt.Equal(now.Add(time.Hour)))

	_, err = s.CredentialGet(ctx, []byte("session-1"), now.Add(time.Hour))
	require.ErrorIs(t, err, store.ErrNotFound, "an expired credential is not returned")
	got, err = s.CredentialGet(ctx, []byte("token-1"), now.Add(1000*time.Hour))
	require.NoError(t, err, "a token without expiry does not expire")
	require.Equal(t, "ci", got.Name)
	require.True(t, got.ExpiresAt.IsZero())

	list, err := s.CredentialList(ctx, store.CredentialToken, now)
	require.NoError(t, err)
	require.Len(t, list, 1)
	require.Equal(t, store.ScopeRead, list[0].Scope)

	n, err := s.CredentialDeleteExpired(ctx, now.Add(2*time.Hour))
	require.NoError(t, err)
	require.Equal(t, 1, n)

	sess2 := &store.Credential{Kind: store.CredentialSession, Hash: []byte("session-2"), Scope: store.ScopeAdmin,
		AdminID: admin.ID, ExpiresAt: now.Add(time.Hour)}
	require.NoError(t, s.CredentialCreate(ctx, sess2))
	n, err = s.CredentialDelete(ctx, store.CredentialSession, 0, admin.ID)
	require.NoError(t, err)
	require.Equal(t, 1, n, "deleting an administrator's sessions leaves its tokens")
	n, err = s.CredentialDelete(ctx, store.CredentialToken, tok.ID, 0)
	require.NoError(t, err)
	require.Equal(t, 1, n)
	_, err = s.CredentialGet(ctx, []byte("token-1"), now)
	require.ErrorIs(t, err, store.ErrNotFound)
}

// RunLinkListTests checks a backend's store.LinkLister.
func RunLinkListTests(t *testing.T, newStore func(t *testing.T) store.Store) {
	st := newStore(t)
	s, ok := st.(store.LinkLister)
	require.True(t, ok, "the store does not implement store.LinkLister")
	ctx := t.Context()
	in := newIntegration(t, st, "links")
	var run1, run2 *store.Run
	inTx(t, st, func(ctx context.Context, tx store.Tx) error {
		var err error
		if run1, err = tx.RunStart(ctx, &store.RunStartParams{IntegrationID: in.ID, Mode: "full", Trigger: "manual", At: baseTime}); err != nil {
			return err
		}
		if run2, err = tx.RunStart(ctx, &store.RunStartParams{IntegrationID: in.ID, Mode: "delta", Trigger: "manual", At: baseTime}); err != nil {
			return err
		}
		return tx.LinkUpsertMany(ctx, []store.Link{
			{IntegrationID: in.ID, Kind: record.KindUser, ExternalID: "u1", Status: store.LinkOutOfScope,
				Data: []byte(`{"upn":"Ada.Lovelace@contoso.com"}`), Reason: "not a member of any mapped group", LastRunID: run1.ID},
			{IntegrationID: in.ID, Kind: record.KindUser, ExternalID: "u2", Status: store.LinkConflict,
				Data: []byte(`{"upn":"bob@contoso.com"}`), Reason: "matches 2 users", LastRunID: run2.ID},
			{IntegrationID: in.ID, Kind: record.KindGroup, ExternalID: "g1", Status: store.LinkOutOfScope, LastRunID: run1.ID},
		})
	})
	all, err := s.LinkList(ctx, &store.LinkListParams{IntegrationID: in.ID, Kind: record.KindUser})
	require.NoError(t, err)
	require.Len(t, all, 2)
	require.Less(t, all[0].ID, all[1].ID)

	byRun, err := s.LinkList(ctx, &store.LinkListParams{IntegrationID: in.ID, Kind: record.KindUser, RunID: run2.ID})
	require.NoError(t, err)
	require.Len(t, byRun, 1)
	require.Equal(t, "u2", byRun[0].ExternalID)
	require.Equal(t, "matches 2 users", byRun[0].Reason)

	found, err := s.LinkList(ctx, &store.LinkListParams{IntegrationID: in.ID, Kind: record.KindUser, Search: "ada.LOVELACE"})
	require.NoError(t, err)
	require.Len(t, found, 1)
	require.Equal(t, "u1", found[0].ExternalID)

	status, err := s.LinkList(ctx, &store.LinkListParams{IntegrationID: in.ID, Kind: record.KindUser, Status: store.LinkConflict})
	require.NoError(t, err)
	require.Len(t, status, 1)

	page, err := s.LinkList(ctx, &store.LinkListParams{IntegrationID: in.ID, Kind: record.KindUser, AfterID: all[0].ID, Limit: 5})
	require.NoError(t, err)
	require.Len(t, page, 1)
	require.Equal(t, "u2", page[0].ExternalID)
}
