// Package cwautomate is the connector for ConnectWise Automate (formerly
// LabTech): it reads a server's clients, locations and computers through
// the Automate REST API (/cwa/api/v1) with an integrator user's token and
// the integration's ConnectWise client ID, and maps locations onto site
// records (their client as the organisation) and computers onto asset
// records.
//
// Automate has no delta API: every run lists every computer, paging by ID.
//
// See README.md (Doc) for the access needed and the configuration.
package cwautomate

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
