package google

import (
	"errors"
	"strings"
)

// selection is a parsed fields parameter (a partial response): each
// selected property maps to the selection of its sub-properties, nil for
// the whole value.
type selection map[string]selection

var errFields = errors.New("invalid fields parameter")

// parseFields reads the fields syntax: "a,b/c,d(e,f)".
func parseFields(s string) (selection, error) {
	sel, rest, err := parseFieldList(s)
	if err != nil || rest != "" {
		return nil, errFields
	}
	return sel, nil
}

func parseFieldList(s string) (selection, string, error) {
	sel := selection{}
	for {
		name, sub, rest, err := parseFieldItem(s)
		if err != nil {
			return nil, rest, err
		}
		sel[name] = merge(sel[name], sub, sel.has(name))
		if !strings.HasPrefix(rest, ",") {
			return sel, rest, nil
		}
		s = rest[1:]
	}
}

// parseFieldItem reads one "name", "name/item" or "name(list)".
func parseFieldItem(s string) (string, selection, string, error) {
	i := strings.IndexAny(s, ",()/")
	name, rest := s, ""
	if i >= 0 {
		name, rest = s[:i], s[i:]
	}
	name = strings.TrimSpace(name)
	if name == "" {
		return "", nil, rest, errFields
	}
	switch {
	case strings.HasPrefix(rest, "/"):
		n, sub, r, err := parseFieldItem(rest[1:])
		if err != nil {
			return "", nil, r, err
		}
		return name, selection{n: sub}, r, nil
	case strings.HasPrefix(rest, "("):
		sub, r, err := parseFieldList(rest[1:])
		if err != nil || !strings.HasPrefix(r, ")") {
			return "", nil, r, errFields
		}
		return name, sub, r[1:], nil
	}
	return name, nil, rest, nil
}

func (s selection) has(name string) bool {
	_, ok := s[name]
	return ok
}

// merge combines two selections of one property; nil (everything) wins.
func merge(a, b selection, hadA bool) selection {
	if !hadA {
		return b
	}
	if a == nil || b == nil {
		return nil
	}
	for k, v := range b {
		a[k] = merge(a[k], v, a.has(k))
	}
	return a
}

// apply keeps the selected properties of a decoded JSON value; arrays are
// filtered element by element.
func (s selection) apply(v any) any {
	if s == nil {
		return v
	}
	switch x := v.(type) {
	case map[string]any:
		out := make(map[string]any, len(s))
		for k, sub := range s {
			if val, ok := x[k]; ok {
				out[k] = sub.apply(val)
			}
		}
		return out
	case []any:
		out := make([]any, len(x))
		for i, el := range x {
			out[i] = s.apply(el)
		}
		return out
	}
	return v
}
