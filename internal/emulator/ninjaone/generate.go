package ninjaone

import (
	"fmt"
	mrand "math/rand/v2"
	"strings"
	"time"
)

// softwareCatalogue is what generated devices have installed, referenced
// by index so that 100,000 devices stay small.
var softwareCatalogue = []Software{
	{"Google Chrome", "131.0.6778.86", "Google LLC"},
	{"Mozilla Firefox (x64 en-US)", "133.0", "Mozilla"},
	{"Microsoft Edge", "131.0.2903.70", "Microsoft Corporation"},
	{"Microsoft 365 Apps for enterprise - en-us", "16.0.18129.20116", "Microsoft Corporation"},
	{"7-Zip 24.08 (x64)", "24.08", "Igor Pavlov"},
	{"Adobe Acrobat Reader (64-bit)", "24.004.20272", "Adobe"},
	{"Zoom Workplace (64-bit)", "6.2.11", "Zoom Video Communications, Inc."},
	{"Microsoft Teams", "24295.605.3225.8804", "Microsoft Corporation"},
	{"NinjaRMMAgent", "5.9.1158", "NinjaRMM LLC"},
	{"Notepad++ (64-bit x64)", "8.7.1", "Notepad++ Team"},
	{"VLC media player", "3.0.21", "VideoLAN"},
	{"Microsoft Visual C++ 2015-2022 Redistributable (x64)", "14.40.33810.0", "Microsoft Corporation"},
	{"Slack", "4.41.97", "Slack Technologies Inc."},
	{"Cisco Secure Client - AnyConnect VPN", "5.1.4.74", "Cisco Systems, Inc."},
	{"Dell Command | Update", "5.4.0", "Dell Inc."},
	{"HP Support Assistant", "9.34.31.0", "HP Inc."},
	{"Lenovo Vantage Service", "4.1.14.0", "Lenovo Group Ltd."},
	{"Microsoft SQL Server 2019 (64-bit)", "15.0.2000.5", "Microsoft Corporation"},
	{"Veeam Agent for Microsoft Windows", "6.2.0.121", "Veeam Software Group GmbH"},
	{"SentinelOne Agent", "24.1.5.277", "SentinelOne"},
}

var orgNames = []string{
	"Acme Dental", "Brightwater Legal", "Cedar Logistics", "Dunmore Accounting", "Elm Street Clinic",
	"Fairview Schools", "Granite Builders", "Harbor Freight Co", "Ironwood Capital", "Juniper Labs",
	"Kestrel Insurance", "Lakeside Hotels", "Maple Architects", "Northgate Pharmacy", "Oakridge Council",
}

var locationNames = []string{"Main Office", "Warehouse", "Branch North", "Branch South", "Data Centre", "Home Workers"}

var firstNames = []string{"ana", "ben", "chloe", "daniel", "elena", "farid", "grace", "hugo", "ines", "jonas", "kira", "liam"}
var lastNames = []string{"ruiz", "okafor", "schmidt", "nguyen", "kowalski", "haddad", "larsen", "moreau", "silva", "tanaka"}

type hwModel struct {
	class, manufacturer, model, chassis, os, build string
	vm                                             bool
	prefix                                         string
}

var hwModels = []hwModel{
	{"WINDOWS_WORKSTATION", "Dell Inc.", "Latitude 5440", "LAPTOP", "Windows 11 Professional Edition", "22631", false, ""},
	{"WINDOWS_WORKSTATION", "LENOVO", "ThinkPad T14 Gen 4", "LAPTOP", "Windows 11 Professional Edition", "22631", false, "PF"},
	{"WINDOWS_WORKSTATION", "HP", "HP EliteDesk 800 G6", "DESKTOP", "Windows 10 Professional Edition", "19045", false, "CZC"},
	{"WINDOWS_WORKSTATION", "Dell Inc.", "OptiPlex 7010", "DESKTOP", "Windows 11 Professional Edition", "22631", false, ""},
	{"WINDOWS_WORKSTATION", "To Be Filled By O.E.M.", "To Be Filled By O.E.M.", "DESKTOP", "Windows 10 Professional Edition", "19045", false, ""},
	{"MAC", "Apple Inc.", "MacBookPro18,3", "LAPTOP", "macOS Sonoma", "23H222", false, "C02"},
	{"WINDOWS_SERVER", "Dell Inc.", "PowerEdge R650", "SERVER", "Windows Server 2022 Standard Edition", "20348", false, ""},
	{"WINDOWS_SERVER", "VMware, Inc.", "VMware7,1", "OTHER", "Windows Server 2019 Standard Edition", "17763", true, "VMware-"},
	{"LINUX_SERVER", "QEMU", "Standard PC (Q35 + ICH9, 2009)", "OTHER", "Ubuntu 22.04.5 LTS", "", true, ""},
	{"VMWARE_VM_GUEST", "VMware, Inc.", "VMware Virtual Platform", "OTHER", "Windows 10 Enterprise Edition", "19045", true, "VMware-"},
	{"LINUX_WORKSTATION", "LENOVO", "ThinkPad X1 Carbon Gen 11", "LAPTOP", "Fedora Linux 40", "", false, "PF"},
}

// Generate replaces the dataset with a deterministic one: orgs
// organisations with locsPerOrg locations each, and devices spread over
// them (every organisation gets some). Devices mix Windows laptops and
// desktops, Macs, physical and virtual servers and Linux machines, with
// serials (a white-box desktop now and then reports "To Be Filled By
// O.E.M."), one or two network interfaces, a last logged-on user for
// workstations, four to twelve installed products, custom fields on about
// half, a warranty on physical machines, and about 15% offline.
func (e *Emulator) Generate(devices, orgs, locsPerOrg int, seed int64) {
	rng := mrand.New(mrand.NewPCG(uint64(seed), uint64(seed)^0x9a1a))
	orgs, locsPerOrg = max(orgs, 1), max(locsPerOrg, 1)
	e.mu.Lock()
	defer e.mu.Unlock()
	e.orgs = make([]Organization, 0, orgs)
	e.locs = make([]Location, 0, orgs*locsPerOrg)
	e.devices = make([]deviceRec, 0, devices)
	e.byOrg = make(map[int][]int32, orgs)
	for o := range orgs {
		name := orgNames[o%len(orgNames)]
		if o >= len(orgNames) {
			name = fmt.Sprintf("%s %d", name, o/len(orgNames)+1)
		}
		e.orgs = append(e.orgs, Organization{ID: o + 1, Name: name, Description: "Managed client " + itoa(o+1)})
		for l := range locsPerOrg {
			e.locs = append(e.locs, Location{ID: o*locsPerOrg + l + 1, OrganizationID: o + 1,
				Name: locationNames[l%len(locationNames)], Address: fmt.Sprintf("%d High Street", 10+l)})
		}
	}
	e.lastOrg, e.lastLoc = orgs, orgs*locsPerOrg
	now := e.opts.Now().UTC()
	base := now.AddDate(-3, 0, 0)
	for i := range devices {
		// Skew: low-numbered organisations are bigger, as MSP clients are.
		org := i % orgs
		if rng.IntN(3) == 0 {
			org = rng.IntN(max(1, orgs/4))
		}
		loc := org*locsPerOrg + rng.IntN(locsPerOrg) + 1
		d := e.generatedDevice(rng, i, org+1, loc, base, now)
		e.devices = append(e.devices, deviceRec{Device: d})
		e.byOrg[org+1] = append(e.byOrg[org+1], int32(i))
	}
	e.lastDevice = devices
}

func (e *Emulator) generatedDevice(rng *mrand.Rand, i, org, loc int, base, now time.Time) Device {
	m := hwModels[rng.IntN(len(hwModels))]
	id := i + 1
	d := Device{
		ID: id, OrganizationID: org, LocationID: loc, NodeClass: m.class, ApprovalStatus: "APPROVED",
		Offline:      rng.IntN(100) < 15,
		Created:      base.Add(time.Duration(i) * time.Minute).Add(time.Duration(rng.IntN(1000)) * time.Millisecond),
		LastContact:  now.Add(-time.Duration(rng.IntN(7*24*3600)) * time.Second).Add(time.Duration(rng.IntN(1000)) * time.Millisecond),
		Manufacturer: m.manufacturer, Model: m.model, ChassisType: m.chassis, VirtualMachine: m.vm,
		OSName: m.os, OSBuildNumber: m.build, OSArchitecture: "64-bit", Processors: 1 << rng.IntN(3),
		TotalPhysicalMemory: int64(8<<30) << rng.IntN(3),
		Domain:              "corp.local",
		PublicIP:            fmt.Sprintf("203.0.113.%d", 1+org%250),
	}
	d.LastUpdate = d.LastContact
	d.LastBoot = d.LastContact.Add(-time.Duration(rng.IntN(30*24)) * time.Hour)
	var prefix string
	switch m.class {
	case "WINDOWS_SERVER", "LINUX_SERVER":
		prefix = "SRV"
	case "MAC":
		prefix = "MAC"
	case "VMWARE_VM_GUEST":
		prefix = "VDI"
	default:
		prefix = "WS"
	}
	d.SystemName = fmt.Sprintf("%s-%03d-%05d", prefix, org, id)
	d.DisplayName = d.SystemName
	d.NetbiosName = d.SystemName
	d.DNSName = strings.ToLower(d.SystemName) + ".corp.local"
	switch {
	case m.manufacturer == "To Be Filled By O.E.M.":
		d.SerialNumber, d.BIOSSerialNumber = "To Be Filled By O.E.M.", "Default string"
	case m.vm && m.prefix == "VMware-":
		d.SerialNumber = fmt.Sprintf("VMware-56 4d %02x %02x %02x %02x %02x %02x-%02x %02x", rng.IntN(256), rng.IntN(256),
			rng.IntN(256), rng.IntN(256), rng.IntN(256), rng.IntN(256), rng.IntN(256), rng.IntN(256))
		d.BIOSSerialNumber = d.SerialNumber
	case m.vm:
		d.SerialNumber = ""
	default:
		d.SerialNumber = m.prefix + serial(rng, 8-len(m.prefix)+3)
		d.BIOSSerialNumber = d.SerialNumber
		d.WarrantyEnd = d.Created.AddDate(3, 0, 0).Truncate(24 * time.Hour)
	}
	nics := 1
	if m.chassis == "LAPTOP" || m.chassis == "SERVER" {
		nics = 2
	}
	for n := range nics {
		nic := NIC{AdapterName: "Intel(R) Ethernet Connection I219-LM", InterfaceName: "Ethernet", Status: "Up",
			MACAddresses: []string{macColon(rng)},
			IPAddresses:  []string{fmt.Sprintf("10.%d.%d.%d", org%250, loc%250, 1+(id+n)%250)}}
		if n == 1 {
			nic.AdapterName, nic.InterfaceName = "Intel(R) Wi-Fi 6E AX211 160MHz", "Wi-Fi"
			if m.chassis == "SERVER" {
				nic.AdapterName, nic.InterfaceName, nic.IPAddresses = "Broadcom NetXtreme Gigabit Ethernet", "Ethernet 2", nil
				nic.Status = "Down"
			}
		}
		d.NICs = append(d.NICs, nic)
	}
	if m.chassis != "SERVER" && m.class != "LINUX_SERVER" {
		u := firstNames[rng.IntN(len(firstNames))] + "." + lastNames[rng.IntN(len(lastNames))]
		switch m.class {
		case "MAC", "LINUX_WORKSTATION":
			d.LastUser = u
		default:
			d.LastUser = `CORP\` + u
		}
		d.LastLogon = d.LastContact.Add(-time.Duration(rng.IntN(8*3600)) * time.Second)
	} else if rng.IntN(2) == 0 {
		d.LastUser = `CORP\administrator`
		d.LastLogon = d.LastContact.Add(-time.Duration(rng.IntN(72)) * time.Hour)
	}
	n := 4 + rng.IntN(9)
	perm := rng.Perm(len(softwareCatalogue))[:n]
	d.softwareRefs = make([]uint16, n)
	for k, p := range perm {
		d.softwareRefs[k] = uint16(p)
	}
	if rng.IntN(2) == 0 {
		d.Fields = map[string]string{"assetTag": fmt.Sprintf("AT-%06d", id), "costCenter": fmt.Sprintf("CC-%d", 100+org%20)}
	}
	return d
}

func serial(rng *mrand.Rand, n int) string {
	const alnum = "ABCDEFGHJKLMNPQRSTUVWXYZ0123456789"
	b := make([]byte, n)
	for i := range b {
		b[i] = alnum[rng.IntN(len(alnum))]
	}
	return string(b)
}

// macColon is a universally administered unicast MAC in the colon form the
// agent reports.
func macColon(rng *mrand.Rand) string {
	v := rng.Uint64() & 0xfcffffffffff
	return fmt.Sprintf("%02X:%02X:%02X:%02X:%02X:%02X", byte(v>>40), byte(v>>32), byte(v>>24), byte(v>>16), byte(v>>8), byte(v))
}
