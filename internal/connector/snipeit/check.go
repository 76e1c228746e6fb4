package snipeit

import (
	"context"
	"fmt"
	"net/url"
)

// Check reads the token's own user, then one asset and one location. A
// refused token wraps connector.ErrUnauthorized; a missing permission
// wraps connector.ErrForbidden and names what the user must be allowed.
func (s *Source) Check(ctx context.Context) error {
	var me struct {
		Username string `json:"username"`
	}
	if err := s.get(ctx, "users/me", nil, &me); err != nil {
		return fmt.Errorf("checking the API token: %w", err)
	}
	for _, p := range []struct{ path, what string }{
		{"hardware", "assets"},
		{"locations", "locations"},
	} {
		var resp struct {
			Total int `json:"total"`
		}
		if err := s.get(ctx, p.path, url.Values{"limit": {"1"}}, &resp); err != nil {
			return fmt.Errorf("checking that %s may view %s: %w", me.Username, p.what, err)
		}
	}
	return nil
}
