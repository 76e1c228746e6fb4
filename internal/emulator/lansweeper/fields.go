package lansweeper

import (
	"strings"
	"time"
)

// timeLayout is how the Data API writes timestamps.
const timeLayout = "2006-01-02T15:04:05.000Z"

func ts(t time.Time) any {
	if t.IsZero() {
		return nil
	}
	return t.UTC().Format(timeLayout)
}

func str(s string) any {
	if s == "" {
		return nil
	}
	return s
}

func num(n int64) any {
	if n == 0 {
		return nil
	}
	return n
}

// scalarPaths are the single-valued field paths the emulator serves.
var scalarPaths = map[string]func(*Asset) any{
	"key":                                    func(a *Asset) any { return a.Key },
	"siteId":                                 func(a *Asset) any { return a.SiteID },
	"installationId":                         func(a *Asset) any { return str(a.InstallationID) },
	"assetBasicInfo.name":                    func(a *Asset) any { return str(a.Name) },
	"assetBasicInfo.domain":                  func(a *Asset) any { return str(a.Domain) },
	"assetBasicInfo.fqdn":                    func(a *Asset) any { return str(a.FQDN) },
	"assetBasicInfo.ipAddress":               func(a *Asset) any { return str(a.IPAddress) },
	"assetBasicInfo.mac":                     func(a *Asset) any { return str(a.MAC) },
	"assetBasicInfo.type":                    func(a *Asset) any { return str(a.Type) },
	"assetBasicInfo.subType":                 func(a *Asset) any { return str(a.SubType) },
	"assetBasicInfo.userName":                func(a *Asset) any { return str(a.UserName) },
	"assetBasicInfo.userDomain":              func(a *Asset) any { return str(a.UserDomain) },
	"assetBasicInfo.firstSeen":               func(a *Asset) any { return ts(a.FirstSeen) },
	"assetBasicInfo.lastSeen":                func(a *Asset) any { return ts(a.LastSeen) },
	"assetBasicInfo.lastUpdated":             func(a *Asset) any { return ts(a.LastUpdated) },
	"assetCustom.serialNumber":               func(a *Asset) any { return str(a.SerialNumber) },
	"assetCustom.manufacturer":               func(a *Asset) any { return str(a.Manufacturer) },
	"assetCustom.model":                      func(a *Asset) any { return str(a.Model) },
	"assetCustom.stateName":                  func(a *Asset) any { return str(a.StateName) },
	"assetCustom.warrantyDate":               func(a *Asset) any { return ts(a.WarrantyDate) },
	"operatingSystem.caption":                func(a *Asset) any { return str(a.OSCaption) },
	"operatingSystem.version":                func(a *Asset) any { return str(a.OSVersion) },
	"operatingSystem.productType":            func(a *Asset) any { return num(int64(a.ProductType)) },
	"operatingSystem.totalVisibleMemorySize": func(a *Asset) any { return num(a.MemoryKB) },
}

// arrayPaths are the multi-valued groups: each element is an object of
// the requested sub-fields.
var arrayPaths = map[string]struct {
	fields map[string]bool
	items  func(e *Emulator, a *Asset) []map[string]any
}{
	"processors": {map[string]bool{"name": true}, func(_ *Emulator, a *Asset) []map[string]any {
		out := make([]map[string]any, len(a.Processors))
		for i, p := range a.Processors {
			out[i] = map[string]any{"name": p}
		}
		return out
	}},
	"volumes": {map[string]bool{"name": true, "size": true, "freeSpace": true}, func(_ *Emulator, a *Asset) []map[string]any {
		out := make([]map[string]any, len(a.Volumes))
		for i, v := range a.Volumes {
			out[i] = map[string]any{"name": v.Name, "size": v.Size, "freeSpace": v.FreeSpace}
		}
		return out
	}},
	"softwares": {map[string]bool{"name": true, "version": true, "publisher": true}, func(e *Emulator, a *Asset) []map[string]any {
		out := make([]map[string]any, len(a.Software))
		for i, idx := range a.Software {
			s := e.catalog[idx]
			out[i] = map[string]any{"name": s.Name, "version": s.Version, "publisher": s.Publisher}
		}
		return out
	}},
	"assetCustom.fields": {map[string]bool{"name": true, "value": true}, func(_ *Emulator, a *Asset) []map[string]any {
		out := make([]map[string]any, len(a.Fields))
		for i, f := range a.Fields {
			out[i] = map[string]any{"name": f.Name, "value": f.Value}
		}
		return out
	}},
}

// fieldPlan is a validated list of field paths.
type fieldPlan struct {
	scalars []string
	arrays  map[string][]string // group → requested sub-fields
}

// planFields validates the requested paths. It returns the first bad path.
func planFields(paths []string) (fieldPlan, string) {
	p := fieldPlan{arrays: map[string][]string{}}
	for _, path := range paths {
		if _, ok := scalarPaths[path]; ok {
			p.scalars = append(p.scalars, path)
			continue
		}
		i := strings.LastIndexByte(path, '.')
		if i < 0 {
			return p, path
		}
		group, sub := path[:i], path[i+1:]
		def, ok := arrayPaths[group]
		if !ok || !def.fields[sub] {
			return p, path
		}
		p.arrays[group] = append(p.arrays[group], sub)
	}
	return p, ""
}

// item renders one asset with the planned fields, nested by path; unset
// values are left out, as the API leaves out nulls.
func (e *Emulator) item(a *Asset, p fieldPlan) map[string]any {
	out := map[string]any{}
	for _, path := range p.scalars {
		if v := scalarPaths[path](a); v != nil {
			setNested(out, path, v)
		}
	}
	for group, subs := range p.arrays {
		all := arrayPaths[group].items(e, a)
		if len(all) == 0 {
			continue
		}
		list := make([]map[string]any, len(all))
		for i, el := range all {
			m := make(map[string]any, len(subs))
			for _, s := range subs {
				if v, ok := el[s]; ok && v != "" {
					m[s] = v
				}
			}
			list[i] = m
		}
		setNested(out, group, list)
	}
	return out
}

func setNested(m map[string]any, path string, v any) {
	parts := strings.Split(path, ".")
	for _, p := range parts[:len(parts)-1] {
		next, ok := m[p].(map[string]any)
		if !ok {
			next = map[string]any{}
			m[p] = next
		}
		m = next
	}
	m[parts[len(parts)-1]] = v
}
