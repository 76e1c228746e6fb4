package ldap

import (
	"context"
	"io"
	"log/slog"
	"sync"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/integrator-oss/integrator/internal/connector"
	"github.com/integrator-oss/integrator/internal/record"
	"github.com/integrator-oss/integrator/internal/secret"
)

func secretOf(s string) secret.String { return secret.New(s) }

// collect is a Sink that keeps every page.
type collect struct {
	mu       sync.Mutex
	pages    [][]record.Record
	requests int
}

func (c *collect) Page(_ context.Context, recs []record.Record) error {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.pages = append(c.pages, recs)
	return nil
}

func (c *collect) Progress(p connector.Progress) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.requests = p.Requests
}

// all returns the records in order.
func (c *collect) all() []record.Record {
	var out []record.Record
	for _, p := range c.pages {
		out = append(out, p...)
	}
	return out
}

// byKind indexes records of one kind by ID, failing on duplicates.
func (c *collect) byKind(t *testing.T, k record.Kind) map[string]record.Record {
	t.Helper()
	m := map[string]record.Record{}
	for _, r := range c.all() {
		if r.Kind != k {
			continue
		}
		_, dup := m[r.ID]
		require.False(t, dup, "%s %s emitted twice", k, r.ID)
		m[r.ID] = r
	}
	return m
}

// pagesOf counts the pages holding records of kind k.
func (c *collect) pagesOf(k record.Kind) int {
	n := 0
	for _, p := range c.pages {
		if len(p) > 0 && p[0].Kind == k {
			n++
		}
	}
	return n
}

// fetch opens cfg and runs one Fetch.
func fetch(t *testing.T, cfg Config, req connector.FetchRequest) (*collect, connector.FetchResult) {
	t.Helper()
	src, err := open(cfg, "test", slog.New(slog.NewTextHandler(io.Discard, nil)))
	require.NoError(t, err)
	sink := &collect{}
	res, err := src.Fetch(t.Context(), req, sink)
	require.NoError(t, err)
	return sink, res
}

// byAttr finds the one record of kind k whose attribute equals v.
func byAttr(t *testing.T, recs map[string]record.Record, attr, v string) record.Record {
	t.Helper()
	var found []record.Record
	for _, r := range recs {
		if r.Attrs[attr] == v {
			found = append(found, r)
		}
	}
	require.Len(t, found, 1, "records with %s=%q", attr, v)
	return found[0]
}
