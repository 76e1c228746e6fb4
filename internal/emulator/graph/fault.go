package graph

import (
	"bytes"
	"net/http"
	"strconv"
	"strings"
)

// Fault kinds for Fault.Kind.
const (
	// FaultStatus answers with Fault.Status and the matching error body.
	FaultStatus = ""
	// FaultMalformed answers 200 with a body that is not valid JSON.
	FaultMalformed = "malformed"
	// FaultTruncate sends the real response's headers and half its body,
	// then cuts the connection.
	FaultTruncate = "truncate"
	// FaultExpireToken expires the request's access token, so it and every
	// later request with that token get 401 InvalidAuthenticationToken until
	// the client fetches a new token.
	FaultExpireToken = "expire-token"
)

// Fault describes a failure to inject into upcoming requests.
type Fault struct {
	// Path is a substring the request path must contain. "" matches every
	// Graph request; the token endpoint only matches a Path containing
	// "token".
	Path string
	// After lets this many matching requests through before the fault
	// starts.
	After int
	// Times is how many matching requests get the fault. Zero means one.
	Times int
	// Status is the HTTP status of a FaultStatus fault (429, 503, 500, 401,
	// 410, ...).
	Status int
	// RetryAfter is the Retry-After header value; "" sends none.
	RetryAfter string
	// Kind is one of FaultStatus (""), FaultMalformed, FaultTruncate and
	// FaultExpireToken.
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

// nextFault returns the fault the request gets, if any.
func (e *Emulator) nextFault(path string, tokenEndpoint bool) (Fault, bool) {
	return e.faults.Next(func(f Fault) bool {
		return strings.Contains(path, f.Path) && (!tokenEndpoint || strings.Contains(f.Path, "token"))
	})
}

// writeFaultStatus answers a FaultStatus fault on a Graph path.
func (e *Emulator) writeFaultStatus(w http.ResponseWriter, r *http.Request, f Fault) {
	status := f.Status
	if status == 0 {
		status = http.StatusServiceUnavailable
	}
	h := w.Header()
	if f.RetryAfter != "" {
		h.Set("Retry-After", f.RetryAfter)
	}
	if status == http.StatusTooManyRequests {
		e.setThrottleHeaders(h)
	}
	if status == http.StatusUnauthorized {
		h.Set("WWW-Authenticate", wwwAuthenticate)
	}
	code := codeForStatus(status)
	if status == http.StatusGone {
		h.Set("Location", baseURL(r)+"/v1.0"+deltaPathFor(r.URL.Path))
	}
	e.writeGraphError(w, status, code, messageForStatus(status))
}

// writeTokenFault answers a FaultStatus fault on the token endpoint with
// the OAuth error body.
func (e *Emulator) writeTokenFault(w http.ResponseWriter, r *http.Request, f Fault) {
	status := f.Status
	if status == 0 {
		status = http.StatusServiceUnavailable
	}
	if f.RetryAfter != "" {
		w.Header().Set("Retry-After", f.RetryAfter)
	}
	switch {
	case status == http.StatusUnauthorized:
		e.writeOAuthError(w, r, status, "invalid_client", 7000215, "Invalid client secret provided.")
	case status == http.StatusBadRequest:
		e.writeOAuthError(w, r, status, "invalid_request", 900144, "The request is not valid.")
	case status == http.StatusTooManyRequests || status == http.StatusServiceUnavailable:
		e.writeOAuthError(w, r, status, "temporarily_unavailable", 50196, "The server terminated an operation because it encountered a client request loop. Please try again later.")
	default:
		e.writeOAuthError(w, r, status, "server_error", 90033, "A transient error has occurred. Please try again.")
	}
}

const wwwAuthenticate = `Bearer realm="", authorization_uri="https://login.microsoftonline.com/common/oauth2/authorize", client_id="00000003-0000-0000-c000-000000000000"`

func (e *Emulator) setThrottleHeaders(h http.Header) {
	h.Set("x-ms-throttle-scope", "Tenant_Application/ReadWrite/"+e.opts.ClientID+"/"+e.opts.TenantID)
	h.Set("x-ms-throttle-information", "ResourceUnitLimitExceeded")
	h.Set("x-ms-throttle-limit-percentage", "1.0")
}

// deltaPathFor maps a request path to the initial delta path of its
// collection, for the Location header of a 410.
func deltaPathFor(p string) string {
	switch {
	case strings.Contains(p, "/groups"):
		return "/groups/delta"
	case strings.Contains(p, "/contacts"):
		return "/contacts/delta"
	}
	return "/users/delta"
}

// writeMalformed answers 200 with a body that breaks off inside a JSON
// string.
func writeMalformed(w http.ResponseWriter, r *http.Request) {
	body := `{"@odata.context":"http://` + r.Host + `/v1.0/$metadata#users","value":[{"id":"6e7b0c1a-` + "\x00" + `,"displayName":}`
	w.Header().Set("Content-Type", "application/json")
	w.Header().Set("Content-Length", strconv.Itoa(len(body)))
	_, _ = w.Write([]byte(body))
}

// bufferedWriter captures a full response so a truncate fault can send
// part of it.
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

// serveTruncated runs next into a buffer, then sends the headers (with the
// full Content-Length) and half of the body, and aborts the connection so
// the client sees an unexpected EOF.
func serveTruncated(w http.ResponseWriter, r *http.Request, next func(http.ResponseWriter, *http.Request)) {
	bw := &bufferedWriter{header: w.Header()}
	next(bw, r)
	full := bw.body.Bytes()
	w.Header().Set("Content-Length", strconv.Itoa(len(full)))
	w.WriteHeader(cmpStatus(bw.status))
	_, _ = w.Write(full[:len(full)/2])
	if fl, ok := w.(http.Flusher); ok {
		fl.Flush()
	}
	panic(http.ErrAbortHandler)
}

func cmpStatus(s int) int {
	if s == 0 {
		return http.StatusOK
	}
	return s
}
