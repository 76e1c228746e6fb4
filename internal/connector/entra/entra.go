// Package entra is the connector for Microsoft Entra ID (Azure AD): it reads
// a tenant's groups, users and organisational contacts through Microsoft
// Graph delta queries, with client credentials (a secret or a
// certificate), and maps them onto records. A full round enumerates
// everything; later runs follow the saved deltaLinks and get only changes,
// including soft and permanent deletions.
//
// See README.md (Doc) for the permissions and configuration.
package entra

import (
	_ "embed"

	"github.com/integrator-oss/integrator/internal/connector"
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

var _ connector.Config = (*Config)(nil)
