// Package storetest is the conformance suite every store backend runs:
// call RunTests from the backend's tests with a constructor of fresh,
// empty stores. It is a test kit: production code must not import it.
//
// The suite pins the behaviour the engine, the API and the console rely
// on, in terms of the store interface only. Backends keep times to at
// least microsecond precision, so the suite writes times truncated to the
// microsecond.
package storetest

import (
	"context"
	"slices"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/integrator-oss/integrator/internal/record"
	"github.com/integrator-oss/integrator/internal/store"
)

// RunTests runs the suite. newStore must return a new, empty store for each
// call and close it when t ends.
func RunTests(t *testing.T, newStore func(t *testing.T) store.Store) {
	tests := []struct {
		name string
		fn   func(t *testing.T, s store.Store)
	}{
		{"Integrations", testIntegrations},
		{"Cursors", testCursors},
		{"Runs", testRuns},
		{"RunListFilters", testRunListFilters},
		{"Sites", testSites},
		{"Users", testUsers},
		{"UserList", testUserList},
		{"UserFind", testUserFind},
		{"Groups", testGroups},
		{"UserManagersResolve", testUserManagersResolve},
		{"Links", testLinks},
		{"LinkGetManyLarge", testLinkGetManyLarge},
		{"LinkListUnseen", testLinkListUnseen},
		{"EntityCount", testEntityCount},
		{"Members", testMembers},
		{"MemberSweep", testMemberSweep},
		{"Pending", testPending},
		{"Rescope", testRescope},
		{"RunScratchClear", testRunScratchClear},
		{"Audit", testAudit},
		{"TxRollback", testTxRollback},
		{"TxPanic", testTxPanic},
		{"TxCancel", testTxCancel},
		{"TimeZones", testTimeZones},
		{"ConcurrentTx", testConcurrentTx},
		{"Owners", testOwners},
		{"UserFindContacts", testUserFindContacts},
		{"Review", testReview},
		{"UserDuplicates", testUserDuplicates},
		{"Assets", testAssets},
		{"OrgMappings", testOrgMappings},
		{"Appointments", testAppointments},
		{"Licences", testLicences},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			tc.fn(t, newStore(t))
		})
	}
}

// baseTime is a fixed instant with sub-second digits, truncated to the
// precision every backend keeps.
var baseTime = time.Date(2026, 3, 14, 9, 26, 53, 589793000, time.UTC)

// inTx runs fn in a transaction and fails the test if it fails.
func inTx(t *testing.T, s store.Store, fn func(ctx context.Context, tx store.Tx) error) {
	t.Helper()
	ctx := t.Context()
	require.NoError(t, s.Tx(ctx, func(tx store.Tx) error { return fn(ctx, tx) }))
}

// newIntegration creates an integration.
func newIntegration(t *testing.T, s store.Store, name string) *store.Integration {
	t.Helper()
	var in *store.Integration
	inTx(t, s, func(ctx context.Context, tx store.Tx) error {
		var err error
		in, err = tx.IntegrationUpsert(ctx, &store.IntegrationUpsertParams{Name: name, Type: "fake", Enabled: true})
		return err
	})
	return in
}

// newRun starts a run of the integration.
func newRun(t *testing.T, s store.Store, integrationID int64) *store.Run {
	t.Helper()
	var run *store.Run
	inTx(t, s, func(ctx context.Context, tx store.Tx) error {
		var err error
		run, err = tx.RunStart(ctx, &store.RunStartParams{
			IntegrationID: integrationID, Mode: "full", Trigger: "manual", At: baseTime,
		})
		return err
	})
	return run
}

// newUsers inserts users and returns them with their IDs.
func newUsers(t *testing.T, s store.Store, users ...store.User) []store.User {
	t.Helper()
	inTx(t, s, func(ctx context.Context, tx store.Tx) error { return tx.UserInsertMany(ctx, users) })
	return users
}

// newGroups inserts groups and returns them with their IDs.
func newGroups(t *testing.T, s store.Store, groups ...store.Group) []store.Group {
	t.Helper()
	inTx(t, s, func(ctx context.Context, tx store.Tx) error { return tx.GroupInsertMany(ctx, groups) })
	return groups
}

// upsertLinks writes links and returns them with their IDs.
func upsertLinks(t *testing.T, s store.Store, links ...store.Link) []store.Link {
	t.Helper()
	inTx(t, s, func(ctx context.Context, tx store.Tx) error { return tx.LinkUpsertMany(ctx, links) })
	return links
}

// link builds a linked link of the integration.
func link(integrationID int64, kind record.Kind, externalID string, entityID int64) store.Link {
	return store.Link{
		IntegrationID: integrationID, Kind: kind, ExternalID: externalID, EntityID: entityID,
		Status: store.LinkLinked, MatchedBy: "created", Fingerprint: "fp-" + externalID,
		Data: []byte(`{"state":"present"}`), Reason: "in scope",
	}
}

// user builds an active end user.
func user(name string) store.User {
	return store.User{
		Role: store.RoleUser, Active: true, DisplayName: name,
		UPN: name + "@example.com", Email: name + "@example.com",
	}
}

func externalIDs(links []store.Link) []string {
	out := make([]string, len(links))
	for i, l := range links {
		out[i] = l.ExternalID
	}
	slices.Sort(out)
	return out
}

func userIDs(users []store.User) []int64 {
	out := make([]int64, len(users))
	for i, u := range users {
		out[i] = u.ID
	}
	return out
}

func ptr[T any](v T) *T { return &v }
