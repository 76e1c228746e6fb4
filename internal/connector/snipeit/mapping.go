package snipeit

import (
	"encoding/json"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/integrator-oss/integrator/internal/record"
)

// The wire shapes of the API answers, as far as the connector reads them.

type list[T any] struct {
	Total int `json:"total"`
	Rows  []T `json:"rows"`
}

type named struct {
	ID   int    `json:"id"`
	Name string `json:"name"`
}

type statusLabel struct {
	ID         int    `json:"id"`
	Name       string `json:"name"`
	StatusType string `json:"status_type"`
	StatusMeta string `json:"status_meta"`
}

// assignee is assigned_to: a user ({id, username, name, email, ...,
// type:"user"}), or a location or asset the asset is checked out to
// ({id, name, type}).
type assignee struct {
	ID       int    `json:"id"`
	Username string `json:"username"`
	Name     string `json:"name"`
	Email    string `json:"email"`
	Type     string `json:"type"`
}

type dateValue struct {
	Date     string `json:"date"`
	Datetime string `json:"datetime"`
}

type customField struct {
	Field       string          `json:"field"`
	Value       json.RawMessage `json:"value"`
	FieldFormat string          `json:"field_format"`
}

type asset struct {
	ID              int                    `json:"id"`
	Name            string                 `json:"name"`
	AssetTag        string                 `json:"asset_tag"`
	Serial          string                 `json:"serial"`
	Model           *named                 `json:"model"`
	Byod            bool                   `json:"byod"`
	StatusLabel     *statusLabel           `json:"status_label"`
	Category        *named                 `json:"category"`
	Manufacturer    *named                 `json:"manufacturer"`
	Company         *named                 `json:"company"`
	Location        *named                 `json:"location"`
	RTDLocation     *named                 `json:"rtd_location"`
	AssignedTo      *assignee              `json:"assigned_to"`
	WarrantyExpires *dateValue             `json:"warranty_expires"`
	DeletedAt       *dateValue             `json:"deleted_at"`
	CustomFields    map[string]customField `json:"custom_fields"`
}

type location struct {
	ID      int    `json:"id"`
	Name    string `json:"name"`
	Company *named `json:"company"`
}

func id(n int) string { return strconv.Itoa(n) }

// siteRecord maps a location.
func siteRecord(l location) record.Record {
	attrs := map[string]string{
		record.AttrName:           l.Name,
		record.AttrSourceSiteID:   id(l.ID),
		record.AttrSourceSiteName: l.Name,
	}
	if l.Company != nil {
		attrs[record.AttrSourceOrgID] = id(l.Company.ID)
		attrs[record.AttrSourceOrgName] = l.Company.Name
	}
	return record.Record{Kind: record.KindSite, ID: id(l.ID), Attrs: attrs}
}

// assetRecord maps a hardware asset. deleted says it came from the
// listing of soft-deleted assets.
func (s *Source) assetRecord(a asset, deleted bool) record.Record {
	attrs := map[string]string{}
	set := func(k, v string) {
		if v = strings.TrimSpace(v); v != "" {
			attrs[k] = v
		}
	}
	set(record.AttrName, a.Name)
	if a.Name == "" {
		set(record.AttrName, a.AssetTag)
	}
	set(record.AttrCustomPrefix+"asset_tag", a.AssetTag)
	set(record.AttrSerial, a.Serial)
	if a.Manufacturer != nil {
		set(record.AttrManufacturer, a.Manufacturer.Name)
	}
	if a.Model != nil {
		set(record.AttrModel, a.Model.Name)
	}
	category := ""
	if a.Category != nil {
		category = a.Category.Name
		set(record.AttrCustomPrefix+"category", category)
	}
	attrs[record.AttrAssetType] = assetType(category)
	if a.Byod {
		attrs[record.AttrOwnerType] = "personal"
	} else {
		attrs[record.AttrOwnerType] = "company"
	}
	if a.AssignedTo != nil && a.AssignedTo.Type == "user" {
		user := a.AssignedTo.Email
		if user == "" {
			user = a.AssignedTo.Username
		}
		set(record.AttrPrimaryUser, user)
	}
	if a.WarrantyExpires != nil {
		set(record.AttrWarranty, a.WarrantyExpires.Date)
	}
	if a.Company != nil {
		set(record.AttrSourceOrgID, id(a.Company.ID))
		set(record.AttrSourceOrgName, a.Company.Name)
	}
	loc := a.Location
	if loc == nil {
		loc = a.RTDLocation
	}
	if loc != nil {
		set(record.AttrSourceSiteID, id(loc.ID))
		set(record.AttrSourceSiteName, loc.Name)
	}
	if a.StatusLabel != nil {
		set(record.AttrCustomPrefix+"status", a.StatusLabel.Name)
	}

	// Custom fields, by label; the mapped ones also feed their attribute,
	// and MAC/IP formatted fields feed the address lists unless mapped.
	labels := make([]string, 0, len(a.CustomFields))
	for label := range a.CustomFields {
		labels = append(labels, label)
	}
	slices.Sort(labels)
	mapped := map[string]string{}
	for attr, label := range s.fieldMap {
		mapped[label] = attr
	}
	var macs, ips []string
	for _, label := range labels {
		f := a.CustomFields[label]
		v := fieldValue(f.Value)
		set(record.AttrCustomPrefix+label, v)
		if v == "" {
			continue
		}
		if attr, ok := mapped[label]; ok {
			set(attr, normaliseMapped(attr, v))
			continue
		}
		switch strings.ToUpper(f.FieldFormat) {
		case "MAC":
			macs = append(macs, v)
		case "IP":
			ips = append(ips, v)
		}
	}
	if _, ok := s.fieldMap[record.AttrMACs]; !ok && len(macs) > 0 {
		attrs[record.AttrMACs] = strings.Join(macs, ",")
	}
	if _, ok := s.fieldMap[record.AttrIPs]; !ok && len(ips) > 0 {
		attrs[record.AttrIPs] = strings.Join(ips, ",")
	}

	rec := record.Record{Kind: record.KindAsset, ID: id(a.ID), Attrs: attrs}
	switch {
	case deleted || a.DeletedAt != nil:
		rec.State, rec.Reason = record.Disabled, "deleted"
	case a.StatusLabel != nil && slices.Contains(s.retired, a.StatusLabel.StatusType):
		rec.State, rec.Reason = record.Disabled, a.StatusLabel.Name
	}
	return rec
}

// fieldValue reads a custom field value: a string, a number, or null.
func fieldValue(raw json.RawMessage) string {
	if len(raw) == 0 || string(raw) == "null" {
		return ""
	}
	var s string
	if json.Unmarshal(raw, &s) == nil {
		return s
	}
	return string(raw)
}

// normaliseMapped brings a mapped custom field into the attribute's form:
// lists comma-separated without spaces, times RFC 3339 UTC, booleans
// true/false.
func normaliseMapped(attr, v string) string {
	switch attr {
	case record.AttrMACs, record.AttrIPs:
		parts := strings.FieldsFunc(v, func(r rune) bool { return r == ',' || r == ';' || r == ' ' || r == '\n' })
		return strings.Join(parts, ",")
	case record.AttrLastSeen:
		for _, layout := range []string{time.RFC3339, time.DateTime, time.DateOnly} {
			if t, err := time.Parse(layout, v); err == nil {
				return t.UTC().Format(time.RFC3339)
			}
		}
	case record.AttrEncrypted:
		switch strings.ToLower(v) {
		case "1", "yes", "true", "on", "encrypted":
			return "true"
		case "0", "no", "false", "off", "not encrypted":
			return "false"
		}
	}
	return v
}

// assetType maps a category name onto the platform's asset types. Snipe-IT
// categories are named by each instance, so this goes by words.
func assetType(category string) string {
	c := strings.ToLower(category)
	has := func(words ...string) bool {
		for _, w := range words {
			if strings.Contains(c, w) {
				return true
			}
		}
		return false
	}
	switch {
	case c == "":
		return "other"
	case has("virtual", " vm", "vm "), c == "vm" || c == "vms":
		return "virtual_machine"
	case has("laptop", "notebook", "macbook", "ultrabook"):
		return "laptop"
	case has("server"):
		return "server"
	case has("phone", "mobile", "tablet", "ipad", "smartphone"):
		return "mobile"
	case has("printer", "scanner", "copier", "mfp", "plotter"):
		return "printer"
	case has("switch", "router", "firewall", "access point", "network", "wlan", "wifi", "gateway", "modem"):
		return "network_device"
	case has("desktop", "workstation", "computer", "pc", "imac", "thin client"):
		return "workstation"
	}
	return "other"
}
