package connector

import "context"

// Option is one thing a source offers to pick in a setting: a group, an
// organisational unit or an organisation to map to a site.
type Option struct {
	ID     string `json:"id"`
	Name   string `json:"name"`
	Detail string `json:"detail,omitempty"`
}

// Lister is implemented by sources that can list their groups (or OUs,
// organisations) with light requests, for the console's mapping editor.
// ListGroups returns at most a few thousand options, sorted by name, and
// must honour ctx.
type Lister interface {
	ListGroups(ctx context.Context) ([]Option, error)
}
