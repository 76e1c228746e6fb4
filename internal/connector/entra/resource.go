package entra

import (
	"encoding/json"

	"github.com/integrator-oss/integrator/internal/record"
)

// resource is one Graph delta collection the connector reads. Adding a kind
// is one more entry in resources, an item type with a record method, and a
// field in cursor.
type resource struct {
	kind record.Kind
	// name is the collection's name in Graph paths, errors and the cursor.
	name string
	// onRequest marks a kind fetched only when a request names it: a
	// request without kinds gets the others. Such a kind needs a
	// permission of its own.
	onRequest bool
	// standalone marks a kind whose records neither scope nor are scoped
	// by the others: when a cursor lacks its link (the kind was just added
	// to the integration), it alone starts with a full enumeration while
	// the others follow their deltaLinks. A kind that is not standalone
	// missing from the cursor makes the whole round full.
	standalone bool
	// initial is the first request of a full round, relative to graph_url.
	initial string
	// permission is the application permission reading it needs, named
	// in the error of a 403.
	permission string
	// decode reads one item of the collection's "value" array.
	decode func(dec *json.Decoder) (record.Record, error)
}

// resources in fetch order: groups first, so the engine knows memberships
// before it scopes users; organisational contacts last.
var resources = []resource{
	{
		kind:       record.KindGroup,
		name:       "groups",
		initial:    "/groups/delta?$select=" + groupSelect,
		permission: "GroupMember.Read.All or Group.Read.All",
		decode: func(dec *json.Decoder) (record.Record, error) {
			var g groupItem
			if err := dec.Decode(&g); err != nil {
				return record.Record{}, err
			}
			return g.record()
		},
	},
	{
		kind:       record.KindUser,
		name:       "users",
		initial:    "/users/delta?$select=" + userSelect,
		permission: "User.Read.All",
		decode: func(dec *json.Decoder) (record.Record, error) {
			var u userItem
			if err := dec.Decode(&u); err != nil {
				return record.Record{}, err
			}
			return u.record()
		},
	},
	{
		kind:       record.KindContact,
		name:       "contacts",
		initial:    "/contacts/delta?$select=" + contactSelect,
		permission: "OrgContact.Read.All",
		onRequest:  true,
		standalone: true,
		decode: func(dec *json.Decoder) (record.Record, error) {
			var c contactItem
			if err := dec.Decode(&c); err != nil {
				return record.Record{}, err
			}
			return c.record()
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
