package console

import (
	"errors"
	"fmt"
	"net/http"
	"reflect"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/integrator-oss/integrator/internal/config"
	"github.com/integrator-oss/integrator/internal/daemon"
	"github.com/integrator-oss/integrator/internal/integration"
	"github.com/integrator-oss/integrator/internal/jobs"
	"github.com/integrator-oss/integrator/internal/record"
	"github.com/integrator-oss/integrator/internal/secret"
	"github.com/integrator-oss/integrator/internal/store"
)

func (c *Console) integrations(w http.ResponseWriter, r *http.Request) {
	list, err := c.svc.Status(r.Context())
	if err != nil {
		c.fail(w, r, err)
		return
	}
	c.render(w, r, "integrations", http.StatusOK, page{Title: "Integrations", Nav: "integrations",
		Data: map[string]any{"List": list, "Unloadable": c.svc.Unloadable()}})
}

// field is one key of a connector's config block, for the connection form.
type field struct {
	Key    string
	Label  string
	Secret bool
	// Bool fields are checkboxes; Number fields are sent as numbers.
	Bool   bool
	Number bool
	// Complex fields (lists, objects) are not edited in the form.
	Complex bool
	Value   string
	Checked bool
	// Set reports, for a secret, whether a value is stored.
	Set bool
}

// connectorFields lists the top-level keys of a connector type's config
// block: plain values as text, secrets as password inputs.
func connectorFields(c *Console, typ string, doc map[string]any) []field {
	t, ok := c.svc.Registry()[typ]
	if !ok || t.New == nil {
		return nil
	}
	block, _ := doc["config"].(map[string]any)
	rt := reflect.TypeOf(t.New())
	for rt.Kind() == reflect.Pointer {
		rt = rt.Elem()
	}
	var out []field
	for i := 0; i < rt.NumField(); i++ {
		f := rt.Field(i)
		name, opts, _ := strings.Cut(f.Tag.Get("yaml"), ",")
		if f.Anonymous || strings.Contains(opts, "inline") || name == "" || name == "-" {
			continue
		}
		fl := field{Key: name, Label: label(name), Secret: f.Type == reflect.TypeOf(secret.String{})}
		switch f.Type.Kind() {
		case reflect.Bool:
			fl.Bool = true
		case reflect.Int, reflect.Int64, reflect.Int32, reflect.Float64, reflect.Float32, reflect.Uint, reflect.Uint64:
			// Durations are written as text ("30s").
			fl.Number = f.Type != reflect.TypeOf(time.Duration(0)) && f.Type.PkgPath() == ""
		case reflect.Slice, reflect.Map, reflect.Struct, reflect.Pointer:
			fl.Complex = !fl.Secret
		}
		v := block[name]
		if b, ok := v.(bool); ok {
			fl.Checked = b
		}
		if fl.Secret {
			switch m := v.(type) {
			case map[string]bool:
				fl.Set = m["set"]
			case map[string]any:
				fl.Set, _ = m["set"].(bool)
			}
		} else if v != nil && !fl.Complex && !fl.Bool {
			fl.Value = fmt.Sprint(v)
		}
		out = append(out, fl)
	}
	return out
}

func label(key string) string {
	s := strings.ReplaceAll(key, "_", " ")
	for _, up := range []string{"id", "url"} {
		s = strings.ReplaceAll(s, " "+up, " "+strings.ToUpper(up))
	}
	return strings.ToUpper(s[:1]) + s[1:]
}

func (c *Console) newIntegration(w http.ResponseWriter, r *http.Request) {
	typ := r.URL.Query().Get("type")
	c.renderNew(w, r, http.StatusOK, typ, map[string]any{}, nil)
}

func (c *Console) renderNew(w http.ResponseWriter, r *http.Request, status int, typ string, doc map[string]any, err error) {
	var types []string
	for name := range c.svc.Registry() {
		types = append(types, name)
	}
	slices.Sort(types)
	if typ == "" && len(types) > 0 {
		typ = types[0]
		if slices.Contains(types, "entra") {
			typ = "entra"
		}
	}
	fields := connectorFields(c, typ, doc)
	var complexKeys []string
	for _, f := range fields {
		if f.Complex {
			complexKeys = append(complexKeys, f.Key)
		}
	}
	p := page{Title: "New integration", Nav: "integrations", Data: map[string]any{
		"Types": types, "Type": typ, "Name": doc["name"], "Fields": fields, "Complex": complexKeys, "Problems": problems(err),
	}}
	if err != nil {
		p.Error = "The integration was not created: fix the fields below."
	}
	c.render(w, r, "new", status, p)
}

func problems(err error) []config.Error {
	var ve *daemon.ValidationError
	if errors.As(err, &ve) {
		return ve.Problems
	}
	if err != nil {
		return []config.Error{{Msg: err.Error()}}
	}
	return nil
}

// connectionBlock reads the connection form's config fields: empty values
// are left out (a secret left empty keeps its stored value).
func connectionBlock(c *Console, r *http.Request, typ string) map[string]any {
	block := map[string]any{}
	for _, f := range connectorFields(c, typ, nil) {
		if f.Complex {
			continue
		}
		v := strings.TrimSpace(r.PostFormValue("cfg_" + f.Key))
		switch {
		case f.Bool:
			if v == "on" {
				block[f.Key] = true
			}
		case v == "":
		case f.Number:
			if n, err := strconv.ParseFloat(v, 64); err == nil {
				block[f.Key] = n
			} else {
				block[f.Key] = v // reported by the checks, by field
			}
		default:
			block[f.Key] = v
		}
	}
	return block
}

func (c *Console) createIntegration(w http.ResponseWriter, r *http.Request) {
	typ := r.PostFormValue("type")
	name := strings.TrimSpace(r.PostFormValue("name"))
	doc := map[string]any{"name": name, "type": typ, "enabled": false, "config": connectionBlock(c, r, typ)}
	if _, err := c.svc.IntegrationCreate(r.Context(), doc); err != nil {
		// Show what was typed, secrets excepted.
		shown := map[string]any{"name": name, "config": map[string]any{}}
		for k, v := range doc["config"].(map[string]any) {
			shown["config"].(map[string]any)[k] = v
		}
		for _, f := range connectorFields(c, typ, nil) {
			if f.Secret {
				delete(shown["config"].(map[string]any), f.Key)
			}
		}
		status := http.StatusBadRequest
		if errors.Is(err, store.ErrConflict) {
			err = fmt.Errorf("an integration named %q exists already", name)
			status = http.StatusConflict
		}
		c.renderNew(w, r, status, typ, shown, err)
		return
	}
	redirectFlash(w, r, "/integrations/"+name+"?tab=imports", "Integration created, disabled. Choose what to import, preview, then enable it.")
}

// entityOption is one entity checkbox of the Imports tab.
type entityOption struct {
	Name    string
	Label   string
	Checked bool
}

// mappingRow is one row of the mappings editor.
type mappingRow struct {
	Group, Site, Role string
}

// importsForm is the Imports tab's Integrator section, filled.
type importsForm struct {
	Enabled       bool
	Entities      []entityOption
	Deactivate    bool
	Schedule      string
	FullSyncEvery string
	MaxCount      string
	MaxPercent    string
	AllUsers      bool
	DefaultSite   string
	Mappings      []mappingRow
	Matching      []entityOption
}

func shortDur(d time.Duration) string {
	s := d.String()
	if strings.HasSuffix(s, "m0s") {
		s = strings.TrimSuffix(s, "0s")
	}
	if strings.HasSuffix(s, "h0m") {
		s = strings.TrimSuffix(s, "0m")
	}
	return s
}

var entityLabels = map[record.Kind]string{
	record.KindUser: "Users", record.KindGroup: "Groups", record.KindContact: "Contacts", record.KindSite: "Sites",
	record.KindOrgUnit: "Organisational units", record.KindAsset: "Devices", record.KindLicence: "Licences", record.KindAppointment: "Appointments",
}

var matchLabels = []entityOption{
	{Name: integration.MatchImmutableID, Label: "Immutable ID"}, {Name: integration.MatchUPN, Label: "UPN"},
	{Name: integration.MatchEmail, Label: "Email"}, {Name: integration.MatchEmployeeID, Label: "Employee ID"},
}

func (c *Console) formOf(s integration.Settings) importsForm {
	f := importsForm{Enabled: s.Enabled, Deactivate: s.DeactivateWhenNotFound == nil || *s.DeactivateWhenNotFound,
		FullSyncEvery: shortDur(s.FullSyncEvery), MaxCount: strconv.Itoa(s.Threshold.MaxCount),
		MaxPercent: strconv.FormatFloat(s.Threshold.MaxPercent, 'f', -1, 64), AllUsers: s.Scope.AllUsers, DefaultSite: s.Scope.DefaultSite}
	if s.Schedule.Cron != "" {
		f.Schedule = s.Schedule.Cron
	} else {
		f.Schedule = shortDur(s.Schedule.Every)
	}
	kinds := []record.Kind{record.KindUser, record.KindGroup}
	if t, ok := c.svc.Registry()[s.Type]; ok && len(t.Kinds) > 0 {
		kinds = t.Kinds
	}
	for _, k := range kinds {
		f.Entities = append(f.Entities, entityOption{Name: config.EntityName(k), Label: entityLabels[k], Checked: s.Imports(k)})
	}
	for _, m := range s.Scope.Mappings {
		f.Mappings = append(f.Mappings, mappingRow{Group: m.Group, Site: m.Site, Role: m.Role})
	}
	for _, m := range matchLabels {
		m.Checked = slices.Contains(s.Matching, m.Name)
		f.Matching = append(f.Matching, m)
	}
	return f
}

// importsPatch turns the Imports form into the settings patch the API
// takes, so that the config file's checks report problems by field.
func importsPatch(r *http.Request) map[string]any {
	num := func(s string) any {
		s = strings.TrimSpace(s)
		if n, err := strconv.ParseFloat(s, 64); err == nil {
			return n
		}
		return s
	}
	entities := []any{}
	for _, e := range r.PostForm["entities"] {
		entities = append(entities, e)
	}
	matching := []any{}
	for _, m := range matchLabels {
		if slices.Contains(r.PostForm["matching"], m.Name) {
			matching = append(matching, m.Name)
		}
	}
	var mappings []any
	groups, sites, roles := r.PostForm["map_group"], r.PostForm["map_site"], r.PostForm["map_role"]
	for i, g := range groups {
		g = strings.TrimSpace(g)
		if g == "" {
			continue
		}
		m := map[string]any{"group": g}
		if i < len(sites) && strings.TrimSpace(sites[i]) != "" {
			m["site"] = strings.TrimSpace(sites[i])
		}
		if i < len(roles) && roles[i] != "" {
			m["role"] = roles[i]
		}
		mappings = append(mappings, m)
	}
	scope := map[string]any{"all_users": r.PostFormValue("all_users") == "on"}
	if ds := strings.TrimSpace(r.PostFormValue("default_site")); ds != "" {
		scope["default_site"] = ds
	}
	if len(mappings) > 0 {
		scope["mappings"] = mappings
	}
	patch := map[string]any{
		"enabled":                   r.PostFormValue("enabled") == "on",
		"deactivate_when_not_found": r.PostFormValue("deactivate_when_not_found") == "on",
		"schedule":                  strings.TrimSpace(r.PostFormValue("schedule")),
		"full_sync_every":           strings.TrimSpace(r.PostFormValue("full_sync_every")),
		"threshold":                 map[string]any{"max_count": num(r.PostFormValue("max_count")), "max_percent": num(r.PostFormValue("max_percent"))},
		"scope":                     scope,
		"entities":                  entities,
		"matching":                  matching,
	}
	if len(entities) == 0 {
		patch["entities"] = nil
	}
	if len(matching) == 0 {
		patch["matching"] = nil
	}
	return patch
}

// formFromPatch shows a submitted (maybe invalid) form as it was typed.
func formFromPatch(base importsForm, r *http.Request) importsForm {
	f := base
	f.Enabled = r.PostFormValue("enabled") == "on"
	f.Deactivate = r.PostFormValue("deactivate_when_not_found") == "on"
	f.Schedule = r.PostFormValue("schedule")
	f.FullSyncEvery = r.PostFormValue("full_sync_every")
	f.MaxCount, f.MaxPercent = r.PostFormValue("max_count"), r.PostFormValue("max_percent")
	f.AllUsers = r.PostFormValue("all_users") == "on"
	f.DefaultSite = r.PostFormValue("default_site")
	for i := range f.Entities {
		f.Entities[i].Checked = slices.Contains(r.PostForm["entities"], f.Entities[i].Name)
	}
	for i := range f.Matching {
		f.Matching[i].Checked = slices.Contains(r.PostForm["matching"], f.Matching[i].Name)
	}
	f.Mappings = nil
	groups, sites, roles := r.PostForm["map_group"], r.PostForm["map_site"], r.PostForm["map_role"]
	for i, g := range groups {
		if strings.TrimSpace(g) == "" {
			continue
		}
		row := mappingRow{Group: g}
		if i < len(sites) {
			row.Site = sites[i]
		}
		if i < len(roles) {
			row.Role = roles[i]
		}
		f.Mappings = append(f.Mappings, row)
	}
	return f
}

// integrationPage is the data of an integration's page.
type integrationPage struct {
	Tab      string
	Status   daemon.IntegrationStatus
	View     *daemon.IntegrationView
	ReadOnly bool
	Form     importsForm
	Fields   []field
	Problems []config.Error
	Preview  *daemon.Preview
	Runs     []store.Run
	Findings []daemon.Finding
	Query    string
	Answers  []daemon.Explanation
	Summary  string
	Asked    bool
}

func (c *Console) loadIntegration(r *http.Request, name string) (*integrationPage, error) {
	v, err := c.svc.IntegrationGetView(r.Context(), name)
	if err != nil {
		return nil, err
	}
	p := &integrationPage{Tab: r.URL.Query().Get("tab"), View: v, ReadOnly: v.Source == daemon.SourceFile}
	if p.Tab == "" {
		p.Tab = "overview"
	}
	all, err := c.svc.Status(r.Context())
	if err != nil {
		return nil, err
	}
	for _, st := range all {
		if st.Name == name {
			p.Status = st
		}
	}
	p.Form = c.formOf(v.Settings)
	p.Fields = connectorFields(c, v.Type, v.Document)
	if row, err := c.st.IntegrationGet(r.Context(), name); err == nil {
		p.Runs, _ = c.st.RunList(r.Context(), &store.RunListParams{IntegrationID: row.ID, Limit: 25})
	}
	return p, nil
}

func (c *Console) integration(w http.ResponseWriter, r *http.Request) {
	name := r.PathValue("name")
	p, err := c.loadIntegration(r, name)
	if err != nil {
		c.fail(w, r, err)
		return
	}
	if p.Tab == "troubleshooting" {
		if p.Findings, err = c.svc.Troubleshoot(r.Context(), name, r.URL.Query().Get("probe") == "1"); err != nil {
			c.fail(w, r, err)
			return
		}
		if q := strings.TrimSpace(r.URL.Query().Get("q")); q != "" {
			p.Query, p.Asked = q, true
			if p.Answers, p.Summary, err = c.svc.Explain(r.Context(), name, q); err != nil {
				c.fail(w, r, err)
				return
			}
		}
	}
	c.render(w, r, "integration", http.StatusOK, page{Title: name, Nav: "integrations", Data: p})
}

func (c *Console) saveImports(w http.ResponseWriter, r *http.Request) {
	name := r.PathValue("name")
	if err := r.ParseForm(); err != nil {
		c.fail(w, r, err)
		return
	}
	_, err := c.svc.IntegrationPatch(r.Context(), name, importsPatch(r))
	if err == nil {
		redirectFlash(w, r, "/integrations/"+name+"?tab=imports", "Imports settings saved; the schedule follows them now.")
		return
	}
	p, lerr := c.loadIntegration(r, name)
	if lerr != nil {
		c.fail(w, r, lerr)
		return
	}
	if errors.Is(err, daemon.ErrReadOnly) {
		c.fail(w, r, err)
		return
	}
	p.Tab, p.Problems, p.Form = "imports", problems(err), formFromPatch(p.Form, r)
	c.render(w, r, "integration", http.StatusBadRequest, page{Title: name, Nav: "integrations", Error: "Not saved: fix the fields below.", Data: p})
}

// preview runs a dry run with the submitted, unsaved settings. Called by
// the page's script it answers with the preview fragment alone; without
// script, the whole page.
func (c *Console) preview(w http.ResponseWriter, r *http.Request) {
	name := r.PathValue("name")
	if err := r.ParseForm(); err != nil {
		c.fail(w, r, err)
		return
	}
	p, err := c.loadIntegration(r, name)
	if err != nil {
		c.fail(w, r, err)
		return
	}
	p.Tab = "imports"
	var patch map[string]any
	if !p.ReadOnly {
		patch = importsPatch(r)
		p.Form = formFromPatch(p.Form, r)
	}
	p.Preview, err = c.svc.PreviewSettings(r.Context(), name, patch)
	status := http.StatusOK
	if err != nil {
		p.Problems = problems(err)
		status = http.StatusBadRequest
	}
	if r.Header.Get("X-Fragment") == "preview" {
		t := c.pages["integration"]
		w.Header().Set("Content-Type", "text/html; charset=utf-8")
		w.WriteHeader(status)
		if err := t.ExecuteTemplate(w, "preview", p); err != nil {
			c.logger.Error("rendering preview", "err", err)
		}
		return
	}
	c.render(w, r, "integration", status, page{Title: name, Nav: "integrations", Data: p})
}

func (c *Console) saveConnection(w http.ResponseWriter, r *http.Request) {
	name := r.PathValue("name")
	v, err := c.svc.IntegrationGetView(r.Context(), name)
	if err != nil {
		c.fail(w, r, err)
		return
	}
	block := connectionBlock(c, r, v.Type)
	// Plain fields emptied in the form are cleared.
	for _, f := range connectorFields(c, v.Type, nil) {
		if _, given := block[f.Key]; !given && !f.Secret && !f.Complex {
			block[f.Key] = nil
		}
	}
	_, err = c.svc.IntegrationPatch(r.Context(), name, map[string]any{"config": block})
	if err != nil {
		p, lerr := c.loadIntegration(r, name)
		if lerr != nil || errors.Is(err, daemon.ErrReadOnly) {
			c.fail(w, r, err)
			return
		}
		p.Tab, p.Problems = "connection", problems(err)
		c.render(w, r, "integration", http.StatusBadRequest, page{Title: name, Nav: "integrations", Error: "Not saved: fix the fields below.", Data: p})
		return
	}
	redirectFlash(w, r, "/integrations/"+name+"?tab=connection", "Connection settings saved.")
}

// action handles the buttons of an integration: run, enable, disable,
// confirm, check, delete.
func (c *Console) action(w http.ResponseWriter, r *http.Request) {
	name := r.PathValue("name")
	back := "/integrations/" + name
	ctx := r.Context()
	var err error
	flash := ""
	switch r.PostFormValue("do") {
	case "run", "run-full":
		full := r.PostFormValue("do") == "run-full"
		if _, err = c.svc.Enqueue(ctx, jobs.RunRequest{Integration: name, Full: full, Trigger: "api"}); err == nil {
			redirectFlash(w, r, fmt.Sprintf("/runs?integration=%s&queued=%d", name, time.Now().Unix()), "Run queued.")
			return
		}
	case "confirm":
		if _, err = c.svc.ConfirmHeld(ctx, name); err == nil {
			redirectFlash(w, r, fmt.Sprintf("/runs?integration=%s&queued=%d", name, time.Now().Unix()), "Mass deactivation confirmed: a full run is queued.")
			return
		}
	case "enable", "disable":
		on := r.PostFormValue("do") == "enable"
		if _, err = c.svc.IntegrationSetEnabled(ctx, name, on); err == nil {
			flash = map[bool]string{true: "Enabled: runs follow the schedule.", false: "Disabled: nothing runs."}[on]
		}
	case "check":
		if err = c.svc.Check(ctx, name); err == nil {
			flash = "Connection test passed: the source accepts the credentials."
		} else {
			redirectFlash(w, r, back+"?tab=connection", "Connection test failed: "+err.Error())
			return
		}
	case "delete":
		if err = c.svc.IntegrationDelete(ctx, name); err == nil {
			redirectFlash(w, r, "/integrations", "Integration "+name+" deleted; its runs, links and audit trail are kept.")
			return
		}
	default:
		err = fmt.Errorf("unknown action %q", r.PostFormValue("do"))
	}
	if err != nil {
		c.fail(w, r, err)
		return
	}
	redirectFlash(w, r, back, flash)
}
