package datto

import (
	"context"
	"encoding/json"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/integrator-oss/integrator/internal/connector"
	"github.com/integrator-oss/integrator/internal/emulator/datto"
	"github.com/integrator-oss/integrator/internal/record"
	"github.com/integrator-oss/integrator/internal/secret"
)

func TestFetchPagesToTheEnd(t *testing.T) {
	t.Parallel()
	b := setup(t, datto.Options{}, func(c *Config) { c.PageSize = 50 })
	sites, devs, err := b.emu.Generate(620, 7)
	require.NoError(t, err)

	res, sink, err := b.fetch(t, "")
	require.NoError(t, err)
	require.True(t, res.Full)
	require.NotEmpty(t, res.Cursor)

	recs := sink.Records()
	// Sites first, then assets, each exactly once.
	firstAsset := -1
	seen := map[string]int{}
	for i, r := range recs {
		seen[string(r.Kind)+"/"+r.ID]++
		if r.Kind == record.KindAsset && firstAsset < 0 {
			firstAsset = i
		}
		if r.Kind == record.KindSite {
			require.Less(t, firstAsset, 0, "a site after an asset")
		}
	}
	require.Len(t, sink.ByID(record.KindSite), len(sites))
	assets := sink.ByID(record.KindAsset)
	require.Len(t, assets, len(devs))
	for k, n := range seen {
		require.Equal(t, 1, n, "%s delivered %d times", k, n)
	}
	require.Len(t, sink.Pages, 1+13, "one sites page and 13 device pages of 50")
	st := b.emu.Stats()
	audited := 0
	for _, d := range devs {
		if d.Class != "rmmnetworkdevice" && !d.Deleted {
			audited++
		}
	}
	require.Equal(t, int64(audited), st.Audits)
	require.Equal(t, int64(1), st.TokenRequests)

	// Disabled states keep Datto's own words.
	for _, d := range devs {
		r := assets[d.UID]
		switch {
		case d.Deleted:
			require.Equal(t, record.Disabled, r.State)
			require.Equal(t, "deleted", r.Reason)
		case d.Suspended:
			require.Equal(t, record.Disabled, r.State)
			require.Equal(t, "suspended", r.Reason)
		default:
			require.Equal(t, record.Present, r.State)
		}
	}
}

func TestFieldMapping(t *testing.T) {
	t.Parallel()
	b := setup(t, datto.Options{}, nil)
	site := b.emu.AddSite(datto.Site{Name: "Contoso HQ", AutotaskCompanyName: "Contoso Ltd", AutotaskCompanyID: "29001"})
	seen := time.Date(2026, 3, 4, 5, 6, 7, 0, time.UTC)
	d, err := b.emu.AddDevice(datto.Device{
		SiteUID: site.UID, Category: "Laptop", Type: "Portable", Class: "device",
		Hostname: "CONTOSO-LT-07", IntIPAddress: "10.1.2.7", ExtIPAddress: "203.0.113.5",
		OperatingSystem: "Microsoft Windows 11 Pro 10.0.22631", LastLoggedInUser: `CONTOSO\aruiz`,
		Domain: "CONTOSO", Description: "Finance laptop", Online: true, LastSeen: seen,
		WarrantyDate: "2027-01-31", UDF: map[int]string{3: "CC-100", 7: " "},
		Audit: datto.Audit{
			Manufacturer: "Dell Inc.", Model: "Latitude 7440", TotalPhysicalMemory: 16 << 30,
			SerialNumber: "5CG1234XYZ", Processor: "13th Gen Intel(R) Core(TM) i7-1365U",
			NICs: []datto.NIC{
				{IPv4: "10.1.2.7", MACAddress: "00:1A:2B:3C:4D:5E"},
				{IPv4: "192.168.56.1", MACAddress: "0A:00:27:00:00:05"},
			},
			Disks: []datto.Disk{{Identifier: "C:", Size: 512 << 30, Free: 128 << 30}},
		},
	})
	require.NoError(t, err)

	_, sink, err := b.fetch(t, "")
	require.NoError(t, err)
	sr := sink.ByID(record.KindSite)[site.UID]
	require.Equal(t, map[string]string{
		record.AttrName: "Contoso HQ", record.AttrSourceSiteID: site.UID, record.AttrSourceSiteName: "Contoso HQ",
		record.AttrSourceOrgID: site.UID, record.AttrSourceOrgName: "Contoso Ltd",
		"custom.autotask_company_name": "Contoso Ltd", "custom.autotask_company_id": "29001",
	}, sr.Attrs, "a Datto site is a customer: the organisation, named by its PSA company")

	r := sink.ByID(record.KindAsset)[d.UID]
	require.Equal(t, record.Present, r.State)
	require.Equal(t, map[string]string{
		record.AttrName:             "CONTOSO-LT-07",
		record.AttrHostname:         "CONTOSO-LT-07",
		record.AttrSerial:           "5CG1234XYZ",
		record.AttrManufacturer:     "Dell Inc.",
		record.AttrModel:            "Latitude 7440",
		record.AttrAssetType:        "laptop",
		record.AttrOS:               "Microsoft Windows 11 Pro 10.0.22631",
		record.AttrOSVersion:        "10.0.22631",
		record.AttrMACs:             "00:1A:2B:3C:4D:5E,0A:00:27:00:00:05",
		record.AttrIPs:              "10.1.2.7,192.168.56.1",
		record.AttrLastLoggedOnUser: `CONTOSO\aruiz`,
		record.AttrLastSeen:         "2026-03-04T05:06:07Z",
		record.AttrOnline:           "true",
		record.AttrWarranty:         "2027-01-31",
		record.AttrCPU:              "13th Gen Intel(R) Core(TM) i7-1365U",
		record.AttrMemoryMB:         "16384",
		record.AttrDisks:            `[{"name":"C:","size_gb":512,"free_gb":128}]`,
		record.AttrSourceSiteID:     site.UID,
		record.AttrSourceSiteName:   "Contoso HQ",
		record.AttrSourceOrgID:      site.UID,
		record.AttrSourceOrgName:    "Contoso Ltd",
		"custom.domain":             "CONTOSO",
		"custom.description":        "Finance laptop",
		"custom.external_ip":        "203.0.113.5",
		"custom.udf3":               "CC-100",
	}, r.Attrs)
	var disks []map[string]any
	require.NoError(t, json.Unmarshal([]byte(r.Attrs[record.AttrDisks]), &disks))
	require.NotContains(t, r.Attrs, "custom.udf7", "blank user-defined fields are left out")
}

func TestAssetTypes(t *testing.T) {
	t.Parallel()
	tests := []struct {
		class, category, model, want string
	}{
		{"device", "Laptop", "Latitude", "laptop"},
		{"device", "Desktop", "OptiPlex", "workstation"},
		{"device", "Server", "PowerEdge", "server"},
		{"device", "Server", "Virtual Machine", "virtual_machine"},
		{"device", "Desktop", "VMware Virtual Platform", "virtual_machine"},
		{"printer", "Printer", "", "printer"},
		{"rmmnetworkdevice", "Network Device", "", "network_device"},
		{"esxihost", "ESXi Host", "", "server"},
		{"device", "Mobile Device", "", "mobile"},
		{"unknown", "", "", "other"},
	}
	for _, tt := range tests {
		var d deviceItem
		d.DeviceClass, d.DeviceType.Category = tt.class, tt.category
		require.Equal(t, tt.want, assetType(d, &auditData{Model: tt.model}), "%+v", tt)
	}
}

func TestOnlyChangedDevicesAreAuditedAgain(t *testing.T) {
	t.Parallel()
	b := setup(t, datto.Options{}, nil)
	_, devs, err := b.emu.Generate(300, 3)
	require.NoError(t, err)
	res1, _, err := b.fetch(t, "")
	require.NoError(t, err)
	first := b.emu.Stats().Audits

	changed := devs[10].UID
	require.NoError(t, b.emu.ChangeAudit(changed, func(a *datto.Audit) { a.SerialNumber = "NEWSERIAL1" }))
	added, err := b.emu.AddDevice(datto.Device{SiteUID: devs[0].SiteUID, Hostname: "NEW-01", Category: "Desktop",
		Audit: datto.Audit{SerialNumber: "NEW-SN-01", NICs: []datto.NIC{{MACAddress: "00:11:22:33:44:55"}}}})
	require.NoError(t, err)

	res2, sink, err := b.fetch(t, res1.Cursor)
	require.NoError(t, err)
	require.True(t, res2.Full)
	require.Equal(t, first+2, b.emu.Stats().Audits, "only the changed and the new device are audited")
	assets := sink.ByID(record.KindAsset)
	require.Len(t, assets, len(devs)+1)
	require.Equal(t, "NEWSERIAL1", assets[changed].Attrs[record.AttrSerial])
	require.Equal(t, "NEW-SN-01", assets[added.UID].Attrs[record.AttrSerial])
	// Unchanged devices keep the audit data of the cursor.
	require.Equal(t, "SN00000020", assets[devs[20].UID].Attrs[record.AttrSerial])
	require.Equal(t, "00:1A:2B:00:00:14", assets[devs[20].UID].Attrs[record.AttrMACs])
	require.Equal(t, "Dell Inc.", assets[devs[18].UID].Attrs[record.AttrManufacturer])

	// A third run audits nothing; an unreadable cursor audits everything.
	_, _, err = b.fetch(t, res2.Cursor)
	require.NoError(t, err)
	require.Equal(t, first+2, b.emu.Stats().Audits)
	_, sink, err = b.fetch(t, `{"v":99}`)
	require.NoError(t, err)
	require.Equal(t, 2*first+3, b.emu.Stats().Audits)
	require.Equal(t, "SN00000020", sink.ByID(record.KindAsset)[devs[20].UID].Attrs[record.AttrSerial])
}

func TestRemovedDeviceIsAbsentFromTheNextListing(t *testing.T) {
	t.Parallel()
	b := setup(t, datto.Options{}, nil)
	_, devs, err := b.emu.Generate(40, 2)
	require.NoError(t, err)
	res, _, err := b.fetch(t, "")
	require.NoError(t, err)
	require.NoError(t, b.emu.RemoveDevice(devs[5].UID))
	res, sink, err := b.fetch(t, res.Cursor)
	require.NoError(t, err)
	require.True(t, res.Full, "the engine may sweep what is missing")
	assets := sink.ByID(record.KindAsset)
	require.Len(t, assets, 39)
	require.NotContains(t, assets, devs[5].UID)
	cache, err := parseCursor(res.Cursor)
	require.NoError(t, err)
	require.NotContains(t, cache, devs[5].UID, "the cursor forgets removed devices")
}

func TestTokenExpiredMidRun(t *testing.T) {
	t.Parallel()
	b := setup(t, datto.Options{}, func(c *Config) { c.PageSize = 20 })
	_, devs, err := b.emu.Generate(100, 2)
	require.NoError(t, err)
	b.emu.Inject(datto.Fault{Path: "/account/devices", After: 2, Kind: datto.FaultExpireToken})
	_, sink, err := b.fetch(t, "")
	require.NoError(t, err)
	require.Len(t, sink.ByID(record.KindAsset), len(devs))
	require.Equal(t, int64(2), b.emu.Stats().TokenRequests)
}

func TestThrottlingRetryAfterIsHonoured(t *testing.T) {
	t.Parallel()
	b := setup(t, datto.Options{}, func(c *Config) { c.PageSize = 20 })
	_, devs, err := b.emu.Generate(60, 2)
	require.NoError(t, err)
	b.emu.Inject(datto.Fault{Path: "/account/devices", After: 1, Status: 429, RetryAfter: "7", Times: 2})
	b.emu.Inject(datto.Fault{Path: "/audit/device", After: 5, Status: 429, RetryAfter: "3"})
	_, sink, err := b.fetch(t, "")
	require.NoError(t, err)
	require.Len(t, sink.ByID(record.KindAsset), len(devs))
	slept := b.sleep.all()
	require.Contains(t, slept, 7*time.Second)
	require.Contains(t, slept, 3*time.Second)
	waited := false
	for _, p := range sink.Reports {
		waited = waited || p.Waiting == 7*time.Second
	}
	require.True(t, waited, "progress reports the wait")
}

func TestFailingPageFailsTheFetch(t *testing.T) {
	t.Parallel()
	for _, f := range []datto.Fault{
		{Path: "/account/devices", After: 1, Status: 500, Times: 100},
		{Path: "/account/devices", After: 1, Kind: datto.FaultMalformed},
		{Path: "/account/sites", Kind: datto.FaultTruncate, Times: 100},
		{Path: "/audit/device", After: 3, Status: 502, Times: 100},
	} {
		b := setup(t, datto.Options{}, func(c *Config) { c.PageSize = 20; c.MaxRetries = 2 })
		_, _, err := b.emu.Generate(60, 2)
		require.NoError(t, err)
		b.emu.Inject(f)
		res, _, err := b.fetch(t, "")
		require.Error(t, err, "%+v", f)
		require.Empty(t, res.Cursor)
		require.False(t, res.Full)
		require.Contains(t, err.Error(), strings.Trim(f.Path, "/")[:7], "the error names what failed")
	}
}

func TestIPBlockIsReportedAndNotRetried(t *testing.T) {
	t.Parallel()
	b := setup(t, datto.Options{BlockDuration: 5 * time.Minute}, nil)
	_, _, err := b.emu.Generate(30, 1)
	require.NoError(t, err)
	b.emu.Inject(datto.Fault{Path: "/account/devices", Kind: datto.FaultIPBlock})
	_, _, err = b.fetch(t, "")
	require.Error(t, err)
	var be *IPBlockedError
	require.ErrorAs(t, err, &be)
	require.Equal(t, 5*time.Minute, be.For)
	require.Contains(t, err.Error(), "blocked this IP address")
	require.Contains(t, err.Error(), "5m0s")
	require.False(t, connector.IsRetryable(err))
	require.Empty(t, b.sleep.all(), "a block is never retried")
	require.Equal(t, int64(1), b.emu.Stats().Blocked)
}

func TestBadCredentials(t *testing.T) {
	t.Parallel()
	b := setup(t, datto.Options{}, func(c *Config) { c.APISecret = secret.New("wrong-secret-Zq9") })
	_, _, err := b.fetch(t, "")
	require.ErrorIs(t, err, connector.ErrUnauthorized)
	require.Contains(t, err.Error(), "invalid_grant")
	require.NotContains(t, err.Error(), "wrong-secret-Zq9")
	require.NotContains(t, err.Error(), b.emu.APIKey())
	require.ErrorIs(t, b.src.Check(t.Context()), connector.ErrUnauthorized)
}

func TestCheck(t *testing.T) {
	t.Parallel()
	b := setup(t, datto.Options{}, nil)
	require.NoError(t, b.src.Check(t.Context()))
}

// The budget keeps a run under Datto's quota: with a token bucket just
// under the limit, the run slows down and is never throttled; without it
// the same run is.
func TestBudgetSlowsTheRunInsteadOfBeingThrottled(t *testing.T) {
	t.Parallel()
	opts := datto.Options{RateLimit: 20, RateWindow: time.Second, BlockAfter: -1, Slowdown: -1}
	b := setup(t, opts, func(c *Config) { c.PageSize = 10; c.RequestsPerSecond = 9 })
	_, _, err := b.emu.Generate(12, 1)
	require.NoError(t, err)
	start := time.Now()
	// 1 token + 1 sites page + 2 device pages + 10 audits per run.
	res, sink, err := b.fetch(t, "")
	require.NoError(t, err)
	require.NoError(t, b.emu.ChangeAudit(b.emu.Devices()[0].UID, func(*datto.Audit) {}))
	_, _, err = b.fetch(t, res.Cursor)
	require.NoError(t, err)
	_, _, err = b.fetch(t, "")
	require.NoError(t, err)
	elapsed := time.Since(start)
	st := b.emu.Stats()
	require.Zero(t, st.Throttled, "the budget never lets the quota be reached")
	require.LessOrEqual(t, st.PeakWindow, 18)
	require.Greater(t, elapsed, 2*time.Second, "the run slowed down")
	last := sink.Reports[len(sink.Reports)-1]
	require.True(t, last.Budgeted)
	require.Positive(t, last.Requests)

	c := setup(t, opts, func(c *Config) { c.PageSize = 10; c.RequestsPerSecond = 1000; c.MaxRetries = -1 })
	_, _, err = c.emu.Generate(12, 1)
	require.NoError(t, err)
	for range 3 {
		_, _, _ = c.fetch(t, "")
	}
	require.Positive(t, c.emu.Stats().Throttled, "without the budget the same runs are throttled")
}

func TestValidate(t *testing.T) {
	t.Parallel()
	base := func() Config {
		return Config{Platform: "merlot", APIKey: secret.New("k"), APISecret: secret.New("s")}.WithDefaults()
	}
	tests := []struct {
		name        string
		mod         func(*Config)
		fields      []string
		errContains string
	}{
		{name: "valid", mod: func(*Config) {}},
		{name: "valid api_url", mod: func(c *Config) { c.Platform, c.APIURL = "", "https://x.example" }},
		{name: "nothing", mod: func(c *Config) { *c = Config{} }, fields: []string{"platform", "api_key", "api_secret", "audit_concurrency", "page_size"}},
		{name: "unknown platform", mod: func(c *Config) { c.Platform = "chianti" }, fields: []string{"platform"}, errContains: "chianti"},
		{name: "both", mod: func(c *Config) { c.APIURL = "https://x.example" }, fields: []string{"platform"}, errContains: "not both"},
		{name: "bad url", mod: func(c *Config) { c.Platform, c.APIURL = "", "merlot-api.centrastage.net" }, fields: []string{"api_url"}},
		{name: "limits", mod: func(c *Config) { c.AuditConcurrency, c.PageSize, c.RequestsPerSecond = 17, 251, -1 },
			fields: []string{"audit_concurrency", "page_size", "requests_per_second"}},
	}
	for _, tt := range tests {
		c := base()
		tt.mod(&c)
		err := c.Validate()
		if tt.fields == nil {
			require.NoError(t, err, tt.name)
			continue
		}
		require.Equal(t, tt.fields, fieldsOf(t, err), tt.name)
		if tt.errContains != "" {
			require.ErrorContains(t, err, tt.errContains, tt.name)
		}
	}
	c := Type().New().(*Config)
	require.Equal(t, 4, c.AuditConcurrency)
	require.InDelta(t, 8, c.RequestsPerSecond, 0)
	c.Platform = "Concord"
	require.Equal(t, "https://concord-api.centrastage.net", c.baseURL())
	_, err := (&Config{}).Open("x", nil)
	var fe *connector.FieldError
	require.True(t, errors.As(err, &fe))
}

func TestSitesOnlyKeepsTheCursor(t *testing.T) {
	t.Parallel()
	b := setup(t, datto.Options{}, nil)
	_, _, err := b.emu.Generate(20, 3)
	require.NoError(t, err)
	res, _, err := b.fetch(t, "")
	require.NoError(t, err)
	before := b.emu.Stats()
	sink := &testSink{}
	res2, err := b.src.Fetch(t.Context(), connector.FetchRequest{Kinds: []record.Kind{record.KindSite}, Cursor: res.Cursor}, sink)
	require.NoError(t, err)
	require.Equal(t, res.Cursor, res2.Cursor, "the audit data survives a sites-only run")
	require.Len(t, sink.ByID(record.KindSite), 3)
	require.Empty(t, sink.ByID(record.KindAsset))
	require.Equal(t, before.Audits, b.emu.Stats().Audits)

	_, err = b.src.Fetch(t.Context(), connector.FetchRequest{Kinds: []record.Kind{record.KindUser}}, sink)
	require.ErrorContains(t, err, `does not fetch "user"`)
}

func TestLinksStayOnTheAPIHost(t *testing.T) {
	t.Parallel()
	s := &Source{base: "https://merlot-api.centrastage.net"}
	_, err := s.checkLink("https://evil.example/api/v2/account/devices?page=1")
	require.ErrorContains(t, err, "refusing to follow a link to evil.example")
	got, err := s.checkLink("http://merlot-api.centrastage.net/api/v2/account/devices?max=250&page=1")
	require.NoError(t, err)
	require.Equal(t, "https://merlot-api.centrastage.net/api/v2/account/devices?max=250&page=1", got, "the API's scheme is kept")
}

func TestPrintersAndESXiHostsUseTheirAudits(t *testing.T) {
	t.Parallel()
	b := setup(t, datto.Options{}, nil)
	_, devs, err := b.emu.Generate(300, 2)
	require.NoError(t, err)
	_, sink, err := b.fetch(t, "")
	require.NoError(t, err)
	assets := sink.ByID(record.KindAsset)
	var printer, esxi, network bool
	for _, d := range devs {
		r := assets[d.UID]
		switch d.Class {
		case "printer":
			printer = true
			require.Equal(t, "printer", r.Attrs[record.AttrAssetType])
			require.Equal(t, d.Audit.SerialNumber, r.Attrs[record.AttrSerial], "snmpInfo.snmpSerial")
			require.True(t, strings.HasPrefix(r.Attrs[record.AttrSerial], "PRN"))
			require.Equal(t, "LaserJet Enterprise M507", r.Attrs[record.AttrModel])
			require.Equal(t, d.Audit.NICs[0].MACAddress, r.Attrs[record.AttrMACs])
		case "esxihost":
			esxi = true
			require.Equal(t, "server", r.Attrs[record.AttrAssetType])
			require.Equal(t, d.Audit.SerialNumber, r.Attrs[record.AttrSerial], "systemInfo.serviceTag")
			require.Equal(t, "16384", r.Attrs[record.AttrMemoryMB], "the sum of physicalMemory")
			require.Equal(t, `[{"name":"datastore1","size_gb":4096,"free_gb":1024}]`, r.Attrs[record.AttrDisks])
		case "rmmnetworkdevice":
			network = true
			require.Equal(t, "network_device", r.Attrs[record.AttrAssetType])
			require.NotContains(t, r.Attrs, record.AttrSerial)
		}
	}
	require.True(t, printer && esxi && network, "the generated account has every class")
}

func TestRefusedAuditKeepsTheLastKnownData(t *testing.T) {
	t.Parallel()
	b := setup(t, datto.Options{}, nil)
	_, devs, err := b.emu.Generate(30, 1)
	require.NoError(t, err)
	uid := devs[3].UID
	res, _, err := b.fetch(t, "")
	require.NoError(t, err)

	require.NoError(t, b.emu.ChangeAudit(uid, func(a *datto.Audit) { a.SerialNumber = "NEW-SERIAL" }))
	b.emu.Inject(datto.Fault{Path: "/audit/device/" + uid, Status: 400})
	res, sink, err := b.fetch(t, res.Cursor)
	require.NoError(t, err, "one device Datto will not audit does not fail the run")
	require.Equal(t, "SN00000003", sink.ByID(record.KindAsset)[uid].Attrs[record.AttrSerial], "the last known audit")

	_, sink, err = b.fetch(t, res.Cursor)
	require.NoError(t, err)
	require.Equal(t, "NEW-SERIAL", sink.ByID(record.KindAsset)[uid].Attrs[record.AttrSerial], "tried again and taken")

	// A device never audited before, whose audit is gone, has no audit data.
	b.emu.Inject(datto.Fault{Path: "/audit/device/" + devs[4].UID, Status: 404})
	_, sink, err = b.fetch(t, "")
	require.NoError(t, err)
	require.NotContains(t, sink.ByID(record.KindAsset)[devs[4].UID].Attrs, record.AttrSerial)
}

// hookSink calls onPage after storing each page, between two requests of
// the listing.
type hookSink struct {
	testSink
	onPage func(n int)
	n      int
}

func (h *hookSink) Page(ctx context.Context, recs []record.Record) error {
	_ = h.testSink.Page(ctx, recs)
	h.n++
	h.onPage(h.n)
	return nil
}

func TestDeviceRemovedDuringTheListingHidesNothing(t *testing.T) {
	t.Parallel()
	b := setup(t, datto.Options{}, func(c *Config) { c.PageSize = 10 })
	_, devs, err := b.emu.Generate(50, 1)
	require.NoError(t, err)
	// After the sites page and the first device page, a device already
	// listed goes away: every later page shifts by one.
	sink := &hookSink{onPage: func(n int) {
		if n == 2 {
			require.NoError(t, b.emu.RemoveDevice(devs[2].UID))
		}
	}}
	res, err := b.src.Fetch(t.Context(), connector.FetchRequest{}, sink)
	require.NoError(t, err)
	require.True(t, res.Full)
	seen := map[string]int{}
	for _, r := range sink.Records() {
		if r.Kind == record.KindAsset {
			seen[r.ID]++
		}
	}
	for _, d := range devs {
		require.Equal(t, 1, seen[d.UID], "device %d (%s)", d.ID, d.Hostname)
	}

	// Removals during both passes: the run fails and may be retried.
	b2 := setup(t, datto.Options{}, func(c *Config) { c.PageSize = 10 })
	_, devs2, err := b2.emu.Generate(50, 1)
	require.NoError(t, err)
	removed := 0
	sink = &hookSink{onPage: func(n int) {
		if n == 2 || n == 7 {
			require.NoError(t, b2.emu.RemoveDevice(devs2[removed].UID))
			removed++
		}
	}}
	_, err = b2.src.Fetch(t.Context(), connector.FetchRequest{}, sink)
	require.Error(t, err)
	require.True(t, connector.IsRetryable(err))
	require.Contains(t, err.Error(), "may have been skipped")
}
