package jobs

import (
	"context"
	"encoding/json"
	"fmt"
	"slices"
	"time"

	"github.com/riverqueue/river/riverdriver"
	"github.com/riverqueue/river/rivertype"
)

const (
	rescueBatch   = 100
	orphanMessage = "orphaned: the process running this job stopped before it finished"
)

// RescueOrphans makes the jobs left "running" by a process that died
// available again at once, and returns how many it touched. A job that had
// used its last attempt is discarded instead, so a run that kills its
// process cannot loop forever. Jobs this scheduler is running itself are
// left alone.
//
// Single node only: call it at startup when no other process works the same
// database, since it cannot tell a dead process's job from a live one's.
// With several processes (OpenPostgres), River's rescuer does the same
// safely on the elected leader, once a job has been running for longer than
// its run timeout plus Config.RescueGrace.
func (s *Scheduler) RescueOrphans(ctx context.Context) (int, error) {
	now := time.Now().UTC()
	self := s.client.ID()
	rescued := 0
	var afterID int64
	for {
		rows, err := s.exec.JobGetStuck(ctx, &riverdriver.JobGetStuckParams{
			AfterID:      afterID,
			Max:          rescueBatch,
			StuckHorizon: now,
		})
		if err != nil {
			return rescued, fmt.Errorf("listing orphaned jobs: %w", err)
		}
		params := &riverdriver.JobRescueManyParams{StuckHorizon: now}
		for _, row := range rows {
			afterID = row.ID
			if n := len(row.AttemptedBy); n > 0 && row.AttemptedBy[n-1] == self {
				continue
			}
			errData, err := json.Marshal(rivertype.AttemptError{At: now, Attempt: max(row.Attempt, 0), Error: orphanMessage})
			if err != nil {
				return rescued, fmt.Errorf("encoding rescue note: %w", err)
			}
			state, finalizedAt := rivertype.JobStateAvailable, (*time.Time)(nil)
			if row.Attempt >= row.MaxAttempts {
				state, finalizedAt = rivertype.JobStateDiscarded, &now
			}
			params.ID = append(params.ID, row.ID)
			params.Error = append(params.Error, errData)
			params.FinalizedAt = append(params.FinalizedAt, finalizedAt)
			params.ScheduledAt = append(params.ScheduledAt, now)
			params.State = append(params.State, string(state))
		}
		if len(params.ID) > 0 {
			if _, err := s.exec.JobRescueMany(ctx, params); err != nil {
				return rescued, fmt.Errorf("rescuing orphaned jobs: %w", err)
			}
			rescued += len(params.ID)
			s.logger.InfoContext(ctx, "orphaned jobs rescued", "job_ids", slices.Clone(params.ID))
		}
		if len(rows) < rescueBatch {
			return rescued, nil
		}
	}
}
