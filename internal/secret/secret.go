// Package secret holds a string type for credentials that cannot leak by
// accident: it prints, marshals and logs as a fixed placeholder. Code that
// needs the value asks for it with Reveal, which is easy to grep for.
package secret

import (
	"encoding/json"
	"log/slog"
)

// Redacted is what a secret shows instead of its value.
const Redacted = "<secret>"

// String is a secret value. The value sits behind a pointer so that even
// fmt verbs that bypass String (%s on a struct holding one, %d, %x) print
// an address, never the value.
type String struct{ v *string }

// New wraps a plain value.
func New(v string) String {
	if v == "" {
		return String{}
	}
	return String{v: &v}
}

// Reveal returns the plain value. Call it only where the value is sent to
// the system it belongs to.
func (s String) Reveal() string {
	if s.v == nil {
		return ""
	}
	return *s.v
}

// IsZero reports whether the secret is empty.
func (s String) IsZero() bool { return s.v == nil }

// String returns the placeholder, never the value.
func (s String) String() string {
	if s.v == nil {
		return ""
	}
	return Redacted
}

// GoString hides the value from %#v.
func (s String) GoString() string { return s.String() }

// LogValue hides the value from slog.
func (s String) LogValue() slog.Value { return slog.StringValue(s.String()) }

// MarshalJSON writes the placeholder.
func (s String) MarshalJSON() ([]byte, error) { return json.Marshal(s.String()) }

// MarshalText writes the placeholder (YAML and other text encoders).
func (s String) MarshalText() ([]byte, error) { return []byte(s.String()), nil }

// UnmarshalText reads a plain value (config files, API requests).
func (s *String) UnmarshalText(b []byte) error {
	*s = New(string(b))
	return nil
}
