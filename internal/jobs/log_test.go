package jobs

import (
	"bytes"
	"log/slog"
	"testing"

	"github.com/stretchr/testify/require"
)

func TestMinLevelHandlerKeepsWarnings(t *testing.T) {
	t.Parallel()

	var buf bytes.Buffer
	base := slog.NewTextHandler(&buf, &slog.HandlerOptions{Level: slog.LevelDebug})
	logger := slog.New(minLevelHandler{min: slog.LevelWarn, h: base}).With("component", "river").WithGroup("g")

	logger.Info("River client started")
	logger.Debug("fetching")
	require.Empty(t, buf.String())

	logger.Warn("soft stop timeout", "after", "10s")
	logger.Error("completer error")
	out := buf.String()
	require.Contains(t, out, `level=WARN msg="soft stop timeout" component=river g.after=10s`)
	require.Contains(t, out, `level=ERROR msg="completer error" component=river`)
}
