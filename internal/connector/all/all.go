// Package all is the registry of every connector type. It is the one place
// that names them; whoever opens connectors is handed this map.
package all

import (
	"github.com/integrator-oss/integrator/internal/connector"
	"github.com/integrator-oss/integrator/internal/connector/csp"
	"github.com/integrator-oss/integrator/internal/connector/cwautomate"
	"github.com/integrator-oss/integrator/internal/connector/datto"
	"github.com/integrator-oss/integrator/internal/connector/entra"
	"github.com/integrator-oss/integrator/internal/connector/exchange"
	"github.com/integrator-oss/integrator/internal/connector/google"
	"github.com/integrator-oss/integrator/internal/connector/intune"
	"github.com/integrator-oss/integrator/internal/connector/lansweeper"
	"github.com/integrator-oss/integrator/internal/connector/ldap"
	"github.com/integrator-oss/integrator/internal/connector/ninjaone"
	"github.com/integrator-oss/integrator/internal/connector/snipeit"
)

// Registry returns the map of connector types by name.
func Registry() connector.Registry {
	return connector.Registry{
		"csp":        csp.Type(),
		"cwautomate": cwautomate.Type(),
		"datto":      datto.Type(),
		"entra":      entra.Type(),
		"exchange":   exchange.Type(),
		"google":     google.Type(),
		"intune":     intune.Type(),
		"lansweeper": lansweeper.Type(),
		"ldap":       ldap.Type(),
		"ninjaone":   ninjaone.Type(),
		"snipeit":    snipeit.Type(),
	}
}
