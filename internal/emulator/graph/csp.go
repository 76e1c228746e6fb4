package graph

import (
	"cmp"
	"fmt"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"
)

// Defaults of CSPOptions.
const (
	DefaultPartnerName   = "Fabrikam Partners"
	DefaultPartnerDomain = "fabrikampartners.com"
)

// CSPOptions configures a CSP partner and its customer tenants.
type CSPOptions struct {
	// PartnerTenantID is the partner's tenant. Defaults to
	// DefaultTenantID.
	PartnerTenantID string
	// PartnerName and PartnerDomain name the partner tenant.
	PartnerName, PartnerDomain string
	// ClientID and ClientSecret are the partner's multi-tenant app, which
	// every customer tenant with consent accepts.
	ClientID, ClientSecret string
	// Now is the clock. Defaults to time.Now.
	Now func() time.Time
	// Logger defaults to one that discards.
	Logger *slog.Logger
}

// Consent is the state of the partner app in a customer tenant.
type Consent int

const (
	// ConsentGranted: the app's service principal is in the tenant with
	// its application permissions consented.
	ConsentGranted Consent = iota
	// ConsentRevoked: the customer removed the app (its service
	// principal), or the partner's consent ended with the GDAP
	// relationship: the token endpoint refuses the tenant with
	// AADSTS7000229 (invalid_client, "missing service principal"), and
	// the tokens it issued before answer 401.
	ConsentRevoked
	// ConsentNoAccess: the service principal is still there but its
	// permissions were removed: tokens are issued, and every Graph call
	// answers 403 Authorization_RequestDenied.
	ConsentNoAccess
)

// Customer names a customer tenant.
type Customer struct {
	TenantID string
	Name     string
	// Domain defaults to the name without spaces, lower case, + ".com".
	Domain string
}

// SubscribedSku is one subscription of a tenant (Graph subscribedSku).
// consumedUnits is computed from the licences assigned to active users.
type SubscribedSku struct {
	SkuID         string
	SkuPartNumber string
	// CapabilityStatus is Enabled, Warning, Suspended, Deleted or
	// LockedOut. Defaults to Enabled.
	CapabilityStatus string
	// AppliesTo is User or Company. Defaults to User.
	AppliesTo                           string
	Enabled, Suspended, Warning, Locked int
}

// CSP is a Cloud Solution Provider partner tenant and its customer
// tenants in one server: each tenant is an Emulator of its own (users,
// groups, ... and its token endpoint path), the partner app signs in to
// each customer tenant with its own credentials, and the server answers
// GET /v1.0/subscribedSkus, users with assignedLicenses and, for the
// partner, GET /v1.0/tenantRelationships/delegatedAdminCustomers (the
// customers it holds a GDAP relationship with). A Graph request is served
// by the tenant that issued its access token. Create it with NewCSP.
//
// All methods are safe to call while requests are being served.
type CSP struct {
	opts    CSPOptions
	partner *cspTenant

	mu        sync.RWMutex
	customers []*cspTenant
	byKey     map[string]*cspTenant // tenant ID and domains, lower case
}

type cspTenant struct {
	e       *Emulator
	name    string
	consent Consent
	skus    []SubscribedSku
	// licences are the SKU IDs assigned to each user.
	licences map[string][]string
}

// NewCSP returns a partner tenant without customers.
func NewCSP(o CSPOptions) *CSP {
	o.PartnerTenantID = cmp.Or(o.PartnerTenantID, DefaultTenantID)
	o.PartnerName = cmp.Or(o.PartnerName, DefaultPartnerName)
	o.PartnerDomain = cmp.Or(o.PartnerDomain, DefaultPartnerDomain)
	o.ClientID = cmp.Or(o.ClientID, DefaultClientID)
	c := &CSP{opts: o, byKey: map[string]*cspTenant{}}
	c.partner = c.newTenant(Customer{TenantID: o.PartnerTenantID, Name: o.PartnerName, Domain: o.PartnerDomain})
	return c
}

func (c *CSP) newTenant(cu Customer) *cspTenant {
	e := New(Options{
		TenantID: cu.TenantID, ClientID: c.opts.ClientID, ClientSecret: c.opts.ClientSecret,
		Organization: cu.Name, Domain: cu.Domain, Now: c.opts.Now, Logger: c.opts.Logger,
		DisableReplay: true,
	})
	t := &cspTenant{e: e, name: cu.Name, licences: map[string][]string{}}
	c.mu.Lock()
	defer c.mu.Unlock()
	for _, k := range []string{cu.TenantID, cu.Domain, e.initialDomain()} {
		c.byKey[strings.ToLower(k)] = t
	}
	return t
}

// Partner returns the partner tenant's emulator.
func (c *CSP) Partner() *Emulator { return c.partner.e }

// ClientID returns the partner app's client ID.
func (c *CSP) ClientID() string { return c.opts.ClientID }

// AddCustomer adds a customer tenant with consent granted and returns its
// emulator, to fill with users.
func (c *CSP) AddCustomer(cu Customer) *Emulator {
	if cu.TenantID == "" {
		c.partner.e.mu.Lock()
		cu.TenantID = c.partner.e.newID()
		c.partner.e.mu.Unlock()
	}
	if cu.Domain == "" {
		cu.Domain = strings.ToLower(strings.ReplaceAll(cu.Name, " ", "")) + ".com"
	}
	t := c.newTenant(cu)
	c.mu.Lock()
	c.customers = append(c.customers, t)
	c.mu.Unlock()
	return t.e
}

// Customers returns the customer tenants in the order they were added.
func (c *CSP) Customers() []Customer {
	c.mu.RLock()
	defer c.mu.RUnlock()
	out := make([]Customer, 0, len(c.customers))
	for _, t := range c.customers {
		out = append(out, Customer{TenantID: t.e.TenantID(), Name: t.name, Domain: t.e.opts.Domain})
	}
	return out
}

func (c *CSP) tenant(id string) (*cspTenant, error) {
	c.mu.RLock()
	defer c.mu.RUnlock()
	t := c.byKey[strings.ToLower(id)]
	if t == nil {
		return nil, fmt.Errorf("tenant %q: %w", id, ErrNotFound)
	}
	return t, nil
}

// SetConsent changes the state of the partner app in a customer tenant.
func (c *CSP) SetConsent(tenantID string, s Consent) error {
	t, err := c.tenant(tenantID)
	if err != nil {
		return err
	}
	c.mu.Lock()
	t.consent = s
	c.mu.Unlock()
	if s == ConsentRevoked {
		// Without its service principal the app's tokens for the tenant
		// are refused too: the next call gets 401 and the client's token
		// request meets the refusal.
		t.e.tokMu.Lock()
		clear(t.e.tokens)
		t.e.tokMu.Unlock()
	}
	return nil
}

// AddSku adds a subscription to a tenant, or replaces the one with the
// same SkuID.
func (c *CSP) AddSku(tenantID string, s SubscribedSku) error {
	t, err := c.tenant(tenantID)
	if err != nil {
		return err
	}
	if s.SkuID == "" || s.SkuPartNumber == "" {
		return fmt.Errorf("adding a SKU to tenant %q: skuId and skuPartNumber are required: %w", tenantID, ErrInvalid)
	}
	s.CapabilityStatus = cmp.Or(s.CapabilityStatus, "Enabled")
	s.AppliesTo = cmp.Or(s.AppliesTo, "User")
	c.mu.Lock()
	defer c.mu.Unlock()
	if i := slices.IndexFunc(t.skus, func(x SubscribedSku) bool { return strings.EqualFold(x.SkuID, s.SkuID) }); i >= 0 {
		t.skus[i] = s
	} else {
		t.skus = append(t.skus, s)
	}
	return nil
}

// RemoveSku removes a subscription from a tenant (it expired and was
// deprovisioned) with its assignments: it is absent from the next listing.
func (c *CSP) RemoveSku(tenantID, skuID string) error {
	t, err := c.tenant(tenantID)
	if err != nil {
		return err
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	i := slices.IndexFunc(t.skus, func(x SubscribedSku) bool { return strings.EqualFold(x.SkuID, skuID) })
	if i < 0 {
		return fmt.Errorf("removing SKU %q from tenant %q: %w", skuID, tenantID, ErrNotFound)
	}
	t.skus = slices.Delete(t.skus, i, i+1)
	for u, l := range t.licences {
		t.licences[u] = slices.DeleteFunc(l, func(s string) bool { return strings.EqualFold(s, skuID) })
	}
	return nil
}

// AssignLicenses adds and removes SKUs assigned to a user of a tenant, as
// POST /users/{id}/assignLicense does. A SKU must be subscribed.
func (c *CSP) AssignLicenses(tenantID, userID string, add, remove []string) error {
	t, err := c.tenant(tenantID)
	if err != nil {
		return err
	}
	if _, ok := t.e.UserByID(userID); !ok {
		return fmt.Errorf("assigning licences to user %q: %w", userID, ErrNotFound)
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	l := t.licences[userID]
	for _, s := range add {
		if !slices.ContainsFunc(t.skus, func(x SubscribedSku) bool { return strings.EqualFold(x.SkuID, s) }) {
			return fmt.Errorf("assigning SKU %q: not subscribed in tenant %q: %w", s, tenantID, ErrInvalid)
		}
		if !slices.Contains(l, s) {
			l = append(l, s)
		}
	}
	l = slices.DeleteFunc(l, func(s string) bool { return slices.Contains(remove, s) })
	t.licences[userID] = l
	return nil
}

// Licenses returns the SKU IDs assigned to a user.
func (c *CSP) Licenses(tenantID, userID string) []string {
	t, err := c.tenant(tenantID)
	if err != nil {
		return nil
	}
	c.mu.RLock()
	defer c.mu.RUnlock()
	return slices.Clone(t.licences[userID])
}

// Handler routes token requests by the tenant in their path and Graph
// requests by the tenant that issued their access token.
func (c *CSP) Handler() http.Handler { return http.HandlerFunc(c.serveHTTP) }

// Start starts an httptest.Server serving Handler; the caller closes it.
func (c *CSP) Start() *httptest.Server { return httptest.NewServer(c.Handler()) }

// StartTest starts Handler on a loopback server closed when the test ends
// and returns its base URL.
func (c *CSP) StartTest(t testing.TB) string {
	t.Helper()
	srv := httptest.NewServer(c.Handler())
	t.Cleanup(srv.Close)
	return srv.URL
}

// TokenURL returns the token endpoint of a tenant under baseURL.
func (c *CSP) TokenURL(baseURL, tenantID string) string {
	return baseURL + "/" + tenantID + "/oauth2/v2.0/token"
}
