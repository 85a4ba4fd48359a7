package sandgate_test

// sdk-tests/cases/scenario.json in every route mode, through the Go client and net/http.

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	sandgate "github.com/sandgate/sandgate/bindings/go"
	"github.com/sandgate/sandgate/bindings/go/sandgatetest"
)

type scenarioStep struct {
	Op string `json:"op"`
	As *struct {
		User  string `json:"user"`
		Roles string `json:"roles"`
		Key   string `json:"key"`
	} `json:"as"`
	Name             string  `json:"name"`
	Save             string  `json:"save"`
	Image            string  `json:"image"`
	SecureAccess     bool    `json:"secure_access"`
	Sandbox          string  `json:"sandbox"`
	Port             int     `json:"port"`
	TTLSeconds       int     `json:"ttl_seconds"`
	Endpoint         string  `json:"endpoint"`
	Path             string  `json:"path"`
	Tamper           bool    `json:"tamper"`
	SecureHeader     *string `json:"secure_header"`
	DropSecureHeader bool    `json:"drop_secure_header"`
	Seconds          int64   `json:"seconds"`
	Key              string  `json:"key"`
	Expect           struct {
		Name             string `json:"name"`
		PrefixIsKeyStart bool   `json:"prefix_is_key_start"`
		Count            *int   `json:"count"`
		NeverContainsKey string `json:"never_contains_key"`
		Owner            string `json:"owner"`
		SecureAccess     *bool  `json:"secure_access"`
		Route            *struct {
			Port  int    `json:"port"`
			KeyID string `json:"key_id"`
		} `json:"route"`
		NoHeader  string         `json:"no_header"`
		HasHeader string         `json:"has_header"`
		NoRoute   bool           `json:"no_route"`
		Allowed   *bool          `json:"allowed"`
		Reason    string         `json:"reason"`
		Status    int            `json:"status"`
		Echo      map[string]any `json:"echo"`
		Error     *struct {
			Kind   string `json:"kind"`
			Status int    `json:"status"`
			Code   string `json:"code"`
		} `json:"error"`
	} `json:"expect"`
}

type scenarioState struct {
	t         *testing.T
	srv       *sandgatetest.Server
	mode      string
	keys      map[string]*sandgate.CreatedAPIKey
	sandboxes map[string]*sandgate.Sandbox
	endpoints map[string]*sandgate.Endpoint
	http      *http.Client
}

func (s *scenarioState) client(step scenarioStep) *sandgate.Client {
	if step.As == nil {
		s.t.Fatalf("step %s has no principal", step.Op)
	}
	if step.As.Key != "" {
		k := s.keys[step.As.Key]
		if k == nil {
			s.t.Fatalf("no saved key %q", step.As.Key)
		}
		return s.srv.Client(sandgate.Options{APIKey: k.Key.Expose()})
	}
	return s.srv.UserClient(step.As.User, step.As.Roles)
}

// token is the route token an endpoint carries, where its route mode puts it.
func (s *scenarioState) token(e *sandgate.Endpoint) string {
	u, err := url.Parse(e.URL)
	if err != nil {
		s.t.Fatal(err)
	}
	switch s.mode {
	case "header":
		return e.Headers["OpenSandbox-Ingress-To"]
	case "wildcard":
		return strings.SplitN(u.Hostname(), ".", 2)[0]
	default: // uri: /{id}/{port}/{expires_b36}/{signature}
		parts := strings.Split(strings.Trim(u.Path, "/"), "/")
		if len(parts) < 4 {
			s.t.Fatalf("uri endpoint %s has no signed prefix", e.URL)
		}
		return strings.Join(parts[len(parts)-4:], "-")
	}
}

// tamper changes the 8th character of the signature: the last hex digit.
func tamper(sig string) string {
	c := byte('1')
	if sig[7] == '1' {
		c = '0'
	}
	return sig[:7] + string(c) + sig[8:]
}

func (s *scenarioState) gatewayGet(step scenarioStep, e *sandgate.Endpoint) (*http.Response, []byte) {
	target := e.URL + step.Path
	header := e.Header()
	host := ""
	if step.Tamper {
		if e.Route == nil {
			s.t.Fatal("cannot tamper with an unsigned endpoint")
		}
		tok := s.token(e)
		sig := tok[len(tok)-9:]
		bad := tok[:len(tok)-9] + tamper(sig)
		switch s.mode {
		case "header":
			header.Set("OpenSandbox-Ingress-To", bad)
		case "wildcard":
			target = strings.Replace(target, tok, bad, 1)
		default:
			target = strings.Replace(target, "/"+sig, "/"+tamper(sig), 1)
		}
	}
	if s.mode == "wildcard" {
		// *.localhost need not resolve: send to the gateway with the endpoint's Host.
		u, err := url.Parse(target)
		if err != nil {
			s.t.Fatal(err)
		}
		host = u.Host
		target = s.srv.GatewayURL() + u.RequestURI()
	}
	if step.SecureHeader != nil {
		header.Set("OpenSandbox-Secure-Access", *step.SecureHeader)
	}
	if step.DropSecureHeader {
		header.Del("OpenSandbox-Secure-Access")
	}
	req, err := http.NewRequest(http.MethodGet, target, nil)
	if err != nil {
		s.t.Fatal(err)
	}
	req.Header = header
	if host != "" {
		req.Host = host
	}
	resp, err := s.http.Do(req)
	if err != nil {
		s.t.Fatalf("GET %s: %v", target, err)
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(resp.Body)
	if err != nil {
		s.t.Fatal(err)
	}
	return resp, body
}

func (s *scenarioState) run(i int, step scenarioStep) {
	t := s.t
	ctx := context.Background()
	want := step.Expect
	checkErr := func(err error) bool {
		t.Helper()
		if want.Error != nil {
			e := asError(t, err)
			if string(e.Kind) != want.Error.Kind || e.Status != want.Error.Status || e.Code != want.Error.Code {
				t.Fatalf("step %d %s: error %+v, want %+v", i, step.Op, e, *want.Error)
			}
			return false
		}
		if err != nil {
			t.Fatalf("step %d %s: %v", i, step.Op, err)
		}
		return true
	}
	switch step.Op {
	case "create_api_key":
		k, err := s.client(step).CreateAPIKey(ctx, sandgate.CreateAPIKeyRequest{Name: step.Name})
		if !checkErr(err) {
			return
		}
		if want.Name != "" && k.Name != want.Name {
			t.Errorf("key name %q, want %q", k.Name, want.Name)
		}
		if want.PrefixIsKeyStart && !strings.HasPrefix(k.Key.Expose(), k.Prefix) || len(k.Prefix) != 12 {
			t.Errorf("prefix %q is not the start of the key", k.Prefix)
		}
		if strings.Contains(fmt.Sprintf("%v %+v %#v", k, *k, k), k.Key.Expose()) {
			t.Error("the raw key printed")
		}
		s.keys[step.Save] = k
	case "list_api_keys":
		keys, err := s.client(step).ListAPIKeys(ctx)
		if !checkErr(err) {
			return
		}
		if want.Count != nil && len(keys) != *want.Count {
			t.Errorf("%d keys, want %d", len(keys), *want.Count)
		}
		if raw := s.keys[want.NeverContainsKey]; raw != nil {
			if strings.Contains(fmt.Sprintf("%+v", keys), raw.Key.Expose()) {
				t.Error("a listed key holds the raw key")
			}
		}
	case "list_sandboxes":
		list, err := s.client(step).ListSandboxes(ctx)
		if !checkErr(err) {
			return
		}
		if want.Count != nil && len(list) != *want.Count {
			t.Errorf("%d sandboxes, want %d", len(list), *want.Count)
		}
	case "create_sandbox":
		sb, err := s.client(step).CreateSandbox(ctx, sandgate.CreateSandboxRequest{Image: step.Image, SecureAccess: step.SecureAccess})
		if !checkErr(err) {
			return
		}
		if want.Owner != "" && sb.Metadata["access.owner"] != want.Owner {
			t.Errorf("owner %q, want %q", sb.Metadata["access.owner"], want.Owner)
		}
		if want.SecureAccess != nil && sb.SecureAccess != *want.SecureAccess {
			t.Errorf("secure access %v", sb.SecureAccess)
		}
		s.sandboxes[step.Save] = sb
	case "get_signed_endpoint", "get_endpoint":
		sb := s.sandboxes[step.Sandbox]
		var e *sandgate.Endpoint
		var err error
		if step.Op == "get_endpoint" {
			e, err = s.client(step).GetEndpoint(ctx, sb.ID, step.Port)
		} else {
			e, err = s.client(step).GetSignedEndpointFor(ctx, sb.ID, step.Port, time.Duration(step.TTLSeconds)*time.Second)
		}
		if !checkErr(err) {
			return
		}
		if r := want.Route; r != nil {
			if e.Route == nil || e.Route.SandboxID != sb.ID || e.Route.Port != r.Port || e.Route.KeyID != r.KeyID || !e.Route.Signed {
				t.Fatalf("route %+v, want %s:%d key %s", e.Route, sb.ID, r.Port, r.KeyID)
			}
		}
		if want.NoRoute && e.Route != nil {
			t.Errorf("unsigned endpoint has a route %+v", *e.Route)
		}
		if _, ok := e.Headers[want.NoHeader]; want.NoHeader != "" && ok {
			t.Errorf("endpoint has header %s", want.NoHeader)
		}
		if v, ok := e.Headers[want.HasHeader]; want.HasHeader != "" {
			if !ok {
				t.Fatalf("endpoint lacks header %s", want.HasHeader)
			}
			if strings.Contains(e.String(), v) || strings.Contains(fmt.Sprintf("%v %+v %#v", *e, *e, *e), v) {
				t.Error("the access token printed")
			}
		}
		s.endpoints[step.Save] = e
	case "verify_local":
		e := s.endpoints[step.Endpoint]
		v := mustVerifier(t, s.srv.Keys())
		info, err := v.VerifyAt(s.token(e), s.srv.Now())
		if *want.Allowed {
			if err != nil || info.SandboxID != e.Route.SandboxID || info.Port != e.Route.Port {
				t.Fatalf("local verify: %+v %v", info, err)
			}
			return
		}
		e2 := asError(t, err)
		if string(e2.Reason) != want.Reason || e2.Status != want.Status || !errors.Is(err, sandgate.ErrAccessDenied) {
			t.Fatalf("local verify: %+v, want %s %d", e2, want.Reason, want.Status)
		}
	case "gateway_get":
		e := s.endpoints[step.Endpoint]
		resp, body := s.gatewayGet(step, e)
		if resp.StatusCode != want.Status {
			t.Fatalf("step %d: status %d, want %d: %s", i, resp.StatusCode, want.Status, body)
		}
		if want.Reason != "" && resp.Header.Get("X-Sandgate-Reason") != want.Reason {
			t.Errorf("reason %q, want %q", resp.Header.Get("X-Sandgate-Reason"), want.Reason)
		}
		if want.Echo != nil {
			var echo map[string]any
			if err := json.Unmarshal(body, &echo); err != nil {
				t.Fatalf("echo %s: %v", body, err)
			}
			var sb *sandgate.Sandbox
			for _, v := range s.sandboxes {
				sb = v
			}
			if echo["sandbox_id"] != sb.ID {
				t.Errorf("echo sandbox %v, want %s", echo["sandbox_id"], sb.ID)
			}
			for k, v := range want.Echo {
				if fmt.Sprint(echo[k]) != fmt.Sprint(v) {
					t.Errorf("echo %s = %v, want %v", k, echo[k], v)
				}
			}
		}
	case "advance_clock":
		s.srv.Advance(step.Seconds)
	case "revoke_api_key":
		checkErr(s.client(step).RevokeAPIKey(ctx, s.keys[step.Key].ID))
	default:
		t.Fatalf("unknown scenario op %q", step.Op)
	}
}

func TestScenario(t *testing.T) {
	var f struct {
		Modes []string       `json:"modes"`
		Steps []scenarioStep `json:"steps"`
	}
	loadCases(t, "scenario", &f)
	if len(f.Modes) != 3 || len(f.Steps) == 0 {
		t.Fatalf("scenario has %d modes, %d steps", len(f.Modes), len(f.Steps))
	}
	for _, mode := range f.Modes {
		mode := mode
		t.Run(mode, func(t *testing.T) {
			srv := sandgatetest.Start(t, sandgatetest.WithRouteMode(mode), sandgatetest.WithTrustedHeaders())
			if srv.RouteMode() != mode {
				t.Fatalf("mock route mode %s", srv.RouteMode())
			}
			s := &scenarioState{t: t, srv: srv, mode: mode,
				keys:      map[string]*sandgate.CreatedAPIKey{},
				sandboxes: map[string]*sandgate.Sandbox{},
				endpoints: map[string]*sandgate.Endpoint{},
				http:      &http.Client{Timeout: 10 * time.Second},
			}
			for i, step := range f.Steps {
				i, step := i, step
				ok := t.Run(fmt.Sprintf("%02d_%s", i, step.Op), func(t *testing.T) {
					s.t = t
					s.run(i, step)
				})
				if !ok {
					break // later steps depend on this one
				}
			}
		})
	}
}
