package auth

import (
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
)

// Token prefixes say what a token is when one turns up in a log or a
// secret scanner.
const (
	PrefixToken   = "itg_"
	PrefixSession = "its_"
	PrefixSetup   = "itu_"
)

// newToken returns a random bearer token (256 bits) with a prefix.
func newToken(prefix string) string {
	b := make([]byte, 32)
	rand.Read(b)
	return prefix + base64.RawURLEncoding.EncodeToString(b)
}

// hashToken is what the store keeps of a token. A plain SHA-256 is right
// for 256-bit random tokens: nothing to brute-force, and a lookup by hash.
func hashToken(tok string) []byte {
	h := sha256.Sum256([]byte(tok))
	return h[:]
}
