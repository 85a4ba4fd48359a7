package sandgate_test

import (
	"context"
	"errors"
	"fmt"
	"log"
	"os"
	"strings"
	"testing"
	"time"

	sandgate "github.com/sandgate/sandgate/bindings/go"
)

func check(err error) {
	if err != nil {
		log.Fatal(err)
	}
}

// The README's example, run by go test (its output is checked).
func Example() {
	// README begin
	mock, err := sandgate.StartMockServer(sandgate.MockOptions{TrustedHeaders: true})
	check(err)
	defer mock.Close()
	ctx := context.Background()

	// A user mints an API key; the key alone then creates a secure sandbox.
	user, err := sandgate.NewClient(sandgate.Options{Domain: mock.Domain(), IgnoreEnv: true, Headers: map[string]string{
		"X-OpenSandbox-User": "ada", "X-OpenSandbox-Roles": "operator"}})
	check(err)
	defer user.Close()
	key, err := user.CreateAPIKey(ctx, sandgate.CreateAPIKeyRequest{Name: "laptop"})
	check(err)
	fmt.Println(key.Key) // a Secret prints ***; key.Key.Expose() is the text
	client, err := sandgate.NewClient(sandgate.Options{
		Domain:    mock.Domain(),
		APIKey:    key.Key.Expose(),
		IgnoreEnv: true,
		Retry: sandgate.RetryOptions{
			MaxRetries:     sandgate.Ptr(3),
			InitialBackoff: sandgate.Ptr(200 * time.Millisecond),
			MaxBackoff:     sandgate.Ptr(2 * time.Second),
		},
	})
	check(err)
	defer client.Close()
	sandbox, err := client.CreateSandbox(ctx, sandgate.CreateSandboxRequest{Image: "python:3.11", SecureAccess: true})
	check(err)
	endpoint, err := client.GetSignedEndpointFor(ctx, sandbox.ID, 8080, 5*time.Minute)
	check(err)
	// GET endpoint.URL + "/ping" with endpoint.Header() reaches the sandbox through the gateway.

	// Signing and verifying locally, with the mock's signing keys.
	keys, err := sandgate.SigningKeysFromFlag(mock.SigningKeys().Expose())
	check(err)
	defer keys.Close()
	verifier, err := sandgate.NewRouteVerifier(keys)
	check(err)
	defer verifier.Close()
	info, err := verifier.Verify(endpoint.Headers["OpenSandbox-Ingress-To"])
	check(err)
	fmt.Println(info.SandboxID == sandbox.ID, info.Port, info.KeyID)
	signer, err := sandgate.NewRouteSigner(keys, "a")
	check(err)
	defer signer.Close()
	route, err := signer.SignForAt("sbx-001", 8080, time.Hour, 1900000000)
	check(err)
	_, err = verifier.VerifyHostAt(route.Token+".sandbox.example.com", 1900003601)
	var denied *sandgate.Error
	if errors.As(err, &denied) && errors.Is(err, sandgate.ErrExpired) {
		fmt.Println(denied.Status, denied.Reason)
		fmt.Println(err) // the full line; denied.Message is the bare message
	}
	// README end

	// Output:
	// ***
	// true 8080 a
	// 401 expired
	// access denied (expired): the signed route has expired
}

// TestREADMEExampleIsTheExample: the README's Go example is the code Example runs, so it
// cannot rot.
func TestREADMEExampleIsTheExample(t *testing.T) {
	src, err := os.ReadFile("example_test.go")
	if err != nil {
		t.Fatal(err)
	}
	readme, err := os.ReadFile("README.md")
	if err != nil {
		t.Fatal(err)
	}
	body := strings.SplitN(strings.SplitN(string(src), "\t// README begin\n", 2)[1], "\t// README end\n", 2)[0]
	var lines []string
	for _, l := range strings.Split(strings.TrimRight(body, "\n"), "\n") {
		lines = append(lines, strings.TrimPrefix(l, "\t"))
	}
	snippet := "```go\n" + strings.Join(lines, "\n") + "\n```"
	if !strings.Contains(string(readme), snippet) {
		t.Errorf("README.md must hold the body of Example (between the README markers) as its go block:\n%s", snippet)
	}
}
