package ninjaone

import (
	"errors"
	"slices"
	"time"
)

// Errors returned by the mutation methods.
var (
	// ErrNotFound means the object does not exist.
	ErrNotFound = errors.New("object not found")
	// ErrInvalid means the change is not one NinjaOne would accept.
	ErrInvalid = errors.New("invalid change")
)

// Organization is a NinjaOne organisation (an MSP's client).
type Organization struct {
	ID          int
	Name        string
	Description string
}

// Location is a site of an organisation.
type Location struct {
	ID             int
	OrganizationID int
	Name           string
	Address        string
	Description    string
}

// NIC is one network interface of a device.
type NIC struct {
	AdapterName   string
	InterfaceName string
	MACAddresses  []string
	IPAddresses   []string
	Status        string // "Up", "Down"
}

// Software is one installed product.
type Software struct {
	Name, Version, Publisher string
}

// Device is a managed node with what the agent's inventory reports.
type Device struct {
	ID             int
	OrganizationID int
	LocationID     int
	// NodeClass is WINDOWS_WORKSTATION, WINDOWS_SERVER, MAC,
	// LINUX_WORKSTATION, LINUX_SERVER, VMWARE_VM_GUEST, ...
	NodeClass      string
	ApprovalStatus string // APPROVED or PENDING
	Offline        bool
	DisplayName    string
	SystemName     string
	DNSName        string
	NetbiosName    string
	Created        time.Time
	LastContact    time.Time
	LastUpdate     time.Time
	PublicIP       string
	// Fields are the device's custom fields by name.
	Fields map[string]string
	// WarrantyEnd is the manufacturer warranty's end, zero when unknown.
	WarrantyEnd time.Time

	// Computer system (queries/computer-systems).
	Manufacturer        string
	Model               string
	SerialNumber        string
	BIOSSerialNumber    string
	Domain              string
	TotalPhysicalMemory int64 // bytes
	VirtualMachine      bool
	ChassisType         string // "DESKTOP", "LAPTOP", "SERVER", "OTHER"
	Processors          int

	// Operating system (queries/operating-systems).
	OSName         string
	OSArchitecture string
	OSBuildNumber  string
	OSReleaseID    string
	LastBoot       time.Time

	// Network interfaces, logged-on user and software.
	NICs         []NIC
	LastUser     string // DOMAIN\user as the agent reports it, "" for none
	LastLogon    time.Time
	Software     []Software
	softwareRefs []uint16 // compact form of generated software (catalogue indexes)
}

// deviceRec is the stored device.
type deviceRec struct {
	Device
	deleted bool
}

func (d *Device) clone() Device {
	c := *d
	c.NICs = slices.Clone(d.NICs)
	for i := range c.NICs {
		c.NICs[i].MACAddresses = slices.Clone(c.NICs[i].MACAddresses)
		c.NICs[i].IPAddresses = slices.Clone(c.NICs[i].IPAddresses)
	}
	c.Software = slices.Clone(d.Software)
	c.softwareRefs = slices.Clone(d.softwareRefs)
	if d.Fields != nil {
		c.Fields = make(map[string]string, len(d.Fields))
		for k, v := range d.Fields {
			c.Fields[k] = v
		}
	}
	return c
}

// software returns the device's software list, expanding catalogue refs.
func (d *Device) software() []Software {
	if len(d.softwareRefs) == 0 {
		return d.Software
	}
	out := make([]Software, 0, len(d.softwareRefs)+len(d.Software))
	for _, r := range d.softwareRefs {
		out = append(out, softwareCatalogue[r])
	}
	return append(out, d.Software...)
}

// AddOrganization creates an organisation and returns its ID (the next free
// one when o.ID is zero).
func (e *Emulator) AddOrganization(o Organization) int {
	e.mu.Lock()
	defer e.mu.Unlock()
	if o.ID == 0 {
		e.lastOrg++
		o.ID = e.lastOrg
	}
	e.lastOrg = max(e.lastOrg, o.ID)
	i, found := slices.BinarySearchFunc(e.orgs, o.ID, func(a Organization, id int) int { return a.ID - id })
	if found {
		e.orgs[i] = o
	} else {
		e.orgs = slices.Insert(e.orgs, i, o)
	}
	return o.ID
}

// AddLocation creates a location of an existing organisation.
func (e *Emulator) AddLocation(l Location) (int, error) {
	e.mu.Lock()
	defer e.mu.Unlock()
	if _, ok := e.orgIndex(l.OrganizationID); !ok {
		return 0, ErrInvalid
	}
	if l.ID == 0 {
		e.lastLoc++
		l.ID = e.lastLoc
	}
	e.lastLoc = max(e.lastLoc, l.ID)
	i, found := slices.BinarySearchFunc(e.locs, l.ID, func(a Location, id int) int { return a.ID - id })
	if found {
		e.locs[i] = l
	} else {
		e.locs = slices.Insert(e.locs, i, l)
	}
	return l.ID, nil
}

// AddDevice enrols a device (with the next ID when d.ID is zero) and
// returns its ID. Its organisation and location must exist.
func (e *Emulator) AddDevice(d Device) (int, error) {
	e.mu.Lock()
	defer e.mu.Unlock()
	if err := e.checkPlace(d.OrganizationID, d.LocationID); err != nil {
		return 0, err
	}
	if d.ID == 0 {
		d.ID = e.lastDevice + 1
	}
	if d.ID <= e.lastDevice {
		return 0, ErrInvalid // IDs only grow, as NinjaOne's node IDs do
	}
	e.lastDevice = d.ID
	fillDefaults(&d, e.opts.Now())
	e.devices = append(e.devices, deviceRec{Device: d.clone()})
	e.byOrg[d.OrganizationID] = append(e.byOrg[d.OrganizationID], int32(len(e.devices)-1))
	return d.ID, nil
}

func fillDefaults(d *Device, now time.Time) {
	if d.ApprovalStatus == "" {
		d.ApprovalStatus = "APPROVED"
	}
	if d.NodeClass == "" {
		d.NodeClass = "WINDOWS_WORKSTATION"
	}
	if d.Created.IsZero() {
		d.Created = now
	}
	if d.LastContact.IsZero() {
		d.LastContact = now
	}
	if d.LastUpdate.IsZero() {
		d.LastUpdate = d.LastContact
	}
}

func (e *Emulator) checkPlace(org, loc int) error {
	if _, ok := e.orgIndex(org); !ok {
		return ErrInvalid
	}
	i, ok := e.locIndex(loc)
	if !ok || e.locs[i].OrganizationID != org {
		return ErrInvalid
	}
	return nil
}

// UpdateDevice applies fn to a device: its inventory, names, status or
// custom fields. Moving it to another organisation or location is allowed
// (MoveDevice is the short form); the ID cannot change.
func (e *Emulator) UpdateDevice(id int, fn func(*Device)) error {
	e.mu.Lock()
	defer e.mu.Unlock()
	i, ok := e.deviceIndex(id)
	if !ok {
		return ErrNotFound
	}
	d := e.devices[i].Device.clone()
	fn(&d)
	d.ID = id
	if err := e.checkPlace(d.OrganizationID, d.LocationID); err != nil {
		return err
	}
	old := e.devices[i].OrganizationID
	if d.OrganizationID != old {
		e.byOrg[old] = slices.DeleteFunc(e.byOrg[old], func(x int32) bool { return x == int32(i) })
		list := e.byOrg[d.OrganizationID]
		at, _ := slices.BinarySearch(list, int32(i))
		e.byOrg[d.OrganizationID] = slices.Insert(list, at, int32(i))
	}
	e.devices[i].Device = d
	return nil
}

// MoveDevice moves a device to another organisation and location.
func (e *Emulator) MoveDevice(id, org, loc int) error {
	return e.UpdateDevice(id, func(d *Device) { d.OrganizationID, d.LocationID = org, loc })
}

// RemoveDevice deletes a device (an admin's delete after
// decommissioning): it disappears from every list and query.
func (e *Emulator) RemoveDevice(id int) error {
	e.mu.Lock()
	defer e.mu.Unlock()
	i, ok := e.deviceIndex(id)
	if !ok {
		return ErrNotFound
	}
	e.devices[i].deleted = true
	org := e.devices[i].OrganizationID
	e.byOrg[org] = slices.DeleteFunc(e.byOrg[org], func(x int32) bool { return x == int32(i) })
	return nil
}

// Devices returns copies of the devices in ID order.
func (e *Emulator) Devices() []Device {
	e.mu.RLock()
	defer e.mu.RUnlock()
	out := make([]Device, 0, len(e.devices))
	for i := range e.devices {
		if !e.devices[i].deleted {
			d := e.devices[i].Device.clone()
			d.Software = d.software()
			d.softwareRefs = nil
			out = append(out, d)
		}
	}
	return out
}

// DeviceByID returns one device.
func (e *Emulator) DeviceByID(id int) (Device, bool) {
	e.mu.RLock()
	defer e.mu.RUnlock()
	i, ok := e.deviceIndex(id)
	if !ok {
		return Device{}, false
	}
	d := e.devices[i].Device.clone()
	d.Software = d.software()
	d.softwareRefs = nil
	return d, true
}

// DeviceCount returns the number of devices.
func (e *Emulator) DeviceCount() int {
	e.mu.RLock()
	defer e.mu.RUnlock()
	n := 0
	for i := range e.devices {
		if !e.devices[i].deleted {
			n++
		}
	}
	return n
}

// Organizations returns the organisations in ID order.
func (e *Emulator) Organizations() []Organization {
	e.mu.RLock()
	defer e.mu.RUnlock()
	return slices.Clone(e.orgs)
}

// Locations returns the locations in ID order.
func (e *Emulator) Locations() []Location {
	e.mu.RLock()
	defer e.mu.RUnlock()
	return slices.Clone(e.locs)
}

func (e *Emulator) orgIndex(id int) (int, bool) {
	return slices.BinarySearchFunc(e.orgs, id, func(a Organization, id int) int { return a.ID - id })
}

func (e *Emulator) locIndex(id int) (int, bool) {
	return slices.BinarySearchFunc(e.locs, id, func(a Location, id int) int { return a.ID - id })
}

// deviceIndex finds a live device; devices are stored in ID order.
func (e *Emulator) deviceIndex(id int) (int, bool) {
	i, ok := slices.BinarySearchFunc(e.devices, id, func(a deviceRec, id int) int { return a.ID - id })
	return i, ok && !e.devices[i].deleted
}
