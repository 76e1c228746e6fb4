package config_test

import (
	"os"
	"path/filepath"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/integrator-oss/integrator/internal/config"
)

func TestTLSFiles(t *testing.T) {
	dir := t.TempDir()
	cert := filepath.Join(dir, "cert.pem")
	require.NoError(t, os.WriteFile(cert, []byte("x"), 0o600))
	cfg, err := config.Parse("c.yaml", []byte("tls_cert_file: "+cert+"\ntls_key_file: "+cert+"\n"), nil)
	require.NoError(t, err)
	require.Equal(t, cert, cfg.TLSCertFile)

	_, err = config.Parse("c.yaml", []byte("tls_cert_file: "+cert+"\n"), nil)
	require.ErrorContains(t, err, "c.yaml:1: tls_key_file: required with tls_cert_file")
	_, err = config.Parse("c.yaml", []byte("tls_cert_file: "+cert+"\ntls_key_file: /nonexistent/key.pem\n"), nil)
	require.ErrorContains(t, err, "c.yaml:2: tls_key_file: cannot read /nonexistent/key.pem: no such file or directory")
}
