package exchange

import (
	"errors"
	"fmt"
	"log/slog"
	"strconv"
	"strings"
	"time"

	"github.com/integrator-oss/integrator/internal/connector"
	"github.com/integrator-oss/integrator/internal/connector/msgraph"
	"github.com/integrator-oss/integrator/internal/httpclient"
)

// Mailbox sources of Config.MailboxSource.
const (
	// SourceList reads the mailboxes listed in Config.Mailboxes.
	SourceList = "list"
	// SourceGroup reads the mailboxes of the user members of the Entra
	// group Config.MailboxGroup.
	SourceGroup = "group"
	// SourceAll reads every user with a mail address that has a mailbox.
	SourceAll = "all"
)

// Defaults of Config.
const (
	DefaultWindowBack  = Days(30 * 24 * time.Hour)
	DefaultWindowAhead = Days(180 * 24 * time.Hour)
	// DefaultConcurrency is how many mailboxes are read at once.
	DefaultConcurrency = 8
	// MaxConcurrency bounds Concurrency.
	MaxConcurrency = 64
	// DefaultPageSize is the Prefer odata.maxpagesize of each request.
	DefaultPageSize = 100
	// MaxPageSize is the largest page size the connector asks for.
	MaxPageSize = 1000
)

// Config is the "config" block of an exchange integration.
//
//	tenant_id: 00000000-0000-0000-0000-000000000000
//	client_id: 11111111-1111-1111-1111-111111111111
//	client_secret: {env: EXCHANGE_CLIENT_SECRET}
//	mailbox_source: group
//	mailbox_group: 3f1c0000-0000-0000-0000-000000000000
type Config struct {
	// Credentials are tenant_id, client_id, client_secret or
	// certificate_file and private_key_file, authority_url, token_url and
	// graph_url, exactly as for the entra connector.
	msgraph.Credentials `yaml:",inline"`

	// MailboxSource says which mailboxes are read: "list" (Mailboxes),
	// "group" (the user members of MailboxGroup) or "all" (every user with
	// a mail address and a mailbox). Defaults to "list".
	MailboxSource string `yaml:"mailbox_source,omitempty" json:"mailbox_source,omitempty"`
	// Mailboxes are user principal names or user object IDs, for
	// mailbox_source list.
	Mailboxes []string `yaml:"mailboxes,omitempty" json:"mailboxes,omitempty"`
	// MailboxGroup is the object ID of an Entra group whose direct user
	// members are read, for mailbox_source group.
	MailboxGroup string `yaml:"mailbox_group,omitempty" json:"mailbox_group,omitempty"`

	// WindowBack is how far before today the window starts. Defaults to
	// 30d.
	WindowBack Days `yaml:"window_back,omitempty" json:"window_back,omitempty"`
	// WindowAhead is how far after today the window ends. Defaults to
	// 180d.
	WindowAhead Days `yaml:"window_ahead,omitempty" json:"window_ahead,omitempty"`
	// Concurrency is how many mailboxes are read at once, 1 to 64; each
	// mailbox gets one request at a time, under Exchange's limit of four.
	// Defaults to 8.
	Concurrency int `yaml:"concurrency,omitempty" json:"concurrency,omitempty"`
	// PageSize is the number of events asked for per request (Prefer:
	// odata.maxpagesize), 1 to 1000. Defaults to 100.
	PageSize int `yaml:"page_size,omitempty" json:"page_size,omitempty"`

	// Config is the HTTP client block: timeout, ca_file,
	// insecure_skip_verify, max_retries, requests_per_second.
	httpclient.Config `yaml:",inline"`
}

// WithDefaults returns a copy with every unset field at its default. It is
// the only place the defaults live.
func (c Config) WithDefaults() Config {
	c.Credentials = c.Credentials.WithDefaults()
	if c.MailboxSource == "" {
		c.MailboxSource = SourceList
	}
	if c.WindowBack == 0 {
		c.WindowBack = DefaultWindowBack
	}
	if c.WindowAhead == 0 {
		c.WindowAhead = DefaultWindowAhead
	}
	if c.Concurrency == 0 {
		c.Concurrency = DefaultConcurrency
	}
	if c.PageSize == 0 {
		c.PageSize = DefaultPageSize
	}
	c.Config = c.Config.WithDefaults()
	return c
}

// Validate reports every problem at once, each as a *connector.FieldError
// naming its key.
func (c Config) Validate() error {
	errs := c.Credentials.Validate()
	add := func(field, format string, args ...any) {
		errs = append(errs, &connector.FieldError{Field: field, Message: fmt.Sprintf(format, args...)})
	}
	switch c.MailboxSource {
	case SourceList, "":
		if len(c.Mailboxes) == 0 {
			add("mailboxes", "required with mailbox_source list: user principal names or object IDs")
		}
		for i, m := range c.Mailboxes {
			if strings.TrimSpace(m) == "" {
				add(fmt.Sprintf("mailboxes[%d]", i), "empty")
			}
		}
	case SourceGroup:
		if strings.TrimSpace(c.MailboxGroup) == "" {
			add("mailbox_group", "required with mailbox_source group: the group's object ID")
		}
	case SourceAll:
	default:
		add("mailbox_source", "must be list, group or all, not %q", c.MailboxSource)
	}
	if c.MailboxSource != SourceGroup && c.MailboxGroup != "" {
		add("mailbox_group", "only used with mailbox_source group")
	}
	if c.MailboxSource != SourceList && c.MailboxSource != "" && len(c.Mailboxes) > 0 {
		add("mailboxes", "only used with mailbox_source list")
	}
	if c.WindowBack < 0 {
		add("window_back", "must not be negative")
	}
	if c.WindowAhead < 0 {
		add("window_ahead", "must not be negative")
	}
	if c.WindowBack+c.WindowAhead > Days(1500*24*time.Hour) {
		add("window_ahead", "window_back and window_ahead together must not pass 1500 days (Exchange's calendar view limit)")
	}
	if c.Concurrency < 0 || c.Concurrency > MaxConcurrency {
		add("concurrency", "must be between 1 and %d", MaxConcurrency)
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
	return open(c.WithDefaults(), name, logger, httpclient.Options{}, time.Now)
}

// open builds a source; tests pass client options (a fake sleep) and a
// clock.
func open(cfg Config, name string, logger *slog.Logger, opts httpclient.Options, now func() time.Time) (*Source, error) {
	if err := cfg.Validate(); err != nil {
		return nil, fmt.Errorf("validating exchange configuration: %w", err)
	}
	if logger == nil {
		logger = slog.New(slog.DiscardHandler)
	}
	logger = logger.With("connector", "exchange", "integration", name)
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
	return &Source{logger: logger, client: client, cfg: cfg, now: now}, nil
}

// Days is a length of time written in days ("30d"), or in Go duration
// syntax ("720h"). It is rounded down to whole days when the window is
// computed.
type Days time.Duration

// UnmarshalText reads "30d", "30" (days) or a Go duration.
func (d *Days) UnmarshalText(b []byte) error {
	s := strings.TrimSpace(string(b))
	if n, ok := strings.CutSuffix(s, "d"); ok {
		s = n
	}
	if v, err := strconv.Atoi(s); err == nil {
		*d = Days(time.Duration(v) * 24 * time.Hour)
		return nil
	}
	v, err := time.ParseDuration(string(b))
	if err != nil {
		return fmt.Errorf("invalid duration %q: want days like 30d, or a duration like 720h", string(b))
	}
	*d = Days(v)
	return nil
}

// MarshalText writes whole days as "30d".
func (d Days) MarshalText() ([]byte, error) {
	if time.Duration(d)%(24*time.Hour) == 0 {
		return []byte(strconv.Itoa(int(time.Duration(d)/(24*time.Hour))) + "d"), nil
	}
	return []byte(time.Duration(d).String()), nil
}

// days is the whole number of days.
func (d Days) days() int { return int(time.Duration(d) / (24 * time.Hour)) }
