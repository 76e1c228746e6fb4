package cwautomate

import (
	"encoding/json"
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/integrator-oss/integrator/internal/record"
)

// ref is the {Id, Name} of a client or location inside another object.
type ref struct {
	ID   json.Number `json:"Id"`
	Name string      `json:"Name"`
}

// locationItem is one location of /locations.
type locationItem struct {
	ID     json.Number `json:"Id"`
	Name   string      `json:"Name"`
	Client ref         `json:"Client"`
}

func (l locationItem) record(clients map[string]string) (record.Record, error) {
	if l.ID == "" {
		return record.Record{}, fmt.Errorf("location %q has no Id", l.Name)
	}
	clientName := l.Client.Name
	if clientName == "" {
		clientName = clients[l.Client.ID.String()]
	}
	attrs := map[string]string{
		record.AttrName:           l.Name,
		record.AttrSourceSiteID:   l.ID.String(),
		record.AttrSourceSiteName: l.Name,
	}
	if l.Client.ID != "" {
		attrs[record.AttrSourceOrgID] = l.Client.ID.String()
		attrs[record.AttrSourceOrgName] = clientName
	}
	return record.Record{Kind: record.KindSite, ID: l.ID.String(), Attrs: attrs}, nil
}

// computerItem is one computer of /computers, field names as Automate
// sends them.
type computerItem struct {
	ID                     json.Number `json:"Id"`
	Client                 ref         `json:"Client"`
	Location               ref         `json:"Location"`
	ComputerName           string      `json:"ComputerName"`
	OperatingSystemName    string      `json:"OperatingSystemName"`
	OperatingSystemVersion string      `json:"OperatingSystemVersion"`
	DomainName             string      `json:"DomainName"`
	RemoteAgentLastContact string      `json:"RemoteAgentLastContact"`
	Status                 string      `json:"Status"`
	Type                   string      `json:"Type"`
	IsVirtualMachine       bool        `json:"IsVirtualMachine"`
	SerialNumber           string      `json:"SerialNumber"`
	MACAddress             string      `json:"MACAddress"`
	LocalIPAddress         string      `json:"LocalIPAddress"`
	AssetTag               string      `json:"AssetTag"`
	BiosManufacturer       string      `json:"BiosManufacturer"`
	Model                  string      `json:"Model"`
	TotalMemory            json.Number `json:"TotalMemory"`
	LastUserName           string      `json:"LastUserName"`
	LoggedInUsers          []struct {
		LoggedInUserName string `json:"LoggedInUserName"`
	} `json:"LoggedInUsers"`
	WarrantyEndDate *string `json:"WarrantyEndDate"`
	Comment         string  `json:"Comment"`
}

// parseTime reads Automate's timestamps: the server's local time without a
// zone ("2024-05-02T08:15:00", fractions allowed), or with one.
func parseTime(s string, loc *time.Location) (time.Time, bool) {
	s = strings.TrimSpace(s)
	if s == "" || strings.HasPrefix(s, "0001-01-01") {
		return time.Time{}, false
	}
	if t, err := time.Parse(time.RFC3339Nano, s); err == nil {
		return t, true
	}
	for _, layout := range []string{"2006-01-02T15:04:05.999999999", "2006-01-02 15:04:05", "2006-01-02"} {
		if t, err := time.ParseInLocation(layout, s, loc); err == nil {
			return t, true
		}
	}
	return time.Time{}, false
}

// assetType maps IsVirtualMachine and Type (Workstation, Server, ...).
func (c computerItem) assetType() string {
	if c.IsVirtualMachine {
		return "virtual_machine"
	}
	t := strings.ToLower(c.Type)
	switch {
	case strings.Contains(t, "server"):
		return "server"
	case strings.Contains(t, "laptop"), strings.Contains(t, "notebook"):
		return "laptop"
	case strings.Contains(t, "workstation"), strings.Contains(t, "desktop"):
		return "workstation"
	}
	return "other"
}

func (c computerItem) record(loc *time.Location) (record.Record, error) {
	if c.ID == "" {
		return record.Record{}, fmt.Errorf("computer %q has no Id", c.ComputerName)
	}
	attrs := map[string]string{
		record.AttrName:      c.ComputerName,
		record.AttrHostname:  c.ComputerName,
		record.AttrAssetType: c.assetType(),
		record.AttrOnline:    strconv.FormatBool(strings.EqualFold(c.Status, "Online")),
	}
	set := func(k, v string) {
		if v = strings.TrimSpace(v); v != "" {
			attrs[k] = v
		}
	}
	set(record.AttrSerial, c.SerialNumber)
	set(record.AttrManufacturer, c.BiosManufacturer)
	set(record.AttrModel, c.Model)
	set(record.AttrOS, c.OperatingSystemName)
	set(record.AttrOSVersion, c.OperatingSystemVersion)
	set(record.AttrMACs, c.MACAddress)
	set(record.AttrIPs, c.LocalIPAddress)
	user := c.LastUserName
	if strings.TrimSpace(user) == "" && len(c.LoggedInUsers) > 0 {
		user = c.LoggedInUsers[0].LoggedInUserName
	}
	set(record.AttrLastLoggedOnUser, user)
	if t, ok := parseTime(c.RemoteAgentLastContact, loc); ok {
		attrs[record.AttrLastSeen] = t.UTC().Format(time.RFC3339)
	}
	if c.WarrantyEndDate != nil {
		if t, ok := parseTime(*c.WarrantyEndDate, loc); ok {
			attrs[record.AttrWarranty] = t.Format("2006-01-02")
		}
	}
	if n, err := c.TotalMemory.Int64(); err == nil && n > 0 {
		attrs[record.AttrMemoryMB] = strconv.FormatInt(n, 10)
	}
	if c.Client.ID != "" {
		attrs[record.AttrSourceOrgID] = c.Client.ID.String()
		set(record.AttrSourceOrgName, c.Client.Name)
	}
	if c.Location.ID != "" {
		attrs[record.AttrSourceSiteID] = c.Location.ID.String()
		set(record.AttrSourceSiteName, c.Location.Name)
	}
	set(record.AttrCustomPrefix+"domain", c.DomainName)
	set(record.AttrCustomPrefix+"asset_tag", c.AssetTag)
	set(record.AttrCustomPrefix+"comment", c.Comment)
	return record.Record{Kind: record.KindAsset, ID: c.ID.String(), Attrs: attrs}, nil
}
