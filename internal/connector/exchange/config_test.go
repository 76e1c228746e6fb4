package exchange

import (
	"errors"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
	"go.yaml.in/yaml/v3"

	"github.com/integrator-oss/integrator/internal/connector"
	"github.com/integrator-oss/integrator/internal/secret"
)

func fields(err error) []string {
	var out []string
	var walk func(error)
	walk = func(err error) {
		if j, ok := err.(interface{ Unwrap() []error }); ok {
			for _, e := range j.Unwrap() {
				walk(e)
			}
			return
		}
		var fe *connector.FieldError
		if errors.As(err, &fe) {
			out = append(out, fe.Field)
		}
	}
	walk(err)
	return out
}

func TestConfigValidate(t *testing.T) {
	t.Parallel()
	creds := func(c Config) Config {
		c.TenantID, c.ClientID, c.ClientSecret = "t", "c", secret.New("s")
		return c.WithDefaults()
	}
	tests := []struct {
		name string
		cfg  Config
		want []string
	}{
		{"list needs mailboxes", creds(Config{}), []string{"mailboxes"}},
		{"group needs a group", creds(Config{MailboxSource: SourceGroup}), []string{"mailbox_group"}},
		{"unknown source", creds(Config{MailboxSource: "some"}), []string{"mailbox_source"}},
		{"list keys with all", creds(Config{MailboxSource: SourceAll, Mailboxes: []string{"a"}, MailboxGroup: "g"}), []string{"mailbox_group", "mailboxes"}},
		{"bounds", creds(Config{MailboxSource: SourceAll, Concurrency: 65, PageSize: 1001, WindowBack: -1}), []string{"window_back", "concurrency", "page_size"}},
		{"ok", creds(Config{Mailboxes: []string{"ana@contoso.com"}}), nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			require.ElementsMatch(t, tt.want, fields(tt.cfg.Validate()))
		})
	}
	require.ElementsMatch(t, []string{"tenant_id", "client_id", "client_secret", "mailboxes"}, fields(Config{}.WithDefaults().Validate()))
}

func TestSampleAndDefaults(t *testing.T) {
	t.Setenv("EXCHANGE_CLIENT_SECRET", "from-env")
	c := Type().New().(*Config)
	require.NoError(t, yaml.Unmarshal([]byte(Sample), c))
	require.NoError(t, c.Validate())
	require.Equal(t, DefaultWindowBack, c.WindowBack)
	require.Equal(t, DefaultWindowAhead, c.WindowAhead)
	require.Equal(t, 8, c.Concurrency)
	require.Len(t, c.Mailboxes, 2)

	var d struct {
		Back  Days `yaml:"back"`
		Ahead Days `yaml:"ahead"`
		Hours Days `yaml:"hours"`
	}
	require.NoError(t, yaml.Unmarshal([]byte("back: 14d\nahead: 90\nhours: 48h\n"), &d))
	require.Equal(t, Days(14*24*time.Hour), d.Back)
	require.Equal(t, Days(90*24*time.Hour), d.Ahead)
	require.Equal(t, 2, d.Hours.days())
	require.Error(t, yaml.Unmarshal([]byte("back: soon\n"), &d))
	b, err := Days(30 * 24 * time.Hour).MarshalText()
	require.NoError(t, err)
	require.Equal(t, "30d", string(b))
}
