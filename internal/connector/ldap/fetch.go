package ldap

import (
	"context"
	"crypto/tls"
	"fmt"
	"log/slog"
	"slices"
	"strconv"
	"strings"
	"time"

	goldap "github.com/go-ldap/ldap/v3"

	"github.com/integrator-oss/integrator/internal/connector"
	"github.com/integrator-oss/integrator/internal/record"
)

// Source is an opened ldap connector. It holds no connection between
// runs: each Fetch, Check or OrgUnits dials and binds anew.
type Source struct {
	cfg    Config
	logger *slog.Logger
	tls    *tls.Config
	now    func() time.Time
}

var (
	_ connector.Source  = (*Source)(nil)
	_ connector.Checker = (*Source)(nil)
)

// supportedKinds are the kinds the connector can produce. Assets (AD
// computers) are fetched only when asked for.
func supportedKinds() []record.Kind {
	return []record.Kind{record.KindGroup, record.KindUser, record.KindAsset}
}

// run is the state of one Fetch.
type run struct {
	s    *Source
	ss   *session
	sink connector.Sink
	root rootDSE
	info dialectInfo
	now  time.Time

	full bool
	prev cursor
	// since is the generic LDAP delta's lower modifyTimestamp bound.
	since time.Time

	index       *dirIndex
	managers    map[string]string
	emitted     map[string]bool
	disabled    map[string]bool
	maxModified time.Time
}

// Fetch streams groups, then users, then (when asked) computers, then in
// an AD delta the deletions, one sink.Page per LDAP page.
//
// A run is a delta when the cursor was issued for the same dialect, base
// DNs and kinds and, for AD, by the same domain controller with the same
// invocationId; otherwise, or when req.Full is set, it enumerates
// everything and reports FetchResult.Full.
func (s *Source) Fetch(ctx context.Context, req connector.FetchRequest, sink connector.Sink) (connector.FetchResult, error) {
	kinds, err := selectKinds(req.Kinds)
	if err != nil {
		return connector.FetchResult{}, err
	}
	ss, err := s.dial(ctx)
	if err != nil {
		return connector.FetchResult{}, err
	}
	defer ss.close()
	ss.onOp = func(n int) { sink.Progress(connector.Progress{Requests: n}) }

	r := &run{s: s, ss: ss, sink: sink, now: s.now(), managers: map[string]string{}}
	r.root, err = ss.readRootDSE(ctx)
	if err != nil {
		return connector.FetchResult{}, err
	}
	r.info = infoOf(r.root.dialect)
	if r.root.dialect != DialectAD && slices.Contains(kinds, record.KindAsset) {
		return connector.FetchResult{}, fmt.Errorf("selecting kinds: computers (assets) come only from Active Directory; this server is generic LDAP")
	}
	kindNames := make([]string, len(kinds))
	for i, k := range kinds {
		kindNames[i] = string(k)
	}
	resynced := r.decide(req, kindNames)

	next := cursor{Dialect: r.root.dialect, BaseDNs: r.root.baseDNs, Kinds: kindNames, Started: r.now}
	if r.root.dialect == DialectAD {
		next.DC, next.InvocationID, next.USN = r.root.dnsHostName, r.root.invocationID, r.root.highestUSN
	}
	if !r.full {
		r.emitted = map[string]bool{}
		r.maxModified, _ = parseGeneralizedTime(r.prev.MaxModified)
	}

	if slices.Contains(kinds, record.KindGroup) {
		if err := r.groups(ctx); err != nil {
			return connector.FetchResult{}, err
		}
	}
	if slices.Contains(kinds, record.KindUser) {
		if err := r.users(ctx); err != nil {
			return connector.FetchResult{}, err
		}
	}
	if slices.Contains(kinds, record.KindAsset) {
		if err := r.computers(ctx); err != nil {
			return connector.FetchResult{}, err
		}
	}
	if !r.full && r.root.dialect == DialectAD {
		if err := r.deletions(ctx, kinds); err != nil {
			return connector.FetchResult{}, err
		}
	}
	if !r.maxModified.IsZero() {
		next.MaxModified = generalizedTime(r.maxModified)
	}
	return connector.FetchResult{Cursor: next.String(), Full: r.full, Resynced: resynced}, nil
}

// selectKinds returns the kinds to fetch in fetch order; none means users
// and groups.
func selectKinds(kinds []record.Kind) ([]record.Kind, error) {
	if len(kinds) == 0 {
		return []record.Kind{record.KindGroup, record.KindUser}, nil
	}
	for _, k := range kinds {
		if !slices.Contains(supportedKinds(), k) {
			return nil, fmt.Errorf("selecting kinds: the ldap connector does not fetch %q records", k)
		}
	}
	var out []record.Kind
	for _, k := range supportedKinds() {
		if slices.Contains(kinds, k) {
			out = append(out, k)
		}
	}
	return out, nil
}

// decide settles full or delta, and reports whether a cursor was set aside.
func (r *run) decide(req connector.FetchRequest, kinds []string) (resynced bool) {
	log := r.s.logger
	r.full = req.Full || req.Cursor == ""
	if req.Cursor == "" {
		return false
	}
	prev, err := parseCursor(req.Cursor)
	switch {
	case err != nil:
		log.Warn("ignoring an unreadable cursor; running a full enumeration", "error", err)
		r.full = true
		return true
	case req.Full:
		return false
	case !prev.covers(r.root.dialect, r.root.baseDNs, kinds):
		log.Info("the cursor was issued for another dialect, base DNs or kinds; running a full enumeration",
			"previous_dialect", prev.Dialect, "previous_base_dns", prev.BaseDNs, "previous_kinds", prev.Kinds)
		r.full = true
		return true
	case r.root.dialect == DialectAD && (prev.DC != r.root.dnsHostName || prev.InvocationID != r.root.invocationID):
		log.Info("the domain controller is not the one the USN cursor belongs to (another DC, or the same DC restored with a new invocationId); running a full enumeration",
			"previous_dc", prev.DC, "dc", r.root.dnsHostName, "previous_invocation_id", prev.InvocationID, "invocation_id", r.root.invocationID)
		r.full = true
		return true
	case r.root.dialect == DialectAD && r.root.highestUSN < prev.USN:
		log.Info("the DC's highestCommittedUSN went backwards; running a full enumeration",
			"previous_usn", prev.USN, "usn", r.root.highestUSN)
		r.full = true
		return true
	}
	r.prev = prev
	if r.root.dialect != DialectAD {
		r.since = prev.Started.Add(-r.s.cfg.DeltaOverlap)
		// Entries stamped in the last second seen were all written before
		// the previous run read them, unless that second falls within the
		// overlap before that run's start.
		if t, ok := parseGeneralizedTime(prev.MaxModified); ok && t.Add(time.Second).Before(r.since) {
			r.since = t.Add(time.Second)
		}
	}
	return false
}

// deltaFilter selects what changed since the cursor; "" in a full run.
func (r *run) deltaFilter() string {
	if r.full {
		return ""
	}
	if r.root.dialect == DialectAD {
		return "(uSNChanged>=" + strconv.FormatInt(r.prev.USN+1, 10) + ")"
	}
	return "(modifyTimestamp>=" + generalizedTime(r.since) + ")"
}

// changed reports whether an entry moved since the cursor.
func (r *run) changed(e *goldap.Entry) bool {
	if r.full {
		return true
	}
	if r.root.dialect == DialectAD {
		usn, err := strconv.ParseInt(e.GetAttributeValue("uSNChanged"), 10, 64)
		return err != nil || usn > r.prev.USN
	}
	t, ok := parseGeneralizedTime(e.GetAttributeValue("modifyTimestamp"))
	return !ok || !t.Before(r.since)
}

// seen tracks the latest modifyTimestamp (generic LDAP).
func (r *run) seen(e *goldap.Entry) {
	if r.root.dialect == DialectAD {
		return
	}
	if t, ok := parseGeneralizedTime(e.GetAttributeValue("modifyTimestamp")); ok && t.After(r.maxModified) {
		r.maxModified = t
	}
}

func (r *run) userFilter(extra ...string) string {
	return and(append([]string{r.info.userFilter, r.s.cfg.UserFilter}, extra...)...)
}

// users streams the users in scope (changed ones in a delta).
func (r *run) users(ctx context.Context) error {
	if r.full && r.index == nil {
		// One light pass turns every manager DN into an ID without a
		// lookup per manager.
		if err := r.buildIndex(ctx); err != nil {
			return err
		}
	}
	if r.s.cfg.DisabledFilter != "" {
		if err := r.readDisabled(ctx); err != nil {
			return err
		}
	}
	attrs := adUserAttrs
	if r.root.dialect != DialectAD {
		attrs = append(slices.Clone(ldapUserAttrs), r.s.cfg.markerAttrs()...)
	}
	for _, base := range r.root.baseDNs {
		err := r.ss.search(ctx, base, r.userFilter(r.deltaFilter()), attrs, func(entries []*goldap.Entry) error {
			return r.emitUsers(ctx, entries)
		})
		if err != nil {
			return fmt.Errorf("reading users: %w", err)
		}
	}
	if r.root.dialect == DialectAD && !r.full && !r.prev.Started.IsZero() {
		// An account that expired since the last run has no new USN.
		window := fmt.Sprintf("(accountExpires>=%d)(accountExpires<=%d)", toFileTime(r.prev.Started), toFileTime(r.now))
		for _, base := range r.root.baseDNs {
			err := r.ss.search(ctx, base, r.userFilter(window), attrs, func(entries []*goldap.Entry) error {
				return r.emitUsers(ctx, entries)
			})
			if err != nil {
				return fmt.Errorf("reading users whose account expired since the last run: %w", err)
			}
		}
	}
	return nil
}

// emitUsers maps one page of user entries and hands it to the sink.
func (r *run) emitUsers(ctx context.Context, entries []*goldap.Entry) error {
	recs := make([]record.Record, 0, len(entries))
	for _, e := range entries {
		r.seen(e)
		rec, managerDN, err := r.s.userRecord(e, r.root.dialect, r.now)
		if err != nil {
			return fmt.Errorf("reading users: %w", err)
		}
		if r.emitted != nil {
			if r.emitted[rec.ID] {
				continue
			}
			r.emitted[rec.ID] = true
		}
		if r.index == nil {
			r.managers[dnKey(e.DN)] = rec.ID
		}
		if rec.Attrs[record.AttrManager], err = r.managerID(ctx, managerDN); err != nil {
			return err
		}
		if rec.State == record.Present && r.disabled[rec.ID] {
			rec.State, rec.Reason = record.Disabled, ReasonDisabledByQuery
		}
		recs = append(recs, rec)
	}
	if len(recs) == 0 {
		return nil
	}
	return r.sink.Page(ctx, recs)
}

// managerID turns a manager DN into its record ID: from the run's index,
// from the run's cache, else by reading the entry. "" when there is no
// manager or the DN names nothing.
func (r *run) managerID(ctx context.Context, dn string) (string, error) {
	if dn == "" {
		return "", nil
	}
	k := dnKey(dn)
	if r.index != nil {
		if id, ok := r.index.byDN[k]; ok {
			return id, nil
		}
	}
	if id, ok := r.managers[k]; ok {
		return id, nil
	}
	e, err := r.ss.base(ctx, dn, []string{r.info.idAttr})
	if err != nil {
		return "", fmt.Errorf("resolving the manager %q: %w", dn, err)
	}
	id := ""
	if e != nil {
		id = idOf(e, r.root.dialect)
	}
	r.managers[k] = id
	return id, nil
}

// readDisabled collects the IDs of users matching disabled_filter.
func (r *run) readDisabled(ctx context.Context) error {
	r.disabled = map[string]bool{}
	for _, base := range r.root.baseDNs {
		err := r.ss.search(ctx, base, r.userFilter(r.deltaFilter(), r.s.cfg.DisabledFilter), []string{r.info.idAttr}, func(entries []*goldap.Entry) error {
			for _, e := range entries {
				r.disabled[idOf(e, r.root.dialect)] = true
			}
			return nil
		})
		if err != nil {
			return fmt.Errorf("reading users that match disabled_filter: %w", err)
		}
	}
	return nil
}

// computers streams AD computers as asset records.
func (r *run) computers(ctx context.Context) error {
	filter := and("(objectCategory=computer)", r.s.cfg.ComputerFilter, r.deltaFilter())
	for _, base := range r.root.baseDNs {
		err := r.ss.search(ctx, base, filter, adComputerAttrs, func(entries []*goldap.Entry) error {
			recs := make([]record.Record, 0, len(entries))
			for _, e := range entries {
				rec, err := computerRecord(e)
				if err != nil {
					return err
				}
				recs = append(recs, rec)
			}
			return r.sink.Page(ctx, recs)
		})
		if err != nil {
			return fmt.Errorf("reading computers: %w", err)
		}
	}
	return nil
}

// deletions streams the tombstones of users, groups and computers deleted
// since the cursor (AD delta), read with the Show Deleted control.
func (r *run) deletions(ctx context.Context, kinds []record.Kind) error {
	base := r.root.domain
	if base == "" {
		base = r.root.baseDNs[0]
	}
	if ok, err := r.ss.canListDeleted(ctx, base); err != nil {
		return err
	} else if !ok {
		r.s.logger.Warn("the service account cannot list CN=Deleted Objects (it needs List Contents there): deletions are found by full runs only",
			"container", "CN=Deleted Objects,"+base)
		return nil
	}
	filter := and("(isDeleted=TRUE)", r.deltaFilter(), "(|(objectClass=user)(objectClass=group))")
	err := r.ss.search(ctx, base, filter, adDeletedAttrs, func(entries []*goldap.Entry) error {
		var recs []record.Record
		for _, e := range entries {
			id := idOf(e, DialectAD)
			if id == "" {
				continue
			}
			if p := e.GetAttributeValue("lastKnownParent"); p != "" && !under(p, r.root.baseDNs) {
				continue
			}
			classes := e.GetAttributeValues("objectClass")
			kind := record.KindUser
			switch {
			case containsFold(classes, "computer"):
				kind = record.KindAsset
			case containsFold(classes, "group"):
				kind = record.KindGroup
			}
			if !slices.Contains(kinds, kind) {
				continue
			}
			recs = append(recs, record.Record{Kind: kind, ID: id, State: record.Removed, Reason: ReasonTombstone})
		}
		if len(recs) == 0 {
			return nil
		}
		return r.sink.Page(ctx, recs)
	}, goldap.NewControlMicrosoftShowDeleted())
	if err != nil {
		return fmt.Errorf("reading deleted objects (the service account needs List Contents on CN=Deleted Objects): %w", err)
	}
	return nil
}

func containsFold(list []string, v string) bool {
	return slices.ContainsFunc(list, func(s string) bool { return strings.EqualFold(s, v) })
}
