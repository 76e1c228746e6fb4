package google

import (
	"crypto/hmac"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"errors"
	"net/url"
	"slices"
	"strings"
)

// pageToken is the state carried by a nextPageToken: where the listing
// stopped in its sort order. It is signed with an HMAC and base64url
// encoded, so clients can neither read nor forge it, and bound to the
// request's other parameters, so it cannot continue a different listing.
type pageToken struct {
	// Method is the list method ("users.list", ...).
	Method string `json:"m"`
	// Query is the fingerprint of the parameters that select and order
	// the listing.
	Query string `json:"q"`
	// Last is the sort position of the last item delivered.
	Last string `json:"l"`
	// Seq is the member sequence number of the last member delivered.
	Seq uint64 `json:"s,omitempty"`
}

var errBadToken = errors.New("malformed or tampered page token")

// pagingParams are the parameters that may change between pages.
var pagingParams = []string{"pageToken", "maxResults", "fields", "alt", "prettyPrint", "key", "quotaUser", "$.xgafv"}

// fingerprint hashes the parameters that select and order a listing.
func fingerprint(method string, q url.Values) string {
	keys := make([]string, 0, len(q))
	for k := range q {
		if !slices.Contains(pagingParams, k) {
			keys = append(keys, k)
		}
	}
	slices.Sort(keys)
	h := sha256.New()
	h.Write([]byte(method))
	for _, k := range keys {
		h.Write([]byte("\x00" + k + "=" + strings.Join(q[k], "\x01")))
	}
	return hex.EncodeToString(h.Sum(nil)[:8])
}

func (e *Emulator) encodeToken(t pageToken) string {
	body, _ := json.Marshal(t)
	mac := hmac.New(sha256.New, e.macKey[:])
	mac.Write(body)
	return base64.RawURLEncoding.EncodeToString(append(body, mac.Sum(nil)[:16]...))
}

func (e *Emulator) decodeToken(s string) (pageToken, error) {
	b, err := base64.RawURLEncoding.DecodeString(s)
	if err != nil || len(b) <= 16 {
		return pageToken{}, errBadToken
	}
	body, sum := b[:len(b)-16], b[len(b)-16:]
	mac := hmac.New(sha256.New, e.macKey[:])
	mac.Write(body)
	if !hmac.Equal(mac.Sum(nil)[:16], sum) {
		return pageToken{}, errBadToken
	}
	var t pageToken
	if err := json.Unmarshal(body, &t); err != nil {
		return pageToken{}, errBadToken
	}
	return t, nil
}

// continuation reads the pageToken of a request to method: the zero token
// on a first page, an error for a token that is forged, expired or issued
// for another listing.
func (e *Emulator) continuation(method string, q url.Values) (pageToken, *apiError) {
	raw := q.Get("pageToken")
	if raw == "" {
		return pageToken{}, nil
	}
	t, err := e.decodeToken(raw)
	if err != nil || t.Method != method || t.Query != fingerprint(method, q) {
		return pageToken{}, invalidParameter("pageToken", "Invalid Input: pageToken")
	}
	return t, nil
}
