package sandgate

/*
#include "sandgate.h"
*/
import "C"

import (
	"context"
	"net/http"
	"net/url"
	"runtime"
	"strings"
	"unsafe"
)

// GatewayOptions configure NewGateway.
type GatewayOptions struct {
	RouteMode string       // header (default), wildcard or uri
	Keys      *SigningKeys // the signing keys (copied); nil = none, and signed routes answer 503
	// Policy is a policy document (JSON or TOML, see docs/gateway.md) saying which sandboxes
	// require secure access and their access tokens. PolicyFile is the same as a file, re-read
	// when it changes. With neither, the gateway is signature-only: every sandbox needs a valid
	// signed route.
	Policy     string
	PolicyFile string
	Now        *uint64 // a fixed "now" in Unix seconds (tests); nil = the system clock
}

// Gateway is the check a gateway runs on every request (SPEC §1.4, §1.5, §6): the core decides,
// Middleware only applies the verdict. Safe for concurrent use; Close it when done.
type Gateway struct {
	h handle
}

// NewGateway builds a gateway check; a bad mode or policy is an invalid_config error.
func NewGateway(opts GatewayOptions) (*Gateway, error) {
	var pin runtime.Pinner
	defer pin.Unpin()
	var o C.SandgateGatewayOptions
	if opts.RouteMode != "" {
		o.route_mode = pinStr(&pin, opts.RouteMode)
	}
	if opts.Policy != "" {
		o.policy = pinStr(&pin, opts.Policy)
	}
	if opts.PolicyFile != "" {
		o.policy_file = pinStr(&pin, opts.PolicyFile)
	}
	if opts.Now != nil {
		o.has_now, o.now = 1, C.uint64_t(*opts.Now)
	}
	var p *C.SandgateGateway
	build := func() error { return takeError(C.sandgate_gateway_new(&o, &p)) }
	var err error
	if opts.Keys != nil {
		err = opts.Keys.h.use(func(k unsafe.Pointer) error {
			o.keys = (*C.SandgateSigningKeys)(k)
			return build()
		})
	} else {
		err = build()
	}
	if err != nil {
		return nil, err
	}
	g := &Gateway{}
	g.h = newHandle(unsafe.Pointer(p), "Gateway", func(p unsafe.Pointer) { C.sandgate_gateway_free((*C.SandgateGateway)(p)) })
	runtime.SetFinalizer(g, (*Gateway).Close)
	return g, nil
}

// Close frees the gateway. Safe to call more than once.
func (g *Gateway) Close() error {
	g.h.close()
	return nil
}

// ReplaceKeys makes the gateway verify with a copy of keys from the next request on (an atomic
// swap): live key rotation.
func (g *Gateway) ReplaceKeys(keys *SigningKeys) error {
	if keys == nil {
		return invalidArgument("keys must not be nil")
	}
	return g.h.use(func(q unsafe.Pointer) error {
		return keys.h.use(func(k unsafe.Pointer) error {
			return takeError(C.sandgate_gateway_replace_keys((*C.SandgateGateway)(q), (*C.SandgateSigningKeys)(k)))
		})
	})
}

// Header is one request header as received: a repeated header is repeated, in order.
type Header struct {
	Name, Value string
}

// GatewayVerdict is what to do with one request: forward it (Allowed) after removing
// HeadersToStrip and rewriting the target to UpstreamTarget, or answer Status,
// ResponseHeaders and Body exactly.
type GatewayVerdict struct {
	Allowed         bool
	Status          int        // 200 when allowed, else 400, 401, 404 or 503
	Reason          string     // the refusal's reason code; "" when allowed
	Grant           Grant      // open, header or signature; "" when refused
	Route           *RouteInfo // the verified route; nil when refused
	UpstreamTarget  string     // path (escaping kept, uri-mode prefix removed) and ?query; "" when refused
	HeadersToStrip  []string   // request headers to remove before forwarding (any case)
	ResponseHeaders []Header   // the refusal's headers (content-type, x-sandgate-reason, retry-after)
	Body            string     // the refusal's text/plain body
	Message         string     // the body without its prefix and newline
}

// Check decides one request: target as received (path and ?query, still percent-encoded) and
// its headers in arrival order, the host as a Host header. A refusal is a verdict, not an
// error; an error means the gateway is closed or an argument is unusable.
func (g *Gateway) Check(target string, headers []Header) (*GatewayVerdict, error) {
	var pin runtime.Pinner
	defer pin.Unpin()
	in := make([]C.SandgateHeaderIn, len(headers))
	for i, h := range headers {
		in[i] = C.SandgateHeaderIn{name: pinStr(&pin, h.Name), value: pinStr(&pin, h.Value)}
	}
	var hp *C.SandgateHeaderIn
	if len(in) > 0 {
		hp = &in[0]
	}
	var v *C.SandgateGatewayVerdict
	err := g.h.use(func(q unsafe.Pointer) error {
		return takeError(C.sandgate_gateway_check((*C.SandgateGateway)(q), str(target), hp, C.size_t(len(in)), &v))
	})
	if err != nil {
		return nil, err
	}
	defer C.sandgate_gateway_verdict_free(v)
	out := &GatewayVerdict{
		Allowed:        v.allowed == 1,
		Status:         int(v.status),
		Reason:         goString(v.reason),
		Grant:          Grant(goString(v.grant)),
		Route:          routeOf(&v.route),
		UpstreamTarget: goString(v.upstream_target),
		Body:           goString(v.body),
		Message:        goString(v.message),
	}
	for _, s := range unsafe.Slice(v.headers_to_strip, int(v.headers_to_strip_len)) {
		out.HeadersToStrip = append(out.HeadersToStrip, goString(s))
	}
	for _, p := range unsafe.Slice(v.response_headers, int(v.response_headers_len)) {
		out.ResponseHeaders = append(out.ResponseHeaders, Header{Name: goString(p.name), Value: goString(p.value)})
	}
	return out, nil
}

// CheckRequest decides r: its RequestURI as the target, its Host and headers as received.
func (g *Gateway) CheckRequest(r *http.Request) (*GatewayVerdict, error) {
	if r == nil {
		return nil, invalidArgument("request must not be nil")
	}
	target := r.RequestURI // exactly as received
	if r.URL != nil && (target == "" || r.URL.IsAbs() && !strings.HasPrefix(target, "/")) {
		// A request built in code, or the absolute form a proxy sends: its origin form.
		target = r.URL.RequestURI()
	}
	headers := make([]Header, 0, len(r.Header)+1)
	if r.Host != "" {
		headers = append(headers, Header{Name: "Host", Value: r.Host})
	}
	for name, values := range r.Header {
		for _, v := range values {
			headers = append(headers, Header{Name: name, Value: v})
		}
	}
	return g.Check(target, headers)
}

type routeKey struct{}

// RouteFromContext returns the route Middleware verified for the request, and whether there is
// one.
func RouteFromContext(ctx context.Context) (*RouteInfo, bool) {
	r, ok := ctx.Value(routeKey{}).(*RouteInfo)
	return r, ok && r != nil
}

// Middleware wraps next with the gateway check and decides nothing itself: a refused request
// is answered with the verdict's status, headers and body; an allowed one loses the
// credentials (HeadersToStrip), is rewritten to UpstreamTarget, carries the verified route in
// its context (RouteFromContext) and goes to next.
func (g *Gateway) Middleware(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		v, err := g.CheckRequest(r)
		if err != nil {
			http.Error(w, "OpenSandbox Ingress: "+err.Error(), http.StatusInternalServerError)
			return
		}
		if !v.Allowed {
			for _, h := range v.ResponseHeaders {
				w.Header().Set(h.Name, h.Value)
			}
			w.WriteHeader(v.Status)
			_, _ = w.Write([]byte(v.Body))
			return
		}
		r2 := r.Clone(context.WithValue(r.Context(), routeKey{}, v.Route))
		for _, h := range v.HeadersToStrip {
			r2.Header.Del(h)
		}
		r2.RequestURI = v.UpstreamTarget
		if u, perr := url.ParseRequestURI(v.UpstreamTarget); perr == nil && r2.URL != nil {
			r2.URL.Path, r2.URL.RawPath, r2.URL.RawQuery = u.Path, u.RawPath, u.RawQuery
		}
		next.ServeHTTP(w, r2)
	})
}
