package datto

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

// Defaults of Config.
const (
	// DefaultRequestsPerSecond keeps a run at 480 requests a minute, under
	// the 90 % mark (540) of Datto's 600 reads per rolling 60 seconds past
	// which every answer is delayed, with room for other API users of the
	// account.
	DefaultRequestsPerSecond = 8
	// DefaultAuditConcurrency is how many device audits are fetched at once.
	DefaultAuditConcurrency = 4
	// MaxPageSize is the largest page Datto serves.
	MaxPageSize = 250
)

// Platforms are the Datto RMM platforms (regions) and their API hosts.
var Platforms = []string{"pinotage", "merlot", "concord", "vidal", "zinfandel", "syrah"}

// Config is the "config" block of a datto integration.
//
//	platform: merlot
//	api_key: {env: DATTO_API_KEY}
//	api_secret: {env: DATTO_API_SECRET}
type Config struct {
	// Platform is the account's Datto RMM platform: pinotage, merlot,
	// concord, vidal, zinfandel or syrah (Setup > Global Settings shows
	// it). The API URL is https://PLATFORM-api.centrastage.net. Set it or
	// APIURL.
	Platform string `yaml:"platform,omitempty" json:"platform,omitempty"`
	// APIURL replaces the URL built from Platform (a new platform, a
	// proxy). It is the origin, without /api.
	APIURL string `yaml:"api_url,omitempty" json:"api_url,omitempty"`
	// APIKey and APISecret are an API user's keys (Setup > Users > a user
	// > Generate API Keys). Required.
	APIKey    secret.String `yaml:"api_key" json:"api_key"`
	APISecret secret.String `yaml:"api_secret" json:"api_secret"`
	// AuditConcurrency is how many device audits are fetched at once.
	// Defaults to 4; at most 16.
	AuditConcurrency int `yaml:"audit_concurrency,omitempty" json:"audit_concurrency,omitempty"`
	// PageSize is the number of sites or devices per page (max). Defaults
	// to 250, the most Datto serves.
	PageSize int `yaml:"page_size,omitempty" json:"page_size,omitempty"`

	// Config is the HTTP client block: timeout, ca_file,
	// insecure_skip_verify, max_retries, requests_per_second (defaults to
	// 8 here: the integration's request budget).
	httpclient.Config `yaml:",inline"`
}

// WithDefaults returns a copy with every unset field at its default. It is
// the only place the defaults live.
func (c Config) WithDefaults() Config {
	if c.AuditConcurrency == 0 {
		c.AuditConcurrency = DefaultAuditConcurrency
	}
	if c.PageSize == 0 {
		c.PageSize = MaxPageSize
	}
	if c.RequestsPerSecond == 0 {
		c.RequestsPerSecond = DefaultRequestsPerSecond
	}
	c.Config = c.Config.WithDefaults()
	return c
}

// baseURL is the API origin the configuration points at.
func (c Config) baseURL() string {
	if c.APIURL != "" {
		return strings.TrimRight(c.APIURL, "/")
	}
	return "https://" + strings.ToLower(c.Platform) + "-api.centrastage.net"
}

// Validate reports every problem at once, each as a *connector.FieldError
// naming its key.
func (c Config) Validate() error {
	var errs []error
	add := func(field, format string, args ...any) {
		errs = append(errs, &connector.FieldError{Field: field, Message: fmt.Sprintf(format, args...)})
	}
	switch {
	case c.Platform == "" && c.APIURL == "":
		add("platform", "required unless api_url is set (one of %s)", strings.Join(Platforms, ", "))
	case c.Platform != "" && c.APIURL != "":
		add("platform", "set either platform or api_url, not both")
	case c.Platform != "" && !slices.Contains(Platforms, strings.ToLower(c.Platform)):
		add("platform", "unknown platform %q (one of %s; use api_url for another)", c.Platform, strings.Join(Platforms, ", "))
	}
	if c.APIURL != "" {
		if u, err := url.Parse(c.APIURL); err != nil || (u.Scheme != "https" && u.Scheme != "http") || u.Host == "" {
			add("api_url", "must be an absolute http(s) URL")
		}
	}
	if c.APIKey.IsZero() || c.APIKey.Reveal() == "" {
		add("api_key", "required")
	}
	if c.APISecret.IsZero() || c.APISecret.Reveal() == "" {
		add("api_secret", "required")
	}
	if c.AuditConcurrency < 1 || c.AuditConcurrency > 16 {
		add("audit_concurrency", "must be between 1 and 16")
	}
	if c.PageSize < 1 || c.PageSize > MaxPageSize {
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
		return nil, fmt.Errorf("validating datto configuration: %w", err)
	}
	if logger == nil {
		logger = slog.New(slog.DiscardHandler)
	}
	logger = logger.With("connector", "datto", "integration", name)
	if opts.Logger == nil {
		opts.Logger = logger
	}
	hc, err := httpclient.New(cfg.Config, opts)
	if err != nil {
		return nil, fmt.Errorf("building the HTTP client: %w", err)
	}
	base := cfg.baseURL()
	return &Source{
		logger:      logger,
		base:        base,
		http:        hc,
		tokens:      &tokenCache{url: base + "/auth/oauth/token", key: cfg.APIKey, secret: cfg.APISecret, http: hc},
		pageSize:    cfg.PageSize,
		concurrency: cfg.AuditConcurrency,
	}, nil
}
