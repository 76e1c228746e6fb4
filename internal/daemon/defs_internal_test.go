package daemon

import (
	"reflect"
	"slices"
	"strings"
	"testing"

	"github.com/integrator-oss/integrator/internal/connector/all"
	"github.com/integrator-oss/integrator/internal/secret"
)

// TestEverySecretOfEveryConnectorIsSealed guards the write-only secrets of
// integrations created through the API: splitSecrets seals the top-level
// secrets of a config block (inline structs included). A secret nested in a
// list or an object would be stored in the clear, so none may be.
func TestEverySecretOfEveryConnectorIsSealed(t *testing.T) {
	reg := all.Registry()
	for name, typ := range reg {
		found := secretFields(reg, name)
		var walk func(rt reflect.Type, path string, top bool)
		walk = func(rt reflect.Type, path string, top bool) {
			for rt.Kind() == reflect.Pointer || rt.Kind() == reflect.Slice || rt.Kind() == reflect.Map {
				if rt.Kind() != reflect.Pointer {
					top = false
				}
				rt = rt.Elem()
			}
			if rt.Kind() != reflect.Struct || rt == reflect.TypeOf(secret.String{}) {
				return
			}
			for i := 0; i < rt.NumField(); i++ {
				f := rt.Field(i)
				key, opts, _ := strings.Cut(f.Tag.Get("yaml"), ",")
				inline := f.Anonymous || strings.Contains(opts, "inline")
				if f.Type == reflect.TypeOf(secret.String{}) {
					if !top {
						t.Errorf("%s: secret %s%s is nested: the API would store it unsealed", name, path, key)
					} else if !slices.Contains(found, key) {
						t.Errorf("%s: secret %s is not sealed", name, key)
					}
					continue
				}
				if !f.IsExported() {
					continue
				}
				if inline {
					walk(f.Type, path, top)
				} else {
					walk(f.Type, path+key+".", false)
				}
			}
		}
		walk(reflect.TypeOf(typ.New()), "", true)
	}
}
