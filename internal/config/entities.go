package config

import (
	"strings"

	"github.com/integrator-oss/integrator/internal/record"
)

// entityNames maps the plural names written under "entities:" to kinds.
// The first name of each kind is the one messages use.
var entityNames = []struct {
	name string
	kind record.Kind
}{
	{"users", record.KindUser},
	{"groups", record.KindGroup},
	{"contacts", record.KindContact},
	{"sites", record.KindSite},
	{"org_units", record.KindOrgUnit},
	{"devices", record.KindAsset},
	{"assets", record.KindAsset},
	{"licences", record.KindLicence},
	{"licenses", record.KindLicence},
	{"appointments", record.KindAppointment},
	{"licence_assignments", record.KindLicenceAssignment},
	{"license_assignments", record.KindLicenceAssignment},
}

// EntityKind returns the kind an entity name in the file stands for
// ("devices" → record.KindAsset).
func EntityKind(name string) (record.Kind, bool) {
	for _, e := range entityNames {
		if e.name == name {
			return e.kind, true
		}
	}
	return "", false
}

// EntityName returns the name the file uses for a kind ("devices" for
// record.KindAsset), or the kind itself if it has none.
func EntityName(k record.Kind) string {
	for _, e := range entityNames {
		if e.kind == k {
			return e.name
		}
	}
	return string(k)
}

func entityNameList() string {
	names := make([]string, len(entityNames))
	for i, e := range entityNames {
		names[i] = e.name
	}
	return strings.Join(names, ", ")
}

func kindNameList(kinds []record.Kind) string {
	names := make([]string, len(kinds))
	for i, k := range kinds {
		names[i] = EntityName(k)
	}
	return strings.Join(names, ", ")
}
