package config

import (
	"bytes"
	"errors"
	"fmt"
	"reflect"
	"regexp"
	"strconv"
	"strings"

	"go.yaml.in/yaml/v3"

	"github.com/integrator-oss/integrator/internal/connector"
)

// The "config:" block of an integration belongs to its connector type. It
// is decoded by yaml itself into the type's Config with KnownFields, so the
// connector's struct tags are the whole schema. yaml only offers
// KnownFields on a Decoder reading bytes, not on a Node, so the block is
// re-encoded (block style, aliases expanded) and decoded from those bytes;
// a table built by walking the re-encoded tree beside the original turns
// each "line N:" in yaml's messages back into a line of the file and a
// field path.

// connectorConfig decodes and validates one integration's connector config.
// f is the "config:" key and value, nil when absent; itemLine is the line of
// the integration.
func (c *collector) connectorConfig(typ connector.Type, typeName string, f *field, itemLine int, path string) (connector.Config, bool) {
	before := len(c.errs)
	cfg := typ.New()
	if cfg == nil || reflect.ValueOf(cfg).Kind() != reflect.Pointer {
		c.add(itemLine, path, "connector type %q cannot be configured: its factory does not return a pointer", typeName)
		return nil, false
	}
	blockLine := itemLine
	var block *yaml.Node
	decoded := map[string]bool{}
	if f != nil && !isNull(f.value) {
		blockLine = f.line()
		block = resolve(f.value)
		if block.Kind != yaml.MappingNode {
			c.add(blockLine, path, "must be a mapping, not %s", describe(block))
			return nil, false
		}
		for _, e := range c.decodeStrict(block, cfg, blockLine, path) {
			decoded[e.Field] = true
		}
	}
	if err := cfg.Validate(); err != nil {
		for _, leaf := range flatten(err) {
			var fe *connector.FieldError
			if !errors.As(leaf, &fe) || fe.Field == "" {
				c.add(blockLine, path, "%v", leaf)
				continue
			}
			field := join(path, fe.Field)
			if decoded[field] {
				continue // already reported as a decoding problem
			}
			line := blockLine
			if block != nil {
				if l := lineOf(block, fe.Field); l > 0 {
					line = l
				}
			}
			c.add(line, field, "%s", fe.Message)
		}
	}
	return cfg, len(c.errs) == before
}

// flatten splits joined errors (errors.Join) into their leaves.
func flatten(err error) []error {
	var joined interface{ Unwrap() []error }
	if !errors.As(err, &joined) {
		return []error{err}
	}
	var out []error
	for _, e := range joined.Unwrap() {
		if e != nil {
			out = append(out, flatten(e)...)
		}
	}
	return out
}

// lineEntry is one node of the re-encoded block.
type lineEntry struct {
	node *yaml.Node // in the re-encoded tree
	key  bool       // a mapping key (else a value or list item)
	path string     // field path, relative to the block
	line int        // line in the original file to report
}

var (
	reLine     = regexp.MustCompile(`(?s)^line (\d+): (.*)$`)
	reUnknown  = regexp.MustCompile(`^field (\S+) not found in type .+$`)
	reDupKey   = regexp.MustCompile(`^mapping key "(.*)" already defined at line (\d+)$`)
	reDupField = regexp.MustCompile(`^field (\S+) already set in type .+$`)
	// The value excerpt yaml quotes is at most ten characters; it is
	// dropped, since it may be part of a secret put in the wrong field.
	reMismatch = regexp.MustCompile("(?s)^cannot unmarshal (\\S+)(?: `.{0,10}`)? into (.+)$")
)

// decodeStrict decodes block into cfg rejecting unknown fields, and reports
// every problem yaml finds. It returns the problems it added.
func (c *collector) decodeStrict(block *yaml.Node, cfg connector.Config, blockLine int, path string) []Error {
	before := len(c.errs)
	cl := &cloner{visiting: map[*yaml.Node]bool{}}
	clone := cl.clone(block, path)
	for _, d := range cl.dups {
		c.add(d.key.Line, d.path, "given twice (first at line %d)", d.first.Line)
	}
	out, err := yaml.Marshal(clone)
	if err != nil {
		c.add(blockLine, path, "encoding for decoding: %v", err)
		return c.errs[before:]
	}
	var doc yaml.Node
	if err := yaml.Unmarshal(out, &doc); err != nil || len(doc.Content) != 1 {
		c.add(blockLine, path, "re-reading for decoding: %v", err)
		return c.errs[before:]
	}
	byLine := map[int][]lineEntry{}
	var walk func(re, orig *yaml.Node, key bool, rel string, report int)
	walk = func(re, orig *yaml.Node, key bool, rel string, report int) {
		if re == nil || orig == nil {
			return
		}
		byLine[re.Line] = append(byLine[re.Line], lineEntry{node: re, key: key, path: rel, line: report})
		switch re.Kind {
		case yaml.MappingNode:
			for i := 0; i+1 < len(re.Content) && i+1 < len(orig.Content); i += 2 {
				k, origKey := re.Content[i], orig.Content[i]
				child := rel
				if !(k.Value == "<<" && k.ShortTag() == "!!merge") {
					child = join(rel, k.Value)
				}
				walk(k, origKey, true, child, origKey.Line)
				walk(re.Content[i+1], orig.Content[i+1], false, child, origKey.Line)
			}
		case yaml.SequenceNode:
			for i := 0; i < len(re.Content) && i < len(orig.Content); i++ {
				child := index(rel, i)
				if rel == "" {
					child = fmt.Sprintf("[%d]", i)
				}
				walk(re.Content[i], orig.Content[i], false, child, orig.Content[i].Line)
			}
		}
	}
	walk(doc.Content[0], clone, false, "", blockLine)

	dec := yaml.NewDecoder(bytes.NewReader(out))
	dec.KnownFields(true)
	err = dec.Decode(cfg)
	var te *yaml.TypeError
	switch {
	case err == nil:
	case errors.As(err, &te):
		for _, msg := range te.Errors {
			c.addDecodeError(msg, reflect.TypeOf(cfg), byLine, blockLine, path)
		}
	default:
		// An Unmarshaler returning a plain error stops yaml at once and
		// carries no line.
		c.add(blockLine, path, "%v", err)
	}
	return c.errs[before:]
}

// addDecodeError maps one of yaml's "line N: ..." messages to the file.
func (c *collector) addDecodeError(msg string, target reflect.Type, byLine map[int][]lineEntry, blockLine int, path string) {
	m := reLine.FindStringSubmatch(msg)
	if m == nil {
		c.add(blockLine, path, "%s", msg)
		return
	}
	line, _ := strconv.Atoi(m[1])
	text := m[2]
	entries := byLine[line]
	report := func(e *lineEntry, format string, args ...any) {
		if e == nil {
			c.add(blockLine, path, format, args...)
			return
		}
		c.add(e.line, joinRel(path, e.path), format, args...)
	}
	if k := reUnknown.FindStringSubmatch(text); k != nil {
		report(findKey(entries, k[1]), "unknown field")
		return
	}
	if k := reDupField.FindStringSubmatch(text); k != nil {
		report(findKey(entries, k[1]), "given twice")
		return
	}
	if k := reDupKey.FindStringSubmatch(text); k != nil {
		first, _ := strconv.Atoi(k[2])
		firstLine := first
		if e := findKey(byLine[first], k[1]); e != nil {
			firstLine = e.line
		}
		report(findKey(entries, k[1]), "given twice (first at line %d)", firstLine)
		return
	}
	if k := reMismatch.FindStringSubmatch(text); k != nil {
		e := findValue(entries, k[1])
		want := "of type " + k[2]
		if e != nil {
			if t := typeAt(target, e.path); t != nil {
				want = typeWords(t)
			}
		}
		got := tagName(k[1])
		if got == "a string" && strings.HasPrefix(want, "a duration") {
			report(e, "must be %s", want) // a duration is a string, just not this one
			return
		}
		report(e, "must be %s, not %s", want, got)
		return
	}
	report(findValue(entries, ""), "%s", text)
}

func joinRel(path, rel string) string {
	if strings.HasPrefix(rel, "[") {
		return path + rel
	}
	return join(path, rel)
}

func findKey(entries []lineEntry, name string) *lineEntry {
	for i := range entries {
		if entries[i].key && entries[i].node.Value == name {
			return &entries[i]
		}
	}
	return nil
}

// findValue returns the outermost value on the line with the given tag, or
// the outermost value if none has it.
func findValue(entries []lineEntry, tag string) *lineEntry {
	var fallback *lineEntry
	for i := range entries {
		e := &entries[i]
		if e.key {
			continue
		}
		if tag == "" || e.node.ShortTag() == tag {
			return e
		}
		if fallback == nil {
			fallback = e
		}
	}
	if fallback == nil && len(entries) > 0 {
		fallback = &entries[0]
	}
	return fallback
}

func tagName(tag string) string {
	switch tag {
	case "!!str":
		return "a string"
	case "!!int", "!!float":
		return "a number"
	case "!!bool":
		return "a boolean"
	case "!!map":
		return "a mapping"
	case "!!seq":
		return "a list"
	case "!!null":
		return "null"
	case "!!timestamp":
		return "a timestamp"
	}
	return tag
}

// cloner copies a node tree for re-encoding: aliases are replaced by what
// they name (an alias to an anchor outside the block would not encode),
// collections use block style so each key gets a line of its own, and
// comments are dropped. Lines are kept. A key given twice is left out of
// the copy and recorded: yaml would refuse the whole mapping for it and
// then every other field in it would look missing.
type cloner struct {
	visiting map[*yaml.Node]bool
	dups     []duplicate
}

type duplicate struct {
	path       string
	key, first *yaml.Node
}

func (cl *cloner) clone(n *yaml.Node, path string) *yaml.Node {
	if n.Kind == yaml.AliasNode && n.Alias != nil {
		target := cl.clone(n.Alias, path)
		target.Line, target.Column = n.Line, n.Column
		return target
	}
	cp := *n
	cp.Anchor = ""
	cp.HeadComment, cp.LineComment, cp.FootComment = "", "", ""
	cp.Style &^= yaml.FlowStyle
	cp.Content = nil
	if cl.visiting[n] {
		// A recursive alias: cut the cycle; yaml reports nothing for an
		// empty node and the connector's Validate sees a missing value.
		cp.Kind, cp.Tag, cp.Value = yaml.ScalarNode, "!!null", ""
		return &cp
	}
	cl.visiting[n] = true
	defer delete(cl.visiting, n)
	switch n.Kind {
	case yaml.MappingNode:
		seen := map[string]*yaml.Node{}
		for i := 0; i+1 < len(n.Content); i += 2 {
			k, v := n.Content[i], n.Content[i+1]
			child := path
			if !(k.Value == "<<" && k.ShortTag() == "!!merge") {
				child = join(path, k.Value)
				if first, dup := seen[k.Value]; dup && k.Kind == yaml.ScalarNode {
					cl.dups = append(cl.dups, duplicate{path: child, key: k, first: first})
					continue
				}
				seen[k.Value] = k
			}
			cp.Content = append(cp.Content, cl.clone(k, child), cl.clone(v, child))
		}
	case yaml.SequenceNode:
		for i, item := range n.Content {
			cp.Content = append(cp.Content, cl.clone(item, index(path, i)))
		}
	default:
		for _, child := range n.Content {
			cp.Content = append(cp.Content, cl.clone(child, path))
		}
	}
	return &cp
}

// lineOf finds the line of a field path ("auth.tenant_id", "hosts[1]")
// inside block, or of the deepest part of it that exists; 0 if none does.
func lineOf(block *yaml.Node, fieldPath string) int {
	line := 0
	n := block
	for _, part := range splitPath(fieldPath) {
		n = resolve(n)
		if part.key != "" {
			k, v := lookup(n, part.key)
			if k == nil {
				return line
			}
			line, n = k.Line, v
			continue
		}
		if n.Kind != yaml.SequenceNode || part.index >= len(n.Content) {
			return line
		}
		n = n.Content[part.index]
		line = resolve(n).Line
	}
	return line
}

// lookup finds a key in a mapping, looking into merged mappings too.
func lookup(n *yaml.Node, key string) (*yaml.Node, *yaml.Node) {
	if n == nil || n.Kind != yaml.MappingNode {
		return nil, nil
	}
	var merged []*yaml.Node
	for i := 0; i+1 < len(n.Content); i += 2 {
		k := n.Content[i]
		if k.Value == "<<" && k.ShortTag() == "!!merge" {
			merged = append(merged, resolve(n.Content[i+1]))
			continue
		}
		if k.Value == key {
			return k, n.Content[i+1]
		}
	}
	for _, m := range merged {
		items := []*yaml.Node{m}
		if m.Kind == yaml.SequenceNode {
			items = m.Content
		}
		for _, item := range items {
			if k, v := lookup(resolve(item), key); k != nil {
				return k, v
			}
		}
	}
	return nil, nil
}

type pathPart struct {
	key   string
	index int
}

// splitPath parses "a.b[2].c" into its parts.
func splitPath(p string) []pathPart {
	var parts []pathPart
	for _, seg := range strings.Split(p, ".") {
		name, rest, _ := strings.Cut(seg, "[")
		if name != "" {
			parts = append(parts, pathPart{key: name})
		}
		for rest != "" {
			num, after, ok := strings.Cut(rest, "]")
			i, err := strconv.Atoi(num)
			if !ok || err != nil {
				return parts
			}
			parts = append(parts, pathPart{index: i})
			rest = strings.TrimPrefix(after, "[")
		}
	}
	return parts
}
