package jobs

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"time"

	"github.com/riverqueue/river"
	"github.com/robfig/cron/v3"
)

// Defaults applied by Config and Schedule when a field is left zero.
const (
	// DefaultWorkers is how many runs may go at once across integrations.
	DefaultWorkers = 4
	// DefaultMaxAttempts is how many times a run is tried before it is given
	// up (the first try counts).
	DefaultMaxAttempts = 5
	// DefaultRunTimeout bounds one run of an integration.
	DefaultRunTimeout = 2 * time.Hour
	// DefaultRescueGrace is how long after its run timeout a job still
	// marked running is taken for the job of a dead process and made
	// available again by River's rescuer. A live process cancels the run at
	// its timeout and the run returns within seconds, so the grace keeps
	// the rescuer from starting a second run beside one still returning.
	DefaultRescueGrace = 30 * time.Second
)

// Triggers say why a run was started.
const (
	TriggerSchedule = "schedule"
	TriggerManual   = "manual"
	TriggerAPI      = "api"
	// TriggerRetry is what the Runner sees on the second and later
	// attempts of a run, whatever started the first.
	TriggerRetry = "retry"
)

// RunRequest asks for one run of one integration.
type RunRequest struct {
	// Integration is the integration's unique name.
	Integration string
	// Full asks for a full enumeration instead of a delta.
	Full bool
	// AllowMassDeactivation confirms a run that the deactivation threshold
	// would otherwise hold.
	AllowMassDeactivation bool
	// Trigger is TriggerSchedule, TriggerManual or TriggerAPI; RunNow
	// defaults it to TriggerManual.
	Trigger string
}

// Runner executes one run to its end.
//
// A returned error that wraps a *connector.RetryableError
// (connector.IsRetryable) is retried with River's backoff, or after the
// error's After when that is set; any other error fails the job for good (no
// retry); nil is success (a run held by the deactivation threshold is a
// success).
//
// Run must watch ctx: it is cancelled when the run's timeout passes (the
// run is then retried, since the cursor only moves forward with committed
// batches) and when a Stop's deadline passes (the run is then made available
// again without using up an attempt). Run may be called concurrently for
// different integrations, never for the same one.
type Runner interface {
	Run(ctx context.Context, req RunRequest) error
}

// SkipRecorder records a scheduled tick that found a run still going.
type SkipRecorder interface {
	RecordSkip(ctx context.Context, integration string, reason string) error
}

// Schedule is when one integration runs.
type Schedule struct {
	// Name is the integration's unique name.
	Name string
	// Enabled: a disabled integration gets no ticks and RunNow refuses it.
	Enabled bool
	// Every is a fixed interval between ticks, the first one interval after
	// the scheduler starts. Exactly one of Every and Cron may be set; with
	// neither, the integration only runs on request.
	Every time.Duration
	// Cron is a standard five-field cron expression or a descriptor such as
	// "@hourly" (robfig/cron's ParseStandard), in the process's local time
	// unless it starts with CRON_TZ=Zone.
	Cron string
	// RunTimeout bounds one run; the Runner's ctx is cancelled when it
	// passes. Defaults to DefaultRunTimeout.
	RunTimeout time.Duration
}

// Config configures a Scheduler.
type Config struct {
	// Runner executes runs. Required.
	Runner Runner
	// Skips records skipped ticks. When nil, skips are only logged.
	Skips SkipRecorder
	// Logger receives the scheduler's logs, and River's own at warn level
	// and above. When nil, nothing is logged.
	Logger *slog.Logger
	// Schedules are the integrations known at start; SetSchedules changes
	// them later.
	Schedules []Schedule
	// Workers is how many runs may go at once across integrations.
	// Defaults to DefaultWorkers.
	Workers int
	// MaxAttempts is how many times a retryable run is tried. Defaults to
	// DefaultMaxAttempts.
	MaxAttempts int
	// Periodic false makes a client that only works sync jobs (the CLI's
	// "sync"); true makes the daemon's, which also enqueues and works the
	// periodic ticks. Both take part in River's leader election, so a lone
	// CLI process still moves its retries along; while a CLI process holds
	// the leadership, a daemon on the same database enqueues no ticks.
	Periodic bool

	// RescueGrace is how long after a run's timeout its job, still marked
	// running, is taken for the job of a dead process and made available
	// again (on the leader, which looks every 30 s). Defaults to
	// DefaultRescueGrace.
	RescueGrace time.Duration

	// Test knobs; zero keeps River's production defaults.
	fetchPollInterval time.Duration
	fetchCooldown     time.Duration
	waitPollInterval  time.Duration
	testOnly          bool
}

func (c Config) withDefaults() Config {
	if c.Workers == 0 {
		c.Workers = DefaultWorkers
	}
	if c.MaxAttempts == 0 {
		c.MaxAttempts = DefaultMaxAttempts
	}
	if c.Logger == nil {
		c.Logger = slog.New(slog.DiscardHandler)
	}
	if c.RescueGrace == 0 {
		c.RescueGrace = DefaultRescueGrace
	}
	if c.waitPollInterval == 0 {
		c.waitPollInterval = 500 * time.Millisecond
	}
	return c
}

func (c Config) validate() error {
	var errs []error
	if c.Runner == nil {
		errs = append(errs, errors.New("runner is required"))
	}
	if c.Workers < 1 || c.Workers > river.QueueNumWorkersMax {
		errs = append(errs, fmt.Errorf("workers must be between 1 and %d, got %d", river.QueueNumWorkersMax, c.Workers))
	}
	if c.MaxAttempts < 1 {
		errs = append(errs, fmt.Errorf("max attempts must be at least 1, got %d", c.MaxAttempts))
	}
	if c.RescueGrace < 0 {
		errs = append(errs, fmt.Errorf("rescue grace must not be negative, got %s", c.RescueGrace))
	}
	if err := validateSchedules(c.Schedules); err != nil {
		errs = append(errs, err)
	}
	return errors.Join(errs...)
}

// validateSchedules reports every problem in list at once.
func validateSchedules(list []Schedule) error {
	var errs []error
	seen := make(map[string]bool, len(list))
	for i, s := range list {
		if s.Name == "" {
			errs = append(errs, fmt.Errorf("schedule %d: name is required", i))
			continue
		}
		if seen[s.Name] {
			errs = append(errs, fmt.Errorf("schedule %q: duplicate name", s.Name))
		}
		seen[s.Name] = true
		if _, err := s.periodicSchedule(); err != nil {
			errs = append(errs, fmt.Errorf("schedule %q: %w", s.Name, err))
		}
		if s.RunTimeout < 0 {
			errs = append(errs, fmt.Errorf("schedule %q: run timeout must not be negative", s.Name))
		}
	}
	return errors.Join(errs...)
}

// periodicSchedule returns River's schedule for s, or nil when s has
// neither an interval nor a cron expression.
func (s Schedule) periodicSchedule() (river.PeriodicSchedule, error) {
	switch {
	case s.Every != 0 && s.Cron != "":
		return nil, errors.New("set either every or cron, not both")
	case s.Every < 0:
		return nil, fmt.Errorf("every must be positive, got %s", s.Every)
	case s.Every > 0:
		return river.PeriodicInterval(s.Every), nil
	case s.Cron != "":
		sched, err := cron.ParseStandard(s.Cron)
		if err != nil {
			return nil, fmt.Errorf("parsing cron %q: %w", s.Cron, err)
		}
		return cronSchedule{sched}, nil
	default:
		return nil, nil
	}
}

func (s Schedule) runTimeout() time.Duration {
	if s.RunTimeout > 0 {
		return s.RunTimeout
	}
	return DefaultRunTimeout
}

// sameTicks reports whether a and b tick at the same times, so that a change
// of only RunTimeout keeps the periodic job (and its next tick) as it is.
func (s Schedule) sameTicks(o Schedule) bool {
	return s.Enabled == o.Enabled && s.Every == o.Every && s.Cron == o.Cron
}
