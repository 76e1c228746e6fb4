package config

import _ "embed"

//go:embed sample.yaml
var sample string

// Sample returns an annotated example config file. It parses cleanly with
// a registry that has the "entra" connector type, once the environment
// variables its secrets name are set.
func Sample() string { return sample }
