package entra

import (
	"encoding/json"
	"fmt"
)

// cursorVersion is the format version of the cursor.
const cursorVersion = 1

// cursor is the state handed back to the engine after a successful fetch:
// the deltaLink of each collection, followed verbatim on the next run. It
// is opaque to the engine. A cursor written before contacts were fetched
// has no "contacts" link and reads as such.
type cursor struct {
	V        int    `json:"v"`
	Users    string `json:"users,omitempty"`
	Groups   string `json:"groups,omitempty"`
	Contacts string `json:"contacts,omitempty"`
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

func (c cursor) link(rs resource) string {
	switch rs.name {
	case "users":
		return c.Users
	case "groups":
		return c.Groups
	case "contacts":
		return c.Contacts
	}
	return ""
}

func (c *cursor) setLink(rs resource, link string) {
	switch rs.name {
	case "users":
		c.Users = link
	case "groups":
		c.Groups = link
	case "contacts":
		c.Contacts = link
	}
}
