package review_test

import (
	"context"
	"io"
	"log/slog"
	"path/filepath"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/integrator-oss/integrator/internal/connector"
	"github.com/integrator-oss/integrator/internal/engine"
	"github.com/integrator-oss/integrator/internal/integration"
	"github.com/integrator-oss/integrator/internal/record"
	"github.com/integrator-oss/integrator/internal/review"
	"github.com/integrator-oss/integrator/internal/store"
	"github.com/integrator-oss/integrator/internal/store/sqlite"
)

// pages is a source that returns the same records on every run.
type pages []record.Record

func (p pages) Fetch(ctx context.Context, _ connector.FetchRequest, sink connector.Sink) (connector.FetchResult, error) {
	return connector.FetchResult{Cursor: "c"}, sink.Page(ctx, append([]record.Record(nil), p...))
}

func person(id, upn, mail string) record.Record {
	return record.Record{Kind: record.KindUser, ID: id, Attrs: map[string]string{
		record.AttrUPN: upn, record.AttrEmail: mail, record.AttrDisplayName: "Person " + id}}
}

type world struct {
	st  store.Store
	eng *engine.Engine
}

func (w *world) run(t *testing.T, name string, matching []string, src pages) {
	t.Helper()
	ctx := t.Context()
	var in *store.Integration
	require.NoError(t, w.st.Tx(ctx, func(tx store.Tx) error {
		var err error
		in, err = tx.IntegrationUpsert(ctx, &store.IntegrationUpsertParams{Name: name, Type: "test", Enabled: true})
		return err
	}))
	set := integration.Settings{Name: name, Type: "test", Enabled: true, Scope: integration.Scope{AllUsers: true}, Matching: matching}
	_, err := w.eng.Run(ctx, engine.RunParams{Integration: in, Settings: set, Source: src, Trigger: "test"})
	require.NoError(t, err)
}

// setup leaves two platform people sharing a mail address, and a second
// source's record that matches both: one open review item.
func setup(t *testing.T) (*world, store.ReviewItem) {
	logger := slog.New(slog.NewTextHandler(io.Discard, nil))
	st, err := sqlite.Open(t.Context(), filepath.Join(t.TempDir(), "r.db"), logger)
	require.NoError(t, err)
	t.Cleanup(func() { st.Close() })
	w := &world{st: st, eng: engine.New(st, logger)}
	w.run(t, "hr", []string{"upn"}, pages{person("h1", "p1@corp", "shared@x"), person("h2", "p2@corp", "shared@x")})
	w.run(t, "entra", nil, pages{person("e1", "other@x", "shared@x")})
	items, err := st.ReviewList(t.Context(), &store.ReviewListParams{Status: store.ReviewOpen})
	require.NoError(t, err)
	require.Len(t, items, 1)
	return w, items[0]
}

func (w *world) count(t *testing.T) int {
	us, err := w.st.UserList(t.Context(), &store.EntityListParams{Limit: 100})
	require.NoError(t, err)
	return len(us)
}

func TestLinkDecisionJoinsTheChosenPerson(t *testing.T) {
	t.Parallel()
	w, it := setup(t)
	target := it.Candidates[1]
	got, err := review.Decide(t.Context(), w.st, review.Decision{ItemID: it.ID, Action: store.ReviewLinked, EntityID: target, By: "alice"})
	require.NoError(t, err)
	require.Equal(t, store.ReviewLinked, got.Status)

	w.run(t, "entra", nil, pages{person("e1", "other@x", "shared@x")})
	require.Equal(t, 2, w.count(t), "linked, not created")
	links, err := w.st.LinkListByEntity(t.Context(), record.KindUser, target)
	require.NoError(t, err)
	require.Len(t, links, 2, "the HR link and the operator's")
	u, err := w.st.UserGet(t.Context(), target)
	require.NoError(t, err)
	require.Equal(t, "p2@corp", u.UPN, "the first source keeps the fields it owned")

	_, err = review.Decide(t.Context(), w.st, review.Decision{ItemID: it.ID, Action: store.ReviewIgnored})
	require.ErrorIs(t, err, review.ErrNotOpen)
}

func TestCreateDecisionMakesANewPerson(t *testing.T) {
	t.Parallel()
	w, it := setup(t)
	_, err := review.Decide(t.Context(), w.st, review.Decision{ItemID: it.ID, Action: store.ReviewCreated})
	require.NoError(t, err)
	w.run(t, "entra", nil, pages{person("e1", "other@x", "shared@x")})
	require.Equal(t, 3, w.count(t))
	n, err := w.st.ReviewCount(t.Context(), store.ReviewOpen)
	require.NoError(t, err)
	require.Zero(t, n, "no new item: the operator decided")
}

func TestIgnoreDecisionLeavesTheObjectAlone(t *testing.T) {
	t.Parallel()
	w, it := setup(t)
	_, err := review.Decide(t.Context(), w.st, review.Decision{ItemID: it.ID, Action: store.ReviewIgnored})
	require.NoError(t, err)
	w.run(t, "entra", nil, pages{person("e1", "other@x", "shared@x")})
	require.Equal(t, 2, w.count(t))
	n, err := w.st.ReviewCount(t.Context(), store.ReviewOpen)
	require.NoError(t, err)
	require.Zero(t, n)
}

func TestLinkDecisionRefusesAWrongEntity(t *testing.T) {
	t.Parallel()
	w, it := setup(t)
	_, err := review.Decide(t.Context(), w.st, review.Decision{ItemID: it.ID, Action: store.ReviewLinked, EntityID: 9999})
	require.ErrorIs(t, err, store.ErrNotFound)
	_, err = review.Decide(t.Context(), w.st, review.Decision{ItemID: it.ID, Action: "merge"})
	require.ErrorContains(t, err, `unknown review action "merge"`)
}

func TestLinkDecisionForADevice(t *testing.T) {
	t.Parallel()
	logger := slog.New(slog.NewTextHandler(io.Discard, nil))
	st, err := sqlite.Open(t.Context(), filepath.Join(t.TempDir(), "a.db"), logger)
	require.NoError(t, err)
	t.Cleanup(func() { st.Close() })
	eng := engine.New(st, logger)
	run := func(name string, matching []string, recs ...record.Record) {
		ctx := t.Context()
		var in *store.Integration
		require.NoError(t, st.Tx(ctx, func(tx store.Tx) error {
			in, err = tx.IntegrationUpsert(ctx, &store.IntegrationUpsertParams{Name: name, Type: "test", Enabled: true})
			return err
		}))
		set := integration.Settings{Name: name, Type: "test", Enabled: true, Entities: []record.Kind{record.KindAsset},
			Assets: integration.AssetSettings{Matching: matching}}
		_, err := eng.Run(ctx, engine.RunParams{Integration: in, Settings: set, Source: pages(recs), Trigger: "test"})
		require.NoError(t, err)
	}
	dev := func(id, name, serial string) record.Record {
		return record.Record{Kind: record.KindAsset, ID: id, Attrs: map[string]string{record.AttrName: name, record.AttrSerial: serial}}
	}
	// A register that keys on names holds two machines under one serial
	// (a motherboard swapped between them); an RMM reporting that serial
	// cannot tell which it is.
	run("register", []string{"hostname"}, dev("r1", "PC-1", "SN-42"), dev("r2", "PC-2", "SN-42"))
	run("rmm", nil, dev("m1", "WS-9", "sn-42"))
	items, err := st.ReviewList(t.Context(), &store.ReviewListParams{Status: store.ReviewOpen})
	require.NoError(t, err)
	require.Len(t, items, 1)
	require.Equal(t, record.KindAsset, items[0].Kind)
	require.Len(t, items[0].Candidates, 2)

	_, err = review.Decide(t.Context(), st, review.Decision{ItemID: items[0].ID, Action: store.ReviewLinked, EntityID: items[0].Candidates[0]})
	require.NoError(t, err)
	run("rmm", nil, dev("m1", "WS-9", "sn-42"))
	as, err := st.AssetList(t.Context(), &store.EntityListParams{Limit: 10})
	require.NoError(t, err)
	require.Len(t, as, 2, "linked, not created")
	links, err := st.LinkListByEntity(t.Context(), record.KindAsset, items[0].Candidates[0])
	require.NoError(t, err)
	require.Len(t, links, 2)
}
