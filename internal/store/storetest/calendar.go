package storetest

import (
	"context"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/integrator-oss/integrator/internal/record"
	"github.com/integrator-oss/integrator/internal/store"
)

func testAppointments(t *testing.T, s store.Store) {
	ctx := t.Context()
	u := newUsers(t, s, user("ada"))[0]
	as := []store.Appointment{
		{UserID: u.ID, Mailbox: "mb-1", EventType: "singleInstance", Subject: "1:1", Start: baseTime, End: baseTime.Add(30 * time.Minute),
			TimeZone: "Europe/London", Location: "Room 4", Organizer: "ada@example.com", Attendees: `[{"email":"bob@example.com"}]`,
			ShowAs: "busy", Active: true},
		{UserID: u.ID, Mailbox: "mb-1", EventType: "occurrence", SeriesID: "series-9", Start: baseTime.Add(24 * time.Hour),
			End: baseTime.Add(25 * time.Hour), ShowAs: "busy", Private: true, Active: true},
	}
	inTx(t, s, func(ctx context.Context, tx store.Tx) error { return tx.AppointmentInsertMany(ctx, as) })
	require.NotZero(t, as[0].ID)
	got, err := s.AppointmentGetMany(ctx, []int64{as[0].ID, as[1].ID, 99999})
	require.NoError(t, err)
	require.Len(t, got, 2)
	want := as[0]
	want.CreatedAt, want.UpdatedAt = got[0].CreatedAt, got[0].UpdatedAt
	require.Equal(t, want, got[0])

	// The window: appointments overlapping [From, To).
	list, err := s.AppointmentList(ctx, &store.AppointmentListParams{UserID: u.ID, From: baseTime.Add(time.Hour), To: baseTime.Add(48 * time.Hour)})
	require.NoError(t, err)
	require.Len(t, list, 1)
	require.Equal(t, "series-9", list[0].SeriesID)

	c := got[0]
	c.Cancelled, c.Active, c.DeactivatedAt, c.DeactivatedReason = true, false, baseTime, "deleted at source"
	inTx(t, s, func(ctx context.Context, tx store.Tx) error {
		return tx.AppointmentUpdateMany(ctx, []store.Appointment{c})
	})
	active := true
	list, err = s.AppointmentList(ctx, &store.AppointmentListParams{Active: &active})
	require.NoError(t, err)
	require.Len(t, list, 1)
	err = s.Tx(ctx, func(tx store.Tx) error { return tx.AppointmentUpdateMany(ctx, []store.Appointment{{ID: 99999}}) })
	require.ErrorIs(t, err, store.ErrNotFound)
}

func testLicences(t *testing.T, s store.Store) {
	ctx := t.Context()
	var site *store.Site
	inTx(t, s, func(ctx context.Context, tx store.Tx) error {
		var err error
		site, err = tx.SiteEnsure(ctx, "Contoso", "Main")
		return err
	})
	users := newUsers(t, s, user("ada"), user("bob"))
	ls := []store.Licence{
		{ClientID: site.ClientID, TenantID: "t1", SkuID: "sku-e3", SkuPartNumber: "SPE_E3", Name: "Microsoft 365 E3",
			CapabilityStatus: "Enabled", EnabledUnits: 25, ConsumedUnits: 2, Active: true},
		{ClientID: site.ClientID, TenantID: "t1", SkuID: "sku-ex", SkuPartNumber: "EXCHANGESTANDARD", Active: true},
		{TenantID: "t2", SkuID: "sku-e3", SkuPartNumber: "SPE_E3", Active: true},
	}
	inTx(t, s, func(ctx context.Context, tx store.Tx) error { return tx.LicenceInsertMany(ctx, ls) })
	found, err := s.LicenceFind(ctx, "t1", []string{"sku-e3", "sku-none"})
	require.NoError(t, err)
	require.Len(t, found, 1)
	require.Equal(t, ls[0].ID, found["t1/sku-e3"].ID)
	require.Equal(t, int64(25), found["t1/sku-e3"].EnabledUnits)

	assign := func(user int64, tenant string, ids ...int64) int {
		var n int
		inTx(t, s, func(ctx context.Context, tx store.Tx) error {
			var err error
			n, err = tx.LicenceAssign(ctx, user, tenant, ids)
			return err
		})
		return n
	}
	require.Equal(t, 2, assign(users[0].ID, "t1", ls[0].ID, ls[1].ID))
	require.Equal(t, 1, assign(users[0].ID, "t2", ls[2].ID))
	require.Equal(t, 0, assign(users[0].ID, "t1", ls[0].ID, ls[1].ID), "no change, no writes")
	require.Equal(t, 1, assign(users[0].ID, "t1", ls[0].ID), "the exchange licence was taken away")
	held, err := s.LicencesOf(ctx, users[0].ID)
	require.NoError(t, err)
	require.Equal(t, []int64{ls[0].ID, ls[2].ID}, held, "another tenant's licences are untouched")
	holders, err := s.LicenceHolders(ctx, ls[0].ID)
	require.NoError(t, err)
	require.Equal(t, []int64{users[0].ID}, holders)

	l := ls[1]
	l.Active, l.DeactivatedAt, l.DeactivatedReason = false, baseTime, "no longer subscribed"
	inTx(t, s, func(ctx context.Context, tx store.Tx) error { return tx.LicenceUpdateMany(ctx, []store.Licence{l}) })
	active := true
	list, err := s.LicenceList(ctx, &store.LicenceListParams{ClientID: site.ClientID, Active: &active})
	require.NoError(t, err)
	require.Len(t, list, 1)
	got, err := s.LicenceGetMany(ctx, []int64{ls[1].ID})
	require.NoError(t, err)
	require.False(t, got[0].Active)
	require.True(t, got[0].DeactivatedAt.Equal(baseTime))

	in := newIntegration(t, s, "csp")
	upsertLinks(t, s, link(in.ID, record.KindLicence, "t1/sku-e3", ls[0].ID), link(in.ID, record.KindLicence, "t1/sku-ex", ls[1].ID))
	cnt, err := s.EntityCount(ctx, in.ID, record.KindLicence)
	require.NoError(t, err)
	require.Equal(t, store.EntityCount{Active: 1, Inactive: 1}, cnt)
}
