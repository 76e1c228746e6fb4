package entra

import (
	"strings"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/integrator-oss/integrator/internal/record"
)

func decodeOne(t *testing.T, rs resource, item string) (record.Record, error) {
	t.Helper()
	p, err := decodePage(strings.NewReader(`{"value":[`+item+`],"@odata.deltaLink":"https://g/x"}`), rs)
	if err != nil {
		return record.Record{}, err
	}
	require.Len(t, p.records, 1)
	return p.records[0], nil
}

func TestUserMapping(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name        string
		item        string
		want        record.Record
		errContains string
	}{
		{
			name: "full object",
			item: `{"id":"u1","accountEnabled":true,"userPrincipalName":"ana@contoso.com","mail":"ana@contoso.com",
				"givenName":"Ana","surname":"Ruiz","displayName":"Ana Ruiz","jobTitle":"Engineer","department":"R&D",
				"employeeId":"E1","onPremisesImmutableId":"abc=","userType":"Member",
				"manager@delta":[{"@odata.type":"#microsoft.graph.user","id":"m1"}]}`,
			want: record.Record{Kind: record.KindUser, ID: "u1", State: record.Present, Attrs: map[string]string{
				record.AttrUPN: "ana@contoso.com", record.AttrEmail: "ana@contoso.com", record.AttrGivenName: "Ana",
				record.AttrSurname: "Ruiz", record.AttrDisplayName: "Ana Ruiz", record.AttrJobTitle: "Engineer",
				record.AttrDepartment: "R&D", record.AttrEmployeeID: "E1", record.AttrImmutableID: "abc=",
				record.AttrUserType: "Member", record.AttrManager: "m1",
			}},
		},
		{
			name: "absent properties stay absent, null becomes empty",
			item: `{"id":"u2","displayName":"Bo","mail":null,"jobTitle":""}`,
			want: record.Record{Kind: record.KindUser, ID: "u2", Attrs: map[string]string{
				record.AttrDisplayName: "Bo", record.AttrEmail: "", record.AttrJobTitle: "",
			}},
		},
		{
			name: "disabled",
			item: `{"id":"u3","accountEnabled":false,"displayName":"Cy"}`,
			want: record.Record{Kind: record.KindUser, ID: "u3", State: record.Disabled, Reason: ReasonDisabled,
				Attrs: map[string]string{record.AttrDisplayName: "Cy"}},
		},
		{
			name: "soft deleted",
			item: `{"id":"u4","@removed":{"reason":"changed"}}`,
			want: record.Record{Kind: record.KindUser, ID: "u4", State: record.Removed, Reason: ReasonSoftDeleted},
		},
		{
			name: "hard deleted",
			item: `{"id":"u5","@removed":{"reason":"deleted"}}`,
			want: record.Record{Kind: record.KindUser, ID: "u5", State: record.Removed, Reason: ReasonDeleted},
		},
		{
			name: "manager removed",
			item: `{"id":"u6","manager@delta":[{"@odata.type":"#microsoft.graph.user","id":"m1","@removed":{"reason":"deleted"}}]}`,
			want: record.Record{Kind: record.KindUser, ID: "u6", Attrs: map[string]string{record.AttrManager: ""}},
		},
		{
			name: "manager replaced",
			item: `{"id":"u7","manager@delta":[{"id":"m1","@removed":{"reason":"deleted"}},{"@odata.type":"#microsoft.graph.user","id":"m2"}]}`,
			want: record.Record{Kind: record.KindUser, ID: "u7", Attrs: map[string]string{record.AttrManager: "m2"}},
		},
		{
			name: "escaped strings",
			item: `{"id":"u9","displayName":"Zo\u00eb \"Z\" M\u00fcller","department":"R\u0026D","jobTitle":"Zoë"}`,
			want: record.Record{Kind: record.KindUser, ID: "u9", Attrs: map[string]string{
				record.AttrDisplayName: `Zoë "Z" Müller`, record.AttrDepartment: "R&D", record.AttrJobTitle: "Zoë",
			}},
		},
		{name: "no id", item: `{"displayName":"x"}`, errContains: "without an id"},
		{name: "wrong type", item: `{"id":"u8","displayName":42}`, errContains: "item 0"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			got, err := decodeOne(t, resources[1], tt.item)
			if tt.errContains != "" {
				require.ErrorContains(t, err, tt.errContains)
				return
			}
			require.NoError(t, err)
			require.Equal(t, tt.want, got)
		})
	}
}

func TestGroupMapping(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name string
		item string
		want record.Record
	}{
		{
			name: "members slice, nested groups not expanded",
			item: `{"id":"g1","displayName":"Finance","mail":"fin@contoso.com","securityEnabled":true,
				"members@delta":[{"@odata.type":"#microsoft.graph.user","id":"u1"},
				{"@odata.type":"#microsoft.graph.group","id":"g2"},
				{"@odata.type":"#microsoft.graph.user","id":"u2","@removed":{"reason":"deleted"}}]}`,
			want: record.Record{Kind: record.KindGroup, ID: "g1",
				Attrs:   map[string]string{record.AttrName: "Finance", record.AttrMail: "fin@contoso.com"},
				Members: &record.Members{Added: []string{"u1"}, Removed: []string{"u2"}}},
		},
		{
			name: "no membership change",
			item: `{"id":"g1","displayName":"Finance 2","mail":null}`,
			want: record.Record{Kind: record.KindGroup, ID: "g1",
				Attrs:   map[string]string{record.AttrName: "Finance 2", record.AttrMail: ""},
				Members: &record.Members{}},
		},
		{
			name: "removed",
			item: `{"id":"g3","@removed":{"reason":"deleted"}}`,
			want: record.Record{Kind: record.KindGroup, ID: "g3", State: record.Removed, Reason: ReasonDeleted},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			got, err := decodeOne(t, resources[0], tt.item)
			require.NoError(t, err)
			require.Equal(t, tt.want, got)
		})
	}
}

func TestContactMapping(t *testing.T) {
	t.Parallel()
	contacts := resources[2]
	require.Equal(t, record.KindContact, contacts.kind)
	tests := []struct {
		name        string
		item        string
		want        record.Record
		errContains string
	}{
		{
			name: "full object",
			item: `{"id":"c1","displayName":"Pat Vendor (Fabrikam)","givenName":"Pat","surname":"Vendor",
				"mail":"pat@fabrikam.com","companyName":"Fabrikam","jobTitle":"Buyer","department":"Purchasing",
				"mailNickname":"pat","proxyAddresses":["SMTP:pat@fabrikam.com"],"addresses":[{"city":"Redmond"}],
				"phones":[{"type":"businessFax","number":"+1 1"},{"type":"business","number":"+1 2"},
				{"type":"mobile","number":"+1 3"},{"type":"business","number":"+1 4"}]}`,
			want: record.Record{Kind: record.KindContact, ID: "c1", Attrs: map[string]string{
				record.AttrDisplayName: "Pat Vendor (Fabrikam)", record.AttrGivenName: "Pat", record.AttrSurname: "Vendor",
				record.AttrEmail: "pat@fabrikam.com", record.AttrCompany: "Fabrikam", record.AttrJobTitle: "Buyer",
				record.AttrDepartment: "Purchasing", record.AttrPhone: "+1 2", record.AttrMobile: "+1 3",
			}},
		},
		{
			name: "phones present without a mobile: the mobile is known to be empty",
			item: `{"id":"c2","phones":[{"type":"business","number":"+1 2"}]}`,
			want: record.Record{Kind: record.KindContact, ID: "c2", Attrs: map[string]string{
				record.AttrPhone: "+1 2", record.AttrMobile: "",
			}},
		},
		{
			name: "absent properties stay absent, null becomes empty",
			item: `{"id":"c3","displayName":"Kim","mail":null,"phones":null}`,
			want: record.Record{Kind: record.KindContact, ID: "c3", Attrs: map[string]string{
				record.AttrDisplayName: "Kim", record.AttrEmail: "", record.AttrPhone: "", record.AttrMobile: "",
			}},
		},
		{
			name: "deleted",
			item: `{"id":"c4","@removed":{"reason":"deleted"}}`,
			want: record.Record{Kind: record.KindContact, ID: "c4", State: record.Removed, Reason: ReasonDeleted},
		},
		{name: "no id", item: `{"displayName":"x"}`, errContains: "contact item without an id"},
		{name: "phones not a list", item: `{"id":"c5","phones":"+1 2"}`, errContains: "item 0"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			got, err := decodeOne(t, contacts, tt.item)
			if tt.errContains != "" {
				require.ErrorContains(t, err, tt.errContains)
				return
			}
			require.NoError(t, err)
			require.Equal(t, tt.want, got)
		})
	}
}

func TestDecodePage(t *testing.T) {
	t.Parallel()
	users := resources[1]
	p, err := decodePage(strings.NewReader(`{"@odata.context":"x","value":[{"id":"a"},{"id":"b"}],"@odata.nextLink":"https://g/next?$skiptoken=1"}`), users)
	require.NoError(t, err)
	require.Equal(t, "https://g/next?$skiptoken=1", p.next)
	require.Empty(t, p.delta)
	require.Len(t, p.records, 2)

	p, err = decodePage(strings.NewReader(`{"@odata.deltaLink":"https://g/d?$deltatoken=2","value":[]}`), users)
	require.NoError(t, err)
	require.Equal(t, "https://g/d?$deltatoken=2", p.delta)
	require.Empty(t, p.records)

	for name, body := range map[string]string{
		"cut":            `{"value":[{"id":"a"},{"id":`,
		"empty":          ``,
		"not json":       `<html>proxy error</html>`,
		"array":          `[{"id":"a"}]`,
		"trailing data":  `{"value":[]} {"value":[]}`,
		"value not list": `{"value":{"id":"a"}}`,
	} {
		_, err := decodePage(strings.NewReader(body), users)
		require.Error(t, err, name)
	}
}
