package jobs

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"sync"
	"time"

	"github.com/riverqueue/river"
	"github.com/riverqueue/river/rivertype"
)

var (
	// ErrAlreadyRunning is returned by RunNow when a run of the same
	// integration is already queued, running or waiting for a retry.
	ErrAlreadyRunning = errors.New("a run of this integration is already queued or running")
	// ErrDisabled is returned by RunNow for an integration whose schedule is
	// known and disabled.
	ErrDisabled = errors.New("integration is disabled")
	// ErrJobNotFound is returned by Wait for a job that does not exist (or
	// was already cleaned up: finished jobs are kept 24 h, failed ones 7 days).
	ErrJobNotFound = errors.New("job not found")
)

// RunNow queues one run of req.Integration and returns its job ID. When a
// run of that integration is already queued or running, it returns that
// job's ID and an error wrapping ErrAlreadyRunning, so a caller may Wait on
// it. An empty Trigger defaults to TriggerManual. The run goes through the
// same job kind and uniqueness as the scheduled ones; it is worked by any
// started scheduler on the same database.
func (s *Scheduler) RunNow(ctx context.Context, req RunRequest) (int64, error) {
	if req.Integration == "" {
		return 0, errors.New("queueing run: integration is required")
	}
	if req.Trigger == "" {
		req.Trigger = TriggerManual
	}
	if sc, ok := s.schedule(req.Integration); ok && !sc.Enabled {
		return 0, fmt.Errorf("queueing run of %q: %w", req.Integration, ErrDisabled)
	}
	res, err := s.insertSync(ctx, req)
	if err != nil {
		return 0, fmt.Errorf("queueing run of %q: %w", req.Integration, err)
	}
	if res.UniqueSkippedAsDuplicate {
		return res.Job.ID, fmt.Errorf("queueing run of %q: %w (job %d)", req.Integration, ErrAlreadyRunning, res.Job.ID)
	}
	s.logger.InfoContext(ctx, "run queued", "integration", req.Integration, "job_id", res.Job.ID, "trigger", req.Trigger)
	return res.Job.ID, nil
}

// Wait blocks until the job is completed, cancelled or discarded, or ctx is
// done. It returns nil when the job completed and a *JobError otherwise; the
// JobError wraps the Runner's own error when this process ran the last
// attempt, so errors.Is and errors.As see through it.
func (s *Scheduler) Wait(ctx context.Context, jobID int64) error {
	events, unsubscribe := s.client.Subscribe(river.EventKindJobCompleted, river.EventKindJobFailed, river.EventKindJobCancelled)
	defer unsubscribe()
	ticker := time.NewTicker(s.waitPoll)
	defer ticker.Stop()

	for {
		row, err := s.client.JobGet(ctx, jobID)
		switch {
		case errors.Is(err, river.ErrNotFound):
			return fmt.Errorf("waiting for job %d: %w", jobID, ErrJobNotFound)
		case err != nil:
			return fmt.Errorf("waiting for job %d: %w", jobID, err)
		}
		switch row.State {
		case rivertype.JobStateCompleted:
			return nil
		case rivertype.JobStateCancelled, rivertype.JobStateDiscarded:
			return s.jobError(row)
		}

	wait:
		for {
			select {
			case <-ctx.Done():
				return fmt.Errorf("waiting for job %d: %w", jobID, ctx.Err())
			case <-ticker.C:
				break wait
			case ev, ok := <-events:
				if !ok {
					events = nil // the client stopped; keep polling
					continue
				}
				if ev.Job != nil && ev.Job.ID == jobID {
					break wait
				}
			}
		}
	}
}

// JobError is the final error of a run that did not complete.
type JobError struct {
	// JobID is the run's job.
	JobID int64
	// Integration is the integration the run was for.
	Integration string
	// State is "cancelled" (a non-retryable error, or cancelled by an
	// operator) or "discarded" (retryable errors used up every attempt).
	State string
	// Attempts is how many times the run was tried.
	Attempts int
	// Err is the Runner's error when this process ran the last attempt;
	// otherwise an error carrying the message recorded in the database.
	Err error
}

func (e *JobError) Error() string {
	return fmt.Sprintf("run of %q (job %d) %s after %d attempt(s): %v", e.Integration, e.JobID, e.State, e.Attempts, e.Err)
}

// Unwrap returns the run's error.
func (e *JobError) Unwrap() error { return e.Err }

func (s *Scheduler) jobError(row *rivertype.JobRow) *JobError {
	je := &JobError{JobID: row.ID, State: string(row.State), Attempts: row.Attempt}
	if args, ok := decodeSyncArgs(row); ok {
		je.Integration = args.Integration
	}
	if err, ok := s.finals.get(row.ID, row.Attempt); ok {
		je.Err = err
		return je
	}
	msg := "cancelled before it ran"
	if n := len(row.Errors); n > 0 {
		msg = strings.TrimPrefix(row.Errors[n-1].Error, "JobCancelError: ")
	}
	je.Err = errors.New(msg)
	return je
}

// finalErrorsCap bounds how many runs' errors are kept for Wait.
const finalErrorsCap = 256

// finalErrors keeps the Runner's error of the latest attempts worked in this
// process, so Wait can return the error itself rather than its message.
type finalErrors struct {
	mu    sync.Mutex
	byID  map[int64]attemptErr
	order []int64
}

type attemptErr struct {
	attempt int
	err     error
}

func (f *finalErrors) put(jobID int64, attempt int, err error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	if f.byID == nil {
		f.byID = make(map[int64]attemptErr)
	}
	if _, ok := f.byID[jobID]; !ok {
		f.order = append(f.order, jobID)
	}
	f.byID[jobID] = attemptErr{attempt: attempt, err: err}
	for len(f.order) > finalErrorsCap {
		delete(f.byID, f.order[0])
		f.order = f.order[1:]
	}
}

func (f *finalErrors) get(jobID int64, attempt int) (error, bool) {
	f.mu.Lock()
	defer f.mu.Unlock()
	ae, ok := f.byID[jobID]
	if !ok || ae.attempt != attempt {
		return nil, false
	}
	return ae.err, true
}
