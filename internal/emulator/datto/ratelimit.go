package datto

import (
	"sync"
	"time"
)

// rateLimiter is Datto's rolling-window read quota: it remembers the time
// of every accepted request of the last window.
type rateLimiter struct {
	mu       sync.Mutex
	limit    int
	window   time.Duration
	slowdown time.Duration

	times   []time.Time // accepted requests, oldest first
	refused []time.Time // throttled requests, oldest first
	blocked time.Time   // IP blocked until
	peak    int
}

func newRateLimiter(limit int, window, slowdown time.Duration) *rateLimiter {
	return &rateLimiter{limit: limit, window: window, slowdown: slowdown}
}

// set changes the quota and forgets the requests counted so far.
func (l *rateLimiter) set(limit int, window, slowdown time.Duration) {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.limit, l.window, l.slowdown = limit, window, slowdown
	l.times, l.refused = l.times[:0], l.refused[:0]
}

// verdict is what the limiter decides for one request.
type verdict struct {
	// throttled: answer 429 after retryAfter.
	throttled  bool
	retryAfter time.Duration
	// blocked: answer 403, the IP block lasts blockedFor.
	blocked    bool
	blockedFor time.Duration
	// slow: past 90 % of the quota, delay the answer by slowdown.
	slow     bool
	slowdown time.Duration
}

// admit counts one read request at now.
func (l *rateLimiter) admit(now time.Time, blockAfter int, blockFor time.Duration) verdict {
	l.mu.Lock()
	defer l.mu.Unlock()
	if now.Before(l.blocked) {
		return verdict{blocked: true, blockedFor: l.blocked.Sub(now)}
	}
	if l.limit < 0 {
		return verdict{}
	}
	cut := now.Add(-l.window)
	l.times = dropBefore(l.times, cut)
	l.refused = dropBefore(l.refused, cut)
	if len(l.times) >= l.limit {
		l.refused = append(l.refused, now)
		if blockAfter > 0 && len(l.refused) >= blockAfter {
			l.blocked = now.Add(blockFor)
			l.refused = l.refused[:0]
			return verdict{blocked: true, blockedFor: blockFor}
		}
		return verdict{throttled: true, retryAfter: l.times[0].Add(l.window).Sub(now)}
	}
	l.times = append(l.times, now)
	l.peak = max(l.peak, len(l.times))
	return verdict{slow: len(l.times)*10 > l.limit*9 && l.slowdown > 0, slowdown: l.slowdown}
}

// block blocks the IP for d from now.
func (l *rateLimiter) block(now time.Time, d time.Duration) {
	l.mu.Lock()
	l.blocked = now.Add(d)
	l.mu.Unlock()
}

// usage returns the requests in the window at now.
func (l *rateLimiter) usage(now time.Time) int {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.times = dropBefore(l.times, now.Add(-l.window))
	return len(l.times)
}

// quota returns the limit and window in force.
func (l *rateLimiter) quota() (int, time.Duration) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.limit, l.window
}

func (l *rateLimiter) peakCount() int {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.peak
}

func dropBefore(ts []time.Time, cut time.Time) []time.Time {
	i := 0
	for i < len(ts) && !ts[i].After(cut) {
		i++
	}
	if i == 0 {
		return ts
	}
	return append(ts[:0], ts[i:]...)
}
