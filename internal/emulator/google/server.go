package google

import (
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"
)

// apiPrefix is where the Directory API lives under the emulator's root.
const apiPrefix = "/admin/directory/v1/"

// route is one Directory API method.
type route struct {
	name   string
	scopes []string
	serve  func(e *Emulator, w http.ResponseWriter, r *http.Request, key string)
	key    string // groupKey of members.list
}

// serveHTTP routes a request: token endpoint, faults, authorisation,
// quota, rate limit, then the method.
func (e *Emulator) serveHTTP(w http.ResponseWriter, r *http.Request) {
	e.requests.Add(1)
	path := r.URL.Path
	e.logger.Debug("google emulator request", "method", r.Method, "path", path)

	if path == "/token" {
		if f, hit := e.nextFault(path, true); hit {
			switch f.Kind {
			case FaultMalformed:
				e.tokenRequests.Add(1)
				writeMalformed(w)
				return
			case FaultTruncate:
				serveTruncated(w, r, e.serveToken)
				return
			case FaultStatus:
				e.tokenRequests.Add(1)
				e.writeTokenFault(w, f)
				return
			}
		}
		e.serveToken(w, r)
		return
	}

	rt, ok := e.match(path)
	if !ok {
		e.writeAPIError(w, notFound(path))
		return
	}
	expire := false
	if f, hit := e.nextFault(path, false); hit {
		e.logger.Debug("google emulator fault", "path", path, "kind", f.Kind, "status", f.Status)
		switch f.Kind {
		case FaultMalformed:
			writeMalformed(w)
			return
		case FaultTruncate:
			serveTruncated(w, r, func(w http.ResponseWriter, r *http.Request) { e.serveAPI(w, r, rt, false) })
			return
		case FaultExpireToken:
			expire = true
		default:
			e.writeAPIError(w, faultError(f))
			return
		}
	}
	e.serveAPI(w, r, rt, expire)
}

// match finds the method of an API path.
func (e *Emulator) match(path string) (route, bool) {
	rest, ok := strings.CutPrefix(path, apiPrefix)
	if !ok {
		return route{}, false
	}
	segs := strings.Split(strings.Trim(rest, "/"), "/")
	switch {
	case len(segs) == 1 && segs[0] == "users":
		return route{name: "users.list", scopes: []string{ScopeUserReadonly, ScopeUser}, serve: (*Emulator).serveUsers}, true
	case len(segs) == 1 && segs[0] == "groups":
		return route{name: "groups.list", scopes: []string{ScopeGroupReadonly, ScopeGroup}, serve: (*Emulator).serveGroups}, true
	case len(segs) == 3 && segs[0] == "groups" && segs[2] == "members" && segs[1] != "":
		key, err := url.PathUnescape(segs[1])
		if err != nil {
			return route{}, false
		}
		return route{name: "members.list", key: key,
			scopes: []string{ScopeGroupMemberReadonly, ScopeGroupMember, ScopeGroupReadonly, ScopeGroup},
			serve:  (*Emulator).serveMembers}, true
	}
	return route{}, false
}

// serveAPI authorises the request, charges the quotas and serves it.
func (e *Emulator) serveAPI(w http.ResponseWriter, r *http.Request, rt route, expire bool) {
	subject, aerr := e.authorize(r, rt.scopes, expire)
	if aerr != nil {
		e.writeAPIError(w, aerr)
		return
	}
	if r.Method != http.MethodGet {
		e.writeAPIError(w, &apiError{status: http.StatusMethodNotAllowed, message: "Method not allowed.", reason: "methodNotAllowed", domain: "global"})
		return
	}
	if aerr := e.chargeQuota(subject); aerr != nil {
		e.writeAPIError(w, aerr)
		return
	}
	if e.limiter != nil {
		now := e.opts.Now()
		res := e.limiter.ReserveN(now, 1)
		if d := res.DelayFrom(now); d > 0 {
			res.CancelAt(now)
			e.writeAPIError(w, rateLimited(retryAfterSeconds(d)))
			return
		}
	}
	rt.serve(e, w, r, rt.key)
}

// retryAfterSeconds renders a wait as a Retry-After value in whole seconds,
// at least one.
func retryAfterSeconds(d time.Duration) string {
	s := int((d + time.Second - 1) / time.Second)
	return strconv.Itoa(max(1, s))
}
