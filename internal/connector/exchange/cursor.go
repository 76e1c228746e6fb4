package exchange

import (
	"encoding/json"
	"fmt"
)

// cursorVersion is the version of the cursor's JSON; a cursor of another
// version is dropped and every mailbox starts a new round.
const cursorVersion = 1

// cursor is the connector's opaque state: one delta link per mailbox.
type cursor struct {
	V         int                      `json:"v"`
	Mailboxes map[string]*mailboxState `json:"mailboxes"`
}

// mailboxState is one mailbox's place in its calendar.
type mailboxState struct {
	// Entry is the configured mailboxes entry that named it (list source),
	// so the next run need not look the user up again.
	Entry string `json:"entry,omitempty"`
	UPN   string `json:"upn"`
	// Delta is the deltaLink of the last complete round.
	Delta string `json:"delta"`
	// Start and End are the window Delta covers (RFC 3339, UTC midnight).
	Start string `json:"start"`
	End   string `json:"end"`
}

func decodeCursor(s string) (*cursor, error) {
	c := &cursor{V: cursorVersion, Mailboxes: map[string]*mailboxState{}}
	if s == "" {
		return c, nil
	}
	var in cursor
	if err := json.Unmarshal([]byte(s), &in); err != nil {
		return nil, fmt.Errorf("decoding the cursor: %w", err)
	}
	if in.V != cursorVersion {
		return c, nil
	}
	if in.Mailboxes != nil {
		c.Mailboxes = in.Mailboxes
	}
	return c, nil
}

func (c *cursor) encode() (string, error) {
	b, err := json.Marshal(c)
	if err != nil {
		return "", fmt.Errorf("encoding the cursor: %w", err)
	}
	return string(b), nil
}
