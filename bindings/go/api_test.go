package sandgate_test

// The API every language shares (ARCHITECTURE.md, "Same API everywhere") through Go: verify in
// three forms, signing with a TTL, full retry options, Message vs Error(), nil arguments.

import (
	"context"
	"errors"
	"strings"
	"testing"
	"time"

	sandgate "github.com/sandgate/sandgate/bindings/go"
	"github.com/sandgate/sandgate/bindings/go/sandgatetest"
)

const (
	testFlag  = "a=bXktdGVzdC1zZWNyZXQ="
	testToken = "sbx-001-8080-x2qxvk-0ff8cd39a" // sbx-001, port 8080, expires 2000000000, key a
)

func TestAPIVerifyHostAndPath(t *testing.T) {
	v := mustVerifier(t, mustKeys(t, testFlag))
	want := sandgate.RouteInfo{SandboxID: "sbx-001", Port: 8080, Signed: true, Expires: 2000000000, KeyID: "a"}
	for name, verify := range map[string]func(uint64) (sandgate.RouteInfo, error){
		"token": func(now uint64) (sandgate.RouteInfo, error) { return v.VerifyAt(testToken, now) },
		"host": func(now uint64) (sandgate.RouteInfo, error) {
			return v.VerifyHostAt("https://"+testToken+".sandbox.example.com:8443", now)
		},
		"path": func(now uint64) (sandgate.RouteInfo, error) {
			return v.VerifyPathAt("/sbx-001/8080/x2qxvk/0ff8cd39a/api/ping?x=1", now)
		},
	} {
		info, err := verify(1900000000)
		if err != nil || info != want {
			t.Errorf("%s: %+v %v", name, info, err)
		}
		_, err = verify(2000000001)
		e := asError(t, err)
		if !errors.Is(err, sandgate.ErrExpired) || e.Status != 401 || e.Kind != sandgate.KindAccessDenied {
			t.Errorf("%s after expiry: %+v", name, e)
		}
	}
	// Without now: the system clock (2000000000 is in 2033).
	for name, verify := range map[string]func() (sandgate.RouteInfo, error){
		"token": func() (sandgate.RouteInfo, error) { return v.Verify(testToken) },
		"host":  func() (sandgate.RouteInfo, error) { return v.VerifyHost(testToken + ".localhost") },
		"path":  func() (sandgate.RouteInfo, error) { return v.VerifyPath("/sbx-001/8080/x2qxvk/0ff8cd39a") },
	} {
		if info, err := verify(); err != nil || info != want {
			t.Errorf("%s (system clock): %+v %v", name, info, err)
		}
	}
	// Each form reads only its own shape: a bare token is not a path.
	if _, err := v.VerifyPathAt(testToken, 0); !errors.Is(err, sandgate.ErrMalformed) {
		t.Errorf("token as a path: %v", err)
	}
	if _, err := v.VerifyHostAt("sbx-001-8080.localhost", 0); !errors.Is(err, sandgate.ErrCredentialRequired) {
		t.Errorf("unsigned host: %v", err)
	}
	if _, err := v.VerifyHostAt("\xff.localhost", 0); !errors.Is(err, sandgate.ErrInvalidArgument) ||
		!strings.Contains(err.Error(), "host is not valid UTF-8") {
		t.Errorf("host not UTF-8: %v", err)
	}
}

func TestAPISignWithTTL(t *testing.T) {
	signer, err := sandgate.NewRouteSigner(mustKeys(t, testFlag), "a")
	if err != nil {
		t.Fatal(err)
	}
	defer signer.Close()
	r, err := signer.SignForAt("sbx-001", 8080, 100000000*time.Second, 1900000000)
	if err != nil || r.Token != testToken || r.Expires != 2000000000 || r.KeyID != "a" ||
		r.ExpiresB36 != "x2qxvk" || r.Signature != "0ff8cd39a" || r.SandboxID != "sbx-001" || r.Port != 8080 {
		t.Fatalf("SignForAt: %+v %v", r, err)
	}
	before := uint64(time.Now().Unix())
	r, err = signer.SignFor("sbx-001", 8080, time.Hour)
	after := uint64(time.Now().Unix())
	if err != nil || r.Expires < before+3600 || r.Expires > after+3600 {
		t.Fatalf("SignFor: %+v %v", r, err)
	}
	_, err = signer.Sign("sbx-001", 70000, 2000000000)
	if e := asError(t, err); e.Message != "port must be in 1..65535, got 70000" ||
		err.Error() != "invalid argument: port must be in 1..65535, got 70000" {
		t.Errorf("port 70000: Message %q, Error() %q", e.Message, err.Error())
	}
	// Long ids grow the signing buffer; the route round-trips; too long is refused.
	v := mustVerifier(t, mustKeys(t, testFlag))
	for _, n := range []int{1, 600, 1024, 300} {
		id := strings.Repeat("x", n)
		r, err := signer.Sign(id, 80, 2000000000)
		if err != nil || r.SandboxID != id || !strings.HasPrefix(r.Token, id+"-80-") || r.URIPrefix != "/"+id+"/80/x2qxvk/"+r.Signature {
			t.Fatalf("id of %d bytes: %+v %v", n, r, err)
		}
		if info, err := v.VerifyAt(r.Token, 1900000000); err != nil || info.SandboxID != id {
			t.Fatalf("verify id of %d bytes: %v", n, err)
		}
	}
	if _, err := signer.Sign(strings.Repeat("x", 1025), 80, 1); !errors.Is(err, sandgate.ErrInvalidArgument) {
		t.Errorf("1025-byte id: %v", err)
	}
	for _, ttl := range []time.Duration{0, -time.Second, 500 * time.Millisecond} {
		_, err := signer.SignFor("sbx-001", 8080, ttl)
		if !errors.Is(err, sandgate.ErrInvalidArgument) || asError(t, err).Message != "ttl must be at least one second" {
			t.Errorf("ttl %v: %v", ttl, err)
		}
	}
}

func TestAPINilArguments(t *testing.T) {
	for name, call := range map[string]func() error{
		"NewRouteVerifier": func() error { _, err := sandgate.NewRouteVerifier(nil); return err },
		"NewRouteSigner":   func() error { _, err := sandgate.NewRouteSigner(nil, "a"); return err },
	} {
		err := call()
		e := asError(t, err)
		if !errors.Is(err, sandgate.ErrInvalidArgument) || e.Message != "keys must not be nil" ||
			err.Error() != "invalid argument: keys must not be nil" {
			t.Errorf("%s(nil): %v", name, err)
		}
	}
	if k, err := sandgate.SigningKeysFromEnv(nil); k != nil || !errors.Is(err, sandgate.ErrInvalidArgument) ||
		asError(t, err).Message != "lookup must not be nil" {
		t.Errorf("SigningKeysFromEnv(nil): %v %v", k, err)
	}
	srv := sandgatetest.Start(t)
	c := srv.AdminClient()
	var noCtx context.Context // nil: the point of the test
	_, err := c.ListSandboxes(noCtx)
	if !errors.Is(err, sandgate.ErrInvalidArgument) || asError(t, err).Message != "ctx must not be nil" {
		t.Errorf("nil ctx: %v", err)
	}
}

func TestAPIMessageIsBareErrorIsDisplay(t *testing.T) {
	srv := sandgatetest.Start(t)
	c := srv.AdminClient()
	_, err := c.GetSandbox(context.Background(), "does-not-exist")
	e := asError(t, err)
	if e.Kind != sandgate.KindAPI || e.Message == "" || e.RequestID == "" || strings.Contains(e.Message, "404") ||
		err.Error() != "API error 404 "+e.Code+": "+e.Message+" (request id "+e.RequestID+")" {
		t.Errorf("API error: Message %q, Error() %q", e.Message, err.Error())
	}
	// Cancelled before the start: the core's cancelled error, wrapping the context's.
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	_, err = c.ListSandboxes(ctx)
	e = asError(t, err)
	if e.Message != "the operation was cancelled" || err.Error() != "cancelled: the operation was cancelled" ||
		!errors.Is(err, context.Canceled) || !errors.Is(err, sandgate.ErrCancelled) {
		t.Errorf("cancelled: Message %q, Error() %q", e.Message, err.Error())
	}
	// A closed handle: the package's own message, with the core's display.
	v := mustVerifier(t, mustKeys(t, testFlag))
	_ = v.Close()
	_, err = v.VerifyAt(testToken, 0)
	if e := asError(t, err); e.Message != "RouteVerifier is closed" || err.Error() != "invalid argument: RouteVerifier is closed" {
		t.Errorf("closed: Message %q, Error() %q", e.Message, err.Error())
	}
}

func TestAPIRetryOptions(t *testing.T) {
	srv := sandgatetest.Start(t)
	ms := func(n int) *time.Duration { d := time.Duration(n) * time.Millisecond; return &d }
	fast := sandgate.RetryOptions{MaxRetries: sandgate.Ptr(3), InitialBackoff: ms(1), MaxBackoff: ms(2)}
	listings := func() int {
		n := 0
		for _, r := range srv.Requests() {
			if r.Method == "GET" && r.Path == "/v1/sandboxes" {
				n++
			}
		}
		return n
	}
	// Two injected 503s: three retries get through; no retries fail at once.
	retrying := srv.Client(sandgate.Options{APIKey: srv.AdminKey().Expose(), Retry: fast})
	srv.SetFaults(sandgate.Faults{FailNext: 2, Status: 503})
	if _, err := retrying.ListSandboxes(context.Background()); err != nil {
		t.Fatalf("with 3 retries: %v", err)
	}
	if n := listings(); n != 3 {
		t.Errorf("3 attempts expected, the mock saw %d", n)
	}
	srv.Reset()
	once := srv.Client(sandgate.Options{APIKey: srv.AdminKey().Expose(), Retry: sandgate.RetryOptions{MaxRetries: sandgate.Ptr(0)}})
	srv.SetFaults(sandgate.Faults{FailNext: 2, Status: 503})
	if _, err := once.ListSandboxes(context.Background()); !errors.Is(err, sandgate.ErrAPI) || asError(t, err).Status != 503 {
		t.Errorf("without retries: %v", err)
	}
	if n := listings(); n != 1 {
		t.Errorf("1 attempt expected, the mock saw %d", n)
	}
	// Bad values: the core checks the order, Go the values it cannot pass.
	bad := map[string]struct {
		retry sandgate.RetryOptions
		kind  error
		text  string
	}{
		"order":    {sandgate.RetryOptions{InitialBackoff: ms(500), MaxBackoff: ms(100)}, sandgate.ErrInvalidConfig, "must not exceed"},
		"negative": {sandgate.RetryOptions{MaxRetries: sandgate.Ptr(-1)}, sandgate.ErrInvalidArgument, "Retry.MaxRetries"},
		"backoff":  {sandgate.RetryOptions{MaxBackoff: ms(-1)}, sandgate.ErrInvalidArgument, "Retry.MaxBackoff"},
	}
	for name, c := range bad {
		_, err := sandgate.NewClient(sandgate.Options{Domain: srv.Domain(), IgnoreEnv: true, Retry: c.retry})
		if !errors.Is(err, c.kind) || !strings.Contains(err.Error(), c.text) {
			t.Errorf("%s: %v", name, err)
		}
	}
	if s := fast.String(); s != "RetryOptions{MaxRetries: 3, InitialBackoff: 1ms, MaxBackoff: 2ms}" {
		t.Errorf("String: %q", s)
	}
}

// TestAPIHotPathsAllocateLittle: an allowed verify allocates nothing in Go (one native call, a
// pooled out-parameter, the sandbox id a substring of the input), and a sign allocates the
// route and its one string. (Under -race, sync.Pool drops a pooled value now and then, hence
// averages rather than exact counts.)
func TestAPIHotPathsAllocateLittle(t *testing.T) {
	keys := mustKeys(t, testFlag)
	v := mustVerifier(t, keys)
	host, path := testToken+".localhost", "/sbx-001/8080/x2qxvk/0ff8cd39a/x"
	for name, f := range map[string]func(){
		"token": func() { _, _ = v.VerifyAt(testToken, 1900000000) },
		"host":  func() { _, _ = v.VerifyHostAt(host, 1900000000) },
		"path":  func() { _, _ = v.VerifyPathAt(path, 1900000000) },
	} {
		if n := testing.AllocsPerRun(200, f); n >= 1 {
			t.Errorf("verify %s: %v allocations per call", name, n)
		}
	}
	signer, err := sandgate.NewRouteSigner(keys, "a")
	if err != nil {
		t.Fatal(err)
	}
	defer signer.Close()
	if n := testing.AllocsPerRun(200, func() { _, _ = signer.Sign("sbx-001", 8080, 2000000000) }); n >= 3 {
		t.Errorf("sign: %v allocations per call", n)
	}
}
