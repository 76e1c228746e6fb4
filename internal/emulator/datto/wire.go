package datto

import (
	"fmt"
	"time"
)

// The JSON shapes of the API, field names as Datto sends them.

type siteJSON struct {
	ID                   int64          `json:"id"`
	UID                  string         `json:"uid"`
	AccountUID           string         `json:"accountUid"`
	Name                 string         `json:"name"`
	Description          string         `json:"description"`
	Notes                string         `json:"notes"`
	OnDemand             bool           `json:"onDemand"`
	SplashtopAutoInstall bool           `json:"splashtopAutoInstall"`
	Proxy                any            `json:"proxy"`
	DevicesStatus        map[string]int `json:"devicesStatus"`
	AutotaskCompanyName  string         `json:"autotaskCompanyName"`
	AutotaskCompanyID    string         `json:"autotaskCompanyId"`
	PortalURL            string         `json:"portalUrl"`
}

func siteWire(s *Site, counts [2]int) siteJSON {
	return siteJSON{
		ID: s.ID, UID: s.UID, AccountUID: "emulated-account", Name: s.Name, Description: s.Description,
		Notes: s.Notes, OnDemand: s.OnDemand,
		DevicesStatus: map[string]int{
			"numberOfDevices": counts[0], "numberOfOnlineDevices": counts[1], "numberOfOfflineDevices": counts[0] - counts[1],
		},
		AutotaskCompanyName: s.AutotaskCompanyName, AutotaskCompanyID: s.AutotaskCompanyID,
		PortalURL: "https://emulated.centrastage.net/csm/site/" + s.UID,
	}
}

type deviceJSON struct {
	ID               int64              `json:"id"`
	UID              string             `json:"uid"`
	SiteID           int64              `json:"siteId"`
	SiteUID          string             `json:"siteUid"`
	SiteName         string             `json:"siteName"`
	DeviceType       map[string]string  `json:"deviceType"`
	Hostname         string             `json:"hostname"`
	IntIPAddress     string             `json:"intIpAddress"`
	ExtIPAddress     string             `json:"extIpAddress"`
	OperatingSystem  string             `json:"operatingSystem"`
	LastLoggedInUser string             `json:"lastLoggedInUser"`
	Domain           string             `json:"domain"`
	Description      string             `json:"description"`
	A64Bit           bool               `json:"a64Bit"`
	Online           bool               `json:"online"`
	Suspended        bool               `json:"suspended"`
	Deleted          bool               `json:"deleted"`
	RebootRequired   bool               `json:"rebootRequired"`
	LastSeen         *int64             `json:"lastSeen"`
	LastReboot       *int64             `json:"lastReboot"`
	LastAuditDate    *int64             `json:"lastAuditDate"`
	CreationDate     *int64             `json:"creationDate"`
	UDF              map[string]*string `json:"udf"`
	SnmpEnabled      bool               `json:"snmpEnabled"`
	DeviceClass      string             `json:"deviceClass"`
	PortalURL        string             `json:"portalUrl"`
	WarrantyDate     *string            `json:"warrantyDate"`
	Antivirus        map[string]string  `json:"antivirus"`
	PatchManagement  map[string]any     `json:"patchManagement"`
	SoftwareStatus   string             `json:"softwareStatus"`
	WebRemoteURL     string             `json:"webRemoteUrl"`
}

func millis(t time.Time) *int64 {
	if t.IsZero() {
		return nil
	}
	ms := t.UnixMilli()
	return &ms
}

func deviceWire(d *Device, s *Site) deviceJSON {
	j := deviceJSON{
		ID: d.ID, UID: d.UID, SiteUID: d.SiteUID,
		DeviceType: map[string]string{"category": d.Category, "type": d.Type},
		Hostname:   d.Hostname, IntIPAddress: d.IntIPAddress, ExtIPAddress: d.ExtIPAddress,
		OperatingSystem: d.OperatingSystem, LastLoggedInUser: d.LastLoggedInUser, Domain: d.Domain,
		Description: d.Description, A64Bit: d.A64Bit, Online: d.Online, Suspended: d.Suspended,
		Deleted: d.Deleted, RebootRequired: d.RebootRequired,
		LastSeen: millis(d.LastSeen), LastReboot: millis(d.LastReboot),
		LastAuditDate: millis(d.LastAuditDate), CreationDate: millis(d.CreationDate),
		UDF:             make(map[string]*string, 30),
		DeviceClass:     d.Class,
		PortalURL:       "https://emulated.centrastage.net/csm/search?qs=uid%3A" + d.UID,
		WebRemoteURL:    "https://emulated.centrastage.net/csm/remote/rto/" + d.UID,
		Antivirus:       map[string]string{"antivirusProduct": "Windows Defender", "antivirusStatus": "RunningAndUpToDate"},
		PatchManagement: map[string]any{"patchStatus": "FullyPatched", "patchesApprovedPending": 0, "patchesNotApproved": 0, "patchesInstalled": 42},
		SoftwareStatus:  "Compliant",
	}
	if s != nil {
		j.SiteID, j.SiteName = s.ID, s.Name
	}
	for n := 1; n <= 30; n++ {
		j.UDF[fmt.Sprintf("udf%d", n)] = nil
	}
	for n, v := range d.UDF {
		j.UDF[fmt.Sprintf("udf%d", n)] = &v
	}
	if d.WarrantyDate != "" {
		w := d.WarrantyDate
		j.WarrantyDate = &w
	}
	return j
}

type auditJSON struct {
	PortalURL       string           `json:"portalUrl"`
	WebRemoteURL    string           `json:"webRemoteUrl"`
	SystemInfo      map[string]any   `json:"systemInfo"`
	NICs            []map[string]any `json:"nics"`
	BIOS            map[string]any   `json:"bios"`
	BaseBoard       map[string]any   `json:"baseBoard"`
	Displays        []map[string]any `json:"displays"`
	LogicalDisks    []map[string]any `json:"logicalDisks"`
	MobileInfo      []map[string]any `json:"mobileInfo"`
	Processors      []map[string]any `json:"processors"`
	VideoBoards     []map[string]any `json:"videoBoards"`
	AttachedDevices []map[string]any `json:"attachedDevices"`
	PhysicalMemory  []map[string]any `json:"physicalMemory"`
}

func auditWire(d *Device) auditJSON {
	a := d.Audit
	j := auditJSON{
		PortalURL:    "https://emulated.centrastage.net/csm/search?qs=uid%3A" + d.UID,
		WebRemoteURL: "https://emulated.centrastage.net/csm/remote/rto/" + d.UID,
		SystemInfo: map[string]any{
			"manufacturer": a.Manufacturer, "model": a.Model, "totalPhysicalMemory": a.TotalPhysicalMemory,
			"username": a.Username, "dotNetVersion": "4.8", "totalCpuCores": a.TotalCPUCores,
		},
		BIOS: map[string]any{
			"instance": "Default System BIOS", "releaseDate": d.CreationDate.UnixMilli(),
			"serialNumber": a.SerialNumber, "smBiosVersion": "3.3",
		},
		BaseBoard:       map[string]any{"manufacturer": a.Manufacturer, "product": a.Model, "serialNumber": "/" + a.SerialNumber + "/"},
		NICs:            []map[string]any{},
		LogicalDisks:    []map[string]any{},
		Processors:      []map[string]any{},
		Displays:        []map[string]any{},
		MobileInfo:      []map[string]any{},
		VideoBoards:     []map[string]any{},
		AttachedDevices: []map[string]any{},
		PhysicalMemory:  []map[string]any{{"module": "DIMM 0", "size": a.TotalPhysicalMemory, "speed": 3200}},
	}
	for _, n := range a.NICs {
		j.NICs = append(j.NICs, map[string]any{"instance": n.Instance, "ipv4": n.IPv4, "ipv6": n.IPv6, "macAddress": n.MACAddress, "type": n.Type})
	}
	for _, dk := range a.Disks {
		j.LogicalDisks = append(j.LogicalDisks, map[string]any{"diskIdentifier": dk.Identifier, "size": dk.Size, "freespace": dk.Free})
	}
	if a.Processor != "" {
		j.Processors = append(j.Processors, map[string]any{"name": a.Processor})
	}
	return j
}

// esxiAuditWire is GET /audit/esxihost/{uid}: the serial number is
// systemInfo.serviceTag, the disks are datastores.
func esxiAuditWire(d *Device) map[string]any {
	a := d.Audit
	nics := []map[string]any{}
	for _, n := range a.NICs {
		nics = append(nics, map[string]any{"name": n.Instance, "ipv4": n.IPv4, "ipv6": n.IPv6, "macAddress": n.MACAddress, "speed": "10000", "type": n.Type})
	}
	stores := []map[string]any{}
	for _, dk := range a.Disks {
		stores = append(stores, map[string]any{"datastoreName": dk.Identifier, "size": dk.Size, "freeSpace": dk.Free,
			"subscriptionPercent": 60, "fileSystem": "VMFS", "status": "normal", "dataExtents": []any{}})
	}
	procs := []map[string]any{}
	if a.Processor != "" {
		procs = append(procs, map[string]any{"name": a.Processor, "frequency": 2400, "numberOfCores": a.TotalCPUCores})
	}
	return map[string]any{
		"portalUrl": "https://emulated.centrastage.net/csm/search?qs=uid%3A" + d.UID,
		"systemInfo": map[string]any{"manufacturer": a.Manufacturer, "model": a.Model, "name": d.Hostname,
			"numberOfSnapshots": 0, "serviceTag": a.SerialNumber},
		"guests": []any{}, "processors": procs, "nics": nics, "datastores": stores,
		"physicalMemory": []map[string]any{{"module": "DIMM A1", "size": a.TotalPhysicalMemory / 2}, {"module": "DIMM B1", "size": a.TotalPhysicalMemory - a.TotalPhysicalMemory/2}},
	}
}

// printerAuditWire is GET /audit/printer/{uid}: the serial number is
// snmpInfo.snmpSerial.
func printerAuditWire(d *Device) map[string]any {
	a := d.Audit
	nics := []map[string]any{}
	for _, n := range a.NICs {
		nics = append(nics, map[string]any{"instance": n.Instance, "ipv4": n.IPv4, "ipv6": n.IPv6, "macAddress": n.MACAddress, "type": n.Type})
	}
	return map[string]any{
		"portalUrl": "https://emulated.centrastage.net/csm/search?qs=uid%3A" + d.UID,
		"snmpInfo": map[string]any{"snmpName": d.Hostname, "snmpContact": "", "snmpDescription": a.Manufacturer + " " + a.Model,
			"snmpLocation": "", "snmpUptime": "12 days", "nicManufacturer": a.Manufacturer, "objectId": "1.3.6.1.4.1.11.2.3.9.1", "snmpSerial": a.SerialNumber},
		"printerMarkerSupplies": []any{},
		"printer":               map[string]any{"tonerLevel": 80},
		"systemInfo":            map[string]any{"manufacturer": a.Manufacturer, "model": a.Model},
		"nics":                  nics,
	}
}
