package snipeit

import (
	"fmt"
	"math/rand/v2"
	"slices"
	"sort"
	"time"
)

// Status types of a status label, as Snipe-IT stores them.
const (
	StatusDeployable   = "deployable"
	StatusPending      = "pending"
	StatusUndeployable = "undeployable"
	StatusArchived     = "archived"
)

// IDs of the status labels every new instance has (Snipe-IT's seeded
// labels).
const (
	LabelReadyToDeploy = 1
	LabelPending       = 2
	LabelArchived      = 3
	LabelOutForRepair  = 4
	LabelBroken        = 5
	LabelLost          = 6
)

// Named is an {id, name} object (company, category, manufacturer).
type Named struct {
	ID   int
	Name string
}

// StatusLabel is a status label.
type StatusLabel struct {
	ID   int
	Name string
	// Type is one of the Status* constants.
	Type string
}

// Location is a Snipe-IT location.
type Location struct {
	ID       int
	Name     string
	ParentID int
	City     string
	Country  string
	// CompanyID is the location's company (recent versions can tie
	// locations to companies), 0 for none.
	CompanyID int
}

// User is a Snipe-IT user an asset can be checked out to.
type User struct {
	ID          int
	Username    string
	FirstName   string
	LastName    string
	Email       string
	EmployeeNum string
}

// Model is an asset model.
type Model struct {
	ID             int
	Name           string
	ModelNumber    string
	ManufacturerID int
	CategoryID     int
	// Fieldset lists the custom fields (by label) assets of the model have.
	Fieldset []string
}

// CustomField is a custom field definition: the label assets show it under,
// its database column and its format (MAC, IP, ANY, ...).
type CustomField struct {
	Name   string
	Column string
	Format string
}

// Asset is a hardware asset.
type Asset struct {
	ID            int
	Name          string
	AssetTag      string
	Serial        string
	ModelID       int
	StatusID      int
	CompanyID     int
	LocationID    int
	RTDLocationID int
	// AssignedUserID is the user the asset is checked out to, 0 for none.
	AssignedUserID int
	Notes          string
	// PurchaseDate is "YYYY-MM-DD" or "".
	PurchaseDate   string
	WarrantyMonths int
	// Custom holds custom field values by field label.
	Custom        map[string]string
	CreatedAt     time.Time
	UpdatedAt     time.Time
	LastAuditDate time.Time
	LastCheckout  time.Time
	// DeletedAt is set for a soft-deleted asset.
	DeletedAt time.Time
}

// inventory is the instance's data. Assets are kept in ID order, which is
// also creation order, so the common listings need no sort.
type inventory struct {
	now           time.Time
	companies     map[int]Named
	categories    map[int]Named
	manufacturers map[int]Named
	labels        map[int]StatusLabel
	models        map[int]Model
	fields        map[string]CustomField
	users         map[int]User
	locations     []Location
	assets        []*Asset
	byID          map[int]*Asset
	nextAsset     int
	nextLocation  int
	nextUser      int
	// me is the token's own user.
	me int
}

func newInventory(now time.Time) inventory {
	inv := inventory{
		now:           now,
		companies:     map[int]Named{},
		categories:    map[int]Named{},
		manufacturers: map[int]Named{},
		labels:        map[int]StatusLabel{},
		models:        map[int]Model{},
		fields:        map[string]CustomField{},
		users:         map[int]User{},
		byID:          map[int]*Asset{},
		nextAsset:     1,
		nextLocation:  1,
		nextUser:      1,
	}
	for _, l := range []StatusLabel{
		{LabelReadyToDeploy, "Ready to Deploy", StatusDeployable},
		{LabelPending, "Pending", StatusPending},
		{LabelArchived, "Archived", StatusArchived},
		{LabelOutForRepair, "Out for Repair", StatusUndeployable},
		{LabelBroken, "Broken - Not Fixable", StatusUndeployable},
		{LabelLost, "Lost/Stolen", StatusArchived},
	} {
		inv.labels[l.ID] = l
	}
	for i, n := range []string{"Laptops", "Desktops", "Servers", "Mobile Phones", "Tablets", "Printers", "Switches", "Virtual Machines"} {
		inv.categories[i+1] = Named{i + 1, n}
	}
	for i, n := range []string{"Lenovo", "Dell", "Apple", "HP", "Cisco", "Samsung", "VMware"} {
		inv.manufacturers[i+1] = Named{i + 1, n}
	}
	for _, f := range []CustomField{
		{"MAC Address", "_snipeit_mac_address_1", "MAC"},
		{"IP Address", "_snipeit_ip_address_2", "IP"},
		{"Operating System", "_snipeit_operating_system_3", "ANY"},
		{"RAM", "_snipeit_ram_4", "NUMERIC"},
		{"Cost Centre", "_snipeit_cost_centre_5", "ANY"},
	} {
		inv.fields[f.Name] = f
	}
	computer := []string{"MAC Address", "IP Address", "Operating System", "RAM", "Cost Centre"}
	for _, m := range []Model{
		{1, "ThinkPad T14 Gen 4", "21HD", 1, 1, computer},
		{2, "Latitude 7440", "L7440", 2, 1, computer},
		{3, "MacBook Pro 14", "A2918", 3, 1, computer},
		{4, "OptiPlex 7010", "D7010", 2, 2, computer},
		{5, "PowerEdge R760", "R760", 2, 3, computer},
		{6, "Galaxy S24", "SM-S921B", 6, 4, []string{"Cost Centre"}},
		{7, "iPad Air", "A2588", 3, 5, []string{"Cost Centre"}},
		{8, "LaserJet Pro M404", "W1A52A", 4, 6, []string{"MAC Address", "IP Address"}},
		{9, "Catalyst 9200", "C9200-24T", 5, 7, []string{"MAC Address", "IP Address"}},
		{10, "VMware Virtual Platform", "VMW", 7, 8, computer},
	} {
		inv.models[m.ID] = m
	}
	inv.me = inv.addUser(User{Username: "integrator", FirstName: "Integrator", LastName: "Service", Email: "integrator@example.com"})
	return inv
}

func (inv *inventory) addUser(u User) int {
	u.ID = inv.nextUser
	inv.nextUser++
	inv.users[u.ID] = u
	return u.ID
}

// GenerateOptions shapes a generated instance.
type GenerateOptions struct {
	// Companies and Locations are how many of each to create. Defaults: 3
	// companies, 5 locations.
	Companies, Locations int
	// Users is how many users assets get checked out to. Defaults to half
	// the assets, at least 1.
	Users int
	// Seed makes the data reproducible. Defaults to 1.
	Seed uint64
}

// Generate adds n assets spread over generated companies, locations and
// users: most deployed (checked out), some ready to deploy, a few archived,
// broken or pending, with serials, custom fields and warranty.
func (e *Emulator) Generate(n int, o GenerateOptions) {
	if o.Companies <= 0 {
		o.Companies = 3
	}
	if o.Locations <= 0 {
		o.Locations = 5
	}
	if o.Users <= 0 {
		o.Users = max(1, n/2)
	}
	if o.Seed == 0 {
		o.Seed = 1
	}
	rng := rand.New(rand.NewPCG(o.Seed, 7))
	e.mu.Lock()
	defer e.mu.Unlock()
	base := len(e.companies)
	for i := range o.Companies {
		id := base + i + 1
		e.companies[id] = Named{id, fmt.Sprintf("Company %d", id)}
	}
	cities := []string{"London", "Berlin", "Paris", "Madrid", "Lisbon", "Dublin", "Vienna", "Oslo"}
	firstLoc := e.nextLocation
	for i := range o.Locations {
		city := cities[i%len(cities)]
		e.addLocationLocked(Location{Name: fmt.Sprintf("%s Office %d", city, e.nextLocation), City: city, Country: "EU", CompanyID: base + 1 + i%o.Companies})
	}
	firstUser := e.nextUser
	first := []string{"Ana", "Ben", "Chloe", "Dev", "Eva", "Femi", "Gus", "Hana", "Ivo", "Jin"}
	last := []string{"Ruiz", "Okafor", "Schmidt", "Patel", "Novak", "Costa", "Berg", "Kim"}
	for range o.Users {
		f, l := first[rng.IntN(len(first))], last[rng.IntN(len(last))]
		u := fmt.Sprintf("%s.%s%d", lower(f), lower(l), e.nextUser)
		e.addUser(User{Username: u, FirstName: f, LastName: l, Email: u + "@example.com", EmployeeNum: fmt.Sprintf("E%05d", e.nextUser)})
	}
	for range n {
		modelID := 1 + rng.IntN(len(e.models))
		m := e.models[modelID]
		locID := firstLoc + rng.IntN(o.Locations)
		a := Asset{
			ModelID:        modelID,
			AssetTag:       fmt.Sprintf("A-%06d", e.nextAsset),
			Serial:         fmt.Sprintf("SN%08X", rng.Uint32()),
			CompanyID:      base + 1 + rng.IntN(o.Companies),
			LocationID:     locID,
			RTDLocationID:  locID,
			PurchaseDate:   e.now.AddDate(0, -rng.IntN(36), 0).Format(time.DateOnly),
			WarrantyMonths: 36,
			Custom:         map[string]string{},
		}
		a.Name = fmt.Sprintf("%s-%06d", prefix(m.CategoryID), e.nextAsset)
		switch r := rng.IntN(100); {
		case r < 70:
			a.StatusID = LabelReadyToDeploy
			a.AssignedUserID = firstUser + rng.IntN(o.Users)
		case r < 85:
			a.StatusID = LabelReadyToDeploy
		case r < 90:
			a.StatusID = LabelPending
		case r < 95:
			a.StatusID = LabelArchived
		default:
			a.StatusID = LabelBroken
		}
		for _, f := range m.Fieldset {
			switch f {
			case "MAC Address":
				a.Custom[f] = fmt.Sprintf("a4:83:e7:%02x:%02x:%02x", rng.IntN(256), rng.IntN(256), rng.IntN(256))
			case "IP Address":
				a.Custom[f] = fmt.Sprintf("10.%d.%d.%d", rng.IntN(256), rng.IntN(256), 1+rng.IntN(254))
			case "Operating System":
				a.Custom[f] = []string{"Windows 11 Enterprise", "macOS 14.5", "Ubuntu 24.04 LTS"}[rng.IntN(3)]
			case "RAM":
				a.Custom[f] = []string{"8", "16", "32"}[rng.IntN(3)]
			case "Cost Centre":
				a.Custom[f] = fmt.Sprintf("CC-%03d", rng.IntN(50))
			}
		}
		e.addAssetLocked(a)
	}
}

func prefix(category int) string {
	switch category {
	case 1:
		return "LT"
	case 2:
		return "WS"
	case 3:
		return "SRV"
	case 4, 5:
		return "MOB"
	case 6:
		return "PRN"
	case 7:
		return "SW"
	}
	return "VM"
}

func lower(s string) string {
	b := []byte(s)
	for i, c := range b {
		if 'A' <= c && c <= 'Z' {
			b[i] = c + 'a' - 'A'
		}
	}
	return string(b)
}

func (e *Emulator) addAssetLocked(a Asset) int {
	a.ID = e.nextAsset
	e.nextAsset++
	now := e.opts.Now()
	if a.CreatedAt.IsZero() {
		a.CreatedAt = now
	}
	a.UpdatedAt = now
	if a.Custom == nil {
		a.Custom = map[string]string{}
	}
	if a.AssignedUserID != 0 && a.LastCheckout.IsZero() {
		a.LastCheckout = now
	}
	p := &a
	e.assets = append(e.assets, p)
	e.byID[a.ID] = p
	return a.ID
}

func (e *Emulator) addLocationLocked(l Location) int {
	l.ID = e.nextLocation
	e.nextLocation++
	e.locations = append(e.locations, l)
	return l.ID
}

// AddLocation adds a location and returns its ID.
func (e *Emulator) AddLocation(l Location) int {
	e.mu.Lock()
	defer e.mu.Unlock()
	return e.addLocationLocked(l)
}

// AddUser adds a user and returns its ID.
func (e *Emulator) AddUser(u User) int {
	e.mu.Lock()
	defer e.mu.Unlock()
	return e.addUser(u)
}

// AddCompany adds a company and returns its ID.
func (e *Emulator) AddCompany(name string) int {
	e.mu.Lock()
	defer e.mu.Unlock()
	id := len(e.companies) + 1
	e.companies[id] = Named{id, name}
	return id
}

// AddAsset adds an asset (its ID is ignored) and returns its ID.
func (e *Emulator) AddAsset(a Asset) int {
	e.mu.Lock()
	defer e.mu.Unlock()
	return e.addAssetLocked(a)
}

// UpdateAsset changes an asset in place and stamps updated_at.
func (e *Emulator) UpdateAsset(id int, change func(*Asset)) error {
	e.mu.Lock()
	defer e.mu.Unlock()
	a, ok := e.byID[id]
	if !ok {
		return fmt.Errorf("asset %d does not exist", id)
	}
	change(a)
	a.ID = id
	a.UpdatedAt = e.opts.Now()
	return nil
}

// MoveAsset moves an asset to another location.
func (e *Emulator) MoveAsset(id, locationID int) error {
	return e.UpdateAsset(id, func(a *Asset) { a.LocationID = locationID })
}

// SetStatus gives an asset another status label.
func (e *Emulator) SetStatus(id, labelID int) error {
	return e.UpdateAsset(id, func(a *Asset) { a.StatusID = labelID })
}

// Checkout checks an asset out to a user; userID 0 checks it in.
func (e *Emulator) Checkout(id, userID int) error {
	now := e.opts.Now()
	return e.UpdateAsset(id, func(a *Asset) {
		a.AssignedUserID = userID
		if userID != 0 {
			a.LastCheckout = now
		}
	})
}

// DeleteAsset soft-deletes an asset, as the web UI's Delete does: it is
// then listed only with status=Deleted.
func (e *Emulator) DeleteAsset(id int) error {
	now := e.opts.Now()
	return e.UpdateAsset(id, func(a *Asset) { a.DeletedAt = now })
}

// PurgeAsset removes an asset for good (the admin's "purge deleted").
func (e *Emulator) PurgeAsset(id int) error {
	e.mu.Lock()
	defer e.mu.Unlock()
	if _, ok := e.byID[id]; !ok {
		return fmt.Errorf("asset %d does not exist", id)
	}
	delete(e.byID, id)
	e.assets = slices.DeleteFunc(e.assets, func(a *Asset) bool { return a.ID == id })
	return nil
}

// Asset returns a copy of one asset.
func (e *Emulator) Asset(id int) (Asset, bool) {
	e.mu.RLock()
	defer e.mu.RUnlock()
	a, ok := e.byID[id]
	if !ok {
		return Asset{}, false
	}
	c := *a
	return c, true
}

// AssetIDs returns the IDs of the assets that are not deleted, ascending.
func (e *Emulator) AssetIDs() []int {
	e.mu.RLock()
	defer e.mu.RUnlock()
	ids := make([]int, 0, len(e.assets))
	for _, a := range e.assets {
		if a.DeletedAt.IsZero() {
			ids = append(ids, a.ID)
		}
	}
	return ids
}

// User returns one user.
func (e *Emulator) User(id int) (User, bool) {
	e.mu.RLock()
	defer e.mu.RUnlock()
	u, ok := e.users[id]
	return u, ok
}

// Locations returns the locations.
func (e *Emulator) Locations() []Location {
	e.mu.RLock()
	defer e.mu.RUnlock()
	return slices.Clone(e.locations)
}

// selectAssets returns the assets a listing covers, in the requested
// order. The caller holds e.mu for reading.
func (e *Emulator) selectAssets(deleted bool, sortBy string, asc bool) []*Asset {
	out := make([]*Asset, 0, len(e.assets))
	for _, a := range e.assets {
		if a.DeletedAt.IsZero() != deleted {
			out = append(out, a)
		}
	}
	var less func(a, b *Asset) bool
	switch sortBy {
	case "id":
		// Already in ID order.
	case "name":
		less = func(a, b *Asset) bool { return a.Name < b.Name }
	case "asset_tag":
		less = func(a, b *Asset) bool { return a.AssetTag < b.AssetTag }
	case "serial":
		less = func(a, b *Asset) bool { return a.Serial < b.Serial }
	default:
		less = func(a, b *Asset) bool { return a.CreatedAt.Before(b.CreatedAt) }
	}
	if less != nil {
		sort.SliceStable(out, func(i, j int) bool { return less(out[i], out[j]) })
	}
	if !asc {
		slices.Reverse(out)
	}
	return out
}
