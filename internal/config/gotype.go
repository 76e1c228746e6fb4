package config

import (
	"encoding"
	"reflect"
	"strings"
	"time"
)

// typeAt returns the Go type yaml decodes the field at a relative path
// ("endpoints.graph", "hosts[1]") into, following yaml's field naming; nil
// if the path does not lead to one.
func typeAt(t reflect.Type, rel string) reflect.Type {
	for _, part := range splitPath(rel) {
		t = deref(t)
		switch {
		case part.key != "" && t.Kind() == reflect.Struct:
			ft, ok := yamlField(t, part.key)
			if !ok {
				return nil
			}
			t = ft
		case part.key != "" && t.Kind() == reflect.Map:
			t = t.Elem()
		case part.key == "" && (t.Kind() == reflect.Slice || t.Kind() == reflect.Array):
			t = t.Elem()
		default:
			return nil
		}
	}
	return deref(t)
}

func deref(t reflect.Type) reflect.Type {
	for t.Kind() == reflect.Pointer {
		t = t.Elem()
	}
	return t
}

// yamlField finds the field yaml decodes key into: the name in its yaml
// tag, else its lower-cased Go name, looking into ",inline" structs.
func yamlField(t reflect.Type, key string) (reflect.Type, bool) {
	for i := range t.NumField() {
		f := t.Field(i)
		if !f.IsExported() && !f.Anonymous {
			continue
		}
		tag := f.Tag.Get("yaml")
		if tag == "" && !strings.Contains(string(f.Tag), ":") {
			tag = string(f.Tag)
		}
		name, opts, _ := strings.Cut(tag, ",")
		if name == "-" {
			continue
		}
		if strings.Contains(","+opts+",", ",inline,") {
			switch ft := deref(f.Type); ft.Kind() {
			case reflect.Struct:
				if inner, ok := yamlField(ft, key); ok {
					return inner, true
				}
			case reflect.Map:
				return ft.Elem(), true
			}
			continue
		}
		if name == "" {
			name = strings.ToLower(f.Name)
		}
		if name == key {
			return f.Type, true
		}
	}
	return nil, false
}

var textUnmarshaler = reflect.TypeFor[encoding.TextUnmarshaler]()

// typeWords says what a value of type t is written as, for messages.
func typeWords(t reflect.Type) string {
	if t == reflect.TypeFor[time.Duration]() {
		return "a duration, like 30s or 5m"
	}
	if reflect.PointerTo(t).Implements(textUnmarshaler) {
		return "a string"
	}
	switch t.Kind() {
	case reflect.String:
		return "a string"
	case reflect.Bool:
		return "true or false"
	case reflect.Int, reflect.Int8, reflect.Int16, reflect.Int32, reflect.Int64,
		reflect.Uint, reflect.Uint8, reflect.Uint16, reflect.Uint32, reflect.Uint64, reflect.Uintptr:
		return "an integer"
	case reflect.Float32, reflect.Float64:
		return "a number"
	case reflect.Slice, reflect.Array:
		return "a list"
	case reflect.Struct, reflect.Map:
		return "a mapping"
	}
	return "of type " + t.String()
}
