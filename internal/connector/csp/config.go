package csp

import (
	"errors"
	"fmt"
	"log/slog"
	"strings"
	"sync"

	"github.com/integrator-oss/integrator/internal/connector"
	"github.com/integrator-oss/integrator/internal/connector/msgraph"
	"github.com/integrator-oss/integrator/internal/httpclient"
)

// Customer sources of Config.CustomerSource.
const (
	// SourceList reads the tenants listed in Config.Customers.
	SourceList = "list"
	// SourceGDAP reads the customers the partner holds a GDAP
	// relationship with (tenantRelationships/delegatedAdminCustomers).
	SourceGDAP = "gdap"
)

// Defaults of Config.
const (
	// DefaultConcurrency is how many tenants are read at once.
	DefaultConcurrency = 4
	// MaxConcurrency bounds Concurrency.
	MaxConcurrency = 32
)

// Customer is one configured customer tenant.
type Customer struct {
	// TenantID is the customer's tenant ID (a GUID) or a verified domain.
	TenantID string `yaml:"tenant_id" json:"tenant_id"`
	// Name is the customer's name in reports and on records. Defaults to
	// the tenant's organisation name, read from Graph.
	Name string `yaml:"name,omitempty" json:"name,omitempty"`
}

// Config is the "config" block of a csp integration.
//
//	tenant_id: 00000000-0000-0000-0000-000000000000   # the partner tenant
//	client_id: 11111111-1111-1111-1111-111111111111
//	client_secret: {env: CSP_CLIENT_SECRET}
//	customer_source: gdap
type Config struct {
	// Credentials are the partner's multi-tenant app in the partner
	// tenant: tenant_id, client_id, client_secret or certificate_file and
	// private_key_file, authority_url, token_url and graph_url, as for the
	// entra connector. The same app signs in to each customer tenant.
	msgraph.Credentials `yaml:",inline"`

	// CustomerSource says which tenants are read: "list" (Customers) or
	// "gdap" (every customer with a GDAP relationship, minus
	// ExcludeTenants). Defaults to "list".
	CustomerSource string `yaml:"customer_source,omitempty" json:"customer_source,omitempty"`
	// Customers are the tenants read with customer_source list.
	Customers []Customer `yaml:"customers,omitempty" json:"customers,omitempty"`
	// ExcludeTenants are tenant IDs left out of the GDAP listing.
	ExcludeTenants []string `yaml:"exclude_tenants,omitempty" json:"exclude_tenants,omitempty"`
	// SkuNames adds to the built-in table of friendly SKU names, by
	// skuPartNumber ("CUSTOM_SKU": "Contoso Special").
	SkuNames map[string]string `yaml:"sku_names,omitempty" json:"sku_names,omitempty"`
	// Concurrency is how many tenants are read at once, 1 to 32. Defaults
	// to 4.
	Concurrency int `yaml:"concurrency,omitempty" json:"concurrency,omitempty"`

	// Config is the HTTP client block: timeout, ca_file,
	// insecure_skip_verify, max_retries, requests_per_second.
	httpclient.Config `yaml:",inline"`
}

// WithDefaults returns a copy with every unset field at its default. It is
// the only place the defaults live.
func (c Config) WithDefaults() Config {
	c.Credentials = c.Credentials.WithDefaults()
	if c.CustomerSource == "" {
		c.CustomerSource = SourceList
	}
	if c.Concurrency == 0 {
		c.Concurrency = DefaultConcurrency
	}
	c.Config = c.Config.WithDefaults()
	return c
}

// Validate reports every problem at once, each as a *connector.FieldError
// naming its key.
func (c Config) Validate() error {
	errs := c.Credentials.Validate()
	add := func(field, format string, args ...any) {
		errs = append(errs, &connector.FieldError{Field: field, Message: fmt.Sprintf(format, args...)})
	}
	switch c.CustomerSource {
	case SourceList, "":
		if len(c.Customers) == 0 {
			add("customers", "required with customer_source list: the customer tenants to read")
		}
		seen := map[string]bool{}
		for i, cu := range c.Customers {
			id := strings.ToLower(strings.TrimSpace(cu.TenantID))
			switch {
			case id == "":
				add(fmt.Sprintf("customers[%d].tenant_id", i), "required")
			case seen[id]:
				add(fmt.Sprintf("customers[%d].tenant_id", i), "%s is listed twice", cu.TenantID)
			}
			seen[id] = true
		}
		if len(c.ExcludeTenants) > 0 {
			add("exclude_tenants", "only used with customer_source gdap")
		}
	case SourceGDAP:
		if len(c.Customers) > 0 {
			add("customers", "only used with customer_source list")
		}
	default:
		add("customer_source", "must be list or gdap, not %q", c.CustomerSource)
	}
	if c.Concurrency < 0 || c.Concurrency > MaxConcurrency {
		add("concurrency", "must be between 1 and %d", MaxConcurrency)
	}
	if err := c.Config.Validate(); err != nil {
		errs = append(errs, err)
	}
	return errors.Join(errs...)
}

// Open builds the source without network I/O.
func (c *Config) Open(name string, logger *slog.Logger) (connector.Source, error) {
	return open(c.WithDefaults(), name, logger, httpclient.Options{})
}

// open builds a source; tests pass client options (a fake sleep).
func open(cfg Config, name string, logger *slog.Logger, opts httpclient.Options) (*Source, error) {
	if err := cfg.Validate(); err != nil {
		return nil, fmt.Errorf("validating csp configuration: %w", err)
	}
	if logger == nil {
		logger = slog.New(slog.DiscardHandler)
	}
	logger = logger.With("connector", "csp", "integration", name)
	if opts.Logger == nil {
		opts.Logger = logger
	}
	hc, err := httpclient.New(cfg.Config, opts)
	if err != nil {
		return nil, fmt.Errorf("building the HTTP client: %w", err)
	}
	partner, err := msgraph.NewClient(cfg.Credentials, hc, logger)
	if err != nil {
		return nil, err
	}
	return &Source{logger: logger, cfg: cfg, http: hc, partner: partner,
		tenants: map[string]*msgraph.Client{}, names: map[string]string{}}, nil
}

// Source is an opened csp connector.
type Source struct {
	logger  *slog.Logger
	cfg     Config
	http    *httpclient.Client
	partner *msgraph.Client

	mu sync.Mutex
	// tenants are the clients signed in to each customer tenant, each with
	// its own token cache.
	tenants map[string]*msgraph.Client
	// names are the tenant names read from Graph, so that a tenant that
	// fails to sign in is still reported by name.
	names map[string]string
}

var (
	_ connector.Source  = (*Source)(nil)
	_ connector.Checker = (*Source)(nil)
	_ connector.Closer  = (*Source)(nil)
)

// Close releases idle connections. It is safe to call more than once.
func (s *Source) Close() error {
	s.http.CloseIdleConnections()
	return nil
}

// client returns the client of a customer tenant.
func (s *Source) client(tenantID string) (*msgraph.Client, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if c := s.tenants[tenantID]; c != nil {
		return c, nil
	}
	creds := s.cfg.Credentials
	creds.TenantID, creds.TokenURL = tenantID, ""
	c, err := msgraph.NewClient(creds, s.http, s.logger)
	if err != nil {
		return nil, err
	}
	s.tenants[tenantID] = c
	return c, nil
}
