package entra

import (
	"crypto"
	"crypto/rsa"
	"crypto/sha1" //nolint:gosec // x5t is a SHA-1 thumbprint.
	"crypto/sha256"
	"encoding/base64"
	"encoding/json"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/integrator-oss/integrator/internal/connector/msgraph"
)

func TestClientAssertion(t *testing.T) {
	t.Parallel()
	tc := loadTestCert(t)
	certFile, keyFile := tc.writeFiles(t)
	cert, err := msgraph.LoadCertificate(certFile, keyFile)
	require.NoError(t, err)

	now := time.Unix(1_700_000_000, 0)
	jwt, err := cert.Assertion("client-1", "https://login.example/t/oauth2/v2.0/token", now)
	require.NoError(t, err)
	parts := strings.Split(jwt, ".")
	require.Len(t, parts, 3)

	var header map[string]string
	decodeSegment(t, parts[0], &header)
	sum := sha1.Sum(tc.der) //nolint:gosec // see the import.
	require.Equal(t, "RS256", header["alg"])
	require.Equal(t, base64.RawURLEncoding.EncodeToString(sum[:]), header["x5t"])

	var claims map[string]any
	decodeSegment(t, parts[1], &claims)
	require.Equal(t, "https://login.example/t/oauth2/v2.0/token", claims["aud"])
	require.Equal(t, "client-1", claims["iss"])
	require.Equal(t, "client-1", claims["sub"])
	require.NotEmpty(t, claims["jti"])
	require.InDelta(t, float64(now.Unix()), claims["nbf"], 0)
	require.InDelta(t, float64(now.Add(10*time.Minute).Unix()), claims["exp"], 0)

	sig, err := base64.RawURLEncoding.DecodeString(parts[2])
	require.NoError(t, err)
	digest := sha256.Sum256([]byte(parts[0] + "." + parts[1]))
	require.NoError(t, rsa.VerifyPKCS1v15(&tc.key.PublicKey, crypto.SHA256, digest[:], sig))

	again, err := cert.Assertion("client-1", "https://login.example/t/oauth2/v2.0/token", now)
	require.NoError(t, err)
	var claims2 map[string]any
	decodeSegment(t, strings.Split(again, ".")[1], &claims2)
	require.NotEqual(t, claims["jti"], claims2["jti"], "every assertion needs its own jti")
}

func decodeSegment(t *testing.T, seg string, v any) {
	t.Helper()
	b, err := base64.RawURLEncoding.DecodeString(seg)
	require.NoError(t, err)
	require.NoError(t, json.Unmarshal(b, v))
}
