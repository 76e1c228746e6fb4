package api

import (
	"encoding/json"
	"time"

	"github.com/integrator-oss/integrator/internal/record"
	"github.com/integrator-oss/integrator/internal/store"
)

// The API's JSON shapes: snake_case names, times in RFC 3339, JSON kept as
// JSON. Store types stay free of wire concerns.

type runJSON struct {
	ID            int64                        `json:"id"`
	IntegrationID int64                        `json:"integration_id"`
	Status        string                       `json:"status"`
	Mode          string                       `json:"mode"`
	Full          bool                         `json:"full"`
	DryRun        bool                         `json:"dry_run"`
	Trigger       string                       `json:"trigger"`
	StartedAt     time.Time                    `json:"started_at"`
	FinishedAt    time.Time                    `json:"finished_at,omitzero"`
	Counts        store.Counts                 `json:"counts"`
	ByKind        map[record.Kind]store.Counts `json:"by_kind"`
	Error         string                       `json:"error,omitempty"`
	Notes         string                       `json:"notes,omitempty"`
}

func runOut(r store.Run) runJSON {
	return runJSON{r.ID, r.IntegrationID, r.Status, r.Mode, r.Full, r.DryRun, r.Trigger, r.StartedAt, r.FinishedAt, r.Counts, r.ByKind, r.Error, r.Notes}
}

type userJSON struct {
	ID                int64     `json:"id"`
	SiteID            int64     `json:"site_id,omitempty"`
	Role              string    `json:"role"`
	Active            bool      `json:"active"`
	DisplayName       string    `json:"display_name"`
	GivenName         string    `json:"given_name,omitempty"`
	Surname           string    `json:"surname,omitempty"`
	UPN               string    `json:"upn,omitempty"`
	Email             string    `json:"email,omitempty"`
	JobTitle          string    `json:"job_title,omitempty"`
	Department        string    `json:"department,omitempty"`
	EmployeeID        string    `json:"employee_id,omitempty"`
	ImmutableID       string    `json:"immutable_id,omitempty"`
	UserType          string    `json:"user_type,omitempty"`
	ManagerID         int64     `json:"manager_id,omitempty"`
	CreatedAt         time.Time `json:"created_at"`
	UpdatedAt         time.Time `json:"updated_at"`
	DeactivatedAt     time.Time `json:"deactivated_at,omitzero"`
	DeactivatedReason string    `json:"deactivated_reason,omitempty"`
}

func userOut(u store.User) userJSON {
	return userJSON{u.ID, u.SiteID, u.Role, u.Active, u.DisplayName, u.GivenName, u.Surname, u.UPN, u.Email, u.JobTitle,
		u.Department, u.EmployeeID, u.ImmutableID, u.UserType, u.ManagerID, u.CreatedAt, u.UpdatedAt, u.DeactivatedAt, u.DeactivatedReason}
}

func usersOut(list []store.User) []userJSON {
	out := make([]userJSON, len(list))
	for i, u := range list {
		out[i] = userOut(u)
	}
	return out
}

type groupJSON struct {
	ID                int64     `json:"id"`
	Name              string    `json:"name"`
	Mail              string    `json:"mail,omitempty"`
	Active            bool      `json:"active"`
	CreatedAt         time.Time `json:"created_at"`
	UpdatedAt         time.Time `json:"updated_at"`
	DeactivatedAt     time.Time `json:"deactivated_at,omitzero"`
	DeactivatedReason string    `json:"deactivated_reason,omitempty"`
}

func groupOut(g store.Group) groupJSON {
	return groupJSON{g.ID, g.Name, g.Mail, g.Active, g.CreatedAt, g.UpdatedAt, g.DeactivatedAt, g.DeactivatedReason}
}

type siteJSON struct {
	ID         int64  `json:"id"`
	ClientID   int64  `json:"client_id"`
	ClientName string `json:"client"`
	Name       string `json:"name"`
}

type auditJSON struct {
	ID            int64           `json:"id"`
	At            time.Time       `json:"at"`
	RunID         int64           `json:"run_id"`
	IntegrationID int64           `json:"integration_id"`
	Kind          record.Kind     `json:"kind"`
	EntityID      int64           `json:"entity_id"`
	Action        string          `json:"action"`
	Reason        string          `json:"reason"`
	Changes       json.RawMessage `json:"changes,omitempty"`
}

func auditOut(e store.AuditEvent) auditJSON {
	a := auditJSON{e.ID, e.At, e.RunID, e.IntegrationID, e.Kind, e.EntityID, e.Action, e.Reason, nil}
	if len(e.Changes) > 0 && json.Valid(e.Changes) {
		a.Changes = e.Changes
	}
	return a
}

func auditsOut(list []store.AuditEvent) []auditJSON {
	out := make([]auditJSON, len(list))
	for i, e := range list {
		out[i] = auditOut(e)
	}
	return out
}

type reviewJSON struct {
	ID            int64           `json:"id"`
	IntegrationID int64           `json:"integration_id"`
	Kind          record.Kind     `json:"kind"`
	ExternalID    string          `json:"external_id"`
	Rule          string          `json:"rule"`
	Reason        string          `json:"reason"`
	Candidates    []int64         `json:"candidates"`
	Data          json.RawMessage `json:"data,omitempty"`
	Status        string          `json:"status"`
	RunID         int64           `json:"run_id"`
	CreatedAt     time.Time       `json:"created_at"`
	UpdatedAt     time.Time       `json:"updated_at"`
	ResolvedAt    time.Time       `json:"resolved_at,omitzero"`
	ResolvedBy    string          `json:"resolved_by,omitempty"`
}

func reviewOut(r store.ReviewItem) reviewJSON {
	v := reviewJSON{r.ID, r.IntegrationID, r.Kind, r.ExternalID, r.Rule, r.Reason, r.Candidates, nil, r.Status, r.RunID,
		r.CreatedAt, r.UpdatedAt, r.ResolvedAt, r.ResolvedBy}
	if json.Valid(r.Data) {
		v.Data = r.Data
	}
	if v.Candidates == nil {
		v.Candidates = []int64{}
	}
	return v
}
