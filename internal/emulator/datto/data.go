package datto

import (
	"fmt"
	"slices"
	"sort"
	"time"
)

// Site is a Datto RMM site (usually one per customer).
type Site struct {
	ID                  int64
	UID                 string
	Name                string
	Description         string
	Notes               string
	OnDemand            bool
	AutotaskCompanyName string
	AutotaskCompanyID   string
}

// Device is a device the account manages, with its latest audit.
type Device struct {
	ID      int64
	UID     string
	SiteUID string
	// Category and Type are deviceType.category and deviceType.type
	// ("Laptop", "Main System Chassis").
	Category, Type string
	// Class is deviceClass: device, printer, esxihost, rmmnetworkdevice or
	// unknown.
	Class            string
	Hostname         string
	IntIPAddress     string
	ExtIPAddress     string
	OperatingSystem  string
	LastLoggedInUser string
	Domain           string
	Description      string
	A64Bit           bool
	Online           bool
	Suspended        bool
	Deleted          bool
	RebootRequired   bool
	LastSeen         time.Time
	LastReboot       time.Time
	// LastAuditDate moves whenever the agent sends a new audit
	// (ChangeAudit).
	LastAuditDate time.Time
	CreationDate  time.Time
	// WarrantyDate is "YYYY-MM-DD" or "".
	WarrantyDate string
	// UDF holds user-defined fields by number (1-300).
	UDF   map[int]string
	Audit Audit
}

// Audit is what GET /audit/device/{uid} reports.
type Audit struct {
	Manufacturer string
	Model        string
	// TotalPhysicalMemory is in bytes.
	TotalPhysicalMemory int64
	Username            string
	TotalCPUCores       int
	SerialNumber        string
	Processor           string
	NICs                []NIC
	Disks               []Disk
}

// NIC is one network interface of an audit.
type NIC struct {
	Instance   string
	IPv4       string
	IPv6       string
	MACAddress string
	Type       string
}

// Disk is one logical disk of an audit; sizes in bytes.
type Disk struct {
	Identifier string
	Size, Free int64
}

// account is the emulated data, guarded by Emulator.mu.
type account struct {
	nextID  int64
	sites   []*Site // ordered by ID
	siteIdx map[string]*Site
	devices []*Device // ordered by ID
	devIdx  map[string]*Device
}

func newAccount() account {
	return account{nextID: 1000, siteIdx: map[string]*Site{}, devIdx: map[string]*Device{}}
}

func (a *account) uid(prefix int64) string {
	a.nextID++
	n := a.nextID
	return fmt.Sprintf("%08x-%04x-4%03x-8%03x-%012x", uint32(n*2654435761), prefix&0xffff, n&0xfff, (n>>12)&0xfff, n*7919)
}

// AddSite adds a site; UID and ID are assigned when zero. It returns the
// stored site.
func (e *Emulator) AddSite(s Site) Site {
	e.mu.Lock()
	defer e.mu.Unlock()
	if s.UID == "" {
		s.UID = e.uid(1)
	}
	if s.ID == 0 {
		e.nextID++
		s.ID = e.nextID
	}
	st := s
	e.sites = append(e.sites, &st)
	e.siteIdx[s.UID] = &st
	return s
}

// AddDevice adds a device to the site d.SiteUID (which must exist); UID,
// ID, CreationDate, LastSeen and LastAuditDate are filled when zero.
func (e *Emulator) AddDevice(d Device) (Device, error) {
	e.mu.Lock()
	defer e.mu.Unlock()
	if _, ok := e.siteIdx[d.SiteUID]; !ok {
		return Device{}, fmt.Errorf("datto emulator: no site %q", d.SiteUID)
	}
	if d.UID == "" {
		d.UID = e.uid(2)
	}
	if d.ID == 0 {
		e.nextID++
		d.ID = e.nextID
	}
	if _, dup := e.devIdx[d.UID]; dup {
		return Device{}, fmt.Errorf("datto emulator: device %q exists", d.UID)
	}
	now := e.opts.Now()
	if d.CreationDate.IsZero() {
		d.CreationDate = now
	}
	if d.LastSeen.IsZero() {
		d.LastSeen = now
	}
	if d.LastAuditDate.IsZero() {
		d.LastAuditDate = now
	}
	if d.Class == "" {
		d.Class = "device"
	}
	dv := d
	e.devices = append(e.devices, &dv)
	if n := len(e.devices); n > 1 && e.devices[n-2].ID > dv.ID {
		sort.Slice(e.devices, func(i, j int) bool { return e.devices[i].ID < e.devices[j].ID })
	}
	e.devIdx[d.UID] = &dv
	return d, nil
}

// UpdateDevice changes a device's list fields with fn (its audit is
// changed with ChangeAudit).
func (e *Emulator) UpdateDevice(uid string, fn func(*Device)) error {
	e.mu.Lock()
	defer e.mu.Unlock()
	d, ok := e.devIdx[uid]
	if !ok {
		return fmt.Errorf("datto emulator: no device %q", uid)
	}
	audit, audited := d.Audit, d.LastAuditDate
	fn(d)
	d.Audit, d.LastAuditDate = audit, audited
	return nil
}

// ChangeAudit changes a device's audit with fn and moves its
// lastAuditDate to now, as a new agent audit does.
func (e *Emulator) ChangeAudit(uid string, fn func(*Audit)) error {
	e.mu.Lock()
	defer e.mu.Unlock()
	d, ok := e.devIdx[uid]
	if !ok {
		return fmt.Errorf("datto emulator: no device %q", uid)
	}
	fn(&d.Audit)
	now := e.opts.Now()
	if !now.After(d.LastAuditDate) {
		now = d.LastAuditDate.Add(time.Millisecond)
	}
	d.LastAuditDate = now
	return nil
}

// MoveDevice moves a device to another site.
func (e *Emulator) MoveDevice(uid, siteUID string) error {
	e.mu.Lock()
	defer e.mu.Unlock()
	d, ok := e.devIdx[uid]
	if !ok {
		return fmt.Errorf("datto emulator: no device %q", uid)
	}
	if _, ok := e.siteIdx[siteUID]; !ok {
		return fmt.Errorf("datto emulator: no site %q", siteUID)
	}
	d.SiteUID = siteUID
	return nil
}

// RemoveDevice removes a device from the account: it is no longer listed
// and its audit answers 404.
func (e *Emulator) RemoveDevice(uid string) error {
	e.mu.Lock()
	defer e.mu.Unlock()
	if _, ok := e.devIdx[uid]; !ok {
		return fmt.Errorf("datto emulator: no device %q", uid)
	}
	delete(e.devIdx, uid)
	e.devices = slices.DeleteFunc(e.devices, func(d *Device) bool { return d.UID == uid })
	return nil
}

// Sites returns copies of the account's sites in listing order.
func (e *Emulator) Sites() []Site {
	e.mu.RLock()
	defer e.mu.RUnlock()
	out := make([]Site, len(e.sites))
	for i, s := range e.sites {
		out[i] = *s
	}
	return out
}

// Devices returns copies of the account's devices in listing order.
func (e *Emulator) Devices() []Device {
	e.mu.RLock()
	defer e.mu.RUnlock()
	out := make([]Device, len(e.devices))
	for i, d := range e.devices {
		out[i] = *d
	}
	return out
}

// Device returns one device by UID.
func (e *Emulator) Device(uid string) (Device, bool) {
	e.mu.RLock()
	defer e.mu.RUnlock()
	d, ok := e.devIdx[uid]
	if !ok {
		return Device{}, false
	}
	return *d, true
}

var models = []struct{ manufacturer, model, category, cpu string }{
	{"Dell Inc.", "Latitude 5420", "Laptop", "11th Gen Intel(R) Core(TM) i5-1145G7 @ 2.60GHz"},
	{"HP", "EliteDesk 800 G6", "Desktop", "Intel(R) Core(TM) i7-10700 CPU @ 2.90GHz"},
	{"LENOVO", "20XW0026US", "Laptop", "11th Gen Intel(R) Core(TM) i7-1165G7 @ 2.80GHz"},
	{"Dell Inc.", "PowerEdge R640", "Server", "Intel(R) Xeon(R) Silver 4210R CPU @ 2.40GHz"},
	{"Microsoft Corporation", "Virtual Machine", "Server", "Intel(R) Xeon(R) Platinum 8272CL CPU @ 2.60GHz"},
	{"HP", "ProBook 450 G8", "Laptop", "11th Gen Intel(R) Core(TM) i5-1135G7 @ 2.40GHz"},
}

var operatingSystems = []string{
	"Microsoft Windows 11 Pro 10.0.22631",
	"Microsoft Windows 10 Pro 10.0.19045",
	"Microsoft Windows Server 2022 Standard 10.0.20348",
	"macOS Sonoma 14.4.1",
}

// Generate adds sites and devices spread evenly over them, deterministic
// for given numbers:
//
//   - site k is "Customer kkk" with an Autotask company;
//   - device i has hostname "WS-%06d" (or "SRV-", by model), a serial
//     "SN%08d", one MAC derived from i, a model from a small catalogue,
//     and an audit dated at its creation;
//   - every 50th device is offline, every 200th suspended, every 500th
//     deleted (still listed, as Datto lists deleted devices), every 97th a
//     printer (serial "PRN%06d" in its SNMP audit), every 131st an ESXi
//     host (service tag "TAG%04d") and every 89th a network device (no
//     audit).
//
// It returns the sites and devices it created.
func (e *Emulator) Generate(devices, sites int) ([]Site, []Device, error) {
	if sites < 1 {
		sites = 1
	}
	base := e.opts.Now().Add(-30 * 24 * time.Hour).Truncate(time.Millisecond)
	var ss []Site
	for k := range sites {
		ss = append(ss, e.AddSite(Site{
			Name:                fmt.Sprintf("Customer %03d", k),
			Description:         "Managed customer",
			AutotaskCompanyName: fmt.Sprintf("Customer %03d Ltd", k),
			AutotaskCompanyID:   fmt.Sprint(29000 + k),
		}))
	}
	var ds []Device
	for i := range devices {
		m := models[i%len(models)]
		prefix := "WS"
		if m.category == "Server" {
			prefix = "SRV"
		}
		created := base.Add(time.Duration(i) * time.Second)
		d := Device{
			SiteUID:          ss[i%sites].UID,
			Category:         m.category,
			Type:             "Main System Chassis",
			Class:            "device",
			Hostname:         fmt.Sprintf("%s-%06d", prefix, i),
			IntIPAddress:     fmt.Sprintf("10.%d.%d.%d", (i>>16)&255, (i>>8)&255, i&255),
			ExtIPAddress:     "203.0.113.10",
			OperatingSystem:  operatingSystems[i%len(operatingSystems)],
			LastLoggedInUser: fmt.Sprintf("CORP\\user%d", i),
			Domain:           "CORP",
			A64Bit:           true,
			Online:           i%50 != 49,
			Suspended:        i%200 == 199,
			Deleted:          i%500 == 499,
			LastSeen:         created.Add(29 * 24 * time.Hour),
			LastReboot:       created.Add(28 * 24 * time.Hour),
			LastAuditDate:    created,
			CreationDate:     created,
			WarrantyDate:     "2027-06-30",
			Audit: Audit{
				Manufacturer:        m.manufacturer,
				Model:               m.model,
				TotalPhysicalMemory: 16 << 30,
				Username:            fmt.Sprintf("CORP\\user%d", i),
				TotalCPUCores:       8,
				SerialNumber:        fmt.Sprintf("SN%08d", i),
				Processor:           m.cpu,
				NICs: []NIC{{
					Instance:   "Intel(R) Ethernet Connection",
					IPv4:       fmt.Sprintf("10.%d.%d.%d", (i>>16)&255, (i>>8)&255, i&255),
					MACAddress: fmt.Sprintf("00:1A:2B:%02X:%02X:%02X", (i>>16)&255, (i>>8)&255, i&255),
					Type:       "Ethernet",
				}},
				Disks: []Disk{{Identifier: "C:", Size: 512 << 30, Free: 200 << 30}},
			},
		}
		if i%7 == 0 {
			d.UDF = map[int]string{1: fmt.Sprintf("CC-%d", i%13)}
		}
		switch {
		case i%97 == 96:
			d.Class, d.Category, d.Type = "printer", "Printer", "Printer"
			d.Audit = Audit{
				Manufacturer: "HP", Model: "LaserJet Enterprise M507", SerialNumber: fmt.Sprintf("PRN%06d", i),
				NICs: []NIC{{IPv4: d.IntIPAddress, MACAddress: fmt.Sprintf("3C:D9:2B:%02X:%02X:%02X", (i>>16)&255, (i>>8)&255, i&255)}},
			}
		case i%131 == 130:
			d.Class, d.Category, d.Type = "esxihost", "ESXi Host", "ESXi Host"
			d.Audit.Manufacturer, d.Audit.Model, d.Audit.SerialNumber = "Dell Inc.", "PowerEdge R750", fmt.Sprintf("TAG%04d", i)
			d.Audit.Disks = []Disk{{Identifier: "datastore1", Size: 4 << 40, Free: 1 << 40}}
		case i%89 == 88:
			d.Class, d.Category, d.Type = "rmmnetworkdevice", "Network Device", "Switch"
			d.Audit = Audit{}
		}
		d, err := e.AddDevice(d)
		if err != nil {
			return nil, nil, err
		}
		ds = append(ds, d)
	}
	return ss, ds, nil
}
