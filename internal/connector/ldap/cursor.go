package ldap

import (
	"encoding/json"
	"fmt"
	"slices"
	"time"
)

// cursorVersion is the format version of the cursor.
const cursorVersion = 1

// cursor is the state a run hands back for the next one. It is opaque to
// the engine.
type cursor struct {
	V       int      `json:"v"`
	Dialect string   `json:"dialect"`
	BaseDNs []string `json:"base_dns"`
	Kinds   []string `json:"kinds"`
	// Started is when the run began, by this host's clock: the lower
	// bound of the next accountExpires window and, less DeltaOverlap, of
	// the next modifyTimestamp delta.
	Started time.Time `json:"started"`

	// AD: the DC the USN belongs to, its database instance and the
	// highestCommittedUSN read before the run's first search.
	DC           string `json:"dc,omitempty"`
	InvocationID string `json:"invocation_id,omitempty"`
	USN          int64  `json:"usn,omitempty"`

	// Generic LDAP: the latest modifyTimestamp seen (GeneralizedTime).
	MaxModified string `json:"max_modified,omitempty"`
}

func parseCursor(s string) (cursor, error) {
	var c cursor
	if s == "" {
		return c, nil
	}
	if err := json.Unmarshal([]byte(s), &c); err != nil {
		return cursor{}, fmt.Errorf("decoding the cursor: %w", err)
	}
	if c.V != cursorVersion {
		return cursor{}, fmt.Errorf("decoding the cursor: unknown version %d", c.V)
	}
	return c, nil
}

func (c cursor) String() string {
	c.V = cursorVersion
	b, _ := json.Marshal(c)
	return string(b)
}

// covers reports whether the cursor was issued for the same dialect, base
// DNs and at least the kinds now asked for.
func (c cursor) covers(dialect string, bases, kinds []string) bool {
	if c.Dialect != dialect || !slices.Equal(c.BaseDNs, bases) {
		return false
	}
	for _, k := range kinds {
		if !slices.Contains(c.Kinds, k) {
			return false
		}
	}
	return true
}

// generalizedTime is the LDAP GeneralizedTime form of t, to the second.
func generalizedTime(t time.Time) string { return t.UTC().Format("20060102150405Z") }

// parseGeneralizedTime reads "20261204152109Z" (fractions allowed).
func parseGeneralizedTime(s string) (time.Time, bool) {
	for _, layout := range []string{"20060102150405Z", "20060102150405.999999Z", "20060102150405Z0700", "20060102150405.999999Z0700"} {
		if t, err := time.Parse(layout, s); err == nil {
			return t.UTC(), true
		}
	}
	return time.Time{}, false
}
