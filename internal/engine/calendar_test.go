package engine_test

import (
	"context"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/integrator-oss/integrator/internal/connector"
	"github.com/integrator-oss/integrator/internal/engine"
	"github.com/integrator-oss/integrator/internal/integration"
	"github.com/integrator-oss/integrator/internal/record"
	"github.com/integrator-oss/integrator/internal/store"
)

func event(id, mailbox string, attrs ...string) record.Record {
	start := time.Date(2026, 12, 7, 9, 0, 0, 0, time.UTC)
	a := map[string]string{record.AttrMailbox: mailbox, record.AttrMailboxUPN: mailbox + "@contoso.com", record.AttrPart: mailbox,
		record.AttrSubject: "Standup", record.AttrStart: start.Format(time.RFC3339), record.AttrEnd: start.Add(15 * time.Minute).Format(time.RFC3339),
		record.AttrTimeZone: "Europe/London", record.AttrShowAs: "busy", record.AttrOrganizer: "ana@contoso.com",
		record.AttrAttendees: `[{"email":"ben@contoso.com"}]`}
	for i := 0; i+1 < len(attrs); i += 2 {
		a[attrs[i]] = attrs[i+1]
	}
	return record.Record{Kind: record.KindAppointment, ID: id, Attrs: a}
}

// parts is a source that reports some parts failed.
type parts struct {
	script
	failed []connector.PartFailure
}

func (p *parts) Fetch(ctx context.Context, req connector.FetchRequest, sink connector.Sink) (connector.FetchResult, error) {
	res, err := p.script.Fetch(ctx, req, sink)
	res.FailedParts = p.failed
	return res, err
}

func TestAppointments(t *testing.T) {
	t.Parallel()
	b := setup(t)
	b.set.Scope = integration.Scope{AllUsers: true}
	b.run(t, &script{pages: [][]record.Record{{user("u-ana", "ana@contoso.com")}}, failAt: -1})
	cal := b.source(t, "calendars", "exchange", func(s *integration.Settings) { s.Entities = []record.Kind{record.KindAppointment} })

	res := cal.run(t, &script{pages: [][]record.Record{{
		event("e1", "ana"),
		event("e2", "ana", record.AttrSensitivity, "private", record.AttrSubject, "Doctor", record.AttrLocation, "Clinic"),
		event("occ-1", "ana", record.AttrEventType, "occurrence", record.AttrSeriesID, "series-1"),
		event("exc-2", "ana", record.AttrEventType, "exception", record.AttrSeriesID, "series-1", record.AttrSubject, "Standup (moved)"),
	}}, failAt: -1})
	require.EqualValues(t, 4, res.Run.ByKind[record.KindAppointment].Created)
	_, ana := b.userByExt(t, "u-ana")
	got, err := b.st.AppointmentList(t.Context(), &store.AppointmentListParams{UserID: ana.ID})
	require.NoError(t, err)
	require.Len(t, got, 4)
	byMailboxSubject := map[string]store.Appointment{}
	for _, a := range got {
		byMailboxSubject[a.EventType+"/"+a.Subject] = a
	}
	priv := byMailboxSubject["singleInstance/"]
	require.True(t, priv.Private, "a private event is busy time only")
	require.Empty(t, priv.Location)
	require.Equal(t, "[]", priv.Attendees)
	require.Equal(t, "series-1", byMailboxSubject["exception/Standup (moved)"].SeriesID)

	// Changed, cancelled and removed (deleted or moved out of the window).
	res = cal.run(t, &script{pages: [][]record.Record{{
		event("e1", "ana", record.AttrSubject, "Standup!", record.AttrCancelled, "true"),
		{Kind: record.KindAppointment, ID: "occ-1", State: record.Removed, Reason: "deleted"},
	}}, failAt: -1})
	c := res.Run.ByKind[record.KindAppointment]
	require.EqualValues(t, 1, c.Updated)
	require.EqualValues(t, 1, c.Deactivated)
	active := true
	got, err = b.st.AppointmentList(t.Context(), &store.AppointmentListParams{Active: &active})
	require.NoError(t, err)
	require.Len(t, got, 3)
}

func TestLicencesAndAFailedTenant(t *testing.T) {
	t.Parallel()
	b := setup(t)
	b.set.Scope = integration.Scope{AllUsers: true}
	b.run(t, &script{pages: [][]record.Record{{user("u-ana", "ana@contoso.com"), user("u-ben", "ben@fabrikam.com")}}, failAt: -1})
	csp := b.source(t, "partner-csp", "csp", func(s *integration.Settings) {
		s.Entities = []record.Kind{record.KindLicence, record.KindLicenceAssignment}
		s.Assets.Organisations = []integration.OrgMap{{Source: "t-contoso", Client: "Contoso"}, {Source: "t-fabrikam", Client: "Fabrikam"}}
	})
	sku := func(tenant, name, id, part, enabled, consumed string) record.Record {
		return record.Record{Kind: record.KindLicence, ID: tenant + "/" + id, Attrs: map[string]string{
			record.AttrTenantID: tenant, record.AttrTenantName: name, record.AttrPart: tenant, record.AttrSourceOrgID: tenant, record.AttrSourceOrgName: name,
			record.AttrSkuID: id, record.AttrSkuPartNumber: part, record.AttrName: part, record.AttrCapabilityStatus: "Enabled",
			record.AttrEnabledUnits: enabled, record.AttrConsumedUnits: consumed}}
	}
	holds := func(tenant, upn, skus string) record.Record {
		return record.Record{Kind: record.KindLicenceAssignment, ID: tenant + "/" + upn, Attrs: map[string]string{
			record.AttrTenantID: tenant, record.AttrPart: tenant, record.AttrUPN: upn, record.AttrSkuIDs: skus}}
	}
	csp.run(t, &script{pages: [][]record.Record{
		{sku("t-contoso", "Contoso", "e3", "SPE_E3", "25", "1"), sku("t-contoso", "Contoso", "ex", "EXCHANGESTANDARD", "5", "0"),
			sku("t-fabrikam", "Fabrikam", "bp", "SPB", "10", "1")},
		{holds("t-contoso", "ana@contoso.com", "e3,ex"), holds("t-fabrikam", "ben@fabrikam.com", "bp")},
	}, failAt: -1, full: true})
	_, ana := b.userByExt(t, "u-ana")
	held, err := b.st.LicencesOf(t.Context(), ana.ID)
	require.NoError(t, err)
	require.Len(t, held, 2)
	ls, err := b.st.LicenceList(t.Context(), nil)
	require.NoError(t, err)
	require.Len(t, ls, 3)

	// Contoso drops Exchange and Ana's assignment changes; Fabrikam's
	// consent is revoked: its part fails, and nothing of it is swept.
	res, err := csp.eng.Run(t.Context(), engine.RunParams{Integration: csp.integ, Settings: csp.set, Source: &parts{script: script{pages: [][]record.Record{
		{sku("t-contoso", "Contoso", "e3", "SPE_E3", "25", "1")},
		{holds("t-contoso", "ana@contoso.com", "e3")},
	}, failAt: -1, full: true}, failed: []connector.PartFailure{{Part: "t-fabrikam", Name: "Fabrikam (tenant t-fabrikam)", Err: "consent revoked"}}}})
	require.NoError(t, err)
	require.Contains(t, res.Run.Notes, "Fabrikam (tenant t-fabrikam) failed")
	held, err = b.st.LicencesOf(t.Context(), ana.ID)
	require.NoError(t, err)
	require.Len(t, held, 1)
	ls, err = b.st.LicenceList(t.Context(), nil)
	require.NoError(t, err)
	state := map[string]bool{}
	for _, l := range ls {
		state[l.SkuPartNumber] = l.Active
	}
	require.Equal(t, map[string]bool{"SPE_E3": true, "EXCHANGESTANDARD": false, "SPB": true}, state,
		"the SKU Contoso dropped is inactive, never deleted; Fabrikam's failed part is left alone")
}
