package postgres

import (
	"context"
	"encoding/json"
	"fmt"
	"slices"
	"strconv"
	"strings"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgtype"

	"github.com/integrator-oss/integrator/internal/store"
)

const assetColumns = `id, client_id, site_id, asset_type, name, hostname, serial_number, manufacturer,
	model, os, os_version, mac_addresses, ip_addresses, primary_user_id, last_logged_on_user, last_seen,
	online, compliance, details, owners, active, created_at, updated_at, deactivated_at,
	deactivated_reason, deactivated_by, serial_key, mac_key, hostname_key`

const assetWidth = 29

func scanAsset(sc rowScanner) (store.Asset, error) {
	var (
		a                                   store.Asset
		client, site, user                  *int64
		seen, created, updated, deactivated pgtype.Timestamptz
		macs, ips, details, owners          string
		serialKey, macKey, hostKey          *string
	)
	if err := sc.Scan(&a.ID, &client, &site, &a.Type, &a.Name, &a.Hostname, &a.Serial, &a.Manufacturer,
		&a.Model, &a.OS, &a.OSVersion, &macs, &ips, &user, &a.LastLoggedOnUser, &seen,
		&a.Online, &a.Compliance, &details, &owners, &a.Active, &created, &updated, &deactivated,
		&a.DeactivatedReason, &a.DeactivatedBy, &serialKey, &macKey, &hostKey); err != nil {
		return a, err
	}
	deref := func(p *int64) int64 {
		if p == nil {
			return 0
		}
		return *p
	}
	str := func(p *string) string {
		if p == nil {
			return ""
		}
		return *p
	}
	a.ClientID, a.SiteID, a.PrimaryUserID = deref(client), deref(site), deref(user)
	a.LastSeen, a.CreatedAt, a.UpdatedAt, a.DeactivatedAt = timeOf(seen), timeOf(created), timeOf(updated), timeOf(deactivated)
	if macs != "" {
		a.MACs = strings.Split(macs, ",")
	}
	if ips != "" {
		a.IPs = strings.Split(ips, ",")
	}
	a.SerialKey, a.MACKey, a.HostnameKey = str(serialKey), str(macKey), str(hostKey)
	if details != "" {
		if err := json.Unmarshal([]byte(details), &a.Details); err != nil {
			return a, fmt.Errorf("asset %d: decoding details: %w", a.ID, err)
		}
	}
	if owners != "" {
		if err := json.Unmarshal([]byte(owners), &a.Owners); err != nil {
			return a, fmt.Errorf("asset %d: decoding field owners: %w", a.ID, err)
		}
	}
	return a, nil
}

func assetRow(a *store.Asset) []any {
	details, owners := "", ""
	if len(a.Details) > 0 {
		b, _ := json.Marshal(a.Details)
		details = string(b)
	}
	if len(a.Owners) > 0 {
		b, _ := json.Marshal(a.Owners)
		owners = string(b)
	}
	return []any{
		a.ID, idValue(a.ClientID), idValue(a.SiteID), a.Type, a.Name, a.Hostname, a.Serial, a.Manufacturer,
		a.Model, a.OS, a.OSVersion, strings.Join(a.MACs, ","), strings.Join(a.IPs, ","), idValue(a.PrimaryUserID),
		a.LastLoggedOnUser, timeValue(a.LastSeen), a.Online, a.Compliance, details, owners,
		a.Active, timeValue(a.CreatedAt), timeValue(a.UpdatedAt), timeValue(a.DeactivatedAt),
		a.DeactivatedReason, a.DeactivatedBy, stringValue(a.SerialKey), stringValue(a.MACKey), stringValue(a.HostnameKey),
	}
}

// AssetGet returns an asset by ID, or store.ErrNotFound.
func (r reader) AssetGet(ctx context.Context, id int64) (*store.Asset, error) {
	a, err := scanAsset(r.q.QueryRow(ctx, `SELECT `+assetColumns+` FROM assets WHERE id = $1`, id))
	if err != nil {
		return nil, fmt.Errorf("getting asset %d: %w", id, interpretError(err))
	}
	return &a, nil
}

func (r reader) assetQuery(ctx context.Context, what, q string, args ...any) ([]store.Asset, error) {
	rows, err := r.q.Query(ctx, q, args...)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", what, interpretError(err))
	}
	out, err := pgx.CollectRows(rows, func(row pgx.CollectableRow) (store.Asset, error) { return scanAsset(row) })
	if err != nil {
		return nil, fmt.Errorf("%s: %w", what, interpretError(err))
	}
	return out, nil
}

// AssetGetMany returns the assets of the given IDs that exist, by ID.
func (r reader) AssetGetMany(ctx context.Context, ids []int64) ([]store.Asset, error) {
	if len(ids) == 0 {
		return nil, nil
	}
	return r.assetQuery(ctx, "getting assets", `SELECT `+assetColumns+` FROM assets WHERE id = ANY($1::bigint[]) ORDER BY id`, ids)
}

// AssetList lists assets by ascending ID, filtered by p.
func (r reader) AssetList(ctx context.Context, p *store.EntityListParams) ([]store.Asset, error) {
	if p == nil {
		p = &store.EntityListParams{}
	}
	var w where
	if p.Search != "" {
		w.addRaw(`(strpos(lower(name), $1) > 0 OR strpos(hostname_key, $1) > 0 OR strpos(lower(serial_number), $1) > 0)`, strings.ToLower(p.Search))
	}
	if p.Active != nil {
		w.add("active = ", *p.Active)
	}
	if p.SiteID != 0 {
		w.add("site_id = ", p.SiteID)
	}
	if p.AfterID != 0 {
		w.add("id > ", p.AfterID)
	}
	q := `SELECT ` + assetColumns + ` FROM assets` + w.String() + ` ORDER BY id`
	if p.Limit > 0 {
		q += w.limit(p.Limit)
	}
	return r.assetQuery(ctx, "listing assets", q, w.args...)
}

var assetKeyColumns = map[string]string{
	store.AssetKeySerial:   "serial_key",
	store.AssetKeyMAC:      "mac_key",
	store.AssetKeyHostname: "hostname_key",
}

// AssetFind returns, for each value that matches, the IDs (ascending) of the
// assets whose key equals it.
func (r reader) AssetFind(ctx context.Context, p *store.AssetFindParams) (map[string][]int64, error) {
	col, ok := assetKeyColumns[p.Key]
	if !ok {
		return nil, fmt.Errorf("finding assets: unknown key %q", p.Key)
	}
	var vals []string
	for _, v := range p.Values {
		if v != "" && !slices.Contains(vals, v) {
			vals = append(vals, v)
		}
	}
	out := map[string][]int64{}
	if len(vals) == 0 {
		return out, nil
	}
	q := `SELECT ` + col + `, id FROM assets WHERE ` + col + ` = ANY($1::text[])`
	args := []any{vals}
	if p.Key == store.AssetKeyHostname {
		q += ` AND client_id IS NOT DISTINCT FROM $2`
		args = append(args, idValue(p.ClientID))
	}
	rows, err := r.q.Query(ctx, q+` ORDER BY id`, args...)
	if err != nil {
		return nil, fmt.Errorf("finding assets by %s: %w", p.Key, interpretError(err))
	}
	var (
		k  string
		id int64
	)
	if _, err := pgx.ForEachRow(rows, []any{&k, &id}, func() error {
		out[k] = append(out[k], id)
		return nil
	}); err != nil {
		return nil, fmt.Errorf("finding assets by %s: %w", p.Key, interpretError(err))
	}
	return out, nil
}

var assetNames = strings.Split(strings.Join(strings.Fields(assetColumns), ""), ",")

// AssetInsertMany inserts assets, setting their IDs and timestamps.
func (t *tx) AssetInsertMany(ctx context.Context, assets []store.Asset) error {
	if len(assets) == 0 {
		return nil
	}
	ids, err := t.nextIDs(ctx, "assets", len(assets))
	if err != nil {
		return fmt.Errorf("inserting assets: %w", err)
	}
	now := t.s.clock()
	for i := range assets {
		assets[i].ID, assets[i].CreatedAt, assets[i].UpdatedAt = ids[i], now, now
	}
	_, err = t.q.CopyFrom(ctx, pgx.Identifier{"assets"}, assetNames,
		pgx.CopyFromSlice(len(assets), func(i int) ([]any, error) { return assetRow(&assets[i]), nil }))
	if err != nil {
		for i := range assets {
			assets[i].ID = 0
		}
		return fmt.Errorf("inserting %d assets: %w", len(assets), interpretError(err))
	}
	t.count("assets", int64(len(assets)))
	return nil
}

// AssetUpdateMany replaces the stored fields of assets by ID (CreatedAt
// excepted). It returns store.ErrNotFound if any ID does not exist.
func (t *tx) AssetUpdateMany(ctx context.Context, assets []store.Asset) error {
	if len(assets) == 0 {
		return nil
	}
	now := t.s.clock()
	// Every column but id ($1) and created_at, which an update keeps.
	var sets []string
	var cols []int
	for i, n := range assetNames {
		if n != "id" && n != "created_at" {
			cols = append(cols, i)
			sets = append(sets, n+" = $"+strconv.Itoa(len(cols)+1))
		}
	}
	q := `UPDATE assets SET ` + strings.Join(sets, ", ") + ` WHERE id = $1`
	for i := range assets {
		assets[i].UpdatedAt = now
		row := assetRow(&assets[i])
		args := []any{row[0]}
		for _, c := range cols {
			args = append(args, row[c])
		}
		tag, err := t.q.Exec(ctx, q, args...)
		if err != nil {
			return fmt.Errorf("updating assets: %w", interpretError(err))
		}
		if tag.RowsAffected() == 0 {
			return fmt.Errorf("updating assets: %w: asset %d", store.ErrNotFound, assets[i].ID)
		}
	}
	return nil
}

const orgMappingColumns = `id, integration_id, source_org_id, source_org_name, client, site, origin, created_at, updated_at`

// OrgMappingList lists an integration's organisation mappings by ID.
func (r reader) OrgMappingList(ctx context.Context, integrationID int64) ([]store.OrgMapping, error) {
	rows, err := r.q.Query(ctx, `SELECT `+orgMappingColumns+` FROM org_mappings WHERE integration_id = $1 ORDER BY id`, integrationID)
	if err != nil {
		return nil, fmt.Errorf("listing organisation mappings: %w", interpretError(err))
	}
	out, err := pgx.CollectRows(rows, func(row pgx.CollectableRow) (store.OrgMapping, error) {
		var (
			m                store.OrgMapping
			created, updated pgtype.Timestamptz
		)
		err := row.Scan(&m.ID, &m.IntegrationID, &m.SourceOrgID, &m.SourceOrgName, &m.Client, &m.Site, &m.Origin, &created, &updated)
		m.CreatedAt, m.UpdatedAt = timeOf(created), timeOf(updated)
		return m, err
	})
	if err != nil {
		return nil, fmt.Errorf("listing organisation mappings: %w", interpretError(err))
	}
	return out, nil
}

// OrgMappingUpsert creates or replaces a mapping by (integration, source
// organisation ID).
func (t *tx) OrgMappingUpsert(ctx context.Context, m *store.OrgMapping) error {
	now := t.s.clock()
	var created pgtype.Timestamptz
	err := t.q.QueryRow(ctx, `
		INSERT INTO org_mappings (integration_id, source_org_id, source_org_name, client, site, origin, created_at, updated_at)
		VALUES ($1, $2, $3, $4, $5, $6, $7, $7)
		ON CONFLICT (integration_id, source_org_id) DO UPDATE SET
			source_org_name = excluded.source_org_name, client = excluded.client, site = excluded.site,
			origin = excluded.origin, updated_at = excluded.updated_at
		RETURNING id, created_at`,
		m.IntegrationID, m.SourceOrgID, m.SourceOrgName, m.Client, m.Site, m.Origin, timeValue(now)).Scan(&m.ID, &created)
	if err != nil {
		return fmt.Errorf("writing organisation mapping %s: %w", m.SourceOrgID, interpretError(err))
	}
	m.CreatedAt, m.UpdatedAt = timeOf(created), now.UTC()
	return nil
}

// OrgMappingDelete deletes a mapping by ID.
func (t *tx) OrgMappingDelete(ctx context.Context, id int64) error {
	tag, err := t.q.Exec(ctx, `DELETE FROM org_mappings WHERE id = $1`, id)
	if err != nil {
		return fmt.Errorf("deleting organisation mapping %d: %w", id, interpretError(err))
	}
	if tag.RowsAffected() == 0 {
		return fmt.Errorf("deleting organisation mapping %d: %w", id, store.ErrNotFound)
	}
	return nil
}
