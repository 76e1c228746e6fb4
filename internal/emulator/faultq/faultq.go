// Package faultq is the fault queue every vendor emulator injects failures
// through: a fault fires for the matching requests after the first After
// of them, Times times, and is dropped once spent. What a fault is and how
// it is served stays each emulator's own.
package faultq

import "sync"

// Queue holds faults of one emulator. The zero value is ready to use and
// safe for concurrent use.
type Queue[F any] struct {
	mu    sync.Mutex
	items []*item[F]
}

type item[F any] struct {
	f             F
	after, times  int
	seen, applied int
}

// Add queues a fault that lets after matching requests through and then
// fires times times (at least once).
func (q *Queue[F]) Add(f F, after, times int) {
	q.mu.Lock()
	defer q.mu.Unlock()
	q.items = append(q.items, &item[F]{f: f, after: after, times: max(times, 1)})
}

// Clear drops every queued fault.
func (q *Queue[F]) Clear() {
	q.mu.Lock()
	defer q.mu.Unlock()
	q.items = nil
}

// Next counts the request against every fault it matches, in the order
// they were queued, and returns the first that fires for it: a request
// gets at most one fault.
func (q *Queue[F]) Next(match func(F) bool) (F, bool) {
	q.mu.Lock()
	defer q.mu.Unlock()
	var hit *item[F]
	kept := q.items[:0]
	for _, it := range q.items {
		if match(it.f) {
			it.seen++
			if hit == nil && it.seen > it.after && it.applied < it.times {
				it.applied++
				hit = it
			}
		}
		if it.applied < it.times {
			kept = append(kept, it)
		}
	}
	clear(q.items[len(kept):])
	q.items = kept
	if hit == nil {
		var zero F
		return zero, false
	}
	return hit.f, true
}
