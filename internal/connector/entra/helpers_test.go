package entra

import (
	"bytes"
	"context"
	"crypto/rand"
	"crypto/rsa"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/pem"
	"errors"
	"log/slog"
	"math/big"
	"os"
	"path/filepath"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/integrator-oss/integrator/internal/connector"
	"github.com/integrator-oss/integrator/internal/record"
)

// testCert is a self-signed client certificate, generated once per test
// binary (RSA key generation is slow under -race).
type testCert struct {
	key *rsa.PrivateKey
	der []byte
}

var testCertOnce = sync.OnceValues(func() (*testCert, error) {
	key, err := rsa.GenerateKey(rand.Reader, 2048)
	if err != nil {
		return nil, err
	}
	tmpl := &x509.Certificate{
		SerialNumber: big.NewInt(1),
		Subject:      pkix.Name{CommonName: "integrator test"},
		NotBefore:    time.Now().Add(-time.Hour),
		NotAfter:     time.Now().Add(time.Hour),
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	if err != nil {
		return nil, err
	}
	return &testCert{key: key, der: der}, nil
})

func loadTestCert(t *testing.T) *testCert {
	t.Helper()
	c, err := testCertOnce()
	require.NoError(t, err)
	return c
}

// writeFiles writes the certificate and its PKCS #8 key to a temp dir.
func (c *testCert) writeFiles(t *testing.T) (certFile, keyFile string) {
	t.Helper()
	dir := t.TempDir()
	certFile = filepath.Join(dir, "app.crt")
	keyFile = filepath.Join(dir, "app.key")
	require.NoError(t, os.WriteFile(certFile, pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: c.der}), 0o600))
	pk, err := x509.MarshalPKCS8PrivateKey(c.key)
	require.NoError(t, err)
	require.NoError(t, os.WriteFile(keyFile, pem.EncodeToMemory(&pem.Block{Type: "PRIVATE KEY", Bytes: pk}), 0o600))
	return certFile, keyFile
}

// testSink records what Fetch hands it.
type testSink struct {
	mu       sync.Mutex
	pages    [][]record.Record
	progress []connector.Progress
	// failAt makes Page return errSinkFull on that (1-based) page.
	failAt int
}

var errSinkFull = errors.New("sink full")

func (s *testSink) Page(_ context.Context, recs []record.Record) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.failAt > 0 && len(s.pages)+1 == s.failAt {
		return errSinkFull
	}
	s.pages = append(s.pages, recs)
	return nil
}

func (s *testSink) Progress(p connector.Progress) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.progress = append(s.progress, p)
}

func (s *testSink) records() []record.Record {
	s.mu.Lock()
	defer s.mu.Unlock()
	var all []record.Record
	for _, p := range s.pages {
		all = append(all, p...)
	}
	return all
}

func (s *testSink) waits() []time.Duration {
	s.mu.Lock()
	defer s.mu.Unlock()
	var w []time.Duration
	for _, p := range s.progress {
		if p.Waiting > 0 {
			w = append(w, p.Waiting)
		}
	}
	return w
}

func (s *testSink) requests() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	if len(s.progress) == 0 {
		return 0
	}
	return s.progress[len(s.progress)-1].Requests
}

// fakeSleep records waits instead of sleeping.
type fakeSleep struct {
	mu    sync.Mutex
	slept []time.Duration
}

func (f *fakeSleep) sleep(ctx context.Context, d time.Duration) error {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.slept = append(f.slept, d)
	return ctx.Err()
}

func (f *fakeSleep) total() time.Duration {
	f.mu.Lock()
	defer f.mu.Unlock()
	var t time.Duration
	for _, d := range f.slept {
		t += d
	}
	return t
}

// logBuffer is a concurrency-safe buffer for a slog text handler.
type logBuffer struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (b *logBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.Write(p)
}

func (b *logBuffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.String()
}

func (b *logBuffer) logger() *slog.Logger {
	return slog.New(slog.NewTextHandler(b, &slog.HandlerOptions{Level: slog.LevelDebug}))
}
