package entra

import (
	"encoding/json"
	"io"

	"github.com/integrator-oss/integrator/internal/connector/msgraph"

	"github.com/integrator-oss/integrator/internal/record"
)

// page is one decoded response of a delta round.
type page struct {
	next    string
	delta   string
	records []record.Record
}

// decodePage reads one collection response from r, item by item, without
// holding more than the page's records. A malformed or cut page is an
// error, never a short page.
func decodePage(r io.Reader, rs resource) (page, error) {
	var p page
	l, err := msgraph.DecodeCollection(r, func(dec *json.Decoder) error {
		rec, err := rs.decode(dec)
		if err != nil {
			return err
		}
		p.records = append(p.records, rec)
		return nil
	})
	p.next, p.delta = l.Next, l.Delta
	return p, err
}
