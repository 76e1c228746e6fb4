package secretbox

import (
	"bytes"
	"os"
	"path/filepath"
	"testing"

	"github.com/stretchr/testify/require"
)

func TestKeyFileCreatedPrivateAndReused(t *testing.T) {
	path := filepath.Join(t.TempDir(), "integrator.key")
	b1, err := Load(path)
	require.NoError(t, err)
	fi, err := os.Stat(path)
	require.NoError(t, err)
	require.Equal(t, os.FileMode(0o600), fi.Mode().Perm())

	sealed := b1.Seal([]byte("s3cr3t-value"), "contoso")
	require.False(t, bytes.Contains(sealed, []byte("s3cr3t")), "sealed bytes hold no plaintext")

	b2, err := Load(path)
	require.NoError(t, err)
	got, err := b2.Open(sealed, "contoso")
	require.NoError(t, err)
	require.Equal(t, "s3cr3t-value", string(got))

	_, err = b2.Open(sealed, "fabrikam")
	require.ErrorIs(t, err, ErrOpen, "bound to the integration's name")
	sealed[len(sealed)-1] ^= 1
	_, err = b2.Open(sealed, "contoso")
	require.ErrorIs(t, err, ErrOpen, "tampering is detected")
}

func TestKeyFileReadableByOthersRefused(t *testing.T) {
	path := filepath.Join(t.TempDir(), "integrator.key")
	_, err := Load(path)
	require.NoError(t, err)
	require.NoError(t, os.Chmod(path, 0o644))
	_, err = Load(path)
	require.ErrorContains(t, err, "chmod 600")
}

func TestKeyFromEnvironment(t *testing.T) {
	t.Setenv(EnvKey, "00112233445566778899aabbccddeeff00112233445566778899aabbccddeeff")
	path := filepath.Join(t.TempDir(), "integrator.key")
	b, err := Load(path)
	require.NoError(t, err)
	require.Equal(t, EnvKey, b.Source)
	_, err = os.Stat(path)
	require.True(t, os.IsNotExist(err), "no key file when the variable is set")

	t.Setenv(EnvKey, "too-short")
	_, err = Load(path)
	require.ErrorContains(t, err, EnvKey)
	require.NotContains(t, err.Error(), "too-short", "the key never appears in errors")
}
