package datto

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/url"
	"slices"
	"strconv"
	"sync"
	"syscall"

	"github.com/integrator-oss/integrator/internal/connector"
	"github.com/integrator-oss/integrator/internal/httpclient"
	"github.com/integrator-oss/integrator/internal/record"
)

// Fetch lists every site, then every device, one sink.Page per API page.
// Datto has no delta: every run is a full listing and the result says so.
//
// Each device page is followed by the audits of its devices (devices,
// ESXi hosts and printers, each from its class's audit endpoint) that are
// new or whose lastAuditDate moved since the cursor was written, fetched
// AuditConcurrency at a time; the other devices are emitted with the audit
// data the cursor keeps. An unreadable cursor only means auditing every
// device again. Any failed page or audit fails the fetch, except an audit
// Datto refuses for the device itself (404, 400): that device keeps its
// last known audit data.
func (s *Source) Fetch(ctx context.Context, req connector.FetchRequest, sink connector.Sink) (connector.FetchResult, error) {
	wantSites, wantAssets, err := selectKinds(req.Kinds)
	if err != nil {
		return connector.FetchResult{}, err
	}
	prev, err := parseCursor(req.Cursor)
	cursor := req.Cursor
	if err != nil {
		s.logger.Warn("ignoring an unreadable cursor; every device will be audited again", "error", err)
		cursor = ""
	}
	r := &run{s: s, sink: sink}
	ctx = httpclient.WithHooks(ctx, httpclient.Hooks{OnRequest: r.onRequest, OnWait: r.onWait})
	if wantSites {
		if err := r.sites(ctx); err != nil {
			return connector.FetchResult{}, err
		}
	}
	if wantAssets {
		next, order, err := r.devices(ctx, prev)
		if err != nil {
			return connector.FetchResult{}, err
		}
		if cursor, err = next.encode(order); err != nil {
			return connector.FetchResult{}, err
		}
		s.logger.Info("listed datto devices", "devices", len(order), "audits", r.audits, "requests", r.requestCount())
	}
	return connector.FetchResult{Cursor: cursor, Full: true}, nil
}

// selectKinds reads the requested kinds; none means both.
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
			return false, false, fmt.Errorf("selecting kinds: the datto connector does not fetch %q records", k)
		}
	}
	return sites, assets, nil
}

// run is the state of one Fetch.
type run struct {
	s    *Source
	sink connector.Sink

	mu       sync.Mutex
	requests int
	audits   int

	// orgNames are the organisation names of the sites listed in this run
	// (the PSA company when the site has one), for the devices to carry.
	orgNames map[string]string
}

func (r *run) requestCount() int {
	r.mu.Lock()
	defer r.mu.Unlock()
	return r.requests
}

func (r *run) progress(waiting bool, w httpclient.Wait) {
	p := connector.Progress{Requests: r.requests}
	if b, ok := r.s.http.Budget(); ok {
		p.Budgeted, p.Budget = true, int(b)
	}
	if waiting {
		p.Waiting = w.Delay
	}
	r.sink.Progress(p)
}

func (r *run) onRequest() {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.requests++
	r.progress(false, httpclient.Wait{})
}

func (r *run) onWait(w httpclient.Wait) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.progress(true, w)
}

type pageDetails struct {
	TotalCount  int     `json:"totalCount"`
	NextPageURL *string `json:"nextPageUrl"`
}

func (r *run) firstPage(path string) string {
	q := url.Values{"max": {strconv.Itoa(r.s.pageSize)}, "page": {"0"}}
	return r.s.base + path + "?" + q.Encode()
}

func (r *run) sites(ctx context.Context) error {
	link := r.firstPage("/api/v2/account/sites")
	for n := 1; ; n++ {
		var p struct {
			PageDetails *pageDetails `json:"pageDetails"`
			Sites       []siteItem   `json:"sites"`
		}
		if err := r.getJSON(ctx, link, &p); err != nil {
			return fmt.Errorf("fetching sites page %d (%s): %w", n, linkPath(link), err)
		}
		if p.PageDetails == nil {
			return fmt.Errorf("fetching sites page %d (%s): the page has no pageDetails", n, linkPath(link))
		}
		recs := make([]record.Record, 0, len(p.Sites))
		for _, st := range p.Sites {
			rec, err := st.record()
			if err != nil {
				return fmt.Errorf("sites page %d: %w", n, err)
			}
			if r.orgNames == nil {
				r.orgNames = map[string]string{}
			}
			r.orgNames[st.UID] = rec.Attrs[record.AttrSourceOrgName]
			recs = append(recs, rec)
		}
		if len(recs) > 0 {
			if err := r.sink.Page(ctx, recs); err != nil {
				return fmt.Errorf("handling sites page %d: %w", n, err)
			}
		}
		if p.PageDetails.NextPageURL == nil || *p.PageDetails.NextPageURL == "" {
			return nil
		}
		if *p.PageDetails.NextPageURL == link {
			return fmt.Errorf("fetching sites page %d (%s): nextPageUrl points to the page itself", n, linkPath(link))
		}
		link = *p.PageDetails.NextPageURL
	}
}

// devices lists every device and returns the new audit cache with the
// listing order of the devices it holds.
//
// Datto pages by page number, so a device removed while the listing runs
// shifts the later pages and can hide a device that stays. When the
// listing's totalCount shrinks during a pass, one more pass emits the
// devices the first one did not see; if the account shrinks again during
// that pass, the fetch fails with a retryable error rather than hand the
// engine a listing that may miss devices.
func (r *run) devices(ctx context.Context, prev auditCache) (auditCache, []string, error) {
	l := &listing{prev: prev, next: auditCache{}, seen: map[string]struct{}{}}
	for pass := 1; ; pass++ {
		shrank, err := r.devicePass(ctx, l)
		if err != nil {
			return nil, nil, err
		}
		switch {
		case !shrank:
			return l.next, l.order, nil
		case pass == 2:
			return nil, nil, &connector.RetryableError{Err: errors.New(
				"listing devices: devices were removed at the source during two passes of the listing; a device may have been skipped")}
		}
		r.s.logger.Info("devices were removed during the listing; listing again for devices the shifted pages hid")
	}
}

// listing is the state of the device listing across passes.
type listing struct {
	prev, next auditCache
	order      []string
	seen       map[string]struct{}
}

// devicePass lists the devices once, emitting those not seen before, and
// reports whether the listing's totalCount shrank on the way.
func (r *run) devicePass(ctx context.Context, l *listing) (shrank bool, err error) {
	link := r.firstPage("/api/v2/account/devices")
	total := -1
	for n := 1; ; n++ {
		var p struct {
			PageDetails *pageDetails `json:"pageDetails"`
			Devices     []deviceItem `json:"devices"`
		}
		if err := r.getJSON(ctx, link, &p); err != nil {
			return false, fmt.Errorf("fetching devices page %d (%s): %w", n, linkPath(link), err)
		}
		if p.PageDetails == nil {
			return false, fmt.Errorf("fetching devices page %d (%s): the page has no pageDetails", n, linkPath(link))
		}
		if total >= 0 && p.PageDetails.TotalCount < total {
			shrank = true
		}
		total = p.PageDetails.TotalCount
		// Shifted pages can also repeat a device: the first sighting counts.
		devs := slices.DeleteFunc(p.Devices, func(d deviceItem) bool {
			_, dup := l.seen[d.UID]
			l.seen[d.UID] = struct{}{}
			return dup && d.UID != ""
		})
		if err := r.emitDevices(ctx, l, devs, n); err != nil {
			return false, err
		}
		next := ""
		if p.PageDetails.NextPageURL != nil {
			next = *p.PageDetails.NextPageURL
		}
		switch next {
		case "":
			return shrank, nil
		case link:
			return false, fmt.Errorf("fetching devices page %d (%s): nextPageUrl points to the page itself", n, linkPath(link))
		}
		link = next
	}
}

// emitDevices audits the devices of one page that need it and hands the
// page's records to the sink.
func (r *run) emitDevices(ctx context.Context, l *listing, devs []deviceItem, n int) error {
	var need []deviceItem
	for _, d := range devs {
		c, known := l.prev[d.UID]
		if d.auditPath() != "" && (!known || (d.LastAuditDate.millis() != 0 && c.at != d.LastAuditDate.millis())) {
			need = append(need, d)
		}
	}
	fresh, err := r.auditAll(ctx, need)
	if err != nil {
		return err
	}
	recs := make([]record.Record, 0, len(devs))
	for _, d := range devs {
		var a *auditData
		if f := fresh[d.UID]; f != nil {
			a = f
			l.next[d.UID] = cachedAudit{at: d.LastAuditDate.millis(), auditData: *f}
		} else if c, ok := l.prev[d.UID]; ok {
			// Not audited this run, or its audit was refused: the last
			// known audit, under its old date so that a refused audit is
			// tried again next run.
			a = &c.auditData
			l.next[d.UID] = c
		}
		rec, err := d.record(a)
		if err != nil {
			return fmt.Errorf("devices page %d: %w", n, err)
		}
		if name, ok := r.orgNames[d.SiteUID]; ok {
			rec.Attrs[record.AttrSourceOrgName] = name
		}
		recs = append(recs, rec)
		if _, ok := l.next[d.UID]; ok {
			l.order = append(l.order, d.UID)
		}
	}
	if len(recs) == 0 {
		return nil
	}
	if err := r.sink.Page(ctx, recs); err != nil {
		return fmt.Errorf("handling devices page %d: %w", n, err)
	}
	return nil
}

// auditAll fetches the audits of devs, AuditConcurrency at a time. The map
// holds nil for a device that no longer exists. The first failure cancels
// the rest and is returned.
func (r *run) auditAll(ctx context.Context, devs []deviceItem) (map[string]*auditData, error) {
	out := make(map[string]*auditData, len(devs))
	if len(devs) == 0 {
		return out, nil
	}
	ctx, cancel := context.WithCancelCause(ctx)
	defer cancel(nil)
	var (
		mu   sync.Mutex
		wg   sync.WaitGroup
		work = make(chan deviceItem)
	)
	for range min(r.s.concurrency, len(devs)) {
		wg.Go(func() {
			for d := range work {
				a, err := r.audit(ctx, d)
				if err != nil {
					cancel(fmt.Errorf("fetching the audit of device %s (%s): %w", d.UID, d.Hostname, err))
					continue
				}
				mu.Lock()
				out[d.UID] = a
				r.audits++
				mu.Unlock()
			}
		})
	}
feed:
	for _, d := range devs {
		select {
		case work <- d:
		case <-ctx.Done():
			break feed
		}
	}
	close(work)
	wg.Wait()
	if err := context.Cause(ctx); err != nil {
		return nil, err
	}
	return out, nil
}

// audit fetches one device's audit. A 404 (the device went away since the
// listing) or a 400 (Datto will not audit this device) gives nil: the
// device keeps its last known audit data, if any, and is tried again next
// run. Anything else fails the fetch.
func (r *run) audit(ctx context.Context, d deviceItem) (*auditData, error) {
	var a auditItem
	err := r.getJSON(ctx, r.s.base+d.auditPath()+url.PathEscape(d.UID), &a)
	var ae *APIError
	if errors.As(err, &ae) && (ae.StatusCode == http.StatusNotFound || ae.StatusCode == http.StatusBadRequest) {
		r.s.logger.Warn("datto gave no audit for a device; emitting its last known audit data", "device", d.UID,
			"hostname", d.Hostname, "class", d.DeviceClass, "error", err)
		return nil, nil
	}
	if err != nil {
		return nil, err
	}
	data := a.data()
	return &data, nil
}

// getJSON fetches link and decodes its JSON body into v. A body cut short
// is a retryable error; one that is not the expected JSON is not.
func (r *run) getJSON(ctx context.Context, link string, v any) error {
	resp, err := r.s.get(ctx, link)
	if err != nil {
		return err
	}
	defer func() { _ = resp.Body.Close() }()
	dec := json.NewDecoder(resp.Body)
	if err := dec.Decode(v); err != nil {
		if ctxErr := ctx.Err(); ctxErr != nil {
			return ctxErr
		}
		if cutShort(err) {
			return &connector.RetryableError{Err: fmt.Errorf("reading the response: %w", err)}
		}
		return fmt.Errorf("decoding the response: %w", err)
	}
	if _, err := dec.Token(); !errors.Is(err, io.EOF) {
		return errors.New("decoding the response: unexpected data after the JSON object")
	}
	return nil
}

func cutShort(err error) bool {
	var ne net.Error
	return errors.Is(err, io.ErrUnexpectedEOF) || errors.Is(err, syscall.ECONNRESET) || errors.As(err, &ne)
}
