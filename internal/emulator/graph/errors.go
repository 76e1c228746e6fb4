package graph

import (
	"encoding/json"
	mrand "math/rand/v2"
	"net/http"
	"strconv"
	"time"
)

// apiError is a Graph error answer on its way to the client.
type apiError struct {
	status   int
	code     string
	message  string
	location string // Location header of a 410
}

func (a *apiError) Error() string { return a.code + ": " + a.message }

func badRequest(code, message string) *apiError {
	return &apiError{status: http.StatusBadRequest, code: code, message: message}
}

func notFound(id string) *apiError {
	return &apiError{status: http.StatusNotFound, code: "Request_ResourceNotFound",
		message: "Resource '" + id + "' does not exist or one of its queried reference-property objects are not present."}
}

// codeForStatus is the Graph error code an injected fault of that status
// carries.
func codeForStatus(status int) string {
	switch status {
	case http.StatusTooManyRequests:
		return "TooManyRequests"
	case http.StatusServiceUnavailable:
		return "serviceNotAvailable"
	case http.StatusGatewayTimeout:
		return "GatewayTimeout"
	case http.StatusUnauthorized:
		return "InvalidAuthenticationToken"
	case http.StatusForbidden:
		return "Authorization_RequestDenied"
	case http.StatusNotFound:
		return "Request_ResourceNotFound"
	case http.StatusGone:
		return "SyncStateNotFound"
	case http.StatusBadRequest:
		return "Request_BadRequest"
	}
	if status >= 500 {
		return "generalException"
	}
	return "UnknownError"
}

func messageForStatus(status int) string {
	switch status {
	case http.StatusTooManyRequests:
		return "Too many requests. Please try again later."
	case http.StatusServiceUnavailable:
		return "The service is temporarily unavailable. Please try again later."
	case http.StatusUnauthorized:
		return "Access token has expired or is not yet valid."
	case http.StatusGone:
		return "The sync state generation is not found; generation=0;"
	}
	return http.StatusText(status)
}

// startRequest stamps the request-id headers Graph returns on every
// response.
func startRequest(w http.ResponseWriter, r *http.Request) {
	id := formatUUID(randomBytes16())
	h := w.Header()
	h.Set("request-id", id)
	if c := r.Header.Get("client-request-id"); c != "" {
		h.Set("client-request-id", c)
	} else {
		h.Set("client-request-id", id)
	}
}

func randomBytes16() [16]byte {
	var b [16]byte
	a, c := mrand.Uint64(), mrand.Uint64()
	for i := range 8 {
		b[i], b[8+i] = byte(a>>(8*i)), byte(c>>(8*i))
	}
	return b
}

type graphErrorBody struct {
	Error graphErrorDetail `json:"error"`
}

type graphErrorDetail struct {
	Code       string          `json:"code"`
	Message    string          `json:"message"`
	InnerError graphInnerError `json:"innerError"`
}

type graphInnerError struct {
	Date            string `json:"date"`
	RequestID       string `json:"request-id"`
	ClientRequestID string `json:"client-request-id"`
}

// writeGraphError writes the Graph error body of APIS.md 1.5.
func (e *Emulator) writeGraphError(w http.ResponseWriter, status int, code, message string) {
	h := w.Header()
	body := graphErrorBody{Error: graphErrorDetail{Code: code, Message: message, InnerError: graphInnerError{
		Date:            e.opts.Now().UTC().Format("2006-01-02T15:04:05"),
		RequestID:       h.Get("request-id"),
		ClientRequestID: h.Get("client-request-id"),
	}}}
	b, _ := json.Marshal(body)
	if status == http.StatusTooManyRequests || status == http.StatusServiceUnavailable {
		e.throttled.Add(1)
	}
	h.Set("Content-Type", "application/json")
	h.Set("Content-Length", strconv.Itoa(len(b)))
	w.WriteHeader(status)
	_, _ = w.Write(b)
}

func (e *Emulator) writeAPIError(w http.ResponseWriter, err *apiError) {
	if err.location != "" {
		w.Header().Set("Location", err.location)
	}
	e.writeGraphError(w, err.status, err.code, err.message)
}

type oauthErrorBody struct {
	Error            string `json:"error"`
	ErrorDescription string `json:"error_description"`
	ErrorCodes       []int  `json:"error_codes"`
	Timestamp        string `json:"timestamp"`
	TraceID          string `json:"trace_id"`
	CorrelationID    string `json:"correlation_id"`
	ErrorURI         string `json:"error_uri"`
}

// writeOAuthError writes the identity platform's token endpoint error body.
// The description never includes what the client sent as a secret.
func (e *Emulator) writeOAuthError(w http.ResponseWriter, r *http.Request, status int, oauthCode string, aadsts int, text string) {
	now := e.opts.Now().UTC()
	ts := now.Format("2006-01-02 15:04:05Z")
	trace := formatUUID(randomBytes16())
	corr := r.Header.Get("client-request-id")
	if corr == "" {
		corr = formatUUID(randomBytes16())
	}
	code := strconv.Itoa(aadsts)
	body := oauthErrorBody{
		Error:            oauthCode,
		ErrorDescription: "AADSTS" + code + ": " + text + "\r\nTrace ID: " + trace + "\r\nCorrelation ID: " + corr + "\r\nTimestamp: " + ts,
		ErrorCodes:       []int{aadsts},
		Timestamp:        ts,
		TraceID:          trace,
		CorrelationID:    corr,
		ErrorURI:         "https://login.microsoftonline.com/error?code=" + code,
	}
	b, _ := json.Marshal(body)
	if status == http.StatusTooManyRequests || status == http.StatusServiceUnavailable {
		e.throttled.Add(1)
	}
	h := w.Header()
	h.Set("Content-Type", "application/json; charset=utf-8")
	h.Set("Cache-Control", "no-store, no-cache")
	h.Set("x-ms-request-id", trace)
	h.Set("Content-Length", strconv.Itoa(len(b)))
	w.WriteHeader(status)
	_, _ = w.Write(b)
}

// retryAfterSeconds renders a wait as a Retry-After value in whole seconds,
// at least one.
func retryAfterSeconds(d time.Duration) string {
	s := int((d + time.Second - 1) / time.Second)
	return strconv.Itoa(max(1, s))
}
