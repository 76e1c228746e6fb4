package snipeit

import (
	"net/http"
	"strconv"
	"strings"
)

// Fault kinds for Fault.Kind.
const (
	// FaultStatus answers with Fault.Status and Snipe-IT's error envelope.
	FaultStatus = ""
	// FaultMalformed answers 200 with a body that is not valid JSON.
	FaultMalformed = "malformed"
	// FaultError200 answers HTTP 200 with {"status":"error",...}, the way
	// Snipe-IT reports many failures.
	FaultError200 = "error-200"
	// FaultRevokeToken revokes the token before answering, as if it had
	// expired: this request and every later one get 401.
	FaultRevokeToken = "revoke-token"
)

// Fault describes a failure to inject into upcoming requests.
type Fault struct {
	// Path is a substring the request path must contain ("/hardware"). ""
	// matches every request.
	Path string
	// Query is a substring the raw query must contain ("offset=500",
	// "status=Deleted"). "" matches any.
	Query string
	// After lets this many matching requests through before the fault
	// starts.
	After int
	// Times is how many matching requests get the fault. Zero means one.
	Times int
	// Status is the HTTP status of a FaultStatus fault. Defaults to 503.
	Status int
	// RetryAfter is the Retry-After header value; "" sends none.
	RetryAfter string
	// Message is the messages value of a FaultError200 (defaults to
	// "Server Error") or FaultStatus answer.
	Message string
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

func (e *Emulator) nextFault(r *http.Request) (Fault, bool) {
	return e.faults.Next(func(f Fault) bool {
		return strings.Contains(r.URL.Path, f.Path) && strings.Contains(r.URL.RawQuery, f.Query)
	})
}

func writeMalformed(w http.ResponseWriter) {
	body := `{"total":12,"rows":[{"id":1,"name":"LT-0001","serial":` + "\x00"
	w.Header().Set("Content-Type", "application/json")
	w.Header().Set("Content-Length", strconv.Itoa(len(body)))
	_, _ = w.Write([]byte(body))
}
