package cwautomate

import (
	"net/http"
	"strconv"
	"strings"
)

// Fault kinds for Fault.Kind.
const (
	// FaultStatus answers with Fault.Status and the {"Message"} body.
	FaultStatus = ""
	// FaultMalformed answers 200 with a body that is not valid JSON.
	FaultMalformed = "malformed"
	// FaultExpireToken expires the request's token before serving it.
	FaultExpireToken = "expire-token"
)

// Fault describes a failure to inject into upcoming requests.
type Fault struct {
	// Path is a substring the request path must contain ("/computers").
	// The token endpoint only matches a Path containing "apitoken".
	Path string
	// After lets this many matching requests through first.
	After int
	// Times is how many matching requests get the fault. Zero means one.
	Times int
	// Status defaults to 503.
	Status int
	// RetryAfter is the Retry-After header value; "" sends none.
	RetryAfter string
	Kind       string
}

// Inject queues a fault; faults are matched in order, a request gets at
// most one.
func (e *Emulator) Inject(f Fault) {
	e.faults.Add(f, f.After, f.Times)
}

func (e *Emulator) nextFault(path string, tokenEndpoint bool) (Fault, bool) {
	return e.faults.Next(func(f Fault) bool {
		return strings.Contains(path, f.Path) && (!tokenEndpoint || strings.Contains(f.Path, "apitoken"))
	})
}

func writeMalformed(w http.ResponseWriter) {
	body := `[{"Id":1,"ComputerName":"PC-` + "\x00"
	w.Header().Set("Content-Type", "application/json; charset=utf-8")
	w.Header().Set("Content-Length", strconv.Itoa(len(body)))
	_, _ = w.Write([]byte(body))
}
