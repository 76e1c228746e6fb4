// Package review applies an operator's decisions on the review queue: the
// source objects the engine would not link or create on its own because
// they matched several platform people, or one another object already
// holds. The CLI and the API call it; the next run of the integration
// carries the decision out.
package review

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/integrator-oss/integrator/internal/record"
	"github.com/integrator-oss/integrator/internal/store"
)

// ErrNotOpen is returned for a decision on an item already decided.
var ErrNotOpen = errors.New("review item is not open")

// Decision is what an operator chose for one item.
type Decision struct {
	ItemID int64
	// Action is store.ReviewLinked, store.ReviewCreated or
	// store.ReviewIgnored.
	Action string
	// EntityID is the platform entity to link to (ReviewLinked only).
	EntityID int64
	// By names the operator, for the audit trail.
	By string
	At time.Time
}

// Decide records a decision: the item is resolved, and the source object's
// link says what the next run does — apply the object to the chosen
// entity, create a new entity without trying the matching rules, or leave
// the object alone.
func Decide(ctx context.Context, st store.Store, d Decision) (*store.ReviewItem, error) {
	if d.At.IsZero() {
		d.At = time.Now()
	}
	if d.By == "" {
		d.By = "operator"
	}
	var out *store.ReviewItem
	err := st.Tx(ctx, func(tx store.Tx) error {
		it, err := tx.ReviewGet(ctx, d.ItemID)
		if err != nil {
			return err
		}
		if it.Status != store.ReviewOpen {
			return fmt.Errorf("%w: item %d is %s", ErrNotOpen, it.ID, it.Status)
		}
		links, err := tx.LinkGetMany(ctx, &store.LinkGetManyParams{IntegrationID: it.IntegrationID, Kind: it.Kind, ExternalIDs: []string{it.ExternalID}})
		if err != nil {
			return err
		}
		l := store.Link{IntegrationID: it.IntegrationID, Kind: it.Kind, ExternalID: it.ExternalID, Data: it.Data, LastRunID: it.RunID}
		if len(links) == 1 {
			l = links[0]
		}
		// An empty fingerprint makes the next run apply the object in full.
		l.Fingerprint = ""
		var audits []store.AuditEvent
		switch d.Action {
		case store.ReviewLinked:
			if err := checkEntity(ctx, tx, it.Kind, d.EntityID); err != nil {
				return err
			}
			l.EntityID, l.Status, l.MatchedBy = d.EntityID, store.LinkLinked, store.MatchedOperator
			l.Reason = fmt.Sprintf("linked by %s from review item %d", d.By, it.ID)
			audits = append(audits, store.AuditEvent{At: d.At, IntegrationID: it.IntegrationID, Kind: it.Kind, EntityID: d.EntityID,
				Action: store.ActionLinked, Reason: fmt.Sprintf("%s linked source object %s (review item %d: %s)", d.By, it.ExternalID, it.ID, it.Reason)})
		case store.ReviewCreated:
			l.EntityID, l.Status, l.MatchedBy = 0, store.LinkLinked, store.MatchedOperatorCreate
			l.Reason = fmt.Sprintf("%s asked for a new entity from review item %d; the next run creates it", d.By, it.ID)
		case store.ReviewIgnored:
			l.EntityID, l.Status = 0, store.LinkIgnored
			l.Reason = fmt.Sprintf("ignored by %s from review item %d", d.By, it.ID)
		default:
			return fmt.Errorf("unknown review action %q (link, create or ignore)", d.Action)
		}
		if err := tx.LinkUpsertMany(ctx, []store.Link{l}); err != nil {
			return err
		}
		if len(audits) > 0 {
			if err := tx.AuditInsertMany(ctx, audits); err != nil {
				return err
			}
		}
		it.Status, it.ResolvedAt, it.ResolvedBy = d.Action, d.At, d.By
		if err := tx.ReviewUpsert(ctx, []store.ReviewItem{*it}); err != nil {
			return err
		}
		out = it
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("deciding review item %d: %w", d.ItemID, err)
	}
	return out, nil
}

// checkEntity makes sure the chosen entity exists and is of the item's kind.
func checkEntity(ctx context.Context, tx store.Tx, kind record.Kind, id int64) error {
	if id == 0 {
		return errors.New("linking needs the platform entity to link to")
	}
	switch kind {
	case record.KindUser, record.KindContact:
		u, err := tx.UserGet(ctx, id)
		if err != nil {
			return fmt.Errorf("platform user %d: %w", id, err)
		}
		if (u.Role == store.RoleContact) != (kind == record.KindContact) {
			return fmt.Errorf("platform user %d is a %s, the source object a %s", id, u.Role, kind)
		}
	case record.KindGroup:
		if _, err := tx.GroupGet(ctx, id); err != nil {
			return fmt.Errorf("platform group %d: %w", id, err)
		}
	case record.KindAsset:
		if _, err := tx.AssetGet(ctx, id); err != nil {
			return fmt.Errorf("platform asset %d: %w", id, err)
		}
	default:
		return fmt.Errorf("review items of kind %s cannot be linked yet", kind)
	}
	return nil
}
