package engine

import (
	"strings"
)

// placeholderSerials are serial numbers that identify nothing: what
// firmware reports when the manufacturer left the field blank. Two devices
// sharing one of these are not one device.
var placeholderSerials = []string{
	"TO BE FILLED BY O.E.M.", "TO BE FILLED BY OEM", "DEFAULT STRING", "SYSTEM SERIAL NUMBER",
	"NONE", "N/A", "NA", "NULL", "UNKNOWN", "NOT SPECIFIED", "NOT APPLICABLE", "INVALID",
	"123456789", "1234567890", "0123456789", "CHASSIS SERIAL NUMBER", "SERIAL NUMBER", "O.E.M.", "OEM",
	"VMWARE", "DEFAULT", "EMPTY", "XXXXXXXX",
}

// serialKey normalises a serial number for matching (trimmed,
// upper-cased), or returns "" for one that identifies nothing: a known
// placeholder, the operator's extra placeholders, or one character
// repeated ("0000000", "........").
func serialKey(s string, extra []string) string {
	k := strings.ToUpper(strings.TrimSpace(s))
	if k == "" {
		return ""
	}
	for _, p := range placeholderSerials {
		if k == p {
			return ""
		}
	}
	for _, p := range extra {
		if k == strings.ToUpper(strings.TrimSpace(p)) {
			return ""
		}
	}
	if strings.Count(k, k[:1]) == len(k) {
		return ""
	}
	return k
}

// virtualOUIs are MAC prefixes of hypervisors' and VPNs' virtual adapters:
// shared by unrelated machines, so never an identity.
var virtualOUIs = []string{
	"00:50:56", "00:0C:29", "00:05:69", "00:1C:14", // VMware
	"00:15:5D",             // Hyper-V
	"08:00:27", "0A:00:27", // VirtualBox
	"00:1C:42", // Parallels
	"00:16:3E", // Xen
	"00:03:FF", // Virtual PC
	"00:FF:",   // TAP/VPN adapters (Fortinet, OpenVPN)
}

// normMAC returns a MAC address as six upper-case, colon-separated
// octets, or "" when it is not one.
func normMAC(s string) string {
	var hex []byte
	for i := 0; i < len(s); i++ {
		c := s[i]
		switch {
		case c >= '0' && c <= '9', c >= 'A' && c <= 'F':
			hex = append(hex, c)
		case c >= 'a' && c <= 'f':
			hex = append(hex, c-'a'+'A')
		case c == ':' || c == '-' || c == '.' || c == ' ':
		default:
			return ""
		}
	}
	if len(hex) != 12 {
		return ""
	}
	var b strings.Builder
	for i := 0; i < 12; i += 2 {
		if i > 0 {
			b.WriteByte(':')
		}
		b.Write(hex[i : i+2])
	}
	return b.String()
}

// identityMAC reports whether a normalised MAC can identify a device: not
// all zeros or all ones, not locally administered (randomised Wi-Fi
// addresses, containers, most virtual adapters), not a known virtual
// vendor prefix, not multicast.
func identityMAC(m string) bool {
	if m == "" || m == "00:00:00:00:00:00" || m == "FF:FF:FF:FF:FF:FF" {
		return false
	}
	if strings.Count(strings.ReplaceAll(m, ":", ""), m[:1]) == 12 {
		return false
	}
	first := hexVal(m[0])<<4 | hexVal(m[1])
	if first&0x02 != 0 || first&0x01 != 0 {
		return false
	}
	for _, p := range virtualOUIs {
		if strings.HasPrefix(m, p) {
			return false
		}
	}
	return true
}

func hexVal(c byte) byte {
	if c >= 'A' {
		return c - 'A' + 10
	}
	return c - '0'
}

// macKeys normalises a device's MAC list and picks its primary MAC: the
// first that can identify the device, "" when none can.
func macKeys(list string) (all []string, primary string) {
	for _, part := range strings.Split(list, ",") {
		m := normMAC(strings.TrimSpace(part))
		if m == "" || containsStr(all, m) {
			continue
		}
		all = append(all, m)
		if primary == "" && identityMAC(m) {
			primary = m
		}
	}
	return all, primary
}

// hostnameKey is the host name without its domain, lower-cased.
func hostnameKey(host, name string) string {
	h := strings.TrimSpace(host)
	if h == "" {
		h = strings.TrimSpace(name)
	}
	if i := strings.IndexByte(h, '.'); i > 0 {
		h = h[:i]
	}
	h = strings.ToLower(h)
	switch h {
	case "", "localhost", "unknown", "desktop", "laptop":
		return ""
	}
	return h
}

func containsStr(xs []string, x string) bool {
	for _, v := range xs {
		if v == x {
			return true
		}
	}
	return false
}
