package sandgate_test

import (
	"bufio"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"testing"

	sandgate "github.com/sandgate/sandgate/bindings/go"
)

type gatewayCase struct {
	Name    string  `json:"name"`
	Mode    string  `json:"mode"`
	Keys    string  `json:"keys"`
	Now     string  `json:"now"`
	Policy  *string `json:"policy"`
	Request struct {
		Target  string      `json:"target"`
		Headers [][2]string `json:"headers"`
	} `json:"request"`
	Expect struct {
		Allowed        bool     `json:"allowed"`
		Status         int      `json:"status"`
		Reason         *string  `json:"reason"`
		Grant          string   `json:"grant"`
		SandboxID      string   `json:"sandbox_id"`
		Port           int      `json:"port"`
		Expires        *string  `json:"expires"`
		KeyID          *string  `json:"key_id"`
		UpstreamTarget string   `json:"upstream_target"`
		RetryAfter     *string  `json:"retry_after"`
		HeadersToStrip []string `json:"headers_to_strip"`
	} `json:"expect"`
}

func loadGatewayCases(t *testing.T) []gatewayCase {
	var file struct {
		Cases []gatewayCase `json:"cases"`
	}
	loadCases(t, "gateway", &file)
	if len(file.Cases) == 0 {
		t.Fatal("no gateway cases")
	}
	return file.Cases
}

func gatewayFor(t *testing.T, c gatewayCase) *sandgate.Gateway {
	t.Helper()
	opts := sandgate.GatewayOptions{RouteMode: c.Mode, Now: sandgate.Ptr(u64(t, c.Now))}
	if c.Keys != "" {
		keys, err := sandgate.SigningKeysFromFlag(c.Keys)
		if err != nil {
			t.Fatal(err)
		}
		defer keys.Close()
		opts.Keys = keys
	}
	if c.Policy != nil {
		opts.Policy = *c.Policy
	}
	g, err := sandgate.NewGateway(opts)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = g.Close() })
	return g
}

func checkGatewayRoute(t *testing.T, c gatewayCase, r *sandgate.RouteInfo) {
	t.Helper()
	x := c.Expect
	if r == nil || r.SandboxID != x.SandboxID || r.Port != x.Port {
		t.Fatalf("route %+v, want %s:%d", r, x.SandboxID, x.Port)
	}
	if x.Expires != nil && r.Expires != u64(t, *x.Expires) || x.Expires == nil && r.Signed {
		t.Fatalf("route expires %+v, want %v", r, x.Expires)
	}
	if x.KeyID != nil && r.KeyID != *x.KeyID {
		t.Fatalf("route key %q, want %q", r.KeyID, *x.KeyID)
	}
}

// TestGatewayCases runs every case of gateway.json through Gateway.Check.
func TestGatewayCases(t *testing.T) {
	for _, c := range loadGatewayCases(t) {
		t.Run(c.Name, func(t *testing.T) {
			g := gatewayFor(t, c)
			headers := make([]sandgate.Header, len(c.Request.Headers))
			for i, h := range c.Request.Headers {
				headers[i] = sandgate.Header{Name: h[0], Value: h[1]}
			}
			v, err := g.Check(c.Request.Target, headers)
			if err != nil {
				t.Fatal(err)
			}
			x := c.Expect
			if v.Allowed != x.Allowed || v.Status != x.Status {
				t.Fatalf("verdict %+v, want %+v", v, x)
			}
			if !strings.EqualFold(strings.Join(v.HeadersToStrip, ","), strings.Join(x.HeadersToStrip, ",")) {
				t.Errorf("strip %v, want %v", v.HeadersToStrip, x.HeadersToStrip)
			}
			if x.Allowed {
				if string(v.Grant) != x.Grant || v.UpstreamTarget != x.UpstreamTarget || v.Reason != "" {
					t.Fatalf("allowed %+v, want %+v", v, x)
				}
				checkGatewayRoute(t, c, v.Route)
				return
			}
			if x.Reason == nil || v.Reason != *x.Reason || v.Route != nil || !strings.HasPrefix(v.Body, "OpenSandbox Ingress: ") {
				t.Fatalf("refused %+v, want %+v", v, x)
			}
			retryAfter := ""
			for _, h := range v.ResponseHeaders {
				if strings.EqualFold(h.Name, "retry-after") {
					retryAfter = h.Value
				}
			}
			if (x.RetryAfter == nil) != (retryAfter == "") || x.RetryAfter != nil && *x.RetryAfter != retryAfter {
				t.Fatalf("retry-after %q, want %v", retryAfter, x.RetryAfter)
			}
		})
	}
}

// seen is what the app behind the middleware saw.
type seen struct {
	Target  string              `json:"target"`
	Headers map[string][]string `json:"headers"`
	Route   *sandgate.RouteInfo `json:"route"`
}

func echoApp() http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		route, _ := sandgate.RouteFromContext(r.Context())
		w.Header().Set("X-Echo", "1")
		_ = json.NewEncoder(w).Encode(seen{Target: r.RequestURI, Headers: r.Header, Route: route})
	})
}

// rawRequest sends exactly these headers (repeats and empty values included) to addr.
func rawRequest(t *testing.T, addr, target string, headers [][2]string) *http.Response {
	t.Helper()
	conn, err := net.Dial("tcp", addr)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = conn.Close() })
	var b strings.Builder
	fmt.Fprintf(&b, "GET %s HTTP/1.1\r\n", target)
	for _, h := range headers {
		fmt.Fprintf(&b, "%s: %s\r\n", h[0], h[1])
	}
	b.WriteString("Connection: close\r\n\r\n")
	if _, err := io.WriteString(conn, b.String()); err != nil {
		t.Fatal(err)
	}
	resp, err := http.ReadResponse(bufio.NewReader(conn), nil)
	if err != nil {
		t.Fatal(err)
	}
	return resp
}

// middlewareAnswer checks what a client got from the middleware against the case.
func middlewareAnswer(t *testing.T, c gatewayCase, status int, header http.Header, body []byte) {
	t.Helper()
	x := c.Expect
	if status != x.Status {
		t.Fatalf("status %d, want %d: %s", status, x.Status, body)
	}
	if !x.Allowed {
		if header.Get("X-Echo") != "" || !strings.HasPrefix(string(body), "OpenSandbox Ingress: ") ||
			header.Get("X-Sandgate-Reason") != *x.Reason || !strings.HasPrefix(header.Get("Content-Type"), "text/plain") {
			t.Fatalf("refusal %v: %s", header, body)
		}
		if x.RetryAfter != nil && header.Get("Retry-After") != *x.RetryAfter {
			t.Fatalf("retry-after %q", header.Get("Retry-After"))
		}
		return
	}
	var s seen
	if err := json.Unmarshal(body, &s); err != nil {
		t.Fatalf("the app did not answer: %s", body)
	}
	if s.Target != x.UpstreamTarget {
		t.Fatalf("app saw %q, want %q", s.Target, x.UpstreamTarget)
	}
	for name := range s.Headers {
		for _, strip := range x.HeadersToStrip {
			if strings.EqualFold(name, strip) {
				t.Fatalf("the app saw %s", name)
			}
		}
	}
	checkGatewayRoute(t, c, s.Route)
}

// TestGatewayMiddlewareCases runs every case of gateway.json through Gateway.Middleware on a
// real loopback net/http server, with the request bytes written as the case gives them. A few
// requests net/http's server refuses itself (400 before any handler: two Host headers, a Host
// that is not host[:port], a target not starting with "/") also run through the middleware
// with the request built in code, as another server (or a proxy) would hand it over.
func TestGatewayMiddlewareCases(t *testing.T) {
	for _, c := range loadGatewayCases(t) {
		t.Run(c.Name, func(t *testing.T) {
			g := gatewayFor(t, c)
			h := g.Middleware(echoApp())
			srv := httptest.NewServer(h)
			defer srv.Close()
			resp := rawRequest(t, srv.Listener.Addr().String(), c.Request.Target, c.Request.Headers)
			body, _ := io.ReadAll(resp.Body)
			_ = resp.Body.Close()
			byNetHTTP := resp.StatusCode == 400 && resp.Header.Get("X-Echo") == "" &&
				!strings.HasPrefix(string(body), "OpenSandbox Ingress: ")
			if !byNetHTTP {
				middlewareAnswer(t, c, resp.StatusCode, resp.Header, body)
				return
			}
			hosts := 0
			r := &http.Request{Method: "GET", RequestURI: c.Request.Target, Header: http.Header{}, Proto: "HTTP/1.1", ProtoMajor: 1, ProtoMinor: 1}
			if u, err := url.Parse(c.Request.Target); err == nil {
				r.URL = u
			} else {
				r.URL = &url.URL{}
			}
			for _, kv := range c.Request.Headers {
				if strings.EqualFold(kv[0], "host") {
					hosts++
					r.Host = kv[1]
					continue
				}
				r.Header.Add(kv[0], kv[1])
			}
			if hosts > 1 {
				// net/http cannot hand two Host headers to a handler; it refuses with the
				// case's own status.
				if resp.StatusCode != c.Expect.Status {
					t.Fatalf("two Host headers: %d", resp.StatusCode)
				}
				return
			}
			w := httptest.NewRecorder()
			h.ServeHTTP(w, r.WithContext(context.Background()))
			middlewareAnswer(t, c, w.Code, w.Header(), w.Body.Bytes())
		})
	}
}

// TestGatewayMiddlewareRecorder: the middleware with httptest.NewRecorder, and a closed gateway.
func TestGatewayMiddlewareRecorder(t *testing.T) {
	keys, err := sandgate.SigningKeysFromFlag("a=bXktdGVzdC1zZWNyZXQ=")
	if err != nil {
		t.Fatal(err)
	}
	defer keys.Close()
	g, err := sandgate.NewGateway(sandgate.GatewayOptions{Keys: keys, Now: sandgate.Ptr(uint64(1900000000))})
	if err != nil {
		t.Fatal(err)
	}
	h := g.Middleware(echoApp())
	r := httptest.NewRequest("GET", "http://gw.example/ping?q=1", nil)
	r.Header.Set("OpenSandbox-Ingress-To", "sbx-001-8080-x2qxvk-0ff8cd39a")
	w := httptest.NewRecorder()
	h.ServeHTTP(w, r)
	var s seen
	if w.Code != 200 || json.Unmarshal(w.Body.Bytes(), &s) != nil || s.Route == nil || s.Route.SandboxID != "sbx-001" ||
		s.Target != "/ping?q=1" || len(s.Headers["Opensandbox-Ingress-To"]) != 0 {
		t.Fatalf("allowed: %d %s", w.Code, w.Body)
	}
	if _, err := sandgate.NewGateway(sandgate.GatewayOptions{RouteMode: "sideways"}); !errors.Is(err, sandgate.ErrInvalidConfig) {
		t.Errorf("bad mode: %v", err)
	}
	if _, err := sandgate.NewGateway(sandgate.GatewayOptions{Policy: "{not json"}); !errors.Is(err, sandgate.ErrInvalidConfig) {
		t.Errorf("bad policy: %v", err)
	}
	_ = g.Close()
	if _, err := g.Check("/", nil); !errors.Is(err, sandgate.ErrInvalidArgument) {
		t.Errorf("closed: %v", err)
	}
}
