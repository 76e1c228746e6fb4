package engine

import (
	"encoding/binary"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"hash/fnv"
	"slices"

	"github.com/integrator-oss/integrator/internal/record"
)

// linkData is what a link keeps of the last applied source record: enough
// to re-scope the object without refetching it and to explain its outcome.
// Its JSON form is read by the store (attrs.manager).
type linkData struct {
	State  string            `json:"state"`
	Reason string            `json:"reason,omitempty"`
	Attrs  map[string]string `json:"attrs,omitempty"`
	// Site and Role are the scope outcome the fingerprint covers.
	InScope bool   `json:"in_scope"`
	Site    string `json:"site,omitempty"`
	Role    string `json:"role,omitempty"`
	// Client is an asset's platform client (people belong to their
	// integration's client).
	Client string `json:"client,omitempty"`
}

func decodeLinkData(b []byte) (linkData, error) {
	var d linkData
	if len(b) == 0 {
		return d, nil
	}
	if err := json.Unmarshal(b, &d); err != nil {
		return d, fmt.Errorf("decoding link data: %w", err)
	}
	return d, nil
}

func (d linkData) encode() []byte {
	b, err := json.Marshal(d)
	if err != nil {
		// A struct of strings and a bool always marshals.
		panic(err)
	}
	return b
}

func stateOf(s string) record.State {
	switch s {
	case "disabled":
		return record.Disabled
	case "removed":
		return record.Removed
	}
	return record.Present
}

// merge overlays a fetched record on what the link had: an attribute the
// source did not report keeps its old value, so a delta that carries only
// some properties never blanks the others.
func merge(old linkData, rec record.Record) linkData {
	d := linkData{State: rec.State.String(), Reason: rec.Reason}
	if len(old.Attrs) > 0 || len(rec.Attrs) > 0 {
		d.Attrs = make(map[string]string, max(len(old.Attrs), len(rec.Attrs)))
		for k, v := range old.Attrs {
			d.Attrs[k] = v
		}
		for k, v := range rec.Attrs {
			d.Attrs[k] = v
		}
	}
	return d
}

// fingerprint hashes the record and its scope outcome. Two equal
// fingerprints mean applying the record again would change nothing.
func (d linkData) fingerprint() string {
	h := fnv.New128a()
	var buf [4]byte
	write := func(s string) {
		binary.LittleEndian.PutUint32(buf[:], uint32(len(s)))
		h.Write(buf[:])
		h.Write([]byte(s))
	}
	write(d.State)
	write(d.Site)
	write(d.Role)
	if d.Client != "" {
		write("client:" + d.Client)
	}
	if d.InScope {
		write("in")
	}
	keys := make([]string, 0, len(d.Attrs))
	for k := range d.Attrs {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	for _, k := range keys {
		write(k)
		write(d.Attrs[k])
	}
	return hex.EncodeToString(h.Sum(nil))
}
