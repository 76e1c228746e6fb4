// Package jobs schedules and executes the runs of integrations through River
// (github.com/riverqueue/river).
//
// Every enabled integration with an interval or a cron expression gets one
// River periodic job. Its tick is a light job whose worker inserts the real
// sync job, unique on the integration's name while it is available, pending,
// scheduled, running or retryable. A tick that finds a run of its integration
// still queued or going is therefore skipped, and recorded as skipped through
// the SkipRecorder; one integration never runs twice at once. RunNow inserts
// the same sync job with the same uniqueness, so the CLI, the API and the
// schedule share one path.
//
// Jobs live in the database, so a restart loses nothing: periodic jobs are
// registered again from the configuration, and queued or retryable jobs are
// worked by whichever process fetches them. A run whose process died while it
// was running is made available again by River's rescuer once the run's
// timeout and Config.RescueGrace have passed, or at once by RescueOrphans on
// a single node.
//
// OpenSQLite serves a single node. OpenPostgres lets several processes share
// one PostgreSQL database: uniqueness is enforced by the database, so one
// integration never runs in two processes at once; only River's elected
// leader enqueues ticks and runs the rescuer and the cleaners; River's tables
// are migrated under an advisory lock, so processes may start together.
//
// The River driver only appears in the constructors: everything else goes
// through newScheduler, which is generic over the driver's transaction type.
package jobs
