package storetest

import (
	"context"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/integrator-oss/integrator/internal/record"
	"github.com/integrator-oss/integrator/internal/store"
)

func testAssets(t *testing.T, s store.Store) {
	ctx := t.Context()
	var london, paris *store.Site
	inTx(t, s, func(ctx context.Context, tx store.Tx) error {
		var err error
		if london, err = tx.SiteEnsure(ctx, "Contoso", "London"); err != nil {
			return err
		}
		paris, err = tx.SiteEnsure(ctx, "Fabrikam", "Paris")
		return err
	})
	owner := newUsers(t, s, user("ada"))[0]
	in := newIntegration(t, s, "ninja")
	full := store.Asset{
		ClientID: london.ClientID, SiteID: london.ID, Type: store.AssetLaptop, Name: "LON-LT-001", Hostname: "lon-lt-001.corp.example",
		Serial: "5CG1234XYZ", Manufacturer: "HP", Model: "EliteBook 840", OS: "Windows 11 Pro", OSVersion: "23H2",
		MACs: []string{"AA:BB:CC:00:11:22", "AA:BB:CC:00:11:23"}, IPs: []string{"10.0.0.5"}, PrimaryUserID: owner.ID,
		LastLoggedOnUser: `CORP\ada`, LastSeen: baseTime, Online: "online", Compliance: "compliant",
		Details: map[string]string{record.AttrSoftware: `[{"name":"7-Zip","version":"23.01","publisher":"Igor Pavlov"}]`, record.AttrCPU: "i7"},
		Owners:  map[string]int64{"serial_number": in.ID}, Active: true,
		SerialKey: "5CG1234XYZ", MACKey: "AA:BB:CC:00:11:22", HostnameKey: "lon-lt-001",
	}
	twin := store.Asset{ClientID: paris.ClientID, SiteID: paris.ID, Type: store.AssetWorkstation, Name: "LON-LT-001",
		Active: true, HostnameKey: "lon-lt-001"}
	assets := []store.Asset{full, twin}
	inTx(t, s, func(ctx context.Context, tx store.Tx) error { return tx.AssetInsertMany(ctx, assets) })
	require.NotZero(t, assets[0].ID)
	require.NotEqual(t, assets[0].ID, assets[1].ID)

	got, err := s.AssetGet(ctx, assets[0].ID)
	require.NoError(t, err)
	want := full
	want.ID, want.CreatedAt, want.UpdatedAt = assets[0].ID, got.CreatedAt, got.UpdatedAt
	require.Equal(t, want, *got)
	_, err = s.AssetGet(ctx, 999999)
	require.ErrorIs(t, err, store.ErrNotFound)

	// Keys: serial and MAC everywhere, hostname within one client.
	hits, err := s.AssetFind(ctx, &store.AssetFindParams{Key: store.AssetKeySerial, Values: []string{"5CG1234XYZ", "NOPE"}})
	require.NoError(t, err)
	require.Equal(t, map[string][]int64{"5CG1234XYZ": {assets[0].ID}}, hits)
	hits, err = s.AssetFind(ctx, &store.AssetFindParams{Key: store.AssetKeyMAC, Values: []string{"AA:BB:CC:00:11:22"}})
	require.NoError(t, err)
	require.Equal(t, []int64{assets[0].ID}, hits["AA:BB:CC:00:11:22"])
	hits, err = s.AssetFind(ctx, &store.AssetFindParams{Key: store.AssetKeyHostname, Values: []string{"lon-lt-001"}, ClientID: paris.ClientID})
	require.NoError(t, err)
	require.Equal(t, []int64{assets[1].ID}, hits["lon-lt-001"], "the same hostname at another client is another device")

	// Update and deactivate.
	u := *got
	u.Active, u.DeactivatedAt, u.DeactivatedReason, u.DeactivatedBy = false, baseTime, "retired at source", in.ID
	u.SerialKey, u.PrimaryUserID, u.MACs = "", 0, nil
	inTx(t, s, func(ctx context.Context, tx store.Tx) error { return tx.AssetUpdateMany(ctx, []store.Asset{u}) })
	got, err = s.AssetGet(ctx, u.ID)
	require.NoError(t, err)
	require.False(t, got.Active)
	require.Equal(t, "retired at source", got.DeactivatedReason)
	require.Empty(t, got.SerialKey)
	require.Empty(t, got.MACs)
	require.Zero(t, got.PrimaryUserID)
	hits, err = s.AssetFind(ctx, &store.AssetFindParams{Key: store.AssetKeySerial, Values: []string{"5CG1234XYZ"}})
	require.NoError(t, err)
	require.Empty(t, hits)
	err = s.Tx(ctx, func(tx store.Tx) error {
		return tx.AssetUpdateMany(ctx, []store.Asset{{ID: 999999}})
	})
	require.ErrorIs(t, err, store.ErrNotFound)

	many, err := s.AssetGetMany(ctx, []int64{assets[1].ID, 999999})
	require.NoError(t, err)
	require.Len(t, many, 1)
	list, err := s.AssetList(ctx, &store.EntityListParams{Search: "5cg1234", Limit: 10})
	require.NoError(t, err)
	require.Len(t, list, 1)
	list, err = s.AssetList(ctx, &store.EntityListParams{SiteID: paris.ID})
	require.NoError(t, err)
	require.Len(t, list, 1)
	require.Equal(t, assets[1].ID, list[0].ID)

	// Links to assets count and sweep like the other kinds.
	upsertLinks(t, s, link(in.ID, record.KindAsset, "dev-1", assets[0].ID), link(in.ID, record.KindAsset, "dev-2", assets[1].ID))
	c, err := s.EntityCount(ctx, in.ID, record.KindAsset)
	require.NoError(t, err)
	require.Equal(t, store.EntityCount{Active: 1, Inactive: 1}, c)
}

func testOrgMappings(t *testing.T, s store.Store) {
	ctx := t.Context()
	in := newIntegration(t, s, "ninja")
	other := newIntegration(t, s, "datto")
	m := store.OrgMapping{IntegrationID: in.ID, SourceOrgID: "17", SourceOrgName: "Acme Corp", Client: "Acme", Origin: store.OrgMappingAuto}
	inTx(t, s, func(ctx context.Context, tx store.Tx) error { return tx.OrgMappingUpsert(ctx, &m) })
	require.NotZero(t, m.ID)
	o := store.OrgMapping{IntegrationID: other.ID, SourceOrgID: "17", SourceOrgName: "Other", Client: "Other", Origin: store.OrgMappingOperator}
	inTx(t, s, func(ctx context.Context, tx store.Tx) error { return tx.OrgMappingUpsert(ctx, &o) })

	m2 := m
	m2.Client, m2.Site, m2.Origin = "Acme Ltd", "HQ", store.OrgMappingOperator
	inTx(t, s, func(ctx context.Context, tx store.Tx) error { return tx.OrgMappingUpsert(ctx, &m2) })
	require.Equal(t, m.ID, m2.ID, "same integration and organisation: replaced in place")
	list, err := s.OrgMappingList(ctx, in.ID)
	require.NoError(t, err)
	require.Len(t, list, 1)
	require.Equal(t, "Acme Ltd", list[0].Client)
	require.Equal(t, "HQ", list[0].Site)
	require.Equal(t, store.OrgMappingOperator, list[0].Origin)
	require.Equal(t, "Acme Corp", list[0].SourceOrgName)

	inTx(t, s, func(ctx context.Context, tx store.Tx) error { return tx.OrgMappingDelete(ctx, m.ID) })
	err = s.Tx(ctx, func(tx store.Tx) error { return tx.OrgMappingDelete(ctx, m.ID) })
	require.ErrorIs(t, err, store.ErrNotFound)
	list, err = s.OrgMappingList(ctx, other.ID)
	require.NoError(t, err)
	require.Len(t, list, 1)
}
