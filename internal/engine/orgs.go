package engine

import (
	"context"
	"fmt"
	"strings"

	"github.com/integrator-oss/integrator/internal/record"
	"github.com/integrator-oss/integrator/internal/store"
)

// assetPlace is where the organisation mapping puts a device.
type assetPlace struct {
	client, site string
	why          string
}

// orgMapper places devices by their source organisation: the
// integration's configured organisations first, then the mapping table,
// then a platform client of the same name (recorded in the table and
// reported), then the integration's client and default site (reported).
// The table is read once per run; a run only ever adds to it.
type orgMapper struct {
	loaded  bool
	table   map[string]store.OrgMapping // by source org ID
	clients map[string]string           // platform client names by lower-case name
	noted   map[string]bool
}

func (r *runner) placeAsset(ctx context.Context, tx store.Tx, a map[string]string) (assetPlace, error) {
	s := r.p.Settings
	orgID, orgName, siteName := a[record.AttrSourceOrgID], a[record.AttrSourceOrgName], a[record.AttrSourceSiteName]
	site := func(fixed string) string {
		if fixed != "" {
			return fixed
		}
		if siteName != "" {
			return siteName
		}
		return s.Scope.DefaultSite
	}
	if orgID == "" && orgName == "" {
		return assetPlace{client: s.Client, site: site(""), why: "the source has no organisations"}, nil
	}
	key := cmpOr(orgID, orgName)
	label := fmt.Sprintf("%q", cmpOr(orgName, orgID))
	for _, m := range s.Assets.Organisations {
		if m.Source == orgID || strings.EqualFold(m.Source, orgName) {
			return assetPlace{client: m.Client, site: site(m.Site), why: "organisation " + label + " is mapped in the configuration"}, nil
		}
	}
	om := &r.orgs
	if !om.loaded {
		list, err := tx.OrgMappingList(ctx, r.p.Integration.ID)
		if err != nil {
			return assetPlace{}, err
		}
		om.table = make(map[string]store.OrgMapping, len(list))
		for _, m := range list {
			om.table[m.SourceOrgID] = m
		}
		sites, err := tx.SiteList(ctx)
		if err != nil {
			return assetPlace{}, fmt.Errorf("listing sites: %w", err)
		}
		om.clients = map[string]string{}
		for _, st := range sites {
			om.clients[strings.ToLower(st.ClientName)] = st.ClientName
		}
		om.noted = map[string]bool{}
		om.loaded = true
	}
	if m, ok := om.table[key]; ok {
		return assetPlace{client: m.Client, site: site(m.Site), why: "organisation " + label + " is in the mapping table (" + m.Origin + ")"}, nil
	}
	if client, ok := om.clients[strings.ToLower(strings.TrimSpace(orgName))]; ok && orgName != "" {
		m := store.OrgMapping{IntegrationID: r.p.Integration.ID, SourceOrgID: key, SourceOrgName: orgName, Client: client, Origin: store.OrgMappingAuto}
		if err := tx.OrgMappingUpsert(ctx, &m); err != nil {
			return assetPlace{}, err
		}
		om.table[key] = m
		r.notes = append(r.notes, fmt.Sprintf("organisation %s matched platform client %q by name; added to the mapping table", label, client))
		return assetPlace{client: client, site: site(""), why: "organisation " + label + " matched the client of the same name"}, nil
	}
	if !om.noted[key] {
		om.noted[key] = true
		r.notes = append(r.notes, fmt.Sprintf("organisation %s is not mapped and no client has its name: its devices went to %s / %s; map it to place them", label, s.Client, s.Scope.DefaultSite))
	}
	return assetPlace{client: s.Client, site: s.Scope.DefaultSite, why: "organisation " + label + " is not mapped: default site"}, nil
}

// assetSite returns the platform site (with its client) of a placement,
// creating them when missing.
func (r *runner) assetSite(ctx context.Context, tx store.Tx, p assetPlace) (*store.Site, error) {
	key := p.client + "\x00" + p.site
	if s, ok := r.assetSites[key]; ok {
		return s, nil
	}
	s, err := tx.SiteEnsure(ctx, p.client, p.site)
	if err != nil {
		return nil, fmt.Errorf("ensuring site %q of client %q: %w", p.site, p.client, err)
	}
	if r.dry == nil {
		if r.assetSites == nil {
			r.assetSites = map[string]*store.Site{}
		}
		r.assetSites[key] = s
	}
	return s, nil
}

// applySites reads a page of the source's sites: their organisations are
// placed (and matched by name) ahead of the devices.
func (r *runner) applySites(ctx context.Context, tx store.Tx, recs []record.Record) error {
	for _, rec := range recs {
		if _, err := r.placeAsset(ctx, tx, rec.Attrs); err != nil {
			return fmt.Errorf("site %s: %w", rec.ID, err)
		}
		r.c(record.KindSite).Unchanged++
	}
	return nil
}
