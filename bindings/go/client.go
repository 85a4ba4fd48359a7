package sandgate

/*
#include "sandgate.h"
#include <stdint.h>

extern void sandgateGoComplete(void *user_data, SandgateError *error, void *result);

static inline void *sandgate_go_user_data(uintptr_t h) { return (void *)h; }
static inline SandgateCallback sandgate_go_callback(void) { return sandgateGoComplete; }
*/
import "C"

import (
	"context"
	"fmt"
	"math"
	"net/http"
	"runtime"
	"runtime/cgo"
	"sort"
	"strings"
	"time"
	"unsafe"
)

// Options configure a Client. Unset fields come from the environment (OPEN_SANDBOX_DOMAIN,
// OPEN_SANDBOX_API_KEY, OPEN_SANDBOX_PROTOCOL) and then from the defaults (localhost:8080,
// http, 30 s timeout, the default retries).
type Options struct {
	Domain    string            // host:port; a scheme written here wins over Protocol
	Protocol  string            // http or https
	APIKey    string            // sent as OPEN-SANDBOX-API-KEY / X-API-Key (a secret)
	Timeout   time.Duration     // per request; 0 = default
	Headers   map[string]string // sent on every request (for example X-OpenSandbox-User)
	Retry     RetryOptions      // retries of idempotent requests; the zero value keeps the defaults
	IgnoreEnv bool              // do not read OPEN_SANDBOX_* variables
}

// RetryOptions control the retries of idempotent requests. A nil field keeps the core's
// default; set one with Ptr, for example RetryOptions{MaxRetries: sandgate.Ptr(0)} (no retries).
type RetryOptions struct {
	MaxRetries     *int           // retries after the first attempt; 0 turns retrying off
	InitialBackoff *time.Duration // delay before the first retry (whole milliseconds)
	MaxBackoff     *time.Duration // longest delay between attempts (whole milliseconds)
}

// String prints the options that are set.
func (r RetryOptions) String() string {
	var parts []string
	if r.MaxRetries != nil {
		parts = append(parts, fmt.Sprintf("MaxRetries: %d", *r.MaxRetries))
	}
	if r.InitialBackoff != nil {
		parts = append(parts, fmt.Sprintf("InitialBackoff: %v", *r.InitialBackoff))
	}
	if r.MaxBackoff != nil {
		parts = append(parts, fmt.Sprintf("MaxBackoff: %v", *r.MaxBackoff))
	}
	return "RetryOptions{" + strings.Join(parts, ", ") + "}"
}

// String prints the options with the API key hidden and header names only.
func (o Options) String() string {
	key := ""
	if o.APIKey != "" {
		key = "***"
	}
	names := make([]string, 0, len(o.Headers))
	for k := range o.Headers {
		names = append(names, k)
	}
	sort.Strings(names)
	return fmt.Sprintf("Options{Domain: %q, Protocol: %q, APIKey: %q, Timeout: %v, Headers: [%s], Retry: %v, IgnoreEnv: %v}",
		o.Domain, o.Protocol, key, o.Timeout, strings.Join(names, " "), o.Retry, o.IgnoreEnv)
}

// GoString is String: the API key never prints.
func (o Options) GoString() string { return o.String() }

// Client talks to one OpenSandbox server (lifecycle and keys APIs). It is safe for concurrent
// use; Close it when done.
type Client struct {
	h       handle
	baseURL string
}

// millis is d in whole milliseconds, rounded up; a negative d is 0 (which the core rejects
// where 0 is not allowed).
func millis(d time.Duration) C.uint64_t {
	if d <= 0 {
		return 0
	}
	return C.uint64_t((d + time.Millisecond - 1) / time.Millisecond)
}

// cOptions is opts as the C options struct, its strings borrowed (and pinned) until pin.Unpin.
func cOptions(opts Options, pin *runtime.Pinner) (C.SandgateClientOptions, error) {
	var o C.SandgateClientOptions
	o.language = pinStr(pin, "go")
	if opts.Domain != "" {
		o.domain = pinStr(pin, opts.Domain)
	}
	if opts.Protocol != "" {
		o.protocol = pinStr(pin, opts.Protocol)
	}
	if opts.APIKey != "" {
		o.api_key = pinStr(pin, opts.APIKey)
	}
	if opts.Timeout != 0 {
		o.has_timeout_ms, o.timeout_ms = 1, millis(opts.Timeout)
	}
	if len(opts.Headers) > 0 {
		headers := make([]C.SandgateStrPair, 0, len(opts.Headers))
		for k, v := range opts.Headers {
			headers = append(headers, C.SandgateStrPair{name: pinStr(pin, k), value: pinStr(pin, v)})
		}
		pin.Pin(&headers[0])
		o.headers, o.headers_len = &headers[0], C.size_t(len(headers))
	}
	r := opts.Retry
	if r.MaxRetries != nil {
		if *r.MaxRetries < 0 || uint64(*r.MaxRetries) > math.MaxUint32 {
			return o, invalidArgument(fmt.Sprintf("Retry.MaxRetries must be in 0..%d, got %d", uint32(math.MaxUint32), *r.MaxRetries))
		}
		o.retry.has_max_retries, o.retry.max_retries = 1, C.uint32_t(*r.MaxRetries)
	}
	for _, b := range []struct {
		d    *time.Duration
		name string
		has  *C.uint8_t
		ms   *C.uint64_t
	}{
		{r.InitialBackoff, "InitialBackoff", &o.retry.has_initial_backoff_ms, &o.retry.initial_backoff_ms},
		{r.MaxBackoff, "MaxBackoff", &o.retry.has_max_backoff_ms, &o.retry.max_backoff_ms},
	} {
		if b.d == nil {
			continue
		}
		if *b.d < 0 {
			return o, invalidArgument(fmt.Sprintf("Retry.%s must not be negative, got %v", b.name, *b.d))
		}
		*b.has, *b.ms = 1, millis(*b.d)
	}
	o.ignore_env = flag(opts.IgnoreEnv)
	return o, nil
}

// NewClient builds a client from opts, validating every option (a bad one is an
// invalid_config error).
func NewClient(opts Options) (*Client, error) {
	var pin runtime.Pinner
	defer pin.Unpin()
	o, err := cOptions(opts, &pin)
	if err != nil {
		return nil, err
	}
	var p *C.SandgateClient
	if err := takeError(C.sandgate_client_new(&o, &p)); err != nil {
		return nil, err
	}
	var base C.SandgateString
	if err := takeError(C.sandgate_client_base_url(p, &base)); err != nil {
		C.sandgate_client_free(p)
		return nil, err
	}
	c := &Client{baseURL: takeString(&base)}
	c.h = newHandle(unsafe.Pointer(p), "Client", func(p unsafe.Pointer) { C.sandgate_client_free((*C.SandgateClient)(p)) })
	runtime.SetFinalizer(c, (*Client).Close)
	return c, nil
}

// BaseURL is the server root, protocol://domain.
func (c *Client) BaseURL() string { return c.baseURL }

// String prints the server root, never the API key.
func (c *Client) String() string { return fmt.Sprintf("sandgate.Client{%s}", c.baseURL) }

// Close frees the client; calls in flight still complete. Safe to call more than once.
func (c *Client) Close() error {
	c.h.close()
	return nil
}

type startFunc func(c *C.SandgateClient, cb C.SandgateCallback, ud unsafe.Pointer, cancel **C.SandgateCancel) *C.SandgateError

// call starts an operation and waits for it, cancelling it when ctx is done.
func (c *Client) call(ctx context.Context, start startFunc) (unsafe.Pointer, error) {
	if ctx == nil {
		return nil, invalidArgument("ctx must not be nil")
	}
	if err := ctx.Err(); err != nil {
		e := takeErrorValue(C.sandgate_cancelled_error())
		e.cause = err
		return nil, e
	}
	done := make(chan completion, 1)
	h := cgo.NewHandle(done)
	var cancel *C.SandgateCancel
	err := c.h.use(func(q unsafe.Pointer) error {
		p := (*C.SandgateClient)(q)

		return takeError(start(p, C.sandgate_go_callback(), C.sandgate_go_user_data(C.uintptr_t(h)), &cancel))
	})
	if err != nil {
		h.Delete()
		return nil, err
	}
	defer C.sandgate_cancel_free(cancel)
	var r completion
	select {
	case r = <-done:
	case <-ctx.Done():
		C.sandgate_cancel(cancel)
		r = <-done
	}
	if r.err != nil {
		e := takeErrorValue(r.err)
		if e.Kind == KindCancelled {
			e.cause = ctx.Err()
		}
		return nil, e
	}
	return r.result, nil
}

// Endpoint is where a sandbox port is reached, with the headers every request must carry.
type Endpoint struct {
	Endpoint string            // as the server returned it (no scheme)
	URL      string            // protocol + "://" + Endpoint
	Headers  map[string]string // send these on every request (may hold the sandbox's access token)
	Route    *RouteInfo        // the signed route it carries; nil for an unsigned endpoint

	redacted map[string]string
}

// Header returns Headers as an http.Header for net/http requests.
func (e *Endpoint) Header() http.Header {
	h := make(http.Header, len(e.Headers))
	for k, v := range e.Headers {
		h.Set(k, v)
	}
	return h
}

// String prints the endpoint with the access token hidden.
func (e Endpoint) String() string {
	names := make([]string, 0, len(e.redacted))
	for k := range e.redacted {
		names = append(names, k)
	}
	sort.Strings(names)
	parts := make([]string, len(names))
	for i, k := range names {
		parts[i] = fmt.Sprintf("%s: %s", k, e.redacted[k])
	}
	route := "none"
	if e.Route != nil {
		route = fmt.Sprintf("%+v", *e.Route)
	}
	return fmt.Sprintf("Endpoint{URL: %s, Headers: {%s}, Route: %s}", e.URL, strings.Join(parts, ", "), route)
}

// GoString is String: the access token never prints.
func (e Endpoint) GoString() string { return e.String() }

func takeEndpoint(p unsafe.Pointer) *Endpoint {
	ep := (*C.SandgateEndpoint)(p)
	defer C.sandgate_endpoint_free(ep)
	out := &Endpoint{
		Endpoint: goString(ep.endpoint),
		URL:      goString(ep.url),
		Headers:  map[string]string{},
		redacted: map[string]string{},
		Route:    routeOf(&ep.route),
	}
	for _, h := range unsafe.Slice(ep.headers, int(ep.headers_len)) {
		out.Headers[goString(h.name)] = goString(h.value)
		out.redacted[goString(h.name)] = goString(h.redacted_value)
	}
	return out
}

// GetEndpoint returns the unsigned endpoint of port (1..65535) of a sandbox.
func (c *Client) GetEndpoint(ctx context.Context, sandboxID string, port int) (*Endpoint, error) {
	p, err := c.call(ctx, func(h *C.SandgateClient, cb C.SandgateCallback, ud unsafe.Pointer, cancel **C.SandgateCancel) *C.SandgateError {
		return C.sandgate_client_get_endpoint(h, str(sandboxID), C.int64_t(port), cb, ud, cancel)
	})
	if err != nil {
		return nil, err
	}
	return takeEndpoint(p), nil
}

// unixSeconds converts t; a time before 1970 becomes 0, which the core rejects as past.
func unixSeconds(t time.Time) uint64 {
	if s := t.Unix(); s > 0 {
		return uint64(s)
	}
	return 0
}

// GetSignedEndpoint returns an endpoint whose signed route expires at expires (in the future).
func (c *Client) GetSignedEndpoint(ctx context.Context, sandboxID string, port int, expires time.Time) (*Endpoint, error) {
	return c.getSignedEndpoint(ctx, sandboxID, port, C.SandgateExpiry{has_expires: 1, expires: C.uint64_t(unixSeconds(expires))})
}

// GetSignedEndpointFor returns an endpoint whose signed route expires ttl (whole seconds, at
// least one) from now.
func (c *Client) GetSignedEndpointFor(ctx context.Context, sandboxID string, port int, ttl time.Duration) (*Endpoint, error) {
	return c.getSignedEndpoint(ctx, sandboxID, port, ttlExpiry(ttl))
}

func (c *Client) getSignedEndpoint(ctx context.Context, sandboxID string, port int, expiry C.SandgateExpiry) (*Endpoint, error) {
	p, err := c.call(ctx, func(h *C.SandgateClient, cb C.SandgateCallback, ud unsafe.Pointer, cancel **C.SandgateCancel) *C.SandgateError {
		return C.sandgate_client_get_signed_endpoint(h, str(sandboxID), C.int64_t(port), expiry, cb, ud, cancel)
	})
	if err != nil {
		return nil, err
	}
	return takeEndpoint(p), nil
}

// CreateAPIKeyRequest names the key to mint; zero values take the server's defaults.
type CreateAPIKeyRequest struct {
	Name      string    // "" = the server's default name
	ExpiresAt time.Time // zero = never expires; otherwise in the future
}

// CreatedAPIKey is a key just minted: Key is here, and only here, once.
type CreatedAPIKey struct {
	ID        string
	Name      string
	Prefix    string // the display prefix: the first 12 characters of Key
	Key       Secret // the raw key
	ExpiresAt string // RFC 3339, "" when it never expires
}

// String never prints the key.
func (k CreatedAPIKey) String() string {
	return fmt.Sprintf("CreatedAPIKey{ID: %q, Name: %q, Prefix: %q, Key: ***, ExpiresAt: %q}", k.ID, k.Name, k.Prefix, k.ExpiresAt)
}

// GoString is String: the key never prints.
func (k CreatedAPIKey) GoString() string { return k.String() }

// CreateAPIKey mints an API key for the calling user (POST /api/v1/keys).
func (c *Client) CreateAPIKey(ctx context.Context, req CreateAPIKeyRequest) (*CreatedAPIKey, error) {
	name := optStr(nil)
	if req.Name != "" {
		name = str(req.Name)
	}
	var hasExp C.uint8_t
	var exp uint64
	if !req.ExpiresAt.IsZero() {
		hasExp, exp = 1, unixSeconds(req.ExpiresAt)
	}
	p, err := c.call(ctx, func(h *C.SandgateClient, cb C.SandgateCallback, ud unsafe.Pointer, cancel **C.SandgateCancel) *C.SandgateError {
		return C.sandgate_client_create_api_key(h, name, hasExp, C.uint64_t(exp), cb, ud, cancel)
	})
	if err != nil {
		return nil, err
	}
	k := (*C.SandgateCreatedApiKey)(p)
	defer C.sandgate_created_api_key_free(k)
	return &CreatedAPIKey{
		ID:        goString(k.id),
		Name:      goString(k.name),
		Prefix:    goString(k.prefix),
		Key:       NewSecret(goString(k.key)),
		ExpiresAt: goString(k.expires_at),
	}, nil
}

// APIKeyInfo is a key as listed: never its secret or hash.
type APIKeyInfo struct {
	ID        string
	Name      string
	Prefix    string
	CreatedAt string // RFC 3339
	ExpiresAt string // RFC 3339, "" when it never expires
	Revoked   bool
}

// ListAPIKeys lists the calling user's keys.
func (c *Client) ListAPIKeys(ctx context.Context) ([]APIKeyInfo, error) {
	p, err := c.call(ctx, func(h *C.SandgateClient, cb C.SandgateCallback, ud unsafe.Pointer, cancel **C.SandgateCancel) *C.SandgateError {
		return C.sandgate_client_list_api_keys(h, cb, ud, cancel)
	})
	if err != nil {
		return nil, err
	}
	l := (*C.SandgateApiKeyList)(p)
	defer C.sandgate_api_key_list_free(l)
	out := make([]APIKeyInfo, 0, int(l.len))
	for _, k := range unsafe.Slice(l.items, int(l.len)) {
		out = append(out, APIKeyInfo{
			ID:        goString(k.id),
			Name:      goString(k.name),
			Prefix:    goString(k.prefix),
			CreatedAt: goString(k.created_at),
			ExpiresAt: goString(k.expires_at),
			Revoked:   k.revoked == 1,
		})
	}
	return out, nil
}

// RevokeAPIKey revokes one of the calling user's keys.
func (c *Client) RevokeAPIKey(ctx context.Context, keyID string) error {
	_, err := c.call(ctx, func(h *C.SandgateClient, cb C.SandgateCallback, ud unsafe.Pointer, cancel **C.SandgateCancel) *C.SandgateError {
		return C.sandgate_client_revoke_api_key(h, str(keyID), cb, ud, cancel)
	})
	return err
}

// CreateSandboxRequest describes a sandbox to create.
type CreateSandboxRequest struct {
	Image        string            // image URI (required)
	SecureAccess bool              // require a signed route or the access token
	Metadata     map[string]string // access.owner is always set by the server
	Timeout      time.Duration     // lifetime in whole seconds; 0 = the server's default
}

// Sandbox is a sandbox as the server describes it.
type Sandbox struct {
	ID           string
	Image        string
	State        string
	Metadata     map[string]string // includes access.owner for user-owned sandboxes
	SecureAccess bool
	CreatedAt    string // RFC 3339
	ExpiresAt    string // RFC 3339
}

func sandboxOf(s *C.SandgateSandbox) Sandbox {
	out := Sandbox{
		ID:           goString(s.id),
		Image:        goString(s.image),
		State:        goString(s.state),
		Metadata:     map[string]string{},
		SecureAccess: s.secure_access == 1,
		CreatedAt:    goString(s.created_at),
		ExpiresAt:    goString(s.expires_at),
	}
	for _, m := range unsafe.Slice(s.metadata, int(s.metadata_len)) {
		out.Metadata[goString(m.name)] = goString(m.value)
	}
	return out
}

// CreateSandbox creates a sandbox.
func (c *Client) CreateSandbox(ctx context.Context, req CreateSandboxRequest) (*Sandbox, error) {
	var hasTimeout C.uint8_t
	var timeout uint64
	if req.Timeout != 0 {
		hasTimeout = 1 // a negative or sub-second timeout is passed as 0, which the core rejects
		if req.Timeout > 0 {
			timeout = uint64(req.Timeout / time.Second)
		}
	}
	// The metadata array holds Go pointers to the strings: pin them for the call.
	var pin runtime.Pinner
	defer pin.Unpin()
	pairs := make([]C.SandgateStrPair, 0, len(req.Metadata))
	for k, v := range req.Metadata {
		pk, pv := str(k), str(v)
		pin.Pin(pk.ptr)
		pin.Pin(pv.ptr)
		pairs = append(pairs, C.SandgateStrPair{name: pk, value: pv})
	}
	var meta *C.SandgateStrPair
	if len(pairs) > 0 {
		meta = &pairs[0]
	}
	p, err := c.call(ctx, func(h *C.SandgateClient, cb C.SandgateCallback, ud unsafe.Pointer, cancel **C.SandgateCancel) *C.SandgateError {
		return C.sandgate_client_create_sandbox(h, str(req.Image), flag(req.SecureAccess), meta,
			C.size_t(len(pairs)), hasTimeout, C.uint64_t(timeout), cb, ud, cancel)
	})
	if err != nil {
		return nil, err
	}
	s := (*C.SandgateSandbox)(p)
	defer C.sandgate_sandbox_free(s)
	out := sandboxOf(s)
	return &out, nil
}

// GetSandbox returns one sandbox.
func (c *Client) GetSandbox(ctx context.Context, sandboxID string) (*Sandbox, error) {
	p, err := c.call(ctx, func(h *C.SandgateClient, cb C.SandgateCallback, ud unsafe.Pointer, cancel **C.SandgateCancel) *C.SandgateError {
		return C.sandgate_client_get_sandbox(h, str(sandboxID), cb, ud, cancel)
	})
	if err != nil {
		return nil, err
	}
	s := (*C.SandgateSandbox)(p)
	defer C.sandgate_sandbox_free(s)
	out := sandboxOf(s)
	return &out, nil
}

// ListSandboxes lists the sandboxes the caller may see.
func (c *Client) ListSandboxes(ctx context.Context) ([]Sandbox, error) {
	p, err := c.call(ctx, func(h *C.SandgateClient, cb C.SandgateCallback, ud unsafe.Pointer, cancel **C.SandgateCancel) *C.SandgateError {
		return C.sandgate_client_list_sandboxes(h, cb, ud, cancel)
	})
	if err != nil {
		return nil, err
	}
	l := (*C.SandgateSandboxList)(p)
	defer C.sandgate_sandbox_list_free(l)
	out := make([]Sandbox, 0, int(l.len))
	items := unsafe.Slice(l.items, int(l.len))
	for i := range items {
		out = append(out, sandboxOf(&items[i]))
	}
	return out, nil
}

// DeleteSandbox deletes a sandbox.
func (c *Client) DeleteSandbox(ctx context.Context, sandboxID string) error {
	_, err := c.call(ctx, func(h *C.SandgateClient, cb C.SandgateCallback, ud unsafe.Pointer, cancel **C.SandgateCancel) *C.SandgateError {
		return C.sandgate_client_delete_sandbox(h, str(sandboxID), cb, ud, cancel)
	})
	return err
}

// SandboxRenewal is a sandbox's new expiry, as RenewSandbox returns it.
type SandboxRenewal struct {
	ExpiresAt string // RFC 3339, exactly as the server returned it
	Expires   uint64 // the same instant in Unix seconds
}

// RenewSandbox makes a sandbox expire at expires (in the future). It is never retried once sent.
func (c *Client) RenewSandbox(ctx context.Context, sandboxID string, expires time.Time) (*SandboxRenewal, error) {
	return c.renewSandbox(ctx, sandboxID, C.SandgateExpiry{has_expires: 1, expires: C.uint64_t(unixSeconds(expires))})
}

// RenewSandboxFor makes a sandbox expire ttl (whole seconds, at least one) from now. It is never
// retried once sent.
func (c *Client) RenewSandboxFor(ctx context.Context, sandboxID string, ttl time.Duration) (*SandboxRenewal, error) {
	return c.renewSandbox(ctx, sandboxID, ttlExpiry(ttl))
}

func (c *Client) renewSandbox(ctx context.Context, sandboxID string, expiry C.SandgateExpiry) (*SandboxRenewal, error) {
	p, err := c.call(ctx, func(h *C.SandgateClient, cb C.SandgateCallback, ud unsafe.Pointer, cancel **C.SandgateCancel) *C.SandgateError {
		return C.sandgate_client_renew_sandbox(h, str(sandboxID), expiry, cb, ud, cancel)
	})
	if err != nil {
		return nil, err
	}
	r := (*C.SandgateSandboxRenewal)(p)
	defer C.sandgate_sandbox_renewal_free(r)
	return &SandboxRenewal{ExpiresAt: goString(r.expires_at), Expires: uint64(r.expires)}, nil
}
