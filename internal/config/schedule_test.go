package config_test

import (
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/integrator-oss/integrator/internal/config"
	"github.com/integrator-oss/integrator/internal/integration"
)

func TestParseDuration(t *testing.T) {
	t.Parallel()

	for _, tc := range []struct {
		in          string
		want        time.Duration
		errContains string
	}{
		{in: "90s", want: 90 * time.Second},
		{in: "1h30m", want: 90 * time.Minute},
		{in: "7d", want: 7 * 24 * time.Hour},
		{in: "1d12h", want: 36 * time.Hour},
		{in: "1.5d", want: 36 * time.Hour},
		{in: "0d30m", want: 30 * time.Minute},
		{in: "5x", errContains: `invalid duration "5x": want a number and a unit`},
		{in: "15", errContains: `invalid duration "15"`},
		{in: "d", errContains: `invalid duration "d"`},
		{in: "1h2d", errContains: `invalid duration "1h2d"`},
		{in: "1d-2h", errContains: `invalid duration "1d-2h"`},
		{in: "7d0", errContains: `invalid duration "7d0"`},
		{in: "", errContains: `invalid duration ""`},
		{in: "200000000d", errContains: `invalid duration "200000000d"`},
	} {
		t.Run(tc.in, func(t *testing.T) {
			t.Parallel()
			got, err := config.ParseDuration(tc.in)
			if tc.errContains != "" {
				require.ErrorContains(t, err, tc.errContains)
				return
			}
			require.NoError(t, err)
			require.Equal(t, tc.want, got)
		})
	}
}

func TestParseSchedule(t *testing.T) {
	t.Parallel()

	for _, tc := range []struct {
		in          string
		want        integration.Schedule
		errContains string
	}{
		{in: "15m", want: integration.Schedule{Every: 15 * time.Minute}},
		{in: " 2d ", want: integration.Schedule{Every: 48 * time.Hour}},
		{in: "*/15 * * * *", want: integration.Schedule{Cron: "*/15 * * * *"}},
		{in: "@weekly", want: integration.Schedule{Cron: "@weekly"}},
		{in: "9s", errContains: "interval 9s is shorter than the minimum 10s"},
		{in: "@often", errContains: `invalid cron expression "@often"`},
		{in: "0 0 * * * *", errContains: "expected exactly 5 fields"},
		{in: "every day", errContains: "an interval is written without spaces"},
	} {
		t.Run(tc.in, func(t *testing.T) {
			t.Parallel()
			got, err := config.ParseSchedule(tc.in)
			if tc.errContains != "" {
				require.ErrorContains(t, err, tc.errContains)
				return
			}
			require.NoError(t, err)
			require.Equal(t, tc.want, got)
		})
	}
}
