package faultq

import (
	"testing"

	"github.com/stretchr/testify/require"
)

func TestAfterTimesAndOrder(t *testing.T) {
	var q Queue[string]
	q.Add("users", 1, 2)
	q.Add("users-second", 0, 0)
	match := func(path string) func(string) bool {
		return func(f string) bool { return len(path) >= 5 && f[:5] == path[:5] }
	}
	var got []string
	for range 5 {
		f, ok := q.Next(match("users"))
		if !ok {
			f = "-"
		}
		got = append(got, f)
	}
	// Request 1: "users" lets one through, the second fault fires (once).
	// Requests 2 and 3: "users" fires twice. Then nothing is left.
	require.Equal(t, []string{"users-second", "users", "users", "-", "-"}, got)
	_, ok := q.Next(func(string) bool { return true })
	require.False(t, ok, "spent faults are dropped")

	q.Add("groups", 0, 1)
	_, ok = q.Next(func(f string) bool { return f == "users" })
	require.False(t, ok, "a request matching no fault gets none")
	q.Clear()
	_, ok = q.Next(func(string) bool { return true })
	require.False(t, ok)
}
