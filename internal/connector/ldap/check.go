package ldap

import (
	"context"
	"errors"
	"fmt"
	"slices"

	goldap "github.com/go-ldap/ldap/v3"

	"github.com/integrator-oss/integrator/internal/connector"
)

// Check connects, binds, reads the rootDSE and reads each base DN: a
// refused bind wraps connector.ErrUnauthorized, a missing base DN or an
// unreadable one is named. For AD it also logs a warning when the account
// cannot list the tombstones that deltas learn deletions from.
func (s *Source) Check(ctx context.Context) error {
	ss, err := s.dial(ctx)
	if err != nil {
		return err
	}
	defer ss.close()
	root, err := ss.readRootDSE(ctx)
	if err != nil {
		return err
	}
	for _, base := range root.baseDNs {
		e, err := ss.base(ctx, base, []string{"1.1"})
		if err != nil {
			return fmt.Errorf("checking base DN %q: %w", base, err)
		}
		if e == nil {
			return fmt.Errorf("checking base DN %q: it does not exist, or the service account cannot read it", base)
		}
	}
	if root.dialect == DialectAD && root.domain != "" {
		ok, err := ss.canListDeleted(ctx, root.domain)
		if err != nil {
			return err
		}
		if !ok {
			s.logger.Warn("the service account cannot list CN=Deleted Objects (it needs List Contents there): deletions will be found by full runs only",
				"container", "CN=Deleted Objects,"+root.domain)
		}
	}
	s.logger.Debug("check passed", "dialect", root.dialect, "base_dns", root.baseDNs, "dc", root.dnsHostName)
	return nil
}

// OrgUnits lists the DNs of the organisational units under the base DNs,
// sorted, for the console's OU mapping picker. It emits no records.
func (s *Source) OrgUnits(ctx context.Context) ([]string, error) {
	ss, err := s.dial(ctx)
	if err != nil {
		return nil, err
	}
	defer ss.close()
	root, err := ss.readRootDSE(ctx)
	if err != nil {
		return nil, err
	}
	var out []string
	for _, base := range root.baseDNs {
		err := ss.search(ctx, base, "(objectClass=organizationalUnit)", []string{"1.1"}, func(entries []*goldap.Entry) error {
			for _, e := range entries {
				out = append(out, e.DN)
			}
			return nil
		})
		if err != nil {
			return nil, fmt.Errorf("listing organisational units: %w", err)
		}
	}
	slices.Sort(out)
	return slices.Compact(out), nil
}

// canListDeleted reports whether the account sees the domain's Deleted
// Objects container with the Show Deleted control. The container's
// default rights let only administrators read it; an account that cannot
// read it cannot list the tombstones in it either.
func (ss *session) canListDeleted(ctx context.Context, domain string) (bool, error) {
	e, err := ss.base(ctx, "CN=Deleted Objects,"+domain, []string{"objectClass"}, goldap.NewControlMicrosoftShowDeleted())
	if err != nil {
		if goldap.IsErrorAnyOf(err, goldap.LDAPResultInsufficientAccessRights) || errors.Is(err, connector.ErrForbidden) {
			return false, nil
		}
		return false, fmt.Errorf("reading CN=Deleted Objects: %w", err)
	}
	return e != nil && len(e.GetAttributeValues("objectClass")) > 0, nil
}
