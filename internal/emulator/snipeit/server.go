package snipeit

import (
	"encoding/json"
	"net/http"
	"strconv"
	"strings"
)

const apiPrefix = "/api/v1/"

// serveHTTP routes a request: authentication, faults, throttle, then the
// resource.
func (e *Emulator) serveHTTP(w http.ResponseWriter, r *http.Request) {
	e.requests.Add(1)
	path := r.URL.Path
	e.logger.Debug("snipeit emulator request", "method", r.Method, "path", path)
	w.Header().Set("Content-Type", "application/json")

	f, hit := e.nextFault(r)
	if hit && f.Kind == FaultRevokeToken {
		e.RevokeToken()
	}
	tok, ok := strings.CutPrefix(r.Header.Get("Authorization"), "Bearer ")
	if !ok || !e.tokenValid(tok) {
		// Laravel's Handler answers an unauthenticated API request so.
		writeJSON(w, http.StatusUnauthorized, map[string]any{"error": "Unauthorized or unauthenticated."})
		return
	}
	remaining, refused, reset := e.rate.admit(e.opts.Now())
	if e.opts.RateLimit > 0 {
		w.Header().Set("X-RateLimit-Limit", strconv.Itoa(e.opts.RateLimit))
		w.Header().Set("X-RateLimit-Remaining", strconv.Itoa(remaining))
	}
	if refused {
		e.throttled.Add(1)
		secs := int(reset.Sub(e.opts.Now()).Seconds() + 0.999)
		w.Header().Set("Retry-After", strconv.Itoa(max(secs, 1)))
		w.Header().Set("X-RateLimit-Reset", strconv.FormatInt(reset.Unix(), 10))
		writeEnvelope(w, http.StatusTooManyRequests, "error", "Too many requests")
		return
	}
	if hit {
		e.logger.Debug("snipeit emulator fault", "path", path, "kind", f.Kind, "status", f.Status)
		switch f.Kind {
		case FaultMalformed:
			writeMalformed(w)
			return
		case FaultError200:
			msg := f.Message
			if msg == "" {
				msg = "Server Error"
			}
			writeEnvelope(w, http.StatusOK, "error", msg)
			return
		case FaultStatus:
			if f.RetryAfter != "" {
				w.Header().Set("Retry-After", f.RetryAfter)
			}
			status := f.Status
			if status == 0 {
				status = http.StatusServiceUnavailable
			}
			msg := f.Message
			if msg == "" {
				msg = http.StatusText(status)
			}
			writeEnvelope(w, status, "error", msg)
			return
		}
	}
	if r.Method != http.MethodGet {
		writeEnvelope(w, http.StatusMethodNotAllowed, "error", "Method not allowed")
		return
	}
	rest, ok := strings.CutPrefix(path, apiPrefix)
	if !ok {
		writeEnvelope(w, http.StatusNotFound, "error", "404 endpoint not found")
		return
	}
	switch {
	case rest == "hardware":
		e.serveHardware(w, r)
	case strings.HasPrefix(rest, "hardware/"):
		e.serveOneAsset(w, strings.TrimPrefix(rest, "hardware/"))
	case rest == "locations":
		e.serveLocations(w, r)
	case rest == "users/me":
		e.mu.RLock()
		u := e.users[e.me]
		e.mu.RUnlock()
		writeJSON(w, http.StatusOK, userJSONOf(u))
	default:
		writeEnvelope(w, http.StatusNotFound, "error", "404 endpoint not found")
	}
}

// page reads limit and offset the way Snipe-IT does: a missing, zero or
// too large limit is the maximum, an offset past the end is the end.
func (e *Emulator) page(r *http.Request, total int) (offset, limit int) {
	q := r.URL.Query()
	limit, _ = strconv.Atoi(q.Get("limit"))
	if limit <= 0 || limit > e.opts.MaxResults {
		limit = e.opts.MaxResults
	}
	offset, _ = strconv.Atoi(q.Get("offset"))
	offset = min(max(offset, 0), total)
	return offset, limit
}

func (e *Emulator) serveHardware(w http.ResponseWriter, r *http.Request) {
	q := r.URL.Query()
	deleted := strings.EqualFold(q.Get("status"), "Deleted") || q.Get("deleted") == "true"
	asc := strings.EqualFold(q.Get("order"), "asc")
	e.mu.RLock()
	defer e.mu.RUnlock()
	assets := e.selectAssets(deleted, q.Get("sort"), asc)
	offset, limit := e.page(r, len(assets))
	end := min(offset+limit, len(assets))
	rows := make([]assetJSON, 0, end-offset)
	for _, a := range assets[offset:end] {
		rows = append(rows, e.assetJSON(a))
	}
	writeJSON(w, http.StatusOK, listJSON[assetJSON]{Total: len(assets), Rows: rows})
}

func (e *Emulator) serveOneAsset(w http.ResponseWriter, idStr string) {
	id, err := strconv.Atoi(idStr)
	e.mu.RLock()
	defer e.mu.RUnlock()
	a, ok := e.byID[id]
	if err != nil || !ok || !a.DeletedAt.IsZero() {
		writeEnvelope(w, http.StatusOK, "error", "Asset does not exist.")
		return
	}
	writeJSON(w, http.StatusOK, e.assetJSON(a))
}

func (e *Emulator) serveLocations(w http.ResponseWriter, r *http.Request) {
	e.mu.RLock()
	defer e.mu.RUnlock()
	locs := e.locations
	if strings.EqualFold(r.URL.Query().Get("order"), "desc") {
		locs = make([]Location, len(e.locations))
		for i, l := range e.locations {
			locs[len(locs)-1-i] = l
		}
	}
	offset, limit := e.page(r, len(locs))
	end := min(offset+limit, len(locs))
	rows := make([]locationJSON, 0, end-offset)
	for _, l := range locs[offset:end] {
		rows = append(rows, e.locationJSON(l))
	}
	writeJSON(w, http.StatusOK, listJSON[locationJSON]{Total: len(locs), Rows: rows})
}

func writeJSON(w http.ResponseWriter, status int, v any) {
	w.WriteHeader(status)
	_ = json.NewEncoder(w).Encode(v)
}

// writeEnvelope writes Snipe-IT's standard API response.
func writeEnvelope(w http.ResponseWriter, status int, state, messages string) {
	writeJSON(w, status, map[string]any{"status": state, "messages": messages, "payload": nil})
}
