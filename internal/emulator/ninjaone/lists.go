package ninjaone

import (
	"encoding/json"
	"fmt"
	"net/http"
	"net/url"
	"slices"
	"strconv"
	"strings"
)

// paging reads pageSize and after; a bad value is a 400.
func (e *Emulator) paging(q url.Values) (size, after int, err error) {
	size = e.opts.PageSize
	if v := q.Get("pageSize"); v != "" {
		n, perr := strconv.Atoi(v)
		if perr != nil || n < 1 {
			return 0, 0, fmt.Errorf("invalid pageSize %q", v)
		}
		size = min(n, MaxPageSize)
	}
	if v := q.Get("after"); v != "" {
		n, perr := strconv.Atoi(v)
		if perr != nil || n < 0 {
			return 0, 0, fmt.Errorf("invalid after %q", v)
		}
		after = n
	}
	return size, after, nil
}

type orgJSON struct {
	ID               int            `json:"id"`
	Name             string         `json:"name"`
	Description      string         `json:"description,omitempty"`
	NodeApprovalMode string         `json:"nodeApprovalMode"`
	Tags             []string       `json:"tags"`
	Fields           map[string]any `json:"fields"`
}

func (e *Emulator) serveOrganizations(w http.ResponseWriter, r *http.Request) {
	size, after, err := e.paging(r.URL.Query())
	if err != nil {
		e.writeError(w, http.StatusBadRequest, "BAD_REQUEST", err.Error())
		return
	}
	e.mu.RLock()
	i, _ := slices.BinarySearchFunc(e.orgs, after+1, func(a Organization, id int) int { return a.ID - id })
	out := make([]orgJSON, 0, size)
	for ; i < len(e.orgs) && len(out) < size; i++ {
		o := e.orgs[i]
		out = append(out, orgJSON{ID: o.ID, Name: o.Name, Description: o.Description, NodeApprovalMode: "AUTOMATIC", Tags: []string{}, Fields: map[string]any{}})
	}
	e.mu.RUnlock()
	writeJSON(w, http.StatusOK, out)
}

type locJSON struct {
	ID             int            `json:"id"`
	Name           string         `json:"name"`
	Address        string         `json:"address,omitempty"`
	Description    string         `json:"description,omitempty"`
	OrganizationID int            `json:"organizationId"`
	Tags           []string       `json:"tags"`
	Fields         map[string]any `json:"fields"`
}

func (e *Emulator) serveLocations(w http.ResponseWriter, r *http.Request) {
	size, after, err := e.paging(r.URL.Query())
	if err != nil {
		e.writeError(w, http.StatusBadRequest, "BAD_REQUEST", err.Error())
		return
	}
	e.mu.RLock()
	i, _ := slices.BinarySearchFunc(e.locs, after+1, func(a Location, id int) int { return a.ID - id })
	out := make([]locJSON, 0, size)
	for ; i < len(e.locs) && len(out) < size; i++ {
		l := e.locs[i]
		out = append(out, locJSON{ID: l.ID, Name: l.Name, Address: l.Address, Description: l.Description,
			OrganizationID: l.OrganizationID, Tags: []string{}, Fields: map[string]any{}})
	}
	e.mu.RUnlock()
	writeJSON(w, http.StatusOK, out)
}

// deviceJSON is a device of /v2/devices; the detailed form adds the
// fields after PublicIP.
type deviceJSON struct {
	ID             int               `json:"id"`
	OrganizationID int               `json:"organizationId"`
	LocationID     int               `json:"locationId"`
	NodeClass      string            `json:"nodeClass"`
	NodeRoleID     int               `json:"nodeRoleId"`
	RolePolicyID   int               `json:"rolePolicyId"`
	PolicyID       int               `json:"policyId"`
	ApprovalStatus string            `json:"approvalStatus"`
	Offline        bool              `json:"offline"`
	DisplayName    string            `json:"displayName"`
	SystemName     string            `json:"systemName"`
	DNSName        string            `json:"dnsName,omitempty"`
	NetbiosName    string            `json:"netbiosName,omitempty"`
	Created        float64           `json:"created"`
	LastContact    float64           `json:"lastContact"`
	LastUpdate     float64           `json:"lastUpdate"`
	Tags           []string          `json:"tags"`
	Fields         map[string]string `json:"fields"`
	IPAddresses    []string          `json:"ipAddresses,omitempty"`
	MACAddresses   []string          `json:"macAddresses,omitempty"`
	PublicIP       string            `json:"publicIP,omitempty"`
	DeviceType     string            `json:"deviceType,omitempty"`
	References     *referencesJSON   `json:"references,omitempty"`
}

type referencesJSON struct {
	Organization *orgJSON      `json:"organization,omitempty"`
	Location     *locJSON      `json:"location,omitempty"`
	Warranty     *warrantyJSON `json:"warranty,omitempty"`
}

type warrantyJSON struct {
	StartDate                   float64 `json:"startDate,omitempty"`
	EndDate                     float64 `json:"endDate,omitempty"`
	ManufacturerFulfillmentDate float64 `json:"manufacturerFulfillmentDate,omitempty"`
}

func (e *Emulator) serveDevices(w http.ResponseWriter, r *http.Request, detailed bool) {
	q := r.URL.Query()
	size, after, err := e.paging(q)
	if err != nil {
		e.writeError(w, http.StatusBadRequest, "BAD_REQUEST", err.Error())
		return
	}
	f, err := parseFilter(q.Get("df"))
	if err != nil {
		e.writeError(w, http.StatusBadRequest, "BAD_REQUEST", err.Error())
		return
	}
	out := make([]deviceJSON, 0, min(size, 1024))
	e.mu.RLock()
	e.eachDevice(f, after, func(d *Device) bool {
		out = append(out, e.deviceJSON(d, detailed))
		return len(out) < size
	})
	e.mu.RUnlock()
	b, _ := json.Marshal(out)
	writeBody(w, http.StatusOK, b)
}

// eachDevice calls fn for the live devices matching f with an ID above
// after, in ID order, until fn returns false. It runs under e.mu.
func (e *Emulator) eachDevice(f filter, after int, fn func(*Device) bool) {
	visit := func(i int) bool {
		d := &e.devices[i]
		if d.deleted || d.ID <= after || !f.match(&d.Device) {
			return true
		}
		return fn(&d.Device)
	}
	if orgs := f.orgs(); orgs != nil {
		// Merge the per-organisation indexes in ID order.
		var idx []int32
		for _, o := range orgs {
			idx = append(idx, e.byOrg[o]...)
		}
		slices.Sort(idx)
		start, _ := slices.BinarySearchFunc(idx, after+1, func(x int32, id int) int { return e.devices[x].ID - id })
		for _, i := range idx[start:] {
			if !visit(int(i)) {
				return
			}
		}
		return
	}
	start, _ := slices.BinarySearchFunc(e.devices, after+1, func(a deviceRec, id int) int { return a.ID - id })
	for i := start; i < len(e.devices); i++ {
		if !visit(i) {
			return
		}
	}
}

func (e *Emulator) deviceJSON(d *Device, detailed bool) deviceJSON {
	j := deviceJSON{
		ID: d.ID, OrganizationID: d.OrganizationID, LocationID: d.LocationID, NodeClass: d.NodeClass,
		NodeRoleID: 1, RolePolicyID: 1, PolicyID: 1, ApprovalStatus: d.ApprovalStatus, Offline: d.Offline,
		DisplayName: d.DisplayName, SystemName: d.SystemName, DNSName: d.DNSName, NetbiosName: d.NetbiosName,
		Created: epoch(d.Created), LastContact: epoch(d.LastContact), LastUpdate: epoch(d.LastUpdate),
		Tags: []string{}, Fields: d.Fields,
	}
	if j.Fields == nil {
		j.Fields = map[string]string{}
	}
	if !detailed {
		return j
	}
	for _, n := range d.NICs {
		j.IPAddresses = append(j.IPAddresses, n.IPAddresses...)
		j.MACAddresses = append(j.MACAddresses, n.MACAddresses...)
	}
	j.PublicIP = d.PublicIP
	j.DeviceType = "AGENT"
	refs := &referencesJSON{}
	if i, ok := e.orgIndex(d.OrganizationID); ok {
		o := e.orgs[i]
		refs.Organization = &orgJSON{ID: o.ID, Name: o.Name, NodeApprovalMode: "AUTOMATIC", Tags: []string{}, Fields: map[string]any{}}
	}
	if i, ok := e.locIndex(d.LocationID); ok {
		l := e.locs[i]
		refs.Location = &locJSON{ID: l.ID, Name: l.Name, OrganizationID: l.OrganizationID, Tags: []string{}, Fields: map[string]any{}}
	}
	if !d.WarrantyEnd.IsZero() {
		refs.Warranty = &warrantyJSON{StartDate: epoch(d.WarrantyEnd.AddDate(-3, 0, 0)), EndDate: epoch(d.WarrantyEnd)}
	}
	j.References = refs
	return j
}

// filter is a parsed device filter: clauses joined with AND.
type filter []clause

type clause struct {
	field  string // org, loc, id, class
	values []string
}

// parseFilter reads the subset of NinjaOne's device filter syntax the
// emulator understands: "org = 1", "loc in (2,3)", "id eq 4",
// "class in (MAC,WINDOWS_SERVER)", joined with AND. Anything else is a
// 400, so a connector cannot rely on a filter that does nothing.
func parseFilter(df string) (filter, error) {
	var f filter
	if strings.TrimSpace(df) == "" {
		return nil, nil
	}
	for part := range strings.SplitSeq(df, " AND ") {
		fields := strings.Fields(part)
		if len(fields) < 3 {
			return nil, fmt.Errorf("invalid device filter %q", df)
		}
		c := clause{field: strings.ToLower(fields[0])}
		switch c.field {
		case "org", "loc", "id", "class":
		default:
			return nil, fmt.Errorf("unsupported device filter field %q", fields[0])
		}
		rest := strings.TrimSpace(strings.Join(fields[2:], " "))
		switch strings.ToLower(fields[1]) {
		case "=", "eq":
			c.values = []string{rest}
		case "in":
			inner, ok := strings.CutPrefix(rest, "(")
			inner, ok2 := strings.CutSuffix(inner, ")")
			if !ok || !ok2 {
				return nil, fmt.Errorf("invalid device filter %q", df)
			}
			for v := range strings.SplitSeq(inner, ",") {
				c.values = append(c.values, strings.TrimSpace(v))
			}
		default:
			return nil, fmt.Errorf("unsupported device filter operator %q", fields[1])
		}
		if c.field != "class" {
			for _, v := range c.values {
				if _, err := strconv.Atoi(v); err != nil {
					return nil, fmt.Errorf("invalid device filter value %q", v)
				}
			}
		}
		f = append(f, c)
	}
	return f, nil
}

func (f filter) match(d *Device) bool {
	for _, c := range f {
		var v string
		switch c.field {
		case "org":
			v = strconv.Itoa(d.OrganizationID)
		case "loc":
			v = strconv.Itoa(d.LocationID)
		case "id":
			v = strconv.Itoa(d.ID)
		case "class":
			v = d.NodeClass
		}
		if !slices.Contains(c.values, v) {
			return false
		}
	}
	return true
}

// orgs returns the organisations an org clause restricts to, nil for none.
func (f filter) orgs() []int {
	for _, c := range f {
		if c.field == "org" {
			var out []int
			for _, v := range c.values {
				n, _ := strconv.Atoi(v)
				out = append(out, n)
			}
			return out
		}
	}
	return nil
}
