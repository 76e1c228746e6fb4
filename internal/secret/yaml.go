package secret

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"strings"

	"go.yaml.in/yaml/v3"
)

// UnmarshalYAML reads a secret from a config file in one of three forms:
//
//	client_secret: s3cr3t                      # a literal value
//	client_secret: {file: /run/secrets/entra}  # a file's content, less one trailing newline
//	client_secret: {env: ENTRA_SECRET}         # an environment variable, which must be set and non-empty
//
// Problems are returned as a *yaml.TypeError carrying the node's line, so a
// decoder keeps going and reports them with the rest. No message ever
// contains the secret's value; a file's path and a variable's name are shown.
func (s *String) UnmarshalYAML(n *yaml.Node) error {
	for n.Kind == yaml.AliasNode && n.Alias != nil {
		n = n.Alias
	}
	switch n.Kind {
	case yaml.ScalarNode:
		*s = New(n.Value)
		return nil
	case yaml.MappingNode:
		v, err := fromReference(n)
		if err != nil {
			return &yaml.TypeError{Errors: []string{fmt.Sprintf("line %d: %s", n.Line, err)}}
		}
		*s = New(v)
		return nil
	default:
		return &yaml.TypeError{Errors: []string{fmt.Sprintf(
			"line %d: a secret is a string, {file: PATH} or {env: NAME}", n.Line)}}
	}
}

// fromReference resolves {file: PATH} or {env: NAME}.
func fromReference(n *yaml.Node) (string, error) {
	if len(n.Content) != 2 {
		return "", errors.New("a secret reference has exactly one key, file or env")
	}
	key, val := n.Content[0], n.Content[1]
	for val.Kind == yaml.AliasNode && val.Alias != nil {
		val = val.Alias
	}
	if val.Kind != yaml.ScalarNode || val.Value == "" {
		return "", fmt.Errorf("secret %s: must be a non-empty string", key.Value)
	}
	switch key.Value {
	case "file":
		return readFile(val.Value)
	case "env":
		v, ok := os.LookupEnv(val.Value)
		if !ok {
			return "", fmt.Errorf("secret environment variable %s is not set", val.Value)
		}
		if v == "" {
			return "", fmt.Errorf("secret environment variable %s is empty", val.Value)
		}
		return v, nil
	default:
		return "", fmt.Errorf("unknown secret reference %q: use file or env", key.Value)
	}
}

// readFile reads a secret file. The error names the path and the cause
// (permission denied, no such file, is a directory) without repeating the
// path twice the way *fs.PathError would.
func readFile(path string) (string, error) {
	b, err := os.ReadFile(path)
	if err != nil {
		var pe *fs.PathError
		if errors.As(err, &pe) {
			err = pe.Err
		}
		return "", fmt.Errorf("reading secret file %s: %w", path, err)
	}
	v := string(b)
	if strings.HasSuffix(v, "\r\n") {
		v = v[:len(v)-2]
	} else {
		v = strings.TrimSuffix(v, "\n")
	}
	if v == "" {
		return "", fmt.Errorf("secret file %s is empty", path)
	}
	return v, nil
}
