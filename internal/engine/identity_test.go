package engine_test

import (
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/integrator-oss/integrator/internal/engine"
	"github.com/integrator-oss/integrator/internal/integration"
	"github.com/integrator-oss/integrator/internal/record"
	"github.com/integrator-oss/integrator/internal/store"
)

// source adds another integration to the bundle's store: another
// directory the same people are in.
func (b *testBundle) source(t *testing.T, name, typ string, mod ...func(*integration.Settings)) *testBundle {
	t.Helper()
	ctx := t.Context()
	var integ *store.Integration
	require.NoError(t, b.st.Tx(ctx, func(tx store.Tx) error {
		var err error
		integ, err = tx.IntegrationUpsert(ctx, &store.IntegrationUpsertParams{Name: name, Type: typ, Enabled: true})
		return err
	}))
	set := integration.Settings{Name: name, Type: typ, Enabled: true, Client: "Contoso",
		Scope: integration.Scope{AllUsers: true},
		// One-person directories: any deactivation is 100%.
		Threshold: integration.Threshold{MaxCount: -1, MaxPercent: -1}}
	for _, m := range mod {
		m(&set)
	}
	return &testBundle{st: b.st, eng: b.eng, integ: integ, set: set.WithDefaults()}
}

// hybrid is one person as AD and Entra ID report them: the same
// objectGUID (Entra's onPremisesImmutableId), different department and
// mail.
func adAda(state record.State) record.Record {
	r := user("ad-1", "ada@corp.example", record.AttrImmutableID, "3q2+7w==", record.AttrDepartment, "Engineering",
		record.AttrEmail, "ada@corp.example", record.AttrJobTitle, "Engineer")
	r.State = state
	return r
}

func entraAda(state record.State) record.Record {
	r := user("entra-1", "ada@contoso.com", record.AttrImmutableID, "3q2+7w==", record.AttrDepartment, "Sales",
		record.AttrEmail, "ada.lovelace@contoso.com", record.AttrJobTitle, "Engineer")
	r.State = state
	return r
}

func (b *testBundle) people(t *testing.T) []store.User {
	t.Helper()
	us, err := b.st.UserList(t.Context(), &store.EntityListParams{Limit: 1000})
	require.NoError(t, err)
	return us
}

func TestSamePersonFromADAndEntraIsOneUserWithOwnedFields(t *testing.T) {
	t.Parallel()
	for _, order := range []string{"ad first", "entra first"} {
		t.Run(order, func(t *testing.T) {
			t.Parallel()
			b := setup(t)
			ad := b.source(t, "corp-ad", "ldap")
			entra := b.source(t, "contoso-entra", "entra")
			runAD := func() { ad.run(t, &script{pages: [][]record.Record{{adAda(record.Present)}}, failAt: -1}) }
			runEntra := func() { entra.run(t, &script{pages: [][]record.Record{{entraAda(record.Present)}}, failAt: -1}) }
			if order == "ad first" {
				runAD()
				runEntra()
			} else {
				runEntra()
				runAD()
			}
			// A later run of each changes nothing.
			runAD()
			runEntra()

			us := b.people(t)
			require.Len(t, us, 1, "one person, not two")
			u := us[0]
			require.Equal(t, "Engineering", u.Department, "AD owns the department")
			require.Equal(t, "ada.lovelace@contoso.com", u.Email, "Entra ID owns the mail address")
			require.Equal(t, ad.integ.ID, u.Owners["department"])
			require.Equal(t, entra.integ.ID, u.Owners["email"])

			links, err := b.st.LinkListByEntity(t.Context(), record.KindUser, u.ID)
			require.NoError(t, err)
			require.Len(t, links, 2)
			for _, l := range links {
				if l.CreatedAt.Equal(links[0].CreatedAt) && l.ID == links[0].ID {
					continue
				}
				require.Equal(t, "immutable_id", l.MatchedBy, "the second source matched by onPremisesImmutableId")
			}
		})
	}
}

func TestLowerRankedSourceFillsOnlyUnownedFields(t *testing.T) {
	t.Parallel()
	b := setup(t)
	ad := b.source(t, "corp-ad", "ldap")
	entra := b.source(t, "contoso-entra", "entra")
	noTitle := adAda(record.Present)
	delete(noTitle.Attrs, record.AttrJobTitle)
	noTitle.Attrs[record.AttrEmployeeID] = ""
	ad.run(t, &script{pages: [][]record.Record{{noTitle}}, failAt: -1})
	e := entraAda(record.Present)
	e.Attrs[record.AttrEmployeeID] = "E-42"
	entra.run(t, &script{pages: [][]record.Record{{e}}, failAt: -1})
	u := b.people(t)[0]
	require.Equal(t, "Engineer", u.JobTitle, "nobody owned the title: Entra fills it")
	require.Equal(t, "E-42", u.EmployeeID, "nobody owned the employee id: Entra fills it")
	require.Equal(t, "Engineering", u.Department)

	// Configured ownership overrides the defaults.
	b2 := setup(t)
	ad2 := b2.source(t, "corp-ad", "ldap")
	entra2 := b2.source(t, "contoso-entra", "entra")
	own := integration.Ownership{"department": {"contoso-entra", "corp-ad"}}
	withOwn := func(p *engine.RunParams) { p.Ownership = own }
	ad2.run(t, &script{pages: [][]record.Record{{adAda(record.Present)}}, failAt: -1}, withOwn)
	entra2.run(t, &script{pages: [][]record.Record{{entraAda(record.Present)}}, failAt: -1}, withOwn)
	ad2.run(t, &script{pages: [][]record.Record{{adAda(record.Present)}}, failAt: -1}, withOwn)
	require.Equal(t, "Sales", b2.people(t)[0].Department, "configured: Entra ID owns the department")
}

func TestAuthoritativeDisableDeactivatesAndAnotherSourceDoesNotUndoIt(t *testing.T) {
	t.Parallel()
	b := setup(t)
	ad := b.source(t, "corp-ad", "ldap")
	entra := b.source(t, "contoso-entra", "entra", func(s *integration.Settings) { s.Lifecycle = integration.Contributing })
	ad.run(t, &script{pages: [][]record.Record{{adAda(record.Present)}}, failAt: -1})
	entra.run(t, &script{pages: [][]record.Record{{entraAda(record.Present)}}, failAt: -1})

	ad.run(t, &script{pages: [][]record.Record{{adAda(record.Disabled)}}, failAt: -1})
	u := b.people(t)[0]
	require.False(t, u.Active, "a disable in the authoritative source deactivates the person")
	require.Equal(t, ad.integ.ID, u.DeactivatedBy)

	// Entra still reports the account enabled (sync lag): it must not
	// bring the person back.
	e := entraAda(record.Present)
	e.Attrs[record.AttrJobTitle] = "Principal Engineer"
	entra.run(t, &script{pages: [][]record.Record{{e}}, failAt: -1})
	u = b.people(t)[0]
	require.False(t, u.Active, "another source does not reactivate what AD disabled")
	l, _ := entra.userByExt(t, "entra-1")
	require.Contains(t, l.Reason, "corp-ad")

	// AD enables the account again: AD brings the person back.
	ad.run(t, &script{pages: [][]record.Record{{adAda(record.Present)}}, failAt: -1})
	require.True(t, b.people(t)[0].Active)
}

func TestContributingRemovalOnlyDropsItsLink(t *testing.T) {
	t.Parallel()
	b := setup(t)
	ad := b.source(t, "corp-ad", "ldap")
	entra := b.source(t, "contoso-entra", "entra", func(s *integration.Settings) { s.Lifecycle = integration.Contributing })
	ad.run(t, &script{pages: [][]record.Record{{adAda(record.Present)}}, failAt: -1})
	entra.run(t, &script{pages: [][]record.Record{{entraAda(record.Present)}}, failAt: -1})

	res := entra.run(t, &script{pages: [][]record.Record{{{Kind: record.KindUser, ID: "entra-1", State: record.Removed}}}, failAt: -1})
	require.Zero(t, res.Run.ByKind[record.KindUser].Deactivated)
	u := b.people(t)[0]
	require.True(t, u.Active, "a contributing source's removal does not deactivate the person AD still has")
	require.NotContains(t, u.Owners, "email", "the fields Entra owned are free again")
	l, _ := entra.userByExt(t, "entra-1")
	require.Equal(t, store.LinkRemoved, l.Status)
	ev, err := b.st.AuditList(t.Context(), &store.AuditListParams{EntityID: u.ID, Action: store.ActionUnlinked})
	require.NoError(t, err)
	require.Len(t, ev, 1)
	require.Contains(t, ev[0].Reason, "corp-ad")

	// The authoritative source's removal does.
	ad.run(t, &script{pages: [][]record.Record{{{Kind: record.KindUser, ID: "ad-1", State: record.Removed}}}, failAt: -1})
	require.False(t, b.people(t)[0].Active)
}

func TestContributingSourceAloneStillDeactivates(t *testing.T) {
	t.Parallel()
	b := setup(t)
	entra := b.source(t, "contoso-entra", "entra", func(s *integration.Settings) { s.Lifecycle = integration.Contributing })
	entra.run(t, &script{pages: [][]record.Record{{entraAda(record.Present)}}, failAt: -1})
	entra.run(t, &script{pages: [][]record.Record{{entraAda(record.Disabled)}}, failAt: -1})
	require.False(t, b.people(t)[0].Active, "with no other source linking the person, access is revoked")
}

func TestAmbiguousMatchGoesToReviewAndCreatesNothing(t *testing.T) {
	t.Parallel()
	b := setup(t)
	ad := b.source(t, "corp-ad", "ldap", func(s *integration.Settings) { s.Matching = []string{"upn"} })
	ad.run(t, &script{pages: [][]record.Record{{
		user("ad-1", "p1@corp.example", record.AttrEmail, "shared@contoso.com"),
		user("ad-2", "p2@corp.example", record.AttrEmail, "shared@contoso.com"),
	}}, failAt: -1})
	require.Len(t, b.people(t), 2)

	entra := b.source(t, "contoso-entra", "entra")
	res := entra.run(t, &script{pages: [][]record.Record{{user("entra-9", "someone@contoso.com", record.AttrEmail, "shared@contoso.com")}}, failAt: -1})
	require.Len(t, b.people(t), 2, "nothing created")
	require.EqualValues(t, 1, res.Run.ByKind[record.KindUser].Failed)
	items, err := b.st.ReviewList(t.Context(), &store.ReviewListParams{Status: store.ReviewOpen})
	require.NoError(t, err)
	require.Len(t, items, 1)
	it := items[0]
	require.Equal(t, "entra-9", it.ExternalID)
	require.Equal(t, "email", it.Rule)
	require.Len(t, it.Candidates, 2)
	require.Contains(t, it.Reason, "matches 2 platform users")
	l, _ := entra.userByExt(t, "entra-9")
	require.Equal(t, store.LinkConflict, l.Status)

	// A second run keeps one item, not two.
	entra.run(t, &script{pages: [][]record.Record{{user("entra-9", "someone@contoso.com", record.AttrEmail, "shared@contoso.com")}}, failAt: -1})
	n, err := b.st.ReviewCount(t.Context(), "")
	require.NoError(t, err)
	require.EqualValues(t, 1, n)

	// Once the source no longer collides, the run clears the item.
	entra.run(t, &script{pages: [][]record.Record{{user("entra-9", "someone@contoso.com", record.AttrEmail, "someone@contoso.com")}}, failAt: -1})
	got, err := b.st.ReviewGet(t.Context(), it.ID)
	require.NoError(t, err)
	require.Equal(t, store.ReviewCleared, got.Status)
	require.Len(t, b.people(t), 3)
}
