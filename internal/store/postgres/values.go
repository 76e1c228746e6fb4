package postgres

import (
	"cmp"
	"context"
	"fmt"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgtype"
)

// timeValue is how a time is stored: in UTC, or NULL for the zero time.
func timeValue(t time.Time) *time.Time {
	if t.IsZero() {
		return nil
	}
	u := t.UTC()
	return &u
}

// timeOf reads a stored time back, in UTC.
func timeOf(v pgtype.Timestamptz) time.Time {
	if !v.Valid {
		return time.Time{}
	}
	return v.Time.UTC()
}

// idValue stores an optional reference: 0 is NULL.
func idValue(id int64) *int64 {
	if id == 0 {
		return nil
	}
	return &id
}

// keyValue stores a lower-cased lookup key: empty is NULL, so that blank
// fields never match each other.
func keyValue(s string) *string {
	if s == "" {
		return nil
	}
	k := strings.ToLower(s)
	return &k
}

// stringValue stores an optional string reference: empty is NULL, which
// partial indexes leave out.
func stringValue(s string) *string {
	if s == "" {
		return nil
	}
	return &s
}

// textValue stores JSON or other bytes as text: nil is NULL.
func textValue(b []byte) *string {
	if b == nil {
		return nil
	}
	s := string(b)
	return &s
}

// bytesOf reads back what textValue stored.
func bytesOf(v *string) []byte {
	if v == nil {
		return nil
	}
	return []byte(*v)
}

// sortedSet returns the distinct values of vals in ascending order, in a
// new slice. Rows inserted in key order fill B-tree pages one after the
// other instead of splitting pages all over the index.
func sortedSet(vals []string) []string {
	out := slices.Clone(vals)
	slices.Sort(out)
	return slices.Compact(out)
}

// rowScanner is what pgx.Row and pgx.Rows have in common.
type rowScanner interface{ Scan(...any) error }

// copyThreshold is the batch size from which plain inserts go through COPY
// rather than one INSERT ... SELECT FROM unnest(...): COPY costs a round
// trip more (pgx reads the table's column types first) and wins on large
// batches only.
const copyThreshold = 1000

// nextIDs takes n values of table's ID sequence, ascending. Taking them up
// front gives each row of a batch its ID before the rows are sent, in the
// caller's order, whichever way the rows then go.
func (t *tx) nextIDs(ctx context.Context, table string, n int) ([]int64, error) {
	rows, err := t.q.Query(ctx, `SELECT nextval($1::regclass) FROM generate_series(1, $2)`, table+"_id_seq", n)
	if err != nil {
		return nil, interpretError(err)
	}
	ids, err := pgx.CollectRows(rows, pgx.RowTo[int64])
	if err != nil {
		return nil, interpretError(err)
	}
	if len(ids) != n {
		return nil, fmt.Errorf("took %d IDs of %s, want %d", len(ids), table, n)
	}
	slices.Sort(ids)
	return ids, nil
}

// byID returns the indexes 0..n-1 ordered by the IDs id returns.
func byID(n int, id func(i int) int64) []int {
	order := make([]int, n)
	for i := range order {
		order[i] = i
	}
	slices.SortStableFunc(order, func(a, b int) int { return cmp.Compare(id(a), id(b)) })
	return order
}

// perKey wraps a query of one key, written with k.v for the key, into a
// query of many: the keys come as the array parameter $param (of type
// typ[]) and the query runs once per key, each time as an index lookup.
//
// The plain form, key = ANY($n), leaves the planner a choice it makes
// badly at the sizes a sync works at: for a page of 8,000 keys in a table
// of a few hundred thousand rows, its costs favour reading the whole table
// over 8,000 index probes, and every page of a run then reads the table
// again (a 300,000-link lookup took 0.5 s that way). OFFSET 0 keeps the
// planner from merging the subquery into a join, so each key is a probe.
// Callers pass distinct keys: a key given twice returns its rows twice.
func perKey(typ, query string, param int) string {
	return `SELECT x.* FROM unnest($` + strconv.Itoa(param) + `::` + typ + `[]) AS k (v)
		CROSS JOIN LATERAL (` + query + ` OFFSET 0) AS x`
}

// distinctIDs returns the distinct IDs, ascending, in a new slice.
func distinctIDs(ids []int64) []int64 {
	out := slices.Clone(ids)
	slices.Sort(out)
	return slices.Compact(out)
}
