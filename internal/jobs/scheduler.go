package jobs

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"sync"
	"time"

	"github.com/riverqueue/river"
	"github.com/riverqueue/river/riverdriver"
	"github.com/riverqueue/river/rivermigrate"
	"github.com/riverqueue/river/rivertype"
)

// hardStopWait is how long Stop waits for runs to return once their ctx is
// cancelled after Stop's own deadline.
const hardStopWait = 15 * time.Second

// riverClient is the part of river.Client[TTx] the Scheduler uses; it hides
// the driver's transaction type so that only the constructors know it.
type riverClient interface {
	Start(ctx context.Context) error
	Stop(ctx context.Context) error
	StopAndCancel(ctx context.Context) error
	ID() string
	Insert(ctx context.Context, args river.JobArgs, opts *river.InsertOpts) (*rivertype.JobInsertResult, error)
	JobGet(ctx context.Context, id int64) (*rivertype.JobRow, error)
	PeriodicJobs() *river.PeriodicJobBundle
	Subscribe(kinds ...river.EventKind) (<-chan *river.Event, func())
}

// Scheduler schedules and executes runs of integrations through River. Its
// methods are safe for concurrent use.
type Scheduler struct {
	client      riverClient
	exec        riverdriver.Executor
	closeDB     func() error
	runner      Runner
	skips       SkipRecorder
	logger      *slog.Logger
	maxAttempts int
	rescueGrace time.Duration
	periodic    bool
	waitPoll    time.Duration

	retryAfter sync.Map // job ID → time.Duration from a RetryableError
	finals     finalErrors

	mu      sync.Mutex
	entries map[string]*entry

	stateMu sync.Mutex
	started bool
	closed  bool
}

// newScheduler builds a Scheduler over any River driver: it migrates River's
// tables up (through migrate, or with a plain rivermigrate run when migrate
// is nil), registers the workers and the periodic jobs of cfg.Schedules.
// closeDB closes the pool the driver was built on.
func newScheduler[TTx any](ctx context.Context, driver riverdriver.Driver[TTx], cfg Config, closeDB func() error,
	migrate func(context.Context, *rivermigrate.Migrator[TTx]) error,
) (*Scheduler, error) {
	cfg = cfg.withDefaults()
	if err := cfg.validate(); err != nil {
		return nil, fmt.Errorf("configuring scheduler: %w", err)
	}
	riverLogger := slog.New(minLevelHandler{min: slog.LevelWarn, h: cfg.Logger.Handler()}).With("component", "river")

	migrator, err := rivermigrate.New(driver, &rivermigrate.Config{Logger: riverLogger})
	if err != nil {
		return nil, fmt.Errorf("creating job migrator: %w", err)
	}
	if migrate == nil {
		migrate = func(ctx context.Context, m *rivermigrate.Migrator[TTx]) error {
			_, err := m.Migrate(ctx, rivermigrate.DirectionUp, nil)
			return err
		}
	}
	if err := migrate(ctx, migrator); err != nil {
		return nil, fmt.Errorf("migrating job tables: %w", err)
	}

	s := &Scheduler{
		exec:        driver.GetExecutor(),
		closeDB:     closeDB,
		runner:      cfg.Runner,
		skips:       cfg.Skips,
		logger:      cfg.Logger,
		maxAttempts: cfg.MaxAttempts,
		rescueGrace: cfg.RescueGrace,
		periodic:    cfg.Periodic,
		waitPoll:    cfg.waitPollInterval,
		entries:     make(map[string]*entry),
	}

	workers := river.NewWorkers()
	if err := river.AddWorkerSafely(workers, &syncWorker{s: s}); err != nil {
		return nil, fmt.Errorf("registering sync worker: %w", err)
	}
	if err := river.AddWorkerSafely(workers, &tickWorker{s: s}); err != nil {
		return nil, fmt.Errorf("registering tick worker: %w", err)
	}
	queues := map[string]river.QueueConfig{queueSync: {MaxWorkers: cfg.Workers}}
	if cfg.Periodic {
		queues[queueTick] = river.QueueConfig{MaxWorkers: tickWorkers}
	}

	client, err := river.NewClient(driver, &river.Config{
		FetchCooldown:     cfg.fetchCooldown,
		FetchPollInterval: cfg.fetchPollInterval,
		Logger:            riverLogger,
		MaxAttempts:       cfg.MaxAttempts,
		Queues:            queues,
		// Ticks only insert a row; sync jobs bring their own timeout.
		JobTimeout: tickTimeout,
		// The rescuer looks at jobs running for longer than this, and
		// leaves each alone until its own timeout (the run's timeout plus
		// the grace, see syncWorker.Timeout) has passed too.
		RescueStuckJobsAfter: max(cfg.RescueGrace, tickTimeout),
		TestOnly:             cfg.testOnly,
		Workers:              workers,
	})
	if err != nil {
		return nil, fmt.Errorf("creating job client: %w", err)
	}
	s.client = client

	if err := s.SetSchedules(ctx, cfg.Schedules); err != nil {
		return nil, err
	}
	return s, nil
}

// Start starts fetching and working jobs and, on a periodic scheduler,
// enqueuing ticks. It returns once the client runs. Cancelling ctx afterwards
// does not stop the scheduler: call Stop (graceful) or Close.
func (s *Scheduler) Start(ctx context.Context) error {
	s.stateMu.Lock()
	defer s.stateMu.Unlock()
	if s.closed {
		return errors.New("starting scheduler: scheduler is closed")
	}
	if err := s.client.Start(context.WithoutCancel(ctx)); err != nil {
		return fmt.Errorf("starting job client: %w", err)
	}
	s.started = true
	return nil
}

// Stop stops fetching jobs and waits for the runs in progress to finish.
// Their ctx is not cancelled while ctx is live, so a run finishes its batch
// and commits; ctx's deadline bounds that wait. Once ctx is done, the runs'
// ctx is cancelled (they are made available again without using an attempt)
// and Stop waits up to 15 s more for them to return. Stop on a scheduler
// that is not running returns nil, so it is safe to call twice.
func (s *Scheduler) Stop(ctx context.Context) error {
	s.stateMu.Lock()
	defer s.stateMu.Unlock()
	return s.stopLocked(ctx)
}

func (s *Scheduler) stopLocked(ctx context.Context) error {
	if !s.started {
		return nil
	}
	err := s.client.Stop(ctx)
	if err == nil {
		s.started = false
		return nil
	}
	if ctx.Err() == nil {
		return fmt.Errorf("stopping job client: %w", err)
	}
	s.logger.WarnContext(ctx, "graceful stop timed out; cancelling runs in progress", "error", ctx.Err())
	return s.hardStopLocked(ctx)
}

// hardStopLocked cancels the runs in progress and waits up to hardStopWait
// for them to return.
func (s *Scheduler) hardStopLocked(ctx context.Context) error {
	hardCtx, cancel := context.WithTimeout(context.WithoutCancel(ctx), hardStopWait)
	defer cancel()
	if err := s.client.StopAndCancel(hardCtx); err != nil {
		return fmt.Errorf("stopping job client: runs did not return after cancellation: %w", err)
	}
	s.started = false
	return nil
}

// Close stops the scheduler at once if it still runs (runs in progress are
// cancelled and made available again) and closes its database handle. It is
// safe to call twice.
func (s *Scheduler) Close() error {
	s.stateMu.Lock()
	defer s.stateMu.Unlock()
	if s.closed {
		return nil
	}
	s.closed = true
	var errs []error
	if s.started {
		if err := s.hardStopLocked(context.Background()); err != nil {
			errs = append(errs, err)
		}
	}
	if s.closeDB != nil {
		if err := s.closeDB(); err != nil {
			errs = append(errs, fmt.Errorf("closing job database: %w", err))
		}
	}
	return errors.Join(errs...)
}

// insertSync inserts the sync job of req, unique on the integration.
func (s *Scheduler) insertSync(ctx context.Context, req RunRequest) (*rivertype.JobInsertResult, error) {
	return s.client.Insert(ctx, newSyncArgs(req), syncInsertOpts(s.maxAttempts))
}
