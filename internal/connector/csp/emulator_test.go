package csp

import (
	"context"
	"log/slog"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
	"go.yaml.in/yaml/v3"

	"github.com/integrator-oss/integrator/internal/connector"
	"github.com/integrator-oss/integrator/internal/emulator/graph"
	"github.com/integrator-oss/integrator/internal/httpclient"
	"github.com/integrator-oss/integrator/internal/record"
	"github.com/integrator-oss/integrator/internal/secret"
)

const (
	emuSecret = "csp-secret-Mn3~Vb"
	skuE3     = "6FD2C87F-B296-42F0-B197-1E91E994B900"
	skuSPB    = "cbdc14ab-d96c-4c30-b9f4-6ada7cdc1d46"
	skuExch   = "4b9405b0-7788-4568-add1-99614e613b69"
	skuOdd    = "11111111-aaaa-bbbb-cccc-000000000001"
)

type testSink struct {
	mu    sync.Mutex
	pages [][]record.Record
}

func (s *testSink) Page(_ context.Context, recs []record.Record) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.pages = append(s.pages, recs)
	return nil
}

func (s *testSink) Progress(connector.Progress) {}

func (s *testSink) records() map[string]record.Record {
	s.mu.Lock()
	defer s.mu.Unlock()
	out := map[string]record.Record{}
	for _, p := range s.pages {
		for _, r := range p {
			out[r.ID] = r
		}
	}
	return out
}

func noSleep(ctx context.Context, _ time.Duration) error { return ctx.Err() }

type bundle struct {
	csp       *graph.CSP
	base      string
	customers []*graph.Emulator
	users     map[string][]string // tenant → user IDs
}

// setup builds a partner with three customers: Contoso (E3 and Business
// Premium, three users), Northwind (Exchange Plan 1, two users) and
// Fabrikam (one odd SKU, one user).
func setup(t *testing.T) *bundle {
	t.Helper()
	b := &bundle{csp: graph.NewCSP(graph.CSPOptions{ClientSecret: emuSecret}), users: map[string][]string{}}
	for _, spec := range []struct {
		name string
		skus []graph.SubscribedSku
		n    int
	}{
		{"Contoso", []graph.SubscribedSku{{SkuID: skuE3, SkuPartNumber: "ENTERPRISEPACK", Enabled: 25, Warning: 2}, {SkuID: skuSPB, SkuPartNumber: "SPB", Enabled: 10, Suspended: 5, CapabilityStatus: "Warning"}}, 3},
		{"Northwind Traders", []graph.SubscribedSku{{SkuID: skuExch, SkuPartNumber: "EXCHANGESTANDARD", Enabled: 5}}, 2},
		{"Fabrikam", []graph.SubscribedSku{{SkuID: skuOdd, SkuPartNumber: "CONTOSO_SPECIAL", Enabled: 1}}, 1},
	} {
		e := b.csp.AddCustomer(graph.Customer{Name: spec.name})
		b.customers = append(b.customers, e)
		for _, s := range spec.skus {
			require.NoError(t, b.csp.AddSku(e.TenantID(), s))
		}
		for i := range spec.n {
			id := e.AddUser(graph.User{UserPrincipalName: spec.name[:3] + string(rune('a'+i)) + "@" + e.TenantID(), AccountEnabled: true})
			b.users[e.TenantID()] = append(b.users[e.TenantID()], id)
			require.NoError(t, b.csp.AssignLicenses(e.TenantID(), id, []string{spec.skus[0].SkuID}, nil))
		}
	}
	b.base = b.csp.StartTest(t)
	return b
}

func (b *bundle) open(t *testing.T, mod func(*Config)) *Source {
	t.Helper()
	c := Config{}
	c.TenantID, c.ClientID, c.ClientSecret = b.csp.Partner().TenantID(), b.csp.ClientID(), secret.New(emuSecret)
	c.AuthorityURL, c.GraphURL = b.base, b.base+"/v1.0"
	for _, e := range b.customers {
		c.Customers = append(c.Customers, Customer{TenantID: e.TenantID()})
	}
	c.MaxRetries = 1
	if mod != nil {
		mod(&c)
	}
	src, err := open(c.WithDefaults(), "partner", slog.New(slog.DiscardHandler), httpclient.Options{Sleep: noSleep})
	require.NoError(t, err)
	t.Cleanup(func() { require.NoError(t, src.Close()) })
	return src
}

func fetch(t *testing.T, src *Source) (connector.FetchResult, map[string]record.Record) {
	t.Helper()
	sink := &testSink{}
	res, err := src.Fetch(t.Context(), connector.FetchRequest{Kinds: []record.Kind{record.KindLicence, record.KindLicenceAssignment}}, sink)
	require.NoError(t, err)
	require.True(t, res.Full, "a full listing every time")
	require.Empty(t, res.Cursor)
	return res, sink.records()
}

func TestThreeTenantsOneRevoked(t *testing.T) {
	t.Parallel()
	b := setup(t)
	contoso, northwind, fabrikam := b.customers[0], b.customers[1], b.customers[2]
	src := b.open(t, func(c *Config) { c.SkuNames = map[string]string{"contoso_special": "Contoso Special Plan"} })

	res, recs := fetch(t, src)
	require.Empty(t, res.FailedParts)
	require.Len(t, recs, 4+6, "four subscriptions, six licensed users")
	e3 := recs[contoso.TenantID()+"/6fd2c87f-b296-42f0-b197-1e91e994b900"]
	require.Equal(t, record.KindLicence, e3.Kind)
	require.Equal(t, map[string]string{
		record.AttrPart: contoso.TenantID(), record.AttrTenantID: contoso.TenantID(), record.AttrTenantName: "Contoso",
		record.AttrSourceOrgID: contoso.TenantID(), record.AttrSourceOrgName: "Contoso",
		record.AttrSkuID: "6fd2c87f-b296-42f0-b197-1e91e994b900", record.AttrSkuPartNumber: "ENTERPRISEPACK",
		record.AttrName: "Office 365 E3", record.AttrCapabilityStatus: "Enabled",
		record.AttrEnabledUnits: "25", record.AttrSuspendedUnits: "0", record.AttrWarningUnits: "2", record.AttrConsumedUnits: "3",
	}, e3.Attrs)
	spb := recs[contoso.TenantID()+"/"+skuSPB].Attrs
	require.Equal(t, "Microsoft 365 Business Premium", spb[record.AttrName])
	require.Equal(t, "Warning", spb[record.AttrCapabilityStatus])
	require.Equal(t, "5", spb[record.AttrSuspendedUnits])
	require.Equal(t, "Exchange Online (Plan 1)", recs[northwind.TenantID()+"/"+skuExch].Attrs[record.AttrName])
	require.Equal(t, "Contoso Special Plan", recs[fabrikam.TenantID()+"/"+skuOdd].Attrs[record.AttrName], "sku_names extends the table")
	require.Equal(t, "Northwind Traders", recs[northwind.TenantID()+"/"+skuExch].Attrs[record.AttrSourceOrgName], "the name comes from the tenant")

	u := b.users[contoso.TenantID()][0]
	a := recs[contoso.TenantID()+"/"+u]
	require.Equal(t, record.KindLicenceAssignment, a.Kind)
	require.Equal(t, "6fd2c87f-b296-42f0-b197-1e91e994b900", a.Attrs[record.AttrSkuIDs])
	require.Equal(t, "Cona@"+contoso.TenantID(), a.Attrs[record.AttrUPN])
	require.Equal(t, contoso.TenantID(), a.Attrs[record.AttrSourceOrgID])

	// Northwind removes the partner app.
	require.NoError(t, b.csp.SetConsent(northwind.TenantID(), graph.ConsentRevoked))
	res, recs = fetch(t, src)
	require.Len(t, res.FailedParts, 1)
	f := res.FailedParts[0]
	require.Equal(t, northwind.TenantID(), f.Part)
	require.Equal(t, "Northwind Traders (tenant "+northwind.TenantID()+")", f.Name)
	require.Contains(t, f.Err, "AADSTS7000229")
	require.Len(t, recs, 3+4, "the other tenants complete")
	for _, r := range recs {
		require.NotEqual(t, northwind.TenantID(), r.Attrs[record.AttrPart])
	}

	// Its permissions removed instead: 403 on every call.
	require.NoError(t, b.csp.SetConsent(northwind.TenantID(), graph.ConsentNoAccess))
	res, _ = fetch(t, src)
	require.Len(t, res.FailedParts, 1)
	require.Contains(t, res.FailedParts[0].Err, "403")
	require.Contains(t, res.FailedParts[0].Err, "Organization.Read.All")

	// Every tenant failing fails the run.
	for _, e := range b.customers {
		require.NoError(t, b.csp.SetConsent(e.TenantID(), graph.ConsentRevoked))
	}
	_, err := src.Fetch(t.Context(), connector.FetchRequest{Kinds: []record.Kind{record.KindLicence}}, &testSink{})
	require.ErrorContains(t, err, "every customer tenant failed (3)")
	require.ErrorIs(t, err, connector.ErrUnauthorized)
}

func TestLicenceChangesAndSkuRemoval(t *testing.T) {
	t.Parallel()
	b := setup(t)
	contoso := b.customers[0]
	tid := contoso.TenantID()
	src := b.open(t, nil)
	_, recs := fetch(t, src)
	ana, bo, cy := b.users[tid][0], b.users[tid][1], b.users[tid][2]
	require.Contains(t, recs, tid+"/"+skuSPB)

	require.NoError(t, b.csp.AssignLicenses(tid, ana, []string{skuSPB}, nil))
	require.NoError(t, b.csp.AssignLicenses(tid, bo, nil, []string{skuE3}))
	_, recs = fetch(t, src)
	require.Equal(t, "6fd2c87f-b296-42f0-b197-1e91e994b900,"+skuSPB, recs[tid+"/"+ana].Attrs[record.AttrSkuIDs])
	require.Equal(t, "", recs[tid+"/"+bo].Attrs[record.AttrSkuIDs], "a user whose last licence was removed holds none")
	require.Equal(t, "2", recs[tid+"/6fd2c87f-b296-42f0-b197-1e91e994b900"].Attrs[record.AttrConsumedUnits])
	require.Equal(t, "1", recs[tid+"/"+skuSPB].Attrs[record.AttrConsumedUnits])

	require.NoError(t, b.csp.RemoveSku(tid, skuSPB))
	res, recs := fetch(t, src)
	require.Empty(t, res.FailedParts)
	require.NotContains(t, recs, tid+"/"+skuSPB, "a removed SKU is absent from the next listing")
	require.Equal(t, "6fd2c87f-b296-42f0-b197-1e91e994b900", recs[tid+"/"+ana].Attrs[record.AttrSkuIDs])
	require.Contains(t, recs, tid+"/"+cy)

	// Only licences asked for: no user listing.
	sink := &testSink{}
	_, err := src.Fetch(t.Context(), connector.FetchRequest{Kinds: []record.Kind{record.KindLicence}}, sink)
	require.NoError(t, err)
	for _, r := range sink.records() {
		require.Equal(t, record.KindLicence, r.Kind)
	}
}

func TestGDAPDiscovery(t *testing.T) {
	t.Parallel()
	b := setup(t)
	src := b.open(t, func(c *Config) {
		c.Customers, c.CustomerSource = nil, SourceGDAP
		c.ExcludeTenants = []string{b.customers[2].TenantID()}
	})
	res, recs := fetch(t, src)
	require.Empty(t, res.FailedParts)
	tenants := map[string]string{}
	for _, r := range recs {
		tenants[r.Attrs[record.AttrTenantID]] = r.Attrs[record.AttrTenantName]
	}
	require.Equal(t, map[string]string{b.customers[0].TenantID(): "Contoso", b.customers[1].TenantID(): "Northwind Traders"}, tenants)
	require.NoError(t, src.Check(t.Context()))

	// A partner app without the GDAP permission cannot list its customers.
	b.csp.Partner().Inject(graph.Fault{Path: "/tenantRelationships", Status: 403})
	_, err := src.Fetch(t.Context(), connector.FetchRequest{}, &testSink{})
	require.ErrorIs(t, err, connector.ErrForbidden)
	require.ErrorContains(t, err, "DelegatedAdminRelationship.Read.All")
}

func TestConfig(t *testing.T) {
	t.Setenv("CSP_CLIENT_SECRET", "from-env")
	c := Type().New().(*Config)
	require.NoError(t, yaml.Unmarshal([]byte(Sample), c))
	require.NoError(t, c.Validate())
	require.Len(t, c.Customers, 2)
	require.Equal(t, SourceList, c.CustomerSource)

	bad := Config{CustomerSource: SourceList, Customers: []Customer{{TenantID: "a"}, {TenantID: "A"}, {}}, ExcludeTenants: []string{"x"}, Concurrency: 99}
	bad.TenantID, bad.ClientID, bad.ClientSecret = "t", "c", secret.New("s")
	err := bad.WithDefaults().Validate()
	for _, f := range []string{"customers[1].tenant_id: A is listed twice", "customers[2].tenant_id: required", "exclude_tenants", "concurrency"} {
		require.ErrorContains(t, err, f)
	}
	g := Config{CustomerSource: "portal"}
	require.ErrorContains(t, g.Validate(), "customer_source: must be list or gdap")
}
