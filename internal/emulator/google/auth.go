package google

import (
	"crypto"
	"crypto/rand"
	"crypto/rsa"
	"crypto/sha256"
	"encoding/base64"
	"encoding/json"
	"net/http"
	"slices"
	"strings"
	"time"
)

// jwtBearer is the grant type of a service account token request.
const jwtBearer = "urn:ietf:params:oauth:grant-type:jwt-bearer"

// maxAssertionLifetime is the longest exp - iat Google accepts.
const maxAssertionLifetime = time.Hour

// clockSkew is how far iat may lie in the future.
const clockSkew = 5 * time.Minute

// accessToken is what an issued token grants.
type accessToken struct {
	subject string // impersonated user's primary email, "" for the service account itself
	scopes  []string
	expiry  time.Time
}

type quotaWindow struct {
	start time.Time
	count int
}

type jwtHeader struct {
	Alg string `json:"alg"`
	Kid string `json:"kid"`
}

type jwtClaims struct {
	Iss   string   `json:"iss"`
	Scope string   `json:"scope"`
	Aud   string   `json:"aud"`
	Sub   string   `json:"sub"`
	Iat   *float64 `json:"iat"`
	Exp   *float64 `json:"exp"`
}

// serveToken implements the JWT-bearer grant of a service account with
// domain-wide delegation.
func (e *Emulator) serveToken(w http.ResponseWriter, r *http.Request) {
	e.tokenRequests.Add(1)
	if r.Method != http.MethodPost {
		e.writeOAuthError(w, http.StatusMethodNotAllowed, "invalid_request", "Method not allowed.")
		return
	}
	if err := r.ParseForm(); err != nil {
		e.writeOAuthError(w, http.StatusBadRequest, "invalid_request", "Could not parse the request body.")
		return
	}
	f := r.PostForm
	switch gt := f.Get("grant_type"); gt {
	case jwtBearer:
	case "":
		e.writeOAuthError(w, http.StatusBadRequest, "invalid_request", "Missing required parameter: grant_type")
		return
	default:
		e.writeOAuthError(w, http.StatusBadRequest, "unsupported_grant_type", "Invalid grant_type: "+gt)
		return
	}
	assertion := f.Get("assertion")
	if assertion == "" {
		e.writeOAuthError(w, http.StatusBadRequest, "invalid_request", "Missing required parameter: assertion")
		return
	}
	claims, msg := e.verifyAssertion(assertion, tokenEndpointURL(r))
	if msg != "" {
		e.writeOAuthError(w, http.StatusBadRequest, "invalid_grant", msg)
		return
	}
	scopes := strings.Fields(claims.Scope)
	if len(scopes) == 0 {
		e.writeOAuthError(w, http.StatusBadRequest, "invalid_scope", "Empty or missing scope not allowed.")
		return
	}
	tok := &accessToken{scopes: scopes}
	if claims.Sub != "" {
		e.mu.RLock()
		u := e.userByKey(claims.Sub, false)
		if u != nil {
			tok.subject = u.PrimaryEmail
		}
		e.mu.RUnlock()
		if u == nil {
			e.writeOAuthError(w, http.StatusBadRequest, "invalid_grant", "Invalid email or User ID")
			return
		}
		e.tokMu.Lock()
		delegated := e.opts.DelegatedScopes
		e.tokMu.Unlock()
		for _, s := range scopes {
			if !slices.Contains(delegated, s) {
				e.logger.Debug("token request for a scope not delegated", "scope", s)
				e.writeOAuthError(w, http.StatusUnauthorized, "unauthorized_client",
					"Client is unauthorized to retrieve access tokens using this method, or client not authorized for any of the scopes requested.")
				return
			}
		}
	}
	now := e.opts.Now()
	tok.expiry = now.Add(e.opts.TokenLifetime)
	var b [32]byte
	_, _ = rand.Read(b[:])
	access := "ya29.emu-" + base64.RawURLEncoding.EncodeToString(b[:])
	e.tokMu.Lock()
	for k, t := range e.tokens {
		if now.After(t.expiry.Add(e.opts.TokenLifetime)) {
			delete(e.tokens, k)
		}
	}
	e.tokens[access] = tok
	e.tokMu.Unlock()
	w.Header().Set("Cache-Control", "no-cache, no-store, max-age=0, must-revalidate")
	writeJSON(w, http.StatusOK, map[string]any{
		"access_token": access,
		"expires_in":   int(e.opts.TokenLifetime / time.Second),
		"token_type":   "Bearer",
	})
}

// tokenEndpointURL is the URL the request was sent to, the audience an
// assertion must name.
func tokenEndpointURL(r *http.Request) string {
	scheme := "http"
	if r.TLS != nil {
		scheme = "https"
	}
	return scheme + "://" + r.Host + r.URL.Path
}

// verifyAssertion checks the signed JWT of a token request and returns its
// claims, or the error_description of an invalid_grant.
func (e *Emulator) verifyAssertion(jwt, audience string) (jwtClaims, string) {
	const malformed = "Invalid JWT: malformed assertion."
	var hdr jwtHeader
	var claims jwtClaims
	parts := strings.Split(jwt, ".")
	if len(parts) != 3 || decodePart(parts[0], &hdr) != nil || decodePart(parts[1], &claims) != nil {
		return claims, malformed
	}
	if hdr.Alg != "RS256" {
		return claims, "Invalid JWT: signing algorithm must be RS256."
	}
	if claims.Iss != e.opts.ServiceAccountEmail {
		return claims, "Invalid grant: account not found"
	}
	if hdr.Kid != "" && hdr.Kid != e.keyID {
		return claims, "Invalid JWT Signature."
	}
	sig, err := base64.RawURLEncoding.DecodeString(strings.TrimRight(parts[2], "="))
	if err != nil {
		return claims, malformed
	}
	sum := sha256.Sum256([]byte(parts[0] + "." + parts[1]))
	if rsa.VerifyPKCS1v15(&e.opts.PrivateKey.PublicKey, crypto.SHA256, sum[:], sig) != nil {
		return claims, "Invalid JWT Signature."
	}
	if claims.Aud != audience {
		return claims, "Invalid JWT: audience must be the token endpoint " + audience + "."
	}
	now := e.opts.Now()
	if claims.Iat == nil || claims.Exp == nil {
		return claims, "Invalid JWT: iat and exp are required."
	}
	iat := time.Unix(int64(*claims.Iat), 0)
	exp := time.Unix(int64(*claims.Exp), 0)
	if exp.Sub(iat) > maxAssertionLifetime || !now.Before(exp) || iat.After(now.Add(clockSkew)) {
		return claims, "Invalid JWT: Token must be a short-lived token (60 minutes) and in a reasonable timeframe. Check your iat and exp values in the JWT claim."
	}
	return claims, ""
}

func decodePart(s string, v any) error {
	b, err := base64.RawURLEncoding.DecodeString(strings.TrimRight(s, "="))
	if err != nil {
		return err
	}
	return json.Unmarshal(b, v)
}

// authorize checks the bearer token of an API request: it must be known,
// unexpired, carry one of scopes and impersonate an administrator. expire
// marks the token expired first (the expire-token fault). It returns the
// impersonated user.
func (e *Emulator) authorize(r *http.Request, scopes []string, expire bool) (string, *apiError) {
	h := r.Header.Get("Authorization")
	access, ok := strings.CutPrefix(h, "Bearer ")
	if !ok {
		access, ok = strings.CutPrefix(h, "bearer ")
	}
	access = strings.TrimSpace(access)
	if !ok || access == "" {
		return "", missingCredentials()
	}
	now := e.opts.Now()
	e.tokMu.Lock()
	tok, known := e.tokens[access]
	if known && expire {
		tok.expiry = now.Add(-time.Second)
	}
	var t accessToken
	if known {
		t = *tok
	}
	e.tokMu.Unlock()
	if !known || !now.Before(t.expiry) {
		return "", invalidCredentials()
	}
	granted := slices.ContainsFunc(t.scopes, func(s string) bool {
		return s == ScopeCloudPlatform || slices.Contains(scopes, s)
	})
	if !granted {
		return "", insufficientScopes()
	}
	if t.subject == "" {
		return "", notAuthorized()
	}
	e.mu.RLock()
	u := e.userByKey(t.subject, false)
	admin := u != nil && u.IsAdmin && !u.Suspended
	e.mu.RUnlock()
	if !admin {
		return "", notAuthorized()
	}
	return t.subject, nil
}

// chargeQuota counts one request of subject against the per-minute quota.
func (e *Emulator) chargeQuota(subject string) *apiError {
	if e.opts.QuotaPerMinute <= 0 {
		return nil
	}
	now := e.opts.Now()
	e.tokMu.Lock()
	defer e.tokMu.Unlock()
	q := e.quota[subject]
	if q == nil || now.Sub(q.start) >= time.Minute || now.Before(q.start) {
		q = &quotaWindow{start: now.Truncate(time.Minute)}
		e.quota[subject] = q
	}
	if q.count >= e.opts.QuotaPerMinute {
		return userRateLimited()
	}
	q.count++
	return nil
}
