// Package secretbox seals the secrets of integrations created through the
// API or the console before they reach the store: AES-256-GCM with a random
// 96-bit nonce per seal, the integration's name as associated data (a
// sealed blob copied to another integration does not open).
//
// The key comes from the environment variable INTEGRATOR_SECRET_KEY (32
// bytes, base64 or hex encoded) or else from a key file beside the
// database, created with mode 0600 on first use. Losing the key loses the
// stored secrets (they must be entered again), not the integrations.
package secretbox

import (
	"crypto/aes"
	"crypto/cipher"
	"crypto/rand"
	"encoding/base64"
	"encoding/hex"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"strings"
)

// EnvKey is the environment variable that holds the key.
const EnvKey = "INTEGRATOR_SECRET_KEY"

// KeySize is the key's length in bytes (AES-256).
const KeySize = 32

// Box seals and opens secrets with one key.
type Box struct {
	aead cipher.AEAD
	// Source says where the key came from (a file path or the variable's
	// name), never the key.
	Source string
}

// New returns a Box for a 32-byte key.
func New(key []byte) (*Box, error) {
	if len(key) != KeySize {
		return nil, fmt.Errorf("secret key: want %d bytes, got %d", KeySize, len(key))
	}
	block, err := aes.NewCipher(key)
	if err != nil {
		return nil, err
	}
	aead, err := cipher.NewGCM(block)
	if err != nil {
		return nil, err
	}
	return &Box{aead: aead}, nil
}

// Load returns the Box of INTEGRATOR_SECRET_KEY when it is set, else of
// the key file at path, creating the file (mode 0600, a new random key)
// when it does not exist. An empty path with no variable set gives a
// random key that lives as long as the process (an in-memory database).
func Load(path string) (*Box, error) {
	if v, ok := os.LookupEnv(EnvKey); ok {
		key, err := decodeKey(v)
		if err != nil {
			return nil, fmt.Errorf("%s: %w", EnvKey, err)
		}
		b, err := New(key)
		if err != nil {
			return nil, fmt.Errorf("%s: %w", EnvKey, err)
		}
		b.Source = EnvKey
		return b, nil
	}
	if path == "" {
		key := make([]byte, KeySize)
		rand.Read(key)
		b, err := New(key)
		if err == nil {
			b.Source = "a key of this process only"
		}
		return b, err
	}
	data, err := os.ReadFile(path)
	if errors.Is(err, fs.ErrNotExist) {
		data, err = create(path)
	}
	if err != nil {
		return nil, fmt.Errorf("secret key file %s: %w", path, err)
	}
	if fi, err := os.Stat(path); err == nil && fi.Mode().Perm()&0o077 != 0 {
		return nil, fmt.Errorf("secret key file %s: mode %04o lets other users read it; chmod 600 it", path, fi.Mode().Perm())
	}
	key, err := decodeKey(string(data))
	if err != nil {
		return nil, fmt.Errorf("secret key file %s: %w", path, err)
	}
	b, err := New(key)
	if err != nil {
		return nil, fmt.Errorf("secret key file %s: %w", path, err)
	}
	b.Source = path
	return b, nil
}

// create writes a new random key to path, failing if the file appeared
// meanwhile.
func create(path string) ([]byte, error) {
	key := make([]byte, KeySize)
	rand.Read(key)
	data := []byte(base64.StdEncoding.EncodeToString(key) + "\n")
	f, err := os.OpenFile(path, os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o600)
	if errors.Is(err, fs.ErrExist) {
		return os.ReadFile(path)
	}
	if err != nil {
		return nil, err
	}
	if _, err := f.Write(data); err != nil {
		f.Close()
		return nil, err
	}
	return data, f.Close()
}

func decodeKey(s string) ([]byte, error) {
	s = strings.TrimSpace(s)
	if b, err := hex.DecodeString(s); err == nil && len(b) == KeySize {
		return b, nil
	}
	b, err := base64.StdEncoding.DecodeString(s)
	if err != nil || len(b) != KeySize {
		return nil, fmt.Errorf("want %d random bytes, base64 or hex encoded (openssl rand -base64 32)", KeySize)
	}
	return b, nil
}

// Seal encrypts plaintext bound to ad (the integration's name).
func (b *Box) Seal(plaintext []byte, ad string) []byte {
	nonce := make([]byte, b.aead.NonceSize(), b.aead.NonceSize()+len(plaintext)+b.aead.Overhead())
	rand.Read(nonce)
	return b.aead.Seal(nonce, nonce, plaintext, []byte(ad))
}

// ErrOpen is returned when a sealed value does not open: another key, or
// another integration's blob.
var ErrOpen = errors.New("the stored secrets do not open with this key (was the key file or INTEGRATOR_SECRET_KEY changed?)")

// Open decrypts what Seal returned for the same ad.
func (b *Box) Open(sealed []byte, ad string) ([]byte, error) {
	n := b.aead.NonceSize()
	if len(sealed) < n+b.aead.Overhead() {
		return nil, ErrOpen
	}
	out, err := b.aead.Open(nil, sealed[:n], sealed[n:], []byte(ad))
	if err != nil {
		return nil, ErrOpen
	}
	return out, nil
}
