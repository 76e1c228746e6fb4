package exchange

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/url"
	"strings"

	"github.com/integrator-oss/integrator/internal/connector"
	"github.com/integrator-oss/integrator/internal/connector/msgraph"
)

// mailboxRef is one mailbox to read.
type mailboxRef struct {
	id, upn string
	// entry is the configured entry that named it (list source).
	entry string
	// optional says a user without a mailbox is skipped, not failed
	// (source all: not every user with a mail address has a mailbox).
	optional bool
}

// name is how the mailbox is named in reports.
func (m mailboxRef) name() string {
	if m.upn != "" {
		return m.upn
	}
	if m.entry != "" {
		return m.entry
	}
	return m.id
}

// directoryUser is what the connector reads of a user.
type directoryUser struct {
	Type string `json:"@odata.type"`
	ID   string `json:"id"`
	UPN  string `json:"userPrincipalName"`
	Mail string `json:"mail"`
}

const userSelect = "$select=id,userPrincipalName,mail"

// mailboxes lists the mailboxes to read. Entries of the configured list
// that the cursor does not know come back without an ID: the worker that
// reads them looks them up first. A group or user listing that fails fails
// the fetch.
func (s *Source) mailboxes(ctx context.Context, cur *cursor) ([]mailboxRef, error) {
	switch s.cfg.MailboxSource {
	case SourceGroup:
		refs, err := s.listUsers(ctx, s.client.Base()+"/groups/"+url.PathEscape(s.cfg.MailboxGroup)+"/members?"+userSelect+"&$top=999", false)
		if err != nil {
			return nil, fmt.Errorf("listing the members of group %s: %w", s.cfg.MailboxGroup, err)
		}
		return refs, nil
	case SourceAll:
		refs, err := s.listUsers(ctx, s.client.Base()+"/users?"+userSelect+"&$top=999", true)
		if err != nil {
			return nil, fmt.Errorf("listing users: %w", err)
		}
		return refs, nil
	}
	known := map[string]mailboxRef{}
	for id, st := range cur.Mailboxes {
		if st.Entry != "" {
			known[strings.ToLower(st.Entry)] = mailboxRef{id: id, upn: st.UPN, entry: st.Entry}
		}
	}
	var refs []mailboxRef
	seen := map[string]bool{}
	for _, entry := range s.cfg.Mailboxes {
		entry = strings.TrimSpace(entry)
		ref, ok := known[strings.ToLower(entry)]
		if !ok {
			ref = mailboxRef{entry: entry}
		}
		key := strings.ToLower(entry)
		if ref.id != "" {
			key = ref.id
		}
		if !seen[key] {
			seen[key] = true
			refs = append(refs, ref)
		}
	}
	return refs, nil
}

// lookupUser reads one user by object ID or user principal name.
func (s *Source) lookupUser(ctx context.Context, key string) (directoryUser, error) {
	var u directoryUser
	resp, err := s.client.Get(ctx, s.client.Base()+"/users/"+url.PathEscape(key)+"?"+userSelect)
	if err != nil {
		return u, err
	}
	defer func() { _ = resp.Body.Close() }()
	if err := json.NewDecoder(resp.Body).Decode(&u); err != nil {
		return u, fmt.Errorf("decoding user %s: %w", key, err)
	}
	if u.ID == "" {
		return u, fmt.Errorf("user %s came back without an id", key)
	}
	return u, nil
}

// listUsers pages through a user listing. withMail keeps only users with a
// mail address (source all) and marks their mailboxes optional.
func (s *Source) listUsers(ctx context.Context, link string, withMail bool) ([]mailboxRef, error) {
	var refs []mailboxRef
	seen := map[string]bool{}
	for n := 1; link != ""; n++ {
		resp, err := s.client.Get(ctx, link)
		if err != nil {
			return nil, fmt.Errorf("page %d (%s): %w", n, msgraph.LinkPath(link), err)
		}
		l, err := msgraph.DecodeCollection(resp.Body, func(dec *json.Decoder) error {
			var u directoryUser
			if err := dec.Decode(&u); err != nil {
				return err
			}
			if u.Type != "" && !strings.EqualFold(u.Type, "#microsoft.graph.user") {
				return nil
			}
			if u.ID == "" || seen[u.ID] || (withMail && u.Mail == "") {
				return nil
			}
			seen[u.ID] = true
			refs = append(refs, mailboxRef{id: u.ID, upn: u.UPN, optional: withMail})
			return nil
		})
		_ = resp.Body.Close()
		if err != nil {
			if msgraph.CutShort(err) {
				return nil, &connector.RetryableError{Err: fmt.Errorf("reading page %d: %w", n, err)}
			}
			return nil, fmt.Errorf("decoding page %d: %w", n, err)
		}
		link = l.Next
	}
	return refs, nil
}

// noMailbox reports Graph's answer for a user without an Exchange Online
// mailbox.
func noMailbox(err error) bool {
	var gerr *msgraph.GraphError
	return errors.As(err, &gerr) && gerr.StatusCode == 404 &&
		(strings.EqualFold(gerr.Code, "MailboxNotEnabledForRESTAPI") || strings.EqualFold(gerr.Code, "ResourceNotFound"))
}
