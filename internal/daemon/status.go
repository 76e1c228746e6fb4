package daemon

import (
	"context"
	"fmt"
	"time"

	"github.com/robfig/cron/v3"

	"github.com/integrator-oss/integrator/internal/record"
	"github.com/integrator-oss/integrator/internal/store"
)

// IntegrationStatus is what `integrator status` and the API report for one
// integration.
type IntegrationStatus struct {
	Name     string `json:"name"`
	Type     string `json:"type"`
	Enabled  bool   `json:"enabled"`
	Schedule string `json:"schedule"`
	// Source is where the integration is defined: "file" or "api".
	Source string `json:"source"`
	// NextRun is zero when unknown (disabled, or no scheduler running).
	NextRun     time.Time  `json:"next_run,omitzero"`
	LastRun     *store.Run `json:"last_run,omitempty"`
	LastSuccess time.Time  `json:"last_success,omitzero"`
	LastError   string     `json:"last_error,omitempty"`
	// Held is set when the last run stopped before a mass deactivation.
	Held         bool          `json:"held"`
	SkippedTicks int           `json:"skipped_ticks"`
	CursorAge    time.Duration `json:"cursor_age_ns,omitempty"`
	LastFullRun  time.Time     `json:"last_full_run,omitzero"`
	ActiveUsers  int64         `json:"active_users"`
	Inactive     int64         `json:"inactive_users"`
}

// Status reports every configured integration.
func (a *App) Status(ctx context.Context) ([]IntegrationStatus, error) {
	var out []IntegrationStatus
	now := time.Now()
	for _, in := range a.Integrations() {
		s := in.Settings
		row, err := a.Store.IntegrationGet(ctx, s.Name)
		if err != nil {
			return nil, fmt.Errorf("reading integration %s: %w", s.Name, err)
		}
		st := IntegrationStatus{Name: s.Name, Type: s.Type, Enabled: s.Enabled, Source: a.SourceOf(s.Name)}
		if s.Schedule.Cron != "" {
			st.Schedule = "cron " + s.Schedule.Cron
		} else {
			st.Schedule = "every " + s.Schedule.Every.String()
		}
		runs, err := a.Store.RunList(ctx, &store.RunListParams{IntegrationID: row.ID, Limit: 200})
		if err != nil {
			return nil, fmt.Errorf("listing runs of %s: %w", s.Name, err)
		}
		for i := range runs {
			r := &runs[i]
			switch r.Status {
			case store.RunSkipped:
				st.SkippedTicks++
				continue
			case store.RunSucceeded:
				if st.LastSuccess.IsZero() {
					st.LastSuccess = r.FinishedAt
				}
			case store.RunFailed:
				if st.LastError == "" && st.LastSuccess.IsZero() {
					st.LastError = r.Error
				}
			}
			if st.LastRun == nil {
				st.LastRun = r
				st.Held = r.Status == store.RunHeld
			}
		}
		cur, err := a.Store.CursorGet(ctx, row.ID)
		if err != nil {
			return nil, fmt.Errorf("reading cursor of %s: %w", s.Name, err)
		}
		if !cur.UpdatedAt.IsZero() {
			st.CursorAge = now.Sub(cur.UpdatedAt).Round(time.Second)
		}
		st.LastFullRun = cur.LastFullAt
		c, err := a.Store.EntityCount(ctx, row.ID, record.KindUser)
		if err != nil {
			return nil, fmt.Errorf("counting users of %s: %w", s.Name, err)
		}
		st.ActiveUsers, st.Inactive = c.Active, c.Inactive
		if s.Enabled {
			if next, ok := a.Next(s.Name); ok {
				st.NextRun = next
			} else {
				st.NextRun = nextTick(s.Schedule.Every, s.Schedule.Cron, st.LastRun, now)
			}
		}
		out = append(out, st)
	}
	return out, nil
}

// nextTick estimates the next tick when no scheduler runs in this process.
func nextTick(every time.Duration, spec string, last *store.Run, now time.Time) time.Time {
	if spec != "" {
		sch, err := cron.ParseStandard(spec)
		if err != nil {
			return time.Time{}
		}
		return sch.Next(now)
	}
	if last == nil {
		return now
	}
	next := last.StartedAt.Add(every)
	if next.Before(now) {
		return now
	}
	return next
}
