package snipeit

import (
	"strconv"
	"time"
)

// The wire shapes follow Snipe-IT's transformers (AssetsTransformer,
// LocationsTransformer, UsersTransformer, DatatablesTransformer).

type listJSON[T any] struct {
	Total int `json:"total"`
	Rows  []T `json:"rows"`
}

type namedJSON struct {
	ID   int    `json:"id"`
	Name string `json:"name"`
}

type statusLabelJSON struct {
	ID         int    `json:"id"`
	Name       string `json:"name"`
	StatusType string `json:"status_type"`
	StatusMeta string `json:"status_meta"`
}

type assignedJSON struct {
	ID             int    `json:"id"`
	Username       string `json:"username"`
	Name           string `json:"name"`
	FirstName      string `json:"first_name"`
	LastName       string `json:"last_name"`
	Email          string `json:"email"`
	EmployeeNumber string `json:"employee_number"`
	Type           string `json:"type"`
}

type dateJSON struct {
	Date      string `json:"date"`
	Formatted string `json:"formatted"`
}

type datetimeJSON struct {
	Datetime  string `json:"datetime"`
	Formatted string `json:"formatted"`
}

type customFieldJSON struct {
	Field       string  `json:"field"`
	Value       *string `json:"value"`
	FieldFormat string  `json:"field_format"`
	Element     string  `json:"element"`
}

type assetJSON struct {
	ID             int                        `json:"id"`
	Name           string                     `json:"name"`
	AssetTag       string                     `json:"asset_tag"`
	Serial         string                     `json:"serial"`
	Model          *namedJSON                 `json:"model"`
	Byod           bool                       `json:"byod"`
	ModelNumber    string                     `json:"model_number"`
	StatusLabel    *statusLabelJSON           `json:"status_label"`
	Category       *namedJSON                 `json:"category"`
	Manufacturer   *namedJSON                 `json:"manufacturer"`
	Notes          string                     `json:"notes"`
	Company        *namedJSON                 `json:"company"`
	Location       *namedJSON                 `json:"location"`
	RTDLocation    *namedJSON                 `json:"rtd_location"`
	AssignedTo     *assignedJSON              `json:"assigned_to"`
	WarrantyMonths *string                    `json:"warranty_months"`
	WarrantyExpiry *dateJSON                  `json:"warranty_expires"`
	CreatedAt      *datetimeJSON              `json:"created_at"`
	UpdatedAt      *datetimeJSON              `json:"updated_at"`
	LastAuditDate  *datetimeJSON              `json:"last_audit_date"`
	DeletedAt      *datetimeJSON              `json:"deleted_at"`
	PurchaseDate   *dateJSON                  `json:"purchase_date"`
	LastCheckout   *datetimeJSON              `json:"last_checkout"`
	CustomFields   map[string]customFieldJSON `json:"custom_fields"`
	Requestable    bool                       `json:"requestable"`
}

type locationJSON struct {
	ID          int        `json:"id"`
	Name        string     `json:"name"`
	City        string     `json:"city"`
	Country     string     `json:"country"`
	Parent      *namedJSON `json:"parent"`
	Company     *namedJSON `json:"company"`
	AssetsCount int        `json:"assets_count"`
}

type userJSON struct {
	ID        int    `json:"id"`
	Name      string `json:"name"`
	FirstName string `json:"first_name"`
	LastName  string `json:"last_name"`
	Username  string `json:"username"`
	Email     string `json:"email"`
	Activated bool   `json:"activated"`
}

func userJSONOf(u User) userJSON {
	return userJSON{ID: u.ID, Name: u.FirstName + " " + u.LastName, FirstName: u.FirstName, LastName: u.LastName, Username: u.Username, Email: u.Email, Activated: true}
}

func named(m map[int]Named, id int) *namedJSON {
	n, ok := m[id]
	if !ok {
		return nil
	}
	return &namedJSON{ID: n.ID, Name: n.Name}
}

func datetime(t time.Time) *datetimeJSON {
	if t.IsZero() {
		return nil
	}
	// Snipe-IT renders datetimes in the app's time zone; the emulator's is UTC.
	t = t.UTC()
	return &datetimeJSON{Datetime: t.Format(time.DateTime), Formatted: t.Format("2006-01-02 03:04PM")}
}

func date(s string) *dateJSON {
	if s == "" {
		return nil
	}
	t, err := time.Parse(time.DateOnly, s)
	if err != nil {
		return nil
	}
	return &dateJSON{Date: s, Formatted: t.Format("Mon Jan 02, 2006")}
}

func (e *Emulator) locationRef(id int) *namedJSON {
	for _, l := range e.locations {
		if l.ID == id {
			return &namedJSON{ID: l.ID, Name: l.Name}
		}
	}
	return nil
}

func (e *Emulator) locationJSON(l Location) locationJSON {
	out := locationJSON{ID: l.ID, Name: l.Name, City: l.City, Country: l.Country, Company: named(e.companies, l.CompanyID)}
	if l.ParentID != 0 {
		out.Parent = e.locationRef(l.ParentID)
	}
	return out
}

// assetJSON renders an asset. The caller holds e.mu for reading.
func (e *Emulator) assetJSON(a *Asset) assetJSON {
	m := e.models[a.ModelID]
	out := assetJSON{
		ID: a.ID, Name: a.Name, AssetTag: a.AssetTag, Serial: a.Serial,
		ModelNumber:   m.ModelNumber,
		Notes:         a.Notes,
		Category:      named(e.categories, m.CategoryID),
		Manufacturer:  named(e.manufacturers, m.ManufacturerID),
		Company:       named(e.companies, a.CompanyID),
		RTDLocation:   e.locationRef(a.RTDLocationID),
		CreatedAt:     datetime(a.CreatedAt),
		UpdatedAt:     datetime(a.UpdatedAt),
		LastAuditDate: datetime(a.LastAuditDate),
		DeletedAt:     datetime(a.DeletedAt),
		PurchaseDate:  date(a.PurchaseDate),
		CustomFields:  map[string]customFieldJSON{},
	}
	if m.ID != 0 {
		out.Model = &namedJSON{ID: m.ID, Name: m.Name}
	}
	if l, ok := e.labels[a.StatusID]; ok {
		meta := l.Type
		if l.Type == StatusDeployable && a.AssignedUserID != 0 {
			meta = "deployed"
		}
		out.StatusLabel = &statusLabelJSON{ID: l.ID, Name: l.Name, StatusType: l.Type, StatusMeta: meta}
	}
	if a.AssignedUserID != 0 {
		if u, ok := e.users[a.AssignedUserID]; ok {
			out.AssignedTo = &assignedJSON{ID: u.ID, Username: u.Username, Name: u.FirstName + " " + u.LastName,
				FirstName: u.FirstName, LastName: u.LastName, Email: u.Email, EmployeeNumber: u.EmployeeNum, Type: "user"}
			out.LastCheckout = datetime(a.LastCheckout)
		}
	}
	// An asset checked out to a user shows the user's location; Snipe-IT
	// keeps location_id in step on checkout. Otherwise its own location.
	out.Location = e.locationRef(a.LocationID)
	if a.WarrantyMonths > 0 {
		s := strconv.Itoa(a.WarrantyMonths) + " months"
		out.WarrantyMonths = &s
		if a.PurchaseDate != "" {
			if t, err := time.Parse(time.DateOnly, a.PurchaseDate); err == nil {
				out.WarrantyExpiry = date(t.AddDate(0, a.WarrantyMonths, 0).Format(time.DateOnly))
			}
		}
	}
	for _, label := range m.Fieldset {
		f := e.fields[label]
		cf := customFieldJSON{Field: f.Column, FieldFormat: f.Format, Element: "text"}
		if v, ok := a.Custom[label]; ok {
			cf.Value = &v
		}
		out.CustomFields[label] = cf
	}
	return out
}
