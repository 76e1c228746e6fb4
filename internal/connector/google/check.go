package google

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"strings"
)

// Check gets an access token for the subject and reads one user and one
// group. A refused grant wraps connector.ErrUnauthorized and says what to
// fix; a refused read wraps connector.ErrForbidden and names the scope or
// the admin right it needs.
func (s *Source) Check(ctx context.Context) error {
	if _, err := s.tokens.token(ctx); err != nil {
		return fmt.Errorf("checking the credentials: %w", err)
	}
	probes := []struct {
		what string
		call func() error
	}{
		{"users", func() error {
			_, err := s.usersCall().MaxResults(1).Fields("users(id)").Context(ctx).Do()
			return err
		}},
		{"groups", func() error {
			_, err := s.groupsCall().MaxResults(1).Fields("groups(id)").Context(ctx).Do()
			return err
		}},
	}
	for _, p := range probes {
		err := apiError(ctx, p.call())
		if err == nil {
			continue
		}
		var ae *APIError
		if errors.As(err, &ae) && ae.StatusCode == http.StatusForbidden {
			hint := fmt.Sprintf("the subject %s must be an administrator allowed to read %s", s.subject, p.what)
			if ae.Reason == "insufficientPermissions" {
				hint = "delegate the scopes " + strings.Join(Scopes, ",") + " to the service account"
			}
			return fmt.Errorf("checking access to %s: %s: %w", p.what, hint, err)
		}
		return fmt.Errorf("checking access to %s: %w", p.what, err)
	}
	return nil
}
