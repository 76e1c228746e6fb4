package sqlite

import (
	"database/sql"
	"slices"
	"strconv"
	"strings"
	"time"
)

// timeValue is how a time is stored: microseconds since the epoch, or NULL
// for the zero time.
func timeValue(t time.Time) any {
	if t.IsZero() {
		return nil
	}
	return t.UnixMicro()
}

// timeOf reads a stored time back, in UTC.
func timeOf(v sql.NullInt64) time.Time {
	if !v.Valid {
		return time.Time{}
	}
	return time.UnixMicro(v.Int64).UTC()
}

// idValue stores an optional reference: 0 is NULL.
func idValue(id int64) any {
	if id == 0 {
		return nil
	}
	return id
}

// keyValue stores a lower-cased lookup key: empty is NULL, so that blank
// fields never match each other.
func keyValue(s string) any {
	if s == "" {
		return nil
	}
	return strings.ToLower(s)
}

// stringValue stores an optional string reference: empty is NULL, which
// partial indexes leave out.
func stringValue(s string) any {
	if s == "" {
		return nil
	}
	return s
}

// textValue stores JSON or other bytes as TEXT (SQLite's JSON functions
// read a BLOB as JSONB): nil is NULL.
func textValue(b []byte) any {
	if b == nil {
		return nil
	}
	return string(b)
}

// bytesOf reads back what textValue stored.
func bytesOf(v sql.NullString) []byte {
	if !v.Valid {
		return nil
	}
	return []byte(v.String)
}

// maxParams bounds the bind parameters of one multi-row statement. SQLite
// allows 32766; smaller statements keep preparing them cheap.
const maxParams = 8000

// lookupChunk bounds the values of one IN (...) lookup.
const lookupChunk = 500

// batchSizes returns the row counts of the multi-row statements for rows
// of width columns, largest first: powers of four up to what maxParams
// allows.
func batchSizes(width int) []int {
	limit := max(1, maxParams/width)
	var sizes []int
	for n := 1; n <= limit; n *= 4 {
		sizes = append(sizes, n)
	}
	slices.Reverse(sizes)
	return sizes
}

// forBatches splits n rows of width columns into consecutive runs whose
// lengths are batchSizes, largest first, and calls fn for each. Batches of
// any length thus run on a handful of cached prepared statements.
func forBatches(n, width int, fn func(start, rows int) error) error {
	start := 0
	for _, size := range batchSizes(width) {
		for n-start >= size {
			if err := fn(start, size); err != nil {
				return err
			}
			start += size
		}
	}
	return nil
}

// inSizes are the lengths of cached IN (...) lists.
var inSizes = []int{1, 2, 4, 8, 16, 32, 64, 128, 256, lookupChunk}

// inArgs returns the cached IN-list length for vals (at most lookupChunk
// of them) and the values as arguments, padded to that length by
// repeating the last one, which changes no IN result.
func inArgs[T any](prefix []any, vals []T) (int, []any) {
	n := inSizes[len(inSizes)-1]
	for _, size := range inSizes {
		if size >= len(vals) {
			n = size
			break
		}
	}
	args := make([]any, 0, len(prefix)+n)
	args = append(args, prefix...)
	for _, v := range vals {
		args = append(args, v)
	}
	for len(args) < len(prefix)+n {
		args = append(args, vals[len(vals)-1])
	}
	return n, args
}

// batchKey names a cached statement of one size.
func batchKey(op string, rows int) string { return op + "/" + strconv.Itoa(rows) }

// placeholders returns rows groups of width "?" each, comma-separated.
func placeholders(width, rows int) string {
	var b strings.Builder
	b.Grow(rows * (width*2 + 2))
	for r := range rows {
		if r > 0 {
			b.WriteByte(',')
		}
		b.WriteByte('(')
		for c := range width {
			if c > 0 {
				b.WriteByte(',')
			}
			b.WriteByte('?')
		}
		b.WriteByte(')')
	}
	return b.String()
}

// inList returns "?,?,?" for n values.
func inList(n int) string {
	return strings.TrimSuffix(strings.Repeat("?,", n), ",")
}

// chunks calls fn on consecutive slices of at most size elements.
func chunks[T any](all []T, size int, fn func([]T) error) error {
	for len(all) > 0 {
		n := min(size, len(all))
		if err := fn(all[:n]); err != nil {
			return err
		}
		all = all[n:]
	}
	return nil
}

// clock returns now at the precision the store keeps, so that timestamps
// the store sets on structs equal what a later read returns.
func (s *Store) clock() time.Time {
	return s.now().UTC().Truncate(time.Microsecond)
}

// sortedSet returns the distinct values of vals in ascending order, in a
// new slice. Rows inserted in key order land next to each other in the
// B-tree: each insert finds its page already in the cache and full pages
// split at the end, not in the middle.
func sortedSet(vals []string) []string {
	out := slices.Clone(vals)
	slices.Sort(out)
	return slices.Compact(out)
}
