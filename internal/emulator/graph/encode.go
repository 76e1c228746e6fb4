package graph

import (
	"strconv"
	"strings"
	"time"
	"unicode/utf8"
)

// User properties, in the order they are written. The bit of a property in a
// selection mask is 1 << its constant.
const (
	upID = iota
	upBusinessPhones
	upDisplayName
	upGivenName
	upJobTitle
	upMail
	upMobilePhone
	upOfficeLocation
	upPreferredLanguage
	upSurname
	upUserPrincipalName
	upAccountEnabled
	upCreatedDateTime
	upDeletedDateTime
	upDepartment
	upEmployeeID
	upMailNickname
	upOnPremisesImmutableID
	upOnPremisesSamAccountName
	upOnPremisesSyncEnabled
	upOtherMails
	upProxyAddresses
	upUserType
	upManager
	upCount
)

var userPropNames = [upCount]string{
	"id", "businessPhones", "displayName", "givenName", "jobTitle", "mail", "mobilePhone",
	"officeLocation", "preferredLanguage", "surname", "userPrincipalName", "accountEnabled",
	"createdDateTime", "deletedDateTime", "department", "employeeId", "mailNickname",
	"onPremisesImmutableId", "onPremisesSamAccountName", "onPremisesSyncEnabled", "otherMails",
	"proxyAddresses", "userType", "manager",
}

// defaultUserSel is the property set Graph returns for users without
// $select.
const defaultUserSel = 1<<upID | 1<<upBusinessPhones | 1<<upDisplayName | 1<<upGivenName |
	1<<upJobTitle | 1<<upMail | 1<<upMobilePhone | 1<<upOfficeLocation | 1<<upPreferredLanguage |
	1<<upSurname | 1<<upUserPrincipalName

// Group properties, in the order they are written.
const (
	gpID = iota
	gpCreatedDateTime
	gpDeletedDateTime
	gpDescription
	gpDisplayName
	gpGroupTypes
	gpMail
	gpMailEnabled
	gpMailNickname
	gpOnPremisesSyncEnabled
	gpSecurityEnabled
	gpMembers
	gpCount
)

var groupPropNames = [gpCount]string{
	"id", "createdDateTime", "deletedDateTime", "description", "displayName", "groupTypes", "mail",
	"mailEnabled", "mailNickname", "onPremisesSyncEnabled", "securityEnabled", "members",
}

// defaultGroupSel is every group property but members, which must be
// selected (or expanded) explicitly.
const defaultGroupSel = 1<<gpMembers - 1

// Organisational contact properties, in the order they are written.
const (
	cpID = iota
	cpAddresses
	cpCompanyName
	cpDepartment
	cpDisplayName
	cpGivenName
	cpJobTitle
	cpMail
	cpMailNickname
	cpOnPremisesLastSyncDateTime
	cpOnPremisesSyncEnabled
	cpPhones
	cpProxyAddresses
	cpSurname
	cpCount
)

var contactPropNames = [cpCount]string{
	"id", "addresses", "companyName", "department", "displayName", "givenName", "jobTitle", "mail",
	"mailNickname", "onPremisesLastSyncDateTime", "onPremisesSyncEnabled", "phones", "proxyAddresses", "surname",
}

// defaultContactSel is every contact property: orgContact has no reduced
// default set.
const defaultContactSel = 1<<cpCount - 1

// propNames returns the property names of a resource's objects, their
// Graph type name and the properties returned without $select.
func propNames(res resource) (names []string, typeName string, dflt uint64) {
	switch res {
	case resGroups:
		return groupPropNames[:], "group", defaultGroupSel
	case resContacts:
		return contactPropNames[:], "orgContact", defaultContactSel
	}
	return userPropNames[:], "user", defaultUserSel
}

// parseSelect turns a $select value into a mask over names. Property names
// are matched case-insensitively, as Graph does; id is always included.
func parseSelect(v string, names []string, typeName string) (uint64, error) {
	sel := uint64(1)
	for p := range strings.SplitSeq(v, ",") {
		p = strings.TrimSpace(p)
		if p == "" {
			continue
		}
		found := false
		for i, n := range names {
			if strings.EqualFold(p, n) {
				sel |= 1 << i
				found = true
				break
			}
		}
		if !found {
			return 0, badRequest("Request_BadRequest",
				"Could not find a property named '"+p+"' on type 'microsoft.graph."+typeName+"'.")
		}
	}
	return sel, nil
}

// selectNames lists the selected property names, for @odata.context and
// Location headers.
func selectNames(sel uint64, names []string) string {
	var b strings.Builder
	for i, n := range names {
		if sel&(1<<i) == 0 || i == 0 {
			continue
		}
		if b.Len() > 0 {
			b.WriteByte(',')
		}
		b.WriteString(n)
	}
	return b.String()
}

const (
	typeUser  = `"#microsoft.graph.user"`
	typeGroup = `"#microsoft.graph.group"`
)

// appendUser writes an active user with the selected properties. manager
// is written as manager@delta, which only delta responses carry.
func appendUser(b []byte, u *userRec, sel uint64, delta, withType bool) []byte {
	b = append(b, '{')
	if withType {
		b = append(b, `"@odata.type":`+typeUser+`,`...)
	}
	b = append(b, `"id":`...)
	b = appendString(b, u.id)
	for p := 1; p < upCount; p++ {
		if sel&(1<<p) == 0 {
			continue
		}
		if p == upManager {
			if !delta {
				continue
			}
			if u.manager != "" {
				b = append(b, `,"manager@delta":[{"@odata.type":`+typeUser+`,"id":`...)
				b = appendString(b, u.manager)
				b = append(b, "}]"...)
			} else if u.formerManager != "" {
				b = append(b, `,"manager@delta":[{"@odata.type":`+typeUser+`,"id":`...)
				b = appendString(b, u.formerManager)
				b = append(b, `,"@removed":{"reason":"deleted"}}]`...)
			}
			continue
		}
		b = append(b, ',', '"')
		b = append(b, userPropNames[p]...)
		b = append(b, '"', ':')
		switch p {
		case upBusinessPhones, upOtherMails:
			b = append(b, "[]"...)
		case upDisplayName:
			b = appendNullable(b, u.display)
		case upGivenName:
			b = appendNullable(b, u.given)
		case upJobTitle:
			b = appendNullable(b, u.jobTitle)
		case upMail:
			b = appendNullable(b, u.mail)
		case upSurname:
			b = appendNullable(b, u.surname)
		case upUserPrincipalName:
			b = appendNullable(b, u.upn)
		case upAccountEnabled:
			b = strconv.AppendBool(b, u.enabled)
		case upCreatedDateTime:
			b = appendTime(b, u.created)
		case upDepartment:
			b = appendNullable(b, u.department)
		case upEmployeeID:
			b = appendNullable(b, u.employeeID)
		case upMailNickname:
			b = appendNullable(b, localPart(u.upn))
		case upOnPremisesImmutableID:
			b = appendNullable(b, u.immutableID)
		case upOnPremisesSamAccountName:
			if u.immutableID == "" {
				b = append(b, "null"...)
			} else {
				sam := localPart(u.upn)
				b = appendString(b, sam[:min(len(sam), 20)])
			}
		case upOnPremisesSyncEnabled:
			if u.immutableID == "" {
				b = append(b, "null"...)
			} else {
				b = append(b, "true"...)
			}
		case upProxyAddresses:
			if u.mail == "" {
				b = append(b, "[]"...)
			} else {
				b = append(b, '[')
				b = appendString(b, "SMTP:"+u.mail)
				b = append(b, ']')
			}
		case upUserType:
			b = appendNullable(b, u.userType)
		default: // mobilePhone, officeLocation, preferredLanguage, deletedDateTime
			b = append(b, "null"...)
		}
	}
	return append(b, '}')
}

// appendContact writes an active contact with the selected properties.
func appendContact(b []byte, c *contactRec, sel uint64) []byte {
	b = append(b, `{"id":`...)
	b = appendString(b, c.ID)
	for p := 1; p < cpCount; p++ {
		if sel&(1<<p) == 0 {
			continue
		}
		b = append(b, ',', '"')
		b = append(b, contactPropNames[p]...)
		b = append(b, '"', ':')
		switch p {
		case cpAddresses:
			b = append(b, '[')
			for i, a := range c.Addresses {
				if i > 0 {
					b = append(b, ',')
				}
				b = append(b, `{"city":`...)
				b = appendNullable(b, a.City)
				b = append(b, `,"countryOrRegion":`...)
				b = appendNullable(b, a.CountryOrRegion)
				b = append(b, `,"officeLocation":`...)
				b = appendNullable(b, a.OfficeLocation)
				b = append(b, `,"postalCode":`...)
				b = appendNullable(b, a.PostalCode)
				b = append(b, `,"state":`...)
				b = appendNullable(b, a.State)
				b = append(b, `,"street":`...)
				b = appendNullable(b, a.Street)
				b = append(b, '}')
			}
			b = append(b, ']')
		case cpCompanyName:
			b = appendNullable(b, c.CompanyName)
		case cpDepartment:
			b = appendNullable(b, c.Department)
		case cpDisplayName:
			b = appendNullable(b, c.DisplayName)
		case cpGivenName:
			b = appendNullable(b, c.GivenName)
		case cpJobTitle:
			b = appendNullable(b, c.JobTitle)
		case cpMail:
			b = appendNullable(b, c.Mail)
		case cpMailNickname:
			b = appendNullable(b, c.MailNickname)
		case cpOnPremisesLastSyncDateTime:
			if c.OnPremisesSyncEnabled {
				b = appendTime(b, c.changed)
			} else {
				b = append(b, "null"...)
			}
		case cpOnPremisesSyncEnabled:
			if c.OnPremisesSyncEnabled {
				b = append(b, "true"...)
			} else {
				b = append(b, "null"...)
			}
		case cpPhones:
			b = append(b, '[')
			for i, ph := range c.Phones {
				if i > 0 {
					b = append(b, ',')
				}
				b = append(b, `{"type":`...)
				b = appendString(b, ph.Type)
				b = append(b, `,"number":`...)
				b = appendNullable(b, ph.Number)
				b = append(b, '}')
			}
			b = append(b, ']')
		case cpProxyAddresses:
			b = append(b, '[')
			for i, a := range c.ProxyAddresses {
				if i > 0 {
					b = append(b, ',')
				}
				b = appendString(b, a)
			}
			b = append(b, ']')
		case cpSurname:
			b = appendNullable(b, c.Surname)
		}
	}
	return append(b, '}')
}

// appendRemoved writes a removed object.
func appendRemoved(b []byte, id, reason string) []byte {
	b = append(b, `{"id":`...)
	b = appendString(b, id)
	b = append(b, `,"@removed":{"reason":"`...)
	b = append(b, reason...)
	return append(b, `"}}`...)
}

// appendGroupOpen writes an active group's selected properties but not the
// closing brace, so the caller can add members@delta.
func appendGroupOpen(b []byte, g *groupRec, sel uint64, withType bool) []byte {
	b = append(b, '{')
	if withType {
		b = append(b, `"@odata.type":`+typeGroup+`,`...)
	}
	b = append(b, `"id":`...)
	b = appendString(b, g.id)
	for p := 1; p < gpMembers; p++ {
		if sel&(1<<p) == 0 {
			continue
		}
		b = append(b, ',', '"')
		b = append(b, groupPropNames[p]...)
		b = append(b, '"', ':')
		switch p {
		case gpCreatedDateTime:
			b = appendTime(b, g.created)
		case gpDisplayName:
			b = appendNullable(b, g.name)
		case gpGroupTypes:
			if g.mail != "" && !g.security {
				b = append(b, `["Unified"]`...)
			} else {
				b = append(b, "[]"...)
			}
		case gpMail:
			b = appendNullable(b, g.mail)
		case gpMailEnabled:
			b = strconv.AppendBool(b, g.mail != "")
		case gpMailNickname:
			nick := localPart(g.mail)
			if nick == "" {
				nick = strings.ReplaceAll(strings.ToLower(g.name), " ", "")
			}
			b = appendString(b, nick)
		case gpSecurityEnabled:
			b = strconv.AppendBool(b, g.security)
		default: // deletedDateTime, description, onPremisesSyncEnabled
			b = append(b, "null"...)
		}
	}
	return b
}

// appendMember writes one members@delta entry.
func appendMember(b []byte, m *membership, removed bool) []byte {
	if m.group {
		b = append(b, `{"@odata.type":`+typeGroup+`,"id":`...)
	} else {
		b = append(b, `{"@odata.type":`+typeUser+`,"id":`...)
	}
	b = appendString(b, m.id)
	if removed {
		b = append(b, `,"@removed":{"reason":"deleted"}`...)
	}
	return append(b, '}')
}

func localPart(s string) string {
	if i := strings.IndexByte(s, '@'); i >= 0 {
		return s[:i]
	}
	return s
}

func appendTime(b []byte, unix int64) []byte {
	b = append(b, '"')
	b = time.Unix(unix, 0).UTC().AppendFormat(b, "2006-01-02T15:04:05Z")
	return append(b, '"')
}

func appendNullable(b []byte, s string) []byte {
	if s == "" {
		return append(b, "null"...)
	}
	return appendString(b, s)
}

// appendString writes s as a JSON string.
func appendString(b []byte, s string) []byte {
	b = append(b, '"')
	start := 0
	for i := 0; i < len(s); {
		c := s[i]
		if c >= 0x20 && c != '"' && c != '\\' && c < utf8.RuneSelf {
			i++
			continue
		}
		if c < utf8.RuneSelf {
			b = append(b, s[start:i]...)
			switch c {
			case '"', '\\':
				b = append(b, '\\', c)
			case '\n':
				b = append(b, '\\', 'n')
			case '\r':
				b = append(b, '\\', 'r')
			case '\t':
				b = append(b, '\\', 't')
			default:
				const hexDigits = "0123456789abcdef"
				b = append(b, '\\', 'u', '0', '0', hexDigits[c>>4], hexDigits[c&0xf])
			}
			i++
			start = i
			continue
		}
		r, size := utf8.DecodeRuneInString(s[i:])
		if r == utf8.RuneError && size == 1 || r == '\u2028' || r == '\u2029' {
			b = append(b, s[start:i]...)
			switch r {
			case '\u2028':
				b = append(b, `\u2028`...)
			case '\u2029':
				b = append(b, `\u2029`...)
			default:
				b = append(b, `\ufffd`...)
			}
			i += size
			start = i
			continue
		}
		i += size
	}
	b = append(b, s[start:]...)
	return append(b, '"')
}
