package main_test

import (
	"context"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/pem"
	"math/big"
	"net"
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
)

// selfSigned writes a certificate for 127.0.0.1 and its key.
func selfSigned(t *testing.T, dir string) (certFile, keyFile string) {
	t.Helper()
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	require.NoError(t, err)
	tmpl := &x509.Certificate{SerialNumber: big.NewInt(1), Subject: pkix.Name{CommonName: "integrator test"},
		NotBefore: time.Now().Add(-time.Hour), NotAfter: time.Now().Add(time.Hour),
		IPAddresses: []net.IP{net.ParseIP("127.0.0.1")}, KeyUsage: x509.KeyUsageDigitalSignature, ExtKeyUsage: []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth}}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	require.NoError(t, err)
	kb, err := x509.MarshalECPrivateKey(key)
	require.NoError(t, err)
	certFile, keyFile = filepath.Join(dir, "tls.crt"), filepath.Join(dir, "tls.key")
	require.NoError(t, os.WriteFile(certFile, pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: der}), 0o600))
	require.NoError(t, os.WriteFile(keyFile, pem.EncodeToMemory(&pem.Block{Type: "EC PRIVATE KEY", Bytes: kb}), 0o600))
	return certFile, keyFile
}

var setupLink = regexp.MustCompile(`https://[0-9.:]+/setup\?token=itu_[A-Za-z0-9_-]+`)

// A first start over TLS prints a one-time setup link; setting the
// password through it opens a Secure session; every route but health
// needs it.
func TestServeTLSFirstStartSetupLink(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	cert, key := selfSigned(t, dir)
	cfg := filepath.Join(dir, "integrator.yaml")
	require.NoError(t, os.WriteFile(cfg, []byte("store: sqlite:"+filepath.Join(dir, "i.db")+"\nlisten: 127.0.0.1:0\ntls_cert_file: "+cert+"\ntls_key_file: "+key+"\n"), 0o600))
	ctx, cancel := context.WithCancel(t.Context())
	defer cancel()
	c := (&e2e{cfg: cfg}).cmd(ctx, "serve")
	c.Env = withoutEnv(c.Env, "INTEGRATOR_ADMIN_PASSWORD", "INTEGRATOR_SECRET_KEY")
	var out syncBuf
	c.Stdout, c.Stderr = &out, &out
	require.NoError(t, c.Start())
	var link string
	deadline := time.Now().Add(20 * time.Second)
	for link == "" {
		require.True(t, time.Now().Before(deadline), "no setup link:\n%s", out.String())
		link = setupLink.FindString(out.String())
		time.Sleep(50 * time.Millisecond)
	}
	u, err := url.Parse(link)
	require.NoError(t, err)
	fi, err := os.Stat(filepath.Join(dir, "i.key"))
	require.NoError(t, err, "the secret key file is created beside the database")
	require.Equal(t, os.FileMode(0o600), fi.Mode().Perm())

	pool := x509.NewCertPool()
	pemCert, err := os.ReadFile(cert)
	require.NoError(t, err)
	require.True(t, pool.AppendCertsFromPEM(pemCert))
	client := &http.Client{Transport: &http.Transport{TLSClientConfig: &tls.Config{RootCAs: pool}},
		CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
	base := "https://" + u.Host

	resp, err := client.Get(base + "/healthz")
	require.NoError(t, err)
	resp.Body.Close()
	require.Equal(t, 200, resp.StatusCode)
	resp, err = client.Get(base + "/api/v1/integrations")
	require.NoError(t, err)
	resp.Body.Close()
	require.Equal(t, http.StatusUnauthorized, resp.StatusCode)
	resp, err = client.Get(link)
	require.NoError(t, err)
	resp.Body.Close()
	require.Equal(t, 200, resp.StatusCode, "the setup page")

	resp, err = client.PostForm(base+"/setup", url.Values{"token": {u.Query().Get("token")}, "password": {"a strong passphrase"}, "password2": {"a strong passphrase"}})
	require.NoError(t, err)
	resp.Body.Close()
	require.Equal(t, http.StatusSeeOther, resp.StatusCode)
	var session *http.Cookie
	for _, ck := range resp.Cookies() {
		if ck.Name == "integrator_session" {
			session = ck
		}
	}
	require.NotNil(t, session)
	require.True(t, session.Secure, "Secure under TLS")
	require.True(t, session.HttpOnly)

	req, _ := http.NewRequest("GET", base+"/api/v1/me", nil)
	req.AddCookie(session)
	resp, err = client.Do(req)
	require.NoError(t, err)
	resp.Body.Close()
	require.Equal(t, 200, resp.StatusCode)
	resp, err = client.Get(link)
	require.NoError(t, err)
	resp.Body.Close()
	require.Equal(t, http.StatusUnauthorized, resp.StatusCode, "the link works once")

	require.NoError(t, c.Process.Signal(syscall.SIGTERM))
	require.NoError(t, c.Wait(), out.String())
	require.False(t, strings.Contains(out.String(), "a strong passphrase"))
}

// withoutEnv drops the named variables from an environment.
func withoutEnv(env []string, names ...string) []string {
	var out []string
	for _, e := range env {
		name, _, _ := strings.Cut(e, "=")
		if !slices.Contains(names, name) {
			out = append(out, e)
		}
	}
	return out
}
