package ninjaone

import (
	"crypto/rand"
	"crypto/subtle"
	"encoding/hex"
	"encoding/json"
	"math"
	"net/http"
	"strconv"
	"strings"
	"time"
)

// serveHTTP routes a request: token endpoint, faults, rate limit, bearer
// check, then the API resource.
func (e *Emulator) serveHTTP(w http.ResponseWriter, r *http.Request) {
	e.requests.Add(1)
	path := r.URL.Path
	e.logger.Debug("ninjaone emulator request", "method", r.Method, "path", path)
	if path == "/oauth/token" || path == "/ws/oauth/token" {
		e.tokenRequests.Add(1)
		if f, hit := e.nextFault(path, true); hit && e.serveFault(w, r, f, e.serveToken) {
			return
		}
		e.serveToken(w, r)
		return
	}
	if !strings.HasPrefix(path, "/v2/") {
		e.writeError(w, http.StatusNotFound, "NOT_FOUND", "Resource not found")
		return
	}
	expire := false
	if f, hit := e.nextFault(path, false); hit {
		if f.Kind == FaultExpireToken {
			expire = true
		} else if e.serveFault(w, r, f, e.serveAPI) {
			return
		}
	}
	if e.limiter != nil {
		now := e.opts.Now()
		res := e.limiter.ReserveN(now, 1)
		if d := res.DelayFrom(now); d > 0 {
			res.CancelAt(now)
			w.Header().Set("Retry-After", strconv.Itoa(int(math.Ceil(d.Seconds()))))
			e.writeError(w, http.StatusTooManyRequests, "TOO_MANY_REQUESTS", "Rate limit exceeded")
			return
		}
	}
	if !e.checkBearer(r, expire) {
		w.Header().Set("WWW-Authenticate", `Bearer error="invalid_token"`)
		e.writeError(w, http.StatusUnauthorized, "UNAUTHORIZED", "Invalid or expired access token")
		return
	}
	e.serveAPI(w, r)
}

// serveAPI serves an authorised /v2 request.
func (e *Emulator) serveAPI(w http.ResponseWriter, r *http.Request) {
	if r.Method != http.MethodGet {
		e.writeError(w, http.StatusMethodNotAllowed, "METHOD_NOT_ALLOWED", "Method not allowed")
		return
	}
	switch p := strings.TrimSuffix(r.URL.Path, "/"); p {
	case "/v2/organizations":
		e.serveOrganizations(w, r)
	case "/v2/locations":
		e.serveLocations(w, r)
	case "/v2/devices":
		e.serveDevices(w, r, false)
	case "/v2/devices-detailed":
		e.serveDevices(w, r, true)
	default:
		if q, ok := strings.CutPrefix(p, "/v2/queries/"); ok {
			if kind, ok := queryKinds[q]; ok {
				e.serveQuery(w, r, kind)
				return
			}
		}
		e.writeError(w, http.StatusNotFound, "NOT_FOUND", "Resource not found")
	}
}

// serveToken implements the client credentials grant.
func (e *Emulator) serveToken(w http.ResponseWriter, r *http.Request) {
	if r.Method != http.MethodPost {
		e.writeOAuthError(w, http.StatusMethodNotAllowed, "invalid_request", "POST required")
		return
	}
	if err := r.ParseForm(); err != nil {
		e.writeOAuthError(w, http.StatusBadRequest, "invalid_request", "unreadable form")
		return
	}
	id, sec := r.PostForm.Get("client_id"), r.PostForm.Get("client_secret")
	if bid, bsec, ok := r.BasicAuth(); ok {
		id, sec = bid, bsec
	}
	switch {
	case r.PostForm.Get("grant_type") != "client_credentials":
		e.writeOAuthError(w, http.StatusBadRequest, "unsupported_grant_type", "Unsupported grant type")
		return
	case id != e.opts.ClientID || (e.opts.ClientSecret != "" && subtle.ConstantTimeCompare([]byte(sec), []byte(e.opts.ClientSecret)) != 1):
		e.writeOAuthError(w, http.StatusUnauthorized, "invalid_client", "Bad client credentials")
		return
	}
	scope := r.PostForm.Get("scope")
	for s := range strings.FieldsSeq(scope) {
		if s != "monitoring" && s != "management" && s != "control" && s != "offline_access" {
			e.writeOAuthError(w, http.StatusBadRequest, "invalid_scope", "Invalid scope: "+s)
			return
		}
	}
	if scope == "" {
		scope = "monitoring"
	}
	tok := randomHex(24)
	e.tokMu.Lock()
	now := e.opts.Now()
	for t, exp := range e.tokens {
		if now.After(exp) {
			delete(e.tokens, t)
		}
	}
	e.tokens[tok] = now.Add(e.opts.TokenLifetime)
	e.tokMu.Unlock()
	writeJSON(w, http.StatusOK, map[string]any{
		"access_token": tok, "token_type": "Bearer",
		"expires_in": int(e.opts.TokenLifetime.Seconds()), "scope": scope,
	})
}

func (e *Emulator) checkBearer(r *http.Request, expire bool) bool {
	tok, ok := strings.CutPrefix(r.Header.Get("Authorization"), "Bearer ")
	if !ok || tok == "" {
		return false
	}
	e.tokMu.Lock()
	defer e.tokMu.Unlock()
	exp, ok := e.tokens[tok]
	if expire && ok {
		delete(e.tokens, tok)
		return false
	}
	return ok && e.opts.Now().Before(exp)
}

func randomHex(n int) string {
	b := make([]byte, n)
	_, _ = rand.Read(b)
	return hex.EncodeToString(b)
}

// writeError writes the API error body.
func (e *Emulator) writeError(w http.ResponseWriter, status int, code, msg string) {
	if status == http.StatusTooManyRequests {
		e.throttled.Add(1)
	}
	writeJSON(w, status, map[string]string{"resultCode": code, "errorMessage": msg, "incidentId": randomHex(8)})
}

// writeOAuthError writes an OAuth 2.0 error body (RFC 6749 §5.2).
func (e *Emulator) writeOAuthError(w http.ResponseWriter, status int, code, desc string) {
	writeJSON(w, status, map[string]string{"error": code, "error_description": desc})
}

func writeJSON(w http.ResponseWriter, status int, v any) {
	b, _ := json.Marshal(v)
	writeBody(w, status, b)
}

func writeBody(w http.ResponseWriter, status int, b []byte) {
	h := w.Header()
	h.Set("Content-Type", "application/json")
	h.Set("Content-Length", strconv.Itoa(len(b)))
	w.WriteHeader(status)
	_, _ = w.Write(b)
}

// epoch is t as NinjaOne writes times: epoch seconds with a fraction.
func epoch(t time.Time) float64 {
	if t.IsZero() {
		return 0
	}
	return float64(t.UnixMilli()) / 1000
}
