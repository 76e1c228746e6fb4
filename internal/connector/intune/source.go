package intune

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"strconv"

	"github.com/integrator-oss/integrator/internal/connector"
	"github.com/integrator-oss/integrator/internal/connector/msgraph"
	"github.com/integrator-oss/integrator/internal/httpclient"
	"github.com/integrator-oss/integrator/internal/record"
)

// permission is the application permission the connector needs.
const permission = "DeviceManagementManagedDevices.Read.All"

// Source is an opened intune connector.
type Source struct {
	logger   *slog.Logger
	client   *msgraph.Client
	pageSize int
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

// listURL is the first request of a listing.
func (s *Source) listURL() string {
	return s.client.Base() + "/deviceManagement/managedDevices?$top=" + strconv.Itoa(s.pageSize) + "&$select=" + deviceSelect
}

// Fetch lists every managed device, one sink.Page per Graph page, following
// @odata.nextLink verbatim to the last page. Intune has no delta for
// devices, so every fetch is full and returns no cursor; a failing page
// fails the fetch.
func (s *Source) Fetch(ctx context.Context, req connector.FetchRequest, sink connector.Sink) (connector.FetchResult, error) {
	for _, k := range req.Kinds {
		if k != record.KindAsset {
			return connector.FetchResult{}, fmt.Errorf("selecting kinds: the intune connector does not fetch %q records", k)
		}
	}
	requests := 0
	progress := func(p connector.Progress) {
		p.Requests = requests
		if b, ok := s.client.HTTP().Budget(); ok {
			p.Budgeted, p.Budget = true, int(b)
		}
		sink.Progress(p)
	}
	ctx = httpclient.WithHooks(ctx, httpclient.Hooks{
		OnRequest: func() { requests++; progress(connector.Progress{}) },
		OnWait:    func(w httpclient.Wait) { progress(connector.Progress{Waiting: w.Delay}) },
	})
	link := s.listURL()
	for n := 1; link != ""; n++ {
		if err := ctx.Err(); err != nil {
			return connector.FetchResult{}, err
		}
		recs, next, err := s.page(ctx, link)
		if err != nil {
			var gerr *msgraph.GraphError
			if errors.As(err, &gerr) && gerr.StatusCode == http.StatusForbidden {
				return connector.FetchResult{}, fmt.Errorf("fetching managed devices page %d: the app needs the %s application permission with admin consent: %w", n, permission, err)
			}
			return connector.FetchResult{}, fmt.Errorf("fetching managed devices page %d (%s): %w", n, msgraph.LinkPath(link), err)
		}
		s.logger.Debug("fetched page", "page", n, "devices", len(recs), "last", next == "")
		if len(recs) > 0 {
			if err := sink.Page(ctx, recs); err != nil {
				return connector.FetchResult{}, fmt.Errorf("handling managed devices page %d: %w", n, err)
			}
		}
		link = next
	}
	return connector.FetchResult{Full: true}, nil
}

// page fetches and decodes one page; the body is read to its end and closed
// before the records are handed on.
func (s *Source) page(ctx context.Context, link string) ([]record.Record, string, error) {
	resp, err := s.client.Get(ctx, link)
	if err != nil {
		return nil, "", err
	}
	defer func() { _ = resp.Body.Close() }()
	var recs []record.Record
	l, err := msgraph.DecodeCollection(resp.Body, func(dec *json.Decoder) error {
		var d device
		if err := dec.Decode(&d); err != nil {
			return err
		}
		rec, err := d.record()
		if err != nil {
			return err
		}
		recs = append(recs, rec)
		return nil
	})
	if err != nil {
		if ctxErr := ctx.Err(); ctxErr != nil {
			return nil, "", ctxErr
		}
		if msgraph.CutShort(err) {
			return nil, "", &connector.RetryableError{Err: fmt.Errorf("reading the response: %w", err)}
		}
		return nil, "", fmt.Errorf("decoding the response: %w", err)
	}
	return recs, l.Next, nil
}

// Check gets an access token and reads one device. A refused credential
// wraps connector.ErrUnauthorized; a missing permission wraps
// connector.ErrForbidden and names the permission to grant.
func (s *Source) Check(ctx context.Context) error {
	if _, err := s.client.Token(ctx); err != nil {
		return fmt.Errorf("checking the credentials: %w", err)
	}
	resp, err := s.client.Get(ctx, s.client.Base()+"/deviceManagement/managedDevices?$top=1&$select=id")
	if err != nil {
		var gerr *msgraph.GraphError
		if errors.As(err, &gerr) && gerr.StatusCode == http.StatusForbidden {
			return fmt.Errorf("checking access to managed devices: the app needs the %s application permission with admin consent: %w", permission, err)
		}
		return fmt.Errorf("checking access to managed devices: %w", err)
	}
	_ = resp.Body.Close()
	return nil
}
