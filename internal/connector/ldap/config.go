package ldap

import (
	"crypto/x509"
	"errors"
	"fmt"
	"log/slog"
	"net/url"
	"os"
	"strings"
	"time"

	goldap "github.com/go-ldap/ldap/v3"

	"github.com/integrator-oss/integrator/internal/connector"
	"github.com/integrator-oss/integrator/internal/secret"
)

// Dialects of Config.Dialect.
const (
	// DialectAD is Active Directory (and Samba AD): objectGUID,
	// uSNChanged deltas, tombstones, userAccountControl, ranged member.
	DialectAD = "ad"
	// DialectLDAP is a generic LDAPv3 directory (OpenLDAP, 389-DS,
	// FreeIPA): entryUUID, modifyTimestamp deltas, configurable markers.
	DialectLDAP = "ldap"
	// DialectAuto reads the rootDSE and picks one of the two.
	DialectAuto = "auto"
)

// Disabled markers of generic LDAP (Config.DisabledMarkers).
const (
	MarkerNSAccountLock        = "nsAccountLock"
	MarkerPwdAccountLockedTime = "pwdAccountLockedTime"
	MarkerShadowExpire         = "shadowExpire"
)

// Defaults of Config.
const (
	DefaultPageSize        = 500
	DefaultMemberRangeSize = 1500
	DefaultTimeout         = 60 * time.Second
	DefaultDeltaOverlap    = 5 * time.Minute
)

// Config is the "config" block of an ldap integration.
//
//	url: ldaps://dc1.corp.example:636
//	bind_dn: svc-integrator@corp.example
//	bind_password: {env: LDAP_BIND_PASSWORD}
//	base_dns: ["OU=Staff,DC=corp,DC=example"]
type Config struct {
	// URL is the directory server: ldaps://host[:636] or ldap://host[:389].
	// Required.
	URL string `yaml:"url" json:"url"`
	// StartTLS upgrades an ldap:// connection with StartTLS before the
	// bind. Defaults to false.
	StartTLS bool `yaml:"start_tls,omitempty" json:"start_tls,omitempty"`
	// InsecurePlaintext allows an ldap:// URL without StartTLS: the bind
	// password and every attribute then cross the network in clear. For
	// labs only. Defaults to false.
	InsecurePlaintext bool `yaml:"insecure_plaintext,omitempty" json:"insecure_plaintext,omitempty"`
	// CAFile is a PEM bundle of certificate authorities to trust for the
	// server's certificate, on top of the system's (an internal CA).
	CAFile string `yaml:"ca_file,omitempty" json:"ca_file,omitempty"`
	// ServerName is the name to verify the server's certificate against,
	// when it differs from the URL's host.
	ServerName string `yaml:"server_name,omitempty" json:"server_name,omitempty"`
	// InsecureSkipVerify turns off certificate verification. Lab use only.
	InsecureSkipVerify bool `yaml:"insecure_skip_verify,omitempty" json:"insecure_skip_verify,omitempty"`

	// BindDN is the service account: a DN, or for AD a UPN
	// (svc@corp.example) or DOMAIN\name. Required.
	BindDN string `yaml:"bind_dn" json:"bind_dn"`
	// BindPassword is the service account's password. Required.
	BindPassword secret.String `yaml:"bind_password" json:"bind_password,omitzero"`

	// Dialect is "ad", "ldap" or "auto" (the default: AD when the rootDSE
	// announces Active Directory capabilities).
	Dialect string `yaml:"dialect,omitempty" json:"dialect,omitempty"`
	// BaseDNs are the subtrees to read, each searched in turn. Defaults to
	// the rootDSE's defaultNamingContext (AD) or first namingContexts.
	BaseDNs []string `yaml:"base_dns,omitempty" json:"base_dns,omitempty"`
	// UserFilter is an extra LDAP filter users must match, and-ed with the
	// dialect's own (objectCategory=person)(objectClass=user) or
	// (objectClass=inetOrgPerson).
	UserFilter string `yaml:"user_filter,omitempty" json:"user_filter,omitempty"`
	// GroupFilter is an extra filter groups must match.
	GroupFilter string `yaml:"group_filter,omitempty" json:"group_filter,omitempty"`
	// ComputerFilter is an extra filter computers must match (AD).
	ComputerFilter string `yaml:"computer_filter,omitempty" json:"computer_filter,omitempty"`

	// PageSize is the size of a paged-search page (RFC 2696). Defaults to
	// 500; AD caps it at MaxPageSize (1000).
	PageSize int `yaml:"page_size,omitempty" json:"page_size,omitempty"`
	// MemberRangeSize is how many member values to ask for at a time with
	// ranged retrieval (AD). Defaults to 1500, Windows' MaxValRange.
	MemberRangeSize int `yaml:"member_range_size,omitempty" json:"member_range_size,omitempty"`
	// Timeout bounds one LDAP operation (one page). Defaults to 60s.
	Timeout time.Duration `yaml:"timeout,omitempty" json:"timeout,omitempty"`

	// UPNDomain, for generic LDAP, makes uid@UPNDomain the user's UPN.
	UPNDomain string `yaml:"upn_domain,omitempty" json:"upn_domain,omitempty"`
	// DisabledMarkers are the attributes that mark a generic LDAP account
	// disabled: nsAccountLock (TRUE), pwdAccountLockedTime (present) and
	// shadowExpire (a day in the past). Defaults to all three.
	DisabledMarkers []string `yaml:"disabled_markers,omitempty" json:"disabled_markers,omitempty"`
	// DisabledFilter is an LDAP filter; users matching it are disabled.
	DisabledFilter string `yaml:"disabled_filter,omitempty" json:"disabled_filter,omitempty"`
	// DeltaOverlap, for generic LDAP, is how far before the previous run's
	// start a modifyTimestamp delta reaches back, to absorb clock skew and
	// changes made while that run was reading. Defaults to 5m.
	DeltaOverlap time.Duration `yaml:"delta_overlap,omitempty" json:"delta_overlap,omitempty"`
}

// WithDefaults returns a copy with every unset field at its default. It is
// the only place the defaults live.
func (c Config) WithDefaults() Config {
	if c.Dialect == "" {
		c.Dialect = DialectAuto
	}
	if c.PageSize == 0 {
		c.PageSize = DefaultPageSize
	}
	if c.MemberRangeSize == 0 {
		c.MemberRangeSize = DefaultMemberRangeSize
	}
	if c.Timeout == 0 {
		c.Timeout = DefaultTimeout
	}
	if c.DisabledMarkers == nil {
		c.DisabledMarkers = []string{MarkerNSAccountLock, MarkerPwdAccountLockedTime, MarkerShadowExpire}
	}
	if c.DeltaOverlap == 0 {
		c.DeltaOverlap = DefaultDeltaOverlap
	}
	return c
}

// Validate reports every problem at once, each as a *connector.FieldError
// naming its key.
func (c Config) Validate() error {
	var errs []error
	add := func(field, format string, args ...any) {
		errs = append(errs, &connector.FieldError{Field: field, Message: fmt.Sprintf(format, args...)})
	}
	u, err := url.Parse(c.URL)
	switch {
	case strings.TrimSpace(c.URL) == "":
		add("url", "required")
	case err != nil || u.Host == "" || (u.Scheme != "ldap" && u.Scheme != "ldaps"):
		add("url", "must be ldaps://HOST[:PORT] or ldap://HOST[:PORT]")
	case u.Scheme == "ldaps" && c.StartTLS:
		add("start_tls", "is for ldap:// URLs; an ldaps:// URL is TLS already")
	case u.Scheme == "ldap" && !c.StartTLS && !c.InsecurePlaintext:
		add("url", "ldap:// without TLS sends the bind password in clear: use ldaps://, set start_tls: true, or (labs only) insecure_plaintext: true")
	}
	if strings.TrimSpace(c.BindDN) == "" {
		add("bind_dn", "required (a read-only service account)")
	}
	if c.BindPassword.IsZero() {
		add("bind_password", "required")
	}
	switch c.Dialect {
	case DialectAD, DialectLDAP, DialectAuto:
	default:
		add("dialect", "must be ad, ldap or auto, not %q", c.Dialect)
	}
	for i, dn := range c.BaseDNs {
		if _, err := goldap.ParseDN(dn); err != nil || strings.TrimSpace(dn) == "" {
			add(fmt.Sprintf("base_dns[%d]", i), "not a DN: %q", dn)
		}
	}
	for _, f := range []struct{ name, value string }{
		{"user_filter", c.UserFilter},
		{"group_filter", c.GroupFilter},
		{"computer_filter", c.ComputerFilter},
		{"disabled_filter", c.DisabledFilter},
	} {
		if f.value == "" {
			continue
		}
		if _, err := goldap.CompileFilter(f.value); err != nil {
			add(f.name, "not an LDAP filter (%v): write it in parentheses, e.g. (department=Sales)", err)
		}
	}
	if c.PageSize < 1 || c.PageSize > 100000 {
		add("page_size", "must be between 1 and 100000")
	}
	if c.MemberRangeSize < 1 {
		add("member_range_size", "must be at least 1")
	}
	if c.Timeout < 0 {
		add("timeout", "must not be negative")
	}
	if c.DeltaOverlap < 0 {
		add("delta_overlap", "must not be negative")
	}
	for i, m := range c.DisabledMarkers {
		switch m {
		case MarkerNSAccountLock, MarkerPwdAccountLockedTime, MarkerShadowExpire:
		default:
			add(fmt.Sprintf("disabled_markers[%d]", i), "must be %s, %s or %s, not %q",
				MarkerNSAccountLock, MarkerPwdAccountLockedTime, MarkerShadowExpire, m)
		}
	}
	if c.CAFile != "" {
		if _, err := loadCAPool(c.CAFile); err != nil {
			add("ca_file", "%v", err)
		}
	}
	return errors.Join(errs...)
}

// loadCAPool reads a PEM bundle into the system pool (or a new one).
func loadCAPool(file string) (*x509.CertPool, error) {
	b, err := os.ReadFile(file)
	if err != nil {
		return nil, err
	}
	pool, err := x509.SystemCertPool()
	if err != nil || pool == nil {
		pool = x509.NewCertPool()
	}
	if !pool.AppendCertsFromPEM(b) {
		return nil, fmt.Errorf("%s holds no PEM certificate", file)
	}
	return pool, nil
}

// Open builds the source without network I/O.
func (c *Config) Open(name string, logger *slog.Logger) (connector.Source, error) {
	return open(c.WithDefaults(), name, logger)
}

func open(cfg Config, name string, logger *slog.Logger) (*Source, error) {
	if err := cfg.Validate(); err != nil {
		return nil, fmt.Errorf("validating ldap configuration: %w", err)
	}
	if logger == nil {
		logger = slog.New(slog.DiscardHandler)
	}
	logger = logger.With("connector", "ldap", "integration", name)
	tc, err := cfg.tlsConfig()
	if err != nil {
		return nil, err
	}
	return &Source{cfg: cfg, logger: logger, tls: tc, now: time.Now}, nil
}
