// Package httpclient is the HTTP client every REST connector composes: one
// Config block (timeout, TLS, retries, rate limit) that decodes from a
// connector's configuration, and a Client that retries throttling and
// transient server failures the way vendor APIs ask (Retry-After first,
// exponential backoff with jitter otherwise).
//
// The Client never puts request headers or bodies in its errors, so an
// Authorization header or a client secret in a form body cannot leak through
// an error string. URLs in errors carry scheme, host and path only.
//
// A connector builds one Client in Open and reuses it for every request. Per
// run observers (request counts, throttling waits) travel in the request's
// context through WithHooks, so one Client can serve several runs.
package httpclient
