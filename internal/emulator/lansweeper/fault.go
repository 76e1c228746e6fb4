package lansweeper

import (
	"net/http"
	"strconv"
	"strings"
)

// Fault kinds for Fault.Kind.
const (
	// FaultStatus answers with Fault.Status and a GraphQL error body.
	FaultStatus = ""
	// FaultMalformed answers 200 with a body that is not valid JSON.
	FaultMalformed = "malformed"
	// FaultGraphQLError answers HTTP 200 with {"data":null,"errors":[...]},
	// the way GraphQL servers report a failed execution.
	FaultGraphQLError = "graphql-error"
	// FaultRevokeToken revokes the token before answering, as if it had
	// expired: this request and every later one are unauthenticated.
	FaultRevokeToken = "revoke-token"
)

// Fault describes a failure to inject into upcoming requests.
type Fault struct {
	// Match is a substring the request's query document must contain
	// ("assetResources", "authorizedSites"). "" matches every request.
	Match string
	// After lets this many matching requests through before the fault
	// starts.
	After int
	// Times is how many matching requests get the fault. Zero means one.
	Times int
	// Status is the HTTP status of a FaultStatus fault. Defaults to 503.
	Status int
	// RetryAfter is the Retry-After header value; "" sends none.
	RetryAfter string
	// Message and Code are the error's message and extensions.code.
	Message, Code string
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

func (e *Emulator) nextFault(query string) (Fault, bool) {
	return e.faults.Next(func(f Fault) bool {
		return strings.Contains(query, f.Match)
	})
}

func writeMalformed(w http.ResponseWriter) {
	body := `{"data":{"site":{"assetResources":{"total":12,"items":[{"key":` + "\x00"
	w.Header().Set("Content-Type", "application/json")
	w.Header().Set("Content-Length", strconv.Itoa(len(body)))
	_, _ = w.Write([]byte(body))
}
