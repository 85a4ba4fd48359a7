package sandgate_test

import (
	"context"
	"errors"
	"net/http"
	"testing"
	"time"

	sandgate "github.com/sandgate/sandgate/bindings/go"
	"github.com/sandgate/sandgate/bindings/go/sandgatetest"
)

const (
	rotationSecretA = "bXktdGVzdC1zZWNyZXQ="
	rotationSecretB = "cm90YXRlZC1zZWNyZXQtYg=="
)

// ringKeys is a key set as the server's environment pair would give it.
func ringKeys(t *testing.T, keys, active string) *sandgate.SigningKeys {
	t.Helper()
	env := map[string]string{"OPENSANDBOX_SECURE_ACCESS_KEYS": keys, "OPENSANDBOX_SECURE_ACCESS_ACTIVE_KEY": active}
	k, err := sandgate.SigningKeysFromEnv(func(name string) (string, bool) { v, ok := env[name]; return v, ok })
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = k.Close() })
	return k
}

// throughGateway sends a signed link to the mock's gateway: status and reason.
func throughGateway(t *testing.T, srv *sandgatetest.Server, link string) (int, string) {
	t.Helper()
	req, err := http.NewRequest("GET", srv.GatewayURL()+"/", nil)
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set("OpenSandbox-Ingress-To", link)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	_ = resp.Body.Close()
	return resp.StatusCode, resp.Header.Get("X-Sandgate-Reason")
}

// TestRotationOnMock: sign with a → add b → activate b → both links answer 200 → retire a
// after its last link expired (mock clock) → a links 401 unknown_key, b links 200.
func TestRotationOnMock(t *testing.T) {
	ctx := context.Background()
	srv := sandgatetest.Start(t)
	a, b := "a="+rotationSecretA, "b="+rotationSecretB
	if err := srv.SetSigningKeys(ringKeys(t, a, "a")); err != nil {
		t.Fatal(err)
	}
	c := srv.Client(sandgate.Options{APIKey: srv.AdminKey().Expose(), Cache: sandgate.CacheOptions{Enabled: sandgate.Ptr(false)}})
	sb, err := c.CreateSandbox(ctx, sandgate.CreateSandboxRequest{Image: "python:3.11", SecureAccess: true, Timeout: 24 * time.Hour})
	if err != nil {
		t.Fatal(err)
	}
	linkOf := func(ttl time.Duration, want string) string {
		t.Helper()
		e, err := c.Endpoint(ctx, sb.ID, 8080, sandgate.SignedFor(ttl))
		if err != nil || e.Route == nil || e.Route.KeyID != want {
			t.Fatalf("link: %v %v (want key %s)", e, err, want)
		}
		return e.Headers["OpenSandbox-Ingress-To"]
	}
	linkA := linkOf(time.Hour, "a")
	if err := srv.SetSigningKeys(ringKeys(t, a+","+b, "a")); err != nil { // add b
		t.Fatal(err)
	}
	if err := srv.SetSigningKeys(ringKeys(t, a+","+b, "b")); err != nil { // activate b
		t.Fatal(err)
	}
	activated := srv.Now()
	linkB := linkOf(12*time.Hour, "b")
	for name, link := range map[string]string{"a": linkA, "b": linkB} {
		if status, reason := throughGateway(t, srv, link); status != 200 {
			t.Fatalf("%s link with both keys: %d %s", name, status, reason)
		}
	}
	srv.Advance(2 * 3600)                                           // the last a link has expired
	if err := srv.SetSigningKeys(ringKeys(t, b, "b")); err != nil { // retire a
		t.Fatal(err)
	}
	if status, reason := throughGateway(t, srv, linkA); status != 401 || reason != "expired" {
		t.Fatalf("a link after retiring a: %d %s", status, reason)
	}
	// The key itself is gone, whatever the clock: back when the a link was still valid, it
	// answers 401 unknown_key.
	srv.SetNow(activated + 10)
	if status, reason := throughGateway(t, srv, linkA); status != 401 || reason != "unknown_key" {
		t.Fatalf("a link after retiring a, within its expiry: %d %s", status, reason)
	}
	if status, reason := throughGateway(t, srv, linkB); status != 200 {
		t.Fatalf("b link after retiring a: %d %s", status, reason)
	}
	if keys := srv.SigningKeys().Expose(); keys != b {
		t.Errorf("mock keys after rotation: %d characters", len(keys))
	}

	// A local verifier given the new keys verifies a b link it refused before.
	v, err := sandgate.NewRouteVerifier(ringKeys(t, a, "a"))
	if err != nil {
		t.Fatal(err)
	}
	defer v.Close()
	now := srv.Now()
	if _, err := v.VerifyAt(linkB, now); !errors.Is(err, sandgate.ErrUnknownKey) {
		t.Fatalf("a-only verifier on a b link: %v", err)
	}
	if err := v.ReplaceKeys(ringKeys(t, a+","+b, "b")); err != nil {
		t.Fatal(err)
	}
	if r, err := v.VerifyAt(linkB, now); err != nil || r.KeyID != "b" {
		t.Fatalf("after ReplaceKeys: %+v %v", r, err)
	}
	if err := v.ReplaceKeys(nil); !errors.Is(err, sandgate.ErrInvalidArgument) {
		t.Errorf("ReplaceKeys(nil): %v", err)
	}
}

// TestRotationGatewayReplaceKeys: the gateway check takes new keys live.
func TestRotationGatewayReplaceKeys(t *testing.T) {
	g, err := sandgate.NewGateway(sandgate.GatewayOptions{Keys: ringKeys(t, "b="+rotationSecretB, "b"), Now: sandgate.Ptr(uint64(1900000000))})
	if err != nil {
		t.Fatal(err)
	}
	defer g.Close()
	link := []sandgate.Header{{Name: "OpenSandbox-Ingress-To", Value: "sbx-001-8080-x2qxvk-0ff8cd39a"}} // signed with a
	if v, err := g.Check("/", link); err != nil || v.Allowed || v.Reason != "unknown_key" {
		t.Fatalf("before: %+v %v", v, err)
	}
	if err := g.ReplaceKeys(ringKeys(t, "a="+rotationSecretA, "a")); err != nil {
		t.Fatal(err)
	}
	if v, err := g.Check("/", link); err != nil || !v.Allowed {
		t.Fatalf("after: %+v %v", v, err)
	}
}
