package lansweeper

import (
	"context"
	"fmt"
)

// Check lists the sites the token may read, makes sure the configured
// ones are among them, and reads one asset of the first site. A refused
// token wraps connector.ErrUnauthorized; a site the token may not read
// wraps connector.ErrForbidden and is named.
func (s *Source) Check(ctx context.Context) error {
	sites, err := s.sites(ctx)
	if err != nil {
		return fmt.Errorf("checking the personal access token: %w", err)
	}
	if len(sites) == 0 {
		return fmt.Errorf("checking the personal access token: it may read no site; share a site with the token's user")
	}
	var resp assetPage
	vars := map[string]any{"siteId": sites[0].ID, "fields": []string{"key"}, "pagination": map[string]any{"limit": 1, "page": "FIRST"}}
	if err := s.query(ctx, firstPageQuery, vars, &resp); err != nil {
		return fmt.Errorf("checking that the token may read the assets of site %s (%s): %w", sites[0].Name, sites[0].ID, err)
	}
	return nil
}
