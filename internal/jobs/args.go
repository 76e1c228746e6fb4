package jobs

import (
	"encoding/json"
	"time"

	"github.com/riverqueue/river"
	"github.com/riverqueue/river/rivertype"
)

// Queue names. Ticks have their own queue so that they are never stuck
// behind long runs, and a client built with Periodic false does not fetch
// them.
const (
	queueSync = "integrator_sync"
	queueTick = "integrator_tick"
)

const (
	tickWorkers     = 2
	tickMaxAttempts = 3
	tickTimeout     = 10 * time.Second
)

// uniqueStates are the states in which a job blocks another of the same
// integration: queued, going, or waiting for a retry.
var uniqueStates = []rivertype.JobState{ //nolint:gochecknoglobals // constant list
	rivertype.JobStateAvailable,
	rivertype.JobStatePending,
	rivertype.JobStateRetryable,
	rivertype.JobStateRunning,
	rivertype.JobStateScheduled,
}

// syncArgs are the persisted arguments of one run. The JSON names are stored
// in the database: renaming one strands the jobs queued before.
type syncArgs struct {
	Integration           string `json:"integration" river:"unique"`
	Full                  bool   `json:"full,omitempty"`
	AllowMassDeactivation bool   `json:"allow_mass_deactivation,omitempty"`
	Trigger               string `json:"trigger"`
}

func (syncArgs) Kind() string { return "integrator_sync" }

func newSyncArgs(req RunRequest) syncArgs {
	return syncArgs{
		Integration:           req.Integration,
		Full:                  req.Full,
		AllowMassDeactivation: req.AllowMassDeactivation,
		Trigger:               req.Trigger,
	}
}

func (a syncArgs) request(attempt int) RunRequest {
	trigger := a.Trigger
	if attempt > 1 {
		trigger = TriggerRetry
	}
	return RunRequest{
		Integration:           a.Integration,
		Full:                  a.Full,
		AllowMassDeactivation: a.AllowMassDeactivation,
		Trigger:               trigger,
	}
}

func syncInsertOpts(maxAttempts int) *river.InsertOpts {
	return &river.InsertOpts{
		Queue:       queueSync,
		MaxAttempts: maxAttempts,
		UniqueOpts:  river.UniqueOpts{ByArgs: true, ByState: uniqueStates},
	}
}

// tickArgs are the arguments of a periodic tick.
type tickArgs struct {
	Integration string `json:"integration" river:"unique"`
}

func (tickArgs) Kind() string { return "integrator_tick" }

// tickInsertOpts coalesce ticks that pile up for one integration (a stalled
// tick queue) into one.
func tickInsertOpts() *river.InsertOpts {
	return &river.InsertOpts{
		Queue:       queueTick,
		MaxAttempts: tickMaxAttempts,
		UniqueOpts:  river.UniqueOpts{ByArgs: true, ByState: uniqueStates},
	}
}

// decodeSyncArgs reads the arguments of a sync job row.
func decodeSyncArgs(row *rivertype.JobRow) (syncArgs, bool) {
	var a syncArgs
	if row.Kind != a.Kind() {
		return a, false
	}
	if err := json.Unmarshal(row.EncodedArgs, &a); err != nil {
		return a, false
	}
	return a, true
}
