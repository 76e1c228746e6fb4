package datto

import (
	"cmp"
	"encoding/json"
	"fmt"
	"math"
	"regexp"
	"slices"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/integrator-oss/integrator/internal/record"
)

// siteItem is one site of /account/sites.
type siteItem struct {
	ID                  int64  `json:"id"`
	UID                 string `json:"uid"`
	Name                string `json:"name"`
	Description         string `json:"description"`
	AutotaskCompanyName string `json:"autotaskCompanyName"`
	AutotaskCompanyID   string `json:"autotaskCompanyId"`
}

func (s siteItem) record() (record.Record, error) {
	if s.UID == "" {
		return record.Record{}, fmt.Errorf("site %d has no uid", s.ID)
	}
	// A Datto site is one customer of the MSP (Datto has nothing above
	// sites): it is the organisation the mapping table places at a
	// platform client, by its PSA company name when it has one.
	attrs := map[string]string{
		record.AttrName:           s.Name,
		record.AttrSourceSiteID:   s.UID,
		record.AttrSourceSiteName: s.Name,
		record.AttrSourceOrgID:    s.UID,
		record.AttrSourceOrgName:  cmp.Or(s.AutotaskCompanyName, s.Name),
	}
	setNonEmpty(attrs, record.AttrCustomPrefix+"description", s.Description)
	setNonEmpty(attrs, record.AttrCustomPrefix+"autotask_company_name", s.AutotaskCompanyName)
	setNonEmpty(attrs, record.AttrCustomPrefix+"autotask_company_id", s.AutotaskCompanyID)
	return record.Record{Kind: record.KindSite, ID: s.UID, Attrs: attrs}, nil
}

// deviceItem is one device of /account/devices. Datto sends timestamps as
// epoch milliseconds.
type deviceItem struct {
	ID         int64  `json:"id"`
	UID        string `json:"uid"`
	SiteUID    string `json:"siteUid"`
	SiteName   string `json:"siteName"`
	DeviceType struct {
		Category string `json:"category"`
		Type     string `json:"type"`
	} `json:"deviceType"`
	Hostname         string             `json:"hostname"`
	IntIPAddress     string             `json:"intIpAddress"`
	ExtIPAddress     string             `json:"extIpAddress"`
	OperatingSystem  string             `json:"operatingSystem"`
	LastLoggedInUser string             `json:"lastLoggedInUser"`
	Domain           string             `json:"domain"`
	Description      string             `json:"description"`
	Online           bool               `json:"online"`
	Suspended        bool               `json:"suspended"`
	Deleted          bool               `json:"deleted"`
	LastSeen         *epochMillis       `json:"lastSeen"`
	LastAuditDate    *epochMillis       `json:"lastAuditDate"`
	UDF              map[string]*string `json:"udf"`
	DeviceClass      string             `json:"deviceClass"`
	WarrantyDate     *string            `json:"warrantyDate"`
}

// epochMillis reads Datto's epoch-millisecond timestamps; it also accepts
// the RFC 3339 strings the OpenAPI document promises.
type epochMillis int64

func (m *epochMillis) UnmarshalJSON(b []byte) error {
	s := strings.TrimSpace(string(b))
	if s == "null" {
		return nil
	}
	if n, err := strconv.ParseFloat(s, 64); err == nil {
		*m = epochMillis(n)
		return nil
	}
	var str string
	if err := json.Unmarshal(b, &str); err != nil {
		return fmt.Errorf("timestamp %s is neither epoch milliseconds nor a string", s)
	}
	t, err := time.Parse(time.RFC3339, str)
	if err != nil {
		return fmt.Errorf("timestamp %q: %w", str, err)
	}
	*m = epochMillis(t.UnixMilli())
	return nil
}

func (m *epochMillis) millis() int64 {
	if m == nil {
		return 0
	}
	return int64(*m)
}

func (m *epochMillis) rfc3339() string {
	if m == nil || *m == 0 {
		return ""
	}
	return time.UnixMilli(int64(*m)).UTC().Format(time.RFC3339)
}

// auditPath is the audit endpoint of the device's class, "" for classes
// without one (network devices, unknown) and for deleted devices, which
// keep what was last known.
func (d deviceItem) auditPath() string {
	if d.Deleted {
		return ""
	}
	switch strings.ToLower(d.DeviceClass) {
	case "device":
		return "/api/v2/audit/device/"
	case "esxihost":
		return "/api/v2/audit/esxihost/"
	case "printer":
		return "/api/v2/audit/printer/"
	}
	return ""
}

// auditItem is /audit/device/{uid}, /audit/esxihost/{uid} or
// /audit/printer/{uid}: the three share systemInfo and nics, and each
// keeps its serial number somewhere else.
type auditItem struct {
	SystemInfo struct {
		Manufacturer        string `json:"manufacturer"`
		Model               string `json:"model"`
		TotalPhysicalMemory int64  `json:"totalPhysicalMemory"`
		// ServiceTag is an ESXi host's serial number.
		ServiceTag string `json:"serviceTag"`
	} `json:"systemInfo"`
	BIOS struct {
		SerialNumber string `json:"serialNumber"`
	} `json:"bios"`
	// SNMPInfo.SNMPSerial is a printer's serial number.
	SNMPInfo struct {
		SNMPSerial string `json:"snmpSerial"`
	} `json:"snmpInfo"`
	PhysicalMemory []struct {
		Size int64 `json:"size"`
	} `json:"physicalMemory"`
	// Datastores are an ESXi host's disks.
	Datastores []struct {
		Name      string `json:"datastoreName"`
		Size      int64  `json:"size"`
		FreeSpace int64  `json:"freeSpace"`
	} `json:"datastores"`
	NICs []struct {
		IPv4       string `json:"ipv4"`
		MACAddress string `json:"macAddress"`
	} `json:"nics"`
	LogicalDisks []struct {
		DiskIdentifier string `json:"diskIdentifier"`
		Size           int64  `json:"size"`
		FreeSpace      int64  `json:"freespace"`
	} `json:"logicalDisks"`
	Processors []struct {
		Name string `json:"name"`
	} `json:"processors"`
}

type diskJSON struct {
	Name   string  `json:"name"`
	SizeGB float64 `json:"size_gb"`
	FreeGB float64 `json:"free_gb"`
}

func gib(b int64) float64 { return math.Round(float64(b)/(1<<30)*10) / 10 }

func (a auditItem) data() auditData {
	d := auditData{
		Serial: cmp.Or(strings.TrimSpace(a.BIOS.SerialNumber), strings.TrimSpace(a.SystemInfo.ServiceTag),
			strings.TrimSpace(a.SNMPInfo.SNMPSerial)),
		Manufacturer: strings.TrimSpace(a.SystemInfo.Manufacturer),
		Model:        strings.TrimSpace(a.SystemInfo.Model),
		MemoryMB:     a.SystemInfo.TotalPhysicalMemory >> 20,
	}
	if d.MemoryMB == 0 {
		var total int64
		for _, m := range a.PhysicalMemory {
			total += m.Size
		}
		d.MemoryMB = total >> 20
	}
	var macs, ips []string
	for _, n := range a.NICs {
		if m := strings.TrimSpace(n.MACAddress); m != "" && !slices.Contains(macs, m) {
			macs = append(macs, m)
		}
		if ip := strings.TrimSpace(n.IPv4); ip != "" && !slices.Contains(ips, ip) {
			ips = append(ips, ip)
		}
	}
	d.MACs, d.IPs = strings.Join(macs, ","), strings.Join(ips, ",")
	if len(a.Processors) > 0 {
		d.CPU = strings.TrimSpace(a.Processors[0].Name)
	}
	var disks []diskJSON
	for _, k := range a.LogicalDisks {
		disks = append(disks, diskJSON{Name: k.DiskIdentifier, SizeGB: gib(k.Size), FreeGB: gib(k.FreeSpace)})
	}
	for _, k := range a.Datastores {
		disks = append(disks, diskJSON{Name: k.Name, SizeGB: gib(k.Size), FreeGB: gib(k.FreeSpace)})
	}
	if len(disks) > 0 {
		b, _ := json.Marshal(disks)
		d.Disks = string(b)
	}
	return d
}

// osVersion takes the version at the end of Datto's operatingSystem
// ("Microsoft Windows 11 Pro 10.0.22631" → "10.0.22631").
var osVersion = regexp.MustCompile(`\s(\d+(?:\.\d+)+)\s*$`)

var virtualHints = []string{"virtual machine", "vmware", "virtualbox", "kvm", "qemu", "xen", "hvm domu", "parallels"}

// assetType maps deviceClass, deviceType.category and the audited model to
// the platform's asset types.
func assetType(d deviceItem, a *auditData) string {
	switch strings.ToLower(d.DeviceClass) {
	case "printer":
		return "printer"
	case "rmmnetworkdevice":
		return "network_device"
	case "esxihost":
		return "server"
	}
	if a != nil {
		hw := strings.ToLower(a.Manufacturer + " " + a.Model)
		for _, h := range virtualHints {
			if strings.Contains(hw, h) {
				return "virtual_machine"
			}
		}
	}
	cat := strings.ToLower(d.DeviceType.Category + " " + d.DeviceType.Type)
	switch {
	case strings.Contains(cat, "laptop"), strings.Contains(cat, "notebook"):
		return "laptop"
	case strings.Contains(cat, "server"), strings.Contains(cat, "esxi"):
		return "server"
	case strings.Contains(cat, "desktop"), strings.Contains(cat, "workstation"):
		return "workstation"
	case strings.Contains(cat, "mobile"), strings.Contains(cat, "tablet"), strings.Contains(cat, "phone"):
		return "mobile"
	case strings.Contains(cat, "printer"):
		return "printer"
	case strings.Contains(cat, "network"), strings.Contains(cat, "switch"), strings.Contains(cat, "router"), strings.Contains(cat, "firewall"):
		return "network_device"
	case strings.Contains(cat, "virtual"):
		return "virtual_machine"
	}
	return "other"
}

// record maps a device and what its latest audit said (nil when none is
// known) onto an asset record.
func (d deviceItem) record(a *auditData) (record.Record, error) {
	if d.UID == "" {
		return record.Record{}, fmt.Errorf("device %d has no uid", d.ID)
	}
	attrs := map[string]string{
		record.AttrName:           d.Hostname,
		record.AttrHostname:       d.Hostname,
		record.AttrAssetType:      assetType(d, a),
		record.AttrOnline:         strconv.FormatBool(d.Online),
		record.AttrSourceSiteID:   d.SiteUID,
		record.AttrSourceSiteName: d.SiteName,
		record.AttrSourceOrgID:    d.SiteUID,
		record.AttrSourceOrgName:  d.SiteName,
	}
	setNonEmpty(attrs, record.AttrOS, d.OperatingSystem)
	if m := osVersion.FindStringSubmatch(d.OperatingSystem); m != nil {
		attrs[record.AttrOSVersion] = m[1]
	}
	setNonEmpty(attrs, record.AttrLastLoggedOnUser, d.LastLoggedInUser)
	setNonEmpty(attrs, record.AttrLastSeen, d.LastSeen.rfc3339())
	if d.WarrantyDate != nil {
		setNonEmpty(attrs, record.AttrWarranty, *d.WarrantyDate)
	}
	ips := []string{}
	if ip := strings.TrimSpace(d.IntIPAddress); ip != "" {
		ips = append(ips, ip)
	}
	if a != nil {
		setNonEmpty(attrs, record.AttrSerial, a.Serial)
		setNonEmpty(attrs, record.AttrManufacturer, a.Manufacturer)
		setNonEmpty(attrs, record.AttrModel, a.Model)
		setNonEmpty(attrs, record.AttrMACs, a.MACs)
		setNonEmpty(attrs, record.AttrCPU, a.CPU)
		setNonEmpty(attrs, record.AttrDisks, a.Disks)
		if a.MemoryMB > 0 {
			attrs[record.AttrMemoryMB] = strconv.FormatInt(a.MemoryMB, 10)
		}
		for ip := range strings.SplitSeq(a.IPs, ",") {
			if ip != "" && !slices.Contains(ips, ip) {
				ips = append(ips, ip)
			}
		}
	}
	if len(ips) > 0 {
		attrs[record.AttrIPs] = strings.Join(ips, ",")
	}
	setNonEmpty(attrs, record.AttrCustomPrefix+"domain", d.Domain)
	setNonEmpty(attrs, record.AttrCustomPrefix+"description", d.Description)
	setNonEmpty(attrs, record.AttrCustomPrefix+"external_ip", d.ExtIPAddress)
	udfs := make([]string, 0, len(d.UDF))
	for k, v := range d.UDF {
		if v != nil && strings.TrimSpace(*v) != "" {
			udfs = append(udfs, k)
		}
	}
	sort.Strings(udfs)
	for _, k := range udfs {
		attrs[record.AttrCustomPrefix+k] = *d.UDF[k]
	}
	rec := record.Record{Kind: record.KindAsset, ID: d.UID, Attrs: attrs}
	switch {
	case d.Deleted:
		rec.State, rec.Reason = record.Disabled, "deleted"
	case d.Suspended:
		rec.State, rec.Reason = record.Disabled, "suspended"
	}
	return rec, nil
}

func setNonEmpty(m map[string]string, k, v string) {
	if v = strings.TrimSpace(v); v != "" {
		m[k] = v
	}
}
