package graph

import (
	"encoding/json"
	"net/http"
	"net/url"
	"testing"

	"github.com/stretchr/testify/require"
)

const (
	skuE3 = "6fd2c87f-b296-42f0-b197-1e91e994b900"
	skuBP = "cbdc14ab-d96c-4c30-b9f4-6ada7cdc1d46"
)

type cspBundle struct {
	csp    *CSP
	base   string
	client *http.Client
}

func (b *cspBundle) token(t *testing.T, tenant string) (int, map[string]any) {
	t.Helper()
	form := url.Values{"client_id": {b.csp.ClientID()}, "client_secret": {testSecret},
		"grant_type": {"client_credentials"}, "scope": {"https://graph.microsoft.com/.default"}}
	resp, err := b.client.PostForm(b.csp.TokenURL(b.base, tenant), form)
	require.NoError(t, err)
	defer resp.Body.Close()
	var body map[string]any
	require.NoError(t, json.NewDecoder(resp.Body).Decode(&body))
	return resp.StatusCode, body
}

func (b *cspBundle) get(t *testing.T, tok, u string) (int, map[string]any) {
	t.Helper()
	req, err := http.NewRequestWithContext(t.Context(), http.MethodGet, u, nil)
	require.NoError(t, err)
	req.Header.Set("Authorization", "Bearer "+tok)
	resp, err := b.client.Do(req)
	require.NoError(t, err)
	defer resp.Body.Close()
	var body map[string]any
	require.NoError(t, json.NewDecoder(resp.Body).Decode(&body))
	return resp.StatusCode, body
}

func TestCSPTenants(t *testing.T) {
	t.Parallel()
	csp := NewCSP(CSPOptions{ClientSecret: testSecret})
	contoso := csp.AddCustomer(Customer{Name: "Contoso"})
	northwind := csp.AddCustomer(Customer{Name: "Northwind Traders"})
	tr := &http.Transport{}
	t.Cleanup(tr.CloseIdleConnections)
	b := &cspBundle{csp: csp, base: csp.StartTest(t), client: &http.Client{Transport: tr}}

	ana := contoso.AddUser(User{UserPrincipalName: "ana@contoso.com", AccountEnabled: true})
	bo := contoso.AddUser(User{UserPrincipalName: "bo@contoso.com", AccountEnabled: true})
	require.NoError(t, csp.AddSku(contoso.TenantID(), SubscribedSku{SkuID: skuE3, SkuPartNumber: "ENTERPRISEPACK", Enabled: 25, Warning: 5}))
	require.NoError(t, csp.AddSku(contoso.TenantID(), SubscribedSku{SkuID: skuBP, SkuPartNumber: "SPB", Enabled: 3, CapabilityStatus: "Suspended"}))
	require.NoError(t, csp.AssignLicenses(contoso.TenantID(), ana, []string{skuE3, skuBP}, nil))
	require.NoError(t, csp.AssignLicenses(contoso.TenantID(), bo, []string{skuE3}, nil))
	require.ErrorIs(t, csp.AssignLicenses(northwind.TenantID(), bo, []string{skuE3}, nil), ErrNotFound)

	status, tok := b.token(t, contoso.TenantID())
	require.Equal(t, http.StatusOK, status, tok)
	ctok := tok["access_token"].(string)
	status, body := b.get(t, ctok, b.base+"/v1.0/subscribedSkus")
	require.Equal(t, http.StatusOK, status, body)
	skus := body["value"].([]any)
	require.Len(t, skus, 2)
	e3 := skus[0].(map[string]any)
	require.Equal(t, "ENTERPRISEPACK", e3["skuPartNumber"])
	require.Equal(t, float64(2), e3["consumedUnits"])
	require.Equal(t, map[string]any{"enabled": float64(25), "suspended": float64(0), "warning": float64(5), "lockedOut": float64(0)}, e3["prepaidUnits"])
	require.Equal(t, contoso.TenantID()+"_"+skuE3, e3["id"])

	status, body = b.get(t, ctok, b.base+"/v1.0/users?$select=id,userPrincipalName,assignedLicenses&$top=1")
	require.Equal(t, http.StatusOK, status, body)
	require.Len(t, body["value"], 1)
	first := body["value"].([]any)[0].(map[string]any)
	require.Equal(t, ana, first["id"])
	require.Len(t, first["assignedLicenses"], 2)
	status, body = b.get(t, ctok, body["@odata.nextLink"].(string))
	require.Equal(t, http.StatusOK, status, body)
	require.Equal(t, bo, body["value"].([]any)[0].(map[string]any)["id"])
	require.Nil(t, body["@odata.nextLink"])

	// A customer token cannot list the partner's customers; the partner's can.
	status, _ = b.get(t, ctok, b.base+"/v1.0/tenantRelationships/delegatedAdminCustomers")
	require.Equal(t, http.StatusForbidden, status)
	_, tok = b.token(t, csp.Partner().TenantID())
	status, body = b.get(t, tok["access_token"].(string), b.base+"/v1.0/tenantRelationships/delegatedAdminCustomers?$top=1")
	require.Equal(t, http.StatusOK, status, body)
	require.Equal(t, "Contoso", body["value"].([]any)[0].(map[string]any)["displayName"])
	status, body = b.get(t, tok["access_token"].(string), body["@odata.nextLink"].(string))
	require.Equal(t, http.StatusOK, status, body)
	require.Equal(t, northwind.TenantID(), body["value"].([]any)[0].(map[string]any)["tenantId"])

	// The rest of Graph is the tenant's own directory.
	status, body = b.get(t, ctok, b.base+"/v1.0/organization")
	require.Equal(t, http.StatusOK, status)
	require.Equal(t, "Contoso", body["value"].([]any)[0].(map[string]any)["displayName"])

	// Consent removed: the token endpoint refuses the tenant.
	require.NoError(t, csp.SetConsent(northwind.TenantID(), ConsentRevoked))
	status, tok = b.token(t, northwind.TenantID())
	require.Equal(t, http.StatusBadRequest, status)
	require.Equal(t, "invalid_client", tok["error"])
	require.Contains(t, tok["error_description"], "AADSTS7000229")
	// Permissions removed: tokens, then 403 everywhere.
	require.NoError(t, csp.SetConsent(northwind.TenantID(), ConsentNoAccess))
	status, tok = b.token(t, northwind.TenantID())
	require.Equal(t, http.StatusOK, status)
	status, body = b.get(t, tok["access_token"].(string), b.base+"/v1.0/subscribedSkus")
	require.Equal(t, http.StatusForbidden, status)
	require.Equal(t, "Authorization_RequestDenied", body["error"].(map[string]any)["code"])

	// A removed SKU is gone with its assignments.
	require.NoError(t, csp.RemoveSku(contoso.TenantID(), skuBP))
	_, body = b.get(t, ctok, b.base+"/v1.0/subscribedSkus")
	require.Len(t, body["value"], 1)
	require.Equal(t, []string{skuE3}, csp.Licenses(contoso.TenantID(), ana))
}
