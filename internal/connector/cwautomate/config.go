package cwautomate

import (
	"errors"
	"fmt"
	"log/slog"
	"net/url"
	"strings"
	"time"

	"github.com/integrator-oss/integrator/internal/connector"
	"github.com/integrator-oss/integrator/internal/httpclient"
	"github.com/integrator-oss/integrator/internal/secret"
)

// Defaults of Config.
const (
	// DefaultRequestsPerSecond is a courtesy budget: Automate publishes no
	// API rate limit, and the server (often the MSP's own) also serves the
	// agents and technicians.
	DefaultRequestsPerSecond = 5
	// DefaultPageSize is computers, clients or locations per page.
	DefaultPageSize = 1000
	// MaxPageSize bounds page_size.
	MaxPageSize = 10000
	// apiPath is the REST API's path under the server URL.
	apiPath = "/cwa/api/v1"
)

// Config is the "config" block of a cwautomate integration.
//
//	server_url: https://rmm.example.com
//	client_id: 5a1c0f6e-0d6b-4a8e-9b3e-0c3b7d1e2f40
//	username: integrator
//	password: {env: CWA_PASSWORD}
type Config struct {
	// ServerURL is the Automate server (https://NAME.hostedrmm.com for
	// hosted servers). The API is ServerURL/cwa/api/v1. Required.
	ServerURL string `yaml:"server_url" json:"server_url"`
	// ClientID is the integration's client ID from the ConnectWise
	// Developer Network, sent in the ClientId header that Automate
	// requires since 2020.11. Required.
	ClientID string `yaml:"client_id" json:"client_id"`
	// Username and Password are an Automate user without two-factor
	// authentication (an "integrator" user). Required.
	Username string        `yaml:"username" json:"username"`
	Password secret.String `yaml:"password" json:"password"`
	// TimeZone is the server's time zone (IANA name): Automate writes
	// times without a zone, in the server's local time. Defaults to UTC.
	TimeZone string `yaml:"time_zone,omitempty" json:"time_zone,omitempty"`
	// Condition narrows the computers listed, in Automate's condition
	// language ("Type = 'Server'", "Client.Id = 12"). Defaults to none:
	// every computer.
	Condition string `yaml:"condition,omitempty" json:"condition,omitempty"`
	// PageSize is the number of records per page. Defaults to 1000.
	PageSize int `yaml:"page_size,omitempty" json:"page_size,omitempty"`

	// Config is the HTTP client block: timeout, ca_file,
	// insecure_skip_verify, max_retries, requests_per_second (defaults to
	// 5 here).
	httpclient.Config `yaml:",inline"`
}

// WithDefaults returns a copy with every unset field at its default. It is
// the only place the defaults live.
func (c Config) WithDefaults() Config {
	if c.TimeZone == "" {
		c.TimeZone = "UTC"
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

// apiURL is the REST API root: the server URL with /cwa/api/v1.
func (c Config) apiURL() string {
	u := strings.TrimRight(c.ServerURL, "/")
	if !strings.HasSuffix(strings.ToLower(u), apiPath) {
		u += apiPath
	}
	return u
}

// Validate reports every problem at once, each as a *connector.FieldError
// naming its key.
func (c Config) Validate() error {
	var errs []error
	add := func(field, format string, args ...any) {
		errs = append(errs, &connector.FieldError{Field: field, Message: fmt.Sprintf(format, args...)})
	}
	if c.ServerURL == "" {
		add("server_url", "required (https://NAME.hostedrmm.com or your server's address)")
	} else if u, err := url.Parse(c.ServerURL); err != nil || (u.Scheme != "https" && u.Scheme != "http") || u.Host == "" {
		add("server_url", "must be an absolute http(s) URL")
	}
	if strings.TrimSpace(c.ClientID) == "" {
		add("client_id", "required: the integration's ConnectWise Developer Network client ID")
	}
	if strings.TrimSpace(c.Username) == "" {
		add("username", "required")
	}
	if c.Password.IsZero() || c.Password.Reveal() == "" {
		add("password", "required")
	}
	if _, err := time.LoadLocation(c.TimeZone); err != nil {
		add("time_zone", "unknown time zone %q (an IANA name such as America/New_York)", c.TimeZone)
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

func open(cfg Config, name string, logger *slog.Logger, opts httpclient.Options) (*Source, error) {
	if err := cfg.Validate(); err != nil {
		return nil, fmt.Errorf("validating cwautomate configuration: %w", err)
	}
	if logger == nil {
		logger = slog.New(slog.DiscardHandler)
	}
	logger = logger.With("connector", "cwautomate", "integration", name)
	if opts.Logger == nil {
		opts.Logger = logger
	}
	hc, err := httpclient.New(cfg.Config, opts)
	if err != nil {
		return nil, fmt.Errorf("building the HTTP client: %w", err)
	}
	loc, _ := time.LoadLocation(cfg.TimeZone)
	api := cfg.apiURL()
	return &Source{
		logger:    logger,
		api:       api,
		clientID:  cfg.ClientID,
		http:      hc,
		tokens:    &tokenCache{url: api + "/apitoken", clientID: cfg.ClientID, username: cfg.Username, password: cfg.Password, http: hc},
		loc:       loc,
		condition: strings.TrimSpace(cfg.Condition),
		pageSize:  cfg.PageSize,
	}, nil
}
