package msgraph

import (
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net"
	"net/url"
	"syscall"
)

// Links are the paging annotations of one collection response.
type Links struct {
	Next  string // @odata.nextLink
	Delta string // @odata.deltaLink
}

// DecodeCollection reads one collection response from r, handing each
// element of "value" to item as it comes, without holding more than the
// element being decoded. It fails on anything that is not a complete JSON
// object followed by the end of the body: a malformed or cut page is an
// error, never a short page.
func DecodeCollection(r io.Reader, item func(dec *json.Decoder) error) (Links, error) {
	var l Links
	dec := json.NewDecoder(r)
	if err := ExpectDelim(dec, '{'); err != nil {
		return l, err
	}
	for dec.More() {
		tok, err := dec.Token()
		if err != nil {
			return l, fmt.Errorf("reading a property name: %w", err)
		}
		key, _ := tok.(string)
		switch key {
		case "@odata.nextLink":
			err = dec.Decode(&l.Next)
		case "@odata.deltaLink":
			err = dec.Decode(&l.Delta)
		case "value":
			err = decodeValue(dec, item)
		default:
			var skip json.RawMessage
			err = dec.Decode(&skip)
		}
		if err != nil {
			return l, fmt.Errorf("reading %q: %w", key, err)
		}
	}
	if err := ExpectDelim(dec, '}'); err != nil {
		return l, err
	}
	if _, err := dec.Token(); !errors.Is(err, io.EOF) {
		if err == nil {
			return l, errors.New("unexpected data after the response object")
		}
		return l, fmt.Errorf("reading past the response object: %w", err)
	}
	return l, nil
}

func decodeValue(dec *json.Decoder, item func(dec *json.Decoder) error) error {
	if err := ExpectDelim(dec, '['); err != nil {
		return err
	}
	for i := 0; dec.More(); i++ {
		if err := item(dec); err != nil {
			if errors.Is(err, io.EOF) {
				// Inside the response object the end of the body is
				// always premature: a cut page, not a short one.
				err = io.ErrUnexpectedEOF
			}
			return fmt.Errorf("item %d: %w", i, err)
		}
	}
	return ExpectDelim(dec, ']')
}

// ExpectDelim reads the next token and fails unless it is want.
func ExpectDelim(dec *json.Decoder, want json.Delim) error {
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

// CutShort reports a body that ended early or whose connection failed, as
// opposed to a complete body that is not the JSON expected: the first is
// transient and worth retrying the run for.
func CutShort(err error) bool {
	var ne net.Error
	return errors.Is(err, io.ErrUnexpectedEOF) || errors.Is(err, syscall.ECONNRESET) || errors.As(err, &ne)
}

// LinkPath is the path of a link without its query (skip and delta
// tokens), for errors and logs.
func LinkPath(link string) string {
	u, err := url.Parse(link)
	if err != nil {
		return "?"
	}
	return u.Path
}
