package google

import (
	"encoding/json"
	"net/http"
	"strconv"
)

// apiError is a Directory API error on its way to the client.
type apiError struct {
	status  int
	message string
	// reason and domain fill errors[0]; location and locationType too when
	// set (a bad parameter, the Authorization header).
	reason, domain         string
	location, locationType string
	retryAfter             string
}

func (a *apiError) Error() string { return a.reason + ": " + a.message }

// Google's canonical status names (google.rpc.Code) per HTTP status.
func statusName(code int) string {
	switch code {
	case http.StatusBadRequest:
		return "INVALID_ARGUMENT"
	case http.StatusUnauthorized:
		return "UNAUTHENTICATED"
	case http.StatusForbidden:
		return "PERMISSION_DENIED"
	case http.StatusNotFound:
		return "NOT_FOUND"
	case http.StatusConflict:
		return "ALREADY_EXISTS"
	case http.StatusTooManyRequests:
		return "RESOURCE_EXHAUSTED"
	case http.StatusNotImplemented:
		return "UNIMPLEMENTED"
	case http.StatusServiceUnavailable:
		return "UNAVAILABLE"
	case http.StatusGatewayTimeout:
		return "DEADLINE_EXCEEDED"
	}
	if code >= 500 {
		return "INTERNAL"
	}
	return "UNKNOWN"
}

func badRequest(message string) *apiError {
	return &apiError{status: http.StatusBadRequest, message: message, reason: "badRequest", domain: "global"}
}

func invalidParameter(param, message string) *apiError {
	return &apiError{status: http.StatusBadRequest, message: message, reason: "invalidParameter", domain: "global",
		location: param, locationType: "parameter"}
}

func notFound(what string) *apiError {
	return &apiError{status: http.StatusNotFound, message: "Resource Not Found: " + what, reason: "notFound", domain: "global"}
}

// notAuthorized is the answer to a caller that is not an administrator of
// the customer, or a domain the customer does not own.
func notAuthorized() *apiError {
	return &apiError{status: http.StatusForbidden, message: "Not Authorized to access this resource/api", reason: "forbidden", domain: "global"}
}

func insufficientScopes() *apiError {
	return &apiError{status: http.StatusForbidden, message: "Request had insufficient authentication scopes.",
		reason: "insufficientPermissions", domain: "global"}
}

func invalidCredentials() *apiError {
	return &apiError{status: http.StatusUnauthorized,
		message: "Request had invalid authentication credentials. Expected OAuth 2 access token, login cookie or other valid authentication credential. See https://developers.google.com/identity/sign-in/web/devconsole-project.",
		reason:  "authError", domain: "global", location: "Authorization", locationType: "header"}
}

func missingCredentials() *apiError {
	return &apiError{status: http.StatusUnauthorized,
		message: "Request is missing required authentication credential. Expected OAuth 2 access token, login cookie or other valid authentication credential. See https://developers.google.com/identity/sign-in/web/devconsole-project.",
		reason:  "required", domain: "global", location: "Authorization", locationType: "header"}
}

func userRateLimited() *apiError {
	return &apiError{status: http.StatusForbidden,
		message: "Quota exceeded for quota metric 'Queries' and limit 'Queries per minute per user' of service 'admin.googleapis.com'.",
		reason:  "userRateLimitExceeded", domain: "usageLimits"}
}

func rateLimited(retryAfter string) *apiError {
	return &apiError{status: http.StatusTooManyRequests,
		message: "Quota exceeded for quota metric 'Queries' and limit 'Queries per minute' of service 'admin.googleapis.com'.",
		reason:  "rateLimitExceeded", domain: "usageLimits", retryAfter: retryAfter}
}

func backendError(status int) *apiError {
	msg := "Internal error encountered."
	if status == http.StatusServiceUnavailable {
		msg = "The service is currently unavailable."
	}
	return &apiError{status: status, message: msg, reason: "backendError", domain: "global"}
}

type errorItem struct {
	Message      string `json:"message"`
	Domain       string `json:"domain"`
	Reason       string `json:"reason"`
	Location     string `json:"location,omitempty"`
	LocationType string `json:"locationType,omitempty"`
}

type errorBody struct {
	Error struct {
		Code    int         `json:"code"`
		Message string      `json:"message"`
		Errors  []errorItem `json:"errors"`
		Status  string      `json:"status"`
	} `json:"error"`
}

// writeAPIError writes Google's JSON error body.
func (e *Emulator) writeAPIError(w http.ResponseWriter, a *apiError) {
	var body errorBody
	body.Error.Code = a.status
	body.Error.Message = a.message
	body.Error.Status = statusName(a.status)
	body.Error.Errors = []errorItem{{Message: a.message, Domain: a.domain, Reason: a.reason,
		Location: a.location, LocationType: a.locationType}}
	if a.reason == "authError" || a.reason == "required" {
		// The per-error message is the short one on 401s.
		body.Error.Errors[0].Message = "Invalid Credentials"
		if a.reason == "required" {
			body.Error.Errors[0].Message = "Login Required."
		}
		w.Header().Set("WWW-Authenticate", `Bearer realm="https://accounts.google.com/", error="invalid_token"`)
	}
	if a.status == http.StatusTooManyRequests || a.reason == "userRateLimitExceeded" || a.reason == "rateLimitExceeded" {
		e.throttled.Add(1)
	}
	if a.retryAfter != "" {
		w.Header().Set("Retry-After", a.retryAfter)
	}
	writeJSON(w, a.status, body)
}

// writeOAuthError writes the token endpoint's error body.
func (e *Emulator) writeOAuthError(w http.ResponseWriter, status int, code, description string) {
	body := map[string]string{"error": code}
	if description != "" {
		body["error_description"] = description
	}
	w.Header().Set("Cache-Control", "no-cache, no-store, max-age=0, must-revalidate")
	writeJSON(w, status, body)
}

func writeJSON(w http.ResponseWriter, status int, v any) {
	b, _ := json.Marshal(v)
	h := w.Header()
	h.Set("Content-Type", "application/json; charset=UTF-8")
	h.Set("Content-Length", strconv.Itoa(len(b)))
	w.WriteHeader(status)
	_, _ = w.Write(b)
}
