package entra

import (
	"context"
	"log/slog"
	"net/http"

	"github.com/integrator-oss/integrator/internal/connector"
	"github.com/integrator-oss/integrator/internal/connector/msgraph"
	"github.com/integrator-oss/integrator/internal/httpclient"
)

// Source is an opened entra connector: it streams the tenant's groups,
// users and organisational contacts from Microsoft Graph delta queries.
type Source struct {
	logger *slog.Logger
	// graph is the Graph base URL without a trailing slash.
	graph  string
	http   *httpclient.Client
	client *msgraph.Client
}

var (
	_ connector.Source  = (*Source)(nil)
	_ connector.Checker = (*Source)(nil)
	_ connector.Closer  = (*Source)(nil)
)

// Close releases idle connections. It is safe to call more than once.
func (s *Source) Close() error {
	s.http.CloseIdleConnections()
	return nil
}

// get sends an authorised GET for rawURL, an absolute Graph URL; see
// msgraph.Client.Get.
func (s *Source) get(ctx context.Context, rawURL string) (*http.Response, error) {
	return s.client.Get(ctx, rawURL)
}

// GraphError is an error response from Microsoft Graph. It wraps
// connector.ErrUnauthorized for 401 and connector.ErrForbidden for 403.
type GraphError = msgraph.GraphError

// TokenError is the token endpoint's refusal of a token request. It wraps
// connector.ErrUnauthorized when the credentials themselves were refused.
type TokenError = msgraph.TokenError
