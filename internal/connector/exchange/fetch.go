package exchange

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"net/url"
	"strconv"
	"sync"
	"time"

	"github.com/integrator-oss/integrator/internal/connector"
	"github.com/integrator-oss/integrator/internal/connector/msgraph"
	"github.com/integrator-oss/integrator/internal/httpclient"
	"github.com/integrator-oss/integrator/internal/record"
)

// permission is the application permission calendar reads need.
const permission = "Calendars.Read"

// Source is an opened exchange connector.
type Source struct {
	logger *slog.Logger
	client *msgraph.Client
	cfg    Config
	now    func() time.Time
}

var (
	_ connector.Source  = (*Source)(nil)
	_ connector.Checker = (*Source)(nil)
	_ connector.Closer  = (*Source)(nil)
)

// Close releases idle connections. It is safe to call more than once.
func (s *Source) Close() error {
	s.client.HTTP().CloseIdleConnections()
	return nil
}

// window is the calendar window of a run: whole UTC days from WindowBack
// before today to WindowAhead after it.
func (s *Source) window() (time.Time, time.Time) {
	today := s.now().UTC().Truncate(24 * time.Hour)
	return today.AddDate(0, 0, -s.cfg.WindowBack.days()), today.AddDate(0, 0, s.cfg.WindowAhead.days())
}

// header is sent with every calendar request: Graph does not carry
// preferences into next and delta links.
func (s *Source) header() http.Header {
	return http.Header{"Prefer": {"odata.maxpagesize=" + strconv.Itoa(s.cfg.PageSize), `outlook.timezone="UTC"`}}
}

// Fetch reads every mailbox's calendar changes since its delta link, at
// most Concurrency mailboxes at a time and one request at a time per
// mailbox. A mailbox that fails is reported in FailedParts and keeps its
// old delta link; Fetch fails only when the mailboxes cannot be listed,
// when the sink fails, or when every mailbox failed.
//
// Window roll-forward: when the window of a mailbox's delta link is not
// today's window, the old link is drained first (so that deletions made
// since the last run are delivered), then a new round starts on the new
// window; events seen again keep their IDs. A full request drains every
// mailbox's old link the same way and then starts a new round, and reports
// the fetch full when every mailbox did; without a cursor, new rounds
// start at once.
func (s *Source) Fetch(ctx context.Context, req connector.FetchRequest, sink connector.Sink) (connector.FetchResult, error) {
	for _, k := range req.Kinds {
		if k != record.KindAppointment {
			return connector.FetchResult{}, fmt.Errorf("selecting kinds: the exchange connector does not fetch %q records", k)
		}
	}
	var res connector.FetchResult
	cur, err := decodeCursor(req.Cursor)
	if err != nil {
		s.logger.Warn("dropping an unreadable cursor; every mailbox starts over", "error", err)
		res.Resynced = true
		cur, _ = decodeCursor("")
	}

	var (
		mu       sync.Mutex // serialises the sink
		requests int
		sinkErr  error
	)
	progress := func(p connector.Progress) {
		mu.Lock()
		defer mu.Unlock()
		if p.Waiting == 0 {
			requests++
		}
		p.Requests = requests
		if b, ok := s.client.HTTP().Budget(); ok {
			p.Budgeted, p.Budget = true, int(b)
		}
		sink.Progress(p)
	}
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	ctx = httpclient.WithHooks(ctx, httpclient.Hooks{
		OnRequest: func() { progress(connector.Progress{}) },
		OnWait:    func(w httpclient.Wait) { progress(connector.Progress{Waiting: w.Delay}) },
	})
	emit := func(recs []record.Record) error {
		mu.Lock()
		defer mu.Unlock()
		if sinkErr != nil {
			return sinkErr
		}
		if err := sink.Page(ctx, recs); err != nil {
			sinkErr = err
			cancel()
			return err
		}
		return nil
	}

	refs, err := s.mailboxes(ctx, cur)
	if err != nil {
		return connector.FetchResult{}, err
	}
	var failed []connector.PartFailure
	ws, we := s.window()
	next := &cursor{V: cursorVersion, Mailboxes: make(map[string]*mailboxState, len(refs))}
	type outcome struct {
		ref      mailboxRef
		state    *mailboxState
		resynced bool
		err      error
	}
	outcomes := make([]outcome, len(refs))
	jobs := make(chan int)
	var wg sync.WaitGroup
	for range min(s.cfg.Concurrency, len(refs)) {
		wg.Go(func() {
			for i := range jobs {
				m := refs[i]
				if m.id == "" {
					u, err := s.lookupUser(ctx, m.entry)
					if err != nil {
						outcomes[i] = outcome{ref: m, err: fmt.Errorf("looking up the mailbox owner: %w", err)}
						continue
					}
					m.id, m.upn = u.ID, u.UPN
				}
				st, resynced, err := s.syncMailbox(ctx, m, cur.Mailboxes[m.id], ws, we, req.Full, emit)
				outcomes[i] = outcome{ref: m, state: st, resynced: resynced, err: err}
			}
		})
	}
feed:
	for i := range refs {
		select {
		case jobs <- i:
		case <-ctx.Done():
			break feed
		}
	}
	close(jobs)
	wg.Wait()
	if sinkErr != nil {
		return connector.FetchResult{}, fmt.Errorf("handling appointments: %w", sinkErr)
	}
	if err := ctx.Err(); err != nil {
		return connector.FetchResult{}, err
	}

	var firstErr error
	succeeded := 0
	done := map[string]bool{}
	for _, o := range outcomes {
		switch {
		case o.err != nil:
			if firstErr == nil {
				firstErr = fmt.Errorf("mailbox %s: %w", o.ref.name(), o.err)
			}
			part := o.ref.id
			if part == "" {
				part = o.ref.entry
			}
			failed = append(failed, connector.PartFailure{Part: part, Name: o.ref.name(), Err: o.err.Error()})
			if old := cur.Mailboxes[o.ref.id]; old != nil && !done[o.ref.id] {
				next.Mailboxes[o.ref.id] = old
			}
			s.logger.Warn("mailbox failed; it keeps its delta link", "mailbox", o.ref.name(), "error", o.err)
		case o.state == nil: // a user without a mailbox (source all)
		case done[o.ref.id]: // listed twice, by UPN and by ID
		default:
			succeeded++
			done[o.ref.id] = true
			next.Mailboxes[o.ref.id] = o.state
			res.Resynced = res.Resynced || o.resynced
		}
	}
	if succeeded == 0 && len(failed) > 0 && len(failed) == len(refs) {
		if firstErr == nil {
			firstErr = fmt.Errorf("mailbox %s: %s", failed[0].Name, failed[0].Err)
		}
		return connector.FetchResult{}, fmt.Errorf("every mailbox failed (%d); first: %w", len(failed), firstErr)
	}
	res.FailedParts = failed
	// Every mailbox started a new round: the engine may count this as the
	// integration's periodic full run.
	res.Full = req.Full && len(failed) == 0
	if res.Cursor, err = next.encode(); err != nil {
		return connector.FetchResult{}, err
	}
	return res, nil
}

// syncMailbox brings one mailbox up to date and returns its new state (nil
// for a user without a mailbox when that is allowed). fresh asks for a new
// round after the old link is drained, as a window roll-forward does.
func (s *Source) syncMailbox(ctx context.Context, m mailboxRef, old *mailboxState, ws, we time.Time, fresh bool,
	emit func([]record.Record) error) (*mailboxState, bool, error) {
	start, end := ws.Format(time.RFC3339), we.Format(time.RFC3339)
	state := &mailboxState{Entry: m.entry, UPN: m.upn, Start: start, End: end}
	resynced := false
	if old != nil && old.Delta != "" {
		sameWindow := old.Start == start && old.End == end
		delta, err := s.round(ctx, m, old.Delta, emit)
		switch {
		case err == nil && sameWindow && !fresh:
			state.Delta = delta
			return state, false, nil
		case err == nil:
			s.logger.Debug("calendar window rolled forward; starting a new round", "mailbox", m.name(), "from", old.Start, "to", start)
		case resync(err):
			s.logger.Warn("Exchange refused the mailbox's delta link; starting a new round (deletions since the last run may be missed)",
				"mailbox", m.name(), "error", err)
			resynced = true
		default:
			return nil, false, err
		}
	}
	q := url.Values{"startDateTime": {start}, "endDateTime": {end}}
	link := s.client.Base() + "/users/" + url.PathEscape(m.id) + "/calendarView/delta?" + q.Encode()
	delta, err := s.round(ctx, m, link, emit)
	if err != nil {
		if m.optional && noMailbox(err) {
			s.logger.Debug("user has no mailbox; skipped", "user", m.name())
			return nil, false, nil
		}
		return nil, false, err
	}
	state.Delta = delta
	return state, resynced, nil
}

// resync reports Exchange's refusal of a delta or skip token.
func resync(err error) bool {
	var gerr *msgraph.GraphError
	return errors.As(err, &gerr) && gerr.Resync()
}

// round follows link and its nextLinks to the deltaLink, emitting each
// page's records, and returns the deltaLink.
func (s *Source) round(ctx context.Context, m mailboxRef, link string, emit func([]record.Record) error) (string, error) {
	for n := 1; ; n++ {
		recs, l, err := s.page(ctx, m, link)
		if err != nil {
			var gerr *msgraph.GraphError
			if errors.As(err, &gerr) && gerr.StatusCode == http.StatusForbidden {
				return "", fmt.Errorf("page %d: the app needs the %s application permission with admin consent, and the mailbox must be within its application access policy: %w", n, permission, err)
			}
			return "", fmt.Errorf("page %d (%s): %w", n, msgraph.LinkPath(link), err)
		}
		if len(recs) > 0 {
			if err := emit(recs); err != nil {
				return "", err
			}
		}
		switch {
		case l.Delta != "":
			return l.Delta, nil
		case l.Next != "":
			link = l.Next
		default:
			return "", fmt.Errorf("page %d (%s): neither a nextLink nor a deltaLink", n, msgraph.LinkPath(link))
		}
	}
}

// page fetches and decodes one page.
func (s *Source) page(ctx context.Context, m mailboxRef, link string) ([]record.Record, msgraph.Links, error) {
	resp, err := s.client.GetWithHeader(ctx, link, s.header())
	if err != nil {
		return nil, msgraph.Links{}, err
	}
	defer func() { _ = resp.Body.Close() }()
	var recs []record.Record
	l, err := msgraph.DecodeCollection(resp.Body, func(dec *json.Decoder) error {
		var ev event
		if err := dec.Decode(&ev); err != nil {
			return err
		}
		rec, err := ev.record(m)
		if err != nil {
			return err
		}
		recs = append(recs, rec)
		return nil
	})
	if err != nil {
		if ctxErr := ctx.Err(); ctxErr != nil {
			return nil, l, ctxErr
		}
		if msgraph.CutShort(err) {
			return nil, l, &connector.RetryableError{Err: fmt.Errorf("reading the response: %w", err)}
		}
		return nil, l, fmt.Errorf("decoding the response: %w", err)
	}
	return recs, l, nil
}
