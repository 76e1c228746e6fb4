// Package snipeit is the connector for Snipe-IT, the self-hosted asset
// manager: it reads an instance's locations and hardware assets through
// the REST API v1 with a personal API token, and maps them onto site and
// asset records (assigned user, status, custom fields by label).
//
// Snipe-IT has no change feed, so every run is a full listing: the engine's
// fingerprints make unchanged assets cost no write, and its sweep
// deactivates what a complete listing no longer returns. Archived and
// undeployable assets, and soft-deleted ones, are reported as disabled
// with their status label as the reason.
//
// See README.md (Doc) for the token's permissions and the configuration.
package snipeit

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
