package google

import (
	"errors"
	"fmt"
	"log/slog"
	"net/mail"
	"net/url"
	"os"
	"strings"

	"github.com/integrator-oss/integrator/internal/connector"
	"github.com/integrator-oss/integrator/internal/httpclient"
	"github.com/integrator-oss/integrator/internal/secret"
)

// Defaults of Config.
const (
	// DefaultCustomer is the alias of the customer the impersonated
	// administrator belongs to.
	DefaultCustomer = "my_customer"
	// DefaultTokenURL is Google's OAuth 2.0 token endpoint, used when the
	// key file has no token_uri.
	DefaultTokenURL = "https://oauth2.googleapis.com/token"
	// DefaultAPIURL is the root of the Admin SDK (the Directory API paths
	// are relative to it).
	DefaultAPIURL = "https://admin.googleapis.com/"
)

// Config is the "config" block of a google integration.
//
//	credentials_file: /etc/integrator/google-sa.json
//	subject: sync-admin@example.com
//	customer: my_customer
type Config struct {
	// CredentialsFile is the path of the service account's JSON key, as
	// downloaded from the Cloud console. Set it or Credentials, not both.
	CredentialsFile string `yaml:"credentials_file,omitempty" json:"credentials_file,omitempty"`
	// Credentials is the JSON key itself, as a secret: {file: PATH},
	// {env: NAME} or the literal JSON.
	Credentials secret.String `yaml:"credentials,omitempty" json:"credentials,omitzero"`
	// Subject is the administrator the service account impersonates
	// (domain-wide delegation). Required. It needs read access to users
	// and groups in the Admin console.
	Subject string `yaml:"subject" json:"subject"`
	// Customer is the customer ID whose directory is listed. Defaults to
	// "my_customer" (the subject's own customer) unless Domain is set.
	Customer string `yaml:"customer,omitempty" json:"customer,omitempty"`
	// Domain lists only the users and groups of one domain of the customer
	// instead of the whole customer. Set it or Customer, not both.
	Domain string `yaml:"domain,omitempty" json:"domain,omitempty"`
	// TokenURL replaces the token endpoint. Defaults to the key's
	// token_uri, else https://oauth2.googleapis.com/token.
	TokenURL string `yaml:"token_url,omitempty" json:"token_url,omitempty"`
	// APIURL replaces the Admin SDK root. Defaults to
	// https://admin.googleapis.com/.
	APIURL string `yaml:"api_url,omitempty" json:"api_url,omitempty"`

	// Config is the HTTP client block: timeout, ca_file,
	// insecure_skip_verify, max_retries, requests_per_second.
	httpclient.Config `yaml:",inline"`
}

// WithDefaults returns a copy with every unset field at its default. It is
// the only place the defaults live (the token URL's default comes from the
// key, see tokenURL).
func (c Config) WithDefaults() Config {
	if c.Customer == "" && c.Domain == "" {
		c.Customer = DefaultCustomer
	}
	if c.APIURL == "" {
		c.APIURL = DefaultAPIURL
	}
	c.Config = c.Config.WithDefaults()
	return c
}

// tokenURL is the token endpoint: the configured one, the key's, or
// Google's.
func (c Config) tokenURL(key *serviceAccountKey) string {
	switch {
	case c.TokenURL != "":
		return c.TokenURL
	case key != nil && key.TokenURI != "":
		return key.TokenURI
	}
	return DefaultTokenURL
}

// keyBytes returns the key's JSON from the file or the secret, with the
// field it came from.
func (c Config) keyBytes() ([]byte, string, error) {
	if c.CredentialsFile != "" {
		b, err := os.ReadFile(c.CredentialsFile)
		if err != nil {
			var pe *os.PathError
			if errors.As(err, &pe) {
				err = pe.Err
			}
			return nil, "credentials_file", fmt.Errorf("reading %s: %w", c.CredentialsFile, err)
		}
		return b, "credentials_file", nil
	}
	return []byte(c.Credentials.Reveal()), "credentials", nil
}

// Validate reports every problem at once, each as a *connector.FieldError
// naming its key. It reads and parses the key, so a wrong path or a key of
// the wrong kind is found before the first run; no message ever carries
// key material.
func (c Config) Validate() error {
	var errs []error
	add := func(field, format string, args ...any) {
		errs = append(errs, &connector.FieldError{Field: field, Message: fmt.Sprintf(format, args...)})
	}
	switch {
	case c.CredentialsFile != "" && !c.Credentials.IsZero():
		add("credentials", "set either credentials_file or credentials, not both")
	case c.CredentialsFile == "" && c.Credentials.IsZero():
		add("credentials_file", "required: the service account's JSON key (or give it inline as credentials)")
	default:
		if _, err := c.loadKey(); err != nil {
			var fe *connector.FieldError
			if errors.As(err, &fe) {
				errs = append(errs, fe)
			} else {
				add("credentials_file", "%v", err)
			}
		}
	}
	switch s := strings.TrimSpace(c.Subject); {
	case s == "":
		add("subject", "required: the email of an administrator for the service account to impersonate")
	default:
		if a, err := mail.ParseAddress(s); err != nil || a.Address != s {
			add("subject", "must be an email address, not %q", s)
		}
	}
	if c.Customer != "" && c.Domain != "" {
		add("domain", "set either customer or domain, not both")
	}
	if c.Domain != "" && (strings.ContainsAny(c.Domain, "@/ ") || !strings.Contains(c.Domain, ".")) {
		add("domain", "must be a domain name such as example.com, not %q", c.Domain)
	}
	for _, f := range []struct{ name, value string }{
		{"token_url", c.TokenURL},
		{"api_url", c.APIURL},
	} {
		if f.value == "" {
			continue
		}
		if u, err := url.Parse(f.value); err != nil || (u.Scheme != "https" && u.Scheme != "http") || u.Host == "" {
			add(f.name, "must be an absolute http(s) URL")
		}
	}
	if err := c.Config.Validate(); err != nil {
		errs = append(errs, err)
	}
	return errors.Join(errs...)
}

// Open builds the source without network I/O: it validates the
// configuration, loads the key and builds the HTTP and API clients.
func (c *Config) Open(name string, logger *slog.Logger) (connector.Source, error) {
	return open(c.WithDefaults(), name, logger, httpclient.Options{})
}
