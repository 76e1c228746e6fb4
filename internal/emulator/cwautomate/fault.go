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

type faultState struct {
	Fault
	seen, applied int
}

// Inject queues a fault; faults are matched in order, a request gets at
// most one.
func (e *Emulator) Inject(f Fault) {
	if f.Times <= 0 {
		f.Times = 1
	}
	e.faultMu.Lock()
	e.faults = append(e.faults, &faultState{Fault: f})
	e.faultMu.Unlock()
}

func (e *Emulator) nextFault(path string, tokenEndpoint bool) (Fault, bool) {
	e.faultMu.Lock()
	defer e.faultMu.Unlock()
	var hit *faultState
	kept := e.faults[:0]
	for _, f := range e.faults {
		if strings.Contains(path, f.Path) && (!tokenEndpoint || strings.Contains(f.Path, "apitoken")) {
			f.seen++
			if hit == nil && f.seen > f.After && f.applied < f.Times {
				f.applied++
				hit = f
			}
		}
		if f.applied < f.Times {
			kept = append(kept, f)
		}
	}
	clear(e.faults[len(kept):])
	e.faults = kept
	if hit == nil {
		return Fault{}, false
	}
	return hit.Fault, true
}

func writeMalformed(w http.ResponseWriter) {
	body := `[{"Id":1,"ComputerName":"PC-` + "\x00"
	w.Header().Set("Content-Type", "application/json; charset=utf-8")
	w.Header().Set("Content-Length", strconv.Itoa(len(body)))
	_, _ = w.Write([]byte(body))
}
