package jobs

import (
	"os"
	"testing"

	"go.uber.org/goleak"
)

func TestMain(m *testing.M) {
	if path := os.Getenv(crashHelperEnv); path != "" {
		os.Exit(runCrashHelper(path))
	}
	goleak.VerifyTestMain(m)
}
