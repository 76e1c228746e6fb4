package ninjaone

import (
	"errors"
	"fmt"
	"log/slog"
	"net/url"
	"slices"
	"strings"

	"github.com/integrator-oss/integrator/internal/connector"
	"github.com/integrator-oss/integrator/internal/httpclient"
	"github.com/integrator-oss/integrator/internal/secret"
)

// Regions are NinjaOne's instances by the name the configuration uses.
var Regions = map[string]string{
	"us":  "https://app.ninjarmm.com",
	"us2": "https://us2.ninjarmm.com",
	"eu":  "https://eu.ninjarmm.com",
	"ca":  "https://ca.ninjarmm.com",
	"oc":  "https://oc.ninjarmm.com",
}

// Defaults of Config.
const (
	DefaultRegion = "us"
	DefaultScope  = "monitoring"
	// DefaultPageSize is the pageSize of list and query requests.
	DefaultPageSize = 1000
	// MaxPageSize is the largest pageSize the connector asks for.
	MaxPageSize = 1000
	// DefaultRequestsPerSecond is the request budget. NinjaOne publishes
	// no rate limit; ten a second keeps a large instance's run within
	// minutes and has not been reported to be throttled.
	DefaultRequestsPerSecond = 10
)

// Config is the "config" block of a ninjaone integration.
//
//	region: eu
//	client_id: 0oa1b2c3d4
//	client_secret: {env: NINJAONE_CLIENT_SECRET}
type Config struct {
	// Region is the NinjaOne instance: us (app.ninjarmm.com), us2, eu, ca
	// or oc. Defaults to us. Ignored when BaseURL is set.
	Region string `yaml:"region,omitempty" json:"region,omitempty"`
	// BaseURL replaces the region's URL (another instance, a proxy, the
	// emulator).
	BaseURL string `yaml:"base_url,omitempty" json:"base_url,omitempty"`
	// TokenURL replaces BaseURL + "/ws/oauth/token".
	TokenURL string `yaml:"token_url,omitempty" json:"token_url,omitempty"`
	// ClientID is the client ID of the API application (client credentials,
	// "API Services (machine-to-machine)"). Required.
	ClientID string `yaml:"client_id" json:"client_id"`
	// ClientSecret is its client secret. Required.
	ClientSecret secret.String `yaml:"client_secret" json:"client_secret,omitzero"`
	// Scope is the OAuth scope asked for. Defaults to "monitoring", the
	// read-only scope, which is all the connector needs.
	Scope string `yaml:"scope,omitempty" json:"scope,omitempty"`
	// PageSize is the pageSize of every list and query request, 1 to 1000.
	// Defaults to 1000.
	PageSize int `yaml:"page_size,omitempty" json:"page_size,omitempty"`

	// Config is the HTTP client block: timeout, ca_file,
	// insecure_skip_verify, max_retries, requests_per_second (defaults
	// to 10).
	httpclient.Config `yaml:",inline"`
}

// WithDefaults returns a copy with every unset field at its default. It is
// the only place the defaults live.
func (c Config) WithDefaults() Config {
	if c.Region == "" && c.BaseURL == "" {
		c.Region = DefaultRegion
	}
	if c.Scope == "" {
		c.Scope = DefaultScope
	}
	if c.PageSize == 0 {
		c.PageSize = DefaultPageSize
	}
	if c.RequestsPerSecond == 0 {
		c.RequestsPerSecond = DefaultRequestsPerSecond
	}
	c.Config = c.Config.WithDefaults()
	return c
}

// baseURL is the instance URL without a trailing slash.
func (c Config) baseURL() string {
	if c.BaseURL != "" {
		return strings.TrimRight(c.BaseURL, "/")
	}
	return Regions[strings.ToLower(c.Region)]
}

func (c Config) tokenURL() string {
	if c.TokenURL != "" {
		return c.TokenURL
	}
	return c.baseURL() + "/ws/oauth/token"
}

// Validate reports every problem at once, each as a *connector.FieldError
// naming its key.
func (c Config) Validate() error {
	var errs []error
	add := func(field, format string, args ...any) {
		errs = append(errs, &connector.FieldError{Field: field, Message: fmt.Sprintf(format, args...)})
	}
	if strings.TrimSpace(c.ClientID) == "" {
		add("client_id", "required")
	}
	if c.ClientSecret.IsZero() {
		add("client_secret", "required")
	}
	if c.Region != "" {
		if _, ok := Regions[strings.ToLower(c.Region)]; !ok {
			names := make([]string, 0, len(Regions))
			for n := range Regions {
				names = append(names, n)
			}
			slices.Sort(names)
			add("region", "unknown region %q (one of %s, or set base_url)", c.Region, strings.Join(names, ", "))
		}
	}
	for _, f := range []struct{ name, value string }{{"base_url", c.BaseURL}, {"token_url", c.TokenURL}} {
		if f.value == "" {
			continue
		}
		if u, err := url.Parse(f.value); err != nil || (u.Scheme != "https" && u.Scheme != "http") || u.Host == "" {
			add(f.name, "must be an absolute http(s) URL")
		}
	}
	for s := range strings.FieldsSeq(c.Scope) {
		if s != "monitoring" && s != "management" && s != "control" {
			add("scope", "unknown scope %q (monitoring, management or control)", s)
		}
	}
	if c.PageSize < 0 || c.PageSize > MaxPageSize {
		add("page_size", "must be between 1 and %d", MaxPageSize)
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
		return nil, fmt.Errorf("validating ninjaone configuration: %w", err)
	}
	if logger == nil {
		logger = slog.New(slog.DiscardHandler)
	}
	logger = logger.With("connector", "ninjaone", "integration", name)
	if opts.Logger == nil {
		opts.Logger = logger
	}
	hc, err := httpclient.New(cfg.Config, opts)
	if err != nil {
		return nil, fmt.Errorf("building the HTTP client: %w", err)
	}
	return &Source{
		logger:   logger,
		base:     cfg.baseURL(),
		http:     hc,
		pageSize: cfg.PageSize,
		tokens:   &tokenCache{clientID: cfg.ClientID, secret: cfg.ClientSecret, tokenURL: cfg.tokenURL(), scope: cfg.Scope, http: hc},
	}, nil
}
