package graph

import (
	"net/http"
	"testing"

	"github.com/stretchr/testify/require"
)

// listDevices follows nextLinks from u to the last page.
func (b *testBundle) listDevices(t *testing.T, u string) (items []map[string]any, pages int) {
	t.Helper()
	for u != "" {
		c := b.getPage(t, u, 0)
		require.Empty(t, c.Delta, "managedDevices has no delta")
		items = append(items, c.Value...)
		pages++
		u = c.Next
	}
	return items, pages
}

func TestManagedDevicesPaging(t *testing.T) {
	t.Parallel()
	b := setup(t, Options{})
	b.emu.Generate(30, 3, 4)
	b.emu.GenerateManagedDevices(45, 4)
	require.Equal(t, 45, b.emu.ManagedDeviceCount())

	items, pages := b.listDevices(t, b.base+"/v1.0/deviceManagement/managedDevices?$top=10")
	require.Equal(t, 5, pages)
	require.Len(t, items, 45)
	seen := map[string]bool{}
	users := map[string]bool{}
	for _, u := range b.emu.Users() {
		users[u.UserPrincipalName] = true
	}
	withUser := 0
	for _, it := range items {
		id := it["id"].(string)
		require.False(t, seen[id], "device %s listed twice", id)
		seen[id] = true
		require.NotEmpty(t, it["serialNumber"])
		require.Contains(t, []any{"compliant", "noncompliant", "inGracePeriod", "unknown"}, it["complianceState"])
		require.Nil(t, it["ethernetMacAddress"], "the list leaves ethernetMacAddress null")
		if upn, ok := it["userPrincipalName"].(string); ok {
			require.True(t, users[upn], "primary user %s is a generated user", upn)
			withUser++
		}
	}
	require.Greater(t, withUser, 30)

	// Without $top a page holds up to 1000 devices.
	items, pages = b.listDevices(t, b.base+"/v1.0/deviceManagement/managedDevices")
	require.Equal(t, 1, pages)
	require.Len(t, items, 45)
}

func TestManagedDevicesSelectAndSingle(t *testing.T) {
	t.Parallel()
	b := setup(t, Options{})
	id := b.emu.AddManagedDevice(ManagedDevice{DeviceName: "PC-1", SerialNumber: "ABC123", OperatingSystem: "Windows",
		EthernetMacAddress: "001A2B3C4D5E", PhysicalMemoryInBytes: 16 << 30})
	c := b.getPage(t, b.base+"/v1.0/deviceManagement/managedDevices?$select=deviceName,serialNumber", 0)
	require.Len(t, c.Value, 1)
	require.Equal(t, map[string]any{"id": id, "deviceName": "PC-1", "serialNumber": "ABC123"}, c.Value[0])

	_, body := b.get(t, b.base+"/v1.0/deviceManagement/managedDevices/"+id, 0)
	require.Contains(t, string(body), `"ethernetMacAddress":"001A2B3C4D5E"`)
	require.Contains(t, string(body), `"physicalMemoryInBytes":17179869184`)

	_, ge := b.graphError(t, b.base+"/v1.0/deviceManagement/managedDevices?$select=nope", http.StatusBadRequest)
	require.Contains(t, ge.Error.Message, "nope")
	b.graphError(t, b.base+"/v1.0/deviceManagement/managedDevices?$top=1001", http.StatusBadRequest)
	b.graphError(t, b.base+"/v1.0/deviceManagement/managedDevices?$skiptoken=forged", http.StatusBadRequest)

	require.NoError(t, b.emu.RemoveManagedDevice(id))
	c = b.getPage(t, b.base+"/v1.0/deviceManagement/managedDevices", 0)
	require.Empty(t, c.Value)
	b.graphError(t, b.base+"/v1.0/deviceManagement/managedDevices/"+id, http.StatusNotFound)
	require.ErrorIs(t, b.emu.RemoveManagedDevice(id), ErrNotFound)
}
