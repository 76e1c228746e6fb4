package graph

import (
	"hash/fnv"
	"net/http"
	"strconv"
	"strings"
)

// maxScan bounds how many slice or change log entries one page inspects, so
// a request never holds the tenant lock for long. A page that hits it is
// returned short (possibly empty) with a nextLink, which Graph allows.
const maxScan = 200_000

// page accumulates the items of one response.
type page struct {
	buf     []byte
	n       int
	replays [][2]int // byte ranges of items to send again at the end
}

func (p *page) sep() {
	if p.n > 0 {
		p.buf = append(p.buf, ',')
	}
	p.n++
}

func (p *page) flushReplays() {
	for _, r := range p.replays {
		p.buf = append(p.buf, ',')
		p.buf = append(p.buf, p.buf[r[0]:r[1]]...)
	}
	p.replays = p.replays[:0]
}

// replayPick says, deterministically per object and round, whether a delta
// round sends an object twice (about one in eight).
func replayPick(id string, round uint64) bool {
	h := fnv.New64a()
	h.Write([]byte(id))
	return (h.Sum64()^round*0x9e3779b97f4a7c15)>>61 == 0
}

// buildPage writes the next page of the round t continues into p, advances
// t and reports whether the round is complete. It must run under e.mu held
// for reading.
func (e *Emulator) buildPage(p *page, t *pageToken, size int) (done bool) {
	switch t.res {
	case resUsers:
		return e.buildUsersPage(p, t, size)
	case resGroups:
		return e.buildGroupsPage(p, t, size)
	case resGroupMembers:
		return e.buildMembersPage(p, t, size)
	case resContacts:
		return e.buildContactsPage(p, t, size)
	}
	return true
}

func (e *Emulator) buildContactsPage(p *page, t *pageToken, size int) bool {
	replay := !e.opts.DisableReplay
	switch t.phase {
	case phaseFull, phaseList:
		if e.empty {
			t.pos = uint64(len(e.contacts))
		}
		for scanned := 0; t.pos < uint64(len(e.contacts)) && p.n < size && scanned < maxScan; scanned++ {
			c := &e.contacts[t.pos]
			t.pos++
			if c.state == stateActive {
				p.sep()
				p.buf = appendContact(p.buf, c, t.sel)
			}
		}
		return t.pos >= uint64(len(e.contacts))
	case phaseRemoveAll:
		for scanned := 0; t.pos < uint64(len(e.contacts)) && p.n < size && scanned < maxScan; scanned++ {
			c := &e.contacts[t.pos]
			t.pos++
			if c.state != stateDeleted {
				p.sep()
				p.buf = appendRemoved(p.buf, c.ID, "deleted")
			}
		}
		return t.pos >= uint64(len(e.contacts))
	case phaseDelta:
		for scanned := 0; t.pos < t.upto && p.n < size && scanned < maxScan; scanned++ {
			ch := e.changes[t.pos]
			t.pos++
			if ch&kindBits != contactBit {
				continue
			}
			c := &e.contacts[ch&^contactBit]
			if c.seq != t.pos { // a later entry carries the latest state
				continue
			}
			p.sep()
			start := len(p.buf)
			if c.state == stateActive {
				p.buf = appendContact(p.buf, c, t.sel)
			} else {
				p.buf = appendRemoved(p.buf, c.ID, "deleted")
			}
			if replay && replayPick(c.ID, t.upto) {
				p.replays = append(p.replays, [2]int{start, len(p.buf)})
			}
		}
		p.flushReplays()
		return t.pos >= t.upto
	}
	return true
}

func (e *Emulator) buildUsersPage(p *page, t *pageToken, size int) bool {
	replay := !e.opts.DisableReplay
	switch t.phase {
	case phaseFull, phaseList:
		if e.empty {
			t.pos = uint64(len(e.users))
		}
		for scanned := 0; t.pos < uint64(len(e.users)) && p.n < size && scanned < maxScan; scanned++ {
			u := &e.users[t.pos]
			t.pos++
			if u.state == stateActive {
				p.sep()
				p.buf = appendUser(p.buf, u, t.sel, t.phase == phaseFull, false)
			}
		}
		return t.pos >= uint64(len(e.users))
	case phaseRemoveAll:
		for scanned := 0; t.pos < uint64(len(e.users)) && p.n < size && scanned < maxScan; scanned++ {
			u := &e.users[t.pos]
			t.pos++
			if u.state != stateDeleted {
				p.sep()
				p.buf = appendRemoved(p.buf, u.id, "deleted")
			}
		}
		return t.pos >= uint64(len(e.users))
	case phaseDelta:
		for scanned := 0; t.pos < t.upto && p.n < size && scanned < maxScan; scanned++ {
			c := e.changes[t.pos]
			t.pos++
			if c&kindBits != 0 {
				continue
			}
			u := &e.users[c]
			if u.seq != t.pos { // a later entry carries the latest state
				continue
			}
			p.sep()
			start := len(p.buf)
			switch u.state {
			case stateActive:
				p.buf = appendUser(p.buf, u, t.sel, true, false)
			case stateSoftDeleted:
				p.buf = appendRemoved(p.buf, u.id, "changed")
			default:
				p.buf = appendRemoved(p.buf, u.id, "deleted")
			}
			if replay && replayPick(u.id, t.upto) {
				p.replays = append(p.replays, [2]int{start, len(p.buf)})
			}
		}
		p.flushReplays()
		return t.pos >= t.upto
	}
	return true
}

func (e *Emulator) buildGroupsPage(p *page, t *pageToken, size int) bool {
	replay := !e.opts.DisableReplay
	withMembers := t.sel&(1<<gpMembers) != 0
	slice := e.opts.MemberSliceSize
	switch t.phase {
	case phaseFull, phaseList:
		if e.empty {
			t.pos = uint64(len(e.groups))
		}
		for scanned := 0; t.pos < uint64(len(e.groups)) && p.n < size && scanned < maxScan; scanned++ {
			g := &e.groups[t.pos]
			if g.state != stateActive {
				t.pos, t.sub = t.pos+1, 0
				continue
			}
			p.sep()
			p.buf = appendGroupOpen(p.buf, g, t.sel, false)
			if !withMembers || t.phase == phaseList {
				p.buf = append(p.buf, '}')
				t.pos++
				continue
			}
			p.buf = append(p.buf, `,"members@delta":[`...)
			i, k := int(t.sub), 0
			for ; i < len(g.members) && k < slice; i++ {
				if m := &g.members[i]; m.present {
					if k > 0 {
						p.buf = append(p.buf, ',')
					}
					p.buf = appendMember(p.buf, m, false)
					k++
				}
			}
			p.buf = append(p.buf, "]}"...)
			if i < len(g.members) {
				t.sub = uint32(i) // the group repeats on the next page
				return false
			}
			t.pos, t.sub = t.pos+1, 0
		}
		return t.pos >= uint64(len(e.groups))
	case phaseRemoveAll:
		for scanned := 0; t.pos < uint64(len(e.groups)) && p.n < size && scanned < maxScan; scanned++ {
			g := &e.groups[t.pos]
			t.pos++
			if g.state != stateDeleted {
				p.sep()
				p.buf = appendRemoved(p.buf, g.id, "deleted")
			}
		}
		return t.pos >= uint64(len(e.groups))
	case phaseDelta:
		defer p.flushReplays()
		for scanned := 0; t.pos < t.upto && p.n < size && scanned < maxScan; scanned++ {
			c := e.changes[t.pos]
			if c&kindBits != groupBit {
				t.pos++
				continue
			}
			g := &e.groups[c&^groupBit]
			// A later entry of this round carries the latest state. An entry
			// beyond the round (the group changed while the round was read)
			// does not: the next round starts after this one's snapshot and
			// would miss the membership changes made before it, so the group
			// goes out now, as often as its entries come (Graph, too, may
			// return an object more than once in a round).
			if t.sub == 0 && g.seq != t.pos+1 && g.seq <= t.upto {
				t.pos++
				continue
			}
			start := len(p.buf)
			if g.state != stateActive {
				p.sep()
				start = len(p.buf)
				p.buf = appendRemoved(p.buf, g.id, "deleted")
				t.pos, t.sub = t.pos+1, 0
			} else if !withMembers {
				t.pos++
				if g.propSeq <= t.since { // only memberships changed, and they are not tracked
					continue
				}
				p.sep()
				start = len(p.buf)
				p.buf = appendGroupOpen(p.buf, g, t.sel, false)
				p.buf = append(p.buf, '}')
			} else {
				p.sep()
				start = len(p.buf)
				p.buf = appendGroupOpen(p.buf, g, t.sel, false)
				open := len(p.buf)
				p.buf = append(p.buf, `,"members@delta":[`...)
				i, k := int(t.sub), 0
				for ; i < len(g.members) && k < slice; i++ {
					if m := &g.members[i]; m.seq > t.since {
						if k > 0 {
							p.buf = append(p.buf, ',')
						}
						p.buf = appendMember(p.buf, m, !m.present)
						k++
					}
				}
				if k == 0 {
					p.buf = append(p.buf[:open], '}')
				} else {
					p.buf = append(p.buf, "]}"...)
				}
				if i < len(g.members) {
					t.sub = uint32(i)
					if replay && replayPick(g.id, t.upto) {
						p.replays = append(p.replays, [2]int{start, len(p.buf)})
					}
					return false
				}
				t.pos, t.sub = t.pos+1, 0
			}
			if replay && replayPick(g.id, t.upto) {
				p.replays = append(p.replays, [2]int{start, len(p.buf)})
			}
		}
		return t.pos >= t.upto
	}
	return true
}

func (e *Emulator) buildMembersPage(p *page, t *pageToken, size int) bool {
	if int(t.ref) >= len(e.groups) || e.groups[t.ref].state != stateActive {
		return true
	}
	g := &e.groups[t.ref]
	for scanned := 0; t.pos < uint64(len(g.members)) && p.n < size && scanned < maxScan; scanned++ {
		m := &g.members[t.pos]
		t.pos++
		if !m.present {
			continue
		}
		if m.group {
			if i, ok := e.groupIdx[m.id]; ok {
				p.sep()
				p.buf = appendGroupOpen(p.buf, &e.groups[i], defaultGroupSel, true)
				p.buf = append(p.buf, '}')
			}
			continue
		}
		if i, ok := e.userIdx[m.id]; ok {
			p.sep()
			p.buf = appendUser(p.buf, &e.users[i], t.sel, false, true)
		}
	}
	return t.pos >= uint64(len(g.members))
}

// links of one response.
type links struct {
	context, next, delta string
	count                int64 // @odata.count, -1 for none
}

const jsonContentType = "application/json;odata.metadata=minimal;odata.streaming=true;IEEE754Compatible=false;charset=utf-8"

// writeCollection writes a collection response around items.
func writeCollection(w http.ResponseWriter, l links, items []byte) {
	head := make([]byte, 0, 512)
	head = append(head, `{"@odata.context":`...)
	head = appendString(head, l.context)
	if l.count >= 0 {
		head = append(head, `,"@odata.count":`...)
		head = strconv.AppendInt(head, l.count, 10)
	}
	if l.next != "" {
		head = append(head, `,"@odata.nextLink":`...)
		head = appendString(head, l.next)
	}
	if l.delta != "" {
		head = append(head, `,"@odata.deltaLink":`...)
		head = appendString(head, l.delta)
	}
	head = append(head, `,"value":[`...)
	const tail = "]}"
	h := w.Header()
	h.Set("Content-Type", jsonContentType)
	h.Set("Content-Length", strconv.Itoa(len(head)+len(items)+len(tail)))
	w.WriteHeader(http.StatusOK)
	_, _ = w.Write(head)
	_, _ = w.Write(items)
	_, _ = w.Write([]byte(tail))
}

// baseURL is the scheme and host the client used, for absolute links.
func baseURL(r *http.Request) string {
	if r.TLS != nil {
		return "https://" + r.Host
	}
	return "http://" + r.Host
}

// preferPageSize reads "Prefer: odata.maxpagesize=N"; 0 when absent.
func preferPageSize(r *http.Request) int {
	for _, v := range r.Header.Values("Prefer") {
		for pref := range strings.SplitSeq(v, ",") {
			k, val, ok := strings.Cut(strings.TrimSpace(pref), "=")
			if !ok || !strings.EqualFold(strings.TrimSpace(k), "odata.maxpagesize") {
				continue
			}
			if n, err := strconv.Atoi(strings.Trim(strings.TrimSpace(val), `"`)); err == nil && n > 0 {
				return min(n, MaxPageSize)
			}
		}
	}
	return 0
}

func (e *Emulator) getBuf() *[]byte { return e.bufs.Get().(*[]byte) }

func (e *Emulator) putBuf(b *[]byte) {
	if cap(*b) <= 4<<20 {
		*b = (*b)[:0]
		e.bufs.Put(b)
	}
}
