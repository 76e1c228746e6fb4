package config

import "os"

// tls reads tls_cert_file and tls_key_file: both or neither, each a
// readable file.
func (c *collector) tls(fields map[string]field, cfg *Config) {
	cf, certSet := fields["tls_cert_file"]
	kf, keySet := fields["tls_key_file"]
	if certSet {
		cfg.TLSCertFile, _ = c.str(cf, "tls_cert_file")
	}
	if keySet {
		cfg.TLSKeyFile, _ = c.str(kf, "tls_key_file")
	}
	switch {
	case certSet && !keySet:
		c.add(cf.line(), "tls_key_file", "required with tls_cert_file")
	case keySet && !certSet:
		c.add(kf.line(), "tls_cert_file", "required with tls_key_file")
	}
	for _, f := range []struct {
		name string
		path string
		set  bool
		fl   field
	}{{"tls_cert_file", cfg.TLSCertFile, certSet, cf}, {"tls_key_file", cfg.TLSKeyFile, keySet, kf}} {
		if !f.set || f.path == "" {
			continue
		}
		if _, err := os.Stat(f.path); err != nil {
			c.add(f.fl.line(), f.name, "cannot read %s: %v", f.path, unwrapPath(err))
		}
	}
}

func unwrapPath(err error) error {
	if pe, ok := err.(*os.PathError); ok {
		return pe.Err
	}
	return err
}
