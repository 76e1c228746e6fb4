package datto

import (
	"bytes"
	"net/http"
	"strconv"
	"strings"
)

// Fault kinds for Fault.Kind.
const (
	// FaultStatus answers with Fault.Status and Datto's error body.
	FaultStatus = ""
	// FaultMalformed answers 200 with a body that is not valid JSON.
	FaultMalformed = "malformed"
	// FaultTruncate sends the real response's headers and half its body,
	// then cuts the connection.
	FaultTruncate = "truncate"
	// FaultExpireToken expires the request's access token, so it and every
	// later request with it get 401 until the client fetches a new token.
	FaultExpireToken = "expire-token"
	// FaultIPBlock blocks the client's IP as sustained throttling does.
	FaultIPBlock = "ip-block"
)

// Fault describes a failure to inject into upcoming requests.
type Fault struct {
	// Path is a substring the request path must contain ("/account/devices",
	// "/audit/device"). "" matches every API request; the token endpoint
	// only matches a Path containing "token".
	Path string
	// After lets this many matching requests through before the fault
	// starts.
	After int
	// Times is how many matching requests get the fault. Zero means one.
	Times int
	// Status is the HTTP status of a FaultStatus fault. Defaults to 503.
	Status int
	// RetryAfter is the Retry-After header value; "" sends none.
	RetryAfter string
	// Kind is one of the Fault* kinds.
	Kind string
}

// Inject queues a fault. Faults are matched in the order they were
// injected; each counts its matching requests on its own, and a request
// gets at most the first fault that fires for it.
func (e *Emulator) Inject(f Fault) {
	e.faults.Add(f, f.After, f.Times)
}

// ClearFaults drops every queued fault.
func (e *Emulator) ClearFaults() {
	e.faults.Clear()
}

func (e *Emulator) nextFault(path string, tokenEndpoint bool) (Fault, bool) {
	return e.faults.Next(func(f Fault) bool {
		return strings.Contains(path, f.Path) && (!tokenEndpoint || strings.Contains(f.Path, "token"))
	})
}

func writeMalformed(w http.ResponseWriter) {
	body := `{"pageDetails":{"count":2,"totalCount":` + "\x00" + `,"devices":[{"id":1,`
	w.Header().Set("Content-Type", "application/json")
	w.Header().Set("Content-Length", strconv.Itoa(len(body)))
	_, _ = w.Write([]byte(body))
}

type bufferedWriter struct {
	header http.Header
	status int
	body   bytes.Buffer
}

func (b *bufferedWriter) Header() http.Header { return b.header }

func (b *bufferedWriter) WriteHeader(status int) {
	if b.status == 0 {
		b.status = status
	}
}

func (b *bufferedWriter) Write(p []byte) (int, error) {
	if b.status == 0 {
		b.status = http.StatusOK
	}
	return b.body.Write(p)
}

// serveTruncated runs next into a buffer, sends the headers with the full
// Content-Length and half the body, then aborts the connection.
func serveTruncated(w http.ResponseWriter, r *http.Request, next http.HandlerFunc) {
	bw := &bufferedWriter{header: w.Header()}
	next(bw, r)
	full := bw.body.Bytes()
	w.Header().Set("Content-Length", strconv.Itoa(len(full)))
	w.WriteHeader(max(bw.status, http.StatusOK))
	_, _ = w.Write(full[:len(full)/2])
	if fl, ok := w.(http.Flusher); ok {
		fl.Flush()
	}
	panic(http.ErrAbortHandler)
}
