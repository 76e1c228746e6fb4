package intune

import (
	"errors"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/integrator-oss/integrator/internal/connector"
	"github.com/integrator-oss/integrator/internal/emulator/graph"
	"github.com/integrator-oss/integrator/internal/record"
	"github.com/integrator-oss/integrator/internal/secret"
)

func TestFetchPagesToTheEnd(t *testing.T) {
	t.Parallel()
	b := setup(t, graph.Options{}, nil)
	b.emu.Generate(40, 3, 1)
	b.emu.GenerateManagedDevices(95, 1)

	res, sink, err := b.fetch(t)
	require.NoError(t, err)
	require.True(t, res.Full, "intune has no delta: every fetch is full")
	require.Empty(t, res.Cursor)
	require.Len(t, sink.Pages, 10, "95 devices in pages of 10")
	got := byID(sink.Records())
	require.Len(t, got, 95)
	upns := map[string]bool{}
	for _, u := range b.emu.Users() {
		upns[u.UserPrincipalName] = true
	}
	for _, d := range b.emu.ManagedDevices() {
		r, ok := got[d.ID]
		require.True(t, ok, "device %s missing", d.ID)
		require.Equal(t, record.KindAsset, r.Kind)
		if d.UserPrincipalName != "" {
			require.True(t, upns[r.Attrs[record.AttrPrimaryUser]])
		}
	}
	last := sink.Reports[len(sink.Reports)-1]
	require.Equal(t, 11, last.Requests, "a token and ten pages")
	require.True(t, last.Budgeted)
}

func TestFetchMapsOneDevice(t *testing.T) {
	t.Parallel()
	b := setup(t, graph.Options{}, nil)
	synced := time.Date(2026, 11, 30, 14, 5, 9, 0, time.UTC)
	id := b.emu.AddManagedDevice(graph.ManagedDevice{
		DeviceName: "ACC-LT-042", UserPrincipalName: "ana.ruiz@contoso.com", EmailAddress: "ana@contoso.com",
		OperatingSystem: "Windows", OSVersion: "10.0.22631.3880", ComplianceState: "noncompliant",
		ManagedDeviceOwnerType: "company", LastSyncDateTime: synced, SerialNumber: "5CG1234XYZ",
		Manufacturer: "HP", Model: "HP EliteBook 840 G9", WiFiMacAddress: "A0B1C2D3E4F5",
		AzureADDeviceID: "5b2f3c1e-0000-4000-8000-000000000001", IsEncrypted: true,
		TotalStorageSpaceInBytes: 256 << 30, FreeStorageSpaceInBytes: 100 << 30,
	})
	b.emu.AddManagedDevice(graph.ManagedDevice{DeviceName: "Ana's iPhone", OperatingSystem: "iOS",
		Manufacturer: "Apple", Model: "iPhone 15", SerialNumber: "F2LXK0AAAAAA", ManagedDeviceOwnerType: "personal"})
	revoked := b.emu.AddManagedDevice(graph.ManagedDevice{DeviceName: "OLD-PC", OperatingSystem: "Windows",
		Model: "Virtual Machine", Manufacturer: "Microsoft Corporation", DeviceRegistrationState: "revoked"})

	_, sink, err := b.fetch(t)
	require.NoError(t, err)
	got := byID(sink.Records())
	require.Equal(t, record.Record{Kind: record.KindAsset, ID: id, State: record.Present, Attrs: map[string]string{
		record.AttrName:                             "ACC-LT-042",
		record.AttrHostname:                         "ACC-LT-042",
		record.AttrSerial:                           "5CG1234XYZ",
		record.AttrManufacturer:                     "HP",
		record.AttrModel:                            "HP EliteBook 840 G9",
		record.AttrAssetType:                        "laptop",
		record.AttrOS:                               "Windows",
		record.AttrOSVersion:                        "10.0.22631.3880",
		record.AttrMACs:                             "A0B1C2D3E4F5",
		record.AttrPrimaryUser:                      "ana.ruiz@contoso.com",
		record.AttrLastSeen:                         "2026-11-30T14:05:09Z",
		record.AttrCompliance:                       "noncompliant",
		record.AttrOwnerType:                        "company",
		record.AttrEncrypted:                        "true",
		record.AttrDisks:                            `[{"name":"internal","size_gb":256,"free_gb":100}]`,
		record.AttrCustomPrefix + "azureADDeviceId": "5b2f3c1e-0000-4000-8000-000000000001",
		record.AttrCustomPrefix + "managementAgent": "mdm",
	}}, got[id])

	var phone record.Record
	for _, r := range got {
		if r.Attrs[record.AttrName] == "Ana's iPhone" {
			phone = r
		}
	}
	require.Equal(t, "mobile", phone.Attrs[record.AttrAssetType])
	require.Equal(t, "personal", phone.Attrs[record.AttrOwnerType])
	require.NotContains(t, phone.Attrs, record.AttrHostname, "a phone's name is not a hostname")

	require.Equal(t, record.Disabled, got[revoked].State)
	require.Equal(t, "deviceRegistrationState=revoked", got[revoked].Reason)
	require.Equal(t, "virtual_machine", got[revoked].Attrs[record.AttrAssetType])
}

func TestRemovedDeviceIsAbsentFromTheNextFullListing(t *testing.T) {
	t.Parallel()
	b := setup(t, graph.Options{}, nil)
	b.emu.Generate(10, 1, 2)
	b.emu.GenerateManagedDevices(25, 2)
	_, sink, err := b.fetch(t)
	require.NoError(t, err)
	gone := sink.Records()[7].ID
	require.NoError(t, b.emu.RemoveManagedDevice(gone))

	res, sink, err := b.fetch(t)
	require.NoError(t, err)
	require.True(t, res.Full)
	got := byID(sink.Records())
	require.Len(t, got, 24)
	require.NotContains(t, got, gone)
}

func TestExpiredTokenMidRunIsRenewed(t *testing.T) {
	t.Parallel()
	b := setup(t, graph.Options{}, nil)
	b.emu.GenerateManagedDevices(50, 3)
	b.emu.Inject(graph.Fault{Path: "managedDevices", After: 2, Kind: graph.FaultExpireToken})

	_, sink, err := b.fetch(t)
	require.NoError(t, err)
	require.Len(t, sink.Records(), 50)
	require.Equal(t, int64(2), b.emu.Stats().TokenRequests, "one token at the start, one after the 401")
}

func TestThrottlingHonoursRetryAfter(t *testing.T) {
	t.Parallel()
	b := setup(t, graph.Options{}, nil)
	b.emu.GenerateManagedDevices(30, 4)
	b.emu.Inject(graph.Fault{Path: "managedDevices", After: 1, Times: 2, Status: 429, RetryAfter: "7"})

	_, sink, err := b.fetch(t)
	require.NoError(t, err)
	require.Len(t, sink.Records(), 30)
	require.Equal(t, []time.Duration{7 * time.Second, 7 * time.Second}, b.sleep.all())
	waited := false
	for _, p := range sink.Reports {
		waited = waited || p.Waiting == 7*time.Second
	}
	require.True(t, waited, "progress shows the wait")
}

func TestFailingPageFailsTheFetch(t *testing.T) {
	t.Parallel()
	b := setup(t, graph.Options{}, nil)
	b.emu.GenerateManagedDevices(40, 5)
	b.emu.Inject(graph.Fault{Path: "managedDevices", After: 2, Times: 100, Status: 500})

	res, sink, err := b.fetch(t)
	require.Error(t, err)
	require.Contains(t, err.Error(), "page 3")
	require.True(t, connector.IsRetryable(err))
	require.False(t, res.Full)
	require.Len(t, sink.Records(), 20, "the pages before the failure were delivered; the run fails")

	b.emu.ClearFaults()
	b.emu.Inject(graph.Fault{Path: "managedDevices", After: 1, Kind: graph.FaultMalformed})
	_, _, err = b.fetch(t)
	require.ErrorContains(t, err, "decoding the response")
}

func TestBadCredentials(t *testing.T) {
	t.Parallel()
	const wrong = "not-the-secret-Zz9"
	b := setup(t, graph.Options{}, func(c *Config) { c.ClientSecret = secret.New(wrong) })
	_, _, err := b.fetch(t)
	require.ErrorIs(t, err, connector.ErrUnauthorized)
	require.NotContains(t, err.Error(), wrong)
	require.NotContains(t, b.logs.String(), wrong)
	require.ErrorIs(t, b.src.Check(t.Context()), connector.ErrUnauthorized)
}

func TestCheck(t *testing.T) {
	t.Parallel()
	b := setup(t, graph.Options{}, nil)
	require.NoError(t, b.src.Check(t.Context()))
	b.emu.Inject(graph.Fault{Path: "managedDevices", Status: 403})
	err := b.src.Check(t.Context())
	require.ErrorIs(t, err, connector.ErrForbidden)
	require.ErrorContains(t, err, "DeviceManagementManagedDevices.Read.All")
}

// TestBudgetSlowsTheRunInsteadOfBeingThrottled runs the same listing
// against an emulator limited to 20 requests a second, first with a budget
// just under it (no 429 at all), then without one (throttled).
func TestBudgetSlowsTheRunInsteadOfBeingThrottled(t *testing.T) {
	t.Parallel()
	b := setup(t, graph.Options{RateLimit: 20}, func(c *Config) { c.RequestsPerSecond = 15; c.PageSize = 1 })
	b.emu.GenerateManagedDevices(30, 6)
	start := time.Now()
	_, sink, err := b.fetch(t)
	require.NoError(t, err)
	require.Len(t, sink.Records(), 30)
	require.Zero(t, b.emu.Stats().Throttled, "a budgeted run is never throttled")
	require.Greater(t, time.Since(start), 900*time.Millisecond, "30 requests at 15/s after a burst of 15 take about a second")
	low := sink.Reports[0].Budget
	for _, p := range sink.Reports {
		require.True(t, p.Budgeted)
		low = min(low, p.Budget)
	}
	require.Less(t, low, 2, "the budget ran low and the run waited for it")

	u := setup(t, graph.Options{RateLimit: 20}, func(c *Config) { c.PageSize = 1 })
	u.emu.GenerateManagedDevices(30, 6)
	_, _, _ = u.fetch(t) // the fake sleep spends the retries at once: the outcome does not matter
	require.NotZero(t, u.emu.Stats().Throttled, "without a budget the emulator throttles")
}

func TestConfigErrorsNameTheirField(t *testing.T) {
	t.Parallel()
	c := Config{PageSize: 5000}.WithDefaults()
	err := c.Validate()
	var fields []string
	for _, e := range err.(interface{ Unwrap() []error }).Unwrap() {
		var fe *connector.FieldError
		if errors.As(e, &fe) {
			fields = append(fields, fe.Field)
		}
	}
	require.ElementsMatch(t, []string{"tenant_id", "client_id", "client_secret", "page_size"}, fields)

	c = Config{}.WithDefaults()
	c.TenantID, c.ClientID, c.ClientSecret, c.GraphURL = "t", "c", secret.New("s"), "graph.example"
	require.ErrorContains(t, c.Validate(), "graph_url: must be an absolute http(s) URL")

	require.Equal(t, float64(DefaultRequestsPerSecond), Config{}.WithDefaults().RequestsPerSecond)
	require.Equal(t, 1000, Config{}.WithDefaults().PageSize)
}
