package entra

import (
	"context"
	"errors"
	"fmt"
	"net/http"
)

// probe is one light request of Check and the application permission it
// needs.
type probe struct {
	what       string
	path       string
	permission string
}

// probes: the tenant itself, then one "sync from now" delta request per
// collection ($deltaToken=latest returns a deltaLink and no data).
var probes = []probe{
	{"the organization", "/organization?$select=id,displayName", "Organization.Read.All"},
	{"users", "/users/delta?$select=id&$deltaToken=latest", "User.Read.All"},
	{"groups", "/groups/delta?$select=id&$deltaToken=latest", "GroupMember.Read.All or Group.Read.All"},
}

// Check gets an access token and reads the organization, users and groups
// with one light request each. A refused credential wraps
// connector.ErrUnauthorized; a missing permission wraps
// connector.ErrForbidden and names the application permission to grant.
func (s *Source) Check(ctx context.Context) error {
	if _, err := s.client.Token(ctx); err != nil {
		return fmt.Errorf("checking the credentials: %w", err)
	}
	for _, p := range probes {
		resp, err := s.get(ctx, s.graph+p.path)
		if err != nil {
			var gerr *GraphError
			if errors.As(err, &gerr) && gerr.StatusCode == http.StatusForbidden {
				return fmt.Errorf("checking access to %s: the app needs the %s application permission (or Directory.Read.All) with admin consent: %w",
					p.what, p.permission, err)
			}
			return fmt.Errorf("checking access to %s: %w", p.what, err)
		}
		_ = resp.Body.Close()
	}
	return nil
}
