package datto

import (
	"encoding/json"
	"fmt"
	"net"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"
)

const apiPrefix = "/api/v2/"

// serveHTTP routes a request: token endpoint, IP block, faults,
// authorisation, rate limit, then the resource.
func (e *Emulator) serveHTTP(w http.ResponseWriter, r *http.Request) {
	e.requests.Add(1)
	path := r.URL.Path
	e.logger.Debug("datto emulator request", "method", r.Method, "path", path)

	if path == "/auth/oauth/token" {
		e.tokenRequests.Add(1)
		if v := e.rate.admitBlockedOnly(e.opts.Now()); v.blocked {
			e.writeBlocked(w, r, v.blockedFor)
			return
		}
		if f, hit := e.nextFault(path, true); hit {
			switch f.Kind {
			case FaultMalformed:
				writeMalformed(w)
				return
			case FaultTruncate:
				serveTruncated(w, r, e.serveToken)
				return
			case FaultStatus:
				e.writeError(w, r, orDefault(f.Status, http.StatusServiceUnavailable), f.RetryAfter, "injected fault")
				return
			}
		}
		e.serveToken(w, r)
		return
	}
	if !strings.HasPrefix(path, apiPrefix) {
		e.writeError(w, r, http.StatusNotFound, "", "No message available")
		return
	}
	expire := false
	if f, hit := e.nextFault(path, false); hit {
		e.logger.Debug("datto emulator fault", "path", path, "kind", f.Kind, "status", f.Status)
		switch f.Kind {
		case FaultMalformed:
			writeMalformed(w)
			return
		case FaultTruncate:
			serveTruncated(w, r, func(w http.ResponseWriter, r *http.Request) { e.serveAPI(w, r, false) })
			return
		case FaultExpireToken:
			expire = true
		case FaultIPBlock:
			e.rate.block(e.opts.Now(), e.opts.BlockDuration)
		default:
			e.writeError(w, r, orDefault(f.Status, http.StatusServiceUnavailable), f.RetryAfter, "injected fault")
			return
		}
	}
	e.serveAPI(w, r, expire)
}

func orDefault(v, d int) int {
	if v == 0 {
		return d
	}
	return v
}

// admitBlockedOnly reports an IP block without counting a request.
func (l *rateLimiter) admitBlockedOnly(now time.Time) verdict {
	l.mu.Lock()
	defer l.mu.Unlock()
	if now.Before(l.blocked) {
		return verdict{blocked: true, blockedFor: l.blocked.Sub(now)}
	}
	return verdict{}
}

// serveToken answers the password grant.
func (e *Emulator) serveToken(w http.ResponseWriter, r *http.Request) {
	if r.Method != http.MethodPost {
		e.writeError(w, r, http.StatusMethodNotAllowed, "", "Request method '"+r.Method+"' not supported")
		return
	}
	user, pass, ok := r.BasicAuth()
	if !ok || user != PublicClientID || pass != PublicClientSecret {
		writeOAuth(w, http.StatusUnauthorized, "invalid_client", "Bad client credentials")
		return
	}
	if err := r.ParseForm(); err != nil {
		writeOAuth(w, http.StatusBadRequest, "invalid_request", "Unreadable form")
		return
	}
	switch {
	case r.PostForm.Get("grant_type") != "password":
		writeOAuth(w, http.StatusBadRequest, "unsupported_grant_type", "Unsupported grant type: "+r.PostForm.Get("grant_type"))
		return
	case r.PostForm.Get("username") != e.opts.APIKey || r.PostForm.Get("password") != e.opts.APISecret:
		writeOAuth(w, http.StatusBadRequest, "invalid_grant", "Bad credentials")
		return
	}
	tok, life := e.issueToken()
	writeJSON(w, http.StatusOK, map[string]any{
		"access_token":  tok,
		"token_type":    "bearer",
		"refresh_token": "r" + tok,
		"expires_in":    int64(life / time.Second),
		"scope":         "default",
		"jti":           tok[:16],
	})
}

func writeOAuth(w http.ResponseWriter, status int, code, desc string) {
	writeJSON(w, status, map[string]string{"error": code, "error_description": desc})
}

// serveAPI authorises the request, charges the quota and serves it.
func (e *Emulator) serveAPI(w http.ResponseWriter, r *http.Request, expire bool) {
	now := e.opts.Now()
	if v := e.rate.admitBlockedOnly(now); v.blocked {
		e.writeBlocked(w, r, v.blockedFor)
		return
	}
	tok, ok := strings.CutPrefix(r.Header.Get("Authorization"), "Bearer ")
	if !ok || tok == "" {
		w.Header().Set("WWW-Authenticate", `Bearer realm="oauth2-resource", error="unauthorized"`)
		writeOAuth(w, http.StatusUnauthorized, "unauthorized", "Full authentication is required to access this resource")
		return
	}
	if expire {
		e.expireToken(tok)
	}
	switch known, valid := e.tokenValid(tok); {
	case !known:
		writeOAuth(w, http.StatusUnauthorized, "invalid_token", "Invalid access token")
		return
	case !valid:
		writeOAuth(w, http.StatusUnauthorized, "invalid_token", "Access token expired")
		return
	}
	if r.Method != http.MethodGet {
		e.writeError(w, r, http.StatusMethodNotAllowed, "", "Request method '"+r.Method+"' not supported")
		return
	}
	v := e.rate.admit(now, e.opts.BlockAfter, e.opts.BlockDuration)
	switch {
	case v.blocked:
		e.writeBlocked(w, r, v.blockedFor)
		return
	case v.throttled:
		e.throttled.Add(1)
		e.writeError(w, r, http.StatusTooManyRequests, retryAfterSeconds(v.retryAfter), "Too Many Requests: API rate limit exceeded")
		return
	case v.slow:
		e.slowed.Add(1)
		e.opts.Sleep(v.slowdown)
	}
	e.route(w, r)
}

func retryAfterSeconds(d time.Duration) string {
	return strconv.Itoa(max(1, int((d+time.Second-1)/time.Second)))
}

func (e *Emulator) writeBlocked(w http.ResponseWriter, r *http.Request, d time.Duration) {
	e.blocked.Add(1)
	host, _, _ := net.SplitHostPort(r.RemoteAddr)
	e.writeError(w, r, http.StatusForbidden, retryAfterSeconds(d),
		fmt.Sprintf("IP address %s has been blocked for exceeding the API request rate limit; the block lasts %d seconds", host, int(d.Seconds())))
}

// writeError writes a Spring-style error body.
func (e *Emulator) writeError(w http.ResponseWriter, r *http.Request, status int, retryAfter, message string) {
	if retryAfter != "" {
		w.Header().Set("Retry-After", retryAfter)
	}
	writeJSON(w, status, map[string]any{
		"timestamp": e.opts.Now().UnixMilli(),
		"status":    status,
		"error":     http.StatusText(status),
		"message":   message,
		"path":      r.URL.Path,
	})
}

func writeJSON(w http.ResponseWriter, status int, v any) {
	b, err := json.Marshal(v)
	if err != nil {
		http.Error(w, err.Error(), http.StatusInternalServerError)
		return
	}
	w.Header().Set("Content-Type", "application/json")
	w.Header().Set("Content-Length", strconv.Itoa(len(b)))
	w.WriteHeader(status)
	_, _ = w.Write(b)
}

// route serves an authorised, admitted GET.
func (e *Emulator) route(w http.ResponseWriter, r *http.Request) {
	rest := strings.TrimPrefix(r.URL.Path, apiPrefix)
	segs := strings.Split(strings.Trim(rest, "/"), "/")
	switch {
	case rest == "account":
		e.serveAccount(w)
	case rest == "account/sites":
		e.serveSites(w, r)
	case rest == "account/devices":
		e.serveDevices(w, r, "")
	case len(segs) == 3 && segs[0] == "site" && segs[2] == "devices":
		e.mu.RLock()
		_, ok := e.siteIdx[segs[1]]
		e.mu.RUnlock()
		if !ok {
			e.writeError(w, r, http.StatusNotFound, "", "Site not found")
			return
		}
		e.serveDevices(w, r, segs[1])
	case len(segs) == 3 && segs[0] == "audit" && (segs[1] == "device" || segs[1] == "esxihost" || segs[1] == "printer"):
		e.serveAudit(w, r, segs[1], segs[2])
	case rest == "system/pagination":
		writeJSON(w, http.StatusOK, map[string]int{"max": MaxPage})
	case rest == "system/request_rate":
		limit, win := e.rate.quota()
		writeJSON(w, http.StatusOK, map[string]any{
			"slidingTimeWindowSizeSeconds": int(win / time.Second),
			"accountCount":                 e.rate.usage(e.opts.Now()),
			"accountRateLimit":             limit,
			"accountCutOffRatio":           0.9,
			"accountWriteRateLimit":        limit,
			"accountWriteCount":            0,
			"operationWriteStatus":         map[string]any{},
		})
	default:
		e.writeError(w, r, http.StatusNotFound, "", "No message available")
	}
}

func (e *Emulator) serveAccount(w http.ResponseWriter) {
	e.mu.RLock()
	n, online := len(e.devices), 0
	for _, d := range e.devices {
		if d.Online {
			online++
		}
	}
	e.mu.RUnlock()
	writeJSON(w, http.StatusOK, map[string]any{
		"id": 1, "uid": "emulated-account", "name": e.opts.AccountName, "currency": "USD",
		"descriptor":    map[string]any{"billingEmail": "billing@example.com", "deviceLimit": 0, "timeZone": "UTC"},
		"devicesStatus": map[string]int{"numberOfDevices": n, "numberOfOnlineDevices": online, "numberOfOfflineDevices": n - online},
	})
}

// paging reads page and max; a bad value is a 400.
func (e *Emulator) paging(r *http.Request) (page, size int, err error) {
	q := r.URL.Query()
	size = e.opts.PageSize
	if v := q.Get("max"); v != "" {
		if size, err = strconv.Atoi(v); err != nil || size < 1 {
			return 0, 0, fmt.Errorf("invalid max %q", v)
		}
		size = min(size, MaxPage)
	}
	if v := q.Get("page"); v != "" {
		if page, err = strconv.Atoi(v); err != nil || page < 0 {
			return 0, 0, fmt.Errorf("invalid page %q", v)
		}
	}
	return page, size, nil
}

type pageDetails struct {
	Count       int     `json:"count"`
	TotalCount  int     `json:"totalCount"`
	PrevPageURL *string `json:"prevPageUrl"`
	NextPageURL *string `json:"nextPageUrl"`
}

// details builds pageDetails with absolute links to the neighbouring
// pages, keeping the request's other parameters.
func details(r *http.Request, page, size, count, total int) pageDetails {
	link := func(p int) *string {
		q := r.URL.Query()
		q.Set("max", strconv.Itoa(size))
		q.Set("page", strconv.Itoa(p))
		scheme := "http"
		if r.TLS != nil {
			scheme = "https"
		}
		u := url.URL{Scheme: scheme, Host: r.Host, Path: r.URL.Path, RawQuery: q.Encode()}
		s := u.String()
		return &s
	}
	d := pageDetails{Count: count, TotalCount: total}
	if page > 0 {
		d.PrevPageURL = link(page - 1)
	}
	if (page+1)*size < total {
		d.NextPageURL = link(page + 1)
	}
	return d
}

func window(page, size, total int) (int, int) {
	from := min(page*size, total)
	return from, min(from+size, total)
}

func (e *Emulator) serveSites(w http.ResponseWriter, r *http.Request) {
	page, size, err := e.paging(r)
	if err != nil {
		e.writeError(w, r, http.StatusBadRequest, "", err.Error())
		return
	}
	e.mu.RLock()
	total := len(e.sites)
	from, to := window(page, size, total)
	counts := map[string][2]int{}
	for _, d := range e.devices {
		c := counts[d.SiteUID]
		c[0]++
		if d.Online {
			c[1]++
		}
		counts[d.SiteUID] = c
	}
	out := make([]siteJSON, 0, to-from)
	for _, s := range e.sites[from:to] {
		out = append(out, siteWire(s, counts[s.UID]))
	}
	e.mu.RUnlock()
	writeJSON(w, http.StatusOK, map[string]any{"pageDetails": details(r, page, size, len(out), total), "sites": out})
}

func (e *Emulator) serveDevices(w http.ResponseWriter, r *http.Request, siteUID string) {
	page, size, err := e.paging(r)
	if err != nil {
		e.writeError(w, r, http.StatusBadRequest, "", err.Error())
		return
	}
	e.mu.RLock()
	list := e.devices
	if siteUID != "" {
		list = nil
		for _, d := range e.devices {
			if d.SiteUID == siteUID {
				list = append(list, d)
			}
		}
	}
	total := len(list)
	from, to := window(page, size, total)
	out := make([]deviceJSON, 0, to-from)
	for _, d := range list[from:to] {
		out = append(out, deviceWire(d, e.siteIdx[d.SiteUID]))
	}
	e.mu.RUnlock()
	writeJSON(w, http.StatusOK, map[string]any{"pageDetails": details(r, page, size, len(out), total), "devices": out})
}

func (e *Emulator) serveAudit(w http.ResponseWriter, r *http.Request, kind, uid string) {
	e.mu.RLock()
	d, ok := e.devIdx[uid]
	var (
		a     any
		class string
	)
	if ok {
		class = d.Class
		switch class {
		case "device":
			a = auditWire(d)
		case "esxihost":
			a = esxiAuditWire(d)
		case "printer":
			a = printerAuditWire(d)
		}
	}
	e.mu.RUnlock()
	switch {
	case !ok:
		e.writeError(w, r, http.StatusNotFound, "", "Device not found")
		return
	case class != kind:
		e.writeError(w, r, http.StatusBadRequest, "", "Device "+uid+" is not of class "+kind+" but "+class)
		return
	}
	e.audits.Add(1)
	writeJSON(w, http.StatusOK, a)
}
