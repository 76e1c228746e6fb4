package google

import (
	"bytes"
	"net/http"
	"strconv"
	"strings"
)

// Fault kinds for Fault.Kind.
const (
	// FaultStatus answers with Fault.Status and Google's error body.
	FaultStatus = ""
	// FaultMalformed answers 200 with a body that is not valid JSON.
	FaultMalformed = "malformed"
	// FaultTruncate sends the real response's headers and half its body,
	// then cuts the connection.
	FaultTruncate = "truncate"
	// FaultExpireToken expires the request's access token, so it and every
	// later request with that token get 401 until the client fetches a new
	// token.
	FaultExpireToken = "expire-token"
)

// Fault describes a failure to inject into upcoming requests.
type Fault struct {
	// Path is a substring the request path must contain ("/users",
	// "/members"). "" matches every API request; the token endpoint only
	// matches a Path containing "token".
	Path string
	// After lets this many matching requests through before the fault
	// starts.
	After int
	// Times is how many matching requests get the fault. Zero means one.
	Times int
	// Status is the HTTP status of a FaultStatus fault: 403 (with Reason),
	// 429, 500, 503, 401, ... Defaults to 503.
	Status int
	// Reason is errors[0].reason of a 403: "userRateLimitExceeded",
	// "rateLimitExceeded", "quotaExceeded" or "forbidden" (the default).
	Reason string
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

// faultError is the error body of a FaultStatus fault on the API.
func faultError(f Fault) *apiError {
	status := f.Status
	if status == 0 {
		status = http.StatusServiceUnavailable
	}
	var a *apiError
	switch {
	case status == http.StatusTooManyRequests:
		a = rateLimited("")
	case status == http.StatusForbidden:
		switch f.Reason {
		case "userRateLimitExceeded":
			a = userRateLimited()
		case "rateLimitExceeded", "quotaExceeded":
			a = userRateLimited()
			a.reason = f.Reason
		case "insufficientPermissions":
			a = insufficientScopes()
		default:
			a = notAuthorized()
		}
	case status == http.StatusUnauthorized:
		a = invalidCredentials()
	case status == http.StatusNotFound:
		a = notFound("resource")
	case status == http.StatusBadRequest:
		a = badRequest("Bad Request")
	case status >= 500:
		a = backendError(status)
	default:
		a = &apiError{status: status, message: http.StatusText(status), reason: "unknown", domain: "global"}
	}
	a.retryAfter = f.RetryAfter
	return a
}

// writeTokenFault answers a FaultStatus fault on the token endpoint.
func (e *Emulator) writeTokenFault(w http.ResponseWriter, f Fault) {
	status := f.Status
	if status == 0 {
		status = http.StatusServiceUnavailable
	}
	if f.RetryAfter != "" {
		w.Header().Set("Retry-After", f.RetryAfter)
	}
	switch {
	case status == http.StatusUnauthorized:
		e.writeOAuthError(w, status, "unauthorized_client",
			"Client is unauthorized to retrieve access tokens using this method, or client not authorized for any of the scopes requested.")
	case status == http.StatusBadRequest:
		e.writeOAuthError(w, status, "invalid_grant", "Invalid JWT Signature.")
	case status == http.StatusTooManyRequests:
		e.throttled.Add(1)
		e.writeOAuthError(w, status, "rate_limit_exceeded", "Rate limit exceeded.")
	default:
		e.writeOAuthError(w, status, "internal_failure", "Backend Error")
	}
}

// writeMalformed answers 200 with a body that breaks off inside a JSON
// string.
func writeMalformed(w http.ResponseWriter) {
	body := `{"kind":"admin#directory#users","users":[{"kind":"admin#directory#user","id":"1` + "\x00" + `,"primaryEmail":}`
	w.Header().Set("Content-Type", "application/json; charset=UTF-8")
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
func serveTruncated(w http.ResponseWriter, r *http.Request, next http.HandlerFunc) {
	bw := &bufferedWriter{header: w.Header()}
	next(bw, r)
	full := bw.body.Bytes()
	w.Header().Set("Content-Length", strconv.Itoa(len(full)))
	status := bw.status
	if status == 0 {
		status = http.StatusOK
	}
	w.WriteHeader(status)
	_, _ = w.Write(full[:len(full)/2])
	if fl, ok := w.(http.Flusher); ok {
		fl.Flush()
	}
	panic(http.ErrAbortHandler)
}
