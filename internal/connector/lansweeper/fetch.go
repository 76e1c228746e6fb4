package lansweeper

import (
	"context"
	"encoding/json"
	"fmt"
	"slices"
	"strings"

	"github.com/integrator-oss/integrator/internal/connector"
	"github.com/integrator-oss/integrator/internal/httpclient"
	"github.com/integrator-oss/integrator/internal/record"
)

const sitesQuery = `query AuthorizedSites { authorizedSites { sites { id name } } }`

// The first page asks for the total (the API allows it with page FIRST
// only); the following pages do not.
const (
	firstPageQuery = `query Assets($siteId: ID!, $fields: [String!]!, $pagination: AssetsPaginationInputValidated) {
  site(id: $siteId) {
    assetResources(fields: $fields, assetPagination: $pagination) {
      total
      pagination { limit current next page }
      items
    }
  }
}`
	nextPageQuery = `query Assets($siteId: ID!, $fields: [String!]!, $pagination: AssetsPaginationInputValidated) {
  site(id: $siteId) {
    assetResources(fields: $fields, assetPagination: $pagination) {
      pagination { limit current next page }
      items
    }
  }
}`
)

type site struct {
	ID   string `json:"id"`
	Name string `json:"name"`
}

type assetPage struct {
	Site *struct {
		AssetResources *struct {
			Total      int `json:"total"`
			Pagination struct {
				Next *string `json:"next"`
			} `json:"pagination"`
			Items []json.RawMessage `json:"items"`
		} `json:"assetResources"`
	} `json:"site"`
}

// Fetch lists the sites, then each site's assets page by page, and hands
// them to the sink. The Data API has no deletion feed, so every fetch is a
// full listing (FetchResult.Full, no cursor). A page that fails after the
// HTTP client's retries, or that carries a GraphQL error, fails the whole
// fetch, so the engine deactivates nothing.
func (s *Source) Fetch(ctx context.Context, req connector.FetchRequest, sink connector.Sink) (connector.FetchResult, error) {
	kinds := req.Kinds
	if len(kinds) == 0 {
		kinds = supportedKinds()
	}
	for _, k := range kinds {
		if !slices.Contains(supportedKinds(), k) {
			return connector.FetchResult{}, fmt.Errorf("selecting kinds: the lansweeper connector does not fetch %q records", k)
		}
	}
	r := &run{s: s, sink: sink}
	ctx = httpclient.WithHooks(ctx, httpclient.Hooks{OnRequest: r.onRequest, OnWait: r.onWait})
	sites, err := s.sites(ctx)
	if err != nil {
		return connector.FetchResult{}, err
	}
	if slices.Contains(kinds, record.KindSite) {
		recs := make([]record.Record, 0, len(sites))
		for _, st := range sites {
			recs = append(recs, siteRecord(st))
		}
		if len(recs) > 0 {
			if err := sink.Page(ctx, recs); err != nil {
				return connector.FetchResult{}, err
			}
		}
	}
	if slices.Contains(kinds, record.KindAsset) {
		for _, st := range sites {
			if err := r.assets(ctx, st); err != nil {
				return connector.FetchResult{}, err
			}
		}
	}
	return connector.FetchResult{Full: true}, nil
}

// sites returns the sites to import: the configured ones, each of which
// the token must be able to read, or else every site it may read.
func (s *Source) sites(ctx context.Context) ([]site, error) {
	var resp struct {
		AuthorizedSites struct {
			Sites []site `json:"sites"`
		} `json:"authorizedSites"`
	}
	if err := s.query(ctx, sitesQuery, nil, &resp); err != nil {
		return nil, fmt.Errorf("listing the authorised sites: %w", err)
	}
	all := resp.AuthorizedSites.Sites
	if len(s.siteIDs) == 0 {
		return all, nil
	}
	out := make([]site, 0, len(s.siteIDs))
	var missing []string
	for _, id := range s.siteIDs {
		i := slices.IndexFunc(all, func(st site) bool { return strings.EqualFold(st.ID, id) })
		if i < 0 {
			missing = append(missing, id)
			continue
		}
		out = append(out, all[i])
	}
	if len(missing) > 0 {
		readable := make([]string, 0, min(len(all), 10))
		for _, st := range all[:min(len(all), 10)] {
			readable = append(readable, fmt.Sprintf("%s (%s)", st.ID, st.Name))
		}
		if len(all) > 10 {
			readable = append(readable, fmt.Sprintf("and %d more", len(all)-10))
		}
		if len(readable) == 0 {
			readable = append(readable, "none")
		}
		return nil, fmt.Errorf("site_ids: the token may not read %s; it may read %s: %w",
			strings.Join(missing, ", "), strings.Join(readable, ", "), connector.ErrForbidden)
	}
	return out, nil
}

// run is the state of one Fetch.
type run struct {
	s        *Source
	sink     connector.Sink
	requests int
}

func (r *run) progress() connector.Progress {
	p := connector.Progress{Requests: r.requests}
	if b, ok := r.s.http.Budget(); ok {
		p.Budgeted, p.Budget = true, int(b)
	}
	return p
}

func (r *run) onRequest() {
	r.requests++
	r.sink.Progress(r.progress())
}

func (r *run) onWait(w httpclient.Wait) {
	p := r.progress()
	p.Waiting = w.Delay
	r.sink.Progress(p)
}

// assets pages through one site's assets with the API's cursor until
// pagination.next is null.
func (r *run) assets(ctx context.Context, st site) error {
	query := firstPageQuery
	pagination := map[string]any{"limit": r.s.pageSize, "page": "FIRST"}
	got, total := 0, -1
	for page := 1; ; page++ {
		var resp assetPage
		vars := map[string]any{"siteId": st.ID, "fields": r.s.fields, "pagination": pagination}
		if err := r.s.query(ctx, query, vars, &resp); err != nil {
			return fmt.Errorf("listing the assets of site %s (%s), page %d: %w", st.Name, st.ID, page, err)
		}
		if resp.Site == nil || resp.Site.AssetResources == nil {
			return fmt.Errorf("listing the assets of site %s (%s), page %d: the answer has no assetResources", st.Name, st.ID, page)
		}
		ar := resp.Site.AssetResources
		if page == 1 {
			total = ar.Total
		}
		recs := make([]record.Record, 0, len(ar.Items))
		for i, raw := range ar.Items {
			rec, err := r.s.assetRecord(raw, st)
			if err != nil {
				return fmt.Errorf("site %s (%s), page %d, item %d: %w", st.Name, st.ID, page, i, err)
			}
			recs = append(recs, rec)
		}
		got += len(recs)
		r.s.logger.Debug("fetched page", "site", st.ID, "page", page, "records", len(recs), "total", total)
		if len(recs) > 0 {
			if err := r.sink.Page(ctx, recs); err != nil {
				return err
			}
		}
		if ar.Pagination.Next == nil || *ar.Pagination.Next == "" {
			r.s.logger.Debug("listed site", "site", st.ID, "assets", got, "total_on_first_page", total)
			return nil
		}
		if len(ar.Items) == 0 {
			return fmt.Errorf("listing the assets of site %s (%s), page %d: an empty page with a next cursor", st.Name, st.ID, page)
		}
		query = nextPageQuery
		pagination = map[string]any{"limit": r.s.pageSize, "page": "NEXT", "cursor": *ar.Pagination.Next}
	}
}
