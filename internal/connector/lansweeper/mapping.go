package lansweeper

import (
	"encoding/json"
	"fmt"
	"math"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/integrator-oss/integrator/internal/record"
)

// baseFields are always read; the inventory parts add theirs. Together
// they stay under the API's 30 field paths a query.
var baseFields = []string{
	"key",
	"assetBasicInfo.name", "assetBasicInfo.domain", "assetBasicInfo.fqdn", "assetBasicInfo.ipAddress",
	"assetBasicInfo.mac", "assetBasicInfo.type", "assetBasicInfo.subType",
	"assetBasicInfo.userName", "assetBasicInfo.userDomain", "assetBasicInfo.lastSeen",
	"assetCustom.serialNumber", "assetCustom.manufacturer", "assetCustom.model",
	"assetCustom.stateName", "assetCustom.warrantyDate",
	"operatingSystem.caption", "operatingSystem.version", "operatingSystem.productType",
}

var inventoryFields = map[string][]string{
	InventoryHardware:     {"processors.name", "operatingSystem.totalVisibleMemorySize", "volumes.name", "volumes.size", "volumes.freeSpace"},
	InventorySoftware:     {"softwares.name", "softwares.version", "softwares.publisher"},
	InventoryCustomFields: {"assetCustom.fields.name", "assetCustom.fields.value"},
}

// fieldPaths are the field paths a query asks for, in a stable order.
func fieldPaths(inventory []string) []string {
	out := slices.Clone(baseFields)
	for _, part := range inventoryParts {
		if slices.Contains(inventory, part) {
			out = append(out, inventoryFields[part]...)
		}
	}
	return out
}

// item is one entry of assetResources.items, nested by field path.
type item struct {
	Key            string `json:"key"`
	AssetBasicInfo struct {
		Name       string `json:"name"`
		Domain     string `json:"domain"`
		FQDN       string `json:"fqdn"`
		IPAddress  string `json:"ipAddress"`
		MAC        string `json:"mac"`
		Type       string `json:"type"`
		SubType    string `json:"subType"`
		UserName   string `json:"userName"`
		UserDomain string `json:"userDomain"`
		LastSeen   string `json:"lastSeen"`
	} `json:"assetBasicInfo"`
	AssetCustom struct {
		SerialNumber string `json:"serialNumber"`
		Manufacturer string `json:"manufacturer"`
		Model        string `json:"model"`
		StateName    string `json:"stateName"`
		WarrantyDate string `json:"warrantyDate"`
		Fields       []struct {
			Name  string          `json:"name"`
			Value json.RawMessage `json:"value"`
		} `json:"fields"`
	} `json:"assetCustom"`
	OperatingSystem struct {
		Caption                string      `json:"caption"`
		Version                string      `json:"version"`
		ProductType            json.Number `json:"productType"`
		TotalVisibleMemorySize json.Number `json:"totalVisibleMemorySize"`
	} `json:"operatingSystem"`
	Processors []struct {
		Name string `json:"name"`
	} `json:"processors"`
	Volumes []struct {
		Name      string      `json:"name"`
		Size      json.Number `json:"size"`
		FreeSpace json.Number `json:"freeSpace"`
	} `json:"volumes"`
	Softwares []struct {
		Name      string `json:"name"`
		Version   string `json:"version"`
		Publisher string `json:"publisher"`
	} `json:"softwares"`
}

// siteRecord maps a site. Lansweeper has no organisation above sites.
func siteRecord(s site) record.Record {
	return record.Record{Kind: record.KindSite, ID: s.ID, Attrs: map[string]string{
		record.AttrName:           s.Name,
		record.AttrSourceSiteID:   s.ID,
		record.AttrSourceSiteName: s.Name,
	}}
}

type disk struct {
	Name   string  `json:"name"`
	SizeGB float64 `json:"size_gb"`
	FreeGB float64 `json:"free_gb"`
}

type software struct {
	Name      string `json:"name"`
	Version   string `json:"version"`
	Publisher string `json:"publisher"`
}

// assetRecord maps one item of a site's listing.
func (s *Source) assetRecord(raw json.RawMessage, st site) (record.Record, error) {
	var it item
	if err := json.Unmarshal(raw, &it); err != nil {
		return record.Record{}, fmt.Errorf("decoding an asset: %w", err)
	}
	if it.Key == "" {
		return record.Record{}, fmt.Errorf("an asset without a key")
	}
	attrs := map[string]string{}
	set := func(k, v string) {
		if v = strings.TrimSpace(v); v != "" {
			attrs[k] = v
		}
	}
	b := it.AssetBasicInfo
	set(record.AttrName, b.Name)
	set(record.AttrHostname, b.Name)
	set(record.AttrCustomPrefix+"fqdn", b.FQDN)
	set(record.AttrCustomPrefix+"domain", b.Domain)
	set(record.AttrIPs, joinList(b.IPAddress))
	set(record.AttrMACs, joinList(b.MAC))
	set(record.AttrCustomPrefix+"type", b.Type)
	switch {
	case b.UserDomain != "" && b.UserName != "" && !strings.ContainsAny(b.UserName, `\@`):
		set(record.AttrLastLoggedOnUser, b.UserDomain+`\`+b.UserName)
	default:
		set(record.AttrLastLoggedOnUser, b.UserName)
	}
	set(record.AttrLastSeen, rfc3339(b.LastSeen))

	c := it.AssetCustom
	set(record.AttrSerial, c.SerialNumber)
	set(record.AttrManufacturer, c.Manufacturer)
	set(record.AttrModel, c.Model)
	set(record.AttrCustomPrefix+"state", c.StateName)
	if t := rfc3339(c.WarrantyDate); t != "" {
		set(record.AttrWarranty, t[:len(time.DateOnly)])
	}
	for _, f := range c.Fields {
		set(record.AttrCustomPrefix+f.Name, fieldValue(f.Value))
	}

	os := it.OperatingSystem
	set(record.AttrOS, os.Caption)
	set(record.AttrOSVersion, os.Version)
	attrs[record.AttrAssetType] = assetType(b.Type, b.SubType, os.Caption, os.ProductType.String())

	// Inventory.
	var cpus []string
	for _, p := range it.Processors {
		if n := strings.Join(strings.Fields(p.Name), " "); n != "" && !slices.Contains(cpus, n) {
			cpus = append(cpus, n)
		}
	}
	set(record.AttrCPU, strings.Join(cpus, "; "))
	if kb, err := os.TotalVisibleMemorySize.Int64(); err == nil && kb > 0 {
		attrs[record.AttrMemoryMB] = strconv.FormatInt(kb/1024, 10)
	}
	if len(it.Volumes) > 0 {
		disks := make([]disk, 0, len(it.Volumes))
		for _, v := range it.Volumes {
			disks = append(disks, disk{Name: v.Name, SizeGB: gigabytes(v.Size), FreeGB: gigabytes(v.FreeSpace)})
		}
		slices.SortFunc(disks, func(a, b disk) int { return strings.Compare(a.Name, b.Name) })
		attrs[record.AttrDisks] = mustJSON(disks)
	}
	if slices.Contains(s.fields, "softwares.name") {
		sw := make([]software, 0, len(it.Softwares))
		for _, x := range it.Softwares {
			if x.Name != "" {
				sw = append(sw, software(x))
			}
		}
		slices.SortFunc(sw, func(a, b software) int {
			return cmpStrings(a.Name, b.Name, a.Version, b.Version, a.Publisher, b.Publisher)
		})
		sw = slices.Compact(sw)
		attrs[record.AttrSoftware] = mustJSON(sw)
	}

	set(record.AttrSourceSiteID, st.ID)
	set(record.AttrSourceSiteName, st.Name)

	rec := record.Record{Kind: record.KindAsset, ID: it.Key, Attrs: attrs}
	if state := strings.TrimSpace(c.StateName); state != "" && s.retired[strings.ToLower(state)] {
		rec.State, rec.Reason = record.Disabled, state
	}
	return rec, nil
}

func cmpStrings(pairs ...string) int {
	for i := 0; i+1 < len(pairs); i += 2 {
		if c := strings.Compare(pairs[i], pairs[i+1]); c != 0 {
			return c
		}
	}
	return 0
}

func mustJSON(v any) string {
	b, err := json.Marshal(v)
	if err != nil {
		panic(err)
	}
	return string(b)
}

// gigabytes turns a byte count into GB with one decimal.
func gigabytes(n json.Number) float64 {
	f, err := n.Float64()
	if err != nil || f <= 0 {
		return 0
	}
	return math.Round(f/(1<<30)*10) / 10
}

// joinList turns the API's address lists (one address, or several
// separated by commas, semicolons or spaces) into a comma-separated list.
func joinList(s string) string {
	return strings.Join(strings.FieldsFunc(s, func(r rune) bool { return r == ',' || r == ';' || r == ' ' }), ",")
}

// rfc3339 rewrites the API's timestamps ("2024-05-01T21:04:11.000Z") as
// RFC 3339 in UTC, whole seconds. Unparseable values are dropped.
func rfc3339(s string) string {
	if s == "" {
		return ""
	}
	for _, layout := range []string{time.RFC3339Nano, "2006-01-02T15:04:05", time.DateOnly} {
		if t, err := time.Parse(layout, s); err == nil {
			return t.UTC().Truncate(time.Second).Format(time.RFC3339)
		}
	}
	return ""
}

func fieldValue(raw json.RawMessage) string {
	if len(raw) == 0 || string(raw) == "null" {
		return ""
	}
	var s string
	if json.Unmarshal(raw, &s) == nil {
		return s
	}
	return string(raw)
}

// assetType maps Lansweeper's asset type and sub-type (and, for computers,
// the OS product type: 1 workstation, 2 domain controller, 3 server) onto
// the platform's asset types.
func assetType(typ, subType, osCaption, productType string) string {
	t := strings.ToLower(typ + " " + subType)
	has := func(words ...string) bool {
		for _, w := range words {
			if strings.Contains(t, w) {
				return true
			}
		}
		return false
	}
	switch {
	case has("virtual", "vmware guest", "hyper-v guest", "vm guest"):
		return "virtual_machine"
	case has("printer", "scanner", "copier", "multifunction", "plotter"):
		return "printer"
	case has("switch", "router", "firewall", "access point", "wireless", "network", "gateway", "load balancer", "nas"):
		return "network_device"
	case has("mobile", "iphone", "ipad", "android", "tablet", "phone", "chromebook tablet"):
		return "mobile"
	case has("laptop", "notebook", "portable"):
		return "laptop"
	case productType == "2" || productType == "3" || has("server", "esxi", "vcenter") ||
		strings.Contains(strings.ToLower(osCaption), "server"):
		return "server"
	case has("windows", "linux", "apple mac", "mac", "unix", "desktop", "workstation", "chrome"):
		return "workstation"
	}
	return "other"
}
