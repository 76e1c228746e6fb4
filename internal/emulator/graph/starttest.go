package graph

import (
	"net/http/httptest"
	"testing"
)

// StartTest starts the emulator on a loopback httptest.Server that is closed
// when the test ends, and returns its base URL.
func (e *Emulator) StartTest(t testing.TB) string {
	t.Helper()
	srv := httptest.NewServer(e.Handler())
	t.Cleanup(srv.Close)
	return srv.URL
}
