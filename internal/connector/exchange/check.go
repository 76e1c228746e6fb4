package exchange

import (
	"context"
	"fmt"
	"net/url"
	"time"
)

// Check gets an access token, finds one mailbox the configuration names
// and reads one event of its calendar. A refused credential wraps
// connector.ErrUnauthorized; a missing permission wraps
// connector.ErrForbidden and names the permission to grant.
func (s *Source) Check(ctx context.Context) error {
	if _, err := s.client.Token(ctx); err != nil {
		return fmt.Errorf("checking the credentials: %w", err)
	}
	var key, what string
	switch s.cfg.MailboxSource {
	case SourceGroup:
		refs, err := s.listUsers(ctx, s.client.Base()+"/groups/"+url.PathEscape(s.cfg.MailboxGroup)+"/members?"+userSelect+"&$top=1", false)
		if err != nil {
			return fmt.Errorf("checking access to the members of group %s (GroupMember.Read.All): %w", s.cfg.MailboxGroup, err)
		}
		if len(refs) == 0 {
			return nil
		}
		key, what = refs[0].id, refs[0].name()
	case SourceAll:
		resp, err := s.client.Get(ctx, s.client.Base()+"/users?$top=1&$select=id")
		if err != nil {
			return fmt.Errorf("checking access to users (User.Read.All): %w", err)
		}
		_ = resp.Body.Close()
		return nil
	default:
		key, what = s.cfg.Mailboxes[0], s.cfg.Mailboxes[0]
	}
	today := s.now().UTC().Truncate(24 * time.Hour)
	q := url.Values{"startDateTime": {today.Format(time.RFC3339)}, "endDateTime": {today.AddDate(0, 0, 1).Format(time.RFC3339)}}
	h := s.header()
	h.Set("Prefer", "odata.maxpagesize=1")
	resp, err := s.client.GetWithHeader(ctx, s.client.Base()+"/users/"+url.PathEscape(key)+"/calendarView/delta?"+q.Encode(), h)
	if err != nil {
		return fmt.Errorf("checking access to the calendar of %s (%s): %w", what, permission, err)
	}
	_ = resp.Body.Close()
	return nil
}
