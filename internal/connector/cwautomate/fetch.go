package cwautomate

import (
	"context"
	"encoding/json"
	"fmt"
	"net/url"
	"strconv"
	"sync"

	"github.com/integrator-oss/integrator/internal/connector"
	"github.com/integrator-oss/integrator/internal/httpclient"
	"github.com/integrator-oss/integrator/internal/record"
)

// Fetch lists the locations (as sites, their client as the organisation),
// then every computer, one sink.Page per API page. Automate has no delta:
// every run is a full listing and the result says so.
//
// Computers are paged by ID ("Id > last", ordered by Id) rather than by
// page number, so a computer retired during the run cannot shift a page
// and hide another one from this full listing. Any failed page fails the
// fetch.
func (s *Source) Fetch(ctx context.Context, req connector.FetchRequest, sink connector.Sink) (connector.FetchResult, error) {
	wantSites, wantAssets, err := selectKinds(req.Kinds)
	if err != nil {
		return connector.FetchResult{}, err
	}
	r := &run{s: s, sink: sink}
	ctx = httpclient.WithHooks(ctx, httpclient.Hooks{OnRequest: r.onRequest, OnWait: r.onWait})
	if wantSites {
		if err := r.sites(ctx); err != nil {
			return connector.FetchResult{}, err
		}
	}
	if wantAssets {
		if err := r.computers(ctx); err != nil {
			return connector.FetchResult{}, err
		}
	}
	return connector.FetchResult{Full: true}, nil
}

func selectKinds(kinds []record.Kind) (sites, assets bool, err error) {
	if len(kinds) == 0 {
		return true, true, nil
	}
	for _, k := range kinds {
		switch k {
		case record.KindSite:
			sites = true
		case record.KindAsset:
			assets = true
		default:
			return false, false, fmt.Errorf("selecting kinds: the cwautomate connector does not fetch %q records", k)
		}
	}
	return sites, assets, nil
}

type run struct {
	s    *Source
	sink connector.Sink

	mu       sync.Mutex
	requests int
}

func (r *run) report(wait httpclient.Wait) {
	p := connector.Progress{Requests: r.requests, Waiting: wait.Delay}
	if b, ok := r.s.http.Budget(); ok {
		p.Budgeted, p.Budget = true, int(b)
	}
	r.sink.Progress(p)
}

func (r *run) onRequest() {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.requests++
	r.report(httpclient.Wait{})
}

func (r *run) onWait(w httpclient.Wait) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.report(w)
}

func (r *run) pagePath(resource string, page int) string {
	q := url.Values{"page": {strconv.Itoa(page)}, "pageSize": {strconv.Itoa(r.s.pageSize)}, "orderBy": {"Id asc"}}
	return "/" + resource + "?" + q.Encode()
}

// sites reads the clients (for their names), then the locations.
func (r *run) sites(ctx context.Context) error {
	clients := map[string]string{}
	var first json.Number
	for page := 1; ; page++ {
		var list []ref
		if err := r.s.getJSON(ctx, r.pagePath("clients", page), &list); err != nil {
			return fmt.Errorf("fetching clients page %d: %w", page, err)
		}
		if len(list) == 0 {
			break
		}
		if page > 1 && list[0].ID == first {
			return fmt.Errorf("fetching clients page %d: the server answered page %d again; it may not honour page", page, page-1)
		}
		first = list[0].ID
		for _, c := range list {
			clients[c.ID.String()] = c.Name
		}
	}
	first = ""
	for page := 1; ; page++ {
		var list []locationItem
		if err := r.s.getJSON(ctx, r.pagePath("locations", page), &list); err != nil {
			return fmt.Errorf("fetching locations page %d: %w", page, err)
		}
		if len(list) == 0 {
			return nil
		}
		if page > 1 && list[0].ID == first {
			return fmt.Errorf("fetching locations page %d: the server answered page %d again; it may not honour page", page, page-1)
		}
		first = list[0].ID
		recs := make([]record.Record, 0, len(list))
		for _, l := range list {
			rec, err := l.record(clients)
			if err != nil {
				return fmt.Errorf("locations page %d: %w", page, err)
			}
			recs = append(recs, rec)
		}
		if err := r.sink.Page(ctx, recs); err != nil {
			return fmt.Errorf("handling locations page %d: %w", page, err)
		}
	}
}

// computers pages through the computers by ID.
func (r *run) computers(ctx context.Context) error {
	var last int64
	for n := 1; ; n++ {
		cond := fmt.Sprintf("Id > %d", last)
		if r.s.condition != "" {
			cond = "(" + r.s.condition + ") and " + cond
		}
		q := url.Values{"page": {"1"}, "pageSize": {strconv.Itoa(r.s.pageSize)}, "orderBy": {"Id asc"}, "condition": {cond}}
		var list []computerItem
		if err := r.s.getJSON(ctx, "/computers?"+q.Encode(), &list); err != nil {
			return fmt.Errorf("fetching computers page %d (Id > %d): %w", n, last, err)
		}
		if len(list) == 0 {
			return nil
		}
		recs := make([]record.Record, 0, len(list))
		for _, c := range list {
			id, err := c.ID.Int64()
			if err != nil || id <= last {
				return fmt.Errorf("fetching computers page %d (Id > %d): the server returned computer %q out of order; it may not honour the condition", n, last, c.ID)
			}
			last = id
			rec, err := c.record(r.s.loc)
			if err != nil {
				return fmt.Errorf("computers page %d: %w", n, err)
			}
			recs = append(recs, rec)
		}
		if err := r.sink.Page(ctx, recs); err != nil {
			return fmt.Errorf("handling computers page %d: %w", n, err)
		}
	}
}
