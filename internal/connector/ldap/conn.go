package ldap

import (
	"context"
	"crypto/tls"
	"errors"
	"fmt"
	"net"
	"net/url"
	"strconv"
	"strings"
	"time"

	goldap "github.com/go-ldap/ldap/v3"

	"github.com/integrator-oss/integrator/internal/connector"
)

// tlsConfig is the TLS client configuration of ldaps:// and StartTLS.
func (c Config) tlsConfig() (*tls.Config, error) {
	u, err := url.Parse(c.URL)
	if err != nil {
		return nil, fmt.Errorf("url: %w", err)
	}
	tc := &tls.Config{MinVersion: tls.VersionTLS12, ServerName: u.Hostname()}
	if c.ServerName != "" {
		tc.ServerName = c.ServerName
	}
	if c.CAFile != "" {
		pool, err := loadCAPool(c.CAFile)
		if err != nil {
			return nil, fmt.Errorf("ca_file: %w", err)
		}
		tc.RootCAs = pool
	}
	tc.InsecureSkipVerify = c.InsecureSkipVerify //nolint:gosec // an explicit, documented lab option.
	return tc, nil
}

// session is one bound connection for the length of one Fetch or Check.
type session struct {
	conn *goldap.Conn
	cfg  Config
	stop func() bool
	// requests counts LDAP operations, for Progress.
	requests int
	onOp     func(int)
}

// dial connects, upgrades with StartTLS when asked, and binds. The
// connection closes when ctx is done, which unblocks any operation.
func (s *Source) dial(ctx context.Context) (*session, error) {
	cfg := s.cfg
	d := &net.Dialer{Timeout: cfg.Timeout}
	conn, err := goldap.DialURL(cfg.URL, goldap.DialWithDialer(d), goldap.DialWithTLSConfig(s.tls.Clone()))
	if err != nil {
		return nil, classify(fmt.Errorf("connecting to %s: %w", redactURL(cfg.URL), err))
	}
	conn.SetTimeout(cfg.Timeout)
	if cfg.StartTLS {
		if err := conn.StartTLS(s.tls.Clone()); err != nil {
			_ = conn.Close()
			return nil, classify(fmt.Errorf("StartTLS with %s: %w", redactURL(cfg.URL), err))
		}
	}
	if err := conn.Bind(cfg.BindDN, cfg.BindPassword.Reveal()); err != nil {
		_ = conn.Close()
		if goldap.IsErrorAnyOf(err, goldap.LDAPResultInvalidCredentials) {
			return nil, fmt.Errorf("binding as %q to %s: %w (check bind_dn and bind_password; %s)",
				cfg.BindDN, redactURL(cfg.URL), connector.ErrUnauthorized, ldapMessage(err))
		}
		if goldap.IsErrorAnyOf(err, goldap.LDAPResultStrongAuthRequired, goldap.LDAPResultConfidentialityRequired) {
			return nil, fmt.Errorf("binding as %q to %s: the server requires an encrypted connection (use ldaps:// or start_tls: true): %w",
				cfg.BindDN, redactURL(cfg.URL), connector.ErrForbidden)
		}
		return nil, classify(fmt.Errorf("binding as %q to %s: %w", cfg.BindDN, redactURL(cfg.URL), err))
	}
	stop := context.AfterFunc(ctx, func() { _ = conn.Close() })
	return &session{conn: conn, cfg: cfg, stop: stop}, nil
}

func (ss *session) close() {
	ss.stop()
	_ = ss.conn.Close()
}

// ldapMessage is the server's result text of an LDAP error, without the
// request it answered.
func ldapMessage(err error) string {
	var le *goldap.Error
	if errors.As(err, &le) {
		name := goldap.LDAPResultCodeMap[le.ResultCode]
		if le.Err != nil {
			return fmt.Sprintf("%s: %v", name, le.Err)
		}
		return name
	}
	return err.Error()
}

// redactURL drops any userinfo from an LDAP URL.
func redactURL(raw string) string {
	u, err := url.Parse(raw)
	if err != nil {
		return "the configured url"
	}
	u.User = nil
	return u.String()
}

// classify wraps errors that may go away by themselves (a server down, a
// timeout, a cut connection, busy or unavailable) as retryable.
func classify(err error) error {
	if err == nil {
		return nil
	}
	var ne net.Error
	switch {
	case errors.Is(err, context.Canceled), errors.Is(err, context.DeadlineExceeded):
		return err
	case goldap.IsErrorAnyOf(err, goldap.ErrorNetwork, goldap.LDAPResultBusy, goldap.LDAPResultUnavailable,
		goldap.LDAPResultServerDown, goldap.LDAPResultTimeout, goldap.LDAPResultTimeLimitExceeded):
		return &connector.RetryableError{Err: err}
	case errors.As(err, &ne), errors.Is(err, net.ErrClosed):
		return &connector.RetryableError{Err: err}
	case goldap.IsErrorAnyOf(err, goldap.LDAPResultInsufficientAccessRights):
		return fmt.Errorf("%w: %w", connector.ErrForbidden, err)
	}
	return err
}

// opErr names a failed operation and classifies it; a cancelled context
// wins over the error the closed connection caused.
func (ss *session) opErr(ctx context.Context, err error, format string, args ...any) error {
	if cerr := ctx.Err(); cerr != nil {
		return cerr
	}
	return classify(fmt.Errorf(format+": %w", append(args, err)...))
}

// op counts one LDAP request.
func (ss *session) op() {
	ss.requests++
	if ss.onOp != nil {
		ss.onOp(ss.requests)
	}
}

// base reads one entry (scope base); nil when it does not exist.
func (ss *session) base(ctx context.Context, dn string, attrs []string, controls ...goldap.Control) (*goldap.Entry, error) {
	ss.op()
	req := goldap.NewSearchRequest(dn, goldap.ScopeBaseObject, goldap.NeverDerefAliases, 0, int(ss.cfg.Timeout/time.Second), false,
		"(objectClass=*)", attrs, controls)
	res, err := ss.conn.Search(req)
	if err != nil {
		if goldap.IsErrorAnyOf(err, goldap.LDAPResultNoSuchObject) {
			return nil, nil
		}
		return nil, ss.opErr(ctx, err, "reading %q", dn)
	}
	if len(res.Entries) == 0 {
		return nil, nil
	}
	return res.Entries[0], nil
}

// search is one paged search: fn gets each page's entries as they arrive.
// Search result references (AD's referrals to the configuration and DNS
// partitions) are skipped. Any failure, on any page, fails the search.
func (ss *session) search(ctx context.Context, base, filter string, attrs []string, fn func([]*goldap.Entry) error, controls ...goldap.Control) error {
	paging := goldap.NewControlPaging(uint32(ss.cfg.PageSize))
	req := goldap.NewSearchRequest(base, goldap.ScopeWholeSubtree, goldap.NeverDerefAliases, 0, int(ss.cfg.Timeout/time.Second), false,
		filter, attrs, append([]goldap.Control{paging}, controls...))
	for page := 1; ; page++ {
		if err := ctx.Err(); err != nil {
			return err
		}
		ss.op()
		res, err := ss.conn.Search(req)
		if err != nil {
			if goldap.IsErrorAnyOf(err, goldap.LDAPResultNoSuchObject) && page == 1 {
				return fmt.Errorf("searching %q: the base DN does not exist (check base_dns): %w", base, err)
			}
			if goldap.IsErrorAnyOf(err, goldap.LDAPResultSizeLimitExceeded) {
				return fmt.Errorf("searching %q (page %d): the server caps the entries this account may read in one search; "+
					"lift the limit for the service account (OpenLDAP: limits dn.exact=\"<bind_dn>\" size.prtotal=unlimited): %w", base, page, err)
			}
			return ss.opErr(ctx, err, "searching %q for %s (page %d)", base, filter, page)
		}
		if len(res.Entries) > 0 {
			if err := fn(res.Entries); err != nil {
				return err
			}
		}
		ctrl, _ := goldap.FindControl(res.Controls, goldap.ControlTypePaging).(*goldap.ControlPaging)
		if ctrl == nil || len(ctrl.Cookie) == 0 {
			return nil
		}
		paging.SetCookie(ctrl.Cookie)
	}
}

// rangedValues completes a multi-valued attribute that the server returned
// in ranges (AD's "member;range=0-1499"): it asks for the next range until
// the server answers with a range ending in "*". first are the values the
// search already returned and next the low bound to ask for, or -1 when
// they were complete.
func (ss *session) rangedValues(ctx context.Context, dn, attr string, first []string, next int) ([]string, error) {
	values := first
	for next >= 0 {
		want := fmt.Sprintf("%s;range=%d-%d", attr, next, next+ss.cfg.MemberRangeSize-1)
		e, err := ss.base(ctx, dn, []string{want})
		if err != nil {
			return nil, fmt.Errorf("reading %s of %q from %d: %w", attr, dn, next, err)
		}
		if e == nil {
			return nil, fmt.Errorf("reading %s of %q from %d: the entry is gone", attr, dn, next)
		}
		vals, nxt, ok := rangeOf(e, attr)
		if !ok {
			// No ranged attribute: the remaining range is empty.
			return values, nil
		}
		values = append(values, vals...)
		if nxt >= 0 && nxt <= next {
			return nil, fmt.Errorf("reading %s of %q: the server's range does not advance past %d", attr, dn, next)
		}
		next = nxt
	}
	return values, nil
}

// rangeOf finds attr's values in e, plain or ranged. next is the low bound
// of the following range, -1 when these were the last values.
func rangeOf(e *goldap.Entry, attr string) (values []string, next int, ok bool) {
	for _, a := range e.Attributes {
		name, opts, _ := strings.Cut(a.Name, ";")
		if !strings.EqualFold(name, attr) {
			continue
		}
		if opts == "" {
			return a.Values, -1, true
		}
		for _, o := range strings.Split(opts, ";") {
			r, found := strings.CutPrefix(strings.ToLower(o), "range=")
			if !found {
				continue
			}
			_, hi, _ := strings.Cut(r, "-")
			if hi == "*" {
				return a.Values, -1, true
			}
			n, err := strconv.Atoi(hi)
			if err != nil {
				return a.Values, -1, true
			}
			return a.Values, n + 1, true
		}
		return a.Values, -1, true
	}
	return nil, -1, false
}
