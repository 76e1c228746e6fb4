package graph

import (
	"fmt"
	"slices"
)

// Phone is one entry of an organisational contact's phones. Field names
// follow Graph's phone resource.
type Phone struct {
	// Type is "business", "mobile" or "businessFax".
	Type   string
	Number string
}

// Address is one entry of an organisational contact's addresses (Graph's
// physicalOfficeAddress).
type Address struct {
	Street          string
	City            string
	State           string
	PostalCode      string
	CountryOrRegion string
	OfficeLocation  string
}

// Contact is an organisational contact (Graph orgContact): a person outside
// the tenant listed in its address book. Field names follow Graph.
type Contact struct {
	ID          string
	DisplayName string
	GivenName   string
	Surname     string
	Mail        string
	// MailNickname defaults to the local part of Mail.
	MailNickname string
	CompanyName  string
	JobTitle     string
	Department   string
	Phones       []Phone
	Addresses    []Address
	// ProxyAddresses defaults to ["SMTP:" + Mail] when Mail is set.
	ProxyAddresses []string
	// OnPremisesSyncEnabled marks a contact synced from on-premises
	// Active Directory; its onPremisesLastSyncDateTime is the time of its
	// last change.
	OnPremisesSyncEnabled bool
}

func (c *Contact) equal(o *Contact) bool {
	return c.ID == o.ID && c.DisplayName == o.DisplayName && c.GivenName == o.GivenName &&
		c.Surname == o.Surname && c.Mail == o.Mail && c.MailNickname == o.MailNickname &&
		c.CompanyName == o.CompanyName && c.JobTitle == o.JobTitle && c.Department == o.Department &&
		slices.Equal(c.Phones, o.Phones) && slices.Equal(c.Addresses, o.Addresses) &&
		slices.Equal(c.ProxyAddresses, o.ProxyAddresses) && c.OnPremisesSyncEnabled == o.OnPremisesSyncEnabled
}

// clone copies c with slices of its own, so callers never share them with
// the stored record.
func (c Contact) clone() Contact {
	c.Phones = slices.Clone(c.Phones)
	c.Addresses = slices.Clone(c.Addresses)
	c.ProxyAddresses = slices.Clone(c.ProxyAddresses)
	return c
}

// contactRec is the stored form of a contact. Like users, records are never
// removed from the slice; a deleted contact stays as a tombstone until
// Generate.
type contactRec struct {
	Contact
	changed int64  // unix seconds of the last change
	seq     uint64 // change sequence of the last change
	state   objState
}

// setFields copies c into the record, filling the defaults Exchange fills.
func (r *contactRec) setFields(c *Contact) {
	id := r.ID
	r.Contact = c.clone()
	r.ID = id
	if r.MailNickname == "" {
		r.MailNickname = localPart(r.Mail)
	}
	if r.ProxyAddresses == nil && r.Mail != "" {
		r.ProxyAddresses = []string{"SMTP:" + r.Mail}
	}
}

// touchContact records a change of contact i under e.mu.
func (e *Emulator) touchContact(i int32) {
	e.seq++
	c := &e.contacts[i]
	c.seq, c.changed = e.seq, e.opts.Now().Unix()
	e.changes = append(e.changes, uint32(i)|contactBit)
}

func (e *Emulator) activeContact(id string) (int32, bool) {
	i, ok := e.contactIdx[id]
	return i, ok && e.contacts[i].state == stateActive
}

// AddContact creates an organisational contact and returns its ID
// (generated when c.ID is empty). Adding an ID that already exists replaces
// that contact's fields and makes it active again.
func (e *Emulator) AddContact(c Contact) string {
	e.mu.Lock()
	defer e.mu.Unlock()
	if c.ID == "" {
		c.ID = e.newID()
	}
	if i, ok := e.contactIdx[c.ID]; ok {
		r := &e.contacts[i]
		r.setFields(&c)
		r.state = stateActive
		e.touchContact(i)
		return c.ID
	}
	e.appendContact(&c)
	return c.ID
}

// appendContact stores a new contact under e.mu and records its creation.
func (e *Emulator) appendContact(c *Contact) int32 {
	i := int32(len(e.contacts))
	e.contacts = append(e.contacts, contactRec{Contact: Contact{ID: c.ID}})
	e.contacts[i].setFields(c)
	e.contactIdx[c.ID] = i
	e.touchContact(i)
	return i
}

// UpdateContact applies fn to an active contact; the ID cannot be changed.
// A change that leaves the contact as it was is not a change: delta rounds
// do not report it.
func (e *Emulator) UpdateContact(id string, fn func(*Contact)) error {
	e.mu.Lock()
	defer e.mu.Unlock()
	i, ok := e.activeContact(id)
	if !ok {
		return fmt.Errorf("updating contact %q: %w", id, ErrNotFound)
	}
	r := &e.contacts[i]
	before := r.Contact.clone()
	after := r.Contact.clone()
	fn(&after)
	after.ID = id
	if after.equal(&before) {
		return nil
	}
	r.setFields(&after)
	e.touchContact(i)
	return nil
}

// DeleteContact deletes an organisational contact. Contacts have no
// deleted-items stage in Entra ID: delta rounds report it with
// "@removed": {"reason": "deleted"}.
func (e *Emulator) DeleteContact(id string) error {
	e.mu.Lock()
	defer e.mu.Unlock()
	i, ok := e.activeContact(id)
	if !ok {
		return fmt.Errorf("deleting contact %q: %w", id, ErrNotFound)
	}
	e.contacts[i].state = stateDeleted
	e.touchContact(i)
	return nil
}

// Contacts returns copies of the active contacts in creation order.
func (e *Emulator) Contacts() []Contact {
	e.mu.RLock()
	defer e.mu.RUnlock()
	out := make([]Contact, 0, len(e.contacts))
	for i := range e.contacts {
		if e.contacts[i].state == stateActive {
			out = append(out, e.contacts[i].Contact.clone())
		}
	}
	return out
}

// ContactByID returns an active contact.
func (e *Emulator) ContactByID(id string) (Contact, bool) {
	e.mu.RLock()
	defer e.mu.RUnlock()
	i, ok := e.activeContact(id)
	if !ok {
		return Contact{}, false
	}
	return e.contacts[i].Contact.clone(), true
}

// ContactCount returns the number of active contacts.
func (e *Emulator) ContactCount() int {
	e.mu.RLock()
	defer e.mu.RUnlock()
	return e.contactCountLocked()
}

func (e *Emulator) contactCountLocked() int {
	n := 0
	for i := range e.contacts {
		if e.contacts[i].state == stateActive {
			n++
		}
	}
	return n
}
