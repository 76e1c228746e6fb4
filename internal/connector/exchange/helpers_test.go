package exchange

import (
	"context"
	"encoding/json"
	"fmt"
	"log/slog"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/integrator-oss/integrator/internal/connector"
	"github.com/integrator-oss/integrator/internal/emulator/graph"
	"github.com/integrator-oss/integrator/internal/httpclient"
	"github.com/integrator-oss/integrator/internal/record"
	"github.com/integrator-oss/integrator/internal/secret"
)

const emuSecret = "exchange-secret-Zr4~Qw"

// testSink records what Fetch hands it.
type testSink struct {
	mu       sync.Mutex
	pages    [][]record.Record
	progress []connector.Progress
	fail     error
}

func (s *testSink) Page(_ context.Context, recs []record.Record) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.fail != nil {
		return s.fail
	}
	s.pages = append(s.pages, recs)
	return nil
}

func (s *testSink) Progress(p connector.Progress) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.progress = append(s.progress, p)
}

func (s *testSink) records() []record.Record {
	s.mu.Lock()
	defer s.mu.Unlock()
	var out []record.Record
	for _, p := range s.pages {
		out = append(out, p...)
	}
	return out
}

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

// clock is a settable time.
type clock struct {
	mu  sync.Mutex
	now time.Time
}

func (c *clock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.now
}

func (c *clock) add(d time.Duration) {
	c.mu.Lock()
	c.now = c.now.Add(d)
	c.mu.Unlock()
}

// bundle is a source opened against a Graph emulator with calendars.
type bundle struct {
	emu    *graph.Emulator
	cal    *graph.Calendars
	base   string
	clock  *clock
	sleep  *fakeSleep
	users  []graph.User
	cursor string
	// state is the platform's view: the appointments applied so far.
	state map[string]record.Record
}

var testNow = time.Date(2026, 3, 2, 9, 30, 0, 0, time.UTC)

// setup starts an emulator with n users who have mailboxes.
func setup(t *testing.T, n int, copts graph.CalendarOptions) *bundle {
	t.Helper()
	b := &bundle{clock: &clock{now: testNow}, sleep: &fakeSleep{}, state: map[string]record.Record{}}
	b.emu = graph.New(graph.Options{ClientSecret: emuSecret, Now: b.clock.Now})
	for i := range n {
		u := graph.User{UserPrincipalName: fmt.Sprintf("user%02d@contoso.com", i), Mail: fmt.Sprintf("user%02d@contoso.com", i),
			DisplayName: fmt.Sprintf("User %02d", i), AccountEnabled: true}
		u.ID = b.emu.AddUser(u)
		b.users = append(b.users, u)
	}
	b.cal = graph.NewCalendars(b.emu, copts)
	for _, u := range b.users {
		require.NoError(t, b.cal.AddMailbox(u.ID))
	}
	b.base = b.cal.StartTest(t)
	return b
}

func (b *bundle) config() Config {
	c := Config{}
	c.TenantID, c.ClientID, c.ClientSecret = b.emu.TenantID(), b.emu.ClientID(), secret.New(emuSecret)
	c.AuthorityURL, c.GraphURL = b.base, b.emu.GraphURL(b.base)
	for _, u := range b.users {
		c.Mailboxes = append(c.Mailboxes, u.UserPrincipalName)
	}
	c.PageSize = 5
	return c.WithDefaults()
}

func (b *bundle) open(t *testing.T, mod func(*Config)) *Source {
	t.Helper()
	cfg := b.config()
	if mod != nil {
		mod(&cfg)
		cfg = cfg.WithDefaults()
	}
	src, err := open(cfg, "contoso-calendars", slog.New(slog.DiscardHandler), httpclient.Options{Sleep: b.sleep.sleep}, b.clock.Now)
	require.NoError(t, err)
	t.Cleanup(func() { require.NoError(t, src.Close()) })
	return src
}

// run fetches with the bundle's cursor, applies the records to state the
// way the engine does (removed records drop the appointment) and keeps the
// new cursor.
func (b *bundle) run(t *testing.T, src *Source) (connector.FetchResult, []record.Record) {
	t.Helper()
	return b.fetch(t, src, false)
}

// fetch is run, asking for a full run or not.
func (b *bundle) fetch(t *testing.T, src *Source, full bool) (connector.FetchResult, []record.Record) {
	t.Helper()
	sink := &testSink{}
	res, err := src.Fetch(t.Context(), connector.FetchRequest{Kinds: []record.Kind{record.KindAppointment}, Cursor: b.cursor, Full: full}, sink)
	require.NoError(t, err)
	if !full {
		require.False(t, res.Full, "a delta run is never full: appointments are removed only by @removed")
	}
	recs := sink.records()
	for _, r := range recs {
		require.Equal(t, record.KindAppointment, r.Kind)
		require.NotEmpty(t, r.Attrs[record.AttrPart])
		if r.State == record.Removed {
			delete(b.state, r.ID)
		} else {
			b.state[r.ID] = r
		}
	}
	b.cursor = res.Cursor
	return res, recs
}

func (b *bundle) cursorState(t *testing.T) *cursor {
	t.Helper()
	var c cursor
	require.NoError(t, json.Unmarshal([]byte(b.cursor), &c))
	return &c
}

func byID(recs []record.Record) map[string]record.Record {
	m := make(map[string]record.Record, len(recs))
	for _, r := range recs {
		m[r.ID] = r
	}
	return m
}
