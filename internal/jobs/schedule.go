package jobs

import (
	"context"
	"fmt"
	"sync"
	"time"

	"github.com/riverqueue/river"
	"github.com/riverqueue/river/rivertype"
	"github.com/robfig/cron/v3"
)

// cronSchedule adapts a parsed cron expression to River's PeriodicSchedule.
type cronSchedule struct{ cron.Schedule }

var _ river.PeriodicSchedule = cronSchedule{}

// Next returns the first activation strictly after t.
func (c cronSchedule) Next(t time.Time) time.Time { return c.Schedule.Next(t) }

// trackedSchedule remembers the last tick River computed, so Next can report
// what River will actually do. River calls Next when the periodic job is
// registered on the leader and after every tick, from its own goroutine.
type trackedSchedule struct {
	inner river.PeriodicSchedule

	mu   sync.Mutex
	next time.Time
}

func (t *trackedSchedule) Next(current time.Time) time.Time {
	n := t.inner.Next(current)
	t.mu.Lock()
	t.next = n
	t.mu.Unlock()
	return n
}

func (t *trackedSchedule) last() time.Time {
	t.mu.Lock()
	defer t.mu.Unlock()
	return t.next
}

// entry is one known integration and, when it ticks in this process, its
// periodic job.
type entry struct {
	sched    Schedule
	tracked  *trackedSchedule // nil when no periodic job is registered
	handle   rivertype.PeriodicJobHandle
	periodic bool
}

// SetSchedules reconciles the periodic jobs with list without a restart:
// integrations that appear are added, those that disappear or become
// disabled are removed, and those whose interval or cron expression changed
// are replaced (their next tick is one new interval from now). A change of
// RunTimeout alone applies to the next run and keeps the tick as it is.
//
// An invalid list changes nothing and reports every problem at once. In a
// deployment of several processes sharing one database, every process must
// be given the same list: only River's elected leader enqueues ticks.
func (s *Scheduler) SetSchedules(ctx context.Context, list []Schedule) error {
	if err := validateSchedules(list); err != nil {
		return fmt.Errorf("setting schedules: %w", err)
	}
	s.mu.Lock()
	defer s.mu.Unlock()

	want := make(map[string]Schedule, len(list))
	for _, sc := range list {
		want[sc.Name] = sc
	}
	for name, e := range s.entries {
		if sc, ok := want[name]; !ok || !sc.sameTicks(e.sched) {
			s.unregisterLocked(e)
			delete(s.entries, name)
		}
	}
	for _, sc := range list {
		if e, ok := s.entries[sc.Name]; ok {
			e.sched = sc
			continue
		}
		e, err := s.registerLocked(sc)
		if err != nil {
			return fmt.Errorf("setting schedules: %w", err)
		}
		s.entries[sc.Name] = e
	}
	s.logger.DebugContext(ctx, "schedules set", "count", len(list))
	return nil
}

// registerLocked builds the entry for sc and, on a periodic scheduler, adds
// its periodic job. sc has been validated.
func (s *Scheduler) registerLocked(sc Schedule) (*entry, error) {
	e := &entry{sched: sc}
	if !s.periodic || !sc.Enabled {
		return e, nil
	}
	ps, err := sc.periodicSchedule()
	if err != nil {
		return nil, fmt.Errorf("schedule %q: %w", sc.Name, err)
	}
	if ps == nil {
		return e, nil
	}
	e.tracked = &trackedSchedule{inner: ps}
	name := sc.Name
	handle, err := s.client.PeriodicJobs().AddSafely(river.NewPeriodicJob(
		e.tracked,
		func() (river.JobArgs, *river.InsertOpts) {
			return tickArgs{Integration: name}, tickInsertOpts()
		},
		&river.PeriodicJobOpts{RunOnStart: false},
	))
	if err != nil {
		return nil, fmt.Errorf("adding periodic job for %q: %w", sc.Name, err)
	}
	e.handle = handle
	e.periodic = true
	return e, nil
}

func (s *Scheduler) unregisterLocked(e *entry) {
	if e.periodic {
		s.client.PeriodicJobs().Remove(e.handle)
		e.periodic = false
	}
}

// schedule returns the known schedule of an integration.
func (s *Scheduler) schedule(name string) (Schedule, bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	e, ok := s.entries[name]
	if !ok {
		return Schedule{}, false
	}
	return e.sched, true
}

// runTimeout is the timeout of the next run of an integration.
func (s *Scheduler) runTimeout(name string) time.Duration {
	sc, ok := s.schedule(name)
	if !ok {
		return DefaultRunTimeout
	}
	return sc.runTimeout()
}

// Next returns the next scheduled tick of an integration, and false when it
// has none in this scheduler (unknown, disabled, run on request only, or a
// scheduler built with Periodic false). Once River's leader has planned the
// tick, Next is exactly that time; before (for instance on a process that is
// not the leader) it is the schedule's next activation from now.
func (s *Scheduler) Next(name string) (time.Time, bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	e, ok := s.entries[name]
	if !ok || !e.periodic {
		return time.Time{}, false
	}
	if n := e.tracked.last(); !n.IsZero() {
		return n, true
	}
	return e.tracked.inner.Next(time.Now()), true
}
