package httpclient

import (
	"crypto/tls"
	"crypto/x509"
	"fmt"
	"log/slog"
	"net/http"
	"os"
)

// newTransport builds the base transport: the proxy from the environment
// (HTTPS_PROXY, NO_PROXY), the configured CAs and TLS 1.2 at least.
func newTransport(cfg Config, logger *slog.Logger) (*http.Transport, error) {
	tlsCfg := &tls.Config{MinVersion: tls.VersionTLS12}
	if cfg.CAFile != "" {
		pool, err := loadCAPool(cfg.CAFile)
		if err != nil {
			return nil, fmt.Errorf("loading ca_file: %w", err)
		}
		tlsCfg.RootCAs = pool
	}
	if cfg.InsecureSkipVerify {
		logger.Warn("TLS certificate verification is turned off (insecure_skip_verify): credentials can be intercepted")
		tlsCfg.InsecureSkipVerify = true
	}
	t := http.DefaultTransport.(*http.Transport).Clone()
	t.Proxy = http.ProxyFromEnvironment
	t.TLSClientConfig = tlsCfg
	return t, nil
}

// loadCAPool returns the system pool with the PEM certificates of path added.
func loadCAPool(path string) (*x509.CertPool, error) {
	pem, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("reading CA file: %w", err)
	}
	pool, err := x509.SystemCertPool()
	if err != nil || pool == nil {
		pool = x509.NewCertPool()
	}
	if !pool.AppendCertsFromPEM(pem) {
		return nil, fmt.Errorf("reading CA file %s: no PEM certificate found", path)
	}
	return pool, nil
}
