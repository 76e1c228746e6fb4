package ninjaone

import (
	"encoding/json"
	"errors"
	"log/slog"
	"strconv"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/integrator-oss/integrator/internal/connector"
	"github.com/integrator-oss/integrator/internal/emulator/ninjaone"
	"github.com/integrator-oss/integrator/internal/httpclient"
	"github.com/integrator-oss/integrator/internal/record"
	"github.com/integrator-oss/integrator/internal/secret"
)

const emuSecret = "ninja-secret-Vb5~Tq"

type bundle struct {
	emu   *ninjaone.Emulator
	base  string
	src   *Source
	sleep *fakeSleep
	logs  *logBuffer
}

func setup(t *testing.T, opts ninjaone.Options, mod func(*Config)) *bundle {
	t.Helper()
	opts.ClientSecret = emuSecret
	b := &bundle{emu: ninjaone.New(opts), sleep: &fakeSleep{}, logs: &logBuffer{}}
	b.base = b.emu.StartTest(t)
	cfg := Config{BaseURL: b.base, ClientID: b.emu.ClientID(), ClientSecret: secret.New(emuSecret), PageSize: 10}
	cfg.RequestsPerSecond = 1e6
	cfg = cfg.WithDefaults()
	if mod != nil {
		mod(&cfg)
	}
	logger := slog.New(slog.NewTextHandler(b.logs, &slog.HandlerOptions{Level: slog.LevelDebug}))
	src, err := open(cfg, "msp-ninja", logger, httpclient.Options{Sleep: b.sleep.sleep})
	require.NoError(t, err)
	t.Cleanup(func() { require.NoError(t, src.Close()) })
	b.src = src
	return b
}

func (b *bundle) fetch(t *testing.T, kinds ...record.Kind) (connector.FetchResult, *testSink, error) {
	t.Helper()
	sink := &testSink{}
	res, err := b.src.Fetch(t.Context(), connector.FetchRequest{Kinds: kinds}, sink)
	return res, sink, err
}

func TestFetchEverythingToTheEnd(t *testing.T) {
	t.Parallel()
	b := setup(t, ninjaone.Options{}, nil)
	b.emu.Generate(137, 3, 5, 1) // 15 locations: two pages of 10

	res, sink, err := b.fetch(t, record.KindSite, record.KindAsset)
	require.NoError(t, err)
	require.True(t, res.Full)
	require.Empty(t, res.Cursor)
	recs := sink.Records()

	// Sites come first, one per location, with their organisation.
	sites := ofKind(recs, record.KindSite)
	require.Len(t, sites, 15)
	for i, r := range recs[:15] {
		require.Equal(t, record.KindSite, r.Kind, "record %d", i)
	}
	orgName := map[int]string{}
	for _, o := range b.emu.Organizations() {
		orgName[o.ID] = o.Name
	}
	for _, l := range b.emu.Locations() {
		s := byID(sites)[strconv.Itoa(l.ID)]
		require.Equal(t, l.Name, s.Attrs[record.AttrName])
		require.Equal(t, strconv.Itoa(l.OrganizationID), s.Attrs[record.AttrSourceOrgID])
		require.Equal(t, orgName[l.OrganizationID], s.Attrs[record.AttrSourceOrgName])
	}

	assets := byID(ofKind(recs, record.KindAsset))
	require.Len(t, assets, 137)
	for _, d := range b.emu.Devices() {
		a, ok := assets[strconv.Itoa(d.ID)]
		require.True(t, ok, "device %d missing", d.ID)
		require.Equal(t, d.SystemName, a.Attrs[record.AttrHostname])
		require.Equal(t, orgName[d.OrganizationID], a.Attrs[record.AttrSourceOrgName])
		require.Equal(t, strconv.Itoa(d.LocationID), a.Attrs[record.AttrSourceSiteID])
		var sw []map[string]string
		require.NoError(t, json.Unmarshal([]byte(a.Attrs[record.AttrSoftware]), &sw))
		require.Len(t, sw, len(d.Software), "device %d: the software query was read to its end", d.ID)
	}
	for _, p := range sink.Pages {
		require.LessOrEqual(t, len(p), 10, "pages are streamed")
	}
	last := sink.Reports[len(sink.Reports)-1]
	require.True(t, last.Budgeted)
	require.Equal(t, int(b.emu.Stats().Requests), last.Requests, "every request is counted")
}

func TestFetchMapsOneDevice(t *testing.T) {
	t.Parallel()
	b := setup(t, ninjaone.Options{}, nil)
	org := b.emu.AddOrganization(ninjaone.Organization{Name: "Acme Dental"})
	loc, err := b.emu.AddLocation(ninjaone.Location{OrganizationID: org, Name: "Main Office"})
	require.NoError(t, err)
	contact := time.Date(2026, 11, 30, 9, 15, 42, 500_000_000, time.UTC)
	id, err := b.emu.AddDevice(ninjaone.Device{
		OrganizationID: org, LocationID: loc, NodeClass: "WINDOWS_WORKSTATION", DisplayName: "Reception PC",
		SystemName: "ACC-LT-042", DNSName: "acc-lt-042.corp.local", Offline: true, LastContact: contact,
		Fields:       map[string]string{"assetTag": "AT-000042"},
		WarrantyEnd:  time.Date(2027, 3, 31, 0, 0, 0, 0, time.UTC),
		Manufacturer: "Dell Inc.", Model: "Latitude 5440", SerialNumber: "7XK2LM3", ChassisType: "LAPTOP",
		TotalPhysicalMemory: 16 << 30, Processors: 1,
		OSName: "Windows 11 Professional Edition", OSBuildNumber: "22631",
		NICs: []ninjaone.NIC{
			{MACAddresses: []string{"00:1A:2B:3C:4D:5E"}, IPAddresses: []string{"10.0.4.42"}},
			{MACAddresses: []string{"00:1A:2B:3C:4D:5F"}},
		},
		LastUser: `CORP\ana.ruiz`, LastLogon: contact.Add(-time.Hour),
		Software: []ninjaone.Software{{Name: "Zoom", Version: "6.2", Publisher: "Zoom"}, {Name: "7-Zip", Version: "24.08", Publisher: "Igor Pavlov"}},
	})
	require.NoError(t, err)

	_, sink, err := b.fetch(t, record.KindAsset)
	require.NoError(t, err)
	recs := sink.Records()
	require.Len(t, recs, 1, "only assets were asked for")
	require.Equal(t, record.Record{Kind: record.KindAsset, ID: strconv.Itoa(id), State: record.Present, Attrs: map[string]string{
		record.AttrName:                      "Reception PC",
		record.AttrHostname:                  "ACC-LT-042",
		record.AttrSerial:                    "7XK2LM3",
		record.AttrManufacturer:              "Dell Inc.",
		record.AttrModel:                     "Latitude 5440",
		record.AttrAssetType:                 "laptop",
		record.AttrOS:                        "Windows 11 Professional Edition",
		record.AttrOSVersion:                 "22631",
		record.AttrMACs:                      "00:1A:2B:3C:4D:5E,00:1A:2B:3C:4D:5F",
		record.AttrIPs:                       "10.0.4.42",
		record.AttrLastLoggedOnUser:          `CORP\ana.ruiz`,
		record.AttrLastSeen:                  "2026-11-30T09:15:42Z",
		record.AttrOnline:                    "false",
		record.AttrWarranty:                  "2027-03-31T00:00:00Z",
		record.AttrCPU:                       "1 processor(s)",
		record.AttrMemoryMB:                  "16384",
		record.AttrSoftware:                  `[{"name":"7-Zip","version":"24.08","publisher":"Igor Pavlov"},{"name":"Zoom","version":"6.2","publisher":"Zoom"}]`,
		record.AttrSourceOrgID:               strconv.Itoa(org),
		record.AttrSourceOrgName:             "Acme Dental",
		record.AttrSourceSiteID:              strconv.Itoa(loc),
		record.AttrSourceSiteName:            "Main Office",
		record.AttrCustomPrefix + "assetTag": "AT-000042",
	}}, recs[0])
}

func TestRemovedAndMovedDevices(t *testing.T) {
	t.Parallel()
	b := setup(t, ninjaone.Options{}, nil)
	b.emu.Generate(30, 2, 2, 2)
	gone, moved := 7, 12
	require.NoError(t, b.emu.RemoveDevice(gone))
	require.NoError(t, b.emu.MoveDevice(moved, 2, 3))

	res, sink, err := b.fetch(t, record.KindAsset)
	require.NoError(t, err)
	require.True(t, res.Full)
	got := byID(sink.Records())
	require.Len(t, got, 29)
	require.NotContains(t, got, strconv.Itoa(gone))
	require.Equal(t, "2", got[strconv.Itoa(moved)].Attrs[record.AttrSourceOrgID])
	require.Equal(t, "3", got[strconv.Itoa(moved)].Attrs[record.AttrSourceSiteID])
}

func TestExpiredTokenMidRunIsRenewed(t *testing.T) {
	t.Parallel()
	b := setup(t, ninjaone.Options{}, nil)
	b.emu.Generate(40, 2, 1, 3)
	b.emu.Inject(ninjaone.Fault{Path: "/v2/queries/software", After: 1, Kind: ninjaone.FaultExpireToken})

	_, sink, err := b.fetch(t)
	require.NoError(t, err)
	require.Len(t, ofKind(sink.Records(), record.KindAsset), 40)
	require.Equal(t, int64(2), b.emu.Stats().TokenRequests)
}

func TestThrottlingHonoursRetryAfter(t *testing.T) {
	t.Parallel()
	b := setup(t, ninjaone.Options{}, nil)
	b.emu.Generate(20, 1, 1, 4)
	b.emu.Inject(ninjaone.Fault{Path: "/v2/devices-detailed", After: 1, Times: 2, Status: 429, RetryAfter: "5"})

	_, sink, err := b.fetch(t)
	require.NoError(t, err)
	require.Len(t, ofKind(sink.Records(), record.KindAsset), 20)
	require.Equal(t, []time.Duration{5 * time.Second, 5 * time.Second}, b.sleep.all())
}

func TestFailingPageFailsTheFetch(t *testing.T) {
	t.Parallel()
	b := setup(t, ninjaone.Options{}, nil)
	b.emu.Generate(40, 2, 1, 5)
	b.emu.Inject(ninjaone.Fault{Path: "/v2/devices-detailed", After: 2, Times: 100, Status: 500})
	res, _, err := b.fetch(t)
	require.Error(t, err)
	require.False(t, res.Full)
	require.ErrorContains(t, err, "devices page 3")
	require.True(t, connector.IsRetryable(err))

	b.emu.ClearFaults()
	b.emu.Inject(ninjaone.Fault{Path: "/v2/queries/network-interfaces", Kind: ninjaone.FaultMalformed})
	_, _, err = b.fetch(t)
	require.ErrorContains(t, err, "network-interfaces page 1")

	b.emu.ClearFaults()
	b.emu.Inject(ninjaone.Fault{Path: "/v2/locations", Kind: ninjaone.FaultTruncate})
	_, _, err = b.fetch(t)
	require.ErrorContains(t, err, "locations page 1")
	require.True(t, connector.IsRetryable(err), "a cut body is worth another run")

	b.emu.ClearFaults()
	b.emu.Inject(ninjaone.Fault{Path: "/v2/organizations", Status: 403})
	_, _, err = b.fetch(t)
	require.ErrorIs(t, err, connector.ErrForbidden)
}

func TestBadCredentials(t *testing.T) {
	t.Parallel()
	const wrong = "wrong-Secret-Kk3"
	b := setup(t, ninjaone.Options{}, func(c *Config) { c.ClientSecret = secret.New(wrong) })
	_, _, err := b.fetch(t)
	require.ErrorIs(t, err, connector.ErrUnauthorized)
	require.NotContains(t, err.Error(), wrong)
	require.NotContains(t, b.logs.String(), wrong)
	require.ErrorIs(t, b.src.Check(t.Context()), connector.ErrUnauthorized)

	ok := setup(t, ninjaone.Options{}, nil)
	require.NoError(t, ok.src.Check(t.Context()))
}

// TestBudgetSlowsTheRunInsteadOfBeingThrottled runs against an emulator
// limited to 20 requests a second, first with a budget of 15 (never a
// 429), then without one (throttled).
func TestBudgetSlowsTheRunInsteadOfBeingThrottled(t *testing.T) {
	t.Parallel()
	b := setup(t, ninjaone.Options{RateLimit: 20}, func(c *Config) { c.RequestsPerSecond = 15 })
	b.emu.Generate(20, 1, 1, 6) // about 30 requests
	start := time.Now()
	_, sink, err := b.fetch(t)
	require.NoError(t, err)
	require.Zero(t, b.emu.Stats().Throttled, "a budgeted run is never throttled")
	require.Greater(t, b.emu.Stats().Requests, int64(20))
	require.Greater(t, time.Since(start), 400*time.Millisecond, "the run waited for its budget")
	low := 100
	for _, p := range sink.Reports {
		require.True(t, p.Budgeted)
		low = min(low, p.Budget)
	}
	require.Less(t, low, 2)

	u := setup(t, ninjaone.Options{RateLimit: 20}, nil)
	u.emu.Generate(20, 1, 1, 6)
	_, _, _ = u.fetch(t) // the fake sleep spends the retries at once: the outcome does not matter
	require.NotZero(t, u.emu.Stats().Throttled, "without a budget the emulator throttles")
}

func TestConfig(t *testing.T) {
	t.Parallel()
	err := Config{Region: "mars", PageSize: 2000, Scope: "monitoring admin", BaseURL: "ftp://x"}.WithDefaults().Validate()
	var fields []string
	for _, e := range err.(interface{ Unwrap() []error }).Unwrap() {
		var fe *connector.FieldError
		if errors.As(e, &fe) {
			fields = append(fields, fe.Field)
		}
	}
	require.ElementsMatch(t, []string{"client_id", "client_secret", "region", "page_size", "scope", "base_url"}, fields)

	c := Config{Region: "eu"}.WithDefaults()
	require.Equal(t, "https://eu.ninjarmm.com/ws/oauth/token", c.tokenURL())
	require.Equal(t, "https://app.ninjarmm.com", Config{}.WithDefaults().baseURL())
	require.Equal(t, "https://oc.ninjarmm.com", Config{Region: "OC"}.WithDefaults().baseURL())
	require.Equal(t, "http://127.0.0.1:9", Config{BaseURL: "http://127.0.0.1:9/"}.WithDefaults().baseURL())
	require.Equal(t, float64(DefaultRequestsPerSecond), c.RequestsPerSecond)
	require.Equal(t, "monitoring", c.Scope)
}

func TestAssetTypes(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		class, chassis string
		vm             bool
		want           string
	}{
		{"WINDOWS_WORKSTATION", "LAPTOP", false, "laptop"},
		{"WINDOWS_WORKSTATION", "DESKTOP", false, "workstation"},
		{"MAC", "", false, "workstation"},
		{"WINDOWS_SERVER", "SERVER", false, "server"},
		{"WINDOWS_SERVER", "OTHER", true, "virtual_machine"},
		{"VMWARE_VM_GUEST", "", false, "virtual_machine"},
		{"LINUX_SERVER", "", false, "server"},
		{"NMS_SWITCH", "", false, "network_device"},
		{"NMS_PRINTER", "", false, "printer"},
		{"CLOUD_MONITOR_TARGET", "", false, "other"},
	} {
		require.Equal(t, tc.want, assetType(tc.class, tc.chassis, tc.vm), "%+v", tc)
	}
}
