package graph

import (
	"crypto/hmac"
	"crypto/sha256"
	"encoding/base64"
	"encoding/binary"
	"errors"
	"hash/fnv"
)

// resource says which collection a page token pages through.
type resource uint8

const (
	resUsers resource = iota + 1
	resGroups
	resGroupMembers
	resContacts
)

// phase says what a page token continues.
type phase uint8

const (
	// phaseFull walks the object slice from pos: an initial delta round.
	phaseFull phase = iota + 1
	// phaseDelta walks the change log from pos up to upto.
	phaseDelta
	// phaseRemoveAll walks the object slice reporting every object removed
	// (a deltaLink round while the tenant is empty).
	phaseRemoveAll
	// phaseDeltaLink is the token of a deltaLink: changes after since.
	phaseDeltaLink
	// phaseList walks the object slice of a plain list (/users, /groups).
	phaseList
)

// pageToken is the state carried by $skiptoken and $deltatoken values. It is
// serialised, signed with an HMAC and base64url-encoded, so clients cannot
// read or forge it.
type pageToken struct {
	res      resource
	phase    phase
	selected bool   // $select was given on the first request
	epoch    uint64 // tenant generation the token belongs to
	gen      uint32 // ExpireDeltaTokens generation
	issued   int64  // unix nanoseconds
	since    uint64 // changes after this sequence number are delivered
	upto     uint64 // the round's snapshot sequence number
	pos      uint64 // object index (full, list) or change log index (delta)
	sub      uint32 // member index within the group at pos
	sel      uint64 // selected properties
	size     uint16 // page size asked for on the first request, 0 = default
	ref      int32  // group index for member lists
}

const (
	tokenBodyLen = 4 + 8 + 4 + 8 + 8 + 8 + 8 + 4 + 8 + 2 + 4
	tokenMACLen  = 16
)

var errBadToken = errors.New("malformed or tampered token")

func (e *Emulator) encodeToken(t pageToken) string {
	var b [tokenBodyLen + tokenMACLen]byte
	flags := byte(0)
	if t.selected {
		flags = 1
	}
	b[0], b[1], b[2], b[3] = 1, byte(t.res), byte(t.phase), flags
	o := 4
	binary.LittleEndian.PutUint64(b[o:], t.epoch)
	o += 8
	binary.LittleEndian.PutUint32(b[o:], t.gen)
	o += 4
	binary.LittleEndian.PutUint64(b[o:], uint64(t.issued))
	o += 8
	binary.LittleEndian.PutUint64(b[o:], t.since)
	o += 8
	binary.LittleEndian.PutUint64(b[o:], t.upto)
	o += 8
	binary.LittleEndian.PutUint64(b[o:], t.pos)
	o += 8
	binary.LittleEndian.PutUint32(b[o:], t.sub)
	o += 4
	binary.LittleEndian.PutUint64(b[o:], t.sel)
	o += 8
	binary.LittleEndian.PutUint16(b[o:], t.size)
	o += 2
	binary.LittleEndian.PutUint32(b[o:], uint32(t.ref))
	mac := hmac.New(sha256.New, e.key)
	mac.Write(b[:tokenBodyLen])
	copy(b[tokenBodyLen:], mac.Sum(nil))
	return base64.RawURLEncoding.EncodeToString(b[:])
}

func (e *Emulator) decodeToken(s string) (pageToken, error) {
	b, err := base64.RawURLEncoding.DecodeString(s)
	if err != nil || len(b) != tokenBodyLen+tokenMACLen || b[0] != 1 {
		return pageToken{}, errBadToken
	}
	mac := hmac.New(sha256.New, e.key)
	mac.Write(b[:tokenBodyLen])
	if !hmac.Equal(mac.Sum(nil)[:tokenMACLen], b[tokenBodyLen:]) {
		return pageToken{}, errBadToken
	}
	t := pageToken{res: resource(b[1]), phase: phase(b[2]), selected: b[3]&1 != 0}
	o := 4
	t.epoch = binary.LittleEndian.Uint64(b[o:])
	o += 8
	t.gen = binary.LittleEndian.Uint32(b[o:])
	o += 4
	t.issued = int64(binary.LittleEndian.Uint64(b[o:]))
	o += 8
	t.since = binary.LittleEndian.Uint64(b[o:])
	o += 8
	t.upto = binary.LittleEndian.Uint64(b[o:])
	o += 8
	t.pos = binary.LittleEndian.Uint64(b[o:])
	o += 8
	t.sub = binary.LittleEndian.Uint32(b[o:])
	o += 4
	t.sel = binary.LittleEndian.Uint64(b[o:])
	o += 8
	t.size = binary.LittleEndian.Uint16(b[o:])
	o += 2
	t.ref = int32(binary.LittleEndian.Uint32(b[o:]))
	return t, nil
}

// tokenParity picks, deterministically per token, one of the two casings
// Graph is observed to use for the SyncStateNotFound code.
func tokenParity(s string) bool {
	h := fnv.New32a()
	h.Write([]byte(s))
	return h.Sum32()&1 == 0
}
