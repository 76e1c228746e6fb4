package ninjaone

import (
	"cmp"
	"encoding/json"
	"fmt"
	"math"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/integrator-oss/integrator/internal/record"
)

// device is one entry of /v2/devices-detailed.
type device struct {
	ID             int                        `json:"id"`
	OrganizationID int                        `json:"organizationId"`
	LocationID     int                        `json:"locationId"`
	NodeClass      string                     `json:"nodeClass"`
	ApprovalStatus string                     `json:"approvalStatus"`
	Offline        *bool                      `json:"offline"`
	DisplayName    string                     `json:"displayName"`
	SystemName     string                     `json:"systemName"`
	DNSName        string                     `json:"dnsName"`
	NetbiosName    string                     `json:"netbiosName"`
	LastContact    float64                    `json:"lastContact"`
	IPAddresses    []string                   `json:"ipAddresses"`
	MACAddresses   []string                   `json:"macAddresses"`
	Fields         map[string]json.RawMessage `json:"fields"`
	References     struct {
		Warranty *struct {
			EndDate float64 `json:"endDate"`
		} `json:"warranty"`
	} `json:"references"`
}

type computerSystem struct {
	DeviceID            int     `json:"deviceId"`
	Manufacturer        string  `json:"manufacturer"`
	Model               string  `json:"model"`
	SerialNumber        string  `json:"serialNumber"`
	BIOSSerialNumber    string  `json:"biosSerialNumber"`
	NumberOfProcessors  int     `json:"numberOfProcessors"`
	TotalPhysicalMemory float64 `json:"totalPhysicalMemory"`
	VirtualMachine      bool    `json:"virtualMachine"`
	ChassisType         string  `json:"chassisType"`
}

type operatingSystem struct {
	DeviceID    int    `json:"deviceId"`
	Name        string `json:"name"`
	BuildNumber string `json:"buildNumber"`
	ReleaseID   string `json:"releaseId"`
}

type networkInterface struct {
	DeviceID   int      `json:"deviceId"`
	MACAddress []string `json:"macAddress"`
	IPAddress  []string `json:"ipAddress"`
}

type loggedOnUser struct {
	DeviceID  int     `json:"deviceId"`
	UserName  string  `json:"userName"`
	LogonTime float64 `json:"logonTime"`
}

type softwareItem struct {
	DeviceID  int    `json:"deviceId"`
	Name      string `json:"name"`
	Version   string `json:"version"`
	Publisher string `json:"publisher"`
}

// inventory is one organisation's query results by device ID.
type inventory struct {
	systems  map[int]computerSystem
	os       map[int]operatingSystem
	nics     map[int][]networkInterface
	users    map[int]loggedOnUser
	software map[int][]softwareItem
}

func newInventory() *inventory {
	return &inventory{
		systems:  map[int]computerSystem{},
		os:       map[int]operatingSystem{},
		nics:     map[int][]networkInterface{},
		users:    map[int]loggedOnUser{},
		software: map[int][]softwareItem{},
	}
}

// siteRecord maps a location to a site of its organisation.
func siteRecord(l location, orgName string) record.Record {
	id := strconv.Itoa(l.ID)
	org := strconv.Itoa(l.OrganizationID)
	return record.Record{Kind: record.KindSite, ID: id, State: record.Present, Attrs: map[string]string{
		record.AttrName:           l.Name,
		record.AttrSourceOrgID:    org,
		record.AttrSourceOrgName:  orgName,
		record.AttrSourceSiteID:   id,
		record.AttrSourceSiteName: l.Name,
	}}
}

// epochTime reads NinjaOne's epoch seconds (a double) as RFC 3339 UTC.
func epochTime(v float64) string {
	if v <= 0 || math.IsNaN(v) || math.IsInf(v, 0) {
		return ""
	}
	sec, frac := math.Modf(v)
	return time.Unix(int64(sec), int64(frac*1e9)).UTC().Truncate(time.Second).Format(time.RFC3339)
}

// record maps a device and its inventory to an asset record.
func (d *device) record(orgs map[int]string, locs map[int]location, inv *inventory) (record.Record, error) {
	if d.ID <= 0 {
		return record.Record{}, fmt.Errorf("a device without an id")
	}
	a := map[string]string{}
	set := func(k, v string) {
		if v = strings.TrimSpace(v); v != "" {
			a[k] = v
		}
	}
	set(record.AttrName, firstNonEmpty(d.DisplayName, d.SystemName, d.DNSName))
	set(record.AttrHostname, firstNonEmpty(d.SystemName, d.NetbiosName, hostOf(d.DNSName)))
	cs, hasCS := inv.systems[d.ID]
	if hasCS {
		set(record.AttrSerial, firstNonEmpty(cs.SerialNumber, cs.BIOSSerialNumber))
		set(record.AttrManufacturer, cs.Manufacturer)
		set(record.AttrModel, cs.Model)
		if cs.TotalPhysicalMemory > 0 {
			a[record.AttrMemoryMB] = strconv.FormatInt(int64(cs.TotalPhysicalMemory)/(1<<20), 10)
		}
		if cs.NumberOfProcessors > 0 {
			a[record.AttrCPU] = strconv.Itoa(cs.NumberOfProcessors) + " processor(s)"
		}
	}
	a[record.AttrAssetType] = assetType(d.NodeClass, cs.ChassisType, cs.VirtualMachine)
	if os, ok := inv.os[d.ID]; ok {
		set(record.AttrOS, os.Name)
		set(record.AttrOSVersion, firstNonEmpty(os.BuildNumber, os.ReleaseID))
	}
	macs, ips := slices.Clone(d.MACAddresses), slices.Clone(d.IPAddresses)
	for _, n := range inv.nics[d.ID] {
		macs = append(macs, n.MACAddress...)
		ips = append(ips, n.IPAddress...)
	}
	set(record.AttrMACs, strings.Join(unique(macs), ","))
	set(record.AttrIPs, strings.Join(unique(ips), ","))
	if u, ok := inv.users[d.ID]; ok {
		set(record.AttrLastLoggedOnUser, u.UserName)
	}
	set(record.AttrLastSeen, epochTime(d.LastContact))
	if d.Offline != nil {
		a[record.AttrOnline] = strconv.FormatBool(!*d.Offline)
	}
	if w := d.References.Warranty; w != nil {
		set(record.AttrWarranty, epochTime(w.EndDate))
	}
	if sw := inv.software[d.ID]; len(sw) > 0 {
		b, err := softwareJSON(sw)
		if err != nil {
			return record.Record{}, err
		}
		a[record.AttrSoftware] = b
	}
	set(record.AttrSourceOrgID, strconv.Itoa(d.OrganizationID))
	set(record.AttrSourceOrgName, orgs[d.OrganizationID])
	if d.LocationID > 0 {
		set(record.AttrSourceSiteID, strconv.Itoa(d.LocationID))
		set(record.AttrSourceSiteName, locs[d.LocationID].Name)
	}
	for name, raw := range d.Fields {
		set(record.AttrCustomPrefix+name, fieldValue(raw))
	}
	return record.Record{Kind: record.KindAsset, ID: strconv.Itoa(d.ID), State: record.Present, Attrs: a}, nil
}

// softwareJSON is the software list as record.AttrSoftware wants it,
// sorted so that the same inventory always gives the same value.
func softwareJSON(items []softwareItem) (string, error) {
	type entry struct {
		Name      string `json:"name"`
		Version   string `json:"version"`
		Publisher string `json:"publisher"`
	}
	out := make([]entry, 0, len(items))
	for _, s := range items {
		out = append(out, entry{s.Name, s.Version, s.Publisher})
	}
	slices.SortFunc(out, func(a, b entry) int {
		return cmp.Or(cmp.Compare(a.Name, b.Name), cmp.Compare(a.Version, b.Version), cmp.Compare(a.Publisher, b.Publisher))
	})
	out = slices.Compact(out)
	b, err := json.Marshal(out)
	return string(b), err
}

// fieldValue renders a custom field's JSON value: strings as they are,
// anything else as its JSON text; null as empty.
func fieldValue(raw json.RawMessage) string {
	var s string
	if json.Unmarshal(raw, &s) == nil {
		return s
	}
	if string(raw) == "null" {
		return ""
	}
	return string(raw)
}

// assetType maps NinjaOne's node class (and the computer system's chassis
// and VM flag) to the platform's asset types.
func assetType(nodeClass, chassis string, vm bool) string {
	c := strings.ToUpper(nodeClass)
	switch {
	case strings.Contains(c, "VM_GUEST") || strings.HasSuffix(c, "_VM") || c == "CLOUD_MONITOR_TARGET" && vm:
		return "virtual_machine"
	case strings.HasPrefix(c, "NMS_PRINTER"):
		return "printer"
	case strings.HasPrefix(c, "NMS_"):
		return "network_device"
	case c == "ANDROID" || c == "APPLE_IOS" || c == "APPLE_IPADOS":
		return "mobile"
	case vm:
		return "virtual_machine"
	case strings.HasSuffix(c, "_SERVER") || strings.Contains(c, "HYPERV") || strings.Contains(c, "VMWARE_VM_HOST"):
		return "server"
	case c == "WINDOWS_WORKSTATION" || c == "MAC" || c == "LINUX_WORKSTATION":
		switch strings.ToUpper(chassis) {
		case "LAPTOP", "NOTEBOOK", "PORTABLE", "SUB_NOTEBOOK", "HAND_HELD":
			return "laptop"
		}
		return "workstation"
	}
	return "other"
}

func hostOf(dns string) string {
	host, _, _ := strings.Cut(dns, ".")
	return host
}

func unique(vs []string) []string {
	seen := make(map[string]bool, len(vs))
	out := vs[:0]
	for _, v := range vs {
		v = strings.TrimSpace(v)
		k := strings.ToUpper(v)
		if v == "" || seen[k] {
			continue
		}
		seen[k] = true
		out = append(out, v)
	}
	return out
}
