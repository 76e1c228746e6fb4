package graph

import (
	"net/http"
	"strings"
)

// serveHTTP routes a request: token endpoint, faults, rate limit, bearer
// check, then the Graph resource.
func (e *Emulator) serveHTTP(w http.ResponseWriter, r *http.Request) {
	e.requests.Add(1)
	startRequest(w, r)
	path := r.URL.Path
	e.logger.Debug("graph emulator request", "method", r.Method, "path", path)

	if tenant, ok := tokenEndpointTenant(path); ok {
		serve := func(w http.ResponseWriter, r *http.Request) { e.serveToken(w, r, tenant) }
		if f, hit := e.nextFault(path, true); hit {
			if done, _ := e.serveFault(w, r, f, serve, func(w http.ResponseWriter, r *http.Request, f Fault) {
				e.tokenRequests.Add(1)
				e.writeTokenFault(w, r, f)
			}); done {
				return
			}
		}
		serve(w, r)
		return
	}

	if _, ok := strings.CutPrefix(path, "/v1.0/"); !ok {
		e.writeGraphError(w, http.StatusNotFound, "UnknownError", "The requested URL was not found on this server.")
		return
	}
	expire := false
	if f, hit := e.nextFault(path, false); hit {
		serve := func(w http.ResponseWriter, r *http.Request) { e.serveGraph(w, r, false) }
		var done bool
		if done, expire = e.serveFault(w, r, f, serve, e.writeFaultStatus); done {
			return
		}
	}
	if e.limiter != nil {
		now := e.opts.Now()
		res := e.limiter.ReserveN(now, 1)
		if d := res.DelayFrom(now); d > 0 {
			res.CancelAt(now)
			w.Header().Set("Retry-After", retryAfterSeconds(d))
			e.setThrottleHeaders(w.Header())
			e.writeGraphError(w, http.StatusTooManyRequests, "TooManyRequests",
				"Too many requests. Please try again later.")
			return
		}
	}
	e.serveGraph(w, r, expire)
}

// tokenEndpointTenant matches /{tenant}/oauth2/v2.0/token.
func tokenEndpointTenant(path string) (string, bool) {
	rest, ok := strings.CutPrefix(path, "/")
	if !ok {
		return "", false
	}
	tenant, tail, ok := strings.Cut(rest, "/")
	if !ok || tenant == "" || strings.TrimSuffix(tail, "/") != "oauth2/v2.0/token" {
		return "", false
	}
	return tenant, true
}

func isDeltaSegment(s string) bool {
	s = strings.TrimSuffix(strings.ToLower(s), "()")
	return s == "delta" || s == "microsoft.graph.delta"
}

// serveGraph checks the bearer token and serves a /v1.0 resource.
func (e *Emulator) serveGraph(w http.ResponseWriter, r *http.Request, expire bool) {
	if aerr := e.checkBearer(r, expire); aerr != nil {
		w.Header().Set("WWW-Authenticate", wwwAuthenticate)
		e.writeAPIError(w, aerr)
		return
	}
	if r.Method != http.MethodGet {
		e.writeGraphError(w, http.StatusMethodNotAllowed, "Request_BadRequest",
			"Specified HTTP method is not allowed for the request uri.")
		return
	}
	rest := strings.Trim(strings.TrimPrefix(r.URL.Path, "/v1.0/"), "/")
	segs := strings.Split(rest, "/")
	coll := strings.ToLower(segs[0])
	switch {
	case len(segs) == 1 && coll == "users":
		e.serveList(w, r, resUsers, "")
	case len(segs) == 1 && coll == "groups":
		e.serveList(w, r, resGroups, "")
	case len(segs) == 1 && coll == "contacts":
		e.serveList(w, r, resContacts, "")
	case len(segs) == 1 && coll == "organization":
		e.serveOrganization(w, r)
	case len(segs) == 2 && coll == "users" && isDeltaSegment(segs[1]):
		e.serveDelta(w, r, resUsers)
	case len(segs) == 2 && coll == "groups" && isDeltaSegment(segs[1]):
		e.serveDelta(w, r, resGroups)
	case len(segs) == 2 && coll == "contacts" && isDeltaSegment(segs[1]):
		e.serveDelta(w, r, resContacts)
	case len(segs) == 2 && coll == "users":
		e.serveUser(w, r, segs[1])
	case len(segs) == 2 && coll == "groups":
		e.serveGroup(w, r, segs[1])
	case len(segs) == 2 && coll == "contacts":
		e.serveContact(w, r, segs[1])
	case len(segs) == 2 && coll == "devicemanagement" && strings.EqualFold(segs[1], "managedDevices"):
		e.serveManagedDevices(w, r)
	case len(segs) == 3 && coll == "devicemanagement" && strings.EqualFold(segs[1], "managedDevices"):
		e.serveManagedDevice(w, r, segs[2])
	case len(segs) == 3 && coll == "groups" && strings.EqualFold(segs[2], "members"):
		e.serveList(w, r, resGroupMembers, segs[1])
	default:
		last := segs[len(segs)-1]
		e.writeGraphError(w, http.StatusBadRequest, "BadRequest", "Resource not found for the segment '"+last+"'.")
	}
}

// serveFault answers a request that drew fault f: a malformed or truncated
// body of what serve would send, or the fault's status through status. It
// reports whether the response was written, and whether the fault instead
// expires the request's access token (the caller then serves it as such).
func (e *Emulator) serveFault(w http.ResponseWriter, r *http.Request, f Fault,
	serve http.HandlerFunc, status func(http.ResponseWriter, *http.Request, Fault)) (done, expire bool) {
	e.logger.Debug("graph emulator fault", "path", r.URL.Path, "kind", f.Kind, "status", f.Status)
	switch f.Kind {
	case FaultMalformed:
		writeMalformed(w, r)
	case FaultTruncate:
		serveTruncated(w, r, serve)
	case FaultExpireToken:
		return false, true
	default:
		status(w, r, f)
	}
	return true, false
}
