package ldap

import (
	"context"
	"fmt"
	"slices"

	goldap "github.com/go-ldap/ldap/v3"
)

// Check connects, binds, reads the rootDSE and reads each base DN: a
// refused bind wraps connector.ErrUnauthorized, a missing base DN or an
// unreadable one is named.
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
