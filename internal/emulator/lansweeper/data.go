package lansweeper

import (
	"crypto/sha1"
	"encoding/base64"
	"fmt"
	"math/rand/v2"
	"slices"
	"sort"
	"time"
)

// Site is a Lansweeper site: the unit a token is authorised for.
type Site struct {
	ID   string
	Name string
}

// Volume is one volume of an asset; sizes in bytes.
type Volume struct {
	Name      string
	Size      int64
	FreeSpace int64
}

// Software is one installed software title.
type Software struct {
	Name      string
	Version   string
	Publisher string
}

// CustomField is an asset custom field value.
type CustomField struct {
	Name  string
	Value string
}

// Asset is a scanned asset of one site.
type Asset struct {
	// Key is the asset's stable identifier (the API's "key").
	Key            string
	SiteID         string
	InstallationID string
	// assetBasicInfo
	Name       string
	Domain     string
	FQDN       string
	IPAddress  string
	MAC        string
	Type       string
	SubType    string
	UserName   string
	UserDomain string
	FirstSeen  time.Time
	LastSeen   time.Time
	// LastUpdated moves whenever the asset changes.
	LastUpdated time.Time
	// assetCustom
	SerialNumber string
	Manufacturer string
	Model        string
	StateName    string
	WarrantyDate time.Time
	Fields       []CustomField
	// operatingSystem
	OSCaption   string
	OSVersion   string
	ProductType int
	// MemoryKB is operatingSystem.totalVisibleMemorySize (kilobytes, as
	// WMI reports it).
	MemoryKB   int64
	Processors []string
	Volumes    []Volume
	// Software indexes the emulator's software catalogue, so that 100,000
	// assets with their inventories stay small in memory.
	Software []uint16
}

// data is the emulated account: its sites and their assets, kept sorted
// by key (the order the cursor pages in).
type data struct {
	sites   []Site
	assets  map[string][]*Asset // site ID → assets sorted by key
	byKey   map[string]*Asset
	catalog []Software
}

func newData() data {
	return data{assets: map[string][]*Asset{}, byKey: map[string]*Asset{}, catalog: softwareCatalog()}
}

func softwareCatalog() []Software {
	var c []Software
	for _, s := range []struct{ name, publisher string }{
		{"Google Chrome", "Google LLC"}, {"Mozilla Firefox", "Mozilla"}, {"Microsoft Edge", "Microsoft Corporation"},
		{"Microsoft 365 Apps for enterprise", "Microsoft Corporation"}, {"Microsoft Teams", "Microsoft Corporation"},
		{"Zoom Workplace", "Zoom Video Communications, Inc."}, {"7-Zip", "Igor Pavlov"}, {"Adobe Acrobat Reader", "Adobe"},
		{"Slack", "Slack Technologies Inc."}, {"Visual Studio Code", "Microsoft Corporation"}, {"Git", "The Git Development Community"},
		{"Notepad++", "Notepad++ Team"}, {"VLC media player", "VideoLAN"}, {"CrowdStrike Falcon Sensor", "CrowdStrike, Inc."},
		{"Lansweeper IT Agent", "Lansweeper"}, {"Python 3.12", "Python Software Foundation"}, {"Docker Desktop", "Docker Inc."},
		{"PuTTY", "Simon Tatham"}, {"WinSCP", "Martin Prikryl"}, {"KeePass Password Safe", "Dominik Reichl"},
	} {
		for _, v := range []string{"1.0.0", "2.1.4", "10.3.17"} {
			c = append(c, Software{Name: s.name, Version: v, Publisher: s.publisher})
		}
	}
	return c
}

// key makes an asset key the way the API shows them: base64 text.
func key(site string, n int) string {
	h := sha1.Sum(fmt.Appendf(nil, "%s/%d", site, n))
	return base64.StdEncoding.EncodeToString(fmt.Appendf(nil, "%d-Asset-%x", n%9+1, h[:12]))
}

// AddSite adds a site and returns its ID.
func (e *Emulator) AddSite(name string) string {
	e.mu.Lock()
	defer e.mu.Unlock()
	return e.addSiteLocked(name)
}

func (e *Emulator) addSiteLocked(name string) string {
	h := sha1.Sum([]byte(fmt.Sprintf("site/%d/%s", len(e.sites), name)))
	id := fmt.Sprintf("%x-%x-%x-%x-%x", h[0:4], h[4:6], h[6:8], h[8:10], h[10:16])
	e.sites = append(e.sites, Site{ID: id, Name: name})
	return id
}

// Sites returns the sites.
func (e *Emulator) Sites() []Site {
	e.mu.RLock()
	defer e.mu.RUnlock()
	return slices.Clone(e.sites)
}

// Generate adds n assets to the site (created when siteID is "" under the
// name "Site N"): workstations, laptops, servers, virtual machines,
// printers and switches with serials, users, inventories and states, and
// returns the site ID.
func (e *Emulator) Generate(siteID string, n int, seed uint64) string {
	if seed == 0 {
		seed = 1
	}
	rng := rand.New(rand.NewPCG(seed, 11))
	e.mu.Lock()
	defer e.mu.Unlock()
	if siteID == "" {
		siteID = e.addSiteLocked(fmt.Sprintf("Site %d", len(e.sites)+1))
	}
	now := e.opts.Now().UTC().Truncate(time.Second)
	start := len(e.assets[siteID])
	kinds := []struct {
		typ, sub, caption, manufacturer, model, prefix string
		product                                        int
	}{
		{"Windows", "", "Microsoft Windows 11 Enterprise", "Dell Inc.", "OptiPlex 7010", "WS", 1},
		{"Windows", "Laptop", "Microsoft Windows 11 Pro", "LENOVO", "21HD", "LT", 1},
		{"Windows", "", "Microsoft Windows Server 2022 Standard", "HPE", "ProLiant DL380 Gen10", "SRV", 3},
		{"Linux", "", "Ubuntu 24.04 LTS", "VMware, Inc.", "VMware Virtual Platform", "VM", 0},
		{"Apple Mac", "Laptop", "macOS 14.5", "Apple Inc.", "MacBookPro18,3", "MAC", 0},
		{"Printer", "", "", "HP", "LaserJet Pro M404", "PRN", 0},
		{"Switch", "", "", "Cisco", "C9200-24T", "SW", 0},
	}
	for i := range n {
		k := kinds[rng.IntN(len(kinds))]
		num := start + i + 1
		a := &Asset{
			Key:            key(siteID, num),
			SiteID:         siteID,
			InstallationID: siteID[:8] + "-inst-0001",
			Name:           fmt.Sprintf("%s-%05d", k.prefix, num),
			Domain:         "CONTOSO",
			IPAddress:      fmt.Sprintf("10.%d.%d.%d", rng.IntN(256), rng.IntN(256), 1+rng.IntN(254)),
			MAC:            fmt.Sprintf("00:1A:2B:%02X:%02X:%02X", rng.IntN(256), rng.IntN(256), rng.IntN(256)),
			Type:           k.typ,
			SubType:        k.sub,
			FirstSeen:      now.AddDate(0, -rng.IntN(24), -1),
			LastSeen:       now.Add(-time.Duration(rng.IntN(72*60)) * time.Minute),
			SerialNumber:   fmt.Sprintf("PF%08X", rng.Uint32()),
			Manufacturer:   k.manufacturer,
			Model:          k.model,
			StateName:      "Active",
			WarrantyDate:   now.AddDate(rng.IntN(3), rng.IntN(12), 0).Truncate(24 * time.Hour),
			OSCaption:      k.caption,
			ProductType:    k.product,
		}
		a.FQDN = lowerASCII(a.Name) + ".contoso.local"
		a.LastUpdated = a.LastSeen
		if k.caption != "" {
			a.OSVersion = []string{"10.0.22631", "10.0.20348", "6.8.0-45", "23.5.0"}[rng.IntN(4)]
			a.UserDomain = "CONTOSO"
			a.UserName = fmt.Sprintf("user%04d", rng.IntN(5000))
			a.MemoryKB = int64(8<<20) << rng.IntN(3)
			a.Processors = []string{"Intel(R) Core(TM) i7-1365U CPU @ 1.80GHz"}
			a.Volumes = []Volume{{Name: "C:", Size: 512 << 30, FreeSpace: int64(rng.IntN(400)) << 30}}
			for range 5 + rng.IntN(15) {
				a.Software = append(a.Software, uint16(rng.IntN(len(e.catalog))))
			}
			slices.Sort(a.Software)
			a.Software = slices.Compact(a.Software)
			a.Fields = []CustomField{{Name: "Cost Centre", Value: fmt.Sprintf("CC-%03d", rng.IntN(50))}}
		}
		switch r := rng.IntN(100); {
		case r < 3:
			a.StateName = "Non-active"
		case r < 5:
			a.StateName = "Broken"
		case r < 6:
			a.StateName = "Stolen"
		}
		e.assets[siteID] = append(e.assets[siteID], a)
		e.byKey[a.Key] = a
	}
	e.sortSite(siteID)
	return siteID
}

func lowerASCII(s string) string {
	b := []byte(s)
	for i, c := range b {
		if 'A' <= c && c <= 'Z' {
			b[i] = c + 'a' - 'A'
		}
	}
	return string(b)
}

func (e *Emulator) sortSite(siteID string) {
	list := e.assets[siteID]
	sort.Slice(list, func(i, j int) bool { return list[i].Key < list[j].Key })
}

// AddAsset adds an asset to its site (a.SiteID) and returns its key; a
// missing key is made up.
func (e *Emulator) AddAsset(a Asset) string {
	e.mu.Lock()
	defer e.mu.Unlock()
	if a.Key == "" {
		a.Key = key(a.SiteID, 1_000_000+len(e.byKey))
	}
	if a.LastUpdated.IsZero() {
		a.LastUpdated = e.opts.Now().UTC()
	}
	p := &a
	e.assets[a.SiteID] = append(e.assets[a.SiteID], p)
	e.byKey[a.Key] = p
	e.sortSite(a.SiteID)
	return a.Key
}

// UpdateAsset changes an asset in place and moves its lastUpdated.
func (e *Emulator) UpdateAsset(key string, change func(*Asset)) error {
	e.mu.Lock()
	defer e.mu.Unlock()
	a, ok := e.byKey[key]
	if !ok {
		return fmt.Errorf("asset %s does not exist", key)
	}
	site := a.SiteID
	change(a)
	a.Key, a.SiteID = key, site
	a.LastUpdated = e.opts.Now().UTC()
	return nil
}

// SetSoftware replaces an asset's software with titles of the catalogue
// (SoftwareCatalog), by index.
func (e *Emulator) SetSoftware(key string, titles ...uint16) error {
	return e.UpdateAsset(key, func(a *Asset) { a.Software = slices.Clone(titles) })
}

// SoftwareCatalog returns the titles Asset.Software indexes.
func (e *Emulator) SoftwareCatalog() []Software { return slices.Clone(e.catalog) }

// MoveAsset moves an asset to another site (its key stays).
func (e *Emulator) MoveAsset(key, siteID string) error {
	e.mu.Lock()
	defer e.mu.Unlock()
	a, ok := e.byKey[key]
	if !ok {
		return fmt.Errorf("asset %s does not exist", key)
	}
	e.assets[a.SiteID] = slices.DeleteFunc(e.assets[a.SiteID], func(x *Asset) bool { return x == a })
	a.SiteID = siteID
	a.LastUpdated = e.opts.Now().UTC()
	e.assets[siteID] = append(e.assets[siteID], a)
	e.sortSite(siteID)
	return nil
}

// RemoveAsset deletes an asset, as deleting it in the web app does.
func (e *Emulator) RemoveAsset(key string) error {
	e.mu.Lock()
	defer e.mu.Unlock()
	a, ok := e.byKey[key]
	if !ok {
		return fmt.Errorf("asset %s does not exist", key)
	}
	delete(e.byKey, key)
	e.assets[a.SiteID] = slices.DeleteFunc(e.assets[a.SiteID], func(x *Asset) bool { return x == a })
	return nil
}

// Asset returns a copy of one asset.
func (e *Emulator) Asset(key string) (Asset, bool) {
	e.mu.RLock()
	defer e.mu.RUnlock()
	a, ok := e.byKey[key]
	if !ok {
		return Asset{}, false
	}
	return *a, true
}

// Keys returns the keys of a site's assets in paging order.
func (e *Emulator) Keys(siteID string) []string {
	e.mu.RLock()
	defer e.mu.RUnlock()
	out := make([]string, 0, len(e.assets[siteID]))
	for _, a := range e.assets[siteID] {
		out = append(out, a.Key)
	}
	return out
}
