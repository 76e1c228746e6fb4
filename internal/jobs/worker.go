package jobs

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/riverqueue/river"

	"github.com/integrator-oss/integrator/internal/connector"
)

// skipReason is what a skipped tick records.
const skipReason = "previous run still in progress"

// tickWorker turns a periodic tick into a sync job, or into a recorded skip
// when a run of the integration is still queued or going.
type tickWorker struct {
	river.WorkerDefaults[tickArgs]
	s *Scheduler
}

func (w *tickWorker) Work(ctx context.Context, job *river.Job[tickArgs]) error {
	name := job.Args.Integration
	sc, ok := w.s.schedule(name)
	if !ok || !sc.Enabled {
		// Removed or disabled after the tick was enqueued.
		w.s.logger.DebugContext(ctx, "tick for an unscheduled integration dropped", "integration", name)
		return nil
	}
	res, err := w.s.insertSync(ctx, RunRequest{Integration: name, Trigger: TriggerSchedule})
	if err != nil {
		return fmt.Errorf("inserting scheduled run of %q: %w", name, err)
	}
	if !res.UniqueSkippedAsDuplicate {
		w.s.logger.DebugContext(ctx, "scheduled run queued", "integration", name, "job_id", res.Job.ID)
		return nil
	}
	w.s.logger.InfoContext(ctx, "scheduled run skipped", "integration", name, "reason", skipReason, "running_job_id", res.Job.ID)
	if w.s.skips == nil {
		return nil
	}
	if err := w.s.skips.RecordSkip(ctx, name, skipReason); err != nil {
		// Retrying the tick could start a run long after its time; the
		// skip is in the log above.
		w.s.logger.WarnContext(ctx, "recording skipped run", "integration", name, "error", err)
	}
	return nil
}

// syncWorker runs one integration through the Runner and maps its error to
// River's retry semantics.
type syncWorker struct {
	river.WorkerDefaults[syncArgs]
	s *Scheduler
}

// Timeout is River's bound on one attempt: the integration's RunTimeout as
// known when the attempt starts, plus the rescue grace. Work cancels the
// run itself at RunTimeout; River's own deadline is a backstop, and it is
// also what the rescuer waits for before it takes a job still marked
// running for the job of a dead process.
func (w *syncWorker) Timeout(job *river.Job[syncArgs]) time.Duration {
	return w.s.runTimeout(job.Args.Integration) + w.s.rescueGrace
}

// NextRetry honours a RetryableError's After; zero leaves River's backoff.
// River calls it right after Work returned, on the same goroutine.
func (w *syncWorker) NextRetry(job *river.Job[syncArgs]) time.Time {
	if v, ok := w.s.retryAfter.LoadAndDelete(job.ID); ok {
		return time.Now().Add(v.(time.Duration)) //nolint:forcetypeassert // only durations are stored
	}
	return time.Time{}
}

func (w *syncWorker) Work(ctx context.Context, job *river.Job[syncArgs]) error {
	req := job.Args.request(job.Attempt)
	log := w.s.logger.With("integration", req.Integration, "job_id", job.ID, "attempt", job.Attempt)
	log.DebugContext(ctx, "run starting", "trigger", req.Trigger, "full", req.Full)
	ctx, cancel := context.WithTimeout(ctx, w.s.runTimeout(req.Integration))
	defer cancel()

	err := w.s.runner.Run(ctx, req)
	lastAttempt := job.Attempt >= job.MaxAttempts
	switch {
	case err == nil:
		return nil

	case ctx.Err() != nil:
		// Timed out, or cancelled by a stop. Neither is the run's final
		// word: a timeout is retried (the cursor kept what was committed),
		// and River makes a stopped run available again without using an
		// attempt, as long as the error still says context.Canceled.
		if !errors.Is(err, ctx.Err()) {
			err = fmt.Errorf("%w (%w)", err, ctx.Err())
		}
		if errors.Is(ctx.Err(), context.DeadlineExceeded) {
			log.WarnContext(ctx, "run timed out", "timeout", w.s.runTimeout(req.Integration), "error", err)
			w.s.finals.put(job.ID, job.Attempt, err)
		}
		return err

	case connector.IsRetryable(err):
		var re *connector.RetryableError
		if errors.As(err, &re) && re.After > 0 && !lastAttempt {
			w.s.retryAfter.Store(job.ID, re.After)
		}
		if lastAttempt {
			log.WarnContext(ctx, "run failed; no attempts left", "error", err)
		} else {
			log.WarnContext(ctx, "run failed; retrying", "error", err)
		}
		w.s.finals.put(job.ID, job.Attempt, err)
		return err

	default:
		log.WarnContext(ctx, "run failed", "error", err)
		w.s.finals.put(job.ID, job.Attempt, err)
		return river.JobCancel(err)
	}
}
