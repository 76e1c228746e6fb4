package engine

import (
	"context"
	"fmt"
	"strings"

	"github.com/integrator-oss/integrator/internal/record"
	"github.com/integrator-oss/integrator/internal/store"
)

// matchResult is what the matching rules decided for one source object
// without a platform entity yet.
type matchResult struct {
	// id is the entity it matched (0 for none).
	id int64
	// rule is the rule that matched, "created" for an operator's
	// decision to create, or "conflict:RULE".
	rule  string
	why   string
	cands []int64
	// owner is another integration that already links the entity.
	owner int64
}

func (m matchResult) conflict() (string, bool) { return strings.CutPrefix(m.rule, "conflict:") }

// matcher describes one batch of source objects to match, rule by rule.
type matcher struct {
	kind record.Kind
	// noun names the entities in messages ("platform users").
	noun string
	// n is the number of objects; extID(i) is object i's source ID and
	// key(i, rule) its key for a rule ("" for none).
	n     int
	extID func(i int) string
	key   func(i int, rule string) string
	// find returns the candidate entities of the objects idx for a rule,
	// by object index.
	find func(rule string, idx []int) (map[int][]int64, error)
}

// match tries the rules in order on every object still undecided in found.
// An object matching several entities, an entity another object of this
// batch already matched, or an entity another object of this integration
// already holds is a conflict: nothing is created or merged, and the
// object goes to the review queue.
func (r *runner) match(ctx context.Context, tx store.Tx, m matcher, rules []string, found []matchResult) error {
	claimed := map[int64]bool{}
	for _, rule := range rules {
		var idx []int
		for i := range m.n {
			if found[i].rule == "" && m.key(i, rule) != "" {
				idx = append(idx, i)
			}
		}
		if len(idx) == 0 {
			continue
		}
		hits, err := m.find(rule, idx)
		if err != nil {
			return fmt.Errorf("matching %s by %s: %w", m.noun, rule, err)
		}
		for _, i := range idx {
			val, cands := m.key(i, rule), hits[i]
			switch {
			case len(cands) == 0:
				continue
			case len(cands) > 1:
				found[i] = matchResult{rule: "conflict:" + rule, cands: cands, why: fmt.Sprintf("%s %q matches %d %s (%s); link one by hand", rule, val, len(cands), m.noun, idList(cands))}
			case claimed[cands[0]]:
				found[i] = matchResult{rule: "conflict:" + rule, cands: cands, why: fmt.Sprintf("%s %q matches %s %d, which another record of this run also matched", rule, val, singular(m.noun), cands[0])}
			default:
				other, owner, err := r.linkedElsewhere(ctx, tx, m.kind, cands[0], m.extID(i))
				if err != nil {
					return err
				}
				if other != "" {
					found[i] = matchResult{rule: "conflict:" + rule, cands: cands, why: fmt.Sprintf("%s %q matches %s %d, already linked to source object %s of this integration", rule, val, singular(m.noun), cands[0], other)}
					continue
				}
				claimed[cands[0]] = true
				found[i] = matchResult{id: cands[0], rule: rule, why: "matched by " + rule, owner: owner}
			}
		}
	}
	return nil
}

func singular(noun string) string { return strings.TrimSuffix(noun, "s") }

// reviewItem is the review queue entry of a conflict.
func (r *runner) reviewItem(kind record.Kind, extID string, f matchResult, data []byte) store.ReviewItem {
	rule, _ := f.conflict()
	return store.ReviewItem{
		IntegrationID: r.p.Integration.ID, Kind: kind, ExternalID: extID, Rule: rule, Reason: f.why,
		Candidates: f.cands, Data: data, Status: store.ReviewOpen, RunID: r.run.ID,
	}
}

// clearedItem settles the review item of an object that is no longer
// ambiguous.
func (r *runner) clearedItem(kind record.Kind, extID string, f matchResult, data []byte) store.ReviewItem {
	return store.ReviewItem{
		IntegrationID: r.p.Integration.ID, Kind: kind, ExternalID: extID, Reason: "no longer ambiguous: " + cmpOr(f.why, "nothing matches"),
		Data: data, Status: store.ReviewCleared, RunID: r.run.ID, ResolvedAt: r.e.now(), ResolvedBy: fmt.Sprintf("run %d", r.run.ID),
	}
}

// pageLinks reads the links of a page's records and marks the records seen
// in the run: the start of applying any kind. It returns the links by
// source ID and the IDs of the entities they point at.
func (r *runner) pageLinks(ctx context.Context, tx store.Tx, kind record.Kind, recs []record.Record) (map[string]*store.Link, []int64, error) {
	ids := make([]string, len(recs))
	for i, rec := range recs {
		ids[i] = rec.ID
	}
	links, err := tx.LinkGetMany(ctx, &store.LinkGetManyParams{IntegrationID: r.p.Integration.ID, Kind: kind, ExternalIDs: ids})
	if err != nil {
		return nil, nil, fmt.Errorf("reading %s links: %w", kind, err)
	}
	byID := make(map[string]*store.Link, len(links))
	var entities []int64
	for i := range links {
		byID[links[i].ExternalID] = &links[i]
		if links[i].EntityID != 0 {
			entities = append(entities, links[i].EntityID)
		}
	}
	if err := tx.SeenMark(ctx, &store.SeenMarkParams{RunID: r.run.ID, Kind: kind, ExternalIDs: ids}); err != nil {
		return nil, nil, fmt.Errorf("marking %ss seen: %w", kind, err)
	}
	return byID, entities, nil
}

// batchRows are the rows every kind's page writes besides its entities.
type batchRows struct {
	links   []store.Link
	audits  []store.AuditEvent
	pending []store.Pending
	reviews []store.ReviewItem
}

// writeRows writes a page's links, audit events, queued deactivations and
// review items, and counts them as writes.
func (r *runner) writeRows(ctx context.Context, tx store.Tx, kind record.Kind, b *batchRows) error {
	if len(b.links) > 0 {
		if err := tx.LinkUpsertMany(ctx, b.links); err != nil {
			return fmt.Errorf("writing %s links: %w", kind, err)
		}
	}
	if len(b.audits) > 0 {
		if err := tx.AuditInsertMany(ctx, b.audits); err != nil {
			return fmt.Errorf("writing audit events: %w", err)
		}
	}
	if len(b.pending) > 0 {
		if err := tx.PendingAdd(ctx, r.run.ID, b.pending); err != nil {
			return fmt.Errorf("queueing deactivations: %w", err)
		}
	}
	if len(b.reviews) > 0 {
		if err := tx.ReviewUpsert(ctx, b.reviews); err != nil {
			return fmt.Errorf("writing review items: %w", err)
		}
	}
	r.writes += int64(len(b.links) + len(b.audits) + len(b.reviews))
	return nil
}

// matchedIDs are the entities the rules matched.
func matchedIDs(found []matchResult) []int64 {
	var ids []int64
	for _, f := range found {
		if f.id != 0 {
			ids = append(ids, f.id)
		}
	}
	return ids
}

// byID reads entities by ID with get and keys them by id; no IDs, no read.
func byID[T any](ids []int64, get func([]int64) ([]T, error), id func(T) int64) (map[int64]T, error) {
	out := make(map[int64]T, len(ids))
	if len(ids) == 0 {
		return out, nil
	}
	es, err := get(ids)
	if err != nil {
		return nil, err
	}
	for _, e := range es {
		out[id(e)] = e
	}
	return out, nil
}
