package cwautomate

import (
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
	"go.yaml.in/yaml/v3"

	"github.com/integrator-oss/integrator/internal/connector"
	"github.com/integrator-oss/integrator/internal/emulator/cwautomate"
	"github.com/integrator-oss/integrator/internal/record"
	"github.com/integrator-oss/integrator/internal/secret"
)

func TestFetchPagesToTheEnd(t *testing.T) {
	t.Parallel()
	b := setup(t, cwautomate.Options{}, func(c *Config) { c.PageSize = 25 })
	locs, comps, err := b.emu.Generate(260, 4, 3)
	require.NoError(t, err)
	res, sink, err := b.fetch(t)
	require.NoError(t, err)
	require.True(t, res.Full)
	require.Empty(t, res.Cursor)

	sites := sink.ByID(record.KindSite)
	require.Len(t, sites, len(locs))
	for _, l := range locs {
		s := sites[strconv.Itoa(l.ID)]
		require.Equal(t, strconv.Itoa(l.ClientID), s.Attrs[record.AttrSourceOrgID])
		require.True(t, strings.HasPrefix(s.Attrs[record.AttrSourceOrgName], "Client "))
		require.Equal(t, l.Name, s.Attrs[record.AttrName])
	}
	seen := map[string]int{}
	firstAsset := -1
	for i, r := range sink.Records() {
		if r.Kind == record.KindAsset {
			seen[r.ID]++
			if firstAsset < 0 {
				firstAsset = i
			}
		} else {
			require.Less(t, firstAsset, 0, "a site after an asset")
		}
	}
	require.Len(t, seen, len(comps))
	for id, n := range seen {
		require.Equal(t, 1, n, "computer %s delivered %d times", id, n)
	}
	require.Len(t, sink.Pages, 1+11, "one locations page, 11 computer pages of 25")
	require.Equal(t, int64(1), b.emu.Stats().TokenRequests)
}

func TestFieldMapping(t *testing.T) {
	t.Parallel()
	ny, err := time.LoadLocation("America/New_York")
	require.NoError(t, err)
	b := setup(t, cwautomate.Options{Location: ny}, func(c *Config) { c.TimeZone = "America/New_York" })
	cl := b.emu.AddClient(cwautomate.Client{Name: "Acme"})
	loc, err := b.emu.AddLocation(cwautomate.Location{ClientID: cl.ID, Name: "Main"})
	require.NoError(t, err)
	contact := time.Date(2026, 5, 2, 12, 15, 0, 0, time.UTC)
	c, err := b.emu.AddComputer(cwautomate.Computer{
		LocationID: loc.ID, ComputerName: "ACCT-PC-07",
		OperatingSystemName: "Microsoft Windows 11 Pro x64", OperatingSystemVersion: "10.0.22631",
		DomainName: "ACME", RemoteAgentLastContact: contact, Status: "Online", Type: "Workstation",
		SerialNumber: "5CG1234XYZ", MACAddress: "00-1A-2B-3C-4D-5E", LocalIPAddress: "10.1.2.7",
		AssetTag: "A-0007", BiosManufacturer: "HP", Model: "EliteBook 840 G8", TotalMemory: 16384,
		LoggedInUsers: []string{`ACME\aruiz`}, WarrantyEndDate: time.Date(2027, 9, 30, 0, 0, 0, 0, ny),
		Comment: "front desk",
	})
	require.NoError(t, err)
	_, sink, err := b.fetch(t)
	require.NoError(t, err)

	site := sink.ByID(record.KindSite)[strconv.Itoa(loc.ID)]
	require.Equal(t, map[string]string{
		record.AttrName: "Main", record.AttrSourceSiteID: strconv.Itoa(loc.ID), record.AttrSourceSiteName: "Main",
		record.AttrSourceOrgID: strconv.Itoa(cl.ID), record.AttrSourceOrgName: "Acme",
	}, site.Attrs)

	r := sink.ByID(record.KindAsset)[strconv.Itoa(c.ID)]
	require.Equal(t, record.Present, r.State)
	require.Equal(t, map[string]string{
		record.AttrName:             "ACCT-PC-07",
		record.AttrHostname:         "ACCT-PC-07",
		record.AttrAssetType:        "workstation",
		record.AttrOnline:           "true",
		record.AttrSerial:           "5CG1234XYZ",
		record.AttrManufacturer:     "HP",
		record.AttrModel:            "EliteBook 840 G8",
		record.AttrOS:               "Microsoft Windows 11 Pro x64",
		record.AttrOSVersion:        "10.0.22631",
		record.AttrMACs:             "00-1A-2B-3C-4D-5E",
		record.AttrIPs:              "10.1.2.7",
		record.AttrLastLoggedOnUser: `ACME\aruiz`,
		record.AttrLastSeen:         "2026-05-02T12:15:00Z",
		record.AttrWarranty:         "2027-09-30",
		record.AttrMemoryMB:         "16384",
		record.AttrSourceOrgID:      strconv.Itoa(cl.ID),
		record.AttrSourceOrgName:    "Acme",
		record.AttrSourceSiteID:     strconv.Itoa(loc.ID),
		record.AttrSourceSiteName:   "Main",
		"custom.domain":             "ACME",
		"custom.asset_tag":          "A-0007",
		"custom.comment":            "front desk",
	}, r.Attrs)

	require.NoError(t, b.emu.UpdateComputer(c.ID, func(c *cwautomate.Computer) { c.IsVirtualMachine, c.Status = true, "Offline" }))
	_, sink, err = b.fetch(t)
	require.NoError(t, err)
	r = sink.ByID(record.KindAsset)[strconv.Itoa(c.ID)]
	require.Equal(t, "virtual_machine", r.Attrs[record.AttrAssetType])
	require.Equal(t, "false", r.Attrs[record.AttrOnline])
}

func TestConditionNarrowsTheComputers(t *testing.T) {
	t.Parallel()
	b := setup(t, cwautomate.Options{}, func(c *Config) { c.Condition = "Type = 'Server'"; c.PageSize = 10 })
	_, comps, err := b.emu.Generate(100, 2, 1)
	require.NoError(t, err)
	_, sink, err := b.fetch(t)
	require.NoError(t, err)
	servers := 0
	for _, c := range comps {
		if c.Type == "Server" {
			servers++
		}
	}
	require.Len(t, sink.ByID(record.KindAsset), servers)
}

func TestRemovedComputerIsAbsentFromTheNextListing(t *testing.T) {
	t.Parallel()
	b := setup(t, cwautomate.Options{}, func(c *Config) { c.PageSize = 7 })
	_, comps, err := b.emu.Generate(30, 1, 1)
	require.NoError(t, err)
	_, _, err = b.fetch(t)
	require.NoError(t, err)
	require.NoError(t, b.emu.RemoveComputer(comps[3].ID))
	res, sink, err := b.fetch(t)
	require.NoError(t, err)
	require.True(t, res.Full)
	assets := sink.ByID(record.KindAsset)
	require.Len(t, assets, 29)
	require.NotContains(t, assets, strconv.Itoa(comps[3].ID))
}

func TestTokenExpiredMidRun(t *testing.T) {
	t.Parallel()
	b := setup(t, cwautomate.Options{}, func(c *Config) { c.PageSize = 10 })
	_, comps, err := b.emu.Generate(60, 1, 1)
	require.NoError(t, err)
	b.emu.Inject(cwautomate.Fault{Path: "/computers", After: 2, Kind: cwautomate.FaultExpireToken})
	_, sink, err := b.fetch(t)
	require.NoError(t, err)
	require.Len(t, sink.ByID(record.KindAsset), len(comps))
	require.Equal(t, int64(2), b.emu.Stats().TokenRequests)
}

func TestThrottlingRetryAfterIsHonoured(t *testing.T) {
	t.Parallel()
	b := setup(t, cwautomate.Options{}, func(c *Config) { c.PageSize = 10 })
	_, comps, err := b.emu.Generate(40, 1, 1)
	require.NoError(t, err)
	b.emu.Inject(cwautomate.Fault{Path: "/computers", After: 1, Status: 429, RetryAfter: "4", Times: 2})
	_, sink, err := b.fetch(t)
	require.NoError(t, err)
	require.Len(t, sink.ByID(record.KindAsset), len(comps))
	require.Equal(t, []time.Duration{4 * time.Second, 4 * time.Second}, b.sleep.all())
}

func TestFailingPageFailsTheFetch(t *testing.T) {
	t.Parallel()
	for _, f := range []cwautomate.Fault{
		{Path: "/computers", After: 2, Status: 500, Times: 100},
		{Path: "/computers", After: 1, Kind: cwautomate.FaultMalformed},
		{Path: "/locations", Status: 400},
	} {
		b := setup(t, cwautomate.Options{}, func(c *Config) { c.PageSize = 10; c.MaxRetries = 1 })
		_, _, err := b.emu.Generate(50, 1, 1)
		require.NoError(t, err)
		b.emu.Inject(f)
		res, _, err := b.fetch(t)
		require.Error(t, err, "%+v", f)
		require.False(t, res.Full)
		require.Contains(t, err.Error(), strings.Trim(f.Path, "/"))
	}
}

func TestCredentials(t *testing.T) {
	t.Parallel()
	b := setup(t, cwautomate.Options{}, func(c *Config) { c.Password = secret.New("Wrong-Pa55") })
	_, _, err := b.fetch(t)
	require.ErrorIs(t, err, connector.ErrUnauthorized)
	require.Contains(t, err.Error(), "incorrect")
	require.NotContains(t, err.Error(), "Wrong-Pa55")
	require.ErrorIs(t, b.src.Check(t.Context()), connector.ErrUnauthorized)

	b = setup(t, cwautomate.Options{}, func(c *Config) { c.ClientID = "not-registered" })
	require.ErrorIs(t, b.src.Check(t.Context()), connector.ErrUnauthorized)

	b = setup(t, cwautomate.Options{TwoFactorPasscode: "123456"}, nil)
	err = b.src.Check(t.Context())
	require.ErrorIs(t, err, connector.ErrUnauthorized)
	require.Contains(t, err.Error(), "two-factor")

	b = setup(t, cwautomate.Options{}, nil)
	require.NoError(t, b.src.Check(t.Context()))
}

func TestBudgetSlowsTheRunInsteadOfBeingThrottled(t *testing.T) {
	t.Parallel()
	b := setup(t, cwautomate.Options{RateLimit: 10}, func(c *Config) { c.PageSize = 5; c.RequestsPerSecond = 4 })
	_, _, err := b.emu.Generate(40, 1, 1)
	require.NoError(t, err)
	start := time.Now()
	_, sink, err := b.fetch(t) // 1 token + 2 clients + 2 locations + 9 computer pages
	require.NoError(t, err)
	require.Zero(t, b.emu.Stats().Throttled)
	require.Greater(t, time.Since(start), 2*time.Second, "the run slowed down")
	last := sink.Reports[len(sink.Reports)-1]
	require.True(t, last.Budgeted)
	require.Equal(t, 14, last.Requests)

	// Without a budget the same run meets a tighter limit (3/s): a loaded
	// machine still sends its 14 requests faster than that.
	c := setup(t, cwautomate.Options{RateLimit: 3}, func(c *Config) { c.PageSize = 5; c.MaxRetries = -1 })
	_, _, err = c.emu.Generate(40, 1, 1)
	require.NoError(t, err)
	_, _, err = c.fetch(t)
	require.Error(t, err)
	require.Positive(t, c.emu.Stats().Throttled, "without the budget the run is throttled")
}

func TestValidate(t *testing.T) {
	t.Parallel()
	c := Config{}.WithDefaults()
	c.TimeZone = "Mars/Olympus"
	c.PageSize = -1
	require.Equal(t, []string{"server_url", "client_id", "username", "password", "time_zone", "page_size"}, fieldsOf(t, c.Validate()))
	c = Config{ServerURL: "rmm.example.com", ClientID: "x", Username: "u", Password: secret.New("p")}.WithDefaults()
	require.Equal(t, []string{"server_url"}, fieldsOf(t, c.Validate()))
	c.ServerURL = "https://rmm.example.com/cwa/api/v1/"
	require.NoError(t, c.Validate())
	require.Equal(t, "https://rmm.example.com/cwa/api/v1", c.apiURL())
	c.ServerURL = "https://acme.hostedrmm.com"
	require.Equal(t, "https://acme.hostedrmm.com/cwa/api/v1", c.apiURL())
	_, err := (&Config{}).Open("x", nil)
	require.Error(t, err)
}

// Not parallel: it sets the environment variable the sample refers to.
func TestSampleParses(t *testing.T) {
	t.Setenv("CWA_PASSWORD", "sample-password")
	c := Type().New()
	dec := yaml.NewDecoder(strings.NewReader(Sample))
	dec.KnownFields(true)
	require.NoError(t, dec.Decode(c))
	require.NoError(t, c.Validate())
	require.Equal(t, "sample-password", c.(*Config).Password.Reveal())
	require.Contains(t, Doc, "ClientId")
}
