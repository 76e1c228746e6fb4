// Package intune is the connector for Microsoft Intune: it lists a
// tenant's managed devices from Microsoft Graph
// (/deviceManagement/managedDevices) with the same app registration
// credentials as the entra connector, and maps each device to an asset
// record with its serial number, MAC addresses, compliance state, owner
// type and primary user. Intune has no delta for devices: every run lists
// everything and reports a full fetch.
//
// See README.md (Doc) for the permission and configuration.
package intune

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
		Kinds:  []record.Kind{record.KindAsset},
		Sample: Sample,
		Doc:    Doc,
	}
}

var _ connector.Config = (*Config)(nil)
