package sqlite

import (
	"context"
	"database/sql"
	"encoding/json"
	"fmt"
	"slices"
	"strings"

	"github.com/integrator-oss/integrator/internal/store"
)

const assetColumns = `id, client_id, site_id, asset_type, name, hostname, serial_number, manufacturer,
	model, os, os_version, mac_addresses, ip_addresses, primary_user_id, last_logged_on_user, last_seen,
	online, compliance, details, owners, active, created_at, updated_at, deactivated_at,
	deactivated_reason, deactivated_by, serial_key, mac_key, hostname_key`

const assetWidth = 29

func scanAsset(sc interface{ Scan(...any) error }) (store.Asset, error) {
	var (
		a                                   store.Asset
		client, site, user                  sql.NullInt64
		seen, created, updated, deactivated sql.NullInt64
		macs, ips, details, owners          string
		serialKey, macKey, hostKey          sql.NullString
	)
	if err := sc.Scan(&a.ID, &client, &site, &a.Type, &a.Name, &a.Hostname, &a.Serial, &a.Manufacturer,
		&a.Model, &a.OS, &a.OSVersion, &macs, &ips, &user, &a.LastLoggedOnUser, &seen,
		&a.Online, &a.Compliance, &details, &owners, &a.Active, &created, &updated, &deactivated,
		&a.DeactivatedReason, &a.DeactivatedBy, &serialKey, &macKey, &hostKey); err != nil {
		return a, err
	}
	a.ClientID, a.SiteID, a.PrimaryUserID = client.Int64, site.Int64, user.Int64
	a.LastSeen, a.CreatedAt, a.UpdatedAt, a.DeactivatedAt = timeOf(seen), timeOf(created), timeOf(updated), timeOf(deactivated)
	a.MACs, a.IPs = splitList(macs), splitList(ips)
	a.SerialKey, a.MACKey, a.HostnameKey = serialKey.String, macKey.String, hostKey.String
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

func splitList(s string) []string {
	if s == "" {
		return nil
	}
	return strings.Split(s, ",")
}

func assetArgs(args []any, a *store.Asset) []any {
	details := ""
	if len(a.Details) > 0 {
		b, _ := json.Marshal(a.Details)
		details = string(b)
	}
	return append(args,
		a.ID, idValue(a.ClientID), idValue(a.SiteID), a.Type, a.Name, a.Hostname, a.Serial, a.Manufacturer,
		a.Model, a.OS, a.OSVersion, strings.Join(a.MACs, ","), strings.Join(a.IPs, ","), idValue(a.PrimaryUserID),
		a.LastLoggedOnUser, timeValue(a.LastSeen), a.Online, a.Compliance, details, ownersValue(a.Owners),
		a.Active, timeValue(a.CreatedAt), timeValue(a.UpdatedAt), timeValue(a.DeactivatedAt),
		a.DeactivatedReason, a.DeactivatedBy, stringValue(a.SerialKey), stringValue(a.MACKey), stringValue(a.HostnameKey))
}

// AssetGet returns an asset by ID, or store.ErrNotFound.
func (r reader) AssetGet(ctx context.Context, id int64) (*store.Asset, error) {
	a, err := scanAsset(r.queryRow(ctx, "assets.get", text(`SELECT `+assetColumns+` FROM assets WHERE id = ?`), id))
	if err != nil {
		return nil, fmt.Errorf("getting asset %d: %w", id, interpretError(err))
	}
	return &a, nil
}

// AssetGetMany returns the assets of the given IDs that exist, by ID.
func (r reader) AssetGetMany(ctx context.Context, ids []int64) ([]store.Asset, error) {
	var out []store.Asset
	err := chunks(ids, lookupChunk, func(part []int64) error {
		n, args := inArgs(nil, part)
		rows, err := r.query(ctx, batchKey("assets.getmany", n), func() string {
			return `SELECT ` + assetColumns + ` FROM assets WHERE id IN (` + inList(n) + `) ORDER BY id`
		}, args...)
		if err != nil {
			return err
		}
		defer rows.Close()
		for rows.Next() {
			a, err := scanAsset(rows)
			if err != nil {
				return err
			}
			out = append(out, a)
		}
		return interpretError(rows.Err())
	})
	if err != nil {
		return nil, fmt.Errorf("getting assets: %w", err)
	}
	return out, nil
}

// AssetList lists assets by ascending ID, filtered by p. Search matches a
// substring of the name, hostname or serial number.
func (r reader) AssetList(ctx context.Context, p *store.EntityListParams) ([]store.Asset, error) {
	q, args := entityListQuery(`SELECT `+assetColumns+` FROM assets`, p,
		[]string{"lower(name)", "hostname_key", "lower(serial_number)"}, true)
	rows, err := r.q.QueryContext(ctx, q, args...)
	if err != nil {
		return nil, fmt.Errorf("listing assets: %w", interpretError(err))
	}
	defer rows.Close()
	var out []store.Asset
	for rows.Next() {
		a, err := scanAsset(rows)
		if err != nil {
			return nil, fmt.Errorf("listing assets: %w", err)
		}
		out = append(out, a)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("listing assets: %w", interpretError(err))
	}
	return out, nil
}

var assetKeyColumns = map[string]string{
	store.AssetKeySerial:   "serial_key",
	store.AssetKeyMAC:      "mac_key",
	store.AssetKeyHostname: "hostname_key",
}

// AssetFind returns, for each value that matches, the IDs (ascending) of the
// assets whose key equals it. Keys are stored as the engine computed them,
// so values must be computed the same way.
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
	err := chunks(vals, lookupChunk, func(part []string) error {
		prefix := []any{}
		cond := ""
		if p.Key == store.AssetKeyHostname {
			prefix, cond = []any{p.ClientID}, "client_id IS ? AND "
			if p.ClientID == 0 {
				prefix = []any{nil}
			}
		}
		n, args := inArgs(prefix, part)
		rows, err := r.query(ctx, batchKey("assets.find."+col, n), func() string {
			return `SELECT ` + col + `, id FROM assets WHERE ` + cond + col + ` IN (` + inList(n) + `) ORDER BY id`
		}, args...)
		if err != nil {
			return err
		}
		defer rows.Close()
		for rows.Next() {
			var (
				k  string
				id int64
			)
			if err := rows.Scan(&k, &id); err != nil {
				return err
			}
			out[k] = append(out[k], id)
		}
		return interpretError(rows.Err())
	})
	if err != nil {
		return nil, fmt.Errorf("finding assets by %s: %w", p.Key, err)
	}
	return out, nil
}

// AssetInsertMany inserts assets, setting their IDs and timestamps.
func (t *tx) AssetInsertMany(ctx context.Context, assets []store.Asset) error {
	if len(assets) == 0 {
		return nil
	}
	var maxID int64
	if err := t.queryRow(ctx, "assets.maxid", text(`SELECT COALESCE(MAX(id), 0) FROM assets`)).Scan(&maxID); err != nil {
		return fmt.Errorf("inserting assets: %w", interpretError(err))
	}
	now := t.s.clock()
	for i := range assets {
		assets[i].ID, assets[i].CreatedAt, assets[i].UpdatedAt = maxID+int64(i)+1, now, now
	}
	err := forBatches(len(assets), assetWidth, func(start, rows int) error {
		args := t.args(rows * assetWidth)
		for i := start; i < start+rows; i++ {
			args = assetArgs(args, &assets[i])
		}
		_, err := t.exec(ctx, batchKey("assets.insert", rows), func() string {
			return `INSERT INTO assets (` + assetColumns + `) VALUES ` + placeholders(assetWidth, rows)
		}, args...)
		return err
	})
	if err != nil {
		for i := range assets {
			assets[i].ID = 0
		}
		return fmt.Errorf("inserting assets: %w", err)
	}
	return nil
}

// AssetUpdateMany replaces the stored fields of assets by ID (CreatedAt
// excepted). It returns store.ErrNotFound if any ID does not exist.
func (t *tx) AssetUpdateMany(ctx context.Context, assets []store.Asset) error {
	if len(assets) == 0 {
		return nil
	}
	now := t.s.clock()
	for i := range assets {
		assets[i].UpdatedAt = now
	}
	err := forBatches(len(assets), assetWidth, func(start, rows int) error {
		args := t.args(rows * assetWidth)
		ids := map[int64]bool{}
		for i := start; i < start+rows; i++ {
			args = assetArgs(args, &assets[i])
			ids[assets[i].ID] = true
		}
		res, err := t.exec(ctx, batchKey("assets.update", rows), func() string {
			return `WITH v (` + assetColumns + `) AS (VALUES ` + placeholders(assetWidth, rows) + `)
			UPDATE assets SET client_id = v.client_id, site_id = v.site_id, asset_type = v.asset_type,
				name = v.name, hostname = v.hostname, serial_number = v.serial_number,
				manufacturer = v.manufacturer, model = v.model, os = v.os, os_version = v.os_version,
				mac_addresses = v.mac_addresses, ip_addresses = v.ip_addresses,
				primary_user_id = v.primary_user_id, last_logged_on_user = v.last_logged_on_user,
				last_seen = v.last_seen, online = v.online, compliance = v.compliance,
				details = v.details, owners = v.owners, active = v.active, updated_at = v.updated_at,
				deactivated_at = v.deactivated_at, deactivated_reason = v.deactivated_reason,
				deactivated_by = v.deactivated_by, serial_key = v.serial_key, mac_key = v.mac_key,
				hostname_key = v.hostname_key
			FROM v WHERE assets.id = v.id`
		}, args...)
		if err != nil {
			return err
		}
		if n, _ := res.RowsAffected(); n < int64(len(ids)) {
			return fmt.Errorf("%w: %d of %d assets", store.ErrNotFound, int64(len(ids))-n, len(ids))
		}
		return nil
	})
	if err != nil {
		return fmt.Errorf("updating assets: %w", err)
	}
	return nil
}

const orgMappingColumns = `id, integration_id, source_org_id, source_org_name, client, site, origin, created_at, updated_at`

// OrgMappingList lists an integration's organisation mappings by ID.
func (r reader) OrgMappingList(ctx context.Context, integrationID int64) ([]store.OrgMapping, error) {
	rows, err := r.query(ctx, "orgmap.list", text(`SELECT `+orgMappingColumns+` FROM org_mappings
		WHERE integration_id = ? ORDER BY id`), integrationID)
	if err != nil {
		return nil, fmt.Errorf("listing organisation mappings: %w", err)
	}
	defer rows.Close()
	var out []store.OrgMapping
	for rows.Next() {
		var (
			m                store.OrgMapping
			created, updated sql.NullInt64
		)
		if err := rows.Scan(&m.ID, &m.IntegrationID, &m.SourceOrgID, &m.SourceOrgName, &m.Client, &m.Site,
			&m.Origin, &created, &updated); err != nil {
			return nil, fmt.Errorf("listing organisation mappings: %w", err)
		}
		m.CreatedAt, m.UpdatedAt = timeOf(created), timeOf(updated)
		out = append(out, m)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("listing organisation mappings: %w", interpretError(err))
	}
	return out, nil
}

// OrgMappingUpsert creates or replaces a mapping by (integration, source
// organisation ID).
func (t *tx) OrgMappingUpsert(ctx context.Context, m *store.OrgMapping) error {
	now := t.s.clock()
	var created sql.NullInt64
	err := t.queryRow(ctx, "orgmap.upsert", text(`
		INSERT INTO org_mappings (integration_id, source_org_id, source_org_name, client, site, origin, created_at, updated_at)
		VALUES (?, ?, ?, ?, ?, ?, ?, ?)
		ON CONFLICT (integration_id, source_org_id) DO UPDATE SET
			source_org_name = excluded.source_org_name, client = excluded.client, site = excluded.site,
			origin = excluded.origin, updated_at = excluded.updated_at
		RETURNING id, created_at`),
		m.IntegrationID, m.SourceOrgID, m.SourceOrgName, m.Client, m.Site, m.Origin, timeValue(now), timeValue(now),
	).Scan(&m.ID, &created)
	if err != nil {
		return fmt.Errorf("writing organisation mapping %s: %w", m.SourceOrgID, interpretError(err))
	}
	m.CreatedAt, m.UpdatedAt = timeOf(created), now
	return nil
}

// OrgMappingDelete deletes a mapping by ID.
func (t *tx) OrgMappingDelete(ctx context.Context, id int64) error {
	res, err := t.exec(ctx, "orgmap.delete", text(`DELETE FROM org_mappings WHERE id = ?`), id)
	if err != nil {
		return fmt.Errorf("deleting organisation mapping %d: %w", id, err)
	}
	if n, _ := res.RowsAffected(); n == 0 {
		return fmt.Errorf("deleting organisation mapping %d: %w", id, store.ErrNotFound)
	}
	return nil
}
