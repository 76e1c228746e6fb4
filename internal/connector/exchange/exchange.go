// Package exchange is the connector for Exchange Online calendars: it reads
// the calendars of a set of mailboxes through Microsoft Graph's
// calendarView delta over a rolling window (30 days back, 180 ahead by
// default) and maps each event, occurrence and exception to an appointment
// record. It uses the same app registration credentials as the entra
// connector (internal/connector/msgraph).
//
// Each mailbox is a part of the source (record.AttrPart is the mailbox
// owner's user ID) with its own delta link in the connector's cursor: a
// mailbox that fails is reported in FetchResult.FailedParts and keeps its
// old delta link, and the others complete. Appointments disappear only
// through "@removed", so FetchResult.Full is always false.
//
// See README.md (Doc) for permissions and configuration.
package exchange

import (
	_ "embed"

	"github.com/integrator-oss/integrator/internal/connector"
	"github.com/integrator-oss/integrator/internal/record"
)

// Sample is an example configuration block.
//
//go:embed sample.yaml
var Sample string

// Doc is the connector's README in Markdown.
//
//go:embed README.md
var Doc string

// Type describes the connector for the registry.
func Type() connector.Type {
	return connector.Type{
		New: func() connector.Config {
			c := Config{}.WithDefaults()
			return &c
		},
		Kinds:  []record.Kind{record.KindAppointment},
		Sample: Sample,
		Doc:    Doc,
	}
}

var _ connector.Config = (*Config)(nil)
