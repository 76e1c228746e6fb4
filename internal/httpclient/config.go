package httpclient

import (
	"errors"
	"time"

	"github.com/integrator-oss/integrator/internal/connector"
)

// Defaults of Config.
const (
	// DefaultTimeout bounds one attempt of one request, body included.
	DefaultTimeout = 60 * time.Second
	// DefaultMaxRetries is how many times a request is retried after its
	// first attempt.
	DefaultMaxRetries = 6
)

// Config is the HTTP client block of a REST connector's configuration. Embed
// it with `yaml:",inline"` so its keys sit next to the connector's own.
type Config struct {
	// Timeout bounds one attempt of one request, reading the response body
	// included. Defaults to 60s.
	Timeout time.Duration `yaml:"timeout,omitempty" json:"timeout,omitempty"`
	// CAFile is a PEM bundle of extra certificate authorities to trust, on
	// top of the system's (a TLS-inspecting proxy, a private endpoint).
	CAFile string `yaml:"ca_file,omitempty" json:"ca_file,omitempty"`
	// InsecureSkipVerify turns off TLS certificate verification. It exists
	// for lab setups only: anyone on the path can then read the credentials.
	// Defaults to false.
	InsecureSkipVerify bool `yaml:"insecure_skip_verify,omitempty" json:"insecure_skip_verify,omitempty"`
	// MaxRetries is how many times a throttled or failed request is retried
	// after its first attempt. Defaults to 6; -1 turns retries off.
	MaxRetries int `yaml:"max_retries,omitempty" json:"max_retries,omitempty"`
	// RequestsPerSecond caps the request rate of this integration (a token
	// bucket with a burst of one second's worth). Defaults to 0: unlimited.
	RequestsPerSecond float64 `yaml:"requests_per_second,omitempty" json:"requests_per_second,omitempty"`
}

// WithDefaults returns a copy with every unset field at its default. It is
// the only place the defaults live.
func (c Config) WithDefaults() Config {
	if c.Timeout == 0 {
		c.Timeout = DefaultTimeout
	}
	if c.MaxRetries == 0 {
		c.MaxRetries = DefaultMaxRetries
	}
	return c
}

// Validate reports every problem at once, each as a *connector.FieldError
// naming its key, joined with errors.Join.
func (c Config) Validate() error {
	var errs []error
	if c.Timeout < 0 {
		errs = append(errs, &connector.FieldError{Field: "timeout", Message: "must not be negative"})
	}
	if c.MaxRetries < -1 {
		errs = append(errs, &connector.FieldError{Field: "max_retries", Message: "must be -1 (no retries) or more"})
	}
	if c.RequestsPerSecond < 0 {
		errs = append(errs, &connector.FieldError{Field: "requests_per_second", Message: "must not be negative (0 means unlimited)"})
	}
	if c.CAFile != "" {
		if _, err := loadCAPool(c.CAFile); err != nil {
			errs = append(errs, &connector.FieldError{Field: "ca_file", Message: err.Error()})
		}
	}
	return errors.Join(errs...)
}
