package ldap

import (
	"encoding/base64"
	"encoding/hex"
	"fmt"
	"strconv"
	"strings"
	"time"

	goldap "github.com/go-ldap/ldap/v3"

	"github.com/integrator-oss/integrator/internal/record"
)

// Reasons recorded for disables and removals, kept in the audit trail.
const (
	ReasonUACDisabled     = "userAccountControl: account disabled (bit 0x2)"
	ReasonExpiredPrefix   = "accountExpires: account expired on "
	ReasonTombstone       = "deleted in Active Directory (tombstone)"
	ReasonNSAccountLock   = "nsAccountLock: TRUE"
	ReasonPwdLocked       = "pwdAccountLockedTime: account locked by the password policy"
	ReasonShadowPrefix    = "shadowExpire: account expired on "
	ReasonDisabledByQuery = "matches disabled_filter"
)

// The AD attributes of a computer, under the platform's asset names: AD
// computers become assets like any device, matched to the RMMs' view of
// the same machine by hostname within the client.
const (
	AttrDNSHostName            = record.AttrHostname
	AttrOperatingSystem        = record.AttrOS
	AttrOperatingSystemVersion = record.AttrOSVersion
	AttrLastLogon              = record.AttrLastSeen
)

// formatGUID renders a 16-byte objectGUID in the canonical string form:
// the first three groups are little-endian in the stored bytes.
func formatGUID(b []byte) string {
	if len(b) != 16 {
		return ""
	}
	var o [16]byte
	o[0], o[1], o[2], o[3] = b[3], b[2], b[1], b[0]
	o[4], o[5] = b[5], b[4]
	o[6], o[7] = b[7], b[6]
	copy(o[8:], b[8:])
	h := hex.EncodeToString(o[:])
	return h[0:8] + "-" + h[8:12] + "-" + h[12:16] + "-" + h[16:20] + "-" + h[20:32]
}

// fileTimeEpochOffset is the Unix epoch in FILETIME ticks (100 ns since
// 1601-01-01 UTC).
const fileTimeEpochOffset = 116444736000000000

// neverExpires is accountExpires' "never" besides 0.
const neverExpires = int64(0x7FFFFFFFFFFFFFFF)

// parseFileTime reads a FILETIME (100-ns ticks since 1601-01-01 UTC); ok
// is false for 0, "never" and garbage.
func parseFileTime(s string) (time.Time, bool) {
	n, err := strconv.ParseInt(strings.TrimSpace(s), 10, 64)
	if err != nil || n <= 0 || n == neverExpires {
		return time.Time{}, false
	}
	ticks := n - fileTimeEpochOffset
	return time.Unix(ticks/1e7, (ticks%1e7)*100).UTC(), true
}

// toFileTime is the FILETIME of t.
func toFileTime(t time.Time) int64 {
	return t.UnixNano()/100 + fileTimeEpochOffset
}

// parentDN is the DN of the entry's container: the DN less its first RDN,
// as the server wrote it (one leading space trimmed after the comma).
func parentDN(dn string) string {
	for i := 0; i < len(dn); i++ {
		switch dn[i] {
		case '\\':
			i++
		case ',':
			return strings.TrimLeft(dn[i+1:], " ")
		}
	}
	return ""
}

// dnKey is a DN normalised for lookups: attribute types and values
// case-folded, escapes and spacing resolved.
func dnKey(dn string) string {
	if !strings.ContainsAny(dn, "\\\"+ ") {
		return strings.ToLower(dn)
	}
	p, err := goldap.ParseDN(dn)
	if err != nil {
		return strings.ToLower(dn)
	}
	var sb strings.Builder
	for i, rdn := range p.RDNs {
		if i > 0 {
			sb.WriteByte(',')
		}
		for j, a := range rdn.Attributes {
			if j > 0 {
				sb.WriteByte('+')
			}
			sb.WriteString(strings.ToLower(a.Type))
			sb.WriteByte('=')
			sb.WriteString(strings.ToLower(strings.NewReplacer(`\`, `\\`, ",", `\,`, "+", `\+`).Replace(a.Value)))
		}
	}
	return sb.String()
}

// under reports whether dn is at or below one of the bases.
func under(dn string, bases []string) bool {
	k := dnKey(dn)
	for _, b := range bases {
		bk := dnKey(b)
		if k == bk || strings.HasSuffix(k, ","+bk) {
			return true
		}
	}
	return false
}

// idOf is an entry's record ID in the dialect: objectGUID's canonical form
// or entryUUID.
func idOf(e *goldap.Entry, dialect string) string {
	if dialect == DialectAD {
		return formatGUID(e.GetRawAttributeValue("objectGUID"))
	}
	return strings.ToLower(e.GetAttributeValue("entryUUID"))
}

// first returns the first non-empty value among attrs.
func first(e *goldap.Entry, attrs ...string) string {
	for _, a := range attrs {
		if v := e.GetAttributeValue(a); v != "" {
			return v
		}
	}
	return ""
}

// userRecord maps a user entry, without its manager (resolved by the
// caller from the returned manager DN).
func (s *Source) userRecord(e *goldap.Entry, dialect string, now time.Time) (rec record.Record, managerDN string, err error) {
	id := idOf(e, dialect)
	if id == "" {
		return record.Record{}, "", fmt.Errorf("user %q has no %s", e.DN, infoOf(dialect).idAttr)
	}
	a := make(map[string]string, 12)
	a[record.AttrGivenName] = e.GetAttributeValue("givenName")
	a[record.AttrSurname] = e.GetAttributeValue("sn")
	a[record.AttrEmail] = e.GetAttributeValue("mail")
	a[record.AttrJobTitle] = e.GetAttributeValue("title")
	a[record.AttrOrgUnit] = parentDN(e.DN)
	rec = record.Record{Kind: record.KindUser, ID: id, Attrs: a}
	if dialect == DialectAD {
		raw := e.GetRawAttributeValue("objectGUID")
		a[record.AttrImmutableID] = base64.StdEncoding.EncodeToString(raw)
		a[record.AttrDisplayName] = first(e, "displayName", "cn", "sAMAccountName")
		a[record.AttrUPN] = e.GetAttributeValue("userPrincipalName")
		a[record.AttrDepartment] = e.GetAttributeValue("department")
		a[record.AttrEmployeeID] = e.GetAttributeValue("employeeID")
		if uac, err := strconv.ParseInt(e.GetAttributeValue("userAccountControl"), 10, 64); err == nil && uac&0x2 != 0 {
			rec.State, rec.Reason = record.Disabled, ReasonUACDisabled
		} else if t, ok := parseFileTime(e.GetAttributeValue("accountExpires")); ok && !t.After(now) {
			rec.State, rec.Reason = record.Disabled, ReasonExpiredPrefix+t.Format(time.RFC3339)
		}
	} else {
		a[record.AttrDisplayName] = first(e, "displayName", "cn", "uid")
		if uid := e.GetAttributeValue("uid"); uid != "" && s.cfg.UPNDomain != "" {
			a[record.AttrUPN] = uid + "@" + s.cfg.UPNDomain
		}
		a[record.AttrDepartment] = first(e, "departmentNumber", "ou")
		a[record.AttrEmployeeID] = e.GetAttributeValue("employeeNumber")
		if reason := s.markerReason(e, now); reason != "" {
			rec.State, rec.Reason = record.Disabled, reason
		}
	}
	return rec, e.GetAttributeValue("manager"), nil
}

// markerReason is why the configured markers call a generic LDAP account
// disabled, or "".
func (s *Source) markerReason(e *goldap.Entry, now time.Time) string {
	for _, m := range s.cfg.DisabledMarkers {
		switch m {
		case MarkerNSAccountLock:
			if strings.EqualFold(e.GetAttributeValue("nsAccountLock"), "true") {
				return ReasonNSAccountLock
			}
		case MarkerPwdAccountLockedTime:
			if e.GetAttributeValue("pwdAccountLockedTime") != "" {
				return ReasonPwdLocked
			}
		case MarkerShadowExpire:
			days, err := strconv.ParseInt(e.GetAttributeValue("shadowExpire"), 10, 64)
			if err == nil && days >= 0 {
				t := time.Unix(days*86400, 0).UTC()
				if !t.After(now) {
					return ReasonShadowPrefix + t.Format(time.DateOnly)
				}
			}
		}
	}
	return ""
}

// markerAttrs are the attributes the configured markers read.
func (c Config) markerAttrs() []string {
	return append([]string(nil), c.DisabledMarkers...)
}

// computerRecord maps an AD computer to an asset record.
func computerRecord(e *goldap.Entry) (record.Record, error) {
	id := idOf(e, DialectAD)
	if id == "" {
		return record.Record{}, fmt.Errorf("computer %q has no objectGUID", e.DN)
	}
	a := map[string]string{
		record.AttrName:            first(e, "name", "cn"),
		AttrDNSHostName:            e.GetAttributeValue("dNSHostName"),
		AttrOperatingSystem:        e.GetAttributeValue("operatingSystem"),
		AttrOperatingSystemVersion: e.GetAttributeValue("operatingSystemVersion"),
		record.AttrOrgUnit:         parentDN(e.DN),
	}
	if t, ok := parseFileTime(e.GetAttributeValue("lastLogonTimestamp")); ok {
		a[AttrLastLogon] = t.Format(time.RFC3339)
	} else {
		a[AttrLastLogon] = ""
	}
	a[record.AttrAssetType] = "workstation"
	if strings.Contains(strings.ToLower(a[AttrOperatingSystem]), "server") {
		a[record.AttrAssetType] = "server"
	}
	rec := record.Record{Kind: record.KindAsset, ID: id, Attrs: a}
	if uac, err := strconv.ParseInt(e.GetAttributeValue("userAccountControl"), 10, 64); err == nil && uac&0x2 != 0 {
		rec.State, rec.Reason = record.Disabled, ReasonUACDisabled
	}
	return rec, nil
}
