package ninjaone

import (
	"context"
	"fmt"
	"net/url"
	"slices"
	"strconv"
	"time"

	"github.com/integrator-oss/integrator/internal/connector"
	"github.com/integrator-oss/integrator/internal/httpclient"
	"github.com/integrator-oss/integrator/internal/record"
)

// Fetch lists everything the requested kinds need, every run (NinjaOne has
// no delta API):
//
//  1. the organisations and then the locations (keyset paging with
//     pageSize and after), each location a site record;
//  2. per organisation, the inventory queries (computer systems,
//     operating systems, network interfaces, logged-on users, software)
//     with df "org = ID", each read through its cursor to an empty page;
//  3. per organisation, the devices (devices-detailed with the same
//     filter, keyset paging), each page joined with the organisation's
//     inventory and handed to the sink.
//
// Memory grows with the largest organisation's inventory, not with the
// instance. A failing page fails the fetch; the result is always Full.
func (s *Source) Fetch(ctx context.Context, req connector.FetchRequest, sink connector.Sink) (connector.FetchResult, error) {
	sites, assets := len(req.Kinds) == 0, len(req.Kinds) == 0
	for _, k := range req.Kinds {
		switch k {
		case record.KindSite:
			sites = true
		case record.KindAsset:
			assets = true
		default:
			return connector.FetchResult{}, fmt.Errorf("selecting kinds: the ninjaone connector does not fetch %q records", k)
		}
	}
	r := &run{s: s, sink: sink}
	ctx = httpclient.WithHooks(ctx, httpclient.Hooks{
		OnRequest: func() { r.requests++; r.progress(0) },
		OnWait:    func(w httpclient.Wait) { r.progress(w.Delay) },
	})

	orgs, err := r.organizations(ctx)
	if err != nil {
		return connector.FetchResult{}, err
	}
	locs, err := r.locations(ctx, orgs, sites)
	if err != nil {
		return connector.FetchResult{}, err
	}
	if assets {
		ids := make([]int, 0, len(orgs))
		for id := range orgs {
			ids = append(ids, id)
		}
		slices.Sort(ids)
		for _, org := range ids {
			if err := r.organizationDevices(ctx, org, orgs, locs); err != nil {
				return connector.FetchResult{}, err
			}
		}
	}
	s.logger.Debug("fetch complete", "requests", r.requests, "organizations", len(orgs), "locations", len(locs))
	return connector.FetchResult{Full: true}, nil
}

// run is the state of one Fetch.
type run struct {
	s        *Source
	sink     connector.Sink
	requests int
}

func (r *run) progress(wait time.Duration) {
	p := connector.Progress{Requests: r.requests, Waiting: wait}
	if b, ok := r.s.http.Budget(); ok {
		p.Budgeted, p.Budget = true, int(b)
	}
	r.sink.Progress(p)
}

type organization struct {
	ID   int    `json:"id"`
	Name string `json:"name"`
}

type location struct {
	ID             int    `json:"id"`
	Name           string `json:"name"`
	OrganizationID int    `json:"organizationId"`
}

// keyset pages through a list: pageSize and after (the last ID seen),
// until a page is shorter than pageSize.
func keyset[T any](ctx context.Context, r *run, what, path string, id func(*T) int, page func([]T) error) error {
	after := 0
	for n := 1; ; n++ {
		if err := ctx.Err(); err != nil {
			return err
		}
		q := path + sep(path) + "pageSize=" + strconv.Itoa(r.s.pageSize)
		if after > 0 {
			q += "&after=" + strconv.Itoa(after)
		}
		var items []T
		if err := r.s.getJSON(ctx, q, &items); err != nil {
			return fmt.Errorf("fetching %s page %d: %w", what, n, err)
		}
		got := len(items)
		if got > 0 && after > 0 && id(&items[0]) == after {
			// An "after" that includes its own ID repeats the last item
			// of the previous page; the keyset still moves forward.
			items = items[1:]
		}
		for i := range items {
			v := id(&items[i])
			if v <= after {
				return fmt.Errorf("fetching %s page %d: id %d does not follow %d: the keyset order broke", what, n, v, after)
			}
			after = v
		}
		if err := page(items); err != nil {
			return err
		}
		if got < r.s.pageSize || len(items) == 0 {
			return nil
		}
	}
}

func sep(path string) string {
	for i := range len(path) {
		if path[i] == '?' {
			return "&"
		}
	}
	return "?"
}

func (r *run) organizations(ctx context.Context) (map[int]string, error) {
	orgs := map[int]string{}
	err := keyset(ctx, r, "organizations", "/v2/organizations", func(o *organization) int { return o.ID },
		func(page []organization) error {
			for _, o := range page {
				orgs[o.ID] = o.Name
			}
			return nil
		})
	return orgs, err
}

// locations lists the locations and, when sites is set, hands each page to
// the sink as site records.
func (r *run) locations(ctx context.Context, orgs map[int]string, sites bool) (map[int]location, error) {
	locs := map[int]location{}
	n := 0
	err := keyset(ctx, r, "locations", "/v2/locations", func(l *location) int { return l.ID },
		func(page []location) error {
			n++
			recs := make([]record.Record, 0, len(page))
			for _, l := range page {
				locs[l.ID] = l
				recs = append(recs, siteRecord(l, orgs[l.OrganizationID]))
			}
			if sites && len(recs) > 0 {
				if err := r.sink.Page(ctx, recs); err != nil {
					return fmt.Errorf("handling locations page %d: %w", n, err)
				}
			}
			return nil
		})
	return locs, err
}

// organizationDevices reads one organisation's inventory and then its
// devices, page by page.
func (r *run) organizationDevices(ctx context.Context, org int, orgs map[int]string, locs map[int]location) error {
	df := "df=" + url.QueryEscape("org = "+strconv.Itoa(org))
	inv, err := r.inventory(ctx, df)
	if err != nil {
		return fmt.Errorf("organisation %d (%s): %w", org, orgs[org], err)
	}
	n := 0
	err = keyset(ctx, r, "devices", "/v2/devices-detailed?"+df, func(d *device) int { return d.ID },
		func(page []device) error {
			n++
			recs := make([]record.Record, 0, len(page))
			for i := range page {
				d := &page[i]
				rec, err := d.record(orgs, locs, inv)
				if err != nil {
					return err
				}
				recs = append(recs, rec)
			}
			if len(recs) == 0 {
				return nil
			}
			if err := r.sink.Page(ctx, recs); err != nil {
				return fmt.Errorf("handling devices page %d: %w", n, err)
			}
			return nil
		})
	if err != nil {
		return fmt.Errorf("organisation %d (%s): %w", org, orgs[org], err)
	}
	return nil
}

// inventory reads the five queries of one device filter.
func (r *run) inventory(ctx context.Context, df string) (*inventory, error) {
	inv := newInventory()
	if err := cursorQuery(ctx, r, "computer-systems", df, func(c *computerSystem) { inv.systems[c.DeviceID] = *c }); err != nil {
		return nil, err
	}
	if err := cursorQuery(ctx, r, "operating-systems", df, func(o *operatingSystem) { inv.os[o.DeviceID] = *o }); err != nil {
		return nil, err
	}
	if err := cursorQuery(ctx, r, "network-interfaces", df, func(n *networkInterface) {
		inv.nics[n.DeviceID] = append(inv.nics[n.DeviceID], *n)
	}); err != nil {
		return nil, err
	}
	if err := cursorQuery(ctx, r, "logged-on-users", df, func(u *loggedOnUser) {
		if cur, ok := inv.users[u.DeviceID]; !ok || u.LogonTime > cur.LogonTime {
			inv.users[u.DeviceID] = *u
		}
	}); err != nil {
		return nil, err
	}
	if err := cursorQuery(ctx, r, "software", df, func(sw *softwareItem) {
		inv.software[sw.DeviceID] = append(inv.software[sw.DeviceID], *sw)
	}); err != nil {
		return nil, err
	}
	return inv, nil
}

// queryPage is one page of a /v2/queries report.
type queryPage[T any] struct {
	Cursor *struct {
		Name string `json:"name"`
	} `json:"cursor"`
	Results []T `json:"results"`
}

// cursorQuery reads one /v2/queries report: the first request opens a
// cursor with the filter and page size, the next ones pass its name, until
// a page has no results.
func cursorQuery[T any](ctx context.Context, r *run, name, df string, each func(*T)) error {
	path := "/v2/queries/" + name + "?" + df + "&pageSize=" + strconv.Itoa(r.s.pageSize)
	for n := 1; ; n++ {
		if err := ctx.Err(); err != nil {
			return err
		}
		var p queryPage[T]
		if err := r.s.getJSON(ctx, path, &p); err != nil {
			return fmt.Errorf("fetching %s page %d: %w", name, n, err)
		}
		for i := range p.Results {
			each(&p.Results[i])
		}
		if len(p.Results) == 0 {
			return nil
		}
		if p.Cursor == nil || p.Cursor.Name == "" {
			return fmt.Errorf("fetching %s page %d: a page with results but no cursor name", name, n)
		}
		path = "/v2/queries/" + name + "?cursor=" + url.QueryEscape(p.Cursor.Name)
	}
}
