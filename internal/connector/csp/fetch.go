package csp

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"slices"
	"strconv"
	"strings"
	"sync"

	"github.com/integrator-oss/integrator/internal/connector"
	"github.com/integrator-oss/integrator/internal/connector/msgraph"
	"github.com/integrator-oss/integrator/internal/httpclient"
	"github.com/integrator-oss/integrator/internal/record"
)

// tenant is one customer tenant to read.
type tenant struct {
	id, name string
}

func (t tenant) label() string {
	if t.name == "" || t.name == t.id {
		return "tenant " + t.id
	}
	return t.name + " (tenant " + t.id + ")"
}

// Fetch lists every customer tenant's subscriptions and licensed users,
// at most Concurrency tenants at a time. A tenant that fails is reported
// in FailedParts; Fetch fails only when the tenants cannot be listed, the
// sink fails, or every tenant failed. Every fetch is full.
func (s *Source) Fetch(ctx context.Context, req connector.FetchRequest, sink connector.Sink) (connector.FetchResult, error) {
	wantSkus, wantUsers := len(req.Kinds) == 0, len(req.Kinds) == 0
	for _, k := range req.Kinds {
		switch k {
		case record.KindLicence:
			wantSkus = true
		case record.KindLicenceAssignment:
			wantUsers = true
		default:
			return connector.FetchResult{}, fmt.Errorf("selecting kinds: the csp connector does not fetch %q records", k)
		}
	}
	var (
		mu       sync.Mutex
		requests int
		sinkErr  error
	)
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	progress := func(p connector.Progress) {
		mu.Lock()
		defer mu.Unlock()
		if p.Waiting == 0 {
			requests++
		}
		p.Requests = requests
		sink.Progress(p)
	}
	ctx = httpclient.WithHooks(ctx, httpclient.Hooks{
		OnRequest: func() { progress(connector.Progress{}) },
		OnWait:    func(w httpclient.Wait) { progress(connector.Progress{Waiting: w.Delay}) },
	})
	emit := func(recs []record.Record) error {
		mu.Lock()
		defer mu.Unlock()
		if sinkErr != nil {
			return sinkErr
		}
		if err := sink.Page(ctx, recs); err != nil {
			sinkErr = err
			cancel()
			return err
		}
		return nil
	}

	tenants, err := s.customers(ctx)
	if err != nil {
		return connector.FetchResult{}, err
	}
	errs := make([]error, len(tenants))
	named := make([]tenant, len(tenants))
	jobs := make(chan int)
	var wg sync.WaitGroup
	for range min(s.cfg.Concurrency, len(tenants)) {
		wg.Go(func() {
			for i := range jobs {
				named[i], errs[i] = s.fetchTenant(ctx, tenants[i], wantSkus, wantUsers, emit)
			}
		})
	}
feed:
	for i := range tenants {
		select {
		case jobs <- i:
		case <-ctx.Done():
			break feed
		}
	}
	close(jobs)
	wg.Wait()
	if sinkErr != nil {
		return connector.FetchResult{}, fmt.Errorf("handling licences: %w", sinkErr)
	}
	if err := ctx.Err(); err != nil {
		return connector.FetchResult{}, err
	}
	res := connector.FetchResult{Full: true}
	var firstErr error
	for i, err := range errs {
		if err == nil {
			continue
		}
		t := named[i]
		if firstErr == nil {
			firstErr = fmt.Errorf("%s: %w", t.label(), err)
		}
		res.FailedParts = append(res.FailedParts, connector.PartFailure{Part: t.id, Name: t.label(), Err: err.Error()})
		s.logger.Warn("customer tenant failed; the others complete", "tenant", t.id, "name", t.name, "error", err)
	}
	if len(tenants) > 0 && len(res.FailedParts) == len(tenants) {
		return connector.FetchResult{}, fmt.Errorf("every customer tenant failed (%d); first: %w", len(tenants), firstErr)
	}
	return res, nil
}

// customers lists the tenants to read.
func (s *Source) customers(ctx context.Context) ([]tenant, error) {
	if s.cfg.CustomerSource != SourceGDAP {
		out := make([]tenant, 0, len(s.cfg.Customers))
		for _, c := range s.cfg.Customers {
			out = append(out, tenant{id: strings.TrimSpace(c.TenantID), name: c.Name})
		}
		return out, nil
	}
	var out []tenant
	link := s.partner.Base() + "/tenantRelationships/delegatedAdminCustomers?$top=300"
	for n := 1; link != ""; n++ {
		resp, err := s.partner.Get(ctx, link)
		if err != nil {
			var gerr *msgraph.GraphError
			if errors.As(err, &gerr) && gerr.StatusCode == http.StatusForbidden {
				return nil, fmt.Errorf("listing GDAP customers: the partner app needs the DelegatedAdminRelationship.Read.All application permission: %w", err)
			}
			return nil, fmt.Errorf("listing GDAP customers, page %d: %w", n, err)
		}
		l, err := msgraph.DecodeCollection(resp.Body, func(dec *json.Decoder) error {
			var c struct {
				TenantID    string `json:"tenantId"`
				DisplayName string `json:"displayName"`
			}
			if err := dec.Decode(&c); err != nil {
				return err
			}
			if c.TenantID != "" && !slices.ContainsFunc(s.cfg.ExcludeTenants, func(x string) bool { return strings.EqualFold(x, c.TenantID) }) {
				out = append(out, tenant{id: c.TenantID, name: c.DisplayName})
			}
			return nil
		})
		_ = resp.Body.Close()
		if err != nil {
			return nil, fmt.Errorf("decoding GDAP customers, page %d: %w", n, err)
		}
		link = l.Next
	}
	return out, nil
}

// fetchTenant reads one tenant and returns it with its name filled in.
func (s *Source) fetchTenant(ctx context.Context, t tenant, wantSkus, wantUsers bool, emit func([]record.Record) error) (tenant, error) {
	c, err := s.client(t.id)
	if err != nil {
		return t, err
	}
	if t.name == "" {
		s.mu.Lock()
		t.name = s.names[t.id]
		s.mu.Unlock()
	}
	if _, err := c.Token(ctx); err != nil {
		return t, fmt.Errorf("signing in to the customer tenant (is the partner app consented there?): %w", err)
	}
	if t.name == "" {
		t.name = s.organizationName(ctx, c, t.id)
		s.mu.Lock()
		s.names[t.id] = t.name
		s.mu.Unlock()
	}
	if wantSkus {
		recs, err := s.skus(ctx, c, t)
		if err != nil {
			return t, forbidden(err, "Organization.Read.All")
		}
		if len(recs) > 0 {
			if err := emit(recs); err != nil {
				return t, err
			}
		}
	}
	if wantUsers {
		if err := s.assignments(ctx, c, t, emit); err != nil {
			return t, forbidden(err, "User.Read.All")
		}
	}
	return t, nil
}

// forbidden names the permission a 403 lacks.
func forbidden(err error, permission string) error {
	var gerr *msgraph.GraphError
	if errors.As(err, &gerr) && gerr.StatusCode == http.StatusForbidden {
		return fmt.Errorf("the partner app lacks %s in the customer tenant (consent or GDAP access removed?): %w", permission, err)
	}
	return err
}

// organizationName reads the tenant's display name; the tenant ID stands in
// when it cannot be read.
func (s *Source) organizationName(ctx context.Context, c *msgraph.Client, id string) string {
	resp, err := c.Get(ctx, c.Base()+"/organization?$select=displayName")
	if err != nil {
		s.logger.Debug("could not read the tenant's name", "tenant", id, "error", err)
		return id
	}
	defer func() { _ = resp.Body.Close() }()
	var body struct {
		Value []struct {
			DisplayName string `json:"displayName"`
		} `json:"value"`
	}
	if json.NewDecoder(resp.Body).Decode(&body) != nil || len(body.Value) == 0 || body.Value[0].DisplayName == "" {
		return id
	}
	return body.Value[0].DisplayName
}

// baseAttrs are the attributes every record of a tenant carries.
func baseAttrs(t tenant) map[string]string {
	return map[string]string{
		record.AttrPart:          t.id,
		record.AttrTenantID:      t.id,
		record.AttrTenantName:    t.name,
		record.AttrSourceOrgID:   t.id,
		record.AttrSourceOrgName: t.name,
	}
}

type subscribedSku struct {
	SkuID            string `json:"skuId"`
	SkuPartNumber    string `json:"skuPartNumber"`
	CapabilityStatus string `json:"capabilityStatus"`
	ConsumedUnits    int    `json:"consumedUnits"`
	PrepaidUnits     struct {
		Enabled   int `json:"enabled"`
		Suspended int `json:"suspended"`
		Warning   int `json:"warning"`
	} `json:"prepaidUnits"`
}

// skus reads the tenant's subscriptions.
func (s *Source) skus(ctx context.Context, c *msgraph.Client, t tenant) ([]record.Record, error) {
	var recs []record.Record
	link := c.Base() + "/subscribedSkus"
	for n := 1; link != ""; n++ {
		resp, err := c.Get(ctx, link)
		if err != nil {
			return nil, fmt.Errorf("listing subscribed SKUs: %w", err)
		}
		l, err := msgraph.DecodeCollection(resp.Body, func(dec *json.Decoder) error {
			var k subscribedSku
			if err := dec.Decode(&k); err != nil {
				return err
			}
			if k.SkuID == "" {
				return fmt.Errorf("a subscribed SKU without a skuId")
			}
			a := baseAttrs(t)
			a[record.AttrSkuID] = strings.ToLower(k.SkuID)
			a[record.AttrSkuPartNumber] = k.SkuPartNumber
			a[record.AttrName] = skuName(s.cfg.SkuNames, k.SkuPartNumber)
			a[record.AttrCapabilityStatus] = k.CapabilityStatus
			a[record.AttrEnabledUnits] = strconv.Itoa(k.PrepaidUnits.Enabled)
			a[record.AttrSuspendedUnits] = strconv.Itoa(k.PrepaidUnits.Suspended)
			a[record.AttrWarningUnits] = strconv.Itoa(k.PrepaidUnits.Warning)
			a[record.AttrConsumedUnits] = strconv.Itoa(k.ConsumedUnits)
			recs = append(recs, record.Record{Kind: record.KindLicence, ID: t.id + "/" + strings.ToLower(k.SkuID), Attrs: a})
			return nil
		})
		_ = resp.Body.Close()
		if err != nil {
			return nil, pageError("subscribed SKUs", n, err)
		}
		link = l.Next
	}
	return recs, nil
}

func pageError(what string, n int, err error) error {
	if msgraph.CutShort(err) {
		return &connector.RetryableError{Err: fmt.Errorf("reading %s page %d: %w", what, n, err)}
	}
	return fmt.Errorf("decoding %s page %d: %w", what, n, err)
}

// assignments reads the tenant's users and emits one record per user,
// page by page. A user without licences is emitted too, with no SKUs: the
// engine sets what each user holds from these records, so a user whose
// last licence was removed must say so.
func (s *Source) assignments(ctx context.Context, c *msgraph.Client, t tenant, emit func([]record.Record) error) error {
	link := c.Base() + "/users?$select=id,userPrincipalName,mail,displayName,accountEnabled,assignedLicenses&$top=999"
	for n := 1; link != ""; n++ {
		resp, err := c.Get(ctx, link)
		if err != nil {
			return fmt.Errorf("listing users page %d: %w", n, err)
		}
		var recs []record.Record
		l, err := msgraph.DecodeCollection(resp.Body, func(dec *json.Decoder) error {
			var u struct {
				ID               string  `json:"id"`
				UPN              string  `json:"userPrincipalName"`
				Mail             *string `json:"mail"`
				DisplayName      string  `json:"displayName"`
				AssignedLicenses []struct {
					SkuID string `json:"skuId"`
				} `json:"assignedLicenses"`
			}
			if err := dec.Decode(&u); err != nil {
				return err
			}
			if u.ID == "" {
				return nil
			}
			skus := make([]string, 0, len(u.AssignedLicenses))
			for _, l := range u.AssignedLicenses {
				skus = append(skus, strings.ToLower(l.SkuID))
			}
			slices.Sort(skus)
			a := baseAttrs(t)
			a[record.AttrUPN] = u.UPN
			a[record.AttrDisplayName] = u.DisplayName
			if u.Mail != nil {
				a[record.AttrEmail] = *u.Mail
			}
			a[record.AttrSkuIDs] = strings.Join(slices.Compact(skus), ",")
			recs = append(recs, record.Record{Kind: record.KindLicenceAssignment, ID: t.id + "/" + u.ID, Attrs: a})
			return nil
		})
		_ = resp.Body.Close()
		if err != nil {
			return pageError("users", n, err)
		}
		if len(recs) > 0 {
			if err := emit(recs); err != nil {
				return err
			}
		}
		link = l.Next
	}
	return nil
}

// Check signs in to the partner tenant and, for the first customer (listed
// or discovered), signs in to it and reads its subscriptions.
func (s *Source) Check(ctx context.Context) error {
	if _, err := s.partner.Token(ctx); err != nil {
		return fmt.Errorf("checking the partner credentials: %w", err)
	}
	tenants, err := s.customers(ctx)
	if err != nil {
		return err
	}
	if len(tenants) == 0 {
		return nil
	}
	c, err := s.client(tenants[0].id)
	if err != nil {
		return err
	}
	resp, err := c.Get(ctx, c.Base()+"/subscribedSkus")
	if err != nil {
		return fmt.Errorf("checking access to %s: %w", tenants[0].label(), forbidden(err, "Organization.Read.All"))
	}
	_ = resp.Body.Close()
	return nil
}
