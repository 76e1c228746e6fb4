package snipeit

import (
	"errors"
	"fmt"
	"log/slog"
	"net/url"
	"slices"
	"sort"
	"strings"

	"github.com/integrator-oss/integrator/internal/connector"
	"github.com/integrator-oss/integrator/internal/httpclient"
	"github.com/integrator-oss/integrator/internal/record"
	"github.com/integrator-oss/integrator/internal/secret"
)

// Defaults of Config.
const (
	// DefaultPageSize is Snipe-IT's default MAX_RESULTS, the largest page
	// an instance serves unless its administrator changed it.
	DefaultPageSize = 500
	// DefaultRequestsPerSecond keeps a run at 114 requests a minute, under
	// Snipe-IT's default throttle of 120 a minute per user
	// (API_THROTTLE_PER_MINUTE).
	DefaultRequestsPerSecond = 1.9
)

// Status types a status label can have (status_label.status_type).
var statusTypes = []string{"deployable", "pending", "undeployable", "archived"}

// DefaultRetiredStatusTypes are the status types reported as disabled.
var DefaultRetiredStatusTypes = []string{"archived", "undeployable"}

// fieldMapTargets are the record attributes a custom field can feed.
var fieldMapTargets = []string{
	record.AttrHostname, record.AttrOS, record.AttrOSVersion, record.AttrMACs, record.AttrIPs,
	record.AttrCPU, record.AttrMemoryMB, record.AttrLastSeen, record.AttrEncrypted,
	record.AttrLastLoggedOnUser,
}

// Config is the "config" block of a snipeit integration.
//
//	url: https://assets.example.com
//	api_token: {env: SNIPEIT_API_TOKEN}
type Config struct {
	// URL is the root of the Snipe-IT instance (the API is URL/api/v1/).
	// Required.
	URL string `yaml:"url" json:"url"`
	// APIToken is a personal API token (Account → Manage API keys) of a
	// user who may view assets and locations. Required.
	APIToken secret.String `yaml:"api_token" json:"api_token,omitzero"`
	// PageSize is how many assets one request asks for. Defaults to 500;
	// an instance with a lower MAX_RESULTS serves smaller pages, which
	// the connector follows.
	PageSize int `yaml:"page_size,omitempty" json:"page_size,omitempty"`
	// RetiredStatusTypes are the status types (deployable, pending,
	// undeployable, archived) whose assets are reported as disabled, with
	// the status label's name as the reason. Defaults to [archived,
	// undeployable]. Soft-deleted assets are always reported as disabled.
	RetiredStatusTypes []string `yaml:"retired_status_types,omitempty" json:"retired_status_types,omitempty"`
	// FieldMap maps asset attributes (hostname, os, os_version,
	// mac_addresses, ip_addresses, cpu, memory_mb, last_seen, encrypted,
	// last_logged_on_user) to the label of the custom field that holds
	// them. Without an entry, mac_addresses and ip_addresses come from
	// the fields whose format is MAC or IP. Every custom field is also
	// kept under "custom.<label>".
	FieldMap map[string]string `yaml:"field_map,omitempty" json:"field_map,omitempty"`

	// Config is the HTTP client block: timeout, ca_file,
	// insecure_skip_verify, max_retries, requests_per_second (defaults
	// to 1.9 here: the integration's request budget).
	httpclient.Config `yaml:",inline"`
}

// WithDefaults returns a copy with every unset field at its default. It is
// the only place the defaults live.
func (c Config) WithDefaults() Config {
	if c.PageSize == 0 {
		c.PageSize = DefaultPageSize
	}
	if c.RetiredStatusTypes == nil {
		c.RetiredStatusTypes = slices.Clone(DefaultRetiredStatusTypes)
	}
	if c.RequestsPerSecond == 0 {
		c.RequestsPerSecond = DefaultRequestsPerSecond
	}
	c.Config = c.Config.WithDefaults()
	return c
}

// Validate reports every problem at once, each as a *connector.FieldError
// naming its key. No message carries the token.
func (c Config) Validate() error {
	var errs []error
	add := func(field, format string, args ...any) {
		errs = append(errs, &connector.FieldError{Field: field, Message: fmt.Sprintf(format, args...)})
	}
	switch {
	case strings.TrimSpace(c.URL) == "":
		add("url", "required: the address of the Snipe-IT instance, such as https://assets.example.com")
	default:
		if u, err := url.Parse(c.URL); err != nil || (u.Scheme != "https" && u.Scheme != "http") || u.Host == "" {
			add("url", "must be an absolute http(s) URL such as https://assets.example.com")
		} else if u.User != nil || u.RawQuery != "" {
			add("url", "must not carry credentials or a query")
		}
	}
	if c.APIToken.IsZero() || strings.TrimSpace(c.APIToken.Reveal()) == "" {
		add("api_token", "required: a personal API token of a user who may view assets and locations")
	}
	if c.PageSize < 1 || c.PageSize > 10000 {
		add("page_size", "must be between 1 and 10000, not %d", c.PageSize)
	}
	for _, s := range c.RetiredStatusTypes {
		if !slices.Contains(statusTypes, s) {
			add("retired_status_types", "unknown status type %q (one of %s)", s, strings.Join(statusTypes, ", "))
		}
	}
	keys := make([]string, 0, len(c.FieldMap))
	for k := range c.FieldMap {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	for _, k := range keys {
		switch {
		case !slices.Contains(fieldMapTargets, k):
			add("field_map", "%q is not an attribute a custom field can feed (one of %s)", k, strings.Join(fieldMapTargets, ", "))
		case strings.TrimSpace(c.FieldMap[k]) == "":
			add("field_map", "%s: the custom field label is empty", k)
		}
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
		return nil, fmt.Errorf("validating snipeit configuration: %w", err)
	}
	if logger == nil {
		logger = slog.New(slog.DiscardHandler)
	}
	logger = logger.With("connector", "snipeit", "integration", name)
	if opts.Logger == nil {
		opts.Logger = logger
	}
	hc, err := httpclient.New(cfg.Config, opts)
	if err != nil {
		return nil, fmt.Errorf("building the HTTP client: %w", err)
	}
	base, _ := url.Parse(strings.TrimRight(cfg.URL, "/") + "/api/v1/")
	return &Source{
		logger:   logger,
		base:     base,
		token:    cfg.APIToken,
		http:     hc,
		pageSize: cfg.PageSize,
		retired:  cfg.RetiredStatusTypes,
		fieldMap: cfg.FieldMap,
	}, nil
}
