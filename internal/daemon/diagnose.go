package daemon

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/robfig/cron/v3"

	"github.com/integrator-oss/integrator/internal/config"
	"github.com/integrator-oss/integrator/internal/connector"
	"github.com/integrator-oss/integrator/internal/jobs"
	"github.com/integrator-oss/integrator/internal/record"
	"github.com/integrator-oss/integrator/internal/store"
)

func jobRequest(name string, full, allow bool, trigger string) jobs.RunRequest {
	return jobs.RunRequest{Integration: name, Full: full, AllowMassDeactivation: allow, Trigger: trigger}
}

// Finding statuses, from good to bad.
const (
	FindingOK    = "ok"
	FindingInfo  = "info"
	FindingWarn  = "warn"
	FindingError = "error"
)

// Finding is the outcome of one troubleshooting check.
type Finding struct {
	Check  string `json:"check"`
	Status string `json:"status"`
	Title  string `json:"title"`
	Detail string `json:"detail,omitempty"`
	// Fix says what to do, when something is to do.
	Fix string `json:"fix,omitempty"`
}

// linkLister returns the store's LinkLister, nil when it has none.
func (a *App) linkLister() store.LinkLister {
	l, _ := a.Store.(store.LinkLister)
	return l
}

// Troubleshoot runs the checks an operator would run by hand on an
// integration: enabled, scope, run length against the schedule,
// deactivation, duplicates, held runs and credentials (one light request
// to the source when probe is set).
func (a *App) Troubleshoot(ctx context.Context, name string, probe bool) ([]Finding, error) {
	in, ok := a.lookup(name)
	if !ok {
		return nil, fmt.Errorf("integration %q: %w", name, store.ErrNotFound)
	}
	s := in.Settings
	row, err := a.Store.IntegrationGet(ctx, name)
	if err != nil {
		return nil, fmt.Errorf("reading integration %s: %w", name, err)
	}
	runs, err := a.Store.RunList(ctx, &store.RunListParams{IntegrationID: row.ID, Limit: 50})
	if err != nil {
		return nil, err
	}
	var out []Finding
	add := func(f Finding) { out = append(out, f) }

	if s.Enabled {
		add(Finding{Check: "enabled", Status: FindingOK, Title: "Enabled"})
	} else {
		add(Finding{Check: "enabled", Status: FindingError, Title: "The integration is disabled",
			Detail: "Nothing runs for a disabled integration, on schedule or otherwise.", Fix: "Turn on Enabled in the Imports tab."})
	}

	switch {
	case len(s.Scope.Mappings) == 0 && !s.Scope.AllUsers:
		add(Finding{Check: "scope", Status: FindingError, Title: "No mappings: nobody is imported",
			Detail: "The integration has no group mappings and does not import all users.",
			Fix:    "Map at least one source group to a site, or turn on all users."})
	default:
		f := Finding{Check: "scope", Status: FindingOK, Title: fmt.Sprintf("%d mapping(s)", len(s.Scope.Mappings))}
		if s.Scope.AllUsers {
			f.Title = "All users are imported"
		}
		if ll := a.linkLister(); ll != nil && !s.Scope.AllUsers {
			links, err := ll.LinkList(ctx, &store.LinkListParams{IntegrationID: row.ID, Kind: record.KindUser, Status: store.LinkOutOfScope, Limit: 1000})
			if err == nil && len(links) > 0 {
				n := fmt.Sprint(len(links))
				if len(links) == 1000 {
					n = "1000 or more"
				}
				f.Status = FindingInfo
				f.Detail = n + " source users are in no mapped group and are not imported."
				f.Fix = "If some of them should be, map one of their groups (ask \"why is X not imported?\" above)."
			}
		}
		add(f)
	}

	add(runLength(s.Schedule.Every, s.Schedule.Cron, runs))

	if s.DeactivateWhenNotFound != nil && !*s.DeactivateWhenNotFound {
		f := Finding{Check: "deactivation", Status: FindingWarn, Title: "Users not found at the source stay active",
			Detail: "Deactivate when not found is off: users deleted without a removal notice keep their platform access.",
			Fix:    "Turn on \"Deactivate users when they are not found\"."}
		if ll := a.linkLister(); ll != nil {
			links, err := ll.LinkList(ctx, &store.LinkListParams{IntegrationID: row.ID, Kind: record.KindUser, Status: store.LinkRemoved, Limit: 1000})
			active := 0
			for _, l := range links {
				if l.EntityActive {
					active++
				}
			}
			if err == nil && active > 0 {
				f.Status = FindingError
				f.Detail = fmt.Sprintf("%d users are gone from the source but still active on the platform.", active)
			}
		}
		add(f)
	} else {
		add(Finding{Check: "deactivation", Status: FindingOK, Title: "Users not found at the source are deactivated"})
	}

	if dups, err := a.Store.UserDuplicates(ctx, 20); err == nil {
		if len(dups) == 0 {
			add(Finding{Check: "duplicates", Status: FindingOK, Title: "No likely duplicates"})
		} else {
			var ex []string
			for i, d := range dups {
				if i == 3 {
					break
				}
				ex = append(ex, fmt.Sprintf("%d users share %s %q", len(d.UserIDs), d.Key, d.Value))
			}
			add(Finding{Check: "duplicates", Status: FindingWarn, Title: fmt.Sprintf("%d set(s) of likely duplicates", len(dups)),
				Detail: strings.Join(ex, "; ") + ".", Fix: "Check the matching order, and resolve the review queue."})
		}
	}

	held := false
	for _, r := range runs {
		if r.Status == store.RunSkipped || r.DryRun {
			continue
		}
		held = r.Status == store.RunHeld
		if held {
			add(Finding{Check: "held", Status: FindingError, Title: "The last run is held by the mass-deactivation threshold",
				Detail: r.Notes, Fix: "Check why so many users would go; if it is right, confirm the held deactivation."})
		}
		break
	}
	if !held {
		add(Finding{Check: "held", Status: FindingOK, Title: "No held run"})
	}

	if probe {
		ctx, cancel := context.WithTimeout(ctx, 30*time.Second)
		defer cancel()
		switch err := a.Check(ctx, name); {
		case err == nil:
			add(Finding{Check: "credentials", Status: FindingOK, Title: "The source accepts the credentials"})
		case errors.Is(err, ErrNotSupported):
			add(Finding{Check: "credentials", Status: FindingInfo, Title: "This connector cannot test its connection"})
		case errors.Is(err, connector.ErrUnauthorized):
			add(Finding{Check: "credentials", Status: FindingError, Title: "The source refuses the credentials",
				Detail: err.Error(), Fix: "Enter a new client secret (an expired secret is the usual cause)."})
		default:
			add(Finding{Check: "credentials", Status: FindingError, Title: "The connection test failed", Detail: err.Error()})
		}
	}
	return out, nil
}

// runLength compares the recent runs' durations with the schedule.
func runLength(every time.Duration, spec string, runs []store.Run) Finding {
	interval := every
	if spec != "" {
		if sch, err := cron.ParseStandard(spec); err == nil {
			n := sch.Next(time.Now())
			interval = sch.Next(n).Sub(n)
		}
	}
	var longest time.Duration
	skipped := 0
	for _, r := range runs {
		if r.Status == store.RunSkipped {
			skipped++
			continue
		}
		if r.DryRun || r.FinishedAt.IsZero() {
			continue
		}
		longest = max(longest, r.FinishedAt.Sub(r.StartedAt))
	}
	if interval <= 0 || longest == 0 {
		return Finding{Check: "run_length", Status: FindingOK, Title: "No finished runs to compare with the schedule yet"}
	}
	if longest*10 < interval*8 && skipped == 0 {
		return Finding{Check: "run_length", Status: FindingOK,
			Title: fmt.Sprintf("Runs take up to %s, well within the %s interval", round(longest), round(interval))}
	}
	suggest := (longest * 3 / 2).Round(time.Minute)
	if suggest < longest {
		suggest += time.Minute
	}
	return Finding{Check: "run_length", Status: FindingWarn,
		Title:  fmt.Sprintf("Runs take up to %s for a %s interval", round(longest), round(interval)),
		Detail: fmt.Sprintf("Ticks that fall while a run is going are skipped (%d recently).", skipped),
		Fix:    fmt.Sprintf("Schedule every %s or more.", round(suggest))}
}

// round makes a duration short to read: 15m, 1h30m, 2.5s, 61ms.
func round(d time.Duration) string {
	if d > time.Minute {
		d = d.Round(time.Second)
	} else {
		d = d.Round(time.Millisecond)
	}
	s := d.String()
	if strings.HasSuffix(s, "m0s") {
		s = strings.TrimSuffix(s, "0s")
	}
	if strings.HasSuffix(s, "h0m") {
		s = strings.TrimSuffix(s, "0m")
	}
	return s
}

// Explanation answers "why is X not imported / not deactivated / at this
// site?" for one source object.
type Explanation struct {
	ExternalID  string `json:"external_id"`
	Name        string `json:"name"`
	UPN         string `json:"upn,omitempty"`
	Status      string `json:"status"`
	EntityID    int64  `json:"entity_id,omitempty"`
	Active      bool   `json:"active"`
	Site        string `json:"site,omitempty"`
	Role        string `json:"role,omitempty"`
	MatchedBy   string `json:"matched_by,omitempty"`
	Reason      string `json:"reason"`
	LastRunID   int64  `json:"last_run_id"`
	SourceState string `json:"source_state,omitempty"`
	// Answer says it in words, with what to do.
	Answer string `json:"answer"`
}

// Explain looks up source users of an integration whose ID, name, UPN or
// mail contains q, and explains each one's outcome from its link (status,
// reason, scope outcome), the mappings and the runs.
func (a *App) Explain(ctx context.Context, name, q string) ([]Explanation, string, error) {
	in, ok := a.lookup(name)
	if !ok {
		return nil, "", fmt.Errorf("integration %q: %w", name, store.ErrNotFound)
	}
	ll := a.linkLister()
	if ll == nil {
		return nil, "", fmt.Errorf("explaining: %w", ErrNotSupported)
	}
	row, err := a.Store.IntegrationGet(ctx, name)
	if err != nil {
		return nil, "", err
	}
	links, err := ll.LinkList(ctx, &store.LinkListParams{IntegrationID: row.ID, Kind: record.KindUser, Search: q, Limit: 20})
	if err != nil {
		return nil, "", err
	}
	out := []Explanation{}
	for _, l := range links {
		out = append(out, explain(in, l))
	}
	summary := ""
	if len(out) == 0 {
		cur, _ := a.Store.CursorGet(ctx, row.ID)
		summary = fmt.Sprintf("No user matching %q was ever received from the source by %s. ", q, name)
		if !in.Settings.Imports(record.KindUser) {
			summary += "The integration does not import users. "
		} else if cur.LastFullAt.IsZero() {
			summary += "No full run has completed yet: run one. "
		} else {
			summary += fmt.Sprintf("The last full run finished %s: check that the user exists in the source and that the app may read it. ", cur.LastFullAt.Format(time.RFC3339))
		}
	}
	return out, strings.TrimSpace(summary), nil
}

// linkAttrs is the part of a link's data explanations read.
type linkAttrs struct {
	State   string            `json:"state"`
	Reason  string            `json:"reason"`
	Attrs   map[string]string `json:"attrs"`
	InScope bool              `json:"in_scope"`
	Site    string            `json:"site"`
	Role    string            `json:"role"`
}

func explain(in *config.Integration, l store.Link) Explanation {
	var d linkAttrs
	_ = json.Unmarshal(l.Data, &d)
	e := Explanation{ExternalID: l.ExternalID, Name: d.Attrs[record.AttrDisplayName], UPN: d.Attrs[record.AttrUPN],
		Status: l.Status, EntityID: l.EntityID, Active: l.EntityActive, Site: d.Site, Role: d.Role,
		MatchedBy: l.MatchedBy, Reason: l.Reason, LastRunID: l.LastRunID, SourceState: d.State}
	who := e.Name
	if who == "" {
		who = l.ExternalID
	}
	s := in.Settings
	switch l.Status {
	case store.LinkOutOfScope:
		e.Answer = fmt.Sprintf("%s is not imported: %s.", who, strings.TrimPrefix(l.Reason, "out of scope: "))
		switch {
		case len(s.Scope.Mappings) == 0 && !s.Scope.AllUsers:
			e.Answer += " The integration has no mappings: map a group to a site, or import all users."
		case strings.Contains(l.Reason, "mapped group"):
			var groups []string
			for _, m := range s.Scope.Mappings {
				groups = append(groups, fmt.Sprintf("%q", m.Group))
			}
			e.Answer += fmt.Sprintf(" The mapped groups are %s. Add the user to one of them at the source, or map one of its groups.", strings.Join(groups, ", "))
		case strings.Contains(l.Reason, "disabled"):
			e.Answer += " It is imported again when it is enabled at the source."
		}
		if l.EntityID != 0 && !l.EntityActive {
			e.Answer += " Its platform user, imported before, is deactivated."
		}
	case store.LinkRemoved:
		e.Answer = fmt.Sprintf("%s was removed at the source (%s)", who, l.Reason)
		if l.EntityActive {
			e.Answer += ", but its platform user is still active"
			if s.DeactivateWhenNotFound != nil && !*s.DeactivateWhenNotFound {
				e.Answer += ": deactivate when not found is off"
			} else {
				e.Answer += ": the deactivation waits for a run that is not held"
			}
		} else {
			e.Answer += "; its platform user is deactivated"
		}
		e.Answer += "."
	case store.LinkConflict:
		e.Answer = fmt.Sprintf("%s is neither created nor linked: %s. Resolve it in the review queue.", who, l.Reason)
	case store.LinkLinked:
		if l.EntityActive {
			e.Answer = fmt.Sprintf("%s is imported", who)
			if d.Site != "" {
				e.Answer += fmt.Sprintf(" at site %s", d.Site)
			}
			if d.Role != "" {
				e.Answer += " as " + article(d.Role)
			}
			e.Answer += fmt.Sprintf(" (%s), and active: the source reports it present", l.Reason)
			if l.MatchedBy != "" && l.MatchedBy != "created" {
				e.Answer += fmt.Sprintf("; it was matched to an existing platform user by %s", l.MatchedBy)
			}
			e.Answer += "."
		} else {
			e.Answer = fmt.Sprintf("%s is linked but its platform user is inactive: %s.", who, l.Reason)
		}
	default:
		e.Answer = fmt.Sprintf("%s: %s (%s).", who, l.Status, l.Reason)
	}
	return e
}

func article(role string) string {
	switch role {
	case store.RoleAgent:
		return "an agent"
	case store.RoleUser:
		return "an end user"
	}
	return "a " + role
}
