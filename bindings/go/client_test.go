package sandgate_test

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"strings"
	"sync"
	"testing"
	"time"

	sandgate "github.com/sandgate/sandgate/bindings/go"
	"github.com/sandgate/sandgate/bindings/go/sandgatetest"
)

// TestClientEveryOperation runs each client operation once against the mock.
func TestClientEveryOperation(t *testing.T) {
	ctx := context.Background()
	srv := sandgatetest.Start(t, sandgatetest.WithTrustedHeaders())
	alice := srv.UserClient("alice", "operator")
	key, err := alice.CreateAPIKey(ctx, sandgate.CreateAPIKeyRequest{Name: "ops", ExpiresAt: time.Now().Add(time.Hour)})
	if err != nil {
		t.Fatal(err)
	}
	if key.Name != "ops" || key.ExpiresAt == "" || key.ID == "" || !strings.HasPrefix(key.Key.Expose(), key.Prefix) {
		t.Fatalf("created %v", key)
	}
	c := srv.Client(sandgate.Options{APIKey: key.Key.Expose(), Timeout: 5 * time.Second})
	if !strings.HasPrefix(c.BaseURL(), "http://127.0.0.1:") {
		t.Errorf("base url %s", c.BaseURL())
	}
	sb, err := c.CreateSandbox(ctx, sandgate.CreateSandboxRequest{Image: "python:3.11", SecureAccess: true,
		Metadata: map[string]string{"team": "blue", "empty": ""}, Timeout: 10 * time.Minute})
	if err != nil {
		t.Fatal(err)
	}
	if sb.Metadata["access.owner"] != "alice" || sb.Metadata["team"] != "blue" || !sb.SecureAccess || sb.State == "" || sb.Image != "python:3.11" {
		t.Fatalf("sandbox %+v", sb)
	}
	got, err := c.GetSandbox(ctx, sb.ID)
	if err != nil || got.ID != sb.ID {
		t.Fatalf("get: %+v %v", got, err)
	}
	list, err := c.ListSandboxes(ctx)
	if err != nil || len(list) != 1 || list[0].ID != sb.ID {
		t.Fatalf("list: %+v %v", list, err)
	}
	e, err := c.GetSignedEndpoint(ctx, sb.ID, 8080, time.Now().Add(time.Minute))
	if err != nil || e.Route == nil || !e.Route.Signed || e.Route.SandboxID != sb.ID || e.Route.Port != 8080 {
		t.Fatalf("signed endpoint: %v %v", e, err)
	}
	e, err = c.GetSignedEndpointFor(ctx, sb.ID, 9000, time.Minute)
	if err != nil || e.Route == nil || e.Route.Port != 9000 {
		t.Fatalf("signed endpoint for: %v %v", e, err)
	}
	if _, err := c.GetSignedEndpointFor(ctx, sb.ID, 9000, 500*time.Millisecond); !errors.Is(err, sandgate.ErrInvalidArgument) {
		t.Errorf("sub-second ttl: %v", err)
	}
	e, err = c.GetEndpoint(ctx, sb.ID, 8080)
	if err != nil || e.Route != nil || e.Headers["OpenSandbox-Secure-Access"] == "" {
		t.Fatalf("endpoint: %v %v", e, err)
	}
	// The endpoint works with net/http as is.
	req, _ := http.NewRequestWithContext(ctx, http.MethodGet, e.URL+"/ping", nil)
	req.Header = e.Header()
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != 200 {
		t.Fatalf("gateway answered %d", resp.StatusCode)
	}
	keys, err := alice.ListAPIKeys(ctx)
	if err != nil || len(keys) != 1 || keys[0].ID != key.ID || keys[0].Revoked || keys[0].CreatedAt == "" {
		t.Fatalf("keys: %+v %v", keys, err)
	}
	if err := c.DeleteSandbox(ctx, sb.ID); err != nil {
		t.Fatal(err)
	}
	if _, err := c.GetSandbox(ctx, sb.ID); !errors.Is(err, sandgate.ErrAPI) || asError(t, err).Status != 404 {
		t.Fatalf("deleted sandbox: %v", err)
	}
	if err := alice.RevokeAPIKey(ctx, key.ID); err != nil {
		t.Fatal(err)
	}
	keys, _ = alice.ListAPIKeys(ctx)
	if len(keys) != 1 || !keys[0].Revoked {
		t.Fatalf("revoked key listed as %+v", keys)
	}
	if _, err := c.ListSandboxes(ctx); asError(t, err).Code != "INVALID_API_KEY" {
		t.Fatalf("revoked key still works: %v", err)
	}
	for _, r := range srv.Requests() {
		if !strings.Contains(r.UserAgent, "(go)") {
			t.Errorf("user agent %q", r.UserAgent)
		}
	}
}

// TestClientContextDeadlineAbortsTheCallInFlight: the mock delays every answer by 5 s; a
// 300 ms deadline ends the call with a cancelled error that wraps context.DeadlineExceeded.
func TestClientContextDeadlineAbortsTheCallInFlight(t *testing.T) {
	srv := sandgatetest.Start(t)
	c := srv.AdminClient()
	srv.SetFaults(sandgate.Faults{Latency: 5 * time.Second})
	ctx, cancel := context.WithTimeout(context.Background(), 300*time.Millisecond)
	defer cancel()
	start := time.Now()
	_, err := c.ListSandboxes(ctx)
	if elapsed := time.Since(start); elapsed < 300*time.Millisecond {
		t.Errorf("returned after %v, before the deadline", elapsed)
	}
	if !errors.Is(err, sandgate.ErrCancelled) || !errors.Is(err, context.DeadlineExceeded) {
		t.Fatalf("want a cancelled error wrapping DeadlineExceeded, got %v", err)
	}
	if asError(t, err).Kind != sandgate.KindCancelled {
		t.Fatalf("kind %s", asError(t, err).Kind)
	}
	// The client still works afterwards.
	srv.ClearFaults()
	if _, err := c.ListSandboxes(context.Background()); err != nil {
		t.Fatalf("after a cancelled call: %v", err)
	}
}

// TestClientCancelInFlight cancels the context from another goroutine.
func TestClientCancelInFlight(t *testing.T) {
	srv := sandgatetest.Start(t, sandgatetest.WithTrustedHeaders())
	c := srv.UserClient("bob", "operator")
	srv.SetFaults(sandgate.Faults{Latency: 5 * time.Second})
	ctx, cancel := context.WithCancel(context.Background())
	go func() {
		time.Sleep(100 * time.Millisecond)
		cancel()
	}()
	_, err := c.CreateAPIKey(ctx, sandgate.CreateAPIKeyRequest{Name: "never"})
	if !errors.Is(err, sandgate.ErrCancelled) || !errors.Is(err, context.Canceled) {
		t.Fatalf("want cancelled, got %v", err)
	}
}

// TestClientRenewSandboxMovesItsExpiry renews to an instant and by a TTL; an unknown sandbox is
// the API's 404 and a bad expiry is refused before any request.
func TestClientRenewSandboxMovesItsExpiry(t *testing.T) {
	ctx := context.Background()
	srv := sandgatetest.Start(t)
	c := srv.AdminClient()
	sb, err := c.CreateSandbox(ctx, sandgate.CreateSandboxRequest{Image: "python:3.11", Timeout: 10 * time.Minute})
	if err != nil {
		t.Fatal(err)
	}
	until := time.Now().Add(2 * time.Hour).Truncate(time.Second)
	r, err := c.RenewSandbox(ctx, sb.ID, until)
	if err != nil || r.Expires != uint64(until.Unix()) || r.ExpiresAt == sb.ExpiresAt {
		t.Fatalf("renew: %+v %v (was %s)", r, err, sb.ExpiresAt)
	}
	if got, err := c.GetSandbox(ctx, sb.ID); err != nil || got.ExpiresAt != r.ExpiresAt {
		t.Fatalf("after renew: %+v %v, want %s", got, err, r.ExpiresAt)
	}
	r, err = c.RenewSandboxFor(ctx, sb.ID, 24*time.Hour)
	if want := uint64(time.Now().Unix() + 86400); err != nil || r.Expires+2 < want || r.Expires > want+2 {
		t.Fatalf("renew for: %+v %v, want about %d", r, err, want)
	}
	if got, err := c.GetSandbox(ctx, sb.ID); err != nil || got.ExpiresAt != r.ExpiresAt {
		t.Fatalf("after renew for: %+v %v, want %s", got, err, r.ExpiresAt)
	}
	_, err = c.RenewSandboxFor(ctx, "does-not-exist", time.Minute)
	var apiErr *sandgate.Error
	if !errors.Is(err, sandgate.ErrAPI) || !errors.As(err, &apiErr) || apiErr.Status != 404 || apiErr.Code != "SANDBOX::NOT_FOUND" {
		t.Fatalf("unknown sandbox: %v", err)
	}
	sent := len(srv.Requests())
	for name, call := range map[string]func() error{
		"ttl 0":        func() error { _, err := c.RenewSandboxFor(ctx, sb.ID, 0); return err },
		"negative ttl": func() error { _, err := c.RenewSandboxFor(ctx, sb.ID, -time.Minute); return err },
		"past":         func() error { _, err := c.RenewSandbox(ctx, sb.ID, time.Unix(1000, 0)); return err },
		"before 1970":  func() error { _, err := c.RenewSandbox(ctx, sb.ID, time.Unix(-5, 0)); return err },
	} {
		if err := call(); !errors.Is(err, sandgate.ErrInvalidArgument) {
			t.Errorf("%s: want invalid_argument, got %v", name, err)
		}
	}
	if n := len(srv.Requests()); n != sent {
		t.Fatalf("a bad expiry sent %d requests", n-sent)
	}
}

// TestClientCancelledContextSendsNothing: a context that is already done starts no request.
func TestClientCancelledContextSendsNothing(t *testing.T) {
	srv := sandgatetest.Start(t)
	c := srv.AdminClient()
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if _, err := c.ListSandboxes(ctx); !errors.Is(err, sandgate.ErrCancelled) || !errors.Is(err, context.Canceled) {
		t.Fatalf("want cancelled, got %v", err)
	}
	if n := len(srv.Requests()); n != 0 {
		t.Fatalf("the mock received %d requests", n)
	}
}

// TestClientConcurrentVerifies: 64 goroutines × 1,000 verifies on one verifier, each checked.
func TestClientConcurrentVerifies(t *testing.T) {
	keys := mustKeys(t, "a=bXktdGVzdC1zZWNyZXQ=,b=b3RoZXI=")
	signer, err := sandgate.NewRouteSigner(keys, "b")
	if err != nil {
		t.Fatal(err)
	}
	defer signer.Close()
	v := mustVerifier(t, keys)
	const goroutines, rounds = 64, 1000
	tokens := make([]string, goroutines)
	for g := range tokens {
		r, err := signer.Sign(fmt.Sprintf("sbx-%d", g), 1000+g, 2000000000)
		if err != nil {
			t.Fatal(err)
		}
		tokens[g] = r.Token
	}
	var wg sync.WaitGroup
	errs := make(chan error, goroutines)
	for g := 0; g < goroutines; g++ {
		wg.Add(1)
		go func(g int) {
			defer wg.Done()
			want := fmt.Sprintf("sbx-%d", g)
			for i := 0; i < rounds; i++ {
				info, err := v.VerifyAt(tokens[g], 1900000000)
				if err != nil || info.SandboxID != want || info.Port != 1000+g || info.KeyID != "b" {
					errs <- fmt.Errorf("goroutine %d round %d: %+v %v", g, i, info, err)
					return
				}
				if i%100 == 0 { // denials are concurrent-safe too
					if _, err := v.VerifyAt(tokens[g], 2000000001); !errors.Is(err, sandgate.ErrExpired) {
						errs <- fmt.Errorf("goroutine %d: want expired, got %v", g, err)
						return
					}
				}
			}
		}(g)
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Error(err)
	}
}

// TestClientConcurrentCallsAndClose: many goroutines share one client; Close while calls run
// is safe (calls either finish or report that the client is closed).
func TestClientConcurrentCallsAndClose(t *testing.T) {
	srv := sandgatetest.Start(t)
	c, err := sandgate.NewClient(sandgate.Options{Domain: srv.Domain(), APIKey: srv.AdminKey().Expose(), IgnoreEnv: true})
	if err != nil {
		t.Fatal(err)
	}
	var wg sync.WaitGroup
	for g := 0; g < 16; g++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := 0; i < 20; i++ {
				_, err := c.ListSandboxes(context.Background())
				if err != nil && !errors.Is(err, sandgate.ErrInvalidArgument) {
					t.Errorf("concurrent call: %v", err)
					return
				}
			}
		}()
	}
	time.Sleep(20 * time.Millisecond)
	_ = c.Close()
	wg.Wait()
	if _, err := c.ListSandboxes(context.Background()); !errors.Is(err, sandgate.ErrInvalidArgument) || !strings.Contains(err.Error(), "closed") {
		t.Fatalf("after Close: %v", err)
	}
}

// TestClientFromEnv: unset options come from OPEN_SANDBOX_* and IgnoreEnv turns that off.
func TestClientFromEnv(t *testing.T) {
	srv := sandgatetest.Start(t)
	t.Setenv("OPEN_SANDBOX_DOMAIN", srv.Domain())
	t.Setenv("OPEN_SANDBOX_API_KEY", srv.AdminKey().Expose())
	t.Setenv("OPEN_SANDBOX_PROTOCOL", "http")
	c, err := sandgate.NewClient(sandgate.Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	if c.BaseURL() != "http://"+srv.Domain() {
		t.Fatalf("base url %s", c.BaseURL())
	}
	if _, err := c.ListSandboxes(context.Background()); err != nil {
		t.Fatalf("env API key not used: %v", err)
	}
	c2, err := sandgate.NewClient(sandgate.Options{IgnoreEnv: true})
	if err != nil {
		t.Fatal(err)
	}
	defer c2.Close()
	if c2.BaseURL() != "http://localhost:8080" {
		t.Fatalf("default base url %s", c2.BaseURL())
	}
	t.Setenv("OPEN_SANDBOX_PROTOCOL", "gopher")
	if _, err := sandgate.NewClient(sandgate.Options{}); !errors.Is(err, sandgate.ErrInvalidConfig) {
		t.Fatalf("bad env protocol: %v", err)
	}
}

// TestClientSecretsNeverPrinted: API keys, the admin key and access tokens print as ***.
func TestClientSecretsNeverPrinted(t *testing.T) {
	srv := sandgatetest.Start(t, sandgatetest.WithTrustedHeaders())
	ctx := context.Background()
	admin := srv.AdminKey().Expose()
	opts := sandgate.Options{Domain: srv.Domain(), APIKey: admin, Headers: map[string]string{"X-Secret-Header": "hidden-value"}}
	key, err := srv.UserClient("carol", "operator").CreateAPIKey(ctx, sandgate.CreateAPIKeyRequest{})
	if err != nil {
		t.Fatal(err)
	}
	c := srv.Client(sandgate.Options{APIKey: key.Key.Expose()})
	sb, err := c.CreateSandbox(ctx, sandgate.CreateSandboxRequest{Image: "x", SecureAccess: true})
	if err != nil {
		t.Fatal(err)
	}
	e, err := c.GetEndpoint(ctx, sb.ID, 80)
	if err != nil {
		t.Fatal(err)
	}
	token := e.Headers["OpenSandbox-Secure-Access"]
	secrets := []string{admin, key.Key.Expose(), token, "hidden-value", srv.SigningKeys().Expose()}
	printed := fmt.Sprintf("%v %+v %#v %s %v %+v %#v %v %v %+v %v %v %+v %s",
		opts, opts, opts, key, key, *key, key, e, *e, *e, srv.MockServer, srv.AdminKey(), srv.SigningKeys(), c)
	for _, s := range secrets {
		if s == "" || strings.Contains(printed, s) {
			t.Errorf("secret %q printed (or empty) in %s", s[:min(len(s), 6)], printed)
		}
	}
	if !strings.Contains(printed, "***") {
		t.Error("no *** placeholder")
	}
}

// TestClientSignedRouteForms: the gateway forms of a signed route, verified back.
func TestClientSignedRouteForms(t *testing.T) {
	keys := mustKeys(t, "a=bXktdGVzdC1zZWNyZXQ=")
	signer, err := sandgate.NewRouteSigner(keys, "")
	if err == nil {
		t.Fatal("a flag string has no active key: NewRouteSigner(keys, \"\") must fail")
	}
	if !errors.Is(err, sandgate.ErrInvalidConfig) {
		t.Fatalf("want invalid_config, got %v", err)
	}
	signer, err = sandgate.NewRouteSigner(keys, "a")
	if err != nil {
		t.Fatal(err)
	}
	defer signer.Close()
	r, err := signer.Sign("sbx-001", 8080, 2000000000)
	if err != nil {
		t.Fatal(err)
	}
	host, err := r.Host("localhost")
	if err != nil || host != "sbx-001-8080-x2qxvk-0ff8cd39a.localhost" || r.HeaderValue() != r.Token ||
		r.URIPrefix != "/sbx-001/8080/x2qxvk/0ff8cd39a" || r.String() != r.Token {
		t.Fatalf("forms %q %q %q: %v", host, r.HeaderValue(), r.URIPrefix, err)
	}
	d, err := mustVerifier(t, keys).DecideAt(sandgate.AccessRequest{Host: &host, Path: sandgate.Ptr("/x?y")}, sandgate.Ptr("tok"), 1900000000)
	if err != nil || !d.Allowed || d.Grant != "signature" || d.Path != "/x" || d.Query == nil || *d.Query != "y" {
		t.Fatalf("decide host: %+v %v", d, err)
	}
	// A signed route is plain data (no Close): Host keeps working after its signer is gone.
	_ = signer.Close()
	if h, err := r.Host(".example.com"); err != nil || h != r.Token+".example.com" {
		t.Fatalf("Host of plain data: %q %v", h, err)
	}
	signer, err = sandgate.NewRouteSigner(keys, "a")
	if err != nil {
		t.Fatal(err)
	}
	defer signer.Close()
	for _, bad := range []string{"evil.com/x", "a b.com", "a.com\r\nX-Injected: 1", ""} {
		if h, err := r.Host(bad); !errors.Is(err, sandgate.ErrInvalidArgument) || h != "" {
			t.Fatalf("Host(%q) = %q, %v; want ErrInvalidArgument", bad, h, err)
		}
	}
	if _, err := signer.Sign("sbx", 70000, 1); !errors.Is(err, sandgate.ErrInvalidArgument) {
		t.Fatalf("port 70000: %v", err)
	}
	if _, err := signer.Sign("", 80, 1); !errors.Is(err, sandgate.ErrInvalidArgument) {
		t.Fatalf("empty sandbox id: %v", err)
	}
}

// TestClientMockControls: the mock's clock, faults, reset and stop through the Go API.
func TestClientMockControls(t *testing.T) {
	m, err := sandgate.StartMockServer(sandgate.MockOptions{RouteMode: "uri"})
	if err != nil {
		t.Fatal(err)
	}
	defer m.Close()
	if m.RouteMode() != "uri" || !strings.HasPrefix(m.APIURL(), "http://127.0.0.1:") || !strings.HasPrefix(m.GatewayURL(), "http://127.0.0.1:") {
		t.Fatalf("mock %v", m)
	}
	if _, err := sandgate.StartMockServer(sandgate.MockOptions{RouteMode: "sideways"}); !errors.Is(err, sandgate.ErrInvalidConfig) {
		t.Fatalf("bad route mode: %v", err)
	}
	if err := m.SetNow(1000); err != nil {
		t.Fatal(err)
	}
	if err := m.Advance(3600); err != nil {
		t.Fatal(err)
	}
	now, err := m.Now()
	if err != nil || now < 4600 || now > 4700 {
		t.Fatalf("clock %d %v", now, err)
	}
	if err := m.SetFaults(sandgate.Faults{FailNext: -1}); !errors.Is(err, sandgate.ErrInvalidArgument) {
		t.Fatalf("negative fault: %v", err)
	}
	if err := m.SetFaults(sandgate.Faults{FailNext: 1, Status: 502}); err != nil {
		t.Fatal(err)
	}
	c, err := sandgate.NewClient(sandgate.Options{Domain: m.Domain(), APIKey: m.AdminKey().Expose(), IgnoreEnv: true, Retry: sandgate.RetryOptions{MaxRetries: sandgate.Ptr(0)}})
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	if _, err := c.ListSandboxes(context.Background()); asError(t, err).Status != 502 {
		t.Fatalf("injected 502: %v", err)
	}
	if reqs, err := m.Requests(); err != nil || len(reqs) != 1 || reqs[0].Status != 502 || reqs[0].Method != "GET" {
		t.Fatalf("requests %+v %v", reqs, err)
	}
	if err := m.Reset(); err != nil {
		t.Fatal(err)
	}
	if reqs, _ := m.Requests(); len(reqs) != 0 {
		t.Fatalf("reset kept %d requests", len(reqs))
	}
	if err := m.Stop(); err != nil {
		t.Fatal(err)
	}
	// Stop signals the listeners, which close a moment later: wait for it (up to 5 s).
	var stopErr error
	for i := 0; i < 250; i++ {
		if _, stopErr = c.ListSandboxes(context.Background()); stopErr != nil {
			break
		}
		time.Sleep(20 * time.Millisecond)
	}
	if !errors.Is(stopErr, sandgate.ErrTransport) {
		t.Fatalf("stopped mock: %v", stopErr)
	}
	_ = m.Close()
	if _, err := m.Now(); !errors.Is(err, sandgate.ErrInvalidArgument) {
		t.Fatalf("Now after Close: %v", err)
	}
}

// BenchmarkVerify measures one allowed verification through cgo (go test -bench Verify).
func BenchmarkVerify(b *testing.B) {
	keys, err := sandgate.SigningKeysFromFlag("a=bXktdGVzdC1zZWNyZXQ=")
	if err != nil {
		b.Fatal(err)
	}
	defer keys.Close()
	v, err := sandgate.NewRouteVerifier(keys)
	if err != nil {
		b.Fatal(err)
	}
	defer v.Close()
	b.ReportAllocs()
	for i := 0; i < b.N; i++ {
		if _, err := v.VerifyAt("sbx-001-8080-x2qxvk-0ff8cd39a", 1900000000); err != nil {
			b.Fatal(err)
		}
	}
}
