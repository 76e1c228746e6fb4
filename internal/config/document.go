package config

import (
	"github.com/integrator-oss/integrator/internal/connector"
)

// ParseIntegration parses one integration on its own: a YAML or JSON
// object with the keys of an entry of "integrations:" (JSON is YAML). The
// API and the console use it so that an integration they create is checked
// exactly like one in the file. On any problem it returns a *Errors whose
// Field paths are relative to the object ("schedule",
// "config.tenant_id", "scope.mappings[0].role").
func ParseIntegration(data []byte, reg connector.Registry) (*Integration, error) {
	c := &collector{}
	root := c.document(data)
	if root == nil {
		if len(c.errs) == 0 {
			c.add(0, "", "empty: want an object with at least name and type")
		}
		return nil, c.err()
	}
	it, _ := c.integration(root, "", reg)
	if err := c.err(); err != nil {
		return nil, err
	}
	return &it, nil
}
