package entra

import (
	"errors"
	"fmt"
	"log/slog"

	"github.com/integrator-oss/integrator/internal/connector"
	"github.com/integrator-oss/integrator/internal/connector/msgraph"
	"github.com/integrator-oss/integrator/internal/httpclient"
	"github.com/integrator-oss/integrator/internal/secret"
)

// Defaults of Config.
const (
	// DefaultAuthorityURL is the Microsoft identity platform of the global
	// cloud.
	DefaultAuthorityURL = msgraph.DefaultAuthorityURL
	// DefaultGraphURL is Microsoft Graph v1.0 in the global cloud.
	DefaultGraphURL = msgraph.DefaultGraphURL
)

// Config is the "config" block of an entra integration.
//
//	tenant_id: 00000000-0000-0000-0000-000000000000
//	client_id: 11111111-1111-1111-1111-111111111111
//	client_secret: {env: ENTRA_CLIENT_SECRET}
type Config struct {
	// TenantID is the directory (tenant) ID, a GUID or a verified domain.
	// Required.
	TenantID string `yaml:"tenant_id" json:"tenant_id"`
	// ClientID is the application (client) ID of the app registration.
	// Required.
	ClientID string `yaml:"client_id" json:"client_id"`
	// ClientSecret is a client secret of the app registration. Set it, or
	// CertificateFile and PrivateKeyFile, not both.
	ClientSecret secret.String `yaml:"client_secret,omitempty" json:"client_secret,omitzero"`
	// CertificateFile is the PEM certificate uploaded to the app
	// registration, for certificate credentials.
	CertificateFile string `yaml:"certificate_file,omitempty" json:"certificate_file,omitempty"`
	// PrivateKeyFile is the PEM RSA private key of CertificateFile (PKCS #1
	// or PKCS #8, unencrypted). It may be the same file as CertificateFile.
	PrivateKeyFile string `yaml:"private_key_file,omitempty" json:"private_key_file,omitempty"`
	// AuthorityURL is the identity platform's base URL. Defaults to
	// https://login.microsoftonline.com (see the README for national
	// clouds). The token URL is AuthorityURL/TenantID/oauth2/v2.0/token.
	AuthorityURL string `yaml:"authority_url,omitempty" json:"authority_url,omitempty"`
	// TokenURL replaces the token URL built from AuthorityURL and TenantID.
	TokenURL string `yaml:"token_url,omitempty" json:"token_url,omitempty"`
	// GraphURL is Microsoft Graph's versioned base URL. Defaults to
	// https://graph.microsoft.com/v1.0. The token scope is its origin
	// followed by "/.default".
	GraphURL string `yaml:"graph_url,omitempty" json:"graph_url,omitempty"`

	// Config is the HTTP client block: timeout, ca_file,
	// insecure_skip_verify, max_retries, requests_per_second.
	httpclient.Config `yaml:",inline"`
}

// WithDefaults returns a copy with every unset field at its default. It is
// the only place the defaults live.
func (c Config) WithDefaults() Config {
	if c.AuthorityURL == "" {
		c.AuthorityURL = DefaultAuthorityURL
	}
	if c.GraphURL == "" {
		c.GraphURL = DefaultGraphURL
	}
	c.Config = c.Config.WithDefaults()
	return c
}

// credentials is the credentials block as the msgraph package takes it.
func (c Config) credentials() msgraph.Credentials {
	return msgraph.Credentials{
		TenantID: c.TenantID, ClientID: c.ClientID, ClientSecret: c.ClientSecret,
		CertificateFile: c.CertificateFile, PrivateKeyFile: c.PrivateKeyFile,
		AuthorityURL: c.AuthorityURL, TokenURL: c.TokenURL, GraphURL: c.GraphURL,
	}
}

// tokenURL is the OAuth token endpoint the configuration points at.
func (c Config) tokenURL() string { return c.credentials().TokenEndpoint() }

// scope is the client credentials scope of the Graph resource:
// "https://graph.microsoft.com/.default" for the global cloud.
func (c Config) scope() string { return c.credentials().Scope() }

// Validate reports every problem at once, each as a *connector.FieldError
// naming its key. It reads the certificate files, if any, to catch a wrong
// path or a key that does not match its certificate before the first run.
func (c Config) Validate() error {
	errs := c.credentials().Validate()
	if err := c.Config.Validate(); err != nil {
		errs = append(errs, err)
	}
	return errors.Join(errs...)
}

// Open builds the source without network I/O: it validates the
// configuration, loads the certificate if any and builds the HTTP client.
func (c *Config) Open(name string, logger *slog.Logger) (connector.Source, error) {
	return open(c.WithDefaults(), name, logger, httpclient.Options{})
}

// open builds a source; tests pass client options (a fake sleep).
func open(cfg Config, name string, logger *slog.Logger, opts httpclient.Options) (*Source, error) {
	if err := cfg.Validate(); err != nil {
		return nil, fmt.Errorf("validating entra configuration: %w", err)
	}
	if logger == nil {
		logger = slog.New(slog.DiscardHandler)
	}
	logger = logger.With("connector", "entra", "integration", name)
	if opts.Logger == nil {
		opts.Logger = logger
	}
	hc, err := httpclient.New(cfg.Config, opts)
	if err != nil {
		return nil, fmt.Errorf("building the HTTP client: %w", err)
	}
	client, err := msgraph.NewClient(cfg.credentials(), hc, logger)
	if err != nil {
		return nil, err
	}
	return &Source{
		logger: logger,
		graph:  client.Base(),
		http:   hc,
		client: client,
	}, nil
}
