// Package config loads the daemon's YAML config file strictly: unknown keys
// are rejected at every level, including inside each integration's
// connector block, and every problem in the file is reported at once, one
// per line, as "FILE:LINE: FIELD.PATH: what is wrong".
//
// The connector block ("config:") is decoded into the Config that the
// connector registry's factory returns for the integration's type, then
// checked with its Validate method. Secrets in it may be literal, read from
// a file or taken from the environment (see secret.String.UnmarshalYAML).
package config

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"os"
	"regexp"
	"strconv"
	"strings"

	"go.yaml.in/yaml/v3"

	"github.com/integrator-oss/integrator/internal/connector"
	"github.com/integrator-oss/integrator/internal/integration"
)

// Config is the daemon's config file, with defaults applied.
type Config struct {
	// Path is the file the config was read from.
	Path string `json:"path"`
	// Store says where the database is: "sqlite:PATH", a bare SQLite file
	// path, or a "postgres://" URL. Defaults to DefaultStore.
	Store string `json:"store"`
	// Listen is the API's address. Defaults to DefaultListen.
	Listen string `json:"listen"`
	// Log configures the daemon's logger.
	Log LogConfig `json:"log"`
	// TLSCertFile and TLSKeyFile are the PEM certificate (with its chain)
	// and private key the API and console serve HTTPS with. Both or
	// neither; without them the server speaks plain HTTP.
	TLSCertFile string `json:"tls_cert_file,omitempty"`
	TLSKeyFile  string `json:"tls_key_file,omitempty"`
	// Integrations are the integrations the file configures, in file order.
	Integrations []Integration `json:"integrations"`
	// Ownership ranks integrations per user field for people several
	// sources link; fields it does not name keep the built-in defaults.
	Ownership integration.Ownership `json:"ownership,omitempty"`
}

// LogConfig configures the daemon's logger.
type LogConfig struct {
	// Level is the lowest level logged: debug, info, warn or error.
	// Defaults to info.
	Level string `json:"level"`
	// Format is "text" or "json". Defaults to text.
	Format string `json:"format"`
}

// Defaults of the top-level settings.
const (
	DefaultStore     = "sqlite:integrator.db"
	DefaultListen    = "127.0.0.1:8080"
	DefaultLogLevel  = "info"
	DefaultLogFormat = "text"
)

var logLevels = map[string]slog.Level{
	"debug": slog.LevelDebug,
	"info":  slog.LevelInfo,
	"warn":  slog.LevelWarn,
	"error": slog.LevelError,
}

// SlogLevel returns Level as a slog.Level; info if it is not one of the
// four names.
func (l LogConfig) SlogLevel() slog.Level {
	if level, ok := logLevels[l.Level]; ok {
		return level
	}
	return slog.LevelInfo
}

// Integration returns the integration with the given name.
func (c *Config) Integration(name string) (*Integration, bool) {
	for i := range c.Integrations {
		if c.Integrations[i].Settings.Name == name {
			return &c.Integrations[i], true
		}
	}
	return nil, false
}

// Load reads the config file at path and parses it with Parse.
func Load(path string, reg connector.Registry) (*Config, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("reading config: %w", err)
	}
	return Parse(path, data, reg)
}

// Parse parses a config file's content. path is only used in messages and
// in Config.Path. reg supplies the connector types integrations may use.
//
// On any problem it returns a nil Config and a *Errors listing every
// problem found, in line order.
func Parse(path string, data []byte, reg connector.Registry) (*Config, error) {
	c := &collector{file: path}
	root := c.document(data)
	cfg := &Config{Path: path}
	if root != nil {
		c.top(root, cfg, reg)
	}
	if err := c.err(); err != nil {
		return nil, err
	}
	cfg.applyDefaults()
	return cfg, nil
}

// applyDefaults is the one place the top-level defaults are set. The
// integrations' defaults live in integration.Settings.WithDefaults.
func (c *Config) applyDefaults() {
	if c.Store == "" {
		c.Store = DefaultStore
	}
	if c.Listen == "" {
		c.Listen = DefaultListen
	}
	if c.Log.Level == "" {
		c.Log.Level = DefaultLogLevel
	}
	if c.Log.Format == "" {
		c.Log.Format = DefaultLogFormat
	}
}

var reSyntax = regexp.MustCompile(`^yaml: line (\d+): (.*)$`)

// document parses the file into its root node; nil for an empty file or a
// syntax error (reported).
func (c *collector) document(data []byte) *yaml.Node {
	dec := yaml.NewDecoder(bytes.NewReader(data))
	var doc yaml.Node
	if err := dec.Decode(&doc); err != nil {
		if !errors.Is(err, io.EOF) {
			c.syntax(err)
		}
		return nil
	}
	var extra yaml.Node
	switch err := dec.Decode(&extra); {
	case err == nil:
		line := extra.Line
		if len(extra.Content) > 0 {
			line = extra.Content[0].Line
		}
		c.add(line, "", "a config file holds one YAML document; remove the second \"---\"")
	case !errors.Is(err, io.EOF):
		c.syntax(err)
	}
	if doc.Kind != yaml.DocumentNode || len(doc.Content) == 0 {
		return nil
	}
	return doc.Content[0]
}

func (c *collector) syntax(err error) {
	if m := reSyntax.FindStringSubmatch(err.Error()); m != nil {
		line, _ := strconv.Atoi(m[1])
		c.add(line, "", "invalid YAML: %s", m[2])
		return
	}
	c.add(0, "", "invalid YAML: %s", strings.TrimPrefix(err.Error(), "yaml: "))
}

// top reads the root mapping.
func (c *collector) top(root *yaml.Node, cfg *Config, reg connector.Registry) {
	if isNull(root) {
		return
	}
	allowed := []string{"store", "listen", "log", "integrations", "ownership", "tls_cert_file", "tls_key_file"}
	// Keys starting with "x-" are ignored, so that a file can hold
	// anchors to share between integrations ("x-defaults: &defaults").
	if r := resolve(root); r.Kind == yaml.MappingNode {
		for i := 0; i < len(r.Content); i += 2 {
			if k := r.Content[i].Value; strings.HasPrefix(k, "x-") {
				allowed = append(allowed, k)
			}
		}
	}
	fields, ok := c.mapping(root, root.Line, "", allowed...)
	if !ok {
		return
	}
	if f, set := fields["store"]; set {
		if s, ok := c.str(f, "store"); ok {
			if err := checkStore(s); err != nil {
				c.add(f.line(), "store", "%v", err)
			}
			cfg.Store = s
		}
	}
	if f, set := fields["listen"]; set {
		if s, ok := c.str(f, "listen"); ok {
			if err := checkListen(s); err != nil {
				c.add(f.line(), "listen", "%v", err)
			}
			cfg.Listen = s
		}
	}
	if f, set := fields["log"]; set {
		cfg.Log = c.log(f)
	}
	c.tls(fields, cfg)
	if f, set := fields["integrations"]; set {
		items, _ := c.list(f, "integrations")
		nameLines := make([]int, 0, len(items))
		for i, item := range items {
			it, _ := c.integration(item, index("integrations", i), reg)
			cfg.Integrations = append(cfg.Integrations, it)
			line := it.Line
			if k, _ := lookup(resolve(item), "name"); k != nil {
				line = k.Line
			}
			nameLines = append(nameLines, line)
		}
		c.checkUnique(cfg.Integrations, nameLines)
	}
	if f, set := fields["ownership"]; set {
		cfg.Ownership = c.ownership(f, cfg.Integrations)
	}
}

// ownership reads the field-ownership table: field → integration names,
// strongest first. Every name must be a configured integration.
func (c *collector) ownership(f field, its []Integration) integration.Ownership {
	fields, ok := c.mapping(f.value, f.line(), "ownership", integration.OwnedFields...)
	if !ok {
		return nil
	}
	known := map[string]bool{}
	for _, it := range its {
		known[it.Settings.Name] = true
	}
	own := integration.Ownership{}
	for _, name := range integration.OwnedFields {
		ff, set := fields[name]
		if !set {
			continue
		}
		path := join("ownership", name)
		names, nodes, _ := c.stringList(ff, path)
		for i, n := range names {
			if !known[n] {
				c.add(nodes[i].node.Line, index(path, nodes[i].index), "unknown integration %q", n)
			}
		}
		own[name] = names
	}
	return own
}

func (c *collector) log(f field) LogConfig {
	var l LogConfig
	fields, ok := c.mapping(f.value, f.line(), "log", "level", "format")
	if !ok {
		return l
	}
	if lf, set := fields["level"]; set {
		if s, ok := c.str(lf, "log.level"); ok {
			if _, known := logLevels[s]; !known {
				c.add(lf.line(), "log.level", "invalid level %q: must be debug, info, warn or error", s)
			}
			l.Level = s
		}
	}
	if ff, set := fields["format"]; set {
		if s, ok := c.str(ff, "log.format"); ok {
			if s != "text" && s != "json" {
				c.add(ff.line(), "log.format", "invalid format %q: must be text or json", s)
			}
			l.Format = s
		}
	}
	return l
}

// checkStore accepts "sqlite:PATH", "postgres://..." and
// "postgresql://..." URLs, and bare file paths. It never echoes the value,
// which may hold a database password.
func checkStore(s string) error {
	switch {
	case strings.TrimSpace(s) == "":
		return errors.New("must not be empty")
	case strings.HasPrefix(s, "sqlite:"):
		if strings.TrimPrefix(s, "sqlite:") == "" {
			return errors.New("sqlite: needs a file path after it")
		}
	case strings.HasPrefix(s, "postgres://"), strings.HasPrefix(s, "postgresql://"):
	case strings.Contains(s, "://"):
		scheme, _, _ := strings.Cut(s, "://")
		return fmt.Errorf("unsupported store %q: use sqlite:PATH, a file path or postgres://", scheme+"://")
	}
	return nil
}

func checkListen(s string) error {
	_, port, err := net.SplitHostPort(s)
	if err != nil {
		return fmt.Errorf("invalid address %q: want HOST:PORT, like 127.0.0.1:8080 or :8080", s)
	}
	if p, err := strconv.Atoi(port); err != nil || p < 0 || p > 65535 {
		return fmt.Errorf("invalid port %q in %q", port, s)
	}
	return nil
}
