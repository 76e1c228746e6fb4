package graph

import (
	"fmt"
	mrand "math/rand/v2"
	"net/http"
	"strconv"
	"strings"
	"time"
)

// Intune's /deviceManagement/managedDevices, as the emulator serves it:
//
//   - GET /v1.0/deviceManagement/managedDevices lists the devices in
//     enrolment order, $top (1 to MaxManagedDevicePageSize, default
//     DefaultManagedDevicePageSize, as observed on real tenants) and an
//     opaque $skiptoken in @odata.nextLink; $select narrows the properties
//     and an unknown property is a 400; $filter, $orderby and $search are
//     refused. There is no delta for managed devices in v1.0.
//   - GET /v1.0/deviceManagement/managedDevices/{id} returns one device.
//
// As documented for v1.0, a few properties (ethernetMacAddress,
// physicalMemoryInBytes, notes) are only filled on the single-device GET;
// the list returns them null or zero. Authentication, faults, throttling
// and the empty-tenant mishap are those of the rest of the emulator.

// Managed device paging limits.
const (
	DefaultManagedDevicePageSize = 1000
	MaxManagedDevicePageSize     = 1000
)

// resManagedDevices tags page tokens of the managed device list.
const resManagedDevices resource = 16

// ManagedDevice is an Intune managed device. Field names follow Graph's
// managedDevice resource.
type ManagedDevice struct {
	ID                string
	DeviceName        string
	ManagedDeviceName string
	// UserID, UserPrincipalName, EmailAddress and UserDisplayName name the
	// primary user; empty for a device without one (a kiosk, a shared PC).
	UserID            string
	UserPrincipalName string
	EmailAddress      string
	UserDisplayName   string
	// OperatingSystem is "Windows", "macOS", "iOS", "Android", "Linux".
	OperatingSystem string
	OSVersion       string
	// ComplianceState is unknown, compliant, noncompliant, conflict, error,
	// inGracePeriod or configManager.
	ComplianceState string
	// ManagedDeviceOwnerType is unknown, company or personal.
	ManagedDeviceOwnerType string
	// ManagementAgent is eas, mdm, easMdm, intuneClient,
	// configurationManagerClientMdm, ...
	ManagementAgent          string
	LastSyncDateTime         time.Time
	EnrolledDateTime         time.Time
	SerialNumber             string
	Manufacturer             string
	Model                    string
	IMEI                     string
	MEID                     string
	WiFiMacAddress           string
	EthernetMacAddress       string
	AzureADDeviceID          string
	IsEncrypted              bool
	IsSupervised             bool
	JailBroken               string // "Unknown", "True", "False"
	DeviceRegistrationState  string
	TotalStorageSpaceInBytes int64
	FreeStorageSpaceInBytes  int64
	PhysicalMemoryInBytes    int64
	Notes                    string
}

// managedDevices is the Intune part of the tenant, kept under e.mu.
type managedDevices struct {
	list []managedDeviceRec
	idx  map[string]int32
}

type managedDeviceRec struct {
	ManagedDevice
	deleted bool
}

// Managed device properties, in the order they are written.
var managedDevicePropNames = []string{
	"id", "userId", "deviceName", "managedDeviceOwnerType", "enrolledDateTime", "lastSyncDateTime",
	"operatingSystem", "complianceState", "jailBroken", "managementAgent", "osVersion",
	"azureADRegistered", "deviceEnrollmentType", "emailAddress", "azureADDeviceId",
	"deviceRegistrationState", "isSupervised", "isEncrypted", "userPrincipalName", "model",
	"manufacturer", "imei", "serialNumber", "userDisplayName", "wiFiMacAddress", "meid",
	"totalStorageSpaceInBytes", "freeStorageSpaceInBytes", "managedDeviceName", "notes",
	"ethernetMacAddress", "physicalMemoryInBytes",
}

func (e *Emulator) devicesLocked() *managedDevices {
	if e.managed.idx == nil {
		e.managed.idx = map[string]int32{}
	}
	return &e.managed
}

// AddManagedDevice enrols a device and returns its ID (generated when d.ID
// is empty). Adding an ID that exists replaces that device.
func (e *Emulator) AddManagedDevice(d ManagedDevice) string {
	e.mu.Lock()
	defer e.mu.Unlock()
	md := e.devicesLocked()
	if d.ID == "" {
		d.ID = e.newID()
	}
	fillManagedDefaults(&d, e.opts.Now())
	if i, ok := md.idx[d.ID]; ok {
		md.list[i] = managedDeviceRec{ManagedDevice: d}
		return d.ID
	}
	md.idx[d.ID] = int32(len(md.list))
	md.list = append(md.list, managedDeviceRec{ManagedDevice: d})
	return d.ID
}

func fillManagedDefaults(d *ManagedDevice, now time.Time) {
	if d.ManagedDeviceName == "" {
		d.ManagedDeviceName = d.DeviceName
	}
	if d.ComplianceState == "" {
		d.ComplianceState = "unknown"
	}
	if d.ManagedDeviceOwnerType == "" {
		d.ManagedDeviceOwnerType = "company"
	}
	if d.ManagementAgent == "" {
		d.ManagementAgent = "mdm"
	}
	if d.JailBroken == "" {
		d.JailBroken = "Unknown"
	}
	if d.DeviceRegistrationState == "" {
		d.DeviceRegistrationState = "registered"
	}
	if d.EnrolledDateTime.IsZero() {
		d.EnrolledDateTime = now.UTC().Truncate(time.Second)
	}
	if d.LastSyncDateTime.IsZero() {
		d.LastSyncDateTime = d.EnrolledDateTime
	}
}

// UpdateManagedDevice applies fn to an enrolled device; the ID cannot be
// changed.
func (e *Emulator) UpdateManagedDevice(id string, fn func(*ManagedDevice)) error {
	e.mu.Lock()
	defer e.mu.Unlock()
	md := e.devicesLocked()
	i, ok := md.idx[id]
	if !ok || md.list[i].deleted {
		return fmt.Errorf("updating managed device %q: %w", id, ErrNotFound)
	}
	fn(&md.list[i].ManagedDevice)
	md.list[i].ID = id
	return nil
}

// RemoveManagedDevice deletes a device from Intune (a retire or wipe that
// completed, or an admin's delete): lists no longer return it.
func (e *Emulator) RemoveManagedDevice(id string) error {
	e.mu.Lock()
	defer e.mu.Unlock()
	md := e.devicesLocked()
	i, ok := md.idx[id]
	if !ok || md.list[i].deleted {
		return fmt.Errorf("removing managed device %q: %w", id, ErrNotFound)
	}
	md.list[i].deleted = true
	return nil
}

// ManagedDevices returns copies of the enrolled devices in enrolment order.
func (e *Emulator) ManagedDevices() []ManagedDevice {
	e.mu.RLock()
	defer e.mu.RUnlock()
	out := make([]ManagedDevice, 0, len(e.managed.list))
	for _, d := range e.managed.list {
		if !d.deleted {
			out = append(out, d.ManagedDevice)
		}
	}
	return out
}

// ManagedDeviceByID returns an enrolled device.
func (e *Emulator) ManagedDeviceByID(id string) (ManagedDevice, bool) {
	e.mu.RLock()
	defer e.mu.RUnlock()
	i, ok := e.managed.idx[id]
	if !ok || e.managed.list[i].deleted {
		return ManagedDevice{}, false
	}
	return e.managed.list[i].ManagedDevice, true
}

// ManagedDeviceCount returns the number of enrolled devices.
func (e *Emulator) ManagedDeviceCount() int {
	e.mu.RLock()
	defer e.mu.RUnlock()
	n := 0
	for _, d := range e.managed.list {
		if !d.deleted {
			n++
		}
	}
	return n
}

// deviceModel is one kind of generated device.
type deviceModel struct {
	os, manufacturer, model string
	versions                []string
	mobile                  bool
	serial                  func(rng *mrand.Rand) string
}

func serialOf(prefix string, n int) func(*mrand.Rand) string {
	const alnum = "ABCDEFGHJKLMNPQRSTUVWXYZ0123456789"
	return func(rng *mrand.Rand) string {
		b := []byte(prefix)
		for range n {
			b = append(b, alnum[rng.IntN(len(alnum))])
		}
		return string(b)
	}
}

var deviceModels = []deviceModel{
	{"Windows", "Dell Inc.", "Latitude 7440", []string{"10.0.22631.3880", "10.0.26100.1742"}, false, serialOf("", 7)},
	{"Windows", "LENOVO", "20XW0026US", []string{"10.0.22631.3880", "10.0.19045.4651"}, false, serialOf("PF", 6)},
	{"Windows", "HP", "HP EliteBook 840 G9", []string{"10.0.22631.3880"}, false, serialOf("5CG", 7)},
	{"Windows", "Microsoft Corporation", "Surface Laptop 5", []string{"10.0.22631.3880"}, false, serialOf("0", 11)},
	{"Windows", "Dell Inc.", "OptiPlex 7010", []string{"10.0.19045.4651"}, false, serialOf("", 7)},
	{"Windows", "Microsoft Corporation", "Virtual Machine", []string{"10.0.20348.2582"}, false, serialOf("0000-0003-", 10)},
	{"macOS", "Apple", "MacBook Pro (14-inch, 2023)", []string{"14.6.1", "15.0"}, false, serialOf("C02", 9)},
	{"iOS", "Apple", "iPhone 15", []string{"17.6.1", "18.0"}, true, serialOf("F", 11)},
	{"Android", "samsung", "SM-S911B", []string{"14"}, true, serialOf("R5C", 8)},
}

var complianceStates = []string{"compliant", "compliant", "compliant", "compliant", "compliant",
	"compliant", "noncompliant", "inGracePeriod", "unknown", "compliant"}

// GenerateManagedDevices replaces the Intune devices with n deterministic
// ones enrolled by the tenant's users (generate the users first): one
// device per member user in turn, so a user may have a laptop and a phone;
// one in twenty has no primary user (a shared or kiosk device). Models mix
// Windows laptops, desktops and virtual machines, Macs, iPhones and Android
// phones; about one in six devices is not compliant, one in ten phones is
// personal, one in forty Windows devices reports the placeholder serial a
// white-box board ships with.
func (e *Emulator) GenerateManagedDevices(n int, seed int64) {
	rng := mrand.New(mrand.NewPCG(uint64(seed)^0xd0d0, uint64(seed)+7))
	e.mu.Lock()
	defer e.mu.Unlock()
	var owners []int32
	for i := range e.users {
		if e.users[i].state == stateActive && e.users[i].userType != "Guest" {
			owners = append(owners, int32(i))
		}
	}
	e.managed = managedDevices{list: make([]managedDeviceRec, 0, n), idx: make(map[string]int32, n)}
	base := time.Date(2023, 1, 9, 8, 0, 0, 0, time.UTC)
	now := e.opts.Now().UTC().Truncate(time.Second)
	for i := range n {
		m := deviceModels[rng.IntN(len(deviceModels))]
		d := ManagedDevice{
			ID:                       randomUUID(rng),
			AzureADDeviceID:          randomUUID(rng),
			OperatingSystem:          m.os,
			OSVersion:                m.versions[rng.IntN(len(m.versions))],
			Manufacturer:             m.manufacturer,
			Model:                    m.model,
			SerialNumber:             m.serial(rng),
			ComplianceState:          complianceStates[rng.IntN(len(complianceStates))],
			ManagedDeviceOwnerType:   "company",
			ManagementAgent:          "mdm",
			JailBroken:               "False",
			IsEncrypted:              rng.IntN(10) != 0,
			DeviceRegistrationState:  "registered",
			EnrolledDateTime:         base.Add(time.Duration(i) * 37 * time.Minute),
			LastSyncDateTime:         now.Add(-time.Duration(rng.IntN(14*24*60)) * time.Minute),
			WiFiMacAddress:           macHex(rng),
			TotalStorageSpaceInBytes: int64(128<<30) << rng.IntN(3),
			PhysicalMemoryInBytes:    int64(8<<30) << rng.IntN(3),
		}
		d.FreeStorageSpaceInBytes = d.TotalStorageSpaceInBytes / int64(2+rng.IntN(6))
		prefix := "DESKTOP-"
		switch {
		case m.mobile:
			d.IMEI = fmt.Sprintf("35%013d", rng.Int64N(1e13))
			if m.os == "iOS" {
				d.IsSupervised = true
			}
			if rng.IntN(10) == 0 {
				d.ManagedDeviceOwnerType = "personal"
			}
			d.WiFiMacAddress = ""
			if rng.IntN(2) == 0 {
				d.WiFiMacAddress = macHex(rng)
			}
		case m.os == "macOS":
			prefix = "MAC-"
		case m.model == "OptiPlex 7010" || m.model == "Virtual Machine":
			d.EthernetMacAddress = macHex(rng)
			d.WiFiMacAddress = ""
		}
		if m.os == "Windows" && m.model != "Virtual Machine" && i%40 == 39 {
			d.SerialNumber = "To be filled by O.E.M."
		}
		if len(owners) > 0 && i%20 != 19 {
			u := &e.users[owners[i%len(owners)]]
			d.UserID, d.UserPrincipalName, d.EmailAddress, d.UserDisplayName = u.id, u.upn, u.mail, u.display
			if m.mobile {
				d.DeviceName = u.given + "'s " + m.model
			}
		}
		if d.DeviceName == "" {
			d.DeviceName = prefix + strings.ToUpper(strconv.FormatUint(rng.Uint64()>>28, 36))
		}
		d.ManagedDeviceName = d.UserDisplayName + "_" + m.os + "_" + d.EnrolledDateTime.Format("1/2/2006_3:04 PM")
		if d.UserDisplayName == "" {
			d.ManagedDeviceName = d.DeviceName
		}
		e.managed.idx[d.ID] = int32(len(e.managed.list))
		e.managed.list = append(e.managed.list, managedDeviceRec{ManagedDevice: d})
	}
}

// macHex is a universally administered MAC address as Intune writes it:
// twelve upper-case hex digits without separators.
func macHex(rng *mrand.Rand) string {
	v := rng.Uint64() & 0xfcffffffffff // unicast, universally administered
	return fmt.Sprintf("%012X", v)
}

// serveManagedDevices serves the list.
func (e *Emulator) serveManagedDevices(w http.ResponseWriter, r *http.Request) {
	q := r.URL.Query()
	base := baseURL(r)
	var tok pageToken
	if raw, _ := queryGet(q, "skiptoken"); raw != "" {
		t, err := e.decodeToken(raw)
		if err != nil || t.res != resManagedDevices || t.phase != phaseList {
			e.writeGraphError(w, http.StatusBadRequest, "BadRequest", "The $skiptoken provided in the request is invalid or malformed.")
			return
		}
		tok = t
	} else {
		sel, size, aerr := parseManagedDeviceQuery(q)
		if aerr != nil {
			e.writeAPIError(w, aerr)
			return
		}
		tok = pageToken{res: resManagedDevices, phase: phaseList, sel: sel, selected: sel != 0, size: uint16(size)}
	}
	size := cmpInt(int(tok.size), DefaultManagedDevicePageSize)

	bp := e.getBuf()
	defer e.putBuf(bp)
	p := page{buf: *bp}
	e.mu.RLock()
	list := e.managed.list
	if e.empty {
		tok.pos = uint64(len(list))
	}
	for scanned := 0; tok.pos < uint64(len(list)) && p.n < size && scanned < maxScan; scanned++ {
		d := &list[tok.pos]
		tok.pos++
		if !d.deleted {
			p.sep()
			p.buf = appendManagedDevice(p.buf, &d.ManagedDevice, tok.sel, true)
		}
	}
	done := tok.pos >= uint64(len(list))
	e.mu.RUnlock()
	*bp = p.buf[:0]

	l := links{context: base + "/v1.0/$metadata#deviceManagement/managedDevices", count: -1}
	if !done {
		l.next = base + "/v1.0/deviceManagement/managedDevices?$skiptoken=" + e.encodeToken(tok)
	}
	writeCollection(w, l, p.buf)
}

// serveManagedDevice serves one device.
func (e *Emulator) serveManagedDevice(w http.ResponseWriter, r *http.Request, id string) {
	sel, _, aerr := parseManagedDeviceQuery(r.URL.Query())
	if aerr != nil {
		e.writeAPIError(w, aerr)
		return
	}
	b := []byte(`{"@odata.context":`)
	b = appendString(b, baseURL(r)+"/v1.0/$metadata#deviceManagement/managedDevices/$entity")
	e.mu.RLock()
	i, ok := e.managed.idx[id]
	ok = ok && !e.managed.list[i].deleted && !e.empty
	if ok {
		open := len(b)
		b = appendManagedDevice(b, &e.managed.list[i].ManagedDevice, sel, false)
		b[open] = ','
	}
	e.mu.RUnlock()
	if !ok {
		e.writeGraphError(w, http.StatusNotFound, "ResourceNotFound",
			"{\"_version\": 3, \"Message\": \"Resource not found - Operation ID (for customer support): 00000000-0000-0000-0000-000000000000\"}")
		return
	}
	writeEntity(w, b)
}

// parseManagedDeviceQuery reads $select and $top; a zero selection means
// every property.
func parseManagedDeviceQuery(q map[string][]string) (sel uint64, size int, aerr *apiError) {
	if v, ok := queryGet(q, "select"); ok && strings.TrimSpace(v) != "" {
		s, err := parseSelect(v, managedDevicePropNames, "managedDevice")
		if err != nil {
			return 0, 0, err.(*apiError)
		}
		sel = s
	}
	if v, ok := queryGet(q, "top"); ok {
		n, err := strconv.Atoi(v)
		if err != nil || n < 1 || n > MaxManagedDevicePageSize {
			return 0, 0, badRequest("BadRequest", "Invalid $top value '"+v+"'. Must be between 1 and 1000 inclusive.")
		}
		size = n
	}
	for _, opt := range []string{"filter", "orderby", "search", "expand"} {
		if v, ok := queryGet(q, opt); ok && v != "" {
			return 0, 0, badRequest("BadRequest", "Query option '$"+opt+"' is not supported by the emulator for managedDevices.")
		}
	}
	return sel, size, nil
}

// appendManagedDevice writes d as a JSON object. In a list, the properties
// Graph only fills on a single GET come back null or zero.
func appendManagedDevice(b []byte, d *ManagedDevice, sel uint64, inList bool) []byte {
	b = append(b, '{')
	first := true
	for i, name := range managedDevicePropNames {
		if sel != 0 && sel&(1<<i) == 0 {
			continue
		}
		if !first {
			b = append(b, ',')
		}
		first = false
		b = appendString(b, name)
		b = append(b, ':')
		switch name {
		case "id":
			b = appendString(b, d.ID)
		case "userId":
			b = appendNullable(b, d.UserID)
		case "deviceName":
			b = appendString(b, d.DeviceName)
		case "managedDeviceOwnerType":
			b = appendString(b, d.ManagedDeviceOwnerType)
		case "enrolledDateTime":
			b = appendTime(b, d.EnrolledDateTime.Unix())
		case "lastSyncDateTime":
			b = appendTime(b, d.LastSyncDateTime.Unix())
		case "operatingSystem":
			b = appendString(b, d.OperatingSystem)
		case "complianceState":
			b = appendString(b, d.ComplianceState)
		case "jailBroken":
			b = appendString(b, d.JailBroken)
		case "managementAgent":
			b = appendString(b, d.ManagementAgent)
		case "osVersion":
			b = appendString(b, d.OSVersion)
		case "azureADRegistered":
			b = strconv.AppendBool(b, d.AzureADDeviceID != "")
		case "deviceEnrollmentType":
			b = appendString(b, "windowsAzureADJoin")
		case "emailAddress":
			b = appendNullable(b, d.EmailAddress)
		case "azureADDeviceId":
			b = appendNullable(b, d.AzureADDeviceID)
		case "deviceRegistrationState":
			b = appendString(b, d.DeviceRegistrationState)
		case "isSupervised":
			b = strconv.AppendBool(b, d.IsSupervised)
		case "isEncrypted":
			b = strconv.AppendBool(b, d.IsEncrypted)
		case "userPrincipalName":
			b = appendNullable(b, d.UserPrincipalName)
		case "model":
			b = appendString(b, d.Model)
		case "manufacturer":
			b = appendString(b, d.Manufacturer)
		case "imei":
			b = appendNullable(b, d.IMEI)
		case "serialNumber":
			b = appendString(b, d.SerialNumber)
		case "userDisplayName":
			b = appendNullable(b, d.UserDisplayName)
		case "wiFiMacAddress":
			b = appendNullable(b, d.WiFiMacAddress)
		case "meid":
			b = appendNullable(b, d.MEID)
		case "totalStorageSpaceInBytes":
			b = strconv.AppendInt(b, d.TotalStorageSpaceInBytes, 10)
		case "freeStorageSpaceInBytes":
			b = strconv.AppendInt(b, d.FreeStorageSpaceInBytes, 10)
		case "managedDeviceName":
			b = appendString(b, d.ManagedDeviceName)
		case "notes":
			if inList {
				b = append(b, "null"...)
			} else {
				b = appendNullable(b, d.Notes)
			}
		case "ethernetMacAddress":
			if inList {
				b = append(b, "null"...)
			} else {
				b = appendNullable(b, d.EthernetMacAddress)
			}
		case "physicalMemoryInBytes":
			if inList {
				b = append(b, '0')
			} else {
				b = strconv.AppendInt(b, d.PhysicalMemoryInBytes, 10)
			}
		}
	}
	return append(b, '}')
}
