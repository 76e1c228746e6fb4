package msgraph

import (
	"crypto"
	"crypto/rand"
	"crypto/rsa"
	"crypto/sha1" //nolint:gosec // x5t is defined as the SHA-1 thumbprint; it is not used for security.
	"crypto/sha256"
	"crypto/x509"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"encoding/pem"
	"fmt"
	"os"
	"time"

	"github.com/integrator-oss/integrator/internal/connector"
	"github.com/integrator-oss/integrator/internal/secret"
)

// assertionType is the client_assertion_type of a JWT client assertion.
const assertionType = "urn:ietf:params:oauth:client-assertion-type:jwt-bearer"

// assertionLifetime is how long a client assertion is valid.
const assertionLifetime = 10 * time.Minute

// proof is what the token request proves the app's identity with: a
// client secret or a certificate's private key.
type proof struct {
	secret secret.String
	cert   *Certificate
}

func newProof(c Credentials) (proof, error) {
	if !c.UsesCertificate() {
		return proof{secret: c.ClientSecret}, nil
	}
	cert, err := LoadCertificate(c.CertificateFile, c.PrivateKeyFile)
	if err != nil {
		return proof{}, fmt.Errorf("loading the client certificate: %w", err)
	}
	return proof{cert: cert}, nil
}

// Certificate is a loaded client certificate.
type Certificate struct {
	key *rsa.PrivateKey
	// x5t is the base64url SHA-1 thumbprint of the DER certificate, which
	// Entra uses to find the certificate registered on the app.
	x5t string
}

// X5T returns the certificate's base64url SHA-1 thumbprint, the "x5t"
// header of its client assertions.
func (c *Certificate) X5T() string { return c.x5t }

// LoadCertificate reads the first CERTIFICATE block of certFile and the
// first private key block of keyFile, and checks that they belong together.
// Problems come back as *connector.FieldError; no key material is ever put
// in an error.
func LoadCertificate(certFile, keyFile string) (*Certificate, error) {
	certPEM, err := os.ReadFile(certFile)
	if err != nil {
		return nil, &connector.FieldError{Field: "certificate_file", Message: err.Error()}
	}
	var der []byte
	for rest := certPEM; ; {
		var b *pem.Block
		b, rest = pem.Decode(rest)
		if b == nil {
			break
		}
		if b.Type == "CERTIFICATE" {
			der = b.Bytes
			break
		}
	}
	if der == nil {
		return nil, &connector.FieldError{Field: "certificate_file", Message: "no PEM CERTIFICATE block in " + certFile}
	}
	cert, err := x509.ParseCertificate(der)
	if err != nil {
		return nil, &connector.FieldError{Field: "certificate_file", Message: "parsing the certificate: " + err.Error()}
	}
	certKey, ok := cert.PublicKey.(*rsa.PublicKey)
	if !ok {
		return nil, &connector.FieldError{Field: "certificate_file", Message: "the certificate's key is not RSA (Entra client assertions use RS256)"}
	}

	keyPEM, err := os.ReadFile(keyFile)
	if err != nil {
		return nil, &connector.FieldError{Field: "private_key_file", Message: err.Error()}
	}
	key, err := parsePrivateKey(keyPEM)
	if err != nil {
		return nil, &connector.FieldError{Field: "private_key_file", Message: err.Error()}
	}
	if !key.PublicKey.Equal(certKey) {
		return nil, &connector.FieldError{Field: "private_key_file", Message: "the private key does not match certificate_file"}
	}
	sum := sha1.Sum(der) //nolint:gosec // see the import.
	return &Certificate{key: key, x5t: base64.RawURLEncoding.EncodeToString(sum[:])}, nil
}

func parsePrivateKey(data []byte) (*rsa.PrivateKey, error) {
	for rest := data; ; {
		var b *pem.Block
		b, rest = pem.Decode(rest)
		if b == nil {
			return nil, fmt.Errorf("no PEM private key block found")
		}
		switch b.Type {
		case "RSA PRIVATE KEY":
			k, err := x509.ParsePKCS1PrivateKey(b.Bytes)
			if err != nil {
				return nil, fmt.Errorf("parsing the PKCS #1 private key failed")
			}
			return k, nil
		case "PRIVATE KEY":
			k, err := x509.ParsePKCS8PrivateKey(b.Bytes)
			if err != nil {
				return nil, fmt.Errorf("parsing the PKCS #8 private key failed")
			}
			rk, ok := k.(*rsa.PrivateKey)
			if !ok {
				return nil, fmt.Errorf("the private key is not RSA (Entra client assertions use RS256)")
			}
			return rk, nil
		case "ENCRYPTED PRIVATE KEY":
			return nil, fmt.Errorf("the private key is encrypted; give an unencrypted key (protect the file instead)")
		}
	}
}

// Assertion builds a signed client assertion (RFC 7523) for one token
// request: RS256, x5t header, aud = the token URL, iss = sub = client ID,
// valid from now for ten minutes.
func (c *Certificate) Assertion(clientID, tokenURL string, now time.Time) (string, error) {
	header, err := json.Marshal(map[string]string{"alg": "RS256", "typ": "JWT", "x5t": c.x5t})
	if err != nil {
		return "", fmt.Errorf("encoding the assertion header: %w", err)
	}
	var jti [16]byte
	if _, err := rand.Read(jti[:]); err != nil {
		return "", fmt.Errorf("generating the assertion ID: %w", err)
	}
	claims, err := json.Marshal(map[string]any{
		"aud": tokenURL,
		"iss": clientID,
		"sub": clientID,
		"jti": hex.EncodeToString(jti[:]),
		"nbf": now.Unix(),
		"iat": now.Unix(),
		"exp": now.Add(assertionLifetime).Unix(),
	})
	if err != nil {
		return "", fmt.Errorf("encoding the assertion claims: %w", err)
	}
	signing := base64.RawURLEncoding.EncodeToString(header) + "." + base64.RawURLEncoding.EncodeToString(claims)
	digest := sha256.Sum256([]byte(signing))
	sig, err := rsa.SignPKCS1v15(rand.Reader, c.key, crypto.SHA256, digest[:])
	if err != nil {
		return "", fmt.Errorf("signing the client assertion: %w", err)
	}
	return signing + "." + base64.RawURLEncoding.EncodeToString(sig), nil
}
