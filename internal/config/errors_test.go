package config_test

import (
	"errors"
	"fmt"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/integrator-oss/integrator/internal/config"
)

func TestErrorFormat(t *testing.T) {
	t.Parallel()

	for _, tc := range []struct {
		err  config.Error
		want string
	}{
		{config.Error{File: "c.yaml", Line: 12, Field: "integrations[0].config.tenant_idd", Msg: "unknown field"},
			"c.yaml:12: integrations[0].config.tenant_idd: unknown field"},
		{config.Error{File: "c.yaml", Line: 3, Msg: "invalid YAML: bad"}, "c.yaml:3: invalid YAML: bad"},
		{config.Error{File: "c.yaml", Msg: "invalid YAML: bad"}, "c.yaml: invalid YAML: bad"},
		{config.Error{Field: "listen", Msg: "bad"}, "listen: bad"},
	} {
		require.Equal(t, tc.want, tc.err.Error())
	}
}

func TestErrorsAs(t *testing.T) {
	t.Parallel()

	_, err := config.Parse("c.yaml", []byte("listen: nope\nlog: {level: loud}\n"), testRegistry())
	wrapped := fmt.Errorf("loading config: %w", err)

	var errs *config.Errors
	require.True(t, errors.As(wrapped, &errs))
	require.Equal(t, config.Errors{
		{File: "c.yaml", Line: 1, Field: "listen", Msg: `invalid address "nope": want HOST:PORT, like 127.0.0.1:8080 or :8080`},
		{File: "c.yaml", Line: 2, Field: "log.level", Msg: `invalid level "loud": must be debug, info, warn or error`},
	}, *errs)
	require.Equal(t, (*errs)[0].Error()+"\n"+(*errs)[1].Error(), err.Error())
}
