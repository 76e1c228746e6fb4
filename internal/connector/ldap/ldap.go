// Package ldap is the connector for Active Directory and generic LDAPv3
// directories (OpenLDAP, 389-DS, FreeIPA). It binds over LDAPS or StartTLS
// with a read-only service account and reads groups, users and, on
// request, AD computers with paged searches.
//
// Two dialects: Active Directory keys records on objectGUID, reads only
// what changed through uSNChanged against the same DC's
// highestCommittedUSN, and finds deletions among the tombstones (Show
// Deleted); generic LDAP keys on entryUUID and reads changes through
// modifyTimestamp, leaving deletions to full runs. Group memberships are
// flattened through nested groups and sent complete.
//
// See README.md (Doc) for the service account's rights and the
// configuration.
package ldap

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
