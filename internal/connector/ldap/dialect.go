package ldap

import (
	"context"
	"fmt"
	"slices"
	"strconv"
	"strings"
)

// capabilityAD is the rootDSE supportedCapabilities value of an Active
// Directory (or Samba AD) domain controller (LDAP_CAP_ACTIVE_DIRECTORY_OID).
const capabilityAD = "1.2.840.113556.1.4.800"

// rootDSE is what the server says about itself before a run.
type rootDSE struct {
	dialect string
	// baseDNs are the configured subtrees, or the server's default.
	baseDNs []string
	// domain is the AD domain naming context (where Deleted Objects is).
	domain string
	// AD only: the DC, its database instance and its USN high-water mark.
	dnsHostName  string
	invocationID string
	highestUSN   int64
}

// readRootDSE reads the rootDSE, settles the dialect and the base DNs and,
// for AD, the DC's identity and highestCommittedUSN. The USN is read before
// any search, so that a change made during the run is read again next time.
func (ss *session) readRootDSE(ctx context.Context) (rootDSE, error) {
	e, err := ss.base(ctx, "", []string{"supportedCapabilities", "defaultNamingContext", "namingContexts",
		"dnsHostName", "highestCommittedUSN", "dsServiceName", "vendorName"})
	if err != nil {
		return rootDSE{}, fmt.Errorf("reading the rootDSE: %w", err)
	}
	if e == nil {
		return rootDSE{}, fmt.Errorf("reading the rootDSE: the server returned no entry")
	}
	var r rootDSE
	isAD := slices.Contains(e.GetAttributeValues("supportedCapabilities"), capabilityAD)
	switch ss.cfg.Dialect {
	case DialectAD:
		if !isAD {
			return rootDSE{}, fmt.Errorf("dialect is ad, but the server does not announce Active Directory (supportedCapabilities lacks %s); use dialect: ldap", capabilityAD)
		}
		r.dialect = DialectAD
	case DialectLDAP:
		r.dialect = DialectLDAP
	default:
		r.dialect = DialectLDAP
		if isAD {
			r.dialect = DialectAD
		}
	}
	r.domain = e.GetAttributeValue("defaultNamingContext")
	r.baseDNs = ss.cfg.BaseDNs
	if len(r.baseDNs) == 0 {
		switch {
		case r.domain != "":
			r.baseDNs = []string{r.domain}
		case len(e.GetAttributeValues("namingContexts")) > 0:
			r.baseDNs = e.GetAttributeValues("namingContexts")[:1]
		default:
			return rootDSE{}, fmt.Errorf("the rootDSE names no naming context: set base_dns")
		}
	}
	if r.dialect != DialectAD {
		return r, nil
	}
	r.dnsHostName = e.GetAttributeValue("dnsHostName")
	r.highestUSN, err = strconv.ParseInt(e.GetAttributeValue("highestCommittedUSN"), 10, 64)
	if err != nil {
		return rootDSE{}, fmt.Errorf("reading the rootDSE: highestCommittedUSN %q: %w", e.GetAttributeValue("highestCommittedUSN"), err)
	}
	if svc := e.GetAttributeValue("dsServiceName"); svc != "" {
		ntds, err := ss.base(ctx, svc, []string{"invocationId"})
		if err != nil {
			return rootDSE{}, fmt.Errorf("reading the DC's invocationId: %w", err)
		}
		if ntds != nil {
			if raw := ntds.GetRawAttributeValue("invocationId"); len(raw) == 16 {
				r.invocationID = formatGUID(raw)
			}
		}
	}
	return r, nil
}

// Attribute lists per kind and dialect.
var (
	adUserAttrs = []string{"objectGUID", "uSNChanged", "userAccountControl", "accountExpires",
		"sAMAccountName", "userPrincipalName", "mail", "displayName", "givenName", "sn",
		"title", "department", "employeeID", "manager"}
	adGroupAttrs    = []string{"objectGUID", "uSNChanged", "objectClass", "cn", "sAMAccountName", "displayName", "mail"}
	adComputerAttrs = []string{"objectGUID", "uSNChanged", "userAccountControl", "cn", "name", "dNSHostName",
		"operatingSystem", "operatingSystemVersion", "lastLogonTimestamp"}
	adDeletedAttrs = []string{"objectGUID", "uSNChanged", "objectClass", "isDeleted", "lastKnownParent"}

	ldapUserAttrs = []string{"entryUUID", "modifyTimestamp", "uid", "mail", "displayName", "cn", "givenName", "sn",
		"title", "departmentNumber", "ou", "employeeNumber", "manager"}
	ldapGroupAttrs = []string{"entryUUID", "modifyTimestamp", "objectClass", "cn", "displayName", "mail",
		"member", "uniqueMember", "memberUid"}
)

// dialectInfo holds the names a dialect reads records by.
type dialectInfo struct {
	idAttr      string
	userFilter  string
	groupFilter string
}

func infoOf(d string) dialectInfo {
	if d == DialectAD {
		return dialectInfo{
			idAttr:      "objectGUID",
			userFilter:  "(&(objectCategory=person)(objectClass=user))",
			groupFilter: "(objectClass=group)",
		}
	}
	return dialectInfo{
		idAttr:      "entryUUID",
		userFilter:  "(|(objectClass=inetOrgPerson)(objectClass=posixAccount))",
		groupFilter: "(|(objectClass=groupOfNames)(objectClass=groupOfUniqueNames)(objectClass=posixGroup))",
	}
}

// and combines filters; empty ones are left out.
func and(filters ...string) string {
	var parts []string
	for _, f := range filters {
		if f != "" {
			parts = append(parts, f)
		}
	}
	if len(parts) == 1 {
		return parts[0]
	}
	return "(&" + strings.Join(parts, "") + ")"
}
