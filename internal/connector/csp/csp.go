// Package csp is the connector for Microsoft Cloud Solution Provider
// partners: with the partner's multi-tenant app it signs in to each
// customer tenant (a configured list, or the customers the partner holds a
// GDAP relationship with) and imports the tenant's subscriptions
// (GET /subscribedSkus) as licence records and its users' assigned
// licences as licence assignment records, each tagged with the tenant as
// its source organisation so that the engine maps tenants to platform
// clients.
//
// Each customer tenant is a part of the source (record.AttrPart is the
// tenant ID): a tenant that fails (consent revoked, 403) is reported in
// FetchResult.FailedParts and the others complete. There is no delta:
// every fetch is a full listing.
//
// See README.md (Doc) for permissions and configuration.
package csp

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
		Kinds:  []record.Kind{record.KindLicence, record.KindLicenceAssignment},
		Sample: Sample,
		Doc:    Doc,
	}
}

var _ connector.Config = (*Config)(nil)
