package config

import (
	"fmt"
	"slices"
	"strconv"

	"go.yaml.in/yaml/v3"
)

// The file is walked as a yaml.Node tree rather than decoded into structs,
// so that every problem carries its line and field path, and so that one
// problem does not hide the next.

// field is one key of a mapping and its value.
type field struct {
	key, value *yaml.Node
}

// line is the line to report a problem with the field on: the key's.
func (f field) line() int { return f.key.Line }

// resolve follows aliases to the node they name.
func resolve(n *yaml.Node) *yaml.Node {
	for n != nil && n.Kind == yaml.AliasNode && n.Alias != nil {
		n = n.Alias
	}
	return n
}

func isNull(n *yaml.Node) bool {
	n = resolve(n)
	return n == nil || n.Kind == 0 || (n.Kind == yaml.ScalarNode && n.ShortTag() == "!!null")
}

func join(path, key string) string {
	if path == "" {
		return key
	}
	return path + "." + key
}

func index(path string, i int) string { return fmt.Sprintf("%s[%d]", path, i) }

// describe names a node's kind for messages, never its value.
func describe(n *yaml.Node) string {
	n = resolve(n)
	switch n.Kind {
	case yaml.MappingNode:
		return "a mapping"
	case yaml.SequenceNode:
		return "a list"
	}
	switch n.ShortTag() {
	case "!!int", "!!float":
		return "a number"
	case "!!bool":
		return "a boolean"
	case "!!null":
		return "null"
	}
	return "a string"
}

// mapping returns the keys of the mapping n, reporting keys not in allowed
// and keys given twice. A null node is an empty mapping. Merge keys ("<<:
// *anchor") are expanded, keys written out winning over merged ones. The
// boolean is false when n is not a mapping at all (already reported).
func (c *collector) mapping(n *yaml.Node, line int, path string, allowed ...string) (map[string]field, bool) {
	fields := map[string]field{}
	if isNull(n) {
		return fields, true
	}
	n = resolve(n)
	if n.Kind != yaml.MappingNode {
		c.add(line, path, "must be a mapping, not %s", describe(n))
		return nil, false
	}
	var merges []*yaml.Node
	for i := 0; i+1 < len(n.Content); i += 2 {
		k, v := n.Content[i], n.Content[i+1]
		if k.Kind != yaml.ScalarNode {
			c.add(k.Line, path, "keys must be strings, not %s", describe(k))
			continue
		}
		if k.Value == "<<" && k.ShortTag() == "!!merge" {
			merges = append(merges, v)
			continue
		}
		if prev, dup := fields[k.Value]; dup {
			c.add(k.Line, join(path, k.Value), "given twice (first at line %d)", prev.key.Line)
			continue
		}
		if !slices.Contains(allowed, k.Value) {
			msg := "unknown field"
			if s := suggest(k.Value, allowed); s != "" {
				msg += fmt.Sprintf(" (did you mean %s?)", s)
			}
			c.add(k.Line, join(path, k.Value), "%s", msg)
			continue
		}
		fields[k.Value] = field{key: k, value: v}
	}
	for _, m := range merges {
		c.merge(fields, m, path, allowed)
	}
	return fields, true
}

// merge adds the keys of a merged mapping (or list of mappings) that are
// not already set.
func (c *collector) merge(fields map[string]field, m *yaml.Node, path string, allowed []string) {
	m = resolve(m)
	if m.Kind == yaml.SequenceNode {
		for _, item := range m.Content {
			c.merge(fields, item, path, allowed)
		}
		return
	}
	merged, ok := c.mapping(m, m.Line, path, allowed...)
	if !ok {
		return
	}
	for k, f := range merged {
		if _, set := fields[k]; !set {
			fields[k] = f
		}
	}
}

// str reads a scalar as a string; numbers and booleans are taken as
// written. Null reads as "".
func (c *collector) str(f field, path string) (string, bool) {
	v := resolve(f.value)
	if isNull(v) {
		return "", true
	}
	if v.Kind != yaml.ScalarNode {
		c.add(f.line(), path, "must be a string, not %s", describe(v))
		return "", false
	}
	return v.Value, true
}

func (c *collector) boolean(f field, path string) (bool, bool) {
	v := resolve(f.value)
	if v.Kind == yaml.ScalarNode && v.ShortTag() == "!!bool" {
		var b bool
		if err := v.Decode(&b); err == nil {
			return b, true
		}
	}
	c.add(f.line(), path, "must be true or false, not %s", describe(v))
	return false, false
}

func (c *collector) integer(f field, path string) (int, bool) {
	v := resolve(f.value)
	if v.Kind == yaml.ScalarNode && v.ShortTag() == "!!int" {
		var i int
		if err := v.Decode(&i); err == nil {
			return i, true
		}
	}
	c.add(f.line(), path, "must be an integer, not %s", describe(v))
	return 0, false
}

func (c *collector) number(f field, path string) (float64, bool) {
	v := resolve(f.value)
	if v.Kind == yaml.ScalarNode && (v.ShortTag() == "!!int" || v.ShortTag() == "!!float") {
		if x, err := strconv.ParseFloat(v.Value, 64); err == nil {
			return x, true
		}
		var x float64
		if err := v.Decode(&x); err == nil {
			return x, true
		}
	}
	c.add(f.line(), path, "must be a number, not %s", describe(v))
	return 0, false
}

// list returns the items of a sequence; null is an empty list.
func (c *collector) list(f field, path string) ([]*yaml.Node, bool) {
	v := resolve(f.value)
	if isNull(v) {
		return nil, true
	}
	if v.Kind != yaml.SequenceNode {
		c.add(f.line(), path, "must be a list, not %s", describe(v))
		return nil, false
	}
	return v.Content, true
}

// listItem is a string in a list, with its position.
type listItem struct {
	node  *yaml.Node
	index int
}

// stringList reads a list of strings, reporting each item that is not one.
// The items it returns carry their index in the list, since items that are
// not strings are left out.
func (c *collector) stringList(f field, path string) ([]string, []listItem, bool) {
	items, ok := c.list(f, path)
	if !ok {
		return nil, nil, false
	}
	out := make([]string, 0, len(items))
	good := make([]listItem, 0, len(items))
	for i, item := range items {
		item = resolve(item)
		if item.Kind != yaml.ScalarNode || isNull(item) {
			c.add(item.Line, index(path, i), "must be a string, not %s", describe(item))
			ok = false
			continue
		}
		out = append(out, item.Value)
		good = append(good, listItem{node: item, index: i})
	}
	return out, good, ok
}

// suggest returns the allowed key closest to a misspelt one, if any is
// within two edits.
func suggest(got string, allowed []string) string {
	best, bestD := "", 3
	for _, a := range allowed {
		if d := distance(got, a); d < bestD {
			best, bestD = a, d
		}
	}
	return best
}

// distance is the Levenshtein distance between a and b.
func distance(a, b string) int {
	prev := make([]int, len(b)+1)
	cur := make([]int, len(b)+1)
	for j := range prev {
		prev[j] = j
	}
	for i := 1; i <= len(a); i++ {
		cur[0] = i
		for j := 1; j <= len(b); j++ {
			cost := 1
			if a[i-1] == b[j-1] {
				cost = 0
			}
			cur[j] = min(prev[j]+1, cur[j-1]+1, prev[j-1]+cost)
		}
		prev, cur = cur, prev
	}
	return prev[len(b)]
}
