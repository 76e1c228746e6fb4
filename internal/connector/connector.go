// Package connector defines what a source system is to the engine: something
// that streams normalised records, page by page, and hands back a cursor for
// the next run. Implementations live in subpackages, one per vendor; the
// registry of them lives in connector/all.
//
// A connector only fetches and normalises. It never reads or writes the
// store, never filters beyond what the vendor API offers and never decides
// what to deactivate.
package connector

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"time"

	"github.com/integrator-oss/integrator/internal/record"
)

// Source is an opened connector for one integration.
type Source interface {
	// Fetch streams the source's objects of the requested kinds to sink.
	//
	// With req.Cursor empty or req.Full set, Fetch enumerates everything
	// (a full run). Otherwise it returns only what changed since the cursor
	// was issued, if the source supports that (see Incremental).
	//
	// Fetch calls sink.Page sequentially, never concurrently, in the order
	// the source returned the data, and stops at the first error sink
	// returns. It must return when ctx is cancelled.
	//
	// Fetch returns a nil error only when it has delivered everything the
	// source had: if any page fails after retries, it returns an error, and
	// the engine treats the run as failed ("stale, not partial") and moves
	// neither the cursor nor anything to inactive.
	Fetch(ctx context.Context, req FetchRequest, sink Sink) (FetchResult, error)
}

// Sink receives pages of records from Fetch.
type Sink interface {
	// Page handles one page. The records are owned by the sink once passed.
	Page(ctx context.Context, records []record.Record) error
	// Progress reports fetch progress (requests made, waits for throttling);
	// it is informational and must be cheap.
	Progress(p Progress)
}

// Progress is what a connector tells about its own work.
type Progress struct {
	Requests int
	// Budgeted says the integration has a request budget (a token
	// bucket), and Budget is how many requests it allows right now.
	Budgeted bool
	Budget   int
	// Waiting is set while the connector sleeps for a Retry-After.
	Waiting time.Duration
}

// FetchRequest says what a run asks of a source.
type FetchRequest struct {
	// Kinds are the entity kinds the integration imports.
	Kinds []record.Kind
	// Cursor is the value a previous successful run returned, or "". A
	// full run carries it too, for sources that must deliver what their
	// state still owes (a calendar's pending removals) before enumerating
	// again; most ignore it when Full is set.
	Cursor string
	// Full asks for a full enumeration even when Cursor is set.
	Full bool
}

// FetchResult is what a successful Fetch hands back.
type FetchResult struct {
	// Cursor is the state the next run passes back to fetch only changes.
	// Empty when the source has no delta support.
	Cursor string
	// Full reports that the fetch enumerated everything the source has, so
	// the engine may sweep the links it did not see. It is true for a
	// requested full run and for a delta that fell back to a full resync
	// (an expired delta token).
	Full bool
	// Resynced is set when the source refused the cursor and the fetch
	// started over from scratch; the run record says so.
	Resynced bool
	// FailedParts lists the parts of the source that failed while the
	// others completed: a mailbox of a calendar sync, a customer tenant of
	// a CSP partner. Records carry their part in record.AttrPart; the
	// engine never sweeps objects of a failed part, and the run's notes
	// name each one with its error. The connector keeps the failed parts'
	// old state in Cursor.
	FailedParts []PartFailure
}

// PartFailure is one part of a source that failed in a fetch that
// otherwise succeeded.
type PartFailure struct {
	// Part is the value the part's records carry in record.AttrPart.
	Part string
	// Name is the part in words ("Contoso Ltd (tenant 1234…)", a mailbox).
	Name string
	// Err says what went wrong, secrets redacted.
	Err string
}

// Checker is implemented by sources that can probe their connection with
// one light request (credentials, reachability) without fetching data.
type Checker interface {
	Check(ctx context.Context) error
}

// Closer is implemented by sources that hold resources. Close must be safe
// to call more than once.
type Closer interface {
	Close() error
}

// Config is one connector type's configuration: it decodes from the
// integration's "config" block, validates itself and opens a Source.
type Config interface {
	// Validate reports every problem at once; each problem names its field.
	Validate() error
	// Open builds the source without network I/O.
	Open(name string, logger *slog.Logger) (Source, error)
}

// Registry maps a connector type name ("entra", "ldap", ...) to a factory of
// its empty Config. It is built once in connector/all and passed to whoever
// opens connectors; nothing reads a global.
type Registry map[string]Type

// Type describes one connector type.
type Type struct {
	// New returns a zero Config to decode into, with defaults applied.
	New func() Config
	// Kinds are the entity kinds this connector can produce.
	Kinds []record.Kind
	// Sample is an example config block in YAML, shown by
	// "integrator connectors sample TYPE".
	Sample string
	// Doc is the connector's README in Markdown.
	Doc string
}

// Sentinel errors a connector wraps so the engine and the job engine can
// classify failures without knowing the vendor.
var (
	// ErrUnauthorized: the credentials were refused (after one refresh).
	ErrUnauthorized = errors.New("credentials refused")
	// ErrForbidden: authenticated but lacking a permission.
	ErrForbidden = errors.New("permission denied")
)

// RetryableError marks a failure that may go away by itself (throttling
// that outlasted the connector's own retries, a 5xx, a cut connection). The
// job engine retries the run with backoff, or after After when set.
type RetryableError struct {
	Err   error
	After time.Duration
}

func (e *RetryableError) Error() string { return e.Err.Error() }
func (e *RetryableError) Unwrap() error { return e.Err }

// IsRetryable reports whether err, or any error it wraps, is retryable.
func IsRetryable(err error) bool {
	var r *RetryableError
	return errors.As(err, &r)
}

// FieldError is a configuration problem in one field.
type FieldError struct {
	Field   string
	Message string
}

func (e *FieldError) Error() string { return fmt.Sprintf("%s: %s", e.Field, e.Message) }
