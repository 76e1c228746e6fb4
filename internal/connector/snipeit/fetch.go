package snipeit

import (
	"context"
	"fmt"
	"net/url"
	"slices"
	"strconv"

	"github.com/integrator-oss/integrator/internal/connector"
	"github.com/integrator-oss/integrator/internal/httpclient"
	"github.com/integrator-oss/integrator/internal/record"
)

// maxRewinds bounds how often one listing steps back after assets vanished
// under it, so an instance that churns faster than it can be read fails
// the run instead of looping.
const maxRewinds = 1000

// Fetch lists the requested kinds, locations before assets, and hands them
// to the sink page by page. Snipe-IT has no change feed, so every fetch is
// a full listing (FetchResult.Full, no cursor). A page that fails after the
// HTTP client's retries, or that Snipe-IT answers with status "error",
// fails the whole fetch, so the engine deactivates nothing.
func (s *Source) Fetch(ctx context.Context, req connector.FetchRequest, sink connector.Sink) (connector.FetchResult, error) {
	kinds := req.Kinds
	if len(kinds) == 0 {
		kinds = supportedKinds()
	}
	for _, k := range kinds {
		if !slices.Contains(supportedKinds(), k) {
			return connector.FetchResult{}, fmt.Errorf("selecting kinds: the snipeit connector does not fetch %q records", k)
		}
	}
	r := &run{s: s, sink: sink}
	ctx = httpclient.WithHooks(ctx, httpclient.Hooks{OnRequest: r.onRequest, OnWait: r.onWait})
	if slices.Contains(kinds, record.KindSite) {
		if err := r.locations(ctx); err != nil {
			return connector.FetchResult{}, err
		}
	}
	if slices.Contains(kinds, record.KindAsset) {
		if err := r.assets(ctx, false); err != nil {
			return connector.FetchResult{}, err
		}
		if err := r.assets(ctx, true); err != nil {
			return connector.FetchResult{}, err
		}
	}
	return connector.FetchResult{Full: true}, nil
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

// locations lists the locations by offset (there are few, and they have
// no order that survives a deletion mid-listing better than ID order).
func (r *run) locations(ctx context.Context) error {
	offset := 0
	for page := 1; ; page++ {
		var resp list[location]
		q := url.Values{"limit": {strconv.Itoa(r.s.pageSize)}, "offset": {strconv.Itoa(offset)}, "sort": {"id"}, "order": {"asc"}}
		if err := r.s.get(ctx, "locations", q, &resp); err != nil {
			return fmt.Errorf("listing locations, page %d: %w", page, err)
		}
		recs := make([]record.Record, 0, len(resp.Rows))
		for _, l := range resp.Rows {
			recs = append(recs, siteRecord(l))
		}
		if len(recs) > 0 {
			if err := r.sink.Page(ctx, recs); err != nil {
				return err
			}
		}
		offset += len(resp.Rows)
		if len(resp.Rows) == 0 || offset >= resp.Total {
			return nil
		}
	}
}

// assets lists the hardware (or, with deleted, the soft-deleted hardware)
// in ascending ID order. Offset paging skips an asset when one before it
// is deleted between two pages, so each page overlaps the previous one by
// one asset: when the page no longer starts at or before the last asset
// seen, assets have vanished in between, and the listing steps back a page
// and resumes after that asset. Assets added during the run get higher IDs
// and come at the end.
func (r *run) assets(ctx context.Context, deleted bool) error {
	what := "hardware"
	if deleted {
		what = "deleted hardware"
	}
	offset, last, rewinds := 0, 0, 0
	for page := 1; ; page++ {
		var resp list[asset]
		q := url.Values{"limit": {strconv.Itoa(r.s.pageSize)}, "offset": {strconv.Itoa(offset)}, "sort": {"id"}, "order": {"asc"}}
		if deleted {
			q.Set("status", "Deleted")
		}
		if err := r.s.get(ctx, "hardware", q, &resp); err != nil {
			return fmt.Errorf("listing %s, page %d (offset %d): %w", what, page, offset, err)
		}
		rows := resp.Rows
		if offset > 0 && (len(rows) == 0 || rows[0].ID > last) {
			rewinds++
			if rewinds > maxRewinds {
				return fmt.Errorf("listing %s: assets keep vanishing under the listing (%d rewinds); try again when the instance is quieter", what, rewinds)
			}
			r.s.logger.Debug("assets vanished between pages; stepping back", "listing", what, "offset", offset, "last_id", last)
			offset = max(0, offset-max(len(rows), r.s.pageSize))
			continue
		}
		recs := make([]record.Record, 0, len(rows))
		for _, a := range rows {
			if a.ID <= last {
				continue
			}
			recs = append(recs, r.s.assetRecord(a, deleted))
			last = a.ID
		}
		r.s.logger.Debug("fetched page", "listing", what, "page", page, "records", len(recs), "total", resp.Total)
		if len(recs) > 0 {
			if err := r.sink.Page(ctx, recs); err != nil {
				return err
			}
		}
		if len(rows) == 0 || offset+len(rows) >= resp.Total {
			return nil
		}
		if len(rows) > 1 {
			offset += len(rows) - 1
		} else {
			offset += len(rows)
		}
	}
}
