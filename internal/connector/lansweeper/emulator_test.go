package lansweeper

import (
	"context"
	"encoding/json"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/integrator-oss/integrator/internal/connector"
	emu "github.com/integrator-oss/integrator/internal/emulator/lansweeper"
	"github.com/integrator-oss/integrator/internal/record"
)

func TestFetchPagesEverySiteToTheEnd(t *testing.T) {
	t.Parallel()
	b := setup(t, emu.Options{RateLimit: -1}, func(c *Config) { c.PageSize = 7 })
	s1 := b.emu.Generate("", 45, 1)
	s2 := b.emu.Generate("", 12, 2)

	sink, res, err := b.fetch(t)
	require.NoError(t, err)
	require.True(t, res.Full, "every run is a full listing")
	require.Empty(t, res.Cursor)

	require.Len(t, sink.ByID(record.KindSite), 2)
	require.Equal(t, record.KindSite, sink.Pages[0][0].Kind, "sites come before the assets")
	assets := sink.ByID(record.KindAsset)
	require.Len(t, assets, 57)
	for _, site := range []string{s1, s2} {
		for _, k := range b.emu.Keys(site) {
			a, ok := assets[k]
			require.True(t, ok, "asset %s is missing", k)
			require.Equal(t, site, a.Attrs[record.AttrSourceSiteID])
		}
	}
	require.Greater(t, len(sink.Pages), 8, "several pages per site")
	require.EqualValues(t, 1+7+2, b.emu.Stats().Requests, "one sites query, then ceil(45/7) and ceil(12/7) pages")
}

func TestFieldMapping(t *testing.T) {
	t.Parallel()
	b := setup(t, emu.Options{RateLimit: -1})
	site := b.emu.AddSite("Contoso HQ")
	seen := time.Date(2026, 4, 30, 21, 4, 11, 0, time.UTC)
	cat := b.emu.SoftwareCatalog()
	key := b.emu.AddAsset(emu.Asset{
		SiteID: site, Name: "FIN-LT-08", Domain: "CONTOSO", FQDN: "fin-lt-08.contoso.local",
		IPAddress: "10.1.2.7", MAC: "00:1A:2B:3C:4D:5E", Type: "Windows", SubType: "Laptop",
		UserName: "jdoe", UserDomain: "CONTOSO", LastSeen: seen,
		SerialNumber: "PF3ABC12", Manufacturer: "LENOVO", Model: "21HD", StateName: "Active",
		WarrantyDate: time.Date(2027, 3, 31, 0, 0, 0, 0, time.UTC),
		Fields:       []emu.CustomField{{Name: "Cost Centre", Value: "CC-042"}},
		OSCaption:    "Microsoft Windows 11 Enterprise", OSVersion: "10.0.22631", ProductType: 1,
		MemoryKB:   16 << 20,
		Processors: []string{"Intel(R) Core(TM) i7-1365U CPU @ 1.80GHz", "Intel(R) Core(TM) i7-1365U CPU @ 1.80GHz"},
		Volumes:    []emu.Volume{{Name: "C:", Size: 512 << 30, FreeSpace: 128 << 30}},
	})
	require.NoError(t, b.emu.SetSoftware(key, 3, 0))

	sink, _, err := b.fetch(t)
	require.NoError(t, err)
	got := sink.ByID(record.KindAsset)[key]
	require.Equal(t, record.Present, got.State)
	want := map[string]string{
		record.AttrName:                         "FIN-LT-08",
		record.AttrHostname:                     "FIN-LT-08",
		record.AttrCustomPrefix + "fqdn":        "fin-lt-08.contoso.local",
		record.AttrCustomPrefix + "domain":      "CONTOSO",
		record.AttrCustomPrefix + "type":        "Windows",
		record.AttrIPs:                          "10.1.2.7",
		record.AttrMACs:                         "00:1A:2B:3C:4D:5E",
		record.AttrLastLoggedOnUser:             `CONTOSO\jdoe`,
		record.AttrLastSeen:                     "2026-04-30T21:04:11Z",
		record.AttrSerial:                       "PF3ABC12",
		record.AttrManufacturer:                 "LENOVO",
		record.AttrModel:                        "21HD",
		record.AttrCustomPrefix + "state":       "Active",
		record.AttrWarranty:                     "2027-03-31",
		record.AttrCustomPrefix + "Cost Centre": "CC-042",
		record.AttrOS:                           "Microsoft Windows 11 Enterprise",
		record.AttrOSVersion:                    "10.0.22631",
		record.AttrAssetType:                    "laptop",
		record.AttrCPU:                          "Intel(R) Core(TM) i7-1365U CPU @ 1.80GHz",
		record.AttrMemoryMB:                     "16384",
		record.AttrDisks:                        `[{"name":"C:","size_gb":512,"free_gb":128}]`,
		record.AttrSourceSiteID:                 site,
		record.AttrSourceSiteName:               "Contoso HQ",
	}
	for k, v := range want {
		require.Equal(t, v, got.Attrs[k], "attribute %s", k)
	}
	var sw []map[string]string
	require.NoError(t, json.Unmarshal([]byte(got.Attrs[record.AttrSoftware]), &sw))
	require.Equal(t, []map[string]string{
		{"name": cat[0].Name, "version": cat[0].Version, "publisher": cat[0].Publisher},
		{"name": cat[3].Name, "version": cat[3].Version, "publisher": cat[3].Publisher},
	}, sw, "software sorted by name and version")
	require.Len(t, got.Attrs, len(want)+1, "no attribute beyond those checked: %v", got.Attrs)

	require.Equal(t, map[string]string{
		record.AttrName: "Contoso HQ", record.AttrSourceSiteID: site, record.AttrSourceSiteName: "Contoso HQ",
	}, sink.ByID(record.KindSite)[site].Attrs)
}

func TestAssetTypes(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct{ typ, sub, caption, product, want string }{
		{"Windows", "", "Microsoft Windows 11 Enterprise", "1", "workstation"},
		{"Windows", "Laptop", "Microsoft Windows 11 Pro", "1", "laptop"},
		{"Windows", "", "Microsoft Windows Server 2022 Standard", "3", "server"},
		{"Windows", "", "Microsoft Windows Server 2019", "", "server"},
		{"Linux", "", "Ubuntu 24.04 LTS", "", "workstation"},
		{"VMware Guest", "", "", "", "virtual_machine"},
		{"Printer", "", "", "", "printer"},
		{"Switch", "", "", "", "network_device"},
		{"Wireless Access Point", "", "", "", "network_device"},
		{"iPhone", "", "", "", "mobile"},
		{"Apple Mac", "Laptop", "macOS 14.5", "", "laptop"},
		{"Monitor", "", "", "", "other"},
	} {
		require.Equal(t, tc.want, assetType(tc.typ, tc.sub, tc.caption, tc.product), "%+v", tc)
	}
}

func TestRetiredStatesAreDisabled(t *testing.T) {
	t.Parallel()
	b := setup(t, emu.Options{RateLimit: -1})
	site := b.emu.Generate("", 4, 1)
	keys := b.emu.Keys(site)
	for i, st := range []string{"Active", "broken", "Stored", "Sold"} {
		require.NoError(t, b.emu.UpdateAsset(keys[i], func(a *emu.Asset) { a.StateName = st }))
	}
	sink, _, err := b.fetch(t)
	require.NoError(t, err)
	assets := sink.ByID(record.KindAsset)
	require.Equal(t, record.Present, assets[keys[0]].State)
	require.Equal(t, record.Disabled, assets[keys[1]].State, "states compare without regard to case")
	require.Equal(t, "broken", assets[keys[1]].Reason)
	require.Equal(t, record.Present, assets[keys[2]].State)
	require.Equal(t, record.Disabled, assets[keys[3]].State)
	require.Equal(t, "Sold", assets[keys[3]].Reason)
}

func TestRemovedAssetIsAbsentFromTheNextListing(t *testing.T) {
	t.Parallel()
	b := setup(t, emu.Options{RateLimit: -1}, func(c *Config) { c.PageSize = 5 })
	site := b.emu.Generate("", 20, 1)
	other := b.emu.AddSite("Branch")
	_, _, err := b.fetch(t)
	require.NoError(t, err)

	keys := b.emu.Keys(site)
	require.NoError(t, b.emu.RemoveAsset(keys[3]))
	require.NoError(t, b.emu.MoveAsset(keys[4], other))
	sink, res, err := b.fetch(t)
	require.NoError(t, err)
	require.True(t, res.Full, "the engine may sweep what a full listing lacks")
	assets := sink.ByID(record.KindAsset)
	require.Len(t, assets, 19)
	require.NotContains(t, assets, keys[3])
	require.Equal(t, other, assets[keys[4]].Attrs[record.AttrSourceSiteID], "a moved asset keeps its key")
}

func TestConfiguredSites(t *testing.T) {
	t.Parallel()
	b := setup(t, emu.Options{RateLimit: -1})
	s1 := b.emu.Generate("", 3, 1)
	b.emu.Generate("", 4, 2)
	b2 := setup(t, emu.Options{RateLimit: -1}, func(c *Config) { c.SiteIDs = []string{"not-a-site"} })
	b2.emu.Generate("", 1, 1)

	b.src.siteIDs = []string{s1}
	sink, _, err := b.fetch(t)
	require.NoError(t, err)
	require.Len(t, sink.ByID(record.KindSite), 1)
	require.Len(t, sink.ByID(record.KindAsset), 3)

	_, _, err = b2.fetch(t)
	require.ErrorIs(t, err, connector.ErrForbidden)
	require.ErrorContains(t, err, "not-a-site")
	require.ErrorContains(t, err, "(Site 1)", "the error lists the sites the token may read")
	require.ErrorContains(t, b2.src.Check(t.Context()), "not-a-site")
}

func TestRevokedTokenMidRunFailsAsUnauthorized(t *testing.T) {
	t.Parallel()
	b := setup(t, emu.Options{RateLimit: -1}, func(c *Config) { c.PageSize = 5 })
	b.emu.Generate("", 30, 1)
	b.emu.Inject(emu.Fault{Match: "assetResources", After: 2, Kind: emu.FaultRevokeToken})

	sink, _, err := b.fetch(t)
	require.ErrorIs(t, err, connector.ErrUnauthorized)
	require.ErrorContains(t, err, "page 3")
	require.ErrorContains(t, err, "UNAUTHENTICATED")
	require.NotContains(t, err.Error(), b.emu.Token())
	require.False(t, connector.IsRetryable(err), "a refused token does not heal by retrying")
	require.NotEmpty(t, sink.ByID(record.KindAsset), "pages before the failure were delivered; the run still fails")
}

func TestThrottlingHonoursRetryAfter(t *testing.T) {
	t.Parallel()
	// The emulator's limit on the fake clock: 5 requests a minute, no
	// budget in the connector, so it is throttled, waits the quiet minute
	// Retry-After asks for, and goes on.
	b := setup(t, emu.Options{RateLimit: 5}, func(c *Config) { c.PageSize = 3 })
	b.emu.Generate("", 30, 1)
	sink, res, err := b.fetch(t)
	require.NoError(t, err)
	require.True(t, res.Full)
	require.Len(t, sink.ByID(record.KindAsset), 30)
	require.Positive(t, b.emu.Stats().Throttled)
	require.LessOrEqual(t, b.emu.Stats().PeakMinute, 5)
	for _, d := range b.clock.sleeps() {
		require.Equal(t, time.Minute, d, "every wait is the minute Retry-After asks for")
	}
	var waited bool
	for _, p := range sink.Reports {
		waited = waited || p.Waiting == time.Minute
	}
	require.True(t, waited, "the sink hears about the waits")
}

func TestFailingPageFailsTheFetch(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name        string
		fault       emu.Fault
		errContains string
		retryable   bool
	}{
		{"GraphQL error with HTTP 200", emu.Fault{Match: "assetResources", After: 1, Kind: emu.FaultGraphQLError, Message: "Internal error while resolving assets"}, "GraphQL error INTERNAL_SERVER_ERROR: Internal error while resolving assets", false},
		{"malformed body", emu.Fault{Match: "assetResources", After: 1, Kind: emu.FaultMalformed}, "invalid JSON", false},
		{"server error that outlasts the retries", emu.Fault{Match: "assetResources", After: 1, Times: 100, Status: 502}, "502", true},
		{"forbidden site", emu.Fault{Match: "assetResources", Kind: emu.FaultGraphQLError, Code: "FORBIDDEN", Message: "Not authorized"}, "may not read this site", false},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			b := setup(t, emu.Options{RateLimit: -1}, func(c *Config) { c.PageSize = 5; c.MaxRetries = 2 })
			b.emu.Generate("", 20, 1)
			b.emu.Inject(tc.fault)
			_, res, err := b.fetch(t)
			require.Error(t, err)
			require.False(t, res.Full)
			require.ErrorContains(t, err, tc.errContains)
			require.Equal(t, tc.retryable, connector.IsRetryable(err))
		})
	}
}

// TestBudgetSlowsTheRunInsteadOfBeingThrottled runs the same listing on
// real time against an emulator that allows 5 requests a second: without
// a budget the run is throttled; with a budget of 2 a second it is slower
// and never throttled, and its progress reports the budget.
func TestBudgetSlowsTheRunInsteadOfBeingThrottled(t *testing.T) {
	t.Parallel()
	o := emu.Options{RateLimit: 5, RateWindow: time.Second, Now: time.Now}

	fast := setup(t, o, func(c *Config) { c.PageSize = 3; c.MaxRetries = -1 })
	fast.emu.Generate("", 24, 1)
	_, _, err := fast.fetch(t)
	require.Error(t, err, "an unbudgeted run is throttled")
	require.True(t, connector.IsRetryable(err))
	require.Positive(t, fast.emu.Stats().Throttled)

	slow := setup(t, o, func(c *Config) { c.PageSize = 3; c.RequestsPerSecond = 2 })
	slow.emu.Generate("", 24, 1)
	start := time.Now()
	sink, res, err := slow.fetch(t)
	require.NoError(t, err)
	require.True(t, res.Full)
	require.Len(t, sink.ByID(record.KindAsset), 24)
	require.Zero(t, slow.emu.Stats().Throttled, "a budgeted run is never throttled")
	require.Greater(t, time.Since(start), 3*time.Second, "the budget slowed the run: 9 requests, 2 at once, then 2 a second")
	low := 2
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
	require.ErrorContains(t, b.src.Check(t.Context()), "no site")
	b.emu.Generate("", 2, 1)
	require.NoError(t, b.src.Check(t.Context()))

	b.emu.RevokeToken()
	err := b.src.Check(t.Context())
	require.ErrorIs(t, err, connector.ErrUnauthorized)
	require.ErrorContains(t, err, "checking the personal access token")
}

func TestCancelledRunStops(t *testing.T) {
	t.Parallel()
	b := setup(t, emu.Options{RateLimit: -1}, func(c *Config) { c.PageSize = 5 })
	b.emu.Generate("", 40, 1)
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
