package config_test

import (
	"errors"
	"log/slog"
	"strings"
	"time"

	"github.com/integrator-oss/integrator/internal/connector"
	"github.com/integrator-oss/integrator/internal/record"
	"github.com/integrator-oss/integrator/internal/secret"
)

// fakeEntraConfig is shaped like a directory connector's config: IDs, a
// client secret, nested settings and a map of secrets, with a Validate that
// reports required fields the way connectors do.
type fakeEntraConfig struct {
	TenantID     string        `yaml:"tenant_id" json:"tenant_id"`
	ClientID     string        `yaml:"client_id" json:"client_id"`
	ClientSecret secret.String `yaml:"client_secret" json:"client_secret"`
	PageSize     int           `yaml:"page_size" json:"page_size"`
	Endpoints    struct {
		Graph string `yaml:"graph" json:"graph"`
		Login string `yaml:"login" json:"login"`
	} `yaml:"endpoints" json:"endpoints"`
	Headers map[string]secret.String `yaml:"headers" json:"headers"`
	Proxy   *fakeProxy               `yaml:"proxy" json:"proxy"`
	// Shared settings sit next to the connector's own, as a shared HTTP
	// client config does.
	fakeShared `yaml:",inline"`
}

type fakeShared struct {
	Timeout time.Duration `yaml:"timeout" json:"timeout"`
	Retries []int         `yaml:"retries" json:"retries"`
}

type fakeProxy struct {
	URL      string        `yaml:"url" json:"url"`
	Password secret.String `yaml:"password" json:"password"`
}

func (c *fakeEntraConfig) Validate() error {
	var errs []error
	if c.TenantID == "" {
		errs = append(errs, &connector.FieldError{Field: "tenant_id", Message: "required"})
	}
	if c.ClientID == "" {
		errs = append(errs, &connector.FieldError{Field: "client_id", Message: "required"})
	}
	if c.ClientSecret.IsZero() {
		errs = append(errs, &connector.FieldError{Field: "client_secret", Message: "required"})
	}
	if c.PageSize < 1 || c.PageSize > 999 {
		errs = append(errs, &connector.FieldError{Field: "page_size", Message: "must be between 1 and 999"})
	}
	if c.Endpoints.Graph != "" && !strings.HasPrefix(c.Endpoints.Graph, "https://") {
		errs = append(errs, &connector.FieldError{Field: "endpoints.graph", Message: "must be an https:// URL"})
	}
	return errors.Join(errs...)
}

func (c *fakeEntraConfig) Open(string, *slog.Logger) (connector.Source, error) {
	return nil, errors.New("the fake connector does not fetch")
}

// fakeNinjaConfig is an asset-only connector with one required field.
type fakeNinjaConfig struct {
	APIKey secret.String `yaml:"api_key"`
}

func (c *fakeNinjaConfig) Validate() error {
	if c.APIKey.IsZero() {
		return &connector.FieldError{Field: "api_key", Message: "required"}
	}
	return nil
}

func (c *fakeNinjaConfig) Open(string, *slog.Logger) (connector.Source, error) {
	return nil, errors.New("the fake connector does not fetch")
}

func testRegistry() connector.Registry {
	return connector.Registry{
		"entra": {
			New:   func() connector.Config { return &fakeEntraConfig{PageSize: 100} },
			Kinds: []record.Kind{record.KindUser, record.KindGroup, record.KindContact, record.KindAsset},
		},
		"ninja": {
			New:   func() connector.Config { return &fakeNinjaConfig{} },
			Kinds: []record.Kind{record.KindAsset},
		},
	}
}
