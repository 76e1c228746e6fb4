package daemon

import (
	"context"
	"errors"
	"fmt"
	"os"
	"syscall"
	"time"

	"github.com/integrator-oss/integrator/internal/jobs"
	"github.com/integrator-oss/integrator/internal/store"
)

// StartJobs opens the job engine and starts working runs. With periodic
// set (the daemon) it also schedules every enabled integration.
//
// On SQLite, when this process is the only one using the database (it
// holds the lock file beside it), runs and jobs left "running" by a process
// that died are orphans: they are closed as failed and their jobs made
// available again at once, so the work resumes from the last committed
// cursor.
//
// On PostgreSQL any number of processes share the database and no process
// can tell a dead one's job from a live one's: River's rescuer, on the
// elected leader, makes such a job available again once its run timeout and
// the rescue grace have passed, and the run that takes it over closes the
// dead process's run record (see run).
func (a *App) StartJobs(ctx context.Context, periodic bool) error {
	a.mu.Lock()
	defer a.mu.Unlock()
	if a.sched != nil {
		return errors.New("job engine already started")
	}
	cfg := jobs.Config{
		Runner: a, Skips: a, Logger: a.logger, Schedules: schedulesOf(a.Integrations()),
		Periodic: periodic, MaxAttempts: a.maxAttempts,
	}
	if a.loc.multiProcess() {
		sched, err := jobs.OpenPostgres(ctx, a.loc.pgDSN, cfg)
		if err != nil {
			return fmt.Errorf("opening job engine: %w", err)
		}
		if err := sched.Start(ctx); err != nil {
			sched.Close()
			return fmt.Errorf("starting job engine: %w", err)
		}
		a.sched = sched
		return nil
	}
	sched, err := jobs.OpenSQLite(ctx, a.jobsPath, cfg)
	if err != nil {
		return fmt.Errorf("opening job engine: %w", err)
	}
	if a.soleProcess() {
		if err := a.rescue(ctx, sched); err != nil {
			sched.Close()
			return err
		}
	}
	if err := sched.Start(ctx); err != nil {
		sched.Close()
		return fmt.Errorf("starting job engine: %w", err)
	}
	a.sched = sched
	return nil
}

// Reasons recorded on the run of a process that stopped mid-run.
const (
	abandonedAtStart    = "the process running it stopped before the end; the next run resumes from the last committed cursor"
	abandonedOnTakeover = "the process running it stopped before the end; its job was taken over and run again, resuming from the last committed cursor"
)

// rescue closes orphaned runs and requeues their jobs.
func (a *App) rescue(ctx context.Context, sched *jobs.Scheduler) error {
	list, err := a.Store.IntegrationList(ctx)
	if err != nil {
		return fmt.Errorf("listing integrations: %w", err)
	}
	err = a.Store.Tx(ctx, func(tx store.Tx) error {
		for _, in := range list {
			n, err := tx.RunAbandon(ctx, in.ID, abandonedAtStart)
			if err != nil {
				return err
			}
			if n > 0 {
				a.logger.Warn("closed runs left running by a stopped process", "integration", in.Name, "runs", n)
			}
		}
		return nil
	})
	if err != nil {
		return fmt.Errorf("closing orphaned runs: %w", err)
	}
	n, err := sched.RescueOrphans(ctx)
	if err != nil {
		return fmt.Errorf("requeueing orphaned jobs: %w", err)
	}
	if n > 0 {
		a.logger.Warn("requeued runs interrupted by a stopped process", "jobs", n)
	}
	return nil
}

// soleProcess takes an exclusive lock on a file beside the job database
// and keeps it for the process's life. It reports whether it got it.
func (a *App) soleProcess() bool {
	if a.jobsPath == ":memory:" {
		return true
	}
	f, err := os.OpenFile(a.jobsPath+".lock", os.O_CREATE|os.O_RDWR, 0o600)
	if err != nil {
		a.logger.Warn("opening lock file", "err", err)
		return false
	}
	if err := syscall.Flock(int(f.Fd()), syscall.LOCK_EX|syscall.LOCK_NB); err != nil {
		f.Close()
		return false
	}
	// The lock lives as long as the file stays open: until the process ends.
	a.lockFile = f
	return true
}

// RunNow queues a run through the job engine and waits for its end.
func (a *App) RunNow(ctx context.Context, req jobs.RunRequest) error {
	id, err := a.Enqueue(ctx, req)
	if err != nil {
		return err
	}
	return a.Wait(ctx, id)
}

// Wait waits for a queued run's end and returns its error.
func (a *App) Wait(ctx context.Context, jobID int64) error {
	s := a.scheduler()
	if s == nil {
		return errors.New("job engine not started")
	}
	return s.Wait(ctx, jobID)
}

// Enqueue queues a run through the job engine and returns its job ID.
func (a *App) Enqueue(ctx context.Context, req jobs.RunRequest) (int64, error) {
	if _, _, err := a.integration(ctx, req.Integration); err != nil {
		return 0, err
	}
	s := a.scheduler()
	if s == nil {
		return 0, errors.New("job engine not started")
	}
	return s.RunNow(ctx, req)
}

// Next returns an integration's next scheduled tick, if the scheduler
// knows it.
func (a *App) Next(name string) (time.Time, bool) {
	if s := a.scheduler(); s != nil {
		return s.Next(name)
	}
	return time.Time{}, false
}

func (a *App) scheduler() *jobs.Scheduler {
	a.mu.Lock()
	defer a.mu.Unlock()
	return a.sched
}

// StopJobs stops the job engine gracefully: running runs get until ctx is
// done to finish their batch.
func (a *App) StopJobs(ctx context.Context) error {
	s := a.scheduler()
	if s == nil {
		return nil
	}
	return s.Stop(ctx)
}
