package cwautomate

import (
	"encoding/json"
	"fmt"
	"net/http"
	"sort"
	"strconv"
	"strings"
	"time"
)

const apiPrefix = "/cwa/api/v1/"

// timeLayout is how Automate writes timestamps: the server's local time,
// without a zone.
const timeLayout = "2006-01-02T15:04:05"

func (e *Emulator) serveHTTP(w http.ResponseWriter, r *http.Request) {
	e.requests.Add(1)
	path := r.URL.Path
	e.logger.Debug("cwautomate emulator request", "method", r.Method, "path", path)
	if !strings.HasPrefix(strings.ToLower(path), apiPrefix) {
		writeMessage(w, http.StatusNotFound, "", "No HTTP resource was found that matches the request URI.")
		return
	}
	rest := strings.ToLower(strings.Trim(path[len(apiPrefix):], "/"))
	isToken := rest == "apitoken" || rest == "apitoken/refresh"
	expire := false
	if f, hit := e.nextFault(path, isToken); hit {
		switch f.Kind {
		case FaultMalformed:
			writeMalformed(w)
			return
		case FaultExpireToken:
			expire = true
		default:
			status := f.Status
			if status == 0 {
				status = http.StatusServiceUnavailable
			}
			writeMessage(w, status, f.RetryAfter, "Injected fault.")
			return
		}
	}
	if e.limiter != nil {
		now := e.opts.Now()
		res := e.limiter.ReserveN(now, 1)
		if d := res.DelayFrom(now); d > 0 {
			res.CancelAt(now)
			e.throttled.Add(1)
			writeMessage(w, http.StatusTooManyRequests, strconv.Itoa(max(1, int((d+time.Second-1)/time.Second))), "Too many requests.")
			return
		}
	}
	if isToken {
		e.tokenRequests.Add(1)
		e.serveToken(w, r, rest == "apitoken/refresh")
		return
	}
	if !e.clientIDValid(r.Header.Get("ClientId")) {
		writeMessage(w, http.StatusUnauthorized, "", "A valid ClientId header is required.")
		return
	}
	tok, _ := strings.CutPrefix(r.Header.Get("Authorization"), "Bearer ")
	if expire {
		e.expireToken(tok)
	}
	if tok == "" || !e.tokenValid(tok) {
		writeMessage(w, http.StatusUnauthorized, "", "Authorization has been denied for this request.")
		return
	}
	if r.Method != http.MethodGet {
		writeMessage(w, http.StatusMethodNotAllowed, "", "The requested resource does not support http method '"+r.Method+"'.")
		return
	}
	switch rest {
	case "databaseservertime":
		writeJSON(w, http.StatusOK, e.opts.Now().In(e.opts.Location).Format(timeLayout))
	case "clients":
		e.serveClients(w, r)
	case "locations":
		e.serveLocations(w, r)
	case "computers":
		e.serveComputers(w, r)
	default:
		writeMessage(w, http.StatusNotFound, "", "No HTTP resource was found that matches the request URI.")
	}
}

// serveToken answers POST /apitoken and /apitoken/refresh.
func (e *Emulator) serveToken(w http.ResponseWriter, r *http.Request, refresh bool) {
	if r.Method != http.MethodPost {
		writeMessage(w, http.StatusMethodNotAllowed, "", "The requested resource does not support http method '"+r.Method+"'.")
		return
	}
	if !e.clientIDValid(r.Header.Get("ClientId")) {
		writeMessage(w, http.StatusUnauthorized, "", "A valid ClientId header is required.")
		return
	}
	if refresh {
		var old string
		if err := json.NewDecoder(r.Body).Decode(&old); err != nil || !e.tokenValid(old) {
			writeMessage(w, http.StatusUnauthorized, "", "Authorization has been denied for this request.")
			return
		}
		e.writeToken(w)
		return
	}
	var body struct {
		UserName          string
		Password          string
		TwoFactorPasscode string
	}
	if err := json.NewDecoder(r.Body).Decode(&body); err != nil {
		writeMessage(w, http.StatusBadRequest, "", "The request is invalid.")
		return
	}
	if !strings.EqualFold(body.UserName, e.opts.Username) || body.Password != e.opts.Password {
		writeMessage(w, http.StatusUnauthorized, "", "Username or password is incorrect.")
		return
	}
	if e.opts.TwoFactorPasscode != "" && body.TwoFactorPasscode != e.opts.TwoFactorPasscode {
		writeJSON(w, http.StatusOK, map[string]any{"AccessToken": nil, "IsTwoFactorRequired": true})
		return
	}
	e.writeToken(w)
}

func (e *Emulator) writeToken(w http.ResponseWriter) {
	tok, exp := e.issueToken()
	writeJSON(w, http.StatusOK, map[string]any{
		"AccessToken":            tok,
		"TokenType":              "Bearer",
		"ExpirationDate":         exp.UTC().Format(time.RFC3339),
		"AbsoluteExpirationDate": exp.Add(23 * time.Hour).UTC().Format(time.RFC3339),
		"IsTwoFactorRequired":    false,
		"UserId":                 7,
	})
}

func writeMessage(w http.ResponseWriter, status int, retryAfter, msg string) {
	if retryAfter != "" {
		w.Header().Set("Retry-After", retryAfter)
	}
	writeJSON(w, status, map[string]string{"Message": msg})
}

func writeJSON(w http.ResponseWriter, status int, v any) {
	b, err := json.Marshal(v)
	if err != nil {
		http.Error(w, err.Error(), http.StatusInternalServerError)
		return
	}
	w.Header().Set("Content-Type", "application/json; charset=utf-8")
	w.Header().Set("Content-Length", strconv.Itoa(len(b)))
	w.WriteHeader(status)
	_, _ = w.Write(b)
}

// paging reads page (from 1) and pageSize.
func paging(r *http.Request) (page, size int, err error) {
	q := r.URL.Query()
	page, size = 1, DefaultPageSize
	if v := q.Get("page"); v != "" {
		if page, err = strconv.Atoi(v); err != nil || page < 1 {
			return 0, 0, fmt.Errorf("the value '%s' is not valid for page", v)
		}
	}
	if v := q.Get("pageSize"); v != "" {
		if size, err = strconv.Atoi(v); err != nil || size < 1 {
			return 0, 0, fmt.Errorf("the value '%s' is not valid for pageSize", v)
		}
		size = min(size, MaxPageSize)
	}
	return page, size, nil
}

func slice[T any](list []T, page, size int) []T {
	from := min((page-1)*size, len(list))
	return list[from:min(from+size, len(list))]
}

func (e *Emulator) serveClients(w http.ResponseWriter, r *http.Request) {
	page, size, err := paging(r)
	if err != nil {
		writeMessage(w, http.StatusBadRequest, "", err.Error())
		return
	}
	e.mu.RLock()
	out := []map[string]any{}
	for _, c := range slice(e.clients, page, size) {
		out = append(out, map[string]any{"Id": c.ID, "Name": c.Name, "City": c.City, "Company": c.Name})
	}
	e.mu.RUnlock()
	writeJSON(w, http.StatusOK, out)
}

func (e *Emulator) serveLocations(w http.ResponseWriter, r *http.Request) {
	page, size, err := paging(r)
	if err != nil {
		writeMessage(w, http.StatusBadRequest, "", err.Error())
		return
	}
	e.mu.RLock()
	out := []map[string]any{}
	for _, l := range slice(e.locations, page, size) {
		c := e.client(l.ClientID)
		out = append(out, map[string]any{"Id": l.ID, "Name": l.Name, "Client": map[string]any{"Id": c.ID, "Name": c.Name}})
	}
	e.mu.RUnlock()
	writeJSON(w, http.StatusOK, out)
}

func (e *Emulator) serveComputers(w http.ResponseWriter, r *http.Request) {
	page, size, err := paging(r)
	if err != nil {
		writeMessage(w, http.StatusBadRequest, "", err.Error())
		return
	}
	q := r.URL.Query()
	clauses, err := parseCondition(q.Get("condition"))
	if err != nil {
		writeMessage(w, http.StatusBadRequest, "", err.Error())
		return
	}
	order := strings.Fields(strings.ToLower(q.Get("orderBy")))
	e.mu.RLock()
	list := make([]*Computer, 0, len(e.computers))
	for _, c := range e.computers {
		ok, err := e.match(c, clauses)
		if err != nil {
			e.mu.RUnlock()
			writeMessage(w, http.StatusBadRequest, "", err.Error())
			return
		}
		if ok {
			list = append(list, c)
		}
	}
	if len(order) > 0 && order[0] != "id" {
		if order[0] != "computername" {
			e.mu.RUnlock()
			writeMessage(w, http.StatusBadRequest, "", "The orderBy field '"+order[0]+"' is not supported.")
			return
		}
		sort.SliceStable(list, func(i, j int) bool { return list[i].ComputerName < list[j].ComputerName })
	}
	if len(order) > 1 && order[1] == "desc" {
		for i, j := 0, len(list)-1; i < j; i, j = i+1, j-1 {
			list[i], list[j] = list[j], list[i]
		}
	}
	out := make([]computerJSON, 0, size)
	for _, c := range slice(list, page, size) {
		out = append(out, e.computerWire(c))
	}
	e.mu.RUnlock()
	writeJSON(w, http.StatusOK, out)
}

type ref struct {
	ID   int    `json:"Id"`
	Name string `json:"Name"`
}

type computerJSON struct {
	ID                     int              `json:"Id"`
	Client                 ref              `json:"Client"`
	Location               ref              `json:"Location"`
	ComputerName           string           `json:"ComputerName"`
	OperatingSystemName    string           `json:"OperatingSystemName"`
	OperatingSystemVersion string           `json:"OperatingSystemVersion"`
	DomainName             string           `json:"DomainName"`
	RemoteAgentLastContact string           `json:"RemoteAgentLastContact"`
	Status                 string           `json:"Status"`
	Type                   string           `json:"Type"`
	IsVirtualMachine       bool             `json:"IsVirtualMachine"`
	IsMaster               bool             `json:"IsMaster"`
	IsNetworkProbe         bool             `json:"IsNetworkProbe"`
	SerialNumber           string           `json:"SerialNumber"`
	MACAddress             string           `json:"MACAddress"`
	LocalIPAddress         string           `json:"LocalIPAddress"`
	GatewayIPAddress       string           `json:"GatewayIPAddress"`
	AssetTag               string           `json:"AssetTag"`
	BiosManufacturer       string           `json:"BiosManufacturer"`
	BiosFlash              string           `json:"BiosFlash"`
	Model                  string           `json:"Model,omitempty"`
	TotalMemory            int64            `json:"TotalMemory"`
	FreeMemory             int64            `json:"FreeMemory"`
	LastUserName           string           `json:"LastUserName"`
	LoggedInUsers          []map[string]any `json:"LoggedInUsers"`
	WarrantyEndDate        *string          `json:"WarrantyEndDate"`
	Comment                string           `json:"Comment"`
	DateAdded              string           `json:"DateAdded"`
	RemoteAgentVersion     string           `json:"RemoteAgentVersion"`
}

func (e *Emulator) computerWire(c *Computer) computerJSON {
	loc := e.opts.Location
	j := computerJSON{
		ID: c.ID, ComputerName: c.ComputerName, OperatingSystemName: c.OperatingSystemName,
		OperatingSystemVersion: c.OperatingSystemVersion, DomainName: c.DomainName,
		RemoteAgentLastContact: c.RemoteAgentLastContact.In(loc).Format(timeLayout),
		Status:                 c.Status, Type: c.Type, IsVirtualMachine: c.IsVirtualMachine,
		SerialNumber: c.SerialNumber, MACAddress: c.MACAddress, LocalIPAddress: c.LocalIPAddress,
		GatewayIPAddress: c.GatewayIPAddress, AssetTag: c.AssetTag, BiosManufacturer: c.BiosManufacturer,
		BiosFlash: c.BiosFlash, Model: c.Model, TotalMemory: c.TotalMemory, FreeMemory: c.TotalMemory / 3,
		LastUserName: c.LastUserName, LoggedInUsers: []map[string]any{}, Comment: c.Comment,
		DateAdded: c.DateAdded.In(loc).Format(timeLayout), RemoteAgentVersion: "2024.5.112",
	}
	if cl := e.client(c.ClientID); cl != nil {
		j.Client = ref{cl.ID, cl.Name}
	}
	if l := e.location(c.LocationID); l != nil {
		j.Location = ref{l.ID, l.Name}
	}
	for i, u := range c.LoggedInUsers {
		j.LoggedInUsers = append(j.LoggedInUsers, map[string]any{"LoggedInUserName": u, "ConsoleId": i + 1})
	}
	if !c.WarrantyEndDate.IsZero() {
		s := c.WarrantyEndDate.In(loc).Format(timeLayout)
		j.WarrantyEndDate = &s
	}
	return j
}
