package secret_test

import (
	"errors"
	"os"
	"path/filepath"
	"testing"

	"github.com/stretchr/testify/require"
	"go.yaml.in/yaml/v3"

	"github.com/integrator-oss/integrator/internal/secret"
)

type holder struct {
	Secret secret.String `yaml:"secret"`
	Other  int           `yaml:"other"`
}

func decode(t *testing.T, doc string) (holder, error) {
	t.Helper()
	var h holder
	err := yaml.Unmarshal([]byte(doc), &h)
	return h, err
}

func TestUnmarshalYAMLLiteral(t *testing.T) {
	t.Parallel()

	h, err := decode(t, "secret: hunter2\n")
	require.NoError(t, err)
	require.Equal(t, "hunter2", h.Secret.Reveal())
	require.Equal(t, secret.Redacted, h.Secret.String())
}

func TestUnmarshalYAMLFile(t *testing.T) {
	t.Parallel()

	dir := t.TempDir()
	for _, tc := range []struct {
		name, content, want string
	}{
		{"plain", "from-file", "from-file"},
		{"one newline trimmed", "from-file\n", "from-file"},
		{"only one newline trimmed", "from-file\n\n", "from-file\n"},
		{"crlf trimmed", "from-file\r\n", "from-file"},
		{"inner newlines kept", "line1\nline2\n", "line1\nline2"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			path := filepath.Join(dir, tc.name)
			require.NoError(t, os.WriteFile(path, []byte(tc.content), 0o600))
			h, err := decode(t, "secret: {file: "+path+"}\n")
			require.NoError(t, err)
			require.Equal(t, tc.want, h.Secret.Reveal())
		})
	}
}

func TestUnmarshalYAMLEnv(t *testing.T) {
	t.Setenv("INTEGRATOR_SECRET_YAML_TEST", "from-env")
	t.Setenv("INTEGRATOR_SECRET_YAML_EMPTY", "")

	h, err := decode(t, "secret: {env: INTEGRATOR_SECRET_YAML_TEST}\n")
	require.NoError(t, err)
	require.Equal(t, "from-env", h.Secret.Reveal())

	_, err = decode(t, "secret: {env: INTEGRATOR_SECRET_YAML_EMPTY}\n")
	require.ErrorContains(t, err, "line 1: secret environment variable INTEGRATOR_SECRET_YAML_EMPTY is empty")
}

func TestUnmarshalYAMLErrors(t *testing.T) {
	t.Parallel()

	dir := t.TempDir()
	empty := filepath.Join(dir, "empty")
	require.NoError(t, os.WriteFile(empty, nil, 0o600))

	for _, tc := range []struct {
		name, doc, errContains string
	}{
		{"missing file", "secret: {file: " + dir + "/nope}", "line 1: reading secret file " + dir + "/nope: no such file or directory"},
		{"directory", "secret: {file: " + dir + "}", "line 1: reading secret file " + dir + ": is a directory"},
		{"empty file", "secret: {file: " + empty + "}", "secret file " + empty + " is empty"},
		{"unset env", "secret: {env: INTEGRATOR_SECRET_YAML_SURELY_UNSET}", "secret environment variable INTEGRATOR_SECRET_YAML_SURELY_UNSET is not set"},
		{"unknown reference", "secret: {vault: x}", `unknown secret reference "vault"`},
		{"two keys", "secret: {file: a, env: B}", "exactly one key"},
		{"list", "secret:\n  - a\n", "line 2: a secret is a string"},
		{"empty path", "secret: {file: ''}", "secret file: must be a non-empty string"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			_, err := decode(t, tc.doc)
			require.ErrorContains(t, err, tc.errContains)
			var te *yaml.TypeError
			require.True(t, errors.As(err, &te), "want a *yaml.TypeError so decoding goes on, got %T", err)
		})
	}
}

func TestUnmarshalYAMLUnreadableFile(t *testing.T) {
	t.Parallel()

	path := filepath.Join(t.TempDir(), "secret")
	require.NoError(t, os.WriteFile(path, []byte("top-secret-content"), 0o600))
	require.NoError(t, os.Chmod(path, 0))
	if _, err := os.ReadFile(path); err == nil {
		t.Skip("mode 000 does not stop this user from reading (running as root)")
	}
	_, err := decode(t, "secret: {file: "+path+"}\n")
	require.ErrorContains(t, err, "reading secret file "+path+": permission denied")
	require.NotContains(t, err.Error(), "top-secret-content")
}

func TestUnmarshalYAMLKeepsDecoding(t *testing.T) {
	t.Parallel()

	// A bad secret must not stop the decoder: the other field's error is
	// reported too, each with its line.
	_, err := decode(t, "secret: {env: INTEGRATOR_SECRET_YAML_SURELY_UNSET}\nother: nope\n")
	require.ErrorContains(t, err, "line 1: secret environment variable")
	require.ErrorContains(t, err, "line 2: cannot unmarshal")
}
