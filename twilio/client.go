package twilio

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"math/rand/v2"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"sync/atomic"
	"time"
)

// DefaultBaseURL is Twilio's API root. SignalWire's compatibility API is
// https://YOUR-SPACE.signalwire.com/api/laml (the /2010-04-01/... paths
// follow it).
const DefaultBaseURL = "https://api.twilio.com"

// APIVersion is the path segment every Calls request starts with.
const APIVersion = "2010-04-01"

// maxBody bounds what is read of any response: a Call is about 2 KiB.
const maxBody = 1 << 20

// Client talks to one account of a Twilio-compatible API. It is safe for
// concurrent use.
type Client struct {
	creds      Credentials
	base       string // scheme://host[/prefix], no trailing slash
	hc         *http.Client
	maxRetries int
	backoff    time.Duration
	maxBackoff time.Duration
	pace       *Pace

	requests   atomic.Int64
	retries429 atomic.Int64
	retries5xx atomic.Int64
}

// Option configures a Client.
type Option func(*Client)

// WithBaseURL points the client at a Twilio-compatible API (a fake in
// tests, SignalWire's compatibility API, a regional Twilio edge).
func WithBaseURL(u string) Option { return func(c *Client) { c.base = strings.TrimRight(u, "/") } }

// WithHTTPClient replaces http.DefaultClient (timeouts, proxies, transports).
func WithHTTPClient(hc *http.Client) Option { return func(c *Client) { c.hc = hc } }

// WithRetry sets how often a 429 or 5xx answer is retried (0: never) and
// the backoff: base·2^attempt with full jitter, at most maxBackoff. A
// Retry-After header, when the API sends one, is honoured instead.
func WithRetry(maxRetries int, base, maxBackoff time.Duration) Option {
	return func(c *Client) { c.maxRetries, c.backoff, c.maxBackoff = maxRetries, base, maxBackoff }
}

// WithPace spaces every request this client sends (including retries) by
// the pace, so the client as a whole never exceeds its rate.
func WithPace(p *Pace) Option { return func(c *Client) { c.pace = p } }

// New returns a client for creds. The base URL must be http(s) with no user
// info, query or fragment.
func New(creds Credentials, opts ...Option) (*Client, error) {
	if err := creds.Validate(); err != nil {
		return nil, err
	}
	c := &Client{
		creds:      creds,
		base:       DefaultBaseURL,
		hc:         http.DefaultClient,
		maxRetries: 4,
		backoff:    250 * time.Millisecond,
		maxBackoff: 8 * time.Second,
	}
	for _, o := range opts {
		o(c)
	}
	if err := CheckBaseURL(c.base); err != nil {
		return nil, err
	}
	return c, nil
}

// CheckBaseURL reports whether u can serve as a base URL.
func CheckBaseURL(u string) error {
	p, err := url.Parse(u)
	if err != nil {
		return fmt.Errorf("base URL: %w", err)
	}
	switch {
	case p.Scheme != "http" && p.Scheme != "https":
		return fmt.Errorf("base URL %q: want http:// or https://", u)
	case p.Host == "":
		return fmt.Errorf("base URL %q: no host", u)
	case p.User != nil:
		// Never echo u here: user info is probably a secret.
		return errors.New("base URL: user info is not allowed (credentials come from the environment)")
	case p.RawQuery != "" || p.Fragment != "":
		return fmt.Errorf("base URL %q: no query or fragment allowed", u)
	}
	return nil
}

// Credentials returns the client's credentials (which print redacted).
func (c *Client) Credentials() Credentials { return c.creds }

// Stats counts requests sent and answers retried.
type Stats struct {
	Requests   int64 // HTTP requests sent, retries included
	Retries429 int64 // 429 answers that were retried or gave up
	Retries5xx int64 // 5xx answers that were retried or gave up
}

// Retries counts the retried answers of the requests made with a context
// from WithRetries, so a caller can tell which of its calls met a 429 or a
// 5xx (the client's Stats count them all).
type Retries struct {
	TooMany atomic.Int64 // 429 answers
	Server  atomic.Int64 // 5xx answers
}

type retriesKey struct{}

// WithRetries returns a context whose requests count their retried
// answers in r.
func WithRetries(ctx context.Context, r *Retries) context.Context {
	return context.WithValue(ctx, retriesKey{}, r)
}

// Stats returns the counters so far.
func (c *Client) Stats() Stats {
	return Stats{Requests: c.requests.Load(), Retries429: c.retries429.Load(), Retries5xx: c.retries5xx.Load()}
}

// CallsURL is the Calls collection of the client's account.
func (c *Client) CallsURL() string { return CallsURL(c.base, c.creds.AccountSID) }

// CallsURL is the Calls collection of account on the API at base.
func CallsURL(base, account string) string {
	return strings.TrimRight(base, "/") + "/" + APIVersion + "/Accounts/" + url.PathEscape(account) + "/Calls.json"
}

// CallURL is one call's resource.
func CallURL(base, account, callSID string) string {
	return strings.TrimRight(base, "/") + "/" + APIVersion + "/Accounts/" + url.PathEscape(account) + "/Calls/" + url.PathEscape(callSID) + ".json"
}

// do sends one request (retrying 429 and 5xx) and decodes a 2xx JSON answer
// into out. op names the operation in errors; errors never carry the
// secret.
func (c *Client) do(ctx context.Context, op, method, u string, form url.Values, out any) error {
	err := c.try(ctx, method, u, form, out)
	if err != nil {
		return &redactedError{err: fmt.Errorf("%s: %w", op, err), creds: c.creds}
	}
	return nil
}

func (c *Client) try(ctx context.Context, method, u string, form url.Values, out any) error {
	for attempt := 0; ; attempt++ {
		if c.pace != nil {
			if err := c.pace.Wait(ctx); err != nil {
				return err
			}
		}
		status, body, retryAfter, err := c.send(ctx, method, u, form)
		if err != nil {
			return err
		}
		if status >= 200 && status < 300 {
			if out == nil {
				return nil
			}
			if err := json.Unmarshal(body, out); err != nil {
				return fmt.Errorf("decoding answer: %w", err)
			}
			return nil
		}
		apiErr := parseAPIError(status, body)
		retryable := status == http.StatusTooManyRequests || status >= 500
		if !retryable {
			return apiErr
		}
		r, _ := ctx.Value(retriesKey{}).(*Retries)
		if status == http.StatusTooManyRequests {
			c.retries429.Add(1)
			if r != nil {
				r.TooMany.Add(1)
			}
		} else {
			c.retries5xx.Add(1)
			if r != nil {
				r.Server.Add(1)
			}
		}
		if attempt >= c.maxRetries {
			return fmt.Errorf("gave up after %d attempts: %w", attempt+1, apiErr)
		}
		wait := c.backoffFor(attempt, retryAfter)
		t := time.NewTimer(wait)
		select {
		case <-ctx.Done():
			t.Stop()
			return fmt.Errorf("%w (while backing off after %v)", ctx.Err(), apiErr)
		case <-t.C:
		}
	}
}

// backoffFor is the wait before retry attempt+1: Retry-After when the API
// gave one, else a uniformly random wait in [0, base·2^attempt] capped at
// maxBackoff ("full jitter"), so many callers hitting the same limit spread
// out instead of retrying in lock step.
func (c *Client) backoffFor(attempt int, retryAfter time.Duration) time.Duration {
	if retryAfter > 0 {
		return min(retryAfter, c.maxBackoff)
	}
	ceil := c.backoff << min(attempt, 20)
	if ceil <= 0 || ceil > c.maxBackoff {
		ceil = c.maxBackoff
	}
	if ceil <= 0 {
		return 0
	}
	return time.Duration(rand.Int64N(int64(ceil) + 1))
}

// send performs one HTTP exchange.
func (c *Client) send(ctx context.Context, method, u string, form url.Values) (status int, body []byte, retryAfter time.Duration, err error) {
	var rd io.Reader
	if form != nil {
		rd = strings.NewReader(form.Encode())
	}
	req, err := http.NewRequestWithContext(ctx, method, u, rd)
	if err != nil {
		return 0, nil, 0, fmt.Errorf("building request: %w", err)
	}
	req.SetBasicAuth(c.creds.user, c.creds.secret)
	req.Header.Set("Accept", "application/json")
	if form != nil {
		req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	}
	c.requests.Add(1)
	resp, err := c.hc.Do(req)
	if err != nil {
		// url.Error quotes the whole URL; keep only the host and the cause.
		var ue *url.Error
		if errors.As(err, &ue) {
			err = ue.Err
		}
		return 0, nil, 0, fmt.Errorf("%s %s: %w", method, req.URL.Host, err)
	}
	defer resp.Body.Close()
	body, err = io.ReadAll(io.LimitReader(resp.Body, maxBody))
	if err != nil {
		return 0, nil, 0, fmt.Errorf("reading answer: %w", err)
	}
	if s := resp.Header.Get("Retry-After"); s != "" {
		if n, err := strconv.Atoi(s); err == nil && n >= 0 {
			retryAfter = time.Duration(n) * time.Second
		}
	}
	return resp.StatusCode, body, retryAfter, nil
}
