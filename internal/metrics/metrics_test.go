package metrics

import (
	"context"
	"io"
	"net/http/httptest"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/integrator-oss/integrator/internal/daemon"
	"github.com/integrator-oss/integrator/internal/engine"
	"github.com/integrator-oss/integrator/internal/record"
	"github.com/integrator-oss/integrator/internal/store"
)

type fakeSource []daemon.IntegrationStatus

func (f fakeSource) Status(context.Context) ([]daemon.IntegrationStatus, error) { return f, nil }

type fakeReviews int64

func (f fakeReviews) ReviewCount(context.Context, string) (int64, error) { return int64(f), nil }

func TestExposition(t *testing.T) {
	last := time.Unix(1_700_000_000, 0)
	m := New(fakeSource{{Name: "contoso", Enabled: true, Held: true, LastSuccess: last, ActiveUsers: 12, Inactive: 3}}, fakeReviews(4))
	start := time.Now()
	m.Observe("contoso", &engine.Result{Run: store.Run{Status: store.RunSucceeded, Mode: "full", StartedAt: start, FinishedAt: start.Add(2 * time.Second),
		ByKind: map[record.Kind]store.Counts{record.KindUser: {Created: 5, Deactivated: 1}}}}, nil)
	m.Observe("contoso", nil, io.EOF)

	w := httptest.NewRecorder()
	m.Handler().ServeHTTP(w, httptest.NewRequest("GET", "/metrics", nil))
	body := w.Body.String()
	for _, want := range []string{
		`integrator_runs_total{integration="contoso",result="succeeded"} 1`,
		`integrator_runs_total{integration="contoso",result="failed"} 1`,
		`integrator_run_duration_seconds_count{integration="contoso",mode="full"} 1`,
		`integrator_records_total{action="created",integration="contoso",kind="user"} 5`,
		`integrator_records_total{action="deactivated",integration="contoso",kind="user"} 1`,
		`integrator_last_success_timestamp_seconds{integration="contoso"} 1.7e+09`,
		`integrator_held{integration="contoso"} 1`,
		`integrator_entities{integration="contoso",kind="user",state="active"} 12`,
		`integrator_entities{integration="contoso",kind="user",state="inactive"} 3`,
		`integrator_review_queue_size 4`,
		`integrator_state_up 1`,
	} {
		require.Contains(t, body, want)
	}
}
