// Package lansweeper is the connector for Lansweeper (the cloud platform):
// it reads the assets of the sites a personal access token may read
// through the Data API (GraphQL), with their hardware and software
// inventory, and maps them onto site and asset records.
//
// The Data API has no deletion feed, so every run is a full listing per
// site, paged with the API's cursors: the engine's fingerprints make
// unchanged assets cost no write, and its sweep deactivates what a
// complete listing no longer returns.
//
// See README.md (Doc) for the token and the configuration.
package lansweeper

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

// supportedKinds are the kinds the connector fetches, in fetch order:
// sites before the assets that refer to them.
func supportedKinds() []record.Kind { return []record.Kind{record.KindSite, record.KindAsset} }

var _ connector.Config = (*Config)(nil)
