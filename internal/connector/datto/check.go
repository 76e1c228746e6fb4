package datto

import (
	"context"
	"fmt"
)

// Check gets an access token and reads the account with one request. A
// refused key or secret wraps connector.ErrUnauthorized; an IP block is an
// *IPBlockedError.
func (s *Source) Check(ctx context.Context) error {
	if _, err := s.tokens.token(ctx); err != nil {
		return fmt.Errorf("checking the credentials: %w", err)
	}
	resp, err := s.get(ctx, s.base+"/api/v2/account")
	if err != nil {
		return fmt.Errorf("checking access to the account: %w", err)
	}
	_ = resp.Body.Close()
	return nil
}
