package sqlite

import (
	"slices"
	"testing"

	"github.com/stretchr/testify/require"
)

func TestForBatches(t *testing.T) {
	t.Parallel()
	for _, width := range []int{2, 3, 9, 24} {
		sizes := batchSizes(width)
		require.Equal(t, 1, sizes[len(sizes)-1], "width %d", width)
		require.LessOrEqual(t, sizes[0]*width, maxParams, "width %d", width)
		for _, n := range []int{0, 1, 3, 4, 5, 63, 64, 999, 1000, 1001, 4097} {
			next := 0
			calls := 0
			err := forBatches(n, width, func(start, rows int) error {
				require.Equal(t, next, start, "batches are consecutive")
				require.True(t, slices.Contains(sizes, rows), "batch of %d rows is not a cached size", rows)
				next += rows
				calls++
				return nil
			})
			require.NoError(t, err)
			require.Equal(t, n, next, "width %d, n %d: every row once", width, n)
			require.LessOrEqual(t, calls, n/sizes[0]+3*(len(sizes)-1), "width %d, n %d: few statements", width, n)
		}
	}
}

func TestInArgs(t *testing.T) {
	t.Parallel()
	tests := []struct {
		vals []string
		n    int
	}{
		{[]string{"a"}, 1},
		{[]string{"a", "b", "c"}, 4},
		{make([]string, 200), 256},
		{make([]string, 300), lookupChunk},
		{make([]string, lookupChunk), lookupChunk},
	}
	for _, tc := range tests {
		for i := range tc.vals {
			tc.vals[i] = string(rune('a' + i%26))
		}
		n, args := inArgs([]any{int64(7)}, tc.vals)
		require.Equal(t, tc.n, n, "%d values", len(tc.vals))
		require.Len(t, args, 1+n)
		require.Equal(t, int64(7), args[0], "the prefix comes first")
		for i, v := range tc.vals {
			require.Equal(t, v, args[1+i])
		}
		for _, pad := range args[1+len(tc.vals):] {
			require.Equal(t, tc.vals[len(tc.vals)-1], pad, "padding repeats the last value")
		}
	}
}
