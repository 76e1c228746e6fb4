package exchange_test

import (
	"io"
	"log/slog"
	"net/http"
	"path/filepath"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/integrator-oss/integrator/internal/connector/exchange"
	"github.com/integrator-oss/integrator/internal/emulator/graph"
	"github.com/integrator-oss/integrator/internal/engine"
	"github.com/integrator-oss/integrator/internal/integration"
	"github.com/integrator-oss/integrator/internal/record"
	"github.com/integrator-oss/integrator/internal/secret"
	"github.com/integrator-oss/integrator/internal/store"
	"github.com/integrator-oss/integrator/internal/store/sqlite"
)

// TestEngineRuns drives the connector through the engine into SQLite:
// every event becomes an appointment, a deletion deactivates it, a
// failing mailbox fails alone and is named in the run's notes, and an
// unchanged calendar writes nothing.
func TestEngineRuns(t *testing.T) {
	t.Parallel()
	ctx := t.Context()
	logger := slog.New(slog.NewTextHandler(io.Discard, nil))
	now := time.Now().UTC()

	emu := graph.New(graph.Options{ClientSecret: "engine-secret"})
	cal := graph.NewCalendars(emu, graph.CalendarOptions{})
	base := cal.StartTest(t)
	var users []graph.User
	for _, n := range []string{"ana", "ben", "cyd"} {
		u := graph.User{UserPrincipalName: n + "@contoso.com", Mail: n + "@contoso.com", DisplayName: n, AccountEnabled: true}
		u.ID = emu.AddUser(u)
		users = append(users, u)
	}
	var events []string
	for i, u := range users {
		for k := range 3 {
			start := now.Truncate(time.Hour).Add(time.Duration(24*k+i) * time.Hour)
			id, err := cal.AddEvent(u.ID, graph.Event{Subject: "Meeting", Start: start, End: start.Add(time.Hour)})
			require.NoError(t, err)
			events = append(events, id)
		}
	}
	cfg := exchange.Config{Mailboxes: []string{"ana@contoso.com", "ben@contoso.com", "cyd@contoso.com"}}
	cfg.TenantID, cfg.ClientID, cfg.ClientSecret = emu.TenantID(), emu.ClientID(), secret.New("engine-secret")
	cfg.AuthorityURL, cfg.GraphURL = base, emu.GraphURL(base)
	cfg.MaxRetries = -1
	src, err := cfg.Open("contoso-calendars", logger)
	require.NoError(t, err)

	st, err := sqlite.Open(ctx, filepath.Join(t.TempDir(), "t.db"), logger)
	require.NoError(t, err)
	t.Cleanup(func() { st.Close() })
	var integ *store.Integration
	require.NoError(t, st.Tx(ctx, func(tx store.Tx) error {
		integ, err = tx.IntegrationUpsert(ctx, &store.IntegrationUpsertParams{Name: "contoso-calendars", Type: "exchange", Enabled: true})
		return err
	}))
	set := integration.Settings{Name: "contoso-calendars", Type: "exchange", Enabled: true,
		Entities: []record.Kind{record.KindAppointment}}.WithDefaults()
	eng := engine.New(st, logger)
	run := func() *engine.Result {
		t.Helper()
		res, err := eng.Run(ctx, engine.RunParams{Integration: integ, Settings: set, Source: src, Trigger: "test"})
		require.NoError(t, err)
		require.Equal(t, "succeeded", res.Run.Status, res.Run.Error)
		return res
	}
	active := func() int {
		t.Helper()
		yes := true
		as, err := st.AppointmentList(ctx, &store.AppointmentListParams{Active: &yes})
		require.NoError(t, err)
		return len(as)
	}

	first := run()
	require.EqualValues(t, 9, first.Run.ByKind[record.KindAppointment].Created)
	require.Equal(t, 9, active())

	require.NoError(t, cal.DeleteEvent(users[0].ID, events[0]))
	cal.FailMailbox(users[2].ID, http.StatusForbidden)
	require.NoError(t, cal.DeleteEvent(users[2].ID, events[8]))
	second := run()
	require.EqualValues(t, 1, second.Run.ByKind[record.KindAppointment].Deactivated, "ana's deletion; cyd's waits for her mailbox")
	require.Equal(t, 8, active())
	require.Contains(t, second.Run.Notes, "cyd@contoso.com failed")

	cal.FailMailbox(users[2].ID, 0)
	third := run()
	require.EqualValues(t, 1, third.Run.ByKind[record.KindAppointment].Deactivated, "cyd resumes from her own delta link")
	require.Equal(t, 7, active())

	fourth := run()
	c := fourth.Run.ByKind[record.KindAppointment]
	require.Zero(t, c.Created+c.Updated+c.Deactivated, "an unchanged calendar writes nothing")
}
