package snipeit

import (
	"context"
	"errors"
	"strconv"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/integrator-oss/integrator/internal/connector"
	emu "github.com/integrator-oss/integrator/internal/emulator/snipeit"
	"github.com/integrator-oss/integrator/internal/record"
)

func TestFetchPagesToTheEnd(t *testing.T) {
	t.Parallel()
	b := setup(t, emu.Options{RateLimit: -1}, func(c *Config) { c.PageSize = 10 })
	b.emu.Generate(87, emu.GenerateOptions{Locations: 4})
	require.NoError(t, b.emu.DeleteAsset(5))
	require.NoError(t, b.emu.DeleteAsset(60))

	sink, res, err := b.fetch(t)
	require.NoError(t, err)
	require.True(t, res.Full, "every run is a full listing")
	require.Empty(t, res.Cursor)

	sites := sink.ByID(record.KindSite)
	require.Len(t, sites, 4)
	assets := sink.ByID(record.KindAsset)
	require.Len(t, assets, 87, "85 live assets and 2 soft-deleted ones")
	for i := 1; i <= 87; i++ {
		_, ok := assets[strconv.Itoa(i)]
		require.True(t, ok, "asset %d is missing", i)
	}
	require.Equal(t, record.Disabled, assets["5"].State)
	require.Equal(t, "deleted", assets["5"].Reason)
	require.Greater(t, len(sink.Pages), 10, "several pages")
	require.Equal(t, record.KindSite, sink.Pages[0][0].Kind, "sites come before the assets")

	n := 0
	for _, r := range sink.Records() {
		if r.Kind == record.KindAsset {
			n++
		}
	}
	require.Equal(t, 87, n, "the page overlap emits no asset twice")
}

func TestFieldMapping(t *testing.T) {
	t.Parallel()
	b := setup(t, emu.Options{RateLimit: -1}, func(c *Config) {
		c.FieldMap = map[string]string{"os": "Operating System", "memory_mb": "RAM"}
	})
	company := b.emu.AddCompany("Contoso Ltd")
	loc := b.emu.AddLocation(emu.Location{Name: "London HQ", CompanyID: company})
	user := b.emu.AddUser(emu.User{Username: "aruiz", FirstName: "Ana", LastName: "Ruiz", Email: "ana.ruiz@contoso.com"})
	id := b.emu.AddAsset(emu.Asset{
		Name: "LT-0017", AssetTag: "A-0017", Serial: "C02XK1ABJGH5", ModelID: 3, StatusID: emu.LabelReadyToDeploy,
		CompanyID: company, LocationID: loc, RTDLocationID: loc, AssignedUserID: user,
		PurchaseDate: "2024-02-01", WarrantyMonths: 36,
		Custom: map[string]string{"MAC Address": "a4:83:e7:00:11:22", "IP Address": "10.1.2.3", "Operating System": "macOS 14.5", "RAM": "32768", "Cost Centre": "CC-042"},
	})

	sink, _, err := b.fetch(t)
	require.NoError(t, err)
	got := sink.ByID(record.KindAsset)[strconv.Itoa(id)]
	require.Equal(t, record.Present, got.State)
	want := map[string]string{
		record.AttrName:                              "LT-0017",
		record.AttrCustomPrefix + "asset_tag":        "A-0017",
		record.AttrSerial:                            "C02XK1ABJGH5",
		record.AttrManufacturer:                      "Apple",
		record.AttrModel:                             "MacBook Pro 14",
		record.AttrAssetType:                         "laptop",
		record.AttrCustomPrefix + "category":         "Laptops",
		record.AttrOwnerType:                         "company",
		record.AttrPrimaryUser:                       "ana.ruiz@contoso.com",
		record.AttrWarranty:                          "2027-02-01",
		record.AttrSourceOrgID:                       strconv.Itoa(company),
		record.AttrSourceOrgName:                     "Contoso Ltd",
		record.AttrSourceSiteID:                      strconv.Itoa(loc),
		record.AttrSourceSiteName:                    "London HQ",
		record.AttrCustomPrefix + "status":           "Ready to Deploy",
		record.AttrMACs:                              "a4:83:e7:00:11:22",
		record.AttrIPs:                               "10.1.2.3",
		record.AttrOS:                                "macOS 14.5",
		record.AttrMemoryMB:                          "32768",
		record.AttrCustomPrefix + "MAC Address":      "a4:83:e7:00:11:22",
		record.AttrCustomPrefix + "IP Address":       "10.1.2.3",
		record.AttrCustomPrefix + "Operating System": "macOS 14.5",
		record.AttrCustomPrefix + "RAM":              "32768",
		record.AttrCustomPrefix + "Cost Centre":      "CC-042",
	}
	for k, v := range want {
		require.Equal(t, v, got.Attrs[k], "attribute %s", k)
	}
	require.Len(t, got.Attrs, len(want), "no attribute beyond those checked: %v", got.Attrs)

	site := sink.ByID(record.KindSite)[strconv.Itoa(loc)]
	require.Equal(t, map[string]string{
		record.AttrName: "London HQ", record.AttrSourceSiteID: strconv.Itoa(loc), record.AttrSourceSiteName: "London HQ",
		record.AttrSourceOrgID: strconv.Itoa(company), record.AttrSourceOrgName: "Contoso Ltd",
	}, site.Attrs)
}

func TestRetiredStatusesAreDisabled(t *testing.T) {
	t.Parallel()
	b := setup(t, emu.Options{RateLimit: -1})
	b.emu.Generate(6, emu.GenerateOptions{})
	require.NoError(t, b.emu.SetStatus(1, emu.LabelArchived))
	require.NoError(t, b.emu.SetStatus(2, emu.LabelBroken))
	require.NoError(t, b.emu.SetStatus(3, emu.LabelLost))
	require.NoError(t, b.emu.SetStatus(4, emu.LabelPending))
	require.NoError(t, b.emu.SetStatus(5, emu.LabelReadyToDeploy))

	sink, _, err := b.fetch(t)
	require.NoError(t, err)
	assets := sink.ByID(record.KindAsset)
	for id, reason := range map[string]string{"1": "Archived", "2": "Broken - Not Fixable", "3": "Lost/Stolen"} {
		require.Equal(t, record.Disabled, assets[id].State, id)
		require.Equal(t, reason, assets[id].Reason, id)
	}
	require.Equal(t, record.Present, assets["4"].State)
	require.Equal(t, record.Present, assets["5"].State)
}

func TestRemovedAssetIsAbsentFromTheNextListing(t *testing.T) {
	t.Parallel()
	b := setup(t, emu.Options{RateLimit: -1}, func(c *Config) { c.PageSize = 4 })
	b.emu.Generate(20, emu.GenerateOptions{})
	_, _, err := b.fetch(t)
	require.NoError(t, err)

	require.NoError(t, b.emu.PurgeAsset(7))
	require.NoError(t, b.emu.MoveAsset(9, b.emu.AddLocation(emu.Location{Name: "New Site"})))
	sink, res, err := b.fetch(t)
	require.NoError(t, err)
	require.True(t, res.Full, "the engine may sweep what a full listing lacks")
	assets := sink.ByID(record.KindAsset)
	require.Len(t, assets, 19)
	require.NotContains(t, assets, "7")
	require.Equal(t, "New Site", assets["9"].Attrs[record.AttrSourceSiteName])
}

// TestAssetDeletedBetweenPagesIsNotSkipped purges an asset of the first
// page while the listing is under way: plain offset paging would then skip
// the asset that moved into the gap.
func TestAssetDeletedBetweenPagesIsNotSkipped(t *testing.T) {
	t.Parallel()
	b := setup(t, emu.Options{RateLimit: -1}, func(c *Config) { c.PageSize = 10 })
	b.emu.Generate(50, emu.GenerateOptions{})
	sink := &testSink{OnPage: func(_ int, recs []record.Record) {
		if recs[0].Kind == record.KindAsset && recs[0].ID == "1" {
			for _, id := range []int{2, 3, 4} {
				require.NoError(t, b.emu.PurgeAsset(id))
			}
		}
	}}
	res, err := b.src.Fetch(t.Context(), connector.FetchRequest{Kinds: []record.Kind{record.KindAsset}}, sink)
	require.NoError(t, err)
	require.True(t, res.Full)
	assets := sink.ByID(record.KindAsset)
	for i := 5; i <= 50; i++ {
		_, ok := assets[strconv.Itoa(i)]
		require.True(t, ok, "asset %d was skipped", i)
	}
}

func TestRevokedTokenMidRunFailsAsUnauthorized(t *testing.T) {
	t.Parallel()
	b := setup(t, emu.Options{RateLimit: -1}, func(c *Config) { c.PageSize = 5 })
	b.emu.Generate(30, emu.GenerateOptions{})
	b.emu.Inject(emu.Fault{Path: "/hardware", After: 2, Kind: emu.FaultRevokeToken})

	sink, _, err := b.fetch(t)
	require.ErrorIs(t, err, connector.ErrUnauthorized)
	require.ErrorContains(t, err, "page 3")
	require.ErrorContains(t, err, "personal access token")
	require.NotContains(t, err.Error(), b.emu.Token())
	require.False(t, connector.IsRetryable(err), "a refused token does not heal by retrying")
	require.NotEmpty(t, sink.Records(), "pages before the failure were delivered; the run still fails")
}

func TestThrottlingHonoursRetryAfter(t *testing.T) {
	t.Parallel()
	// The emulator's throttle, on the fake clock: 4 requests a minute and
	// no budget in the connector, so it is throttled and must wait what
	// Retry-After says.
	b := setup(t, emu.Options{RateLimit: 4}, func(c *Config) { c.PageSize = 5 })
	b.emu.Generate(30, emu.GenerateOptions{})
	sink, res, err := b.fetch(t)
	require.NoError(t, err)
	require.True(t, res.Full)
	require.Len(t, sink.ByID(record.KindAsset), 30)
	require.Positive(t, b.emu.Stats().Throttled)
	require.LessOrEqual(t, b.emu.Stats().PeakWindow, 4)
	for _, d := range b.clock.sleeps() {
		require.Greater(t, d, time.Second, "the waits are the window's remainder, not a backoff step")
	}
	var waited bool
	for _, p := range sink.Reports {
		waited = waited || p.Waiting > 0
	}
	require.True(t, waited, "the sink hears about the waits")

	// An injected 429 with its own Retry-After.
	b.emu.Inject(emu.Fault{Path: "/hardware", Status: 429, RetryAfter: "17"})
	before := len(b.clock.sleeps())
	_, _, err = b.fetch(t)
	require.NoError(t, err)
	require.Contains(t, b.clock.sleeps()[before:], 17*time.Second)
}

func TestFailingPageFailsTheFetch(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name        string
		fault       emu.Fault
		errContains string
		retryable   bool
	}{
		{"status error with HTTP 200", emu.Fault{Path: "/hardware", After: 1, Kind: emu.FaultError200, Message: "Asset does not exist."}, `status "error": Asset does not exist.`, false},
		{"malformed body", emu.Fault{Path: "/hardware", After: 1, Kind: emu.FaultMalformed}, "invalid JSON", false},
		{"server error that outlasts the retries", emu.Fault{Path: "/hardware", After: 1, Times: 100, Status: 500}, "500", true},
		{"forbidden", emu.Fault{Path: "/locations", Status: 403, Message: "Forbidden."}, "lacks a permission", false},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			b := setup(t, emu.Options{RateLimit: -1}, func(c *Config) { c.PageSize = 5; c.MaxRetries = 2 })
			b.emu.Generate(20, emu.GenerateOptions{})
			b.emu.Inject(tc.fault)
			_, res, err := b.fetch(t)
			require.Error(t, err)
			require.False(t, res.Full)
			require.ErrorContains(t, err, tc.errContains)
			require.Equal(t, tc.retryable, connector.IsRetryable(err))
			if tc.fault.Status == 403 {
				require.True(t, errors.Is(err, connector.ErrForbidden))
			}
		})
	}
}

// TestBudgetSlowsTheRunInsteadOfBeingThrottled runs the same listing on
// real time against an emulator that allows 6 requests a second: without
// a budget the run is throttled; with a budget of 2.5 a second it is
// slower and never throttled, and its progress reports the budget.
func TestBudgetSlowsTheRunInsteadOfBeingThrottled(t *testing.T) {
	t.Parallel()
	o := emu.Options{RateLimit: 6, RateWindow: time.Second, Now: time.Now}

	fast := setup(t, o, func(c *Config) { c.PageSize = 3; c.MaxRetries = 1 })
	fast.emu.Generate(24, emu.GenerateOptions{Locations: 2})
	_, _, err := fast.fetch(t)
	require.Error(t, err, "an unbudgeted run is throttled")
	require.True(t, connector.IsRetryable(err))
	require.Positive(t, fast.emu.Stats().Throttled)

	slow := setup(t, o, func(c *Config) { c.PageSize = 3; c.RequestsPerSecond = 2.5 })
	slow.emu.Generate(24, emu.GenerateOptions{Locations: 2})
	start := time.Now()
	sink, res, err := slow.fetch(t)
	require.NoError(t, err)
	require.True(t, res.Full)
	require.Len(t, sink.ByID(record.KindAsset), 24)
	require.Zero(t, slow.emu.Stats().Throttled, "a budgeted run is never throttled")
	require.Greater(t, time.Since(start), 2*time.Second, "the budget slowed the run")
	low := 3
	for _, p := range sink.Reports {
		require.True(t, p.Budgeted)
		low = min(low, p.Budget)
	}
	require.Zero(t, low, "the budget ran down during the run")
	require.Equal(t, int(slow.emu.Stats().Requests), sink.Reports[len(sink.Reports)-1].Requests)
}

func TestCheck(t *testing.T) {
	t.Parallel()
	b := setup(t, emu.Options{RateLimit: -1})
	require.NoError(t, b.src.Check(t.Context()))

	b.emu.Inject(emu.Fault{Path: "/hardware", Status: 403, Message: "Forbidden."})
	err := b.src.Check(t.Context())
	require.ErrorIs(t, err, connector.ErrForbidden)
	require.ErrorContains(t, err, "integrator may view assets")

	b.emu.RevokeToken()
	err = b.src.Check(t.Context())
	require.ErrorIs(t, err, connector.ErrUnauthorized)
	require.ErrorContains(t, err, "checking the API token")
}

func TestCancelledRunStops(t *testing.T) {
	t.Parallel()
	b := setup(t, emu.Options{RateLimit: -1}, func(c *Config) { c.PageSize = 5 })
	b.emu.Generate(40, emu.GenerateOptions{})
	ctx, cancel := context.WithCancel(t.Context())
	sink := &testSink{OnPage: func(n int, _ []record.Record) {
		if n == 2 {
			cancel()
		}
	}}
	_, err := b.src.Fetch(ctx, connector.FetchRequest{}, sink)
	require.ErrorIs(t, err, context.Canceled)
	require.Len(t, sink.Pages, 2, "no page after the cancellation")
}
