package cwautomate

import (
	"fmt"
	"slices"
	"sort"
	"time"
)

// Client is an Automate client (a customer).
type Client struct {
	ID   int
	Name string
	City string
}

// Location is a client's location (a site).
type Location struct {
	ID       int
	ClientID int
	Name     string
}

// Computer is an agent's computer.
type Computer struct {
	ID                     int
	ClientID, LocationID   int
	ComputerName           string
	OperatingSystemName    string
	OperatingSystemVersion string
	DomainName             string
	RemoteAgentLastContact time.Time
	// Status is "Online" or "Offline".
	Status string
	// Type is "Workstation" or "Server".
	Type             string
	IsVirtualMachine bool
	SerialNumber     string
	MACAddress       string
	LocalIPAddress   string
	GatewayIPAddress string
	AssetTag         string
	BiosManufacturer string
	BiosFlash        string
	Model            string
	// TotalMemory is in MB.
	TotalMemory     int64
	LastUserName    string
	LoggedInUsers   []string
	WarrantyEndDate time.Time
	Comment         string
	DateAdded       time.Time
}

type data struct {
	nextID    int
	clients   []*Client
	locations []*Location
	computers []*Computer // ordered by ID
	compIdx   map[int]*Computer
}

func newData() data { return data{nextID: 1, compIdx: map[int]*Computer{}} }

// AddClient adds a client and returns it with its ID.
func (e *Emulator) AddClient(c Client) Client {
	e.mu.Lock()
	defer e.mu.Unlock()
	if c.ID == 0 {
		e.nextID++
		c.ID = e.nextID
	}
	cc := c
	e.clients = append(e.clients, &cc)
	return c
}

// AddLocation adds a location to an existing client.
func (e *Emulator) AddLocation(l Location) (Location, error) {
	e.mu.Lock()
	defer e.mu.Unlock()
	if e.client(l.ClientID) == nil {
		return Location{}, fmt.Errorf("cwautomate emulator: no client %d", l.ClientID)
	}
	if l.ID == 0 {
		e.nextID++
		l.ID = e.nextID
	}
	ll := l
	e.locations = append(e.locations, &ll)
	return l, nil
}

func (d *data) client(id int) *Client {
	for _, c := range d.clients {
		if c.ID == id {
			return c
		}
	}
	return nil
}

func (d *data) location(id int) *Location {
	for _, l := range d.locations {
		if l.ID == id {
			return l
		}
	}
	return nil
}

// AddComputer adds a computer to an existing location (ClientID is taken
// from the location).
func (e *Emulator) AddComputer(c Computer) (Computer, error) {
	e.mu.Lock()
	defer e.mu.Unlock()
	l := e.location(c.LocationID)
	if l == nil {
		return Computer{}, fmt.Errorf("cwautomate emulator: no location %d", c.LocationID)
	}
	c.ClientID = l.ClientID
	if c.ID == 0 {
		e.nextID++
		c.ID = e.nextID
	}
	if _, dup := e.compIdx[c.ID]; dup {
		return Computer{}, fmt.Errorf("cwautomate emulator: computer %d exists", c.ID)
	}
	now := e.opts.Now()
	if c.DateAdded.IsZero() {
		c.DateAdded = now
	}
	if c.RemoteAgentLastContact.IsZero() {
		c.RemoteAgentLastContact = now
	}
	cc := c
	e.computers = append(e.computers, &cc)
	if n := len(e.computers); n > 1 && e.computers[n-2].ID > cc.ID {
		sort.Slice(e.computers, func(i, j int) bool { return e.computers[i].ID < e.computers[j].ID })
	}
	e.compIdx[c.ID] = &cc
	return c, nil
}

// UpdateComputer changes a computer with fn.
func (e *Emulator) UpdateComputer(id int, fn func(*Computer)) error {
	e.mu.Lock()
	defer e.mu.Unlock()
	c, ok := e.compIdx[id]
	if !ok {
		return fmt.Errorf("cwautomate emulator: no computer %d", id)
	}
	keep := c.ID
	fn(c)
	c.ID = keep
	if l := e.location(c.LocationID); l != nil {
		c.ClientID = l.ClientID
	}
	return nil
}

// MoveComputer moves a computer to another location (and its client).
func (e *Emulator) MoveComputer(id, locationID int) error {
	e.mu.Lock()
	defer e.mu.Unlock()
	c, ok := e.compIdx[id]
	if !ok {
		return fmt.Errorf("cwautomate emulator: no computer %d", id)
	}
	l := e.location(locationID)
	if l == nil {
		return fmt.Errorf("cwautomate emulator: no location %d", locationID)
	}
	c.LocationID, c.ClientID = l.ID, l.ClientID
	return nil
}

// RemoveComputer retires a computer: it is no longer listed.
func (e *Emulator) RemoveComputer(id int) error {
	e.mu.Lock()
	defer e.mu.Unlock()
	if _, ok := e.compIdx[id]; !ok {
		return fmt.Errorf("cwautomate emulator: no computer %d", id)
	}
	delete(e.compIdx, id)
	e.computers = slices.DeleteFunc(e.computers, func(c *Computer) bool { return c.ID == id })
	return nil
}

// Computers returns copies of the computers in ID order.
func (e *Emulator) Computers() []Computer {
	e.mu.RLock()
	defer e.mu.RUnlock()
	out := make([]Computer, len(e.computers))
	for i, c := range e.computers {
		out[i] = *c
	}
	return out
}

var hardware = []struct{ manufacturer, model, typ string }{
	{"Dell Inc.", "Latitude 5420", "Workstation"},
	{"HP", "EliteDesk 800 G6", "Workstation"},
	{"LENOVO", "ThinkPad T14", "Workstation"},
	{"Dell Inc.", "PowerEdge R640", "Server"},
	{"Microsoft Corporation", "Virtual Machine", "Server"},
}

// Generate adds clients, each with locationsPerClient locations, and
// computers spread over the locations, deterministically: computer i is
// "PC-%06d" (or "SRV-"), serial "CW%08d", MAC "00-1B-2C-xx-xx-xx",
// offline every 25th, a virtual machine every 5th (the Microsoft model).
// It returns the locations and computers created.
func (e *Emulator) Generate(computers, clients, locationsPerClient int) ([]Location, []Computer, error) {
	clients, locationsPerClient = max(clients, 1), max(locationsPerClient, 1)
	var locs []Location
	for k := range clients {
		c := e.AddClient(Client{Name: fmt.Sprintf("Client %03d", k), City: "Springfield"})
		for j := range locationsPerClient {
			l, err := e.AddLocation(Location{ClientID: c.ID, Name: fmt.Sprintf("Office %d", j)})
			if err != nil {
				return nil, nil, err
			}
			locs = append(locs, l)
		}
	}
	base := e.opts.Now().Add(-30 * 24 * time.Hour).Truncate(time.Second)
	var out []Computer
	for i := range computers {
		hw := hardware[i%len(hardware)]
		prefix := "PC"
		if hw.typ == "Server" {
			prefix = "SRV"
		}
		c, err := e.AddComputer(Computer{
			LocationID:             locs[i%len(locs)].ID,
			ComputerName:           fmt.Sprintf("%s-%06d", prefix, i),
			OperatingSystemName:    "Microsoft Windows 11 Pro x64",
			OperatingSystemVersion: "10.0.22631",
			DomainName:             "CORP",
			RemoteAgentLastContact: base.Add(time.Duration(i) * time.Minute),
			Status:                 map[bool]string{true: "Offline", false: "Online"}[i%25 == 24],
			Type:                   hw.typ,
			IsVirtualMachine:       hw.model == "Virtual Machine",
			SerialNumber:           fmt.Sprintf("CW%08d", i),
			MACAddress:             fmt.Sprintf("00-1B-2C-%02X-%02X-%02X", (i>>16)&255, (i>>8)&255, i&255),
			LocalIPAddress:         fmt.Sprintf("10.%d.%d.%d", (i>>16)&255, (i>>8)&255, i&255),
			GatewayIPAddress:       "10.0.0.1",
			BiosManufacturer:       hw.manufacturer,
			BiosFlash:              "1.2.3",
			Model:                  hw.model,
			TotalMemory:            16384,
			LastUserName:           fmt.Sprintf(`CORP\user%d`, i),
			LoggedInUsers:          []string{fmt.Sprintf(`CORP\user%d`, i)},
			WarrantyEndDate:        time.Date(2028, 3, 31, 0, 0, 0, 0, time.UTC),
			DateAdded:              base,
		})
		if err != nil {
			return nil, nil, err
		}
		out = append(out, c)
	}
	return locs, out, nil
}
