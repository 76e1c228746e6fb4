package api

import (
	"fmt"
	"testing"

	"github.com/stretchr/testify/require"
)

func TestOrganisationMappingTable(t *testing.T) {
	h := newHarness(t)
	h.ok("POST", "/api/v1/integrations", h.entraDoc(), nil)

	var list []orgMappingOut
	h.ok("GET", "/api/v1/integrations/contoso/org-mappings", nil, &list)
	require.Empty(t, list)

	r := h.do("PUT", "/api/v1/integrations/contoso/org-mappings", h.admin, map[string]string{"source_org_name": "Acme"})
	require.Equal(t, 400, r.code, r.raw)
	require.Equal(t, "source_org_id", r.Fields[0].Field)
	r = h.do("PUT", "/api/v1/integrations/contoso/org-mappings", h.reader, map[string]string{"source_org_id": "17", "client": "Acme"})
	require.Equal(t, 403, r.code, "a read token cannot edit the table")

	var m orgMappingOut
	h.ok("PUT", "/api/v1/integrations/contoso/org-mappings", map[string]string{"source_org_id": "17", "source_org_name": "ACME Corp", "client": "Acme"}, &m)
	require.Equal(t, "operator", m.Origin)
	h.ok("PUT", "/api/v1/integrations/contoso/org-mappings", map[string]string{"source_org_id": "17", "client": "Acme Holdings", "site": "HQ"}, &m)
	h.ok("GET", "/api/v1/integrations/contoso/org-mappings", nil, &list)
	require.Len(t, list, 1, "one row per source organisation")
	require.Equal(t, "Acme Holdings", list[0].Client)
	require.Equal(t, "HQ", list[0].Site)

	require.Equal(t, 404, h.do("DELETE", "/api/v1/integrations/contoso/org-mappings/9999", h.admin, nil).code)
	h.ok("DELETE", fmt.Sprintf("/api/v1/integrations/contoso/org-mappings/%d", m.ID), nil, nil)
	h.ok("GET", "/api/v1/integrations/contoso/org-mappings", nil, &list)
	require.Empty(t, list)
}
