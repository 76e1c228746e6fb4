package ninjaone

import (
	"bytes"
	"net/http"
	"strconv"
	"strings"
)

// Fault kinds for Fault.Kind.
const (
	// FaultStatus answers with Fault.Status and the error body.
	FaultStatus = ""
	// FaultMalformed answers 200 with a body that is not valid JSON.
	FaultMalformed = "malformed"
	// FaultTruncate sends the real response's headers and half its body,
	// then cuts the connection.
	FaultTruncate = "truncate"
	// FaultExpireToken expires the request's access token: it and later
	// requests with that token get 401 until the client gets a new one.
	FaultExpireToken = "expire-token"
)

// Fault describes a failure to inject into upcoming requests.
type Fault struct {
	// Path is a substring the request path must contain ("/v2/devices",
	// "computer-systems"). "" matches every API request; the token
	// endpoint only matches a Path containing "token".
	Path string
	// After lets this many matching requests through first.
	After int
	// Times is how many matching requests get the fault. Zero means one.
	Times int
	// Status of a FaultStatus fault (429, 500, 503, 401, 403, ...).
	// Defaults to 503.
	Status int
	// RetryAfter is the Retry-After header value; "" sends none.
	RetryAfter string
	// Kind is FaultStatus (""), FaultMalformed, FaultTruncate or
	// FaultExpireToken.
	Kind string
}

// Inject queues a fault. Faults are matched in the order they were
// injected; a request gets at most the first fault that fires for it.
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

// serveFault answers a request that drew f and reports whether it did
// (an expire-token fault is the caller's business).
func (e *Emulator) serveFault(w http.ResponseWriter, r *http.Request, f Fault, serve http.HandlerFunc) bool {
	e.logger.Debug("ninjaone emulator fault", "path", r.URL.Path, "kind", f.Kind, "status", f.Status)
	switch f.Kind {
	case FaultExpireToken:
		return false
	case FaultMalformed:
		body := `[{"id":10` + "\x00" + `,"organizationId":}`
		writeBody(w, http.StatusOK, []byte(body))
	case FaultTruncate:
		bw := &bufferedWriter{header: w.Header()}
		serve(bw, r)
		full := bw.body.Bytes()
		w.Header().Set("Content-Length", strconv.Itoa(len(full)))
		w.WriteHeader(max(bw.status, http.StatusOK))
		_, _ = w.Write(full[:len(full)/2])
		if fl, ok := w.(http.Flusher); ok {
			fl.Flush()
		}
		panic(http.ErrAbortHandler)
	default:
		status := f.Status
		if status == 0 {
			status = http.StatusServiceUnavailable
		}
		if f.RetryAfter != "" {
			w.Header().Set("Retry-After", f.RetryAfter)
		}
		if strings.Contains(r.URL.Path, "token") {
			code := "server_error"
			if status == http.StatusUnauthorized || status == http.StatusBadRequest {
				code = "invalid_client"
			}
			e.writeOAuthError(w, status, code, http.StatusText(status))
			return true
		}
		e.writeError(w, status, strings.ToUpper(strings.ReplaceAll(http.StatusText(status), " ", "_")), http.StatusText(status))
	}
	return true
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
