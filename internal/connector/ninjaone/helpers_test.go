package ninjaone

import (
	"bytes"
	"context"
	"sync"
	"time"

	"github.com/integrator-oss/integrator/internal/connector/connectortest"
	"github.com/integrator-oss/integrator/internal/record"
)

type testSink = connectortest.Sink

// fakeSleep records the waits between attempts and returns at once.
type fakeSleep struct {
	mu    sync.Mutex
	waits []time.Duration
}

func (f *fakeSleep) sleep(ctx context.Context, d time.Duration) error {
	f.mu.Lock()
	f.waits = append(f.waits, d)
	f.mu.Unlock()
	return ctx.Err()
}

func (f *fakeSleep) all() []time.Duration {
	f.mu.Lock()
	defer f.mu.Unlock()
	return append([]time.Duration(nil), f.waits...)
}

type logBuffer struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (b *logBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.Write(p)
}

func (b *logBuffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.String()
}

func byID(recs []record.Record) map[string]record.Record {
	m := make(map[string]record.Record, len(recs))
	for _, r := range recs {
		m[r.ID] = r
	}
	return m
}

func ofKind(recs []record.Record, k record.Kind) []record.Record {
	var out []record.Record
	for _, r := range recs {
		if r.Kind == k {
			out = append(out, r)
		}
	}
	return out
}
