package engine

import (
	"testing"

	"github.com/stretchr/testify/require"
)

func TestSerialKeyRejectsPlaceholders(t *testing.T) {
	for in, want := range map[string]string{
		" 5cg1234xyz ":           "5CG1234XYZ",
		"To be filled by O.E.M.": "",
		"Default string":         "",
		"System Serial Number":   "",
		"0":                      "",
		"None":                   "",
		"123456789":              "",
		"N/A":                    "",
		"00000000":               "",
		"AAAAAAA":                "",
		"":                       "",
		"ACME-0000":              "",
		"C02XG0FDJG5J":           "C02XG0FDJG5J",
	} {
		require.Equal(t, want, serialKey(in, []string{"acme-0000"}), in)
	}
}

func TestMACKeysSkipVirtualAndRandomised(t *testing.T) {
	all, primary := macKeys("00-50-56-C0-00-08, 02:42:ac:11:00:02, 3c:22:fb:12:34:56, 3C22.FB12.3456, 00:15:5d:01:02:03")
	require.Equal(t, []string{"00:50:56:C0:00:08", "02:42:AC:11:00:02", "3C:22:FB:12:34:56", "00:15:5D:01:02:03"}, all)
	require.Equal(t, "3C:22:FB:12:34:56", primary, "VMware, a locally administered (docker) and Hyper-V MAC are skipped")
	_, primary = macKeys("00:00:00:00:00:00,FF:FF:FF:FF:FF:FF,DA:A1:19:00:00:01")
	require.Empty(t, primary, "placeholders and a randomised Wi-Fi MAC identify nothing")
	_, primary = macKeys("not a mac")
	require.Empty(t, primary)
}

func TestHostnameKey(t *testing.T) {
	require.Equal(t, "lon-lt-001", hostnameKey("LON-LT-001.corp.example", ""))
	require.Equal(t, "lon-lt-001", hostnameKey("", "LON-LT-001"))
	require.Empty(t, hostnameKey("localhost", ""))
}
