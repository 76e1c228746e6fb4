package intune

import (
	"errors"
	"fmt"
	"log/slog"

	"github.com/integrator-oss/integrator/internal/connector"
	"github.com/integrator-oss/integrator/internal/connector/msgraph"
	"github.com/integrator-oss/integrator/internal/httpclient"
)

// Defaults of Config.
const (
	// DefaultPageSize is the $top of each managedDevices request: the
	// largest page Intune serves.
	DefaultPageSize = 1000
	// MaxPageSize is the largest $top Intune accepts.
	MaxPageSize = 1000
	// DefaultRequestsPerSecond keeps a run under Intune's published limit
	// for device management reads, 2,000 requests per 20 seconds per app
	// and tenant (100 a second).
	DefaultRequestsPerSecond = 90
)

// Config is the "config" block of an intune integration.
//
//	tenant_id: 00000000-0000-0000-0000-000000000000
//	client_id: 11111111-1111-1111-1111-111111111111
//	client_secret: {env: INTUNE_CLIENT_SECRET}
type Config struct {
	// Credentials are tenant_id, client_id, client_secret or
	// certificate_file and private_key_file, authority_url, token_url and
	// graph_url, exactly as for the entra connector.
	msgraph.Credentials `yaml:",inline"`
	// PageSize is the number of devices asked for per request ($top), 1 to
	// 1000. Defaults to 1000.
	PageSize int `yaml:"page_size,omitempty" json:"page_size,omitempty"`

	// Config is the HTTP client block: timeout, ca_file,
	// insecure_skip_verify, max_retries, requests_per_second (defaults to
	// 90, under Intune's 100 a second).
	httpclient.Config `yaml:",inline"`
}

// WithDefaults returns a copy with every unset field at its default. It is
// the only place the defaults live.
func (c Config) WithDefaults() Config {
	c.Credentials = c.Credentials.WithDefaults()
	if c.PageSize == 0 {
		c.PageSize = DefaultPageSize
	}
	if c.RequestsPerSecond == 0 {
		c.RequestsPerSecond = DefaultRequestsPerSecond
	}
	c.Config = c.Config.WithDefaults()
	return c
}

// Validate reports every problem at once, each as a *connector.FieldError
// naming its key.
func (c Config) Validate() error {
	errs := c.Credentials.Validate()
	if c.PageSize < 0 || c.PageSize > MaxPageSize {
		errs = append(errs, &connector.FieldError{Field: "page_size", Message: fmt.Sprintf("must be between 1 and %d", MaxPageSize)})
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
		return nil, fmt.Errorf("validating intune configuration: %w", err)
	}
	if logger == nil {
		logger = slog.New(slog.DiscardHandler)
	}
	logger = logger.With("connector", "intune", "integration", name)
	if opts.Logger == nil {
		opts.Logger = logger
	}
	hc, err := httpclient.New(cfg.Config, opts)
	if err != nil {
		return nil, fmt.Errorf("building the HTTP client: %w", err)
	}
	client, err := msgraph.NewClient(cfg.Credentials, hc, logger)
	if err != nil {
		return nil, err
	}
	return &Source{logger: logger, client: client, pageSize: cfg.PageSize}, nil
}
