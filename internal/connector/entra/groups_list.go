package entra

import (
	"cmp"
	"context"
	"encoding/json"
	"fmt"
	"slices"

	"github.com/integrator-oss/integrator/internal/connector"
)

var _ connector.Lister = (*Source)(nil)

// maxListedGroups bounds ListGroups: a picker offers no more.
const maxListedGroups = 5000

// ListGroups lists the tenant's groups (ID, display name, mail) with
// /groups?$select=id,displayName,mail, following @odata.nextLink. It needs
// GroupMember.Read.All or Group.Read.All, like the sync.
func (s *Source) ListGroups(ctx context.Context) ([]connector.Option, error) {
	var out []connector.Option
	next := s.graph + "/groups?$select=id,displayName,mail&$top=999"
	for next != "" && len(out) < maxListedGroups {
		resp, err := s.get(ctx, next)
		if err != nil {
			return nil, fmt.Errorf("listing groups: %w", err)
		}
		var body struct {
			Value []struct {
				ID          string `json:"id"`
				DisplayName string `json:"displayName"`
				Mail        string `json:"mail"`
			} `json:"value"`
			Next string `json:"@odata.nextLink"`
		}
		err = json.NewDecoder(resp.Body).Decode(&body)
		resp.Body.Close()
		if err != nil {
			return nil, fmt.Errorf("listing groups: decoding the response: %w", err)
		}
		for _, g := range body.Value {
			out = append(out, connector.Option{ID: g.ID, Name: g.DisplayName, Detail: g.Mail})
		}
		next = body.Next
	}
	slices.SortFunc(out, func(a, b connector.Option) int { return cmp.Compare(a.Name, b.Name) })
	return out, nil
}
