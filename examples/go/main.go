// The sandgate flow in Go against the embedded mock server: mint a key as a user, create a
// secure sandbox with it, get a signed endpoint, GET /ping through the verifying gateway with
// net/http, verify the token locally, move the mock clock past the expiry, tamper with a
// token, revoke the key. Exits 1 at the first step that does not behave.
package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"os"
	"strings"
	"time"

	sandgate "github.com/sandgate/sandgate/bindings/go"
)

func main() {
	if err := run(context.Background()); err != nil {
		fmt.Fprintln(os.Stderr, "FAILED:", err)
		os.Exit(1)
	}
	fmt.Println("every step behaved")
}

// get sends GET endpoint.URL+path with the endpoint's headers (and an override of the route
// header when token is not empty).
func get(ctx context.Context, e *sandgate.Endpoint, path, token string) (int, string, string, error) {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, e.URL+path, nil)
	if err != nil {
		return 0, "", "", err
	}
	req.Header = e.Header()
	if token != "" {
		req.Header.Set("OpenSandbox-Ingress-To", token)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return 0, "", "", err
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(resp.Body)
	return resp.StatusCode, strings.TrimSpace(string(body)), resp.Header.Get("X-Sandgate-Reason"), err
}

func check(ok bool, format string, args ...any) error {
	if ok {
		return nil
	}
	return fmt.Errorf(format, args...)
}

// tamper flips the last hex digit of the token's signature.
func tamper(token string) string {
	i := len(token) - 2
	c := byte('0')
	if token[i] == '0' {
		c = '1'
	}
	return token[:i] + string(c) + token[i+1:]
}

func run(ctx context.Context) error {
	mock, err := sandgate.StartMockServer(sandgate.MockOptions{RouteMode: "header", TrustedHeaders: true})
	if err != nil {
		return err
	}
	defer mock.Close()
	fmt.Printf("mock server: API %s · gateway %s\n", mock.APIURL(), mock.GatewayURL())

	// 1. A user (from the trusted headers) mints a key; the raw key is shown this one time.
	asUser, err := sandgate.NewClient(sandgate.Options{Domain: mock.Domain(), IgnoreEnv: true,
		Headers: map[string]string{"X-OpenSandbox-User": "demo-user", "X-OpenSandbox-Roles": "operator"}})
	if err != nil {
		return err
	}
	defer asUser.Close()
	key, err := asUser.CreateAPIKey(ctx, sandgate.CreateAPIKeyRequest{Name: "demo"})
	if err != nil {
		return err
	}
	fmt.Printf("1. minted %v (shown once: %d characters)\n", key, len(key.Key.Expose()))

	// 2. With that key alone, create a sandbox that requires secure access.
	client, err := sandgate.NewClient(sandgate.Options{Domain: mock.Domain(), APIKey: key.Key.Expose(), IgnoreEnv: true})
	if err != nil {
		return err
	}
	defer client.Close()
	sb, err := client.CreateSandbox(ctx, sandgate.CreateSandboxRequest{Image: "python:3.11", SecureAccess: true})
	if err != nil {
		return err
	}
	if err := check(sb.Metadata["access.owner"] == "demo-user", "sandbox owner is %q", sb.Metadata["access.owner"]); err != nil {
		return err
	}
	fmt.Printf("2. created secure sandbox %s owned by %s\n", sb.ID, sb.Metadata["access.owner"])

	// 3. A signed endpoint for port 8080 that stops working in 60 seconds.
	ep, err := client.GetSignedEndpointFor(ctx, sb.ID, 8080, time.Minute)
	if err != nil {
		return err
	}
	if err := check(ep.Route != nil && ep.Route.Signed, "the endpoint carries no signed route"); err != nil {
		return err
	}
	token := ep.Headers["OpenSandbox-Ingress-To"]
	fmt.Printf("3. signed endpoint %v (expires %d)\n", ep, ep.Route.Expires)

	// 4. Through the gateway with net/http.
	status, body, _, err := get(ctx, ep, "/ping?from=go", "")
	if err != nil {
		return err
	}
	if err := check(status == 200, "GET /ping answered %d: %s", status, body); err != nil {
		return err
	}
	fmt.Printf("4. GET /ping through the gateway → %d %s\n", status, body)

	// 5. Verify the same token locally with the mock's signing keys.
	keys, err := sandgate.SigningKeysFromFlag(mock.SigningKeys().Expose())
	if err != nil {
		return err
	}
	defer keys.Close()
	verifier, err := sandgate.NewRouteVerifier(keys)
	if err != nil {
		return err
	}
	defer verifier.Close()
	now, err := mock.Now()
	if err != nil {
		return err
	}
	info, err := verifier.VerifyAt(token, now)
	if err != nil {
		return err
	}
	fmt.Printf("5. verified locally: sandbox %s port %d key %s\n", info.SandboxID, info.Port, info.KeyID)

	// 6. Past its expiry the same link is rejected, at the gateway and locally.
	if err := mock.Advance(61); err != nil {
		return err
	}
	status, body, reason, err := get(ctx, ep, "/ping", "")
	if err != nil {
		return err
	}
	if err := check(status == 401 && reason == "expired", "expired link answered %d %s", status, body); err != nil {
		return err
	}
	if now, err = mock.Now(); err != nil {
		return err
	}
	_, err = verifier.VerifyAt(token, now)
	if err := check(errors.Is(err, sandgate.ErrExpired), "local verify said %v, not expired", err); err != nil {
		return err
	}
	fmt.Printf("6. after the clock moved 61 s: %d %s\n", status, body)

	// 7. A tampered token is rejected.
	fresh, err := client.GetSignedEndpointFor(ctx, sb.ID, 8080, time.Hour)
	if err != nil {
		return err
	}
	if status, body, _, err = get(ctx, fresh, "/ping", ""); err != nil || status != 200 {
		return fmt.Errorf("the fresh link answered %d %s (%v)", status, body, err)
	}
	bad := tamper(fresh.Headers["OpenSandbox-Ingress-To"])
	status, body, reason, err = get(ctx, fresh, "/ping", bad)
	if err != nil {
		return err
	}
	if err := check(status == 401 && reason == "bad_signature", "tampered token answered %d %s", status, body); err != nil {
		return err
	}
	_, err = verifier.VerifyAt(bad, now)
	if err := check(errors.Is(err, sandgate.ErrBadSignature), "local verify of the tampered token said %v", err); err != nil {
		return err
	}
	fmt.Printf("7. tampered token %s: %d %s\n", bad, status, body)

	// 8. Revoke the key: it stops working.
	if err := asUser.RevokeAPIKey(ctx, key.ID); err != nil {
		return err
	}
	_, err = client.ListSandboxes(ctx)
	var apiErr *sandgate.Error
	if !errors.As(err, &apiErr) || apiErr.Kind != sandgate.KindAPI || apiErr.Status != 401 {
		return fmt.Errorf("the revoked key gave %v", err)
	}
	fmt.Printf("8. revoked key %s → %v\n", key.ID, err)
	return nil
}
