package httpclient

import (
	"encoding/pem"
	"errors"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/integrator-oss/integrator/internal/connector"
)

func TestValidateListsEveryProblem(t *testing.T) {
	t.Parallel()
	cfg := Config{Timeout: -1, MaxRetries: -2, RequestsPerSecond: -1, CAFile: filepath.Join(t.TempDir(), "missing.pem")}
	err := cfg.Validate()
	require.Error(t, err)
	var fields []string
	for _, e := range err.(interface{ Unwrap() []error }).Unwrap() {
		var fe *connector.FieldError
		require.True(t, errors.As(e, &fe))
		fields = append(fields, fe.Field)
	}
	require.Equal(t, []string{"timeout", "max_retries", "requests_per_second", "ca_file"}, fields)
	require.NoError(t, Config{}.Validate())
	require.NoError(t, Config{MaxRetries: -1}.Validate())
}

func TestDefaults(t *testing.T) {
	t.Parallel()
	c := Config{}.WithDefaults()
	require.Equal(t, DefaultTimeout, c.Timeout)
	require.Equal(t, DefaultMaxRetries, c.MaxRetries)
	require.Zero(t, c.RequestsPerSecond)
	require.Equal(t, -1, Config{MaxRetries: -1}.WithDefaults().MaxRetries)
}

func TestCAFileIsTrusted(t *testing.T) {
	t.Parallel()
	srv := httptest.NewTLSServer(http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {
		w.WriteHeader(http.StatusOK)
	}))
	t.Cleanup(srv.Close)
	caFile := filepath.Join(t.TempDir(), "ca.pem")
	require.NoError(t, os.WriteFile(caFile, pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: srv.Certificate().Raw}), 0o600))

	do := func(cfg Config) error {
		c, err := New(cfg, Options{})
		require.NoError(t, err)
		defer c.CloseIdleConnections()
		req, err := http.NewRequestWithContext(t.Context(), http.MethodGet, srv.URL, nil)
		require.NoError(t, err)
		resp, err := c.Do(req)
		if err == nil {
			_ = resp.Body.Close()
		}
		return err
	}

	require.NoError(t, do(Config{CAFile: caFile}))
	require.NoError(t, do(Config{InsecureSkipVerify: true}))
	err := do(Config{})
	require.Error(t, err, "an untrusted certificate must fail")
	require.False(t, connector.IsRetryable(err), "certificate errors are not transient")
}

func TestCAFileWithoutCertificates(t *testing.T) {
	t.Parallel()
	caFile := filepath.Join(t.TempDir(), "ca.pem")
	require.NoError(t, os.WriteFile(caFile, []byte("not a certificate"), 0o600))
	_, err := New(Config{CAFile: caFile}, Options{})
	require.ErrorContains(t, err, "no PEM certificate")
	require.ErrorContains(t, Config{CAFile: caFile}.Validate(), "ca_file")
}
