package entra

import (
	"encoding/json"

	"github.com/integrator-oss/integrator/internal/record"
)

// resource is one Graph delta collection the connector reads. Adding a kind
// (org contacts: /contacts/delta) is one more entry in resources, an item
// type with a record method, and a field in cursor.
type resource struct {
	kind record.Kind
	// name is the collection's name in Graph paths, errors and the cursor.
	name string
	// initial is the first request of a full round, relative to graph_url.
	initial string
	// decode reads one item of the collection's "value" array.
	decode func(dec *json.Decoder) (record.Record, error)
}

// resources in fetch order: groups first, so the engine knows memberships
// before it scopes users.
var resources = []resource{
	{
		kind:    record.KindGroup,
		name:    "groups",
		initial: "/groups/delta?$select=" + groupSelect,
		decode: func(dec *json.Decoder) (record.Record, error) {
			var g groupItem
			if err := dec.Decode(&g); err != nil {
				return record.Record{}, err
			}
			return g.record()
		},
	},
	{
		kind:    record.KindUser,
		name:    "users",
		initial: "/users/delta?$select=" + userSelect,
		decode: func(dec *json.Decoder) (record.Record, error) {
			var u userItem
			if err := dec.Decode(&u); err != nil {
				return record.Record{}, err
			}
			return u.record()
		},
	},
}

// supportedKinds are the entity kinds the connector produces.
func supportedKinds() []record.Kind {
	kinds := make([]record.Kind, 0, len(resources))
	for _, r := range resources {
		kinds = append(kinds, r.kind)
	}
	return kinds
}
