package sandgate_test

// The shared case files of sdk-tests/cases, run through the public Go API.

import (
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"

	sandgate "github.com/sandgate/sandgate/bindings/go"
)

// loadCases decodes sdk-tests/cases/<name>.json (relative to the repository) into v.
func loadCases(t *testing.T, name string, v any) {
	t.Helper()
	path := filepath.Join("..", "..", "sdk-tests", "cases", name+".json")
	data, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("read %s: %v", path, err)
	}
	if err := json.Unmarshal(data, v); err != nil {
		t.Fatalf("decode %s: %v", path, err)
	}
}

// u64 parses a decimal string (numbers above 2^53 are strings in the case files).
func u64(t *testing.T, s string) uint64 {
	t.Helper()
	v, err := strconv.ParseUint(s, 10, 64)
	if err != nil {
		t.Fatalf("bad number %q: %v", s, err)
	}
	return v
}

func mustKeys(t *testing.T, flag string) *sandgate.SigningKeys {
	t.Helper()
	k, err := sandgate.SigningKeysFromFlag(flag)
	if err != nil {
		t.Fatalf("SigningKeysFromFlag: %v", err)
	}
	t.Cleanup(func() { _ = k.Close() })
	return k
}

func mustVerifier(t *testing.T, keys *sandgate.SigningKeys) *sandgate.RouteVerifier {
	t.Helper()
	v, err := sandgate.NewRouteVerifier(keys)
	if err != nil {
		t.Fatalf("NewRouteVerifier: %v", err)
	}
	t.Cleanup(func() { _ = v.Close() })
	return v
}

// asError extracts the *sandgate.Error of err, failing the test when there is none.
func asError(t *testing.T, err error) *sandgate.Error {
	t.Helper()
	var e *sandgate.Error
	if !errors.As(err, &e) {
		t.Fatalf("expected a *sandgate.Error, got %T: %v", err, err)
	}
	return e
}

type vectorsFile struct {
	Signing []struct {
		SecretB64  string `json:"secret_b64"`
		KeyID      string `json:"key_id"`
		SandboxID  string `json:"sandbox_id"`
		Port       int    `json:"port"`
		Expires    string `json:"expires"`
		ExpiresB36 string `json:"expires_b36"`
		Signature  string `json:"signature"`
		Token      string `json:"token"`
	} `json:"signing"`
	ExpiresB36 []struct {
		Expires string `json:"expires"`
		B36     string `json:"b36"`
	} `json:"expires_b36"`
	Rejected []string `json:"expires_b36_rejected"`
}

func TestVectorsSigning(t *testing.T) {
	var f vectorsFile
	loadCases(t, "vectors", &f)
	if len(f.Signing) != 300 {
		t.Fatalf("expected 300 signing vectors, got %d", len(f.Signing))
	}
	for i, v := range f.Signing {
		v := v
		t.Run(fmt.Sprintf("%03d_%s", i, v.SandboxID), func(t *testing.T) {
			keys := mustKeys(t, v.KeyID+"="+v.SecretB64)
			signer, err := sandgate.NewRouteSigner(keys, v.KeyID)
			if err != nil {
				t.Fatal(err)
			}
			defer signer.Close()
			expires := u64(t, v.Expires)
			route, err := signer.Sign(v.SandboxID, v.Port, expires)
			if err != nil {
				t.Fatal(err)
			}
			if route.Token != v.Token || route.Signature != v.Signature || route.ExpiresB36 != v.ExpiresB36 {
				t.Fatalf("signed %+v, want token %s", route, v.Token)
			}
			if route.SandboxID != v.SandboxID || route.Port != v.Port || route.Expires != expires || route.KeyID != v.KeyID {
				t.Fatalf("route parts %+v", route)
			}
			info, err := mustVerifier(t, keys).VerifyAt(v.Token, expires)
			if err != nil {
				t.Fatalf("verify at expires: %v", err)
			}
			if info.SandboxID != v.SandboxID || info.Port != v.Port || info.Expires != expires || info.KeyID != v.KeyID || !info.Signed {
				t.Fatalf("verified %+v", info)
			}
		})
	}
}

func TestVectorsExpiresB36(t *testing.T) {
	var f vectorsFile
	loadCases(t, "vectors", &f)
	for _, c := range f.ExpiresB36 {
		n := u64(t, c.Expires)
		if got := sandgate.EncodeExpiresB36(n); got != c.B36 {
			t.Errorf("encode %d = %q, want %q", n, got, c.B36)
		}
		got, err := sandgate.DecodeExpiresB36(c.B36)
		if err != nil || got != n {
			t.Errorf("decode %q = %d, %v; want %d", c.B36, got, err, n)
		}
	}
	for _, r := range f.Rejected {
		_, err := sandgate.DecodeExpiresB36(r)
		if !errors.Is(err, sandgate.ErrInvalidArgument) {
			t.Errorf("decode %q: want invalid_argument, got %v", r, err)
		}
	}
}

type routeExpect struct {
	Ok        *bool   `json:"ok"`
	Allowed   *bool   `json:"allowed"`
	Reason    *string `json:"reason"`
	Status    int     `json:"status"`
	Grant     string  `json:"grant"`
	SandboxID string  `json:"sandbox_id"`
	Port      int     `json:"port"`
	Expires   *string `json:"expires"`
	KeyID     *string `json:"key_id"`
	Path      *string `json:"path"`
}

// checkRoute compares a decision's route with the expected facts.
func checkRoute(t *testing.T, d sandgate.AccessDecision, want routeExpect) {
	t.Helper()
	r := d.Route
	if r == nil {
		t.Fatalf("allowed decision without a route: %+v", d)
	}
	if r.SandboxID != want.SandboxID || r.Port != want.Port {
		t.Errorf("route %+v, want %s:%d", *r, want.SandboxID, want.Port)
	}
	if (want.Expires != nil) != r.Signed {
		t.Errorf("signed = %v, want expires %v", r.Signed, want.Expires)
	}
	if want.Expires != nil && strconv.FormatUint(r.Expires, 10) != *want.Expires {
		t.Errorf("expires %d, want %s", r.Expires, *want.Expires)
	}
	if want.KeyID != nil && r.KeyID != *want.KeyID {
		t.Errorf("key id %q, want %q", r.KeyID, *want.KeyID)
	}
	if want.Path != nil && d.Path != *want.Path {
		t.Errorf("path %q, want %q", d.Path, *want.Path)
	}
}

// checkQuery compares the upstream query (absent vs empty matters).
func checkQuery(t *testing.T, got *string, raw map[string]json.RawMessage) {
	t.Helper()
	q, present := raw["query"]
	if !present {
		return
	}
	var want *string
	if err := json.Unmarshal(q, &want); err != nil {
		t.Fatal(err)
	}
	switch {
	case want == nil && got != nil:
		t.Errorf("query %q, want none", *got)
	case want != nil && got == nil:
		t.Errorf("no query, want %q", *want)
	case want != nil && *got != *want:
		t.Errorf("query %q, want %q", *got, *want)
	}
}

func TestParseCases(t *testing.T) {
	var f struct {
		Cases []struct {
			Name   string          `json:"name"`
			Form   string          `json:"form"`
			Input  string          `json:"input"`
			Expect json.RawMessage `json:"expect"`
		} `json:"cases"`
	}
	loadCases(t, "parse", &f)
	if len(f.Cases) == 0 {
		t.Fatal("no parse cases")
	}
	verifier := mustVerifier(t, mustKeys(t, ""))
	for _, c := range f.Cases {
		c := c
		t.Run(c.Name, func(t *testing.T) {
			var want routeExpect
			var raw map[string]json.RawMessage
			_ = json.Unmarshal(c.Expect, &want)
			_ = json.Unmarshal(c.Expect, &raw)
			var req sandgate.AccessRequest
			input := c.Input
			switch c.Form {
			case "token":
				req.IngressTo = &input
			case "host":
				req.Host, req.Path = &input, sandgate.Ptr("/")
			case "path":
				req.Path = &input
			default:
				t.Fatalf("unknown form %q", c.Form)
			}
			d, err := verifier.DecideAt(req, nil, 0)
			if err != nil {
				t.Fatal(err)
			}
			if *want.Ok {
				if !d.Allowed || d.Err() != nil {
					t.Fatalf("denied: %+v", d)
				}
				checkRoute(t, d, want)
				checkQuery(t, d.Query, raw)
				return
			}
			if d.Allowed || d.Reason != sandgate.Reason(*want.Reason) || d.Status != 400 {
				t.Fatalf("decision %+v, want %s 400", d, *want.Reason)
			}
			if !errors.Is(d.Err(), sandgate.ErrMalformed) || !errors.Is(d.Err(), sandgate.ErrAccessDenied) {
				t.Fatalf("Err() = %v", d.Err())
			}
		})
	}
}

func TestAccessCases(t *testing.T) {
	var f struct {
		Cases []struct {
			Name    string `json:"name"`
			Keys    string `json:"keys"`
			Now     string `json:"now"`
			Request struct {
				IngressTo    *string `json:"ingress_to"`
				Host         *string `json:"host"`
				Path         *string `json:"path"`
				SecureAccess *string `json:"secure_access"`
			} `json:"request"`
			Sandbox struct {
				Secure      bool   `json:"secure"`
				AccessToken string `json:"access_token"`
			} `json:"sandbox"`
			Expect json.RawMessage `json:"expect"`
		} `json:"cases"`
	}
	loadCases(t, "access", &f)
	if len(f.Cases) == 0 {
		t.Fatal("no access cases")
	}
	for _, c := range f.Cases {
		c := c
		t.Run(c.Name, func(t *testing.T) {
			var want routeExpect
			var raw map[string]json.RawMessage
			_ = json.Unmarshal(c.Expect, &want)
			_ = json.Unmarshal(c.Expect, &raw)
			verifier := mustVerifier(t, mustKeys(t, c.Keys))
			var token *string
			if c.Sandbox.Secure {
				token = &c.Sandbox.AccessToken
			}
			req := sandgate.AccessRequest{IngressTo: c.Request.IngressTo, Host: c.Request.Host,
				Path: c.Request.Path, SecureAccess: c.Request.SecureAccess}
			d, err := verifier.DecideAt(req, token, u64(t, c.Now))
			if err != nil {
				t.Fatal(err)
			}
			if d.Allowed != *want.Allowed || d.Status != want.Status {
				t.Fatalf("decision %+v, want allowed=%v status=%d", d, *want.Allowed, want.Status)
			}
			if d.Allowed {
				if string(d.Grant) != want.Grant || d.Reason != "" || d.Err() != nil {
					t.Fatalf("grant %q reason %q, want %q", d.Grant, d.Reason, want.Grant)
				}
				checkRoute(t, d, want)
				checkQuery(t, d.Query, raw)
				return
			}
			if d.Reason != sandgate.Reason(*want.Reason) || d.Route != nil || d.Detail == "" {
				t.Fatalf("decision %+v, want reason %s", d, *want.Reason)
			}
			e := asError(t, d.Err())
			if e.Kind != sandgate.KindAccessDenied || e.Reason != d.Reason || e.Status != want.Status {
				t.Fatalf("Err() = %+v", e)
			}
		})
	}
}

func TestKeyConfigCases(t *testing.T) {
	var f struct {
		Cases []struct {
			Name   string          `json:"name"`
			Form   string          `json:"form"`
			Input  json.RawMessage `json:"input"`
			Expect struct {
				Unset    bool     `json:"unset"`
				Ok       bool     `json:"ok"`
				KeyIDs   []string `json:"key_ids"`
				Active   *string  `json:"active_key"`
				Kind     string   `json:"kind"`
				Contains string   `json:"message_contains"`
				Excludes string   `json:"message_excludes"`
			} `json:"expect"`
		} `json:"cases"`
	}
	loadCases(t, "key_config", &f)
	if len(f.Cases) == 0 {
		t.Fatal("no key_config cases")
	}
	for _, c := range f.Cases {
		c := c
		t.Run(c.Name, func(t *testing.T) {
			var keys *sandgate.SigningKeys
			var err error
			var text string
			var env map[string]string
			if c.Form == "env" {
				err = json.Unmarshal(c.Input, &env)
			} else {
				err = json.Unmarshal(c.Input, &text)
			}
			if err != nil {
				t.Fatalf("case input: %v", err)
			}
			switch c.Form {
			case "flag":
				keys, err = sandgate.SigningKeysFromFlag(text)
			case "toml":
				keys, err = sandgate.SigningKeysFromTOML(text)
			case "env":
				keys, err = sandgate.SigningKeysFromEnv(func(name string) (string, bool) {
					v, ok := env[name]
					return v, ok
				})
			default:
				t.Fatalf("unknown form %q", c.Form)
			}
			want := c.Expect
			if want.Unset {
				if keys != nil || err != nil {
					t.Fatalf("neither variable set: want nil, nil; got %v, %v", keys, err)
				}
				return
			}
			if want.Ok {
				if err != nil {
					t.Fatalf("unexpected error: %v", err)
				}
				defer keys.Close()
				if got := strings.Join(keys.KeyIDs(), ","); got != strings.Join(want.KeyIDs, ",") {
					t.Errorf("key ids %q, want %q", got, want.KeyIDs)
				}
				active := ""
				if want.Active != nil {
					active = *want.Active
				}
				if keys.ActiveKeyID() != active {
					t.Errorf("active %q, want %q", keys.ActiveKeyID(), active)
				}
				return
			}
			if keys != nil {
				t.Fatalf("keys returned with an error")
			}
			e := asError(t, err)
			if string(e.Kind) != want.Kind || !errors.Is(err, sandgate.ErrInvalidConfig) {
				t.Fatalf("kind %s, want %s", e.Kind, want.Kind)
			}
			if !strings.Contains(err.Error(), want.Contains) {
				t.Errorf("message %q lacks %q", err.Error(), want.Contains)
			}
			if want.Excludes != "" {
				for _, text := range []string{err.Error(), e.Message, fmt.Sprintf("%+v", e), fmt.Sprintf("%#v", e)} {
					if strings.Contains(text, want.Excludes) {
						t.Errorf("the secret appears in %q", text)
					}
				}
			}
		})
	}
}

func TestKeyConfigFromProcessEnv(t *testing.T) {
	t.Setenv("OPENSANDBOX_SECURE_ACCESS_KEYS", "a=Zm9v,b=YmFy")
	t.Setenv("OPENSANDBOX_SECURE_ACCESS_ACTIVE_KEY", "b")
	keys, err := sandgate.SigningKeysFromEnv(os.LookupEnv)
	if err != nil || keys == nil || keys.ActiveKeyID() != "b" {
		t.Fatalf("from the process env: %v, %v", keys, err)
	}
	keys.Close()
	os.Unsetenv("OPENSANDBOX_SECURE_ACCESS_ACTIVE_KEY")
	if _, err := sandgate.SigningKeysFromEnv(os.LookupEnv); !errors.Is(err, sandgate.ErrInvalidConfig) ||
		!strings.Contains(err.Error(), "set together") {
		t.Fatalf("one variable alone: %v", err)
	}
}

func TestAPIKeysCases(t *testing.T) {
	var f struct {
		Hash []struct {
			Raw  string `json:"raw"`
			Hash string `json:"hash"`
		} `json:"hash"`
		Verify []struct {
			Name      string          `json:"name"`
			Key       string          `json:"key"`
			Hash      string          `json:"hash"`
			ExpiresAt *string         `json:"expires_at"`
			Revoked   bool            `json:"revoked"`
			Now       *string         `json:"now"`
			Expect    json.RawMessage `json:"expect"`
		} `json:"verify"`
		Generate []struct {
			Prefix string `json:"prefix"`
			Length int    `json:"length"`
			Error  string `json:"error"`
		} `json:"generate"`
	}
	loadCases(t, "api_keys", &f)
	t.Run("hash", func(t *testing.T) {
		for _, h := range f.Hash {
			got, err := sandgate.HashAPIKey(h.Raw)
			if err != nil || got != h.Hash {
				t.Errorf("hash(%q) = %q, %v; want %q", h.Raw, got, err, h.Hash)
			}
		}
	})
	for _, v := range f.Verify {
		v := v
		t.Run("verify/"+v.Name, func(t *testing.T) {
			stored := sandgate.StoredKey{Hash: v.Hash, Revoked: v.Revoked, ExpiresAt: v.ExpiresAt}
			var ok bool
			var err error
			if v.Now != nil {
				ok, err = sandgate.VerifyAPIKeyAt(v.Key, stored, u64(t, *v.Now))
			} else {
				ok, err = sandgate.VerifyAPIKey(v.Key, stored)
			}
			var wantBool bool
			if json.Unmarshal(v.Expect, &wantBool) == nil {
				if err != nil || ok != wantBool {
					t.Fatalf("verify = %v, %v; want %v", ok, err, wantBool)
				}
				return
			}
			var wantKind string
			_ = json.Unmarshal(v.Expect, &wantKind)
			if e := asError(t, err); string(e.Kind) != wantKind {
				t.Fatalf("kind %s, want %s", e.Kind, wantKind)
			}
		})
	}
	for _, g := range f.Generate {
		g := g
		t.Run("generate/"+g.Prefix, func(t *testing.T) {
			k, err := sandgate.GenerateAPIKeyWithPrefix(g.Prefix)
			if g.Error != "" {
				if e := asError(t, err); string(e.Kind) != g.Error {
					t.Fatalf("kind %s, want %s", e.Kind, g.Error)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			raw := k.Key.Expose()
			if len(raw) != g.Length || !strings.HasPrefix(raw, g.Prefix) || k.Prefix != raw[:12] {
				t.Fatalf("generated %d chars %q (prefix %q)", len(raw), raw[:4], k.Prefix)
			}
			if h, _ := sandgate.HashAPIKey(raw); h != k.Hash {
				t.Fatalf("hash %s, want %s", k.Hash, h)
			}
			if ok, err := sandgate.VerifyAPIKey(raw, sandgate.StoredKey{Hash: k.Hash}); !ok || err != nil {
				t.Fatalf("generated key does not verify: %v %v", ok, err)
			}
			if strings.Contains(fmt.Sprintf("%v %+v %#v %s", k, k, k, k.Key), raw) {
				t.Fatal("the raw key printed")
			}
		})
	}
	t.Run("generate/default", func(t *testing.T) {
		k, err := sandgate.GenerateAPIKey()
		if err != nil || len(k.Key.Expose()) != 47 || !strings.HasPrefix(k.Key.Expose(), "osk_") {
			t.Fatalf("default key: %v %d", err, len(k.Key.Expose()))
		}
	})
}
