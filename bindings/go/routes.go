package sandgate

/*
#include "sandgate.h"
*/
import "C"

import (
	"fmt"
	"runtime"
	"strings"
	"sync"
	"unsafe"
)

// SigningKeys is a validated set of signing keys (OSEP-0011, SPEC §1.6). Its secrets stay in
// native memory and never print.
type SigningKeys struct {
	h      handle
	ids    []string
	active string
}

// SigningKeysFromFlag parses the ingress flag string "a=BASE64,b=BASE64". A blank string is
// an empty set.
func SigningKeysFromFlag(flag string) (*SigningKeys, error) {
	var p *C.SandgateSigningKeys
	if err := takeError(C.sandgate_signing_keys_from_flag(str(flag), &p)); err != nil {
		return nil, err
	}
	return newSigningKeys(p)
}

// SigningKeysFromTOML parses the server TOML table [ingress.secure_access].
func SigningKeysFromTOML(text string) (*SigningKeys, error) {
	var p *C.SandgateSigningKeys
	if err := takeError(C.sandgate_signing_keys_from_toml(str(text), &p)); err != nil {
		return nil, err
	}
	return newSigningKeys(p)
}

// SigningKeysFromEnv reads the server's environment pair OPENSANDBOX_SECURE_ACCESS_KEYS and
// OPENSANDBOX_SECURE_ACCESS_ACTIVE_KEY through lookup (os.LookupEnv for the process
// environment): both or neither, nothing trimmed, no empty entries. It returns nil, nil when
// neither is set.
func SigningKeysFromEnv(lookup func(name string) (string, bool)) (*SigningKeys, error) {
	get := func(name string) *string {
		if v, ok := lookup(name); ok {
			return &v
		}
		return nil
	}
	keys, active := get("OPENSANDBOX_SECURE_ACCESS_KEYS"), get("OPENSANDBOX_SECURE_ACCESS_ACTIVE_KEY")
	var p *C.SandgateSigningKeys
	if err := takeError(C.sandgate_signing_keys_from_env(optStr(keys), optStr(active), &p)); err != nil {
		return nil, err
	}
	if p == nil {
		return nil, nil
	}
	return newSigningKeys(p)
}

func newSigningKeys(p *C.SandgateSigningKeys) (*SigningKeys, error) {
	k := &SigningKeys{}
	k.h = newHandle(unsafe.Pointer(p), "SigningKeys", func(p unsafe.Pointer) { C.sandgate_signing_keys_free((*C.SandgateSigningKeys)(p)) })
	var ids C.SandgateString
	var active C.uint32_t
	if err := takeError(C.sandgate_signing_keys_key_ids(p, &ids)); err != nil {
		k.h.close()
		return nil, err
	}
	for _, r := range takeString(&ids) {
		k.ids = append(k.ids, string(r))
	}
	if err := takeError(C.sandgate_signing_keys_active_key_id(p, &active)); err != nil {
		k.h.close()
		return nil, err
	}
	if active != 0 {
		k.active = string(rune(active))
	}
	runtime.SetFinalizer(k, (*SigningKeys).Close)
	return k, nil
}

// KeyIDs returns the key ids in order.
func (k *SigningKeys) KeyIDs() []string {
	return append([]string(nil), k.ids...)
}

// ActiveKeyID returns the active key id (TOML active_key), or "" when there is none.
func (k *SigningKeys) ActiveKeyID() string {
	return k.active
}

// String prints the key ids, never the secrets.
func (k *SigningKeys) String() string {
	return fmt.Sprintf("SigningKeys{ids: [%s], active: %q}", strings.Join(k.ids, " "), k.active)
}

// GoString is String: secrets never print.
func (k *SigningKeys) GoString() string { return k.String() }

// Close frees the native keys (their secrets are zeroed). Safe to call more than once.
func (k *SigningKeys) Close() error {
	k.h.close()
	return nil
}

// RouteSigner signs routes with one key.
type RouteSigner struct {
	h     handle
	keyID string
}

// NewRouteSigner makes a signer for keyID, or for the set's active key when keyID is "". The
// signer keeps its own copy of the key: keys may be closed afterwards.
func NewRouteSigner(keys *SigningKeys, keyID string) (*RouteSigner, error) {
	var p *C.SandgateSigner
	id := optStr(nil)
	if keyID != "" {
		id = str(keyID)
	}
	err := keys.h.use(func(q unsafe.Pointer) error {
		k := (*C.SandgateSigningKeys)(q)

		return takeError(C.sandgate_signer_new(k, id, &p))
	})
	if err != nil {
		return nil, err
	}
	var kid C.uint32_t
	if err := takeError(C.sandgate_signer_key_id(p, &kid)); err != nil {
		C.sandgate_signer_free(p)
		return nil, err
	}
	s := &RouteSigner{keyID: string(rune(kid))}
	s.h = newHandle(unsafe.Pointer(p), "RouteSigner", func(p unsafe.Pointer) { C.sandgate_signer_free((*C.SandgateSigner)(p)) })
	runtime.SetFinalizer(s, (*RouteSigner).Close)
	return s, nil
}

// KeyID is the id of the key this signer signs with.
func (s *RouteSigner) KeyID() string { return s.keyID }

// String prints the key id, never the secret.
func (s *RouteSigner) String() string { return fmt.Sprintf("RouteSigner{key_id: %q}", s.keyID) }

// GoString is String: the secret never prints.
func (s *RouteSigner) GoString() string { return s.String() }

// Close frees the signer (its secret is zeroed). Safe to call more than once.
func (s *RouteSigner) Close() error {
	s.h.close()
	return nil
}

// Sign signs a route to port (1..65535) of sandboxID that expires at expires (Unix seconds).
func (s *RouteSigner) Sign(sandboxID string, port int, expires uint64) (*SignedRoute, error) {
	var p *C.SandgateSignedRoute
	err := s.h.use(func(q unsafe.Pointer) error {
		h := (*C.SandgateSigner)(q)

		return takeError(C.sandgate_signer_sign(h, str(sandboxID), C.int64_t(port), C.uint64_t(expires), &p))
	})
	if err != nil {
		return nil, err
	}
	// Copy the parts out and free the native route at once: a SignedRoute is plain data.
	defer C.sandgate_signed_route_free(p)
	var parts C.SandgateSignedRouteParts
	if err := takeError(C.sandgate_signed_route_parts(p, &parts)); err != nil {
		return nil, err
	}
	return &SignedRoute{
		Token:      viewString(parts.token),
		SandboxID:  viewString(parts.sandbox_id),
		Port:       int(parts.port),
		Expires:    uint64(parts.expires),
		ExpiresB36: viewString(parts.expires_b36),
		Signature:  viewString(parts.signature),
		KeyID:      keyIDString(parts.key_id),
		URIPrefix:  viewString(parts.uri_prefix),
	}, nil
}

// SignedRoute is a signed route in every form a gateway accepts (SPEC §1.4).
type SignedRoute struct {
	Token      string // {sandbox_id}-{port}-{expires_b36}-{signature}
	SandboxID  string
	Port       int
	Expires    uint64 // Unix seconds
	ExpiresB36 string
	Signature  string // 8 hex digits and the key id
	KeyID      string
	URIPrefix  string // /{sandbox_id}/{port}/{expires_b36}/{signature}
}

// HeaderValue is the value of the OpenSandbox-Ingress-To header: the token.
func (r *SignedRoute) HeaderValue() string { return r.Token }

// Host returns the wildcard host {token}.{baseDomain}; a base domain that is not a DNS name is
// an ErrInvalidArgument.
func (r *SignedRoute) Host(baseDomain string) (string, error) {
	var out C.SandgateString
	if err := takeError(C.sandgate_wildcard_host(str(r.Token), str(baseDomain), &out)); err != nil {
		return "", err
	}
	return takeString(&out), nil
}

// String is the token.
func (r *SignedRoute) String() string { return r.Token }

// Close does nothing: a SignedRoute holds no native memory. It is kept so code that closes
// routes keeps compiling.
func (r *SignedRoute) Close() error { return nil }

// RouteInfo is what a route names: sandbox, port and, for signed routes, expiry and key id.
type RouteInfo struct {
	SandboxID string
	Port      int
	Signed    bool
	Expires   uint64 // Unix seconds (signed routes)
	KeyID     string // signed routes
}

func routeOf(r *C.SandgateRoute) *RouteInfo {
	if r.sandbox_id.ptr == nil {
		return nil
	}
	info := &RouteInfo{SandboxID: goString(r.sandbox_id), Port: int(r.port), Signed: r.is_signed == 1}
	if info.Signed {
		info.Expires = uint64(r.expires)
		info.KeyID = string(rune(r.key_id))
	}
	return info
}

// RouteVerifier verifies signed routes and takes access decisions.
type RouteVerifier struct {
	h handle
}

// NewRouteVerifier makes a verifier over a copy of keys (keys may be closed afterwards). A
// verifier with no keys denies every signed route with not_configured (503).
func NewRouteVerifier(keys *SigningKeys) (*RouteVerifier, error) {
	var p *C.SandgateVerifier
	err := keys.h.use(func(q unsafe.Pointer) error {
		k := (*C.SandgateSigningKeys)(q)

		return takeError(C.sandgate_verifier_new(k, &p))
	})
	if err != nil {
		return nil, err
	}
	v := &RouteVerifier{}
	v.h = newHandle(unsafe.Pointer(p), "RouteVerifier", func(p unsafe.Pointer) { C.sandgate_verifier_free((*C.SandgateVerifier)(p)) })
	runtime.SetFinalizer(v, (*RouteVerifier).Close)
	return v, nil
}

// Close frees the verifier. Safe to call more than once.
func (v *RouteVerifier) Close() error {
	v.h.close()
	return nil
}

// Verify checks a signed route token against the system clock. A denial is an *Error of kind
// access_denied with its Reason and Status.
func (v *RouteVerifier) Verify(token string) (RouteInfo, error) {
	return v.verify(token, 0, 0)
}

// VerifyAt checks a signed route token at now (Unix seconds).
func (v *RouteVerifier) VerifyAt(token string, now uint64) (RouteInfo, error) {
	return v.verify(token, 1, now)
}

// asciiStrings holds the one-character strings of ASCII, so key ids need no allocation.
var asciiStrings = func() (t [128]string) {
	for i := range t {
		t[i] = string(rune(i))
	}
	return
}()

// keyIDString is a key id (a character code) as a string.
func keyIDString(c C.uint32_t) string {
	if c < 128 {
		return asciiStrings[c]
	}
	return string(rune(c))
}

var verifiedPool = sync.Pool{New: func() any { return new(C.SandgateVerifiedRoute) }}

func (v *RouteVerifier) verify(token string, hasNow C.uint8_t, now uint64) (RouteInfo, error) {
	// The hot path: no closure, one C call under the read lock, and the out-parameter from a
	// pool (a Go pointer handed to C escapes to the heap otherwise).
	out := verifiedPool.Get().(*C.SandgateVerifiedRoute)
	defer verifiedPool.Put(out)
	v.h.mu.RLock()
	p := v.h.p
	if p == nil {
		v.h.mu.RUnlock()
		return RouteInfo{}, closedError(v.h.what)
	}
	e := C.sandgate_verifier_verify((*C.SandgateVerifier)(p), str(token), hasNow, C.uint64_t(now), out)
	v.h.mu.RUnlock()
	if e != nil {
		return RouteInfo{}, takeError(e)
	}
	start := int(out.sandbox_id_offset)
	return RouteInfo{
		SandboxID: token[start : start+int(out.sandbox_id_len)],
		Port:      int(out.port),
		Signed:    true,
		Expires:   uint64(out.expires),
		KeyID:     keyIDString(out.key_id),
	}, nil
}

// AccessRequest is what a gateway request carries. nil means the header (or part) was not
// there; a pointer to "" means it was there and empty. The route comes from IngressTo, else
// Host, else Path (uri mode, with the query).
type AccessRequest struct {
	IngressTo    *string // header OpenSandbox-Ingress-To
	Host         *string // header Host
	Path         *string // path and query
	SecureAccess *string // header OpenSandbox-Secure-Access (a secret)
}

// Grant is how an allowed request was granted: "open", "header" or "signature".
type Grant string

// AccessDecision is the verdict of SPEC §1.5 for one request.
type AccessDecision struct {
	Allowed bool
	Status  int        // the HTTP status a gateway answers: 200 when allowed
	Reason  Reason     // denied requests
	Detail  string     // a short explanation of a denial
	Grant   Grant      // allowed requests
	Route   *RouteInfo // allowed requests
	Path    string     // the upstream path (allowed requests)
	Query   *string    // the upstream query without "?" (allowed requests that had one)

	err *Error
}

// Err returns the denial as an *Error (kind access_denied, with Reason and Status), or nil
// when the request is allowed.
func (d AccessDecision) Err() error {
	if d.err == nil {
		return nil
	}
	return d.err
}

// Decide takes the full access decision for req against the system clock. accessToken is the
// sandbox's access token, or nil when the sandbox does not require secure access. A denial is
// a decision (see AccessDecision.Err), not an error; errors are for bad input only.
func (v *RouteVerifier) Decide(req AccessRequest, accessToken *string) (AccessDecision, error) {
	return v.decide(req, accessToken, 0, 0)
}

// DecideAt is Decide at now (Unix seconds).
func (v *RouteVerifier) DecideAt(req AccessRequest, accessToken *string, now uint64) (AccessDecision, error) {
	return v.decide(req, accessToken, 1, now)
}

func (v *RouteVerifier) decide(req AccessRequest, accessToken *string, hasNow C.uint8_t, now uint64) (AccessDecision, error) {
	var d *C.SandgateDecision
	err := v.h.use(func(q unsafe.Pointer) error {
		h := (*C.SandgateVerifier)(q)

		return takeError(C.sandgate_verifier_decide(h, optStr(req.IngressTo), optStr(req.Host),
			optStr(req.Path), optStr(req.SecureAccess), optStr(accessToken), hasNow, C.uint64_t(now), &d))
	})
	if err != nil {
		return AccessDecision{}, err
	}
	defer C.sandgate_decision_free(d)
	out := AccessDecision{
		Allowed: d.allowed == 1,
		Status:  int(d.status),
		Detail:  goString(d.detail),
		Route:   routeOf(&d.route),
		Path:    goString(d.path),
		Query:   goOptString(d.query),
	}
	if d.reason_code != nil {
		out.Reason = Reason(C.GoString(d.reason_code))
	}
	if d.grant != nil {
		out.Grant = Grant(C.GoString(d.grant))
	}
	if d.error != nil {
		out.err = newError(d.error)
	}
	return out, nil
}

// EncodeExpiresB36 is the base-36 form of an expiry in Unix seconds.
func EncodeExpiresB36(expires uint64) string {
	var out C.SandgateString
	if err := takeError(C.sandgate_encode_expires_b36(C.uint64_t(expires), &out)); err != nil {
		panic(err) // cannot fail: every u64 has a base-36 form
	}
	return takeString(&out)
}

// DecodeExpiresB36 parses a base-36 expiry; malformed input is an invalid_argument error.
func DecodeExpiresB36(b36 string) (uint64, error) {
	var out C.uint64_t
	if err := takeError(C.sandgate_decode_expires_b36(str(b36), &out)); err != nil {
		return 0, err
	}
	return uint64(out), nil
}
