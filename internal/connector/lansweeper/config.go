package lansweeper

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
	// DefaultAPIURL is the Data API's GraphQL endpoint.
	DefaultAPIURL = "https://api.lansweeper.com/api/integrations/graphql"
	// DefaultPageSize keeps a page with software inventory to a few
	// megabytes; the API allows up to MaxPageSize.
	DefaultPageSize = 100
	// MaxPageSize is the largest assetPagination.limit.
	MaxPageSize = 500
	// DefaultRequestsPerSecond keeps a run at 144 requests a minute, under
	// the Data API's 150.
	DefaultRequestsPerSecond = 2.4
)

// Inventory parts an integration may ask for on top of the basic fields.
const (
	InventoryHardware     = "hardware"
	InventorySoftware     = "software"
	InventoryCustomFields = "custom_fields"
)

var inventoryParts = []string{InventoryHardware, InventorySoftware, InventoryCustomFields}

// DefaultRetiredStates are the asset states reported as disabled.
var DefaultRetiredStates = []string{"Non-active", "Broken", "Sold", "Stolen", "Old"}

// Config is the "config" block of a lansweeper integration.
//
//	token: {env: LANSWEEPER_TOKEN}
//	site_ids: [0b5fd7f3-7e3c-4b38-9e47-2c3a7e6f1d10]
type Config struct {
	// Token is a personal access token (Lansweeper: Settings → Developer
	// tools → Personal access tokens) of a user who may read the sites.
	// Required.
	Token secret.String `yaml:"token" json:"token,omitzero"`
	// SiteIDs are the sites to import. Defaults to every site the token
	// may read (authorizedSites).
	SiteIDs []string `yaml:"site_ids,omitempty" json:"site_ids,omitempty"`
	// APIURL replaces the GraphQL endpoint. Defaults to
	// https://api.lansweeper.com/api/integrations/graphql.
	APIURL string `yaml:"api_url,omitempty" json:"api_url,omitempty"`
	// PageSize is how many assets one request asks for, 1 to 500.
	// Defaults to 100.
	PageSize int `yaml:"page_size,omitempty" json:"page_size,omitempty"`
	// Inventory lists what is read beyond the basic fields: hardware
	// (processors, memory, volumes), software, custom_fields. Defaults to
	// all three.
	Inventory []string `yaml:"inventory,omitempty" json:"inventory,omitempty"`
	// RetiredStates are the asset states (assetCustom.stateName) reported
	// as disabled, compared without regard to case. Defaults to
	// Non-active, Broken, Sold, Stolen and Old.
	RetiredStates []string `yaml:"retired_states,omitempty" json:"retired_states,omitempty"`

	// Config is the HTTP client block: timeout, ca_file,
	// insecure_skip_verify, max_retries, requests_per_second (defaults
	// to 2.4 here: the integration's request budget).
	httpclient.Config `yaml:",inline"`
}

// WithDefaults returns a copy with every unset field at its default. It is
// the only place the defaults live.
func (c Config) WithDefaults() Config {
	if c.APIURL == "" {
		c.APIURL = DefaultAPIURL
	}
	if c.PageSize == 0 {
		c.PageSize = DefaultPageSize
	}
	if c.Inventory == nil {
		c.Inventory = slices.Clone(inventoryParts)
	}
	if c.RetiredStates == nil {
		c.RetiredStates = slices.Clone(DefaultRetiredStates)
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
	if c.Token.IsZero() || strings.TrimSpace(c.Token.Reveal()) == "" {
		add("token", "required: a Lansweeper personal access token")
	}
	seen := map[string]bool{}
	for _, id := range c.SiteIDs {
		switch {
		case strings.TrimSpace(id) == "":
			add("site_ids", "a site ID is empty")
		case seen[id]:
			add("site_ids", "site %s is listed twice", id)
		}
		seen[id] = true
	}
	if c.APIURL != "" {
		if u, err := url.Parse(c.APIURL); err != nil || (u.Scheme != "https" && u.Scheme != "http") || u.Host == "" {
			add("api_url", "must be an absolute http(s) URL")
		}
	}
	if c.PageSize < 1 || c.PageSize > MaxPageSize {
		add("page_size", "must be between 1 and %d, not %d", MaxPageSize, c.PageSize)
	}
	for _, p := range c.Inventory {
		if !slices.Contains(inventoryParts, p) {
			add("inventory", "unknown part %q (one of %s)", p, strings.Join(inventoryParts, ", "))
		}
	}
	for _, s := range c.RetiredStates {
		if strings.TrimSpace(s) == "" {
			add("retired_states", "a state name is empty")
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
		return nil, fmt.Errorf("validating lansweeper configuration: %w", err)
	}
	if logger == nil {
		logger = slog.New(slog.DiscardHandler)
	}
	logger = logger.With("connector", "lansweeper", "integration", name)
	if opts.Logger == nil {
		opts.Logger = logger
	}
	hc, err := httpclient.New(cfg.Config, opts)
	if err != nil {
		return nil, fmt.Errorf("building the HTTP client: %w", err)
	}
	retired := make(map[string]bool, len(cfg.RetiredStates))
	for _, s := range cfg.RetiredStates {
		retired[strings.ToLower(strings.TrimSpace(s))] = true
	}
	return &Source{
		logger:   logger,
		apiURL:   cfg.APIURL,
		token:    cfg.Token,
		http:     hc,
		siteIDs:  slices.Clone(cfg.SiteIDs),
		pageSize: cfg.PageSize,
		fields:   fieldPaths(cfg.Inventory),
		retired:  retired,
	}, nil
}
