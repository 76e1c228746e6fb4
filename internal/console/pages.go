package console

import (
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/integrator-oss/integrator/internal/auth"
	"github.com/integrator-oss/integrator/internal/record"
	"github.com/integrator-oss/integrator/internal/review"
	"github.com/integrator-oss/integrator/internal/store"
)

// runRow is a run with its integration's name.
type runRow struct {
	store.Run
	Integration string
	Duration    time.Duration
}

func (c *Console) names(r *http.Request) map[int64]string {
	out := map[int64]string{}
	list, err := c.st.IntegrationList(r.Context())
	if err != nil {
		return out
	}
	for _, in := range list {
		out[in.ID] = in.Name
	}
	return out
}

func (c *Console) runs(w http.ResponseWriter, r *http.Request) {
	q := r.URL.Query()
	p := &store.RunListParams{Status: q.Get("status"), Limit: 200}
	if name := q.Get("integration"); name != "" {
		in, err := c.st.IntegrationGet(r.Context(), name)
		if err != nil {
			c.fail(w, r, fmt.Errorf("integration %q: %w", name, err))
			return
		}
		p.IntegrationID = in.ID
	}
	list, err := c.st.RunList(r.Context(), p)
	if err != nil {
		c.fail(w, r, err)
		return
	}
	names := c.names(r)
	rows := make([]runRow, 0, len(list))
	running := false
	for _, run := range list {
		end := run.FinishedAt
		if end.IsZero() {
			end = time.Now()
			running = running || run.Status == store.RunRunning
		}
		rows = append(rows, runRow{Run: run, Integration: names[run.IntegrationID], Duration: end.Sub(run.StartedAt)})
	}
	// The page reloads itself while a run is going, and for a minute after
	// one was queued until it starts.
	if queued, err := strconv.ParseInt(q.Get("queued"), 10, 64); err == nil && !running {
		at := time.Unix(queued, 0)
		started := len(rows) > 0 && !rows[0].StartedAt.Before(at.Add(-time.Second))
		running = !started && time.Since(at) < time.Minute
	}
	c.render(w, r, "runs", http.StatusOK, page{Title: "Runs", Nav: "runs", Data: map[string]any{
		"Runs": rows, "Integration": q.Get("integration"), "Status": q.Get("status"), "Live": running,
	}})
}

// kindCounts is one row of a run's counts table.
type kindCounts struct {
	Kind string
	store.Counts
}

func (c *Console) run(w http.ResponseWriter, r *http.Request) {
	id, err := strconv.ParseInt(r.PathValue("id"), 10, 64)
	if err != nil {
		c.fail(w, r, fmt.Errorf("run %q: %w", r.PathValue("id"), store.ErrNotFound))
		return
	}
	run, err := c.st.RunGet(r.Context(), id)
	if err != nil {
		c.fail(w, r, err)
		return
	}
	var kinds []kindCounts
	for _, k := range []record.Kind{record.KindUser, record.KindGroup, record.KindContact, record.KindOrgUnit, record.KindAsset, record.KindLicence, record.KindAppointment} {
		if cnt, ok := run.ByKind[k]; ok {
			kinds = append(kinds, kindCounts{Kind: entityLabels[k], Counts: cnt})
		}
	}
	status := r.URL.Query().Get("outcome")
	var links []store.Link
	if ll, ok := c.st.(store.LinkLister); ok {
		links, _ = ll.LinkList(r.Context(), &store.LinkListParams{IntegrationID: run.IntegrationID, Kind: record.KindUser, RunID: id, Status: status, Limit: 500})
	}
	audit, err := c.st.AuditList(r.Context(), &store.AuditListParams{RunID: id, Limit: 500})
	if err != nil {
		c.fail(w, r, err)
		return
	}
	end := run.FinishedAt
	if end.IsZero() {
		end = time.Now()
	}
	c.render(w, r, "run", http.StatusOK, page{Title: fmt.Sprintf("Run %d", id), Nav: "runs", Data: map[string]any{
		"Run": run, "Integration": c.names(r)[run.IntegrationID], "Kinds": kinds, "Links": linkRows(links), "Audit": audit,
		"Duration": end.Sub(run.StartedAt), "Outcome": status,
	}})
}

// linkRow is a link with its source data decoded.
type linkRow struct {
	store.Link
	Name, UPN, Site, Role string
}

func linkRows(links []store.Link) []linkRow {
	out := make([]linkRow, 0, len(links))
	for _, l := range links {
		var d struct {
			Attrs map[string]string `json:"attrs"`
			Site  string            `json:"site"`
			Role  string            `json:"role"`
		}
		_ = json.Unmarshal(l.Data, &d)
		name := d.Attrs[record.AttrDisplayName]
		if name == "" {
			name = d.Attrs["name"]
		}
		out = append(out, linkRow{Link: l, Name: name, UPN: d.Attrs[record.AttrUPN], Site: d.Site, Role: d.Role})
	}
	return out
}

func (c *Console) directory(w http.ResponseWriter, r *http.Request) {
	kind := r.PathValue("kind")
	q := r.URL.Query()
	p := &store.EntityListParams{Search: strings.TrimSpace(q.Get("search")), Limit: 50}
	if v := q.Get("active"); v == "true" || v == "false" {
		b := v == "true"
		p.Active = &b
	}
	after, _ := strconv.ParseInt(q.Get("after"), 10, 64)
	p.AfterID = after
	data := map[string]any{"Kind": kind, "Search": p.Search, "Active": q.Get("active")}
	var last int64
	var n int
	switch kind {
	case "users":
		list, err := c.st.UserList(r.Context(), p)
		if err != nil {
			c.fail(w, r, err)
			return
		}
		sites := c.siteNames(r)
		type row struct {
			store.User
			Site string
		}
		rows := make([]row, len(list))
		for i, u := range list {
			rows[i] = row{u, sites[u.SiteID]}
		}
		data["Users"] = rows
		n = len(list)
		if n > 0 {
			last = list[n-1].ID
		}
	case "groups":
		list, err := c.st.GroupList(r.Context(), p)
		if err != nil {
			c.fail(w, r, err)
			return
		}
		data["Groups"] = list
		n = len(list)
		if n > 0 {
			last = list[n-1].ID
		}
	case "devices":
		list, err := c.st.AssetList(r.Context(), p)
		if err != nil {
			c.fail(w, r, err)
			return
		}
		data["Assets"] = list
		n = len(list)
		if n > 0 {
			last = list[n-1].ID
		}
	case "licences":
		list, err := c.st.LicenceList(r.Context(), &store.LicenceListParams{Active: p.Active, AfterID: p.AfterID, Limit: p.Limit})
		if err != nil {
			c.fail(w, r, err)
			return
		}
		data["Licences"] = list
		n = len(list)
		if n > 0 {
			last = list[n-1].ID
		}
	case "sites":
		list, err := c.st.SiteList(r.Context())
		if err != nil {
			c.fail(w, r, err)
			return
		}
		data["Sites"] = list
	default:
		c.fail(w, r, fmt.Errorf("directory %q: %w", kind, store.ErrNotFound))
		return
	}
	if n == p.Limit {
		data["Next"] = last
	}
	c.render(w, r, "directory", http.StatusOK, page{Title: label(kind), Nav: kind, Data: data})
}

func (c *Console) siteNames(r *http.Request) map[int64]string {
	out := map[int64]string{}
	if list, err := c.st.SiteList(r.Context()); err == nil {
		for _, s := range list {
			out[s.ID] = s.ClientName + " / " + s.Name
		}
	}
	return out
}

func (c *Console) entity(w http.ResponseWriter, r *http.Request) {
	kind := r.PathValue("kind")
	id, err := strconv.ParseInt(r.PathValue("id"), 10, 64)
	if err != nil {
		c.fail(w, r, fmt.Errorf("%s %q: %w", kind, r.PathValue("id"), store.ErrNotFound))
		return
	}
	data := map[string]any{"Kind": kind}
	var rk record.Kind
	title := ""
	switch kind {
	case "users":
		u, err := c.st.UserGet(r.Context(), id)
		if err != nil {
			c.fail(w, r, err)
			return
		}
		data["User"], rk, title = u, record.KindUser, u.DisplayName
		data["Site"] = c.siteNames(r)[u.SiteID]
	case "groups":
		g, err := c.st.GroupGet(r.Context(), id)
		if err != nil {
			c.fail(w, r, err)
			return
		}
		members, _ := c.st.GroupMembers(r.Context(), id)
		data["Group"], data["Members"], rk, title = g, len(members), record.KindGroup, g.Name
	case "devices":
		a, err := c.st.AssetGet(r.Context(), id)
		if err != nil {
			c.fail(w, r, err)
			return
		}
		data["Asset"], rk, title = a, record.KindAsset, a.Name
		data["Site"] = c.siteNames(r)[a.SiteID]
	default:
		c.fail(w, r, fmt.Errorf("directory %q: %w", kind, store.ErrNotFound))
		return
	}
	links, err := c.st.LinkListByEntity(r.Context(), rk, id)
	if err != nil {
		c.fail(w, r, err)
		return
	}
	audit, err := c.st.AuditList(r.Context(), &store.AuditListParams{Kind: rk, EntityID: id, Limit: 500})
	if err != nil {
		c.fail(w, r, err)
		return
	}
	data["Links"], data["Audit"], data["Names"] = linkRows(links), audit, c.names(r)
	c.render(w, r, "entity", http.StatusOK, page{Title: title, Nav: kind, Data: data})
}

func (c *Console) review(w http.ResponseWriter, r *http.Request) {
	list, err := c.st.ReviewList(r.Context(), &store.ReviewListParams{Status: store.ReviewOpen, Limit: 200})
	if err != nil {
		c.fail(w, r, err)
		return
	}
	c.render(w, r, "review", http.StatusOK, page{Title: "Review queue", Nav: "review", Data: map[string]any{"Items": list, "Names": c.names(r)}})
}

// reviewDecide records an operator's decision on a review item.
func (c *Console) reviewDecide(w http.ResponseWriter, r *http.Request) {
	id, _ := strconv.ParseInt(r.PathValue("id"), 10, 64)
	st, ok := c.st.(store.Store)
	if !ok {
		c.fail(w, r, errors.New("this store cannot record decisions"))
		return
	}
	d := review.Decision{ItemID: id, By: "operator"}
	if p := auth.From(r.Context()); p != nil {
		d.By = p.Username
	}
	switch r.PostFormValue("do") {
	case "link":
		d.Action = store.ReviewLinked
		d.EntityID, _ = strconv.ParseInt(r.PostFormValue("to"), 10, 64)
	case "create":
		d.Action = store.ReviewCreated
	case "ignore":
		d.Action = store.ReviewIgnored
	default:
		c.fail(w, r, fmt.Errorf("unknown decision %q", r.PostFormValue("do")))
		return
	}
	it, err := review.Decide(r.Context(), st, d)
	if err != nil {
		c.fail(w, r, err)
		return
	}
	redirectFlash(w, r, "/review", fmt.Sprintf("Item #%d: %s. The next run of the integration applies it.", it.ID, it.Status))
}

func (c *Console) audit(w http.ResponseWriter, r *http.Request) {
	q := r.URL.Query()
	p := &store.AuditListParams{Kind: record.Kind(q.Get("kind")), Action: q.Get("action"), Limit: 200}
	if v := q.Get("run"); v != "" {
		p.RunID, _ = strconv.ParseInt(v, 10, 64)
	}
	p.AfterID, _ = strconv.ParseInt(q.Get("after"), 10, 64)
	list, err := c.st.AuditList(r.Context(), p)
	if err != nil {
		c.fail(w, r, err)
		return
	}
	data := map[string]any{"Events": list, "Kind": q.Get("kind"), "Action": q.Get("action"), "Run": q.Get("run"), "Names": c.names(r),
		"Export": "kind=" + q.Get("kind") + "&action=" + q.Get("action") + "&run=" + q.Get("run")}
	if len(list) == p.Limit {
		data["Next"] = list[len(list)-1].ID
	}
	c.render(w, r, "audit", http.StatusOK, page{Title: "Audit trail", Nav: "audit", Data: data})
}

func (c *Console) tokens(w http.ResponseWriter, r *http.Request) {
	c.renderTokens(w, r, http.StatusOK, "", "")
}

func (c *Console) renderTokens(w http.ResponseWriter, r *http.Request, status int, created, errMsg string) {
	list, err := c.auth.Tokens(r.Context())
	if err != nil {
		c.fail(w, r, err)
		return
	}
	c.render(w, r, "tokens", status, page{Title: "API tokens", Nav: "tokens", Error: errMsg, Data: map[string]any{"Tokens": list, "Created": created}})
}

func (c *Console) tokenCreate(w http.ResponseWriter, r *http.Request) {
	var ttl time.Duration
	if d := r.PostFormValue("days"); d != "" && d != "0" {
		n, err := strconv.Atoi(d)
		if err != nil || n < 0 {
			c.renderTokens(w, r, http.StatusBadRequest, "", "Expiry: a number of days.")
			return
		}
		ttl = time.Duration(n) * 24 * time.Hour
	}
	tok, _, err := c.auth.CreateToken(r.Context(), auth.From(r.Context()), strings.TrimSpace(r.PostFormValue("name")), r.PostFormValue("scope"), ttl)
	if err != nil {
		c.renderTokens(w, r, http.StatusBadRequest, "", err.Error())
		return
	}
	c.renderTokens(w, r, http.StatusOK, tok, "")
}

func (c *Console) tokenRevoke(w http.ResponseWriter, r *http.Request) {
	id, _ := strconv.ParseInt(r.PathValue("id"), 10, 64)
	if err := c.auth.RevokeToken(r.Context(), id); err != nil {
		c.fail(w, r, err)
		return
	}
	redirectFlash(w, r, "/tokens", "Token revoked.")
}
