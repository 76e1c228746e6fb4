package ninjaone

import (
	"encoding/json"
	"net/http"
	"strconv"
	"time"
)

// queryKind is one /v2/queries/* report.
type queryKind uint8

const (
	queryComputerSystems queryKind = iota + 1
	queryOperatingSystems
	queryNetworkInterfaces
	queryLoggedOnUsers
	querySoftware
)

var queryKinds = map[string]queryKind{
	"computer-systems":   queryComputerSystems,
	"operating-systems":  queryOperatingSystems,
	"network-interfaces": queryNetworkInterfaces,
	"logged-on-users":    queryLoggedOnUsers,
	"software":           querySoftware,
}

// cursorState is an open query cursor: a snapshot of the devices matching
// its filter and the position of the next row.
type cursorState struct {
	kind    queryKind
	devices []int32 // indexes into e.devices
	pos     int     // next device in devices
	sub     int     // next row of that device
	offset  int     // rows delivered so far
	size    int
	expires time.Time
}

type cursorJSON struct {
	Name    string  `json:"name"`
	Offset  int     `json:"offset"`
	Count   int     `json:"count"`
	Expires float64 `json:"expires"`
}

type queryPage struct {
	Cursor  cursorJSON `json:"cursor"`
	Results []any      `json:"results"`
}

func (e *Emulator) serveQuery(w http.ResponseWriter, r *http.Request, kind queryKind) {
	q := r.URL.Query()
	now := e.opts.Now()
	e.curMu.Lock()
	defer e.curMu.Unlock()
	for name, c := range e.cursors {
		if now.After(c.expires) {
			delete(e.cursors, name)
		}
	}
	name := q.Get("cursor")
	var c *cursorState
	if name != "" {
		c = e.cursors[name]
		if c == nil || c.kind != kind {
			e.writeError(w, http.StatusBadRequest, "INVALID_CURSOR", "Cursor "+name+" does not exist or has expired")
			return
		}
	} else {
		size, _, err := e.paging(q)
		if err != nil {
			e.writeError(w, http.StatusBadRequest, "BAD_REQUEST", err.Error())
			return
		}
		f, err := parseFilter(q.Get("df"))
		if err != nil {
			e.writeError(w, http.StatusBadRequest, "BAD_REQUEST", err.Error())
			return
		}
		c = &cursorState{kind: kind, size: size}
		e.mu.RLock()
		e.eachDevice(f, 0, func(d *Device) bool {
			i, _ := e.deviceIndex(d.ID)
			c.devices = append(c.devices, int32(i))
			return true
		})
		e.mu.RUnlock()
		name = randomHex(16)
		e.cursors[name] = c
	}
	c.expires = now.Add(e.opts.CursorTTL)

	page := queryPage{Results: make([]any, 0, c.size)}
	e.mu.RLock()
	for c.pos < len(c.devices) && len(page.Results) < c.size {
		rec := &e.devices[c.devices[c.pos]]
		rows := 0
		if !rec.deleted {
			rows = rowCount(kind, &rec.Device)
		}
		for c.sub < rows && len(page.Results) < c.size {
			page.Results = append(page.Results, row(kind, &rec.Device, c.sub))
			c.sub++
		}
		if c.sub >= rows {
			c.pos, c.sub = c.pos+1, 0
		}
	}
	e.mu.RUnlock()
	page.Cursor = cursorJSON{Name: name, Offset: c.offset, Count: len(page.Results), Expires: epoch(c.expires)}
	c.offset += len(page.Results)
	if len(page.Results) == 0 {
		delete(e.cursors, name)
	}
	b, _ := json.Marshal(page)
	writeBody(w, http.StatusOK, b)
}

func rowCount(kind queryKind, d *Device) int {
	switch kind {
	case queryComputerSystems, queryOperatingSystems:
		return 1
	case queryNetworkInterfaces:
		return len(d.NICs)
	case queryLoggedOnUsers:
		if d.LastUser == "" {
			return 0
		}
		return 1
	case querySoftware:
		return len(d.softwareRefs) + len(d.Software)
	}
	return 0
}

type computerSystemJSON struct {
	Name                string  `json:"name"`
	Manufacturer        string  `json:"manufacturer"`
	Model               string  `json:"model"`
	BIOSSerialNumber    string  `json:"biosSerialNumber"`
	SerialNumber        string  `json:"serialNumber"`
	Domain              string  `json:"domain"`
	DomainRole          string  `json:"domainRole"`
	NumberOfProcessors  int     `json:"numberOfProcessors"`
	TotalPhysicalMemory int64   `json:"totalPhysicalMemory"`
	VirtualMachine      bool    `json:"virtualMachine"`
	ChassisType         string  `json:"chassisType"`
	DeviceID            int     `json:"deviceId"`
	Timestamp           float64 `json:"timestamp"`
}

type operatingSystemJSON struct {
	Manufacturer string  `json:"manufacturer"`
	Name         string  `json:"name"`
	Architecture string  `json:"architecture"`
	LastBootTime float64 `json:"lastBootTime"`
	BuildNumber  string  `json:"buildNumber"`
	ReleaseID    string  `json:"releaseId"`
	NeedsReboot  bool    `json:"needsReboot"`
	DeviceID     int     `json:"deviceId"`
	Timestamp    float64 `json:"timestamp"`
}

type networkInterfaceJSON struct {
	AdapterName   string   `json:"adapterName"`
	InterfaceName string   `json:"interfaceName"`
	InterfaceType string   `json:"interfaceType"`
	IPAddress     []string `json:"ipAddress"`
	MACAddress    []string `json:"macAddress"`
	Status        string   `json:"status"`
	DeviceID      int      `json:"deviceId"`
}

type loggedOnUserJSON struct {
	UserName  string  `json:"userName"`
	LogonTime float64 `json:"logonTime"`
	DeviceID  int     `json:"deviceId"`
	Timestamp float64 `json:"timestamp"`
}

type softwareJSON struct {
	Name      string  `json:"name"`
	Publisher string  `json:"publisher"`
	Version   string  `json:"version"`
	DeviceID  int     `json:"deviceId"`
	Timestamp float64 `json:"timestamp"`
}

// row is the i-th row of a device in a query.
func row(kind queryKind, d *Device, i int) any {
	ts := epoch(d.LastUpdate)
	switch kind {
	case queryComputerSystems:
		role := "MemberWorkstation"
		if d.NodeClass == "WINDOWS_SERVER" || d.NodeClass == "LINUX_SERVER" {
			role = "MemberServer"
		}
		return computerSystemJSON{Name: d.SystemName, Manufacturer: d.Manufacturer, Model: d.Model,
			BIOSSerialNumber: d.BIOSSerialNumber, SerialNumber: d.SerialNumber, Domain: d.Domain, DomainRole: role,
			NumberOfProcessors: d.Processors, TotalPhysicalMemory: d.TotalPhysicalMemory,
			VirtualMachine: d.VirtualMachine, ChassisType: d.ChassisType, DeviceID: d.ID, Timestamp: ts}
	case queryOperatingSystems:
		mf := "Microsoft Corporation"
		switch d.NodeClass {
		case "MAC":
			mf = "Apple Inc."
		case "LINUX_WORKSTATION", "LINUX_SERVER":
			mf = "Canonical"
		}
		return operatingSystemJSON{Manufacturer: mf, Name: d.OSName, Architecture: d.OSArchitecture,
			LastBootTime: epoch(d.LastBoot), BuildNumber: d.OSBuildNumber, ReleaseID: d.OSReleaseID,
			DeviceID: d.ID, Timestamp: ts}
	case queryNetworkInterfaces:
		n := d.NICs[i]
		return networkInterfaceJSON{AdapterName: n.AdapterName, InterfaceName: n.InterfaceName,
			InterfaceType: "Ethernet 802.3", IPAddress: nonNil(n.IPAddresses), MACAddress: nonNil(n.MACAddresses),
			Status: n.Status, DeviceID: d.ID}
	case queryLoggedOnUsers:
		return loggedOnUserJSON{UserName: d.LastUser, LogonTime: epoch(d.LastLogon), DeviceID: d.ID, Timestamp: ts}
	case querySoftware:
		var s Software
		if i < len(d.softwareRefs) {
			s = softwareCatalogue[d.softwareRefs[i]]
		} else {
			s = d.Software[i-len(d.softwareRefs)]
		}
		return softwareJSON{Name: s.Name, Publisher: s.Publisher, Version: s.Version, DeviceID: d.ID, Timestamp: ts}
	}
	return nil
}

func nonNil(s []string) []string {
	if s == nil {
		return []string{}
	}
	return s
}

// itoa is strconv.Itoa, kept short for generate.go.
func itoa(n int) string { return strconv.Itoa(n) }
