package entra

import (
	"encoding/json"
	"errors"
	"fmt"
	"io"

	"github.com/integrator-oss/integrator/internal/record"
)

// page is one decoded response of a delta round.
type page struct {
	next    string
	delta   string
	records []record.Record
}

// decodePage reads one collection response from r, item by item, without
// holding more than the page's records. It fails on anything that is not a
// complete JSON object followed by the end of the body: a malformed or cut
// page is an error, never a short page.
func decodePage(r io.Reader, rs resource) (page, error) {
	var p page
	dec := json.NewDecoder(r)
	if err := expectDelim(dec, '{'); err != nil {
		return p, err
	}
	for dec.More() {
		tok, err := dec.Token()
		if err != nil {
			return p, fmt.Errorf("reading a property name: %w", err)
		}
		key, _ := tok.(string)
		switch key {
		case "@odata.nextLink":
			err = dec.Decode(&p.next)
		case "@odata.deltaLink":
			err = dec.Decode(&p.delta)
		case "value":
			err = decodeValue(dec, rs, &p)
		default:
			var skip json.RawMessage
			err = dec.Decode(&skip)
		}
		if err != nil {
			return p, fmt.Errorf("reading %q: %w", key, err)
		}
	}
	if err := expectDelim(dec, '}'); err != nil {
		return p, err
	}
	if _, err := dec.Token(); !errors.Is(err, io.EOF) {
		if err == nil {
			return p, errors.New("unexpected data after the response object")
		}
		return p, fmt.Errorf("reading past the response object: %w", err)
	}
	return p, nil
}

func decodeValue(dec *json.Decoder, rs resource, p *page) error {
	if err := expectDelim(dec, '['); err != nil {
		return err
	}
	for i := 0; dec.More(); i++ {
		rec, err := rs.decode(dec)
		if err != nil {
			return fmt.Errorf("item %d: %w", i, err)
		}
		p.records = append(p.records, rec)
	}
	return expectDelim(dec, ']')
}

func expectDelim(dec *json.Decoder, want json.Delim) error {
	tok, err := dec.Token()
	if err != nil {
		if errors.Is(err, io.EOF) {
			err = io.ErrUnexpectedEOF
		}
		return fmt.Errorf("expecting %q: %w", want, err)
	}
	if d, ok := tok.(json.Delim); !ok || d != want {
		return fmt.Errorf("expecting %q, found %v", want, tok)
	}
	return nil
}
