package cwautomate

import (
	"context"
	"errors"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/integrator-oss/integrator/internal/connector"
	"github.com/integrator-oss/integrator/internal/connector/connectortest"
	"github.com/integrator-oss/integrator/internal/emulator/cwautomate"
	"github.com/integrator-oss/integrator/internal/httpclient"
	"github.com/integrator-oss/integrator/internal/secret"
)

type testSink = connectortest.Sink

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

type bundle struct {
	emu   *cwautomate.Emulator
	src   *Source
	sleep *fakeSleep
}

func setup(t *testing.T, opts cwautomate.Options, mod func(*Config)) *bundle {
	t.Helper()
	b := &bundle{emu: cwautomate.New(opts), sleep: &fakeSleep{}}
	cfg := Config{
		ServerURL: b.emu.StartTest(t),
		ClientID:  b.emu.ClientID(),
		Username:  b.emu.Username(),
		Password:  secret.New(b.emu.Password()),
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

func (b *bundle) fetch(t *testing.T) (connector.FetchResult, *testSink, error) {
	t.Helper()
	sink := &testSink{}
	res, err := b.src.Fetch(t.Context(), connector.FetchRequest{}, sink)
	return res, sink, err
}

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
