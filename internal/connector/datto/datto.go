// Package datto is the connector for Datto RMM: it reads an account's sites
// and devices through the Datto RMM API v2 (password grant with the fixed
// public client, page-numbered listings followed through
// pageDetails.nextPageUrl) and each device's audit (serial number, NICs,
// hardware), and maps them onto site and asset records.
//
// Datto has no delta API: every run lists every site and device. Device
// audits cost one request each, so the connector audits only devices that
// are new or whose lastAuditDate moved since the previous run, and keeps
// the audit data it needs to re-emit unchanged devices in its cursor.
//
// See README.md (Doc) for the API access needed and the configuration.
package datto

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
