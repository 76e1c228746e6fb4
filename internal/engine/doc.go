// Package engine turns what a connector fetched into platform changes: it
// scopes each record by the integration's mappings, matches it to an
// existing platform entity (existing link first, then the matching rules),
// skips what has not changed, applies the rest in batched transactions with
// their audit events, sweeps what a full run no longer returned, guards
// deactivation with the mass-deactivation threshold, and commits the cursor
// in the same transaction as the run's last batch.
//
// The engine is connector-agnostic and streams: it holds one page of
// records at a time. What it needs to remember across pages (seen marks,
// deactivations waiting for the threshold check, users to re-scope after a
// membership change) lives in run scratch tables in the store.
//
// A run's order:
//
//	fetch pages ─► groups: upsert groups, apply memberships, queue re-scope
//	            ─► users: scope ─► match ─► diff ─► apply (deactivations queued)
//	full run    ─► drop memberships not seen, queue their members for re-scope
//	            ─► re-scope queued users not fetched in this run
//	            ─► threshold check over queued deactivations + links not seen
//	            ─► apply deactivations ─► resolve managers ─► cursor + run record
package engine
