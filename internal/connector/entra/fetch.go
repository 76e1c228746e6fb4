package entra

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"slices"

	"github.com/integrator-oss/integrator/internal/connector"
	"github.com/integrator-oss/integrator/internal/connector/msgraph"
	"github.com/integrator-oss/integrator/internal/httpclient"
	"github.com/integrator-oss/integrator/internal/record"
)

// Fetch streams the requested kinds, groups before users before contacts,
// one sink.Page per Graph page.
//
// It runs a full round (the initial delta requests) when req.Full is set,
// when the cursor is empty or unreadable, or when a requested kind other
// than contacts has no deltaLink in it; otherwise it follows the cursor's
// deltaLinks. Contacts missing from a cursor (an integration that just
// added them, or a cursor written before they were fetched) start alone
// with a full enumeration while users and groups follow their links; the
// result then reports Full only if every kind was enumerated. When Graph
// refuses a delta or skip token (410 Gone, syncStateNotFound,
// resyncRequired) it starts a full round of every kind once, and reports
// Full and Resynced; a second refusal fails the fetch. Records emitted
// before a restart are harmless: the engine applies them idempotently.
func (s *Source) Fetch(ctx context.Context, req connector.FetchRequest, sink connector.Sink) (connector.FetchResult, error) {
	list, err := selectResources(req.Kinds)
	if err != nil {
		return connector.FetchResult{}, err
	}
	cur, err := parseCursor(req.Cursor)
	resynced := false
	if err != nil {
		s.logger.Warn("ignoring an unreadable cursor; running a full round", "error", err)
		resynced = true
	}
	full := req.Full || req.Cursor == "" || err != nil
	for _, rs := range list {
		if cur.link(rs) == "" && !rs.standalone {
			full = true
		}
	}
	if !full {
		for _, rs := range list {
			if cur.link(rs) == "" {
				s.logger.Info("the cursor has no deltaLink for this kind; enumerating it in full", "kind", rs.kind)
			}
		}
	}

	r := &run{s: s, sink: sink}
	ctx = httpclient.WithHooks(ctx, httpclient.Hooks{OnRequest: r.onRequest, OnWait: r.onWait})
	for attempt := 1; ; attempt++ {
		next, err := r.round(ctx, list, cur, full)
		if err == nil {
			return connector.FetchResult{Cursor: next.String(), Full: full || enumeratesAll(list, cur), Resynced: resynced}, nil
		}
		var gerr *GraphError
		if !errors.As(err, &gerr) || !gerr.Resync() {
			return connector.FetchResult{}, err
		}
		if attempt > 1 {
			return connector.FetchResult{}, fmt.Errorf("graph refused a token again during the full resync: %w", err)
		}
		s.logger.Info("graph refused the delta state; restarting with a full round", "error", gerr)
		full, resynced = true, true
	}
}

// enumeratesAll reports whether a round that is not full still starts every
// kind of list from scratch, because cur has a link for none of them.
func enumeratesAll(list []resource, cur cursor) bool {
	for _, rs := range list {
		if cur.link(rs) != "" {
			return false
		}
	}
	return true
}

// selectResources returns the resources of kinds in fetch order; no kinds
// means every kind the connector fetches without being asked by name
// (groups and users: contacts need a permission of their own).
func selectResources(kinds []record.Kind) ([]resource, error) {
	if len(kinds) == 0 {
		var list []resource
		for _, rs := range resources {
			if !rs.onRequest {
				list = append(list, rs)
			}
		}
		return list, nil
	}
	for _, k := range kinds {
		if !slices.Contains(supportedKinds(), k) {
			return nil, fmt.Errorf("selecting kinds: the entra connector does not fetch %q records", k)
		}
	}
	var list []resource
	for _, rs := range resources {
		if slices.Contains(kinds, rs.kind) {
			list = append(list, rs)
		}
	}
	return list, nil
}

// run is the state of one Fetch.
type run struct {
	s        *Source
	sink     connector.Sink
	requests int
}

func (r *run) onRequest() {
	r.requests++
	r.sink.Progress(connector.Progress{Requests: r.requests})
}

func (r *run) onWait(w httpclient.Wait) {
	r.sink.Progress(connector.Progress{Requests: r.requests, Waiting: w.Delay})
}

// round walks every resource to its deltaLink and returns the new cursor.
// A full round, or a resource without a link in cur, starts from the
// resource's initial request.
func (r *run) round(ctx context.Context, list []resource, cur cursor, full bool) (cursor, error) {
	var next cursor
	for _, rs := range list {
		start := cur.link(rs)
		if full || start == "" {
			start = r.s.graph + rs.initial
		}
		link, err := r.walk(ctx, rs, start)
		if err != nil {
			return cursor{}, err
		}
		next.setLink(rs, link)
	}
	return next, nil
}

// walk follows one collection's links verbatim from start until a page
// carries a deltaLink, handing each page's records to the sink.
func (r *run) walk(ctx context.Context, rs resource, start string) (string, error) {
	link := start
	for n := 1; ; n++ {
		if err := ctx.Err(); err != nil {
			return "", err
		}
		p, err := r.page(ctx, rs, link)
		if err != nil {
			var gerr *GraphError
			if errors.As(err, &gerr) && gerr.StatusCode == http.StatusForbidden {
				return "", fmt.Errorf("fetching %s page %d (%s): the app needs the %s application permission (or Directory.Read.All) with admin consent: %w",
					rs.name, n, linkPath(link), rs.permission, err)
			}
			return "", fmt.Errorf("fetching %s page %d (%s): %w", rs.name, n, linkPath(link), err)
		}
		r.s.logger.Debug("fetched page", "kind", rs.kind, "page", n, "records", len(p.records), "last", p.delta != "")
		if len(p.records) > 0 {
			if err := r.sink.Page(ctx, p.records); err != nil {
				return "", fmt.Errorf("handling %s page %d: %w", rs.name, n, err)
			}
		}
		switch {
		case p.delta != "":
			return p.delta, nil
		case p.next == "":
			return "", fmt.Errorf("fetching %s page %d (%s): the page has neither @odata.nextLink nor @odata.deltaLink", rs.name, n, linkPath(link))
		}
		link = p.next
	}
}

// page fetches and decodes one page; the body is read to its end and closed
// before the records are handed on.
func (r *run) page(ctx context.Context, rs resource, link string) (page, error) {
	resp, err := r.s.get(ctx, link)
	if err != nil {
		return page{}, err
	}
	defer func() { _ = resp.Body.Close() }()
	p, err := decodePage(resp.Body, rs)
	if err != nil {
		if ctxErr := ctx.Err(); ctxErr != nil {
			return page{}, ctxErr
		}
		if cutShort(err) {
			// A body cut mid-way is transient: the job engine retries the run.
			return page{}, &connector.RetryableError{Err: fmt.Errorf("reading the response: %w", err)}
		}
		return page{}, fmt.Errorf("decoding the response: %w", err)
	}
	return p, nil
}

// cutShort reports a body that ended early or whose connection failed.
func cutShort(err error) bool { return msgraph.CutShort(err) }

// linkPath is the path of a link without its query (skip and delta tokens).
func linkPath(link string) string { return msgraph.LinkPath(link) }
