package datto

import (
	"context"
	"errors"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/integrator-oss/integrator/internal/connector"
	"github.com/integrator-oss/integrator/internal/connector/connectortest"
	"github.com/integrator-oss/integrator/internal/emulator/datto"
	"github.com/integrator-oss/integrator/internal/httpclient"
	"github.com/integrator-oss/integrator/internal/secret"
)

type testSink = connectortest.Sink

// fakeSleep records waits instead of sleeping.
type fakeSleep struct {
	mu    sync.Mutex
	slept []time.Duration
}

func (f *fakeSleep) sleep(ctx context.Context, d time.Duration) error {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.slept = append(f.slept, d)
	return ctx.Err()
}

func (f *fakeSleep) all() []time.Duration {
	f.mu.Lock()
	defer f.mu.Unlock()
	return append([]time.Duration(nil), f.slept...)
}

// bundle is a source opened against a Datto emulator.
type bundle struct {
	emu   *datto.Emulator
	src   *Source
	sleep *fakeSleep
}

func setup(t *testing.T, opts datto.Options, mod func(*Config)) *bundle {
	t.Helper()
	// The quota is tested on its own (a real minute is too long for a
	// unit test); elsewhere it is off.
	if opts.RateLimit == 0 {
		opts.RateLimit = -1
	}
	b := &bundle{emu: datto.New(opts), sleep: &fakeSleep{}}
	base := b.emu.StartTest(t)
	cfg := Config{
		APIURL:    base,
		APIKey:    secret.New(b.emu.APIKey()),
		APISecret: secret.New(b.emu.APISecret()),
		Config:    httpclient.Config{RequestsPerSecond: 1000},
	}.WithDefaults()
	if mod != nil {
		mod(&cfg)
	}
	src, err := open(cfg, "msp", nil, httpclient.Options{Sleep: b.sleep.sleep})
	require.NoError(t, err)
	t.Cleanup(func() { require.NoError(t, src.Close()) })
	b.src = src
	return b
}

func (b *bundle) fetch(t *testing.T, cursor string) (connector.FetchResult, *testSink, error) {
	t.Helper()
	sink := &testSink{}
	res, err := b.src.Fetch(t.Context(), connector.FetchRequest{Cursor: cursor}, sink)
	return res, sink, err
}

// fieldsOf lists the fields of the *connector.FieldError values in err.
func fieldsOf(t *testing.T, err error) []string {
	t.Helper()
	var fields []string
	var walk func(error)
	walk = func(e error) {
		if j, ok := e.(interface{ Unwrap() []error }); ok {
			for _, x := range j.Unwrap() {
				walk(x)
			}
			return
		}
		var fe *connector.FieldError
		require.True(t, errors.As(e, &fe), "not a field error: %v", e)
		fields = append(fields, fe.Field)
	}
	walk(err)
	return fields
}
