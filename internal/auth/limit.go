package auth

import (
	"sync"
	"time"
)

// limiter refuses logins for a key (client IP and user name) after
// maxFails failures within window, until window has passed since the
// first of them. Success clears the key.
type limiter struct {
	mu       sync.Mutex
	maxFails int
	window   time.Duration
	keys     map[string]*attempts
}

type attempts struct {
	first time.Time
	fails int
}

func newLimiter(maxFails int, window time.Duration) *limiter {
	return &limiter{maxFails: maxFails, window: window, keys: map[string]*attempts{}}
}

// allow reports whether key may try now, and if not, when it may.
func (l *limiter) allow(key string, now time.Time) (bool, time.Duration) {
	l.mu.Lock()
	defer l.mu.Unlock()
	a, ok := l.keys[key]
	if !ok {
		return true, 0
	}
	if now.Sub(a.first) >= l.window {
		delete(l.keys, key)
		return true, 0
	}
	if a.fails >= l.maxFails {
		return false, a.first.Add(l.window).Sub(now)
	}
	return true, 0
}

func (l *limiter) fail(key string, now time.Time) {
	l.mu.Lock()
	defer l.mu.Unlock()
	a, ok := l.keys[key]
	if !ok || now.Sub(a.first) >= l.window {
		a = &attempts{first: now}
		l.keys[key] = a
	}
	a.fails++
	if len(l.keys) > 100_000 {
		// Bound the memory an attacker cycling keys can take.
		for k, v := range l.keys {
			if now.Sub(v.first) >= l.window {
				delete(l.keys, k)
			}
		}
	}
}

func (l *limiter) succeed(key string) {
	l.mu.Lock()
	defer l.mu.Unlock()
	delete(l.keys, key)
}
