package cwautomate

import (
	"context"
	"fmt"
)

// Check logs in and reads the server time and one client with one request
// each. Refused credentials or client ID wrap connector.ErrUnauthorized.
func (s *Source) Check(ctx context.Context) error {
	if _, err := s.tokens.token(ctx); err != nil {
		return fmt.Errorf("checking the credentials: %w", err)
	}
	for _, p := range []string{"/DatabaseServerTime", "/clients?pageSize=1"} {
		resp, err := s.get(ctx, p)
		if err != nil {
			return fmt.Errorf("checking access to %s: %w", p, err)
		}
		_ = resp.Body.Close()
	}
	return nil
}
