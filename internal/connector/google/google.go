// Package google is the connector for Google Workspace: it reads a
// customer's groups and users through the Admin SDK Directory API with a
// service account key and domain-wide delegation (impersonating an
// administrator, with read-only scopes), and maps them onto records.
//
// Google has no delta API for the directory, so every run is a full
// listing: the engine's fingerprints make unchanged users cost no write, and
// its sweep deactivates what a complete listing no longer returns.
//
// See README.md (Doc) for the Admin console steps and the configuration.
package google

import (
	_ "embed"

	"github.com/integrator-oss/integrator/internal/connector"
	"github.com/integrator-oss/integrator/internal/record"
)

// Sample is an example configuration block.
//
//go:embed sample.yaml
var Sample string

// Doc is the connector's README in Markdown.
//
//go:embed README.md
var Doc string

// Type describes the connector for the registry.
func Type() connector.Type {
	return connector.Type{
		New: func() connector.Config {
			c := Config{}.WithDefaults()
			return &c
		},
		Kinds:  supportedKinds(),
		Sample: Sample,
		Doc:    Doc,
	}
}

// supportedKinds are the kinds the connector fetches, in fetch order.
func supportedKinds() []record.Kind { return []record.Kind{record.KindGroup, record.KindUser} }

var _ connector.Config = (*Config)(nil)
