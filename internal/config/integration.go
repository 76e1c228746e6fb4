package config

import (
	"fmt"
	"regexp"
	"slices"
	"sort"
	"strings"

	"go.yaml.in/yaml/v3"

	"github.com/integrator-oss/integrator/internal/connector"
	"github.com/integrator-oss/integrator/internal/integration"
	"github.com/integrator-oss/integrator/internal/record"
)

// Integration is one entry of "integrations:".
type Integration struct {
	// Settings are the connector-agnostic settings, with WithDefaults
	// applied.
	Settings integration.Settings `json:"settings"`
	// Connector is the "config:" block decoded into the connector type's
	// Config and validated.
	Connector connector.Config `json:"connector"`
	// Line is the line of the list item, for messages about the
	// integration as a whole.
	Line int `json:"line"`
}

var namePattern = regexp.MustCompile(`^[a-z0-9][a-z0-9._-]{0,62}$`)

var integrationKeys = []string{
	"name", "type", "enabled", "entities", "schedule", "full_sync_every", "run_timeout",
	"client", "deactivate_when_not_found", "threshold", "scope", "matching", "lifecycle", "assets", "config",
}

var matchRules = []string{
	integration.MatchImmutableID, integration.MatchUPN, integration.MatchEmail, integration.MatchEmployeeID,
}

// integration reads one list item. ok is false if it had any problem.
func (c *collector) integration(n *yaml.Node, path string, reg connector.Registry) (Integration, bool) {
	before := len(c.errs)
	n = resolve(n)
	it := Integration{Line: n.Line}
	fields, ok := c.mapping(n, n.Line, path, integrationKeys...)
	if !ok {
		return it, false
	}
	// Enabled is a plain bool in Settings, so WithDefaults cannot tell
	// "false" from "not written": its default of true is set here.
	s := integration.Settings{Enabled: true}

	if f, set := fields["name"]; !set {
		c.add(n.Line, join(path, "name"), "required")
	} else if name, ok := c.str(f, join(path, "name")); ok {
		if !namePattern.MatchString(name) {
			c.add(f.line(), join(path, "name"), "invalid name %q: use 1 to 63 lower-case letters, digits, '.', '-' and '_', starting with a letter or digit", name)
		}
		s.Name = name
	}

	var typ connector.Type
	knownType := false
	if f, set := fields["type"]; !set {
		c.add(n.Line, join(path, "type"), "required")
	} else if name, ok := c.str(f, join(path, "type")); ok {
		s.Type = name
		typ, knownType = reg[name]
		if !knownType {
			c.add(f.line(), join(path, "type"), "unknown connector type %q (%s)", name, knownTypes(reg))
		}
	}

	if f, set := fields["enabled"]; set {
		s.Enabled, _ = c.boolean(f, join(path, "enabled"))
	}
	var entityPos []listItem
	entitiesOK := true
	if f, set := fields["entities"]; set {
		errs := len(c.errs)
		s.Entities, entityPos = c.entities(f, join(path, "entities"))
		entitiesOK = len(c.errs) == errs
	}
	if f, set := fields["schedule"]; set {
		s.Schedule, _ = c.schedule(f, join(path, "schedule"))
	}
	if f, set := fields["full_sync_every"]; set {
		s.FullSyncEvery, _ = c.duration(f, join(path, "full_sync_every"))
	}
	if f, set := fields["run_timeout"]; set {
		s.RunTimeout, _ = c.duration(f, join(path, "run_timeout"))
	}
	if f, set := fields["client"]; set {
		s.Client, _ = c.str(f, join(path, "client"))
	}
	if f, set := fields["deactivate_when_not_found"]; set {
		if b, ok := c.boolean(f, join(path, "deactivate_when_not_found")); ok {
			s.DeactivateWhenNotFound = &b
		}
	}
	if f, set := fields["threshold"]; set {
		s.Threshold = c.threshold(f, join(path, "threshold"))
	}
	if f, set := fields["scope"]; set {
		s.Scope = c.scope(f, join(path, "scope"))
	}
	if f, set := fields["matching"]; set {
		s.Matching = c.matching(f, join(path, "matching"))
	}
	if f, set := fields["assets"]; set {
		s.Assets = c.assets(f, join(path, "assets"))
	}
	if f, set := fields["lifecycle"]; set {
		if v, ok := c.str(f, join(path, "lifecycle")); ok {
			if v != integration.Authoritative && v != integration.Contributing {
				c.add(f.line(), join(path, "lifecycle"), "invalid lifecycle %q: must be %s or %s", v, integration.Authoritative, integration.Contributing)
			}
			s.Lifecycle = v
		}
	}

	explicit := len(s.Entities) > 0
	if !explicit && knownType && !slices.Contains(typ.Kinds, record.KindUser) {
		// A device or asset connector: its own kinds are the default.
		s.Entities = slices.Clone(typ.Kinds)
	}
	s = s.WithDefaults()

	if knownType {
		if explicit || entitiesOK {
			c.checkKinds(s, typ, explicit, entityPos, n.Line, path)
		}
		var cf *field
		if f, set := fields["config"]; set {
			cf = &f
		}
		it.Connector, _ = c.connectorConfig(typ, s.Type, cf, n.Line, join(path, "config"))
	}
	it.Settings = s
	return it, len(c.errs) == before
}

func knownTypes(reg connector.Registry) string {
	if len(reg) == 0 {
		return "no connector types are registered"
	}
	names := make([]string, 0, len(reg))
	for name := range reg {
		names = append(names, name)
	}
	sort.Strings(names)
	return "known: " + strings.Join(names, ", ")
}

// entities reads the entity names and returns their kinds and, for each
// kind, the list item it was written as.
func (c *collector) entities(f field, path string) ([]record.Kind, []listItem) {
	names, nodes, _ := c.stringList(f, path)
	var kinds []record.Kind
	var items []listItem
	for i, name := range names {
		k, ok := EntityKind(name)
		if !ok {
			c.add(nodes[i].node.Line, index(path, nodes[i].index), "unknown entity %q (known: %s)", name, entityNameList())
			continue
		}
		if slices.Contains(kinds, k) {
			c.add(nodes[i].node.Line, index(path, nodes[i].index), "%s listed twice", EntityName(k))
			continue
		}
		items = append(items, nodes[i])
		kinds = append(kinds, k)
	}
	return kinds, items
}

// checkKinds reports entities the connector type cannot produce. When the
// entities were left to their default, the message says so.
func (c *collector) checkKinds(s integration.Settings, typ connector.Type, explicit bool, items []listItem, itemLine int, path string) {
	if len(typ.Kinds) == 0 {
		return
	}
	var missing []record.Kind
	for i, k := range s.Entities {
		if slices.Contains(typ.Kinds, k) {
			continue
		}
		if explicit {
			c.add(items[i].node.Line, index(join(path, "entities"), items[i].index), "connector type %q does not produce %s (it produces: %s)",
				s.Type, items[i].node.Value, kindNameList(typ.Kinds))
		}
		missing = append(missing, k)
	}
	if !explicit && len(missing) > 0 {
		c.add(itemLine, join(path, "entities"), "required: connector type %q does not produce the default %s; choose from: %s",
			s.Type, kindNameList(s.Entities), kindNameList(typ.Kinds))
	}
}

func (c *collector) threshold(f field, path string) integration.Threshold {
	var t integration.Threshold
	fields, ok := c.mapping(f.value, f.line(), path, "max_count", "max_percent")
	if !ok {
		return t
	}
	if mc, set := fields["max_count"]; set {
		if v, ok := c.integer(mc, join(path, "max_count")); ok {
			if v < 1 && v != -1 {
				c.add(mc.line(), join(path, "max_count"), "must be at least 1, or -1 for no limit")
			}
			t.MaxCount = v
		}
	}
	if mp, set := fields["max_percent"]; set {
		if v, ok := c.number(mp, join(path, "max_percent")); ok {
			if (v <= 0 || v > 100) && v != -1 {
				c.add(mp.line(), join(path, "max_percent"), "must be more than 0 and at most 100, or -1 for no limit")
			}
			t.MaxPercent = v
		}
	}
	return t
}

func (c *collector) scope(f field, path string) integration.Scope {
	var s integration.Scope
	fields, ok := c.mapping(f.value, f.line(), path, "all_users", "default_site", "mappings")
	if !ok {
		return s
	}
	if au, set := fields["all_users"]; set {
		s.AllUsers, _ = c.boolean(au, join(path, "all_users"))
	}
	if ds, set := fields["default_site"]; set {
		if v, ok := c.str(ds, join(path, "default_site")); ok {
			if strings.TrimSpace(v) == "" {
				c.add(ds.line(), join(path, "default_site"), "must not be empty")
			}
			s.DefaultSite = v
		}
	}
	if ms, set := fields["mappings"]; set {
		items, _ := c.list(ms, join(path, "mappings"))
		for i, item := range items {
			if m, ok := c.mappingItem(item, index(join(path, "mappings"), i)); ok {
				s.Mappings = append(s.Mappings, m)
			}
		}
	}
	return s
}

func (c *collector) mappingItem(n *yaml.Node, path string) (integration.Mapping, bool) {
	var m integration.Mapping
	n = resolve(n)
	fields, ok := c.mapping(n, n.Line, path, "group", "org_unit", "site", "role")
	if !ok {
		return m, false
	}
	ok = true
	g, hasGroup := fields["group"]
	o, hasOU := fields["org_unit"]
	switch {
	case !hasGroup && !hasOU:
		c.add(n.Line, join(path, "group"), "required: a mapping names a group or an org_unit")
		ok = false
	case hasGroup && hasOU:
		c.add(o.line(), join(path, "org_unit"), "a mapping names a group or an org_unit, not both: write two mappings")
		ok = false
	case hasGroup:
		m.Group, ok = c.nonEmpty(g, join(path, "group"))
	default:
		m.OrgUnit, ok = c.nonEmpty(o, join(path, "org_unit"))
	}
	if st, set := fields["site"]; set {
		m.Site, _ = c.str(st, join(path, "site"))
	}
	if r, set := fields["role"]; set {
		if v, good := c.str(r, join(path, "role")); good {
			if v != "user" && v != "agent" {
				c.add(r.line(), join(path, "role"), "invalid role %q: must be user or agent", v)
				ok = false
			}
			m.Role = v
		}
	}
	return m, ok
}

// nonEmpty reads a string that must not be blank.
func (c *collector) nonEmpty(f field, path string) (string, bool) {
	v, good := c.str(f, path)
	if !good {
		return "", false
	}
	if strings.TrimSpace(v) == "" {
		c.add(f.line(), path, "must not be empty")
		return "", false
	}
	return v, true
}

func (c *collector) matching(f field, path string) []string {
	names, nodes, _ := c.stringList(f, path)
	var rules []string
	for i, name := range names {
		switch {
		case !slices.Contains(matchRules, name):
			c.add(nodes[i].node.Line, index(path, nodes[i].index), "unknown matching rule %q (known: %s)", name, strings.Join(matchRules, ", "))
		case slices.Contains(rules, name):
			c.add(nodes[i].node.Line, index(path, nodes[i].index), "matching rule %s listed twice", name)
		default:
			rules = append(rules, name)
		}
	}
	return rules
}

// checkUnique reports integrations sharing a name, at the later ones.
func (c *collector) checkUnique(its []Integration, nameLines []int) {
	first := map[string]int{}
	for i, it := range its {
		name := it.Settings.Name
		if name == "" {
			continue
		}
		if at, dup := first[name]; dup {
			c.add(nameLines[i], fmt.Sprintf("integrations[%d].name", i), "duplicate integration name %q (first at line %d)", name, at)
			continue
		}
		first[name] = nameLines[i]
	}
}

var assetMatchRules = []string{integration.AssetMatchSerial, integration.AssetMatchMAC, integration.AssetMatchHostname}

var assetUserModes = []string{integration.AssetUserAuto, integration.AssetUserPrimary, integration.AssetUserLastLoggedOn, integration.AssetUserNone}

// assets reads an integration's device settings.
func (c *collector) assets(f field, path string) integration.AssetSettings {
	var a integration.AssetSettings
	fields, ok := c.mapping(f.value, f.line(), path, "matching", "placeholder_serials", "stale_after", "user", "upn_suffix", "organisations")
	if !ok {
		return a
	}
	if mf, set := fields["matching"]; set {
		names, nodes, _ := c.stringList(mf, join(path, "matching"))
		for i, name := range names {
			switch {
			case !slices.Contains(assetMatchRules, name):
				c.add(nodes[i].node.Line, index(join(path, "matching"), nodes[i].index), "unknown asset matching rule %q (known: %s)", name, strings.Join(assetMatchRules, ", "))
			case slices.Contains(a.Matching, name):
				c.add(nodes[i].node.Line, index(join(path, "matching"), nodes[i].index), "asset matching rule %s listed twice", name)
			default:
				a.Matching = append(a.Matching, name)
			}
		}
	}
	if pf, set := fields["placeholder_serials"]; set {
		a.PlaceholderSerials, _, _ = c.stringList(pf, join(path, "placeholder_serials"))
	}
	if sf, set := fields["stale_after"]; set {
		if v, ok := c.str(sf, join(path, "stale_after")); ok && (v == "off" || v == "never") {
			a.StaleAfter = -1
		} else {
			a.StaleAfter, _ = c.duration(sf, join(path, "stale_after"))
		}
	}
	if uf, set := fields["user"]; set {
		if v, ok := c.str(uf, join(path, "user")); ok {
			if !slices.Contains(assetUserModes, v) {
				c.add(uf.line(), join(path, "user"), "invalid user mode %q: must be one of %s", v, strings.Join(assetUserModes, ", "))
			}
			a.User = v
		}
	}
	if uf, set := fields["upn_suffix"]; set {
		a.UPNSuffix, _ = c.str(uf, join(path, "upn_suffix"))
	}
	if of, set := fields["organisations"]; set {
		items, _ := c.list(of, join(path, "organisations"))
		for i, item := range items {
			ip := index(join(path, "organisations"), i)
			item = resolve(item)
			ofs, ok := c.mapping(item, item.Line, ip, "source", "client", "site")
			if !ok {
				continue
			}
			var m integration.OrgMap
			for _, k := range []string{"source", "client"} {
				kf, set := ofs[k]
				if !set {
					c.add(item.Line, join(ip, k), "required")
					continue
				}
				v, _ := c.nonEmpty(kf, join(ip, k))
				if k == "source" {
					m.Source = v
				} else {
					m.Client = v
				}
			}
			if sf, set := ofs["site"]; set {
				m.Site, _ = c.str(sf, join(ip, "site"))
			}
			a.Organisations = append(a.Organisations, m)
		}
	}
	return a
}
