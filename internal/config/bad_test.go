package config_test

import (
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/integrator-oss/integrator/internal/config"
)

// TestBadConfigs loads each testdata/*.bad.yaml and checks that the error
// holds every expected line, with its file, line number and field path.
// Every bad file must have a row, so a fixture cannot be added untested.
func TestBadConfigs(t *testing.T) {
	t.Parallel()

	type testCase struct {
		// errContains are substrings of the error; each is prefixed with
		// "testdata/NAME.bad.yaml:" unless it starts with "~".
		errContains []string
		// setup returns the text to put in place of @SECRET_FILE@.
		setup func(t *testing.T) (secretFile string, errContains []string)
	}
	cases := map[string]testCase{
		"unknown_top_level": {errContains: []string{
			"2: listn: unknown field (did you mean listen?)",
		}},
		"unknown_integration_key": {errContains: []string{
			"4: integrations[0].schedual: unknown field (did you mean schedule?)",
		}},
		"unknown_config_key": {errContains: []string{
			"10: integrations[0].config.endpoints.grpah: unknown field",
			"11: integrations[0].config.tenant_idd: unknown field",
		}},
		"missing_connector_field": {errContains: []string{
			// No tenant_id key: reported at the config: key.
			"4: integrations[0].config.tenant_id: required",
			// A key that is there but wrong: reported at that key.
			"7: integrations[0].config.page_size: must be between 1 and 999",
			// No config block at all: reported at the list item.
			"8: integrations[1].config.tenant_id: required",
			"8: integrations[1].config.client_id: required",
			"8: integrations[1].config.client_secret: required",
		}},
		"bad_duration": {errContains: []string{
			`4: integrations[0].full_sync_every: invalid duration "5x": `,
			"5: integrations[0].run_timeout: must be positive",
		}},
		"bad_cron": {errContains: []string{
			`4: integrations[0].schedule: invalid cron expression "*/15 * * *": expected exactly 5 fields`,
			`8: integrations[1].schedule.cron: invalid cron expression "61 * * * *": end of range (61) above maximum (59)`,
		}},
		"schedule_both": {errContains: []string{
			"4: integrations[0].schedule: set exactly one of every and cron, not both",
			"8: integrations[1].schedule: set one of every and cron",
		}},
		"schedule_too_short": {errContains: []string{
			"4: integrations[0].schedule: interval 5s is shorter than the minimum 10s",
			`8: integrations[1].schedule: invalid cron expression "@every 1s": runs more often than the minimum 10s`,
		}},
		"unknown_type": {errContains: []string{
			`3: integrations[0].type: unknown connector type "okta" (known: entra, ninja)`,
		}},
		"secret_file_unreadable": {setup: func(t *testing.T) (string, []string) {
			path := filepath.Join(t.TempDir(), "client-secret")
			require.NoError(t, os.WriteFile(path, []byte("plaintext-from-file\n"), 0o600))
			require.NoError(t, os.Chmod(path, 0))
			if _, err := os.ReadFile(path); err == nil {
				t.Skip("mode 000 does not stop this user from reading (running as root); secret_file_directory covers the read failure")
			}
			return path, []string{"7: integrations[0].config.client_secret: reading secret file " + path + ": permission denied"}
		}},
		"secret_file_directory": {setup: func(t *testing.T) (string, []string) {
			dir := t.TempDir()
			return dir, []string{"7: integrations[0].config.client_secret: reading secret file " + dir + ": is a directory"}
		}},
		"secret_env_unset": {errContains: []string{
			"7: integrations[0].config.client_secret: secret environment variable INTEGRATOR_CONFIG_TEST_SURELY_UNSET is not set",
		}},
		"duplicate_names": {errContains: []string{
			`9: integrations[2].name: duplicate integration name "contoso" (first at line 2)`,
		}},
		"unknown_entity": {errContains: []string{
			`4: integrations[0].entities[1]: unknown entity "computers" (known: users, groups, contacts, sites, org_units, devices, assets,`,
			"4: integrations[0].entities[3]: users listed twice",
		}},
		"entity_not_produced": {errContains: []string{
			`6: integrations[0].entities[1]: connector type "entra" does not produce appointments (it produces: users, groups, contacts, devices)`,
		}},
		"unknown_matching": {errContains: []string{
			`4: integrations[0].matching[1]: unknown matching rule "serial_number" (known: immutable_id, upn, email, employee_id)`,
			"4: integrations[0].matching[2]: matching rule upn listed twice",
		}},
		"bad_role": {errContains: []string{
			`7: integrations[0].scope.mappings[1].role: invalid role "admin": must be user or agent`,
			"8: integrations[0].scope.mappings[2].group: required: a mapping names a group or an org_unit",
		}},
		"assets": {errContains: []string{
			`5: integrations[0].assets.matching[1]: unknown asset matching rule "imei" (known: serial, mac, hostname)`,
			"5: integrations[0].assets.matching[2]: asset matching rule serial listed twice",
			`6: integrations[0].assets.user: invalid user mode "owner": must be one of auto, primary, last_logged_on, none`,
			"8: integrations[0].assets.organisations[0].source: required",
		}},
		"identity": {errContains: []string{
			`4: integrations[0].lifecycle: invalid lifecycle "sometimes": must be authoritative or contributing`,
			"7: integrations[0].scope.mappings[0].org_unit: a mapping names a group or an org_unit, not both: write two mappings",
			"8: integrations[0].scope.mappings[1].org_unit: must not be empty",
			`11: ownership.department[1]: unknown integration "corp-ad"`,
			"12: ownership.shoe_size: unknown field",
		}},
		"bad_threshold": {errContains: []string{
			"4: integrations[0].threshold.max_count: must be at least 1, or -1 for no limit",
			"4: integrations[0].threshold.max_percent: must be more than 0 and at most 100, or -1 for no limit",
			"8: integrations[1].threshold.max_count: must be an integer, not a string",
		}},
		"bad_name": {errContains: []string{
			`2: integrations[0].name: invalid name "Contoso Entra"`,
			"5: integrations[1].name: required",
		}},
		"config_type_mismatch": {errContains: []string{
			"8: integrations[0].config.page_size: must be an integer, not a string",
			"9: integrations[0].config.endpoints: must be a mapping, not a list",
			// Fields of an inline struct are the block's own.
			"10: integrations[0].config.timeout: must be a duration, like 30s or 5m",
			"11: integrations[0].config.retries: must be a list, not a mapping",
		}},
		"syntax": {errContains: []string{
			"2: invalid YAML: did not find expected '-' indicator",
		}},
		"duplicate_key": {errContains: []string{
			"9: integrations[0].config.tenant_id: given twice (first at line 6)",
			"10: listen: given twice (first at line 1)",
		}},
		"top_level": {errContains: []string{
			`1: store: unsupported store "mysql://": use sqlite:PATH, a file path or postgres://`,
			`2: listen: invalid address "localhost"`,
			`4: log.level: invalid level "verbose": must be debug, info, warn or error`,
			`5: log.format: invalid format "xml": must be text or json`,
			"6: integrations: must be a list, not a mapping",
		}},
		"two_documents": {errContains: []string{
			"3: a config file holds one YAML document",
		}},
		"several": {errContains: []string{
			`2: log.level: invalid level "loud"`,
			`6: integrations[0].schedule: invalid cron expression "every 15 minutes"`,
			`7: integrations[0].entities[1]: unknown entity "printers"`,
			`8: integrations[0].matching[1]: unknown matching rule "shoe_size"`,
			"9: integrations[0].config.tenant_id: required",
			"10: integrations[0].config.tenant_idd: unknown field",
			"12: integrations[0].config.client_secret: secret environment variable INTEGRATOR_CONFIG_TEST_SURELY_UNSET is not set",
			`13: integrations[1].name: duplicate integration name "contoso" (first at line 4)`,
			`14: integrations[1].type: unknown connector type "okta"`,
			`15: integrations[1].run_timeout: invalid duration "forever"`,
		}},
	}

	files, err := filepath.Glob("testdata/*.bad.yaml")
	require.NoError(t, err)
	require.NotEmpty(t, files)
	for _, file := range files {
		name := strings.TrimSuffix(filepath.Base(file), ".bad.yaml")
		if _, ok := cases[name]; !ok && name != "secret_file_directory" {
			t.Errorf("%s has no test case", file)
		}
	}
	for name, tc := range cases {
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			if _, ok := os.LookupEnv("INTEGRATOR_CONFIG_TEST_SURELY_UNSET"); ok {
				t.Skip("INTEGRATOR_CONFIG_TEST_SURELY_UNSET is set")
			}
			file := "testdata/" + name + ".bad.yaml"
			if tc.setup != nil {
				file = "testdata/secret_file_unreadable.bad.yaml"
			}
			data, err := os.ReadFile(file)
			require.NoError(t, err)
			want := tc.errContains
			if tc.setup != nil {
				secretFile, more := tc.setup(t)
				data = []byte(strings.ReplaceAll(string(data), "@SECRET_FILE@", secretFile))
				want = append(want, more...)
			}

			cfg, err := config.Parse(file, data, testRegistry())
			require.Error(t, err)
			require.Nil(t, cfg)
			for _, w := range want {
				require.ErrorContains(t, err, file+":"+w)
			}

			// Every problem is one line of the form FILE:LINE: ..., in
			// line order, and the error is a *config.Errors.
			var errs *config.Errors
			require.True(t, errors.As(err, &errs))
			lines := strings.Split(err.Error(), "\n")
			require.Len(t, lines, len(*errs))
			require.Len(t, lines, len(want), "one line per expected problem, got:\n%v", err)
			for i, e := range *errs {
				require.Equal(t, file, e.File)
				require.Positive(t, e.Line, "problem without a line: %v", e)
				require.True(t, strings.HasPrefix(lines[i], file+":"), lines[i])
				if i > 0 {
					require.GreaterOrEqual(t, e.Line, (*errs)[i-1].Line)
				}
			}
			require.NotContains(t, err.Error(), "plaintext-from-file")
		})
	}
}

// TestBadConfigNeverShowsSecrets puts secret-looking values where they do
// not belong and checks that no message repeats them.
func TestBadConfigNeverShowsSecrets(t *testing.T) {
	t.Parallel()

	doc := `integrations:
  - name: contoso
    type: entra
    config:
      tenant_id: t
      client_id: c
      client_secret: [s3cr3t-in-a-list]
      page_size: s3cr3t-in-an-int
      proxy: s3cr3t-in-a-struct
      headers: {authorization: [s3cr3t-in-a-map]}
store: postgres://user:s3cr3t-password@db/integrator
`
	_, err := config.Parse("config.yaml", []byte(doc), testRegistry())
	require.ErrorContains(t, err, "config.yaml:7: integrations[0].config.client_secret: a secret is a string, {file: PATH} or {env: NAME}")
	require.ErrorContains(t, err, "config.yaml:8: integrations[0].config.page_size: must be an integer, not a string")
	require.ErrorContains(t, err, "config.yaml:9: integrations[0].config.proxy: must be a mapping, not a string")
	require.ErrorContains(t, err, "config.yaml:10: integrations[0].config.headers.authorization: a secret is a string")
	require.NotContains(t, err.Error(), "s3cr3t")
}
