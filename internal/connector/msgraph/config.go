package msgraph

import (
	"fmt"
	"net/url"
	"strings"

	"github.com/integrator-oss/integrator/internal/connector"
	"github.com/integrator-oss/integrator/internal/secret"
)

// Defaults of Credentials.
const (
	// DefaultAuthorityURL is the Microsoft identity platform of the global
	// cloud.
	DefaultAuthorityURL = "https://login.microsoftonline.com"
	// DefaultGraphURL is Microsoft Graph v1.0 in the global cloud.
	DefaultGraphURL = "https://graph.microsoft.com/v1.0"
)

// Credentials are the keys of a Graph connector's configuration that say
// which app registration signs in to which tenant. Embed it with
// `yaml:",inline"` so its keys sit next to the connector's own.
type Credentials struct {
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
	// https://login.microsoftonline.com. The token URL is
	// AuthorityURL/TenantID/oauth2/v2.0/token.
	AuthorityURL string `yaml:"authority_url,omitempty" json:"authority_url,omitempty"`
	// TokenURL replaces the token URL built from AuthorityURL and TenantID.
	TokenURL string `yaml:"token_url,omitempty" json:"token_url,omitempty"`
	// GraphURL is Microsoft Graph's versioned base URL. Defaults to
	// https://graph.microsoft.com/v1.0. The token scope is its origin
	// followed by "/.default".
	GraphURL string `yaml:"graph_url,omitempty" json:"graph_url,omitempty"`
}

// WithDefaults returns a copy with the authority and Graph URLs defaulted.
func (c Credentials) WithDefaults() Credentials {
	if c.AuthorityURL == "" {
		c.AuthorityURL = DefaultAuthorityURL
	}
	if c.GraphURL == "" {
		c.GraphURL = DefaultGraphURL
	}
	return c
}

// TokenEndpoint is the OAuth token endpoint the configuration points at.
func (c Credentials) TokenEndpoint() string {
	if c.TokenURL != "" {
		return c.TokenURL
	}
	return strings.TrimRight(c.AuthorityURL, "/") + "/" + url.PathEscape(c.TenantID) + "/oauth2/v2.0/token"
}

// Scope is the client credentials scope of the Graph resource:
// "https://graph.microsoft.com/.default" for the global cloud.
func (c Credentials) Scope() string {
	u, err := url.Parse(c.GraphURL)
	if err != nil || u.Host == "" {
		return "https://graph.microsoft.com/.default"
	}
	return u.Scheme + "://" + u.Host + "/.default"
}

// UsesCertificate reports whether the configuration asks for certificate
// credentials rather than a client secret.
func (c Credentials) UsesCertificate() bool {
	return c.CertificateFile != "" || c.PrivateKeyFile != ""
}

// Validate returns every problem, each a *connector.FieldError naming its
// key. It reads the certificate files, if any, to catch a wrong path or a
// key that does not match its certificate before the first run.
func (c Credentials) Validate() []error {
	var errs []error
	add := func(field, format string, args ...any) {
		errs = append(errs, &connector.FieldError{Field: field, Message: fmt.Sprintf(format, args...)})
	}
	if strings.TrimSpace(c.TenantID) == "" {
		add("tenant_id", "required")
	}
	if strings.TrimSpace(c.ClientID) == "" {
		add("client_id", "required")
	}
	switch {
	case !c.ClientSecret.IsZero() && c.UsesCertificate():
		add("client_secret", "set either client_secret or certificate_file and private_key_file, not both")
	case c.ClientSecret.IsZero() && !c.UsesCertificate():
		add("client_secret", "required unless certificate_file and private_key_file are set")
	case c.UsesCertificate():
		if c.CertificateFile == "" {
			add("certificate_file", "required with private_key_file")
		}
		if c.PrivateKeyFile == "" {
			add("private_key_file", "required with certificate_file")
		}
		if c.CertificateFile != "" && c.PrivateKeyFile != "" {
			if _, err := LoadCertificate(c.CertificateFile, c.PrivateKeyFile); err != nil {
				errs = append(errs, err)
			}
		}
	}
	for _, f := range []struct{ name, value string }{
		{"authority_url", c.AuthorityURL},
		{"token_url", c.TokenURL},
		{"graph_url", c.GraphURL},
	} {
		if f.value == "" {
			continue
		}
		if u, err := url.Parse(f.value); err != nil || (u.Scheme != "https" && u.Scheme != "http") || u.Host == "" {
			add(f.name, "must be an absolute http(s) URL")
		}
	}
	return errs
}
