package ldap

import (
	"encoding/base64"
	"testing"
	"time"

	goldap "github.com/go-ldap/ldap/v3"
	"github.com/stretchr/testify/require"

	"github.com/integrator-oss/integrator/internal/record"
)

func TestFormatGUID(t *testing.T) {
	t.Parallel()
	// The APIS.md example: objectGUID:: Ph4cP0mYAEuj1f8OG2s5dA==
	raw, err := base64.StdEncoding.DecodeString("Ph4cP0mYAEuj1f8OG2s5dA==")
	require.NoError(t, err)
	require.Equal(t, "3f1c1e3e-9849-4b00-a3d5-ff0e1b6b3974", formatGUID(raw))
	require.Equal(t, "", formatGUID(raw[:15]))
}

func TestFileTime(t *testing.T) {
	t.Parallel()
	at := time.Date(2026, 3, 1, 12, 30, 0, 0, time.UTC)
	got, ok := parseFileTime("134168418000000000")
	require.True(t, ok)
	require.Equal(t, at, got)
	require.Equal(t, int64(134168418000000000), toFileTime(at))
	for _, never := range []string{"0", "9223372036854775807", "", "x"} {
		_, ok := parseFileTime(never)
		require.False(t, ok, never)
	}
}

func TestParentDNAndKeys(t *testing.T) {
	t.Parallel()
	tests := []struct{ dn, parent string }{
		{"CN=alice,OU=Sales,OU=London,DC=corp,DC=example", "OU=Sales,OU=London,DC=corp,DC=example"},
		{`CN=Ruiz\, Ana,OU=Sales,DC=corp`, "OU=Sales,DC=corp"},
		{"uid=a, ou=people, dc=example", "ou=people, dc=example"},
		{"DC=example", ""},
	}
	for _, tt := range tests {
		require.Equal(t, tt.parent, parentDN(tt.dn), tt.dn)
	}
	require.Equal(t, dnKey("CN=Ruiz\\, Ana,OU=Sales,DC=corp"), dnKey("cn=ruiz\\2c ana, ou=sales,dc=CORP"))
	require.Equal(t, dnKey("uid=a,ou=people,dc=example"), dnKey("UID=A, OU=People, DC=Example"))
	require.True(t, under("CN=x,OU=Sales,DC=corp", []string{"ou=sales,dc=corp"}))
	require.False(t, under("CN=x,OU=Salesforce,DC=corp", []string{"OU=Sales,DC=corp"}))
	require.Equal(t, []string{"uid=a,ou=p", "uid=b,ou=p"}, uniqueMembers([]string{"uid=a,ou=p#'0101'B", "uid=b,ou=p"}))
}

func TestRangeOf(t *testing.T) {
	t.Parallel()
	e := goldap.NewEntry("CN=g", map[string][]string{"member;range=0-1499": {"a", "b"}})
	vals, next, ok := rangeOf(e, "member")
	require.True(t, ok)
	require.Equal(t, []string{"a", "b"}, vals)
	require.Equal(t, 1500, next)
	e = goldap.NewEntry("CN=g", map[string][]string{"member;range=1500-*": {"c"}})
	_, next, _ = rangeOf(e, "member")
	require.Equal(t, -1, next)
	e = goldap.NewEntry("CN=g", map[string][]string{"member": {"c"}})
	_, next, ok = rangeOf(e, "member")
	require.True(t, ok)
	require.Equal(t, -1, next)
	_, _, ok = rangeOf(goldap.NewEntry("CN=g", nil), "member")
	require.False(t, ok)
}

func TestUserRecordDisabledMarkers(t *testing.T) {
	t.Parallel()
	now := time.Date(2026, 12, 4, 0, 0, 0, 0, time.UTC)
	src := &Source{cfg: Config{}.WithDefaults()}
	guid, _ := base64.StdEncoding.DecodeString("Ph4cP0mYAEuj1f8OG2s5dA==")
	ad := func(attrs map[string][]string) record.Record {
		attrs["objectGUID"] = []string{string(guid)}
		rec, _, err := src.userRecord(goldap.NewEntry("CN=a,OU=X,DC=c", attrs), DialectAD, now)
		require.NoError(t, err)
		return rec
	}
	require.Equal(t, record.Present, ad(map[string][]string{"userAccountControl": {"512"}, "accountExpires": {"9223372036854775807"}}).State)
	r := ad(map[string][]string{"userAccountControl": {"514"}})
	require.Equal(t, record.Disabled, r.State)
	require.Equal(t, ReasonUACDisabled, r.Reason)
	r = ad(map[string][]string{"userAccountControl": {"512"}, "accountExpires": {"134168418000000000"}})
	require.Equal(t, record.Disabled, r.State)
	require.Equal(t, "accountExpires: account expired on 2026-03-01T12:30:00Z", r.Reason)
	require.Equal(t, "Ph4cP0mYAEuj1f8OG2s5dA==", r.Attrs[record.AttrImmutableID])
	require.Equal(t, "OU=X,DC=c", r.Attrs[record.AttrOrgUnit])

	generic := func(attrs map[string][]string) record.Record {
		attrs["entryUUID"] = []string{"6F1C1E3E-9849-4B00-A3D5-FF0E1B6B3974"}
		rec, _, err := src.userRecord(goldap.NewEntry("uid=a,ou=p,dc=e", attrs), DialectLDAP, now)
		require.NoError(t, err)
		return rec
	}
	require.Equal(t, "6f1c1e3e-9849-4b00-a3d5-ff0e1b6b3974", generic(map[string][]string{}).ID)
	require.Equal(t, record.Present, generic(map[string][]string{"nsAccountLock": {"false"}, "shadowExpire": {"-1"}}).State)
	require.Equal(t, ReasonNSAccountLock, generic(map[string][]string{"nsAccountLock": {"TRUE"}}).Reason)
	require.Equal(t, ReasonPwdLocked, generic(map[string][]string{"pwdAccountLockedTime": {"000001010000Z"}}).Reason)
	require.Equal(t, ReasonShadowPrefix+"2026-12-03", generic(map[string][]string{"shadowExpire": {"20790"}}).Reason)
	require.Equal(t, record.Present, generic(map[string][]string{"shadowExpire": {"20792"}}).State)
}
