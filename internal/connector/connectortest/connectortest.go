// Package connectortest holds what the connectors' tests share: a sink
// that records what a Fetch hands it. It is a test kit: production code
// must not import it.
package connectortest

import (
	"context"
	"sync"

	"github.com/integrator-oss/integrator/internal/connector"
	"github.com/integrator-oss/integrator/internal/record"
)

// Sink records the pages and progress reports of a Fetch. OnPage, when
// set, runs after each page (to change the source between two pages).
type Sink struct {
	mu      sync.Mutex
	Pages   [][]record.Record
	Reports []connector.Progress
	OnPage  func(n int, recs []record.Record)
}

// Page implements connector.Sink.
func (s *Sink) Page(_ context.Context, recs []record.Record) error {
	s.mu.Lock()
	s.Pages = append(s.Pages, recs)
	n, f := len(s.Pages), s.OnPage
	s.mu.Unlock()
	if f != nil {
		f(n, recs)
	}
	return nil
}

// Progress implements connector.Sink.
func (s *Sink) Progress(p connector.Progress) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.Reports = append(s.Reports, p)
}

// Records returns every record received, in order.
func (s *Sink) Records() []record.Record {
	s.mu.Lock()
	defer s.mu.Unlock()
	var all []record.Record
	for _, p := range s.Pages {
		all = append(all, p...)
	}
	return all
}

// ByID returns the last record of each ID among those of a kind.
func (s *Sink) ByID(kind record.Kind) map[string]record.Record {
	out := map[string]record.Record{}
	for _, r := range s.Records() {
		if r.Kind == kind {
			out[r.ID] = r
		}
	}
	return out
}
