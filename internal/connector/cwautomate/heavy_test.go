package cwautomate

import (
	"context"
	"os"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/integrator-oss/integrator/internal/connector"
	"github.com/integrator-oss/integrator/internal/emulator/cwautomate"
	"github.com/integrator-oss/integrator/internal/record"
)

type assetCounter struct {
	testSink
	assets int
}

func (c *assetCounter) Page(_ context.Context, recs []record.Record) error {
	for _, r := range recs {
		if r.Kind == record.KindAsset {
			c.assets++
		}
	}
	return nil
}

// TestHeavyHundredThousandComputers lists 100,000 computers, paged by ID,
// with no rate limit.
func TestHeavyHundredThousandComputers(t *testing.T) {
	if os.Getenv("INTEGRATOR_HEAVY") != "1" {
		t.Skip("set INTEGRATOR_HEAVY=1 to run the Automate scale test")
	}
	b := setup(t, cwautomate.Options{}, nil)
	_, comps, err := b.emu.Generate(100000, 200, 3)
	require.NoError(t, err)
	sink := &assetCounter{}
	start := time.Now()
	res, err := b.src.Fetch(t.Context(), connector.FetchRequest{}, sink)
	require.NoError(t, err)
	took := time.Since(start)
	require.True(t, res.Full)
	require.Equal(t, len(comps), sink.assets)
	t.Logf("cwautomate 100,000 computers, no limit: %s (%.0f computers/s), %d requests",
		took.Round(time.Millisecond), float64(len(comps))/took.Seconds(), b.emu.Stats().Requests)
}
