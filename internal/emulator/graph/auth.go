package graph

import (
	"crypto"
	"crypto/rand"
	"crypto/rsa"
	"crypto/sha256"
	"crypto/subtle"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"
)

const assertionType = "urn:ietf:params:oauth:client-assertion-type:jwt-bearer"

// serveToken implements the client credentials grant of the v2.0 token
// endpoint.
func (e *Emulator) serveToken(w http.ResponseWriter, r *http.Request, tenant string) {
	e.tokenRequests.Add(1)
	if r.Method != http.MethodPost {
		e.writeOAuthError(w, r, http.StatusMethodNotAllowed, "invalid_request", 900561,
			"The endpoint only accepts POST requests. Received a "+r.Method+" request.")
		return
	}
	if !e.knownTenant(tenant) {
		e.writeOAuthError(w, r, http.StatusBadRequest, "invalid_request", 90002,
			"Tenant '"+tenant+"' not found. Check to make sure you have the correct tenant ID and are signing into the correct cloud.")
		return
	}
	if err := r.ParseForm(); err != nil {
		e.writeOAuthError(w, r, http.StatusBadRequest, "invalid_request", 900144,
			"The request body must be application/x-www-form-urlencoded.")
		return
	}
	f := r.PostForm
	clientID, secret := f.Get("client_id"), f.Get("client_secret")
	if u, p, ok := r.BasicAuth(); ok {
		// RFC 6749 2.3.1: both are form-encoded before Basic encoding.
		clientID, secret = cmpOr(clientID, formUnescape(u)), cmpOr(secret, formUnescape(p))
	}
	if gt := f.Get("grant_type"); gt != "client_credentials" {
		if gt == "" {
			e.writeOAuthError(w, r, http.StatusBadRequest, "invalid_request", 900144,
				"The request body must contain the following parameter: 'grant_type'.")
		} else {
			e.writeOAuthError(w, r, http.StatusBadRequest, "unsupported_grant_type", 70003,
				"The app requested an unsupported grant type '"+gt+"'.")
		}
		return
	}
	if clientID == "" {
		e.writeOAuthError(w, r, http.StatusBadRequest, "invalid_request", 900144,
			"The request body must contain the following parameter: 'client_id'.")
		return
	}
	if clientID != e.opts.ClientID {
		e.writeOAuthError(w, r, http.StatusBadRequest, "unauthorized_client", 700016,
			"Application with identifier '"+clientID+"' was not found in the directory '"+e.opts.Organization+
				"'. This can happen if the application has not been installed by the administrator of the tenant or consented to by any user in the tenant.")
		return
	}
	scope := f.Get("scope")
	if scope == "" {
		e.writeOAuthError(w, r, http.StatusBadRequest, "invalid_request", 900144,
			"The request body must contain the following parameter: 'scope'.")
		return
	}
	if strings.ContainsAny(scope, " +") || !strings.HasSuffix(scope, "/.default") || len(scope) == len("/.default") {
		e.writeOAuthError(w, r, http.StatusBadRequest, "invalid_scope", 1002012,
			"The provided value for scope "+scope+" is not valid. Client credential flows must have a scope value with /.default suffixed to the resource identifier (application ID URI).")
		return
	}
	switch {
	case f.Get("client_assertion") != "":
		if f.Get("client_assertion_type") != assertionType {
			e.writeOAuthError(w, r, http.StatusBadRequest, "invalid_request", 50027,
				"The client_assertion_type must be '"+assertionType+"'.")
			return
		}
		if code, msg := e.verifyAssertion(f.Get("client_assertion"), tenant); code != 0 {
			e.writeOAuthError(w, r, http.StatusUnauthorized, "invalid_client", code, msg)
			return
		}
	case secret != "":
		if e.opts.ClientSecret == "" || subtle.ConstantTimeCompare([]byte(secret), []byte(e.opts.ClientSecret)) != 1 {
			e.logger.Debug("token request with a wrong client secret", "client_id", clientID)
			e.writeOAuthError(w, r, http.StatusUnauthorized, "invalid_client", 7000215,
				"Invalid client secret provided. Ensure the secret being sent in the request is the client secret value, not the client secret ID, for a secret added to app '"+clientID+"'.")
			return
		}
	default:
		e.writeOAuthError(w, r, http.StatusUnauthorized, "invalid_client", 7000216,
			"'client_assertion', 'client_secret' or 'request' is required for the 'client_credentials' grant type.")
		return
	}

	token := e.issueAccessToken()
	secs := int(e.opts.TokenLifetime/time.Second) - 1
	body, _ := json.Marshal(map[string]any{
		"token_type": "Bearer", "expires_in": secs, "ext_expires_in": secs, "access_token": token,
	})
	h := w.Header()
	h.Set("Content-Type", "application/json; charset=utf-8")
	h.Set("Cache-Control", "no-store, no-cache")
	h.Set("Content-Length", strconv.Itoa(len(body)))
	_, _ = w.Write(body)
}

func formUnescape(s string) string {
	if v, err := url.QueryUnescape(s); err == nil {
		return v
	}
	return s
}

func cmpOr(a, b string) string {
	if a != "" {
		return a
	}
	return b
}

func (e *Emulator) knownTenant(t string) bool {
	return strings.EqualFold(t, e.opts.TenantID) || strings.EqualFold(t, e.opts.Domain) ||
		strings.EqualFold(t, e.initialDomain())
}

func (e *Emulator) initialDomain() string {
	return strings.ToLower(strings.ReplaceAll(e.opts.Organization, " ", "")) + ".onmicrosoft.com"
}

func (e *Emulator) issueAccessToken() string {
	var b [32]byte
	_, _ = rand.Read(b[:])
	tok := "emu1." + base64.RawURLEncoding.EncodeToString(b[:])
	now := e.opts.Now()
	e.tokMu.Lock()
	defer e.tokMu.Unlock()
	e.tokIssued++
	if e.tokIssued%256 == 0 {
		for k, exp := range e.tokens {
			if now.After(exp.Add(e.opts.TokenLifetime)) {
				delete(e.tokens, k)
			}
		}
	}
	e.tokens[tok] = now.Add(e.opts.TokenLifetime)
	return tok
}

// checkBearer validates the access token of a Graph request. expire marks
// the token expired first (the "expire-token" fault).
func (e *Emulator) checkBearer(r *http.Request, expire bool) *apiError {
	unauth := func(msg string) *apiError {
		return &apiError{status: http.StatusUnauthorized, code: "InvalidAuthenticationToken", message: msg}
	}
	h := r.Header.Get("Authorization")
	tok, ok := strings.CutPrefix(h, "Bearer ")
	if !ok {
		tok, ok = strings.CutPrefix(h, "bearer ")
	}
	tok = strings.TrimSpace(tok)
	if !ok || tok == "" {
		return unauth("Access token is empty.")
	}
	now := e.opts.Now()
	e.tokMu.Lock()
	exp, known := e.tokens[tok]
	if known && expire {
		exp = now.Add(-time.Second)
		e.tokens[tok] = exp
	}
	e.tokMu.Unlock()
	if !known {
		return unauth("IDX14100: JWT is not well formed, there are no dots (.).")
	}
	if !now.Before(exp) {
		return unauth("Access token has expired or is not yet valid.")
	}
	return nil
}

type jwtHeader struct {
	Alg string `json:"alg"`
	X5t string `json:"x5t"`
}

type jwtClaims struct {
	Aud json.RawMessage `json:"aud"`
	Iss string          `json:"iss"`
	Sub string          `json:"sub"`
	Exp *float64        `json:"exp"`
	Nbf *float64        `json:"nbf"`
}

// verifyAssertion checks a client assertion JWT; it returns the AADSTS code
// and text of the failure, or 0.
func (e *Emulator) verifyAssertion(jwt, tenant string) (int, string) {
	if e.opts.CertThumbprint == "" || e.opts.CertPublicKey == nil {
		return 700027, "The certificate with identifier used to sign the client assertion is not registered on application."
	}
	parts := strings.Split(jwt, ".")
	if len(parts) != 3 {
		return 50027, "JWT token is invalid or malformed."
	}
	var hdr jwtHeader
	var claims jwtClaims
	if decodeJWTPart(parts[0], &hdr) != nil || decodeJWTPart(parts[1], &claims) != nil {
		return 50027, "JWT token is invalid or malformed."
	}
	if hdr.Alg != "RS256" {
		return 5002738, "Invalid JWT token. '" + hdr.Alg + "' is not a supported signature algorithm."
	}
	if hdr.X5t == "" || hdr.X5t != thumbprintB64(e.opts.CertThumbprint) {
		return 700027, "The certificate with identifier used to sign the client assertion is not registered on application."
	}
	sig, err := base64.RawURLEncoding.DecodeString(strings.TrimRight(parts[2], "="))
	if err != nil {
		return 50027, "JWT token is invalid or malformed."
	}
	sum := sha256.Sum256([]byte(parts[0] + "." + parts[1]))
	if rsa.VerifyPKCS1v15(e.opts.CertPublicKey, crypto.SHA256, sum[:], sig) != nil {
		return 700027, "Client assertion failed signature validation."
	}
	if claims.Iss != e.opts.ClientID || claims.Sub != e.opts.ClientID {
		return 700021, "Client assertion application identifier doesn't match 'client_id' parameter."
	}
	if !e.audienceOK(claims.Aud) {
		return 700021, "The audience claim of the client assertion does not match the token endpoint of this tenant."
	}
	now := float64(e.opts.Now().Unix())
	if claims.Exp == nil || now >= *claims.Exp || claims.Nbf != nil && now+300 < *claims.Nbf {
		return 700024, "Client assertion is not within its valid time range."
	}
	return 0, ""
}

func (e *Emulator) audienceOK(raw json.RawMessage) bool {
	var auds []string
	var one string
	if json.Unmarshal(raw, &one) == nil {
		auds = []string{one}
	} else if json.Unmarshal(raw, &auds) != nil {
		return false
	}
	for _, a := range auds {
		for _, t := range []string{e.opts.TenantID, e.opts.Domain, e.initialDomain()} {
			if strings.HasSuffix(strings.ToLower(a), "/"+strings.ToLower(t)+"/oauth2/v2.0/token") {
				return true
			}
		}
	}
	return false
}

func decodeJWTPart(s string, v any) error {
	b, err := base64.RawURLEncoding.DecodeString(strings.TrimRight(s, "="))
	if err != nil {
		return err
	}
	return json.Unmarshal(b, v)
}

// thumbprintB64 accepts a thumbprint as base64url or as hex (how the Entra
// portal shows it) and returns the base64url form a JWT x5t carries.
func thumbprintB64(t string) string {
	if len(t) == 40 {
		if b, err := hex.DecodeString(t); err == nil {
			return base64.RawURLEncoding.EncodeToString(b)
		}
	}
	return strings.TrimRight(t, "=")
}
