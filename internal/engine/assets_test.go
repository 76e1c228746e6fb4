package engine_test

import (
	"context"
	"fmt"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/integrator-oss/integrator/internal/connector"
	"github.com/integrator-oss/integrator/internal/engine"
	"github.com/integrator-oss/integrator/internal/integration"
	"github.com/integrator-oss/integrator/internal/record"
	"github.com/integrator-oss/integrator/internal/store"
)

func device(id string, attrs ...string) record.Record {
	a := map[string]string{record.AttrLastSeen: time.Now().UTC().Add(-time.Hour).Format(time.RFC3339)}
	for i := 0; i+1 < len(attrs); i += 2 {
		a[attrs[i]] = attrs[i+1]
	}
	return record.Record{Kind: record.KindAsset, ID: id, Attrs: a}
}

func assetSource(t *testing.T, b *testBundle, name, typ string, mod ...func(*integration.Settings)) *testBundle {
	return b.source(t, name, typ, append([]func(*integration.Settings){func(s *integration.Settings) {
		s.Entities = []record.Kind{record.KindAsset, record.KindSite}
	}}, mod...)...)
}

func (b *testBundle) assets(t *testing.T) []store.Asset {
	t.Helper()
	as, err := b.st.AssetList(t.Context(), &store.EntityListParams{Limit: 1000})
	require.NoError(t, err)
	return as
}

func (b *testBundle) full(t *testing.T, recs ...record.Record) *engine.Result {
	t.Helper()
	return b.run(t, &script{pages: [][]record.Record{recs}, failAt: -1, full: true})
}

func TestOneDeviceFromThreeSourcesIsOneAsset(t *testing.T) {
	t.Parallel()
	b := setup(t)
	// The person Intune names as the primary user.
	b.set.Scope = integration.Scope{AllUsers: true}
	b.run(t, &script{pages: [][]record.Record{{user("u-ada", "ada@contoso.com")}}, failAt: -1})

	intune := assetSource(t, b, "contoso-intune", "intune")
	ninja := assetSource(t, b, "ninja", "ninjaone")
	lansweeper := assetSource(t, b, "lansweeper", "lansweeper")

	intune.full(t, device("in-1", record.AttrName, "LON-LT-001", record.AttrSerial, "5cg1234xyz ",
		record.AttrManufacturer, "HP Inc.", record.AttrModel, "HP EliteBook", record.AttrPrimaryUser, "ADA@contoso.com",
		record.AttrCompliance, "compliant", record.AttrMACs, "3c:22:fb:12:34:56", record.AttrAssetType, "laptop"))
	ninja.full(t, device("nj-77", record.AttrName, "LON-LT-001", record.AttrHostname, "lon-lt-001.corp.example",
		record.AttrSerial, "5CG1234XYZ", record.AttrManufacturer, "HP", record.AttrModel, "EliteBook 840 G8",
		record.AttrCPU, "Intel Core i7-1185G7", record.AttrMemoryMB, "16384", record.AttrCompliance, "unknown",
		record.AttrMACs, "3C-22-FB-12-34-56,00:50:56:C0:00:08"))
	lansweeper.full(t, device("ls-abc", record.AttrName, "lon-lt-001", record.AttrMACs, "3C22FB123456",
		record.AttrSoftware, `[{"name":"7-Zip","version":"23.01","publisher":"Igor Pavlov"}]`, record.AttrManufacturer, "Hewlett-Packard"))
	// Each source again, in another order: nothing moves.
	ninja.full(t, device("nj-77", record.AttrName, "LON-LT-001", record.AttrHostname, "lon-lt-001.corp.example",
		record.AttrSerial, "5CG1234XYZ", record.AttrManufacturer, "HP", record.AttrModel, "EliteBook 840 G8",
		record.AttrCPU, "Intel Core i7-1185G7", record.AttrMemoryMB, "16384", record.AttrCompliance, "unknown",
		record.AttrMACs, "3C-22-FB-12-34-56,00:50:56:C0:00:08"))
	intune.full(t, device("in-1", record.AttrName, "LON-LT-001", record.AttrSerial, "5cg1234xyz ",
		record.AttrManufacturer, "HP Inc.", record.AttrModel, "HP EliteBook", record.AttrPrimaryUser, "ADA@contoso.com",
		record.AttrCompliance, "compliant", record.AttrMACs, "3c:22:fb:12:34:56", record.AttrAssetType, "laptop"))

	as := b.assets(t)
	require.Len(t, as, 1, "one device, one asset")
	a := as[0]
	links, err := b.st.LinkListByEntity(t.Context(), record.KindAsset, a.ID)
	require.NoError(t, err)
	require.Len(t, links, 3)
	by := map[string]string{}
	for _, l := range links {
		by[l.ExternalID] = l.MatchedBy
	}
	require.Equal(t, map[string]string{"in-1": "created", "nj-77": "serial", "ls-abc": "mac"}, by)

	_, ada := b.userByExt(t, "u-ada")
	require.Equal(t, ada.ID, a.PrimaryUserID, "primary user from Intune")
	require.Equal(t, "compliant", a.Compliance, "compliance from Intune, not the RMM's unknown")
	require.Equal(t, "HP", a.Manufacturer, "hardware from the RMM")
	require.Equal(t, "EliteBook 840 G8", a.Model)
	require.Equal(t, "Intel Core i7-1185G7", a.Details[record.AttrCPU])
	require.Contains(t, a.Details[record.AttrSoftware], "7-Zip", "software from Lansweeper")
	require.Equal(t, store.AssetLaptop, a.Type)
	require.Equal(t, ninja.integ.ID, a.Owners["serial_number"])
	require.Equal(t, intune.integ.ID, a.Owners["primary_user"])
	require.Equal(t, lansweeper.integ.ID, a.Owners["software"])
}

func TestPlaceholderSerialNeverMergesTwoDevices(t *testing.T) {
	t.Parallel()
	b := setup(t)
	ninja := assetSource(t, b, "ninja", "ninjaone")
	datto := assetSource(t, b, "datto", "datto")
	ninja.full(t,
		device("a", record.AttrName, "PC-A", record.AttrSerial, "To be filled by O.E.M."),
		device("b", record.AttrName, "PC-B", record.AttrSerial, "To be filled by O.E.M."))
	datto.full(t, device("x", record.AttrName, "PC-X", record.AttrSerial, "Default string", record.AttrMACs, "02:00:4C:4F:4F:50"))
	require.Len(t, b.assets(t), 3, "a placeholder serial (or a locally administered MAC) identifies nothing")
	n, err := b.st.ReviewCount(t.Context(), "")
	require.NoError(t, err)
	require.Zero(t, n, "not even ambiguous")
}

func TestSameHostnameInTwoClientsStaysTwo(t *testing.T) {
	t.Parallel()
	b := setup(t)
	ninja := assetSource(t, b, "ninja", "ninjaone", func(s *integration.Settings) {
		s.Assets.Organisations = []integration.OrgMap{{Source: "1", Client: "Acme"}, {Source: "2", Client: "Globex"}}
	})
	ninja.full(t,
		device("a", record.AttrName, "RECEPTION-PC", record.AttrSourceOrgID, "1", record.AttrSourceOrgName, "Acme Corp"),
		device("b", record.AttrName, "RECEPTION-PC", record.AttrSourceOrgID, "2", record.AttrSourceOrgName, "Globex"))
	as := b.assets(t)
	require.Len(t, as, 2)
	require.NotEqual(t, as[0].ClientID, as[1].ClientID)

	// Within one client, the hostname joins a second source's device.
	other := assetSource(t, b, "lansweeper", "lansweeper", func(s *integration.Settings) {
		s.Assets.Organisations = []integration.OrgMap{{Source: "Acme", Client: "Acme"}}
	})
	other.full(t, device("ls-1", record.AttrName, "reception-pc.acme.local", record.AttrSourceOrgName, "Acme"))
	require.Len(t, b.assets(t), 2)
}

func TestAssetRemovalStalenessAndFailedFetch(t *testing.T) {
	t.Parallel()
	b := setup(t)
	ninja := assetSource(t, b, "ninja", "ninjaone", func(s *integration.Settings) {
		s.Threshold = integration.Threshold{MaxCount: -1, MaxPercent: -1}
	})
	long := time.Now().UTC().Add(-200 * 24 * time.Hour).Format(time.RFC3339)
	a := device("a", record.AttrName, "PC-A")
	ninja.full(t, a, device("b", record.AttrName, "PC-B"),
		device("c", record.AttrName, "PC-C", record.AttrLastSeen, long))
	require.Len(t, b.assets(t), 2, "a device nothing has seen for 200 days is not created")
	links, err := b.st.LinkGetMany(t.Context(), &store.LinkGetManyParams{IntegrationID: ninja.integ.ID, Kind: record.KindAsset, ExternalIDs: []string{"c"}})
	require.NoError(t, err)
	require.Len(t, links, 1)
	require.Contains(t, links[0].Reason, "not seen by any source since")

	// A failed fetch deactivates nothing.
	_, err = ninja.eng.Run(t.Context(), engine.RunParams{Integration: ninja.integ, Settings: ninja.set, Full: true,
		Source: &script{pages: [][]record.Record{{device("a", record.AttrName, "PC-A")}, {}}, failAt: 1, full: true}})
	require.ErrorContains(t, err, "500")
	for _, a := range b.assets(t) {
		require.True(t, a.Active)
	}

	// A full run without b deactivates it. a keeps reporting the same
	// last check-in while 100 days pass: it goes stale although the
	// source still lists it.
	later := *ninja
	later.eng = ninja.eng.WithClock(func() time.Time { return time.Now().Add(100 * 24 * time.Hour) })
	later.full(t, a)
	got := map[string]store.Asset{}
	for _, a := range b.assets(t) {
		got[a.Name] = a
	}
	require.False(t, got["PC-B"].Active)
	require.Contains(t, got["PC-B"].DeactivatedReason, "not found at source")
	require.False(t, got["PC-A"].Active)
	require.Contains(t, got["PC-A"].DeactivatedReason, "not seen by any source since")

	// It checks in again: back, the same asset.
	later.full(t, device("a", record.AttrName, "PC-A", record.AttrLastSeen, time.Now().Add(100*24*time.Hour).UTC().Format(time.RFC3339)))
	for _, as := range b.assets(t) {
		if as.Name == "PC-A" {
			require.True(t, as.Active)
			require.Equal(t, got["PC-A"].ID, as.ID)
		}
	}
}

func TestOrganisationMappingTable(t *testing.T) {
	t.Parallel()
	b := setup(t)
	ctx := t.Context()
	require.NoError(t, b.st.Tx(ctx, func(tx store.Tx) error {
		_, err := tx.SiteEnsure(ctx, "Acme", "Main")
		return err
	}))
	ninja := assetSource(t, b, "ninja", "ninjaone")
	res := ninja.full(t,
		record.Record{Kind: record.KindSite, ID: "loc-1", Attrs: map[string]string{record.AttrName: "Leeds office", record.AttrSourceOrgID: "10", record.AttrSourceOrgName: "ACME"}},
		device("a", record.AttrName, "PC-A", record.AttrSourceOrgID, "10", record.AttrSourceOrgName, "ACME", record.AttrSourceSiteName, "Leeds office"),
		device("b", record.AttrName, "PC-B", record.AttrSourceOrgID, "20", record.AttrSourceOrgName, "Initech"))
	require.Contains(t, res.Run.Notes, `organisation "ACME" matched platform client "Acme" by name`)
	require.Contains(t, res.Run.Notes, `organisation "Initech" is not mapped`)
	maps, err := b.st.OrgMappingList(ctx, ninja.integ.ID)
	require.NoError(t, err)
	require.Len(t, maps, 1)
	require.Equal(t, "Acme", maps[0].Client)
	require.Equal(t, store.OrgMappingAuto, maps[0].Origin)

	sites := b.sites(t)
	for _, a := range b.assets(t) {
		switch a.Name {
		case "PC-A":
			require.Equal(t, "Leeds office", sites[a.SiteID])
		case "PC-B":
			require.Equal(t, "Main", sites[a.SiteID], "unmapped: the default site")
		}
	}

	// An operator remaps ACME; a sync never overwrites it.
	m := maps[0]
	m.Client, m.Origin = "Acme Holdings", store.OrgMappingOperator
	require.NoError(t, b.st.Tx(ctx, func(tx store.Tx) error { return tx.OrgMappingUpsert(ctx, &m) }))
	ninja.full(t, device("a", record.AttrName, "PC-A", record.AttrSourceOrgID, "10", record.AttrSourceOrgName, "ACME", record.AttrSourceSiteName, "Leeds office"),
		device("b", record.AttrName, "PC-B", record.AttrSourceOrgID, "20", record.AttrSourceOrgName, "Initech"))
	maps, err = b.st.OrgMappingList(ctx, ninja.integ.ID)
	require.NoError(t, err)
	require.Len(t, maps, 1)
	require.Equal(t, "Acme Holdings", maps[0].Client)
	for _, a := range b.assets(t) {
		if a.Name == "PC-A" {
			st, err := b.st.SiteList(ctx)
			require.NoError(t, err)
			for _, s := range st {
				if s.ID == a.SiteID {
					require.Equal(t, "Acme Holdings", s.ClientName)
				}
			}
		}
	}
}

func TestLastLoggedOnUserBecomesTheAssetsUser(t *testing.T) {
	t.Parallel()
	b := setup(t)
	b.set.Scope = integration.Scope{AllUsers: true}
	b.run(t, &script{pages: [][]record.Record{{user("u-ben", "ben@corp.example")}}, failAt: -1})
	datto := assetSource(t, b, "datto", "datto", func(s *integration.Settings) { s.Assets.UPNSuffix = "corp.example" })
	datto.full(t, device("d1", record.AttrName, "PC-1", record.AttrLastLoggedOnUser, `CORP\ben`),
		device("d2", record.AttrName, "PC-2", record.AttrLastLoggedOnUser, `CORP\nobody`))
	_, ben := b.userByExt(t, "u-ben")
	for _, a := range b.assets(t) {
		if a.Name == "PC-1" {
			require.Equal(t, ben.ID, a.PrimaryUserID)
		} else {
			require.Zero(t, a.PrimaryUserID)
			require.Equal(t, `CORP\nobody`, a.LastLoggedOnUser)
		}
	}
}

// budgeted is a source that reports a rate budget as it pages.
type budgeted struct{ script }

func (s *budgeted) Fetch(ctx context.Context, req connector.FetchRequest, sink connector.Sink) (connector.FetchResult, error) {
	sink.Progress(connector.Progress{Requests: 3, Budgeted: true, Budget: 7})
	return s.script.Fetch(ctx, req, sink)
}

func TestProgressCarriesTheRequestBudget(t *testing.T) {
	t.Parallel()
	b := setup(t)
	ninja := assetSource(t, b, "ninja", "ninjaone")
	var last engine.Progress
	src := &budgeted{script{pages: [][]record.Record{{device("a", record.AttrName, "PC-A")}}, failAt: -1, full: true}}
	_, err := ninja.eng.Run(t.Context(), engine.RunParams{Integration: ninja.integ, Settings: ninja.set, Source: src,
		Progress: func(p engine.Progress) { last = p }})
	require.NoError(t, err)
	require.True(t, last.Budgeted)
	require.Equal(t, 7, last.Budget)
	require.Equal(t, 3, last.Requests)
}

func TestThresholdOfADeviceIntegrationCountsItsAssets(t *testing.T) {
	t.Parallel()
	b := setup(t)
	ninja := assetSource(t, b, "ninja", "ninjaone", func(s *integration.Settings) {
		s.Threshold = integration.Threshold{MaxCount: 500, MaxPercent: 10}
	})
	var all []record.Record
	for i := range 20 {
		all = append(all, device(fmt.Sprintf("d%02d", i), record.AttrName, fmt.Sprintf("PC-%02d", i)))
	}
	ninja.full(t, all...)
	res := ninja.full(t, all[1:]...)
	require.False(t, res.Held, "one device of twenty is 5%%, under the 10%% threshold: %s", res.Run.Notes)
	require.EqualValues(t, 1, res.Run.ByKind[record.KindAsset].Deactivated)

	res = ninja.full(t, all[5:]...)
	require.True(t, res.Held, "four more of nineteen is over 10%%")
	require.Contains(t, res.Run.Notes, "would deactivate 4 assets")
}
