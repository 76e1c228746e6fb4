// Package ninjaone is the connector for NinjaOne (NinjaRMM): it reads an
// instance's organisations and locations as sites, and its devices as
// assets enriched with the agents' inventory (computer system, operating
// system, network interfaces, logged-on user, installed software) through
// the Public API v2 with an OAuth2 client credentials application.
//
// See README.md (Doc) for the API application, regions and configuration.
package ninjaone

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
		Kinds:  []record.Kind{record.KindSite, record.KindAsset},
		Sample: Sample,
		Doc:    Doc,
	}
}

var _ connector.Config = (*Config)(nil)
