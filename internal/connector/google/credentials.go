package google

import (
	"crypto/rsa"
	"crypto/x509"
	"encoding/json"
	"encoding/pem"
	"errors"
	"fmt"

	"github.com/integrator-oss/integrator/internal/connector"
)

// serviceAccountKey is the JSON key file of a service account.
type serviceAccountKey struct {
	Type         string `json:"type"`
	ProjectID    string `json:"project_id"`
	PrivateKeyID string `json:"private_key_id"`
	PrivateKey   string `json:"private_key"`
	ClientEmail  string `json:"client_email"`
	ClientID     string `json:"client_id"`
	TokenURI     string `json:"token_uri"`
}

// loadKey reads and checks the service account key. Problems come back as
// *connector.FieldError naming credentials_file or credentials; none
// carries any part of the key.
func (c Config) loadKey() (*serviceAccountKey, error) {
	data, field, err := c.keyBytes()
	if err != nil {
		return nil, &connector.FieldError{Field: field, Message: err.Error()}
	}
	bad := func(format string, args ...any) error {
		return &connector.FieldError{Field: field, Message: fmt.Sprintf(format, args...)}
	}
	var k serviceAccountKey
	if err := json.Unmarshal(data, &k); err != nil {
		var se *json.SyntaxError
		if errors.As(err, &se) {
			return nil, bad("not a JSON service account key (invalid JSON at byte %d)", se.Offset)
		}
		return nil, bad("not a JSON service account key")
	}
	switch {
	case k.Type != "service_account":
		return nil, bad("the key's type is %q, not \"service_account\": create a JSON key of the service account in the Cloud console", k.Type)
	case k.ClientEmail == "":
		return nil, bad("the key has no client_email")
	case k.PrivateKey == "":
		return nil, bad("the key has no private_key")
	}
	if _, err := parseRSAKey([]byte(k.PrivateKey)); err != nil {
		return nil, bad("private_key: %v", err)
	}
	return &k, nil
}

// parseRSAKey parses the PEM private key of a key file (PKCS #8, as Google
// issues them, or PKCS #1). Its errors never quote the key.
func parseRSAKey(data []byte) (*rsa.PrivateKey, error) {
	b, _ := pem.Decode(data)
	if b == nil {
		return nil, errors.New("no PEM private key block")
	}
	switch b.Type {
	case "PRIVATE KEY":
		k, err := x509.ParsePKCS8PrivateKey(b.Bytes)
		if err != nil {
			return nil, errors.New("parsing the PKCS #8 private key failed")
		}
		rk, ok := k.(*rsa.PrivateKey)
		if !ok {
			return nil, errors.New("the private key is not RSA")
		}
		return rk, nil
	case "RSA PRIVATE KEY":
		k, err := x509.ParsePKCS1PrivateKey(b.Bytes)
		if err != nil {
			return nil, errors.New("parsing the PKCS #1 private key failed")
		}
		return k, nil
	}
	return nil, fmt.Errorf("unexpected PEM block %q", b.Type)
}
