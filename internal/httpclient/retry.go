package httpclient

import (
	"bytes"
	"crypto/tls"
	"crypto/x509"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"

	"github.com/integrator-oss/integrator/internal/connector"
)

// StatusError is a response whose status the client retried until it gave
// up. It is always returned wrapped in a *connector.RetryableError.
type StatusError struct {
	Method string
	// URL is the request URL without its query string.
	URL        string
	StatusCode int
	Attempts   int
}

func (e *StatusError) Error() string {
	return fmt.Sprintf("%s %s: %d %s after %d attempts", e.Method, e.URL, e.StatusCode, http.StatusText(e.StatusCode), e.Attempts)
}

// Do sends req and returns its response, retrying on the way:
//
//   - 429, 500, 502, 503 and 504 are retried for any method whose body can
//     be replayed, after the response's Retry-After (seconds or an HTTP
//     date) or else after an exponential backoff with jitter;
//   - transport errors (refused or reset connections, timeouts) are retried
//     for GET, HEAD and OPTIONS only; certificate errors are never retried;
//   - a 4xx response that Options.Throttled recognises is retried like a 429;
//   - every other response, 4xx included, is returned to the caller as is.
//
// When retries run out, or the next wait would take the request's total
// waiting past the cap, Do returns an error wrapping a
// *connector.RetryableError (whose After is the server's last Retry-After).
// Errors name the method and the URL without its query, never headers or
// bodies. A cancelled context ends Do at once with the context's error.
func (c *Client) Do(req *http.Request) (*http.Response, error) {
	ctx := req.Context()
	hooks := hooksFrom(ctx)
	var waited time.Duration
	for attempt := 1; ; attempt++ {
		r, err := c.attemptRequest(req, attempt)
		if err != nil {
			return nil, err
		}
		if c.limiter != nil {
			if err := c.limiter.Wait(ctx); err != nil {
				return nil, fmt.Errorf("waiting for the request rate limit: %w", err)
			}
		}
		if hooks.OnRequest != nil {
			hooks.OnRequest()
		}
		resp, err := c.hc.Do(r)

		var (
			cause      error
			delay      time.Duration
			status     int
			retryAfter bool
			canRetry   bool
		)
		switch {
		case err != nil:
			if ctxErr := ctx.Err(); ctxErr != nil {
				return nil, ctxErr
			}
			cause = fmt.Errorf("%s %s: %w", req.Method, redactURL(req.URL), transportError(err))
			if permanent(err) {
				return nil, cause
			}
			canRetry = idempotent(req.Method)
			delay = c.backoff(attempt)
		case retryableStatus(resp.StatusCode) || c.isThrottled(resp):
			status = resp.StatusCode
			delay, retryAfter = parseRetryAfter(resp.Header.Get("Retry-After"), c.now())
			discard(resp)
			cause = &StatusError{Method: req.Method, URL: redactURL(req.URL), StatusCode: status, Attempts: attempt}
			canRetry = replayable(req)
			if !retryAfter {
				delay = c.backoff(attempt)
			}
		default:
			return resp, nil
		}

		var after time.Duration
		if retryAfter {
			after = delay
		}
		if !canRetry || attempt > c.maxRetries {
			return nil, giveUp(cause, attempt, after)
		}
		if waited+delay > c.maxWait {
			return nil, giveUp(fmt.Errorf("%w (next wait %s would exceed %s of waiting)", cause, delay, c.maxWait), attempt, after)
		}
		w := Wait{Delay: delay, Attempt: attempt, StatusCode: status, RetryAfter: retryAfter}
		c.logger.Info("retrying request", "method", req.Method, "url", redactURL(req.URL), "status", status, "attempt", attempt, "wait", delay)
		if hooks.OnWait != nil {
			hooks.OnWait(w)
		}
		if err := c.sleep(ctx, delay); err != nil {
			return nil, err
		}
		waited += delay
	}
}

// isThrottled offers a 4xx response to Options.Throttled. It reads up to
// 64 KiB of the body and puts it back in front of the rest, so a response
// that is not throttling reaches the caller unchanged.
func (c *Client) isThrottled(resp *http.Response) bool {
	if c.throttled == nil || resp.StatusCode < 400 || resp.StatusCode > 499 || resp.StatusCode == http.StatusTooManyRequests {
		return false
	}
	head, err := io.ReadAll(io.LimitReader(resp.Body, 64<<10))
	resp.Body = &replayBody{Reader: io.MultiReader(bytes.NewReader(head), resp.Body), Closer: resp.Body}
	if err != nil {
		return false
	}
	return c.throttled(resp.StatusCode, resp.Header, head)
}

// replayBody is a response body whose first bytes were read ahead.
type replayBody struct {
	io.Reader
	io.Closer
}

// attemptRequest returns the request to send for the given attempt: req
// itself first, then clones with a fresh body.
func (c *Client) attemptRequest(req *http.Request, attempt int) (*http.Request, error) {
	if attempt == 1 || req.Body == nil || req.Body == http.NoBody {
		return req, nil
	}
	body, err := req.GetBody()
	if err != nil {
		return nil, fmt.Errorf("replaying the body of %s %s: %w", req.Method, redactURL(req.URL), err)
	}
	r := req.Clone(req.Context())
	r.Body = body
	return r, nil
}

// giveUp wraps the last failure so that the job engine retries the run.
func giveUp(cause error, attempts int, after time.Duration) error {
	var se *StatusError
	if !errors.As(cause, &se) {
		cause = fmt.Errorf("%w (after %d attempts)", cause, attempts)
	}
	return &connector.RetryableError{Err: cause, After: after}
}

func (c *Client) backoff(attempt int) time.Duration {
	d := c.maxDelay
	if shift := attempt - 1; shift < 32 {
		if step := c.baseDelay << shift; step > 0 && step < d {
			d = step
		}
	}
	// Equal jitter: at least half the step, so waits still grow.
	half := d / 2
	return half + time.Duration(c.jitter()*float64(d-half))
}

func retryableStatus(code int) bool {
	switch code {
	case http.StatusTooManyRequests, http.StatusInternalServerError, http.StatusBadGateway,
		http.StatusServiceUnavailable, http.StatusGatewayTimeout:
		return true
	}
	return false
}

func idempotent(method string) bool {
	switch method {
	case http.MethodGet, http.MethodHead, http.MethodOptions:
		return true
	}
	return false
}

func replayable(req *http.Request) bool {
	return req.Body == nil || req.Body == http.NoBody || req.GetBody != nil
}

// parseRetryAfter reads a Retry-After value: delay-seconds or an HTTP date.
func parseRetryAfter(v string, now time.Time) (time.Duration, bool) {
	v = strings.TrimSpace(v)
	if v == "" {
		return 0, false
	}
	if secs, err := strconv.ParseFloat(v, 64); err == nil {
		if secs < 0 || secs > float64(24*time.Hour/time.Second) {
			return 0, false
		}
		return time.Duration(secs * float64(time.Second)), true
	}
	if t, err := http.ParseTime(v); err == nil {
		return max(t.Sub(now), 0), true
	}
	return 0, false
}

// discard drains a little of a response we will not use, so that its
// connection can be reused, and closes it.
func discard(resp *http.Response) {
	_, _ = io.CopyN(io.Discard, resp.Body, 64<<10)
	_ = resp.Body.Close()
}

// transportError strips the *url.Error that http.Client adds: its message
// carries the full URL, query included.
func transportError(err error) error {
	var ue *url.Error
	if errors.As(err, &ue) {
		return ue.Err
	}
	return err
}

// permanent reports transport errors that another attempt cannot fix: a
// certificate the client does not trust.
func permanent(err error) bool {
	var verr *tls.CertificateVerificationError
	var uerr x509.UnknownAuthorityError
	var herr x509.HostnameError
	var cerr x509.CertificateInvalidError
	return errors.As(err, &verr) || errors.As(err, &uerr) || errors.As(err, &herr) || errors.As(err, &cerr)
}

// redactURL is u without user info, query or fragment.
func redactURL(u *url.URL) string {
	if u == nil {
		return ""
	}
	r := url.URL{Scheme: u.Scheme, Host: u.Host, Path: u.Path}
	return r.String()
}

// RedactURL returns u without user info, query or fragment: safe for logs
// and errors even when the query carries tokens.
func RedactURL(u *url.URL) string { return redactURL(u) }
