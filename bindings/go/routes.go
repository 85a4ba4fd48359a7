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
	"time"
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
	if lookup == nil {
		return nil, invalidArgument("lookup must not be nil")
	}
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
	var ids, active C.SandgateString
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
	k.active = takeString(&active)
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
// signer keeps its own copy of the key: keys may be closed afterwards. A nil keys is an
// invalid_argument error.
func NewRouteSigner(keys *SigningKeys, keyID string) (*RouteSigner, error) {
	if keys == nil {
		return nil, invalidArgument("keys must not be nil")
	}
	var p *C.SandgateSigner
	id := optStr(nil)
	if keyID != "" {
		id = str(keyID)
	}
	err := keys.h.use(func(q unsafe.Pointer) error {
		return takeError(C.sandgate_signer_new((*C.SandgateSigningKeys)(q), id, &p))
	})
	if err != nil {
		return nil, err
	}
	var kid C.SandgateString
	if err := takeError(C.sandgate_signer_key_id(p, &kid)); err != nil {
		C.sandgate_signer_free(p)
		return nil, err
	}
	s := &RouteSigner{keyID: takeString(&kid)}
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
	return s.sign(sandboxID, port, C.SandgateExpiry{has_expires: 1, expires: C.uint64_t(expires)}, 0, 0)
}

// SignFor signs a route that expires ttl (whole seconds, at least one) after the system clock.
func (s *RouteSigner) SignFor(sandboxID string, port int, ttl time.Duration) (*SignedRoute, error) {
	return s.sign(sandboxID, port, ttlExpiry(ttl), 0, 0)
}

// SignForAt signs a route that expires ttl (whole seconds, at least one) after now (Unix
// seconds).
func (s *RouteSigner) SignForAt(sandboxID string, port int, ttl time.Duration, now uint64) (*SignedRoute, error) {
	return s.sign(sandboxID, port, ttlExpiry(ttl), 1, now)
}

// ttlExpiry is a TTL in whole seconds; a negative or sub-second one is passed as 0, which the
// core rejects.
func ttlExpiry(ttl time.Duration) C.SandgateExpiry {
	secs := uint64(0)
	if ttl > 0 {
		secs = uint64(ttl / time.Second)
	}
	return C.SandgateExpiry{has_ttl: 1, ttl_seconds: C.uint64_t(secs)}
}

var signPool = sync.Pool{New: func() any { return new(signBuf) }}

// signBuf is the buffer and the lengths sandgate_sign_into writes; buf holds any route of a
// sandbox id up to fits bytes (sandgate_sign_into_capacity grows with the id's length).
type signBuf struct {
	out  C.SandgateSignedInto
	buf  []byte
	fits int
}

func (s *RouteSigner) sign(sandboxID string, port int, expiry C.SandgateExpiry, hasNow C.uint8_t, now uint64) (*SignedRoute, error) {
	// One native call writes every part into a pooled buffer; the route is one Go string,
	// sliced into its parts.
	b := signPool.Get().(*signBuf)
	defer signPool.Put(b)
	if len(b.buf) == 0 || len(sandboxID) > b.fits {
		b.buf = make([]byte, int(C.sandgate_sign_into_capacity(C.size_t(len(sandboxID)))))
		b.fits = len(sandboxID)
	}
	s.h.mu.RLock()
	p := s.h.p
	if p == nil {
		s.h.mu.RUnlock()
		return nil, closedError(s.h.what)
	}
	rc := C.sandgate_sign_into((*C.SandgateSigner)(p), (*C.uint8_t)(unsafe.Pointer(unsafe.StringData(sandboxID))), C.size_t(len(sandboxID)),
		C.int64_t(port), expiry.has_expires, expiry.expires, expiry.has_ttl, expiry.ttl_seconds, hasNow, C.uint64_t(now),
		(*C.uint8_t)(unsafe.Pointer(&b.buf[0])), C.size_t(len(b.buf)), &b.out)
	s.h.mu.RUnlock()
	o := &b.out
	if rc != 0 {
		msg := string(b.buf[:o.message_len])
		display := string(b.buf[o.message_len : o.message_len+o.display_len])
		kind := KindInternal
		if rc < 0 && int(-rc) < len(kindByNumber) {
			kind = kindByNumber[-rc]
		}
		return nil, &Error{Kind: kind, Message: msg, display: display}
	}
	lens := [5]int{int(o.token_len), int(o.expires_b36_len), int(o.signature_len), int(o.key_id_len), int(o.uri_prefix_len)}
	total := 0
	for _, n := range lens {
		total += n
	}
	all := string(b.buf[:total])
	var parts [5]string
	at := 0
	for i, n := range lens {
		parts[i] = all[at : at+n]
		at += n
	}
	return &SignedRoute{
		Token:      parts[0],
		SandboxID:  sandboxID, // signed exactly as given (or refused)
		Port:       int(o.port),
		Expires:    uint64(o.expires),
		ExpiresB36: parts[1],
		Signature:  parts[2],
		KeyID:      parts[3],
		URIPrefix:  parts[4],
	}, nil
}

// SignedRoute is a signed route in every form a gateway accepts (SPEC §1.4). It is plain data.
type SignedRoute struct {
	Token      string // {sandbox_id}-{port}-{expires_b36}-{signature}
	SandboxID  string
	Port       int
	Expires    uint64 // Unix seconds
	ExpiresB36 string
	Signature  string // 8 hex digits and the key id
	KeyID      string // one character
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

// RouteInfo is what a route names: sandbox, port and, for signed routes, expiry and key id.
type RouteInfo struct {
	SandboxID string
	Port      int
	Signed    bool
	Expires   uint64 // Unix seconds (signed routes)
	KeyID     string // one character (signed routes)
}

func routeOf(r *C.SandgateRoute) *RouteInfo {
	if r.sandbox_id.ptr == nil {
		return nil
	}
	return &RouteInfo{
		SandboxID: goString(r.sandbox_id),
		Port:      int(r.port),
		Signed:    r.is_signed == 1,
		Expires:   uint64(r.expires),
		KeyID:     goString(r.key_id),
	}
}

// RouteVerifier verifies signed routes and takes access decisions.
type RouteVerifier struct {
	h handle
}

// NewRouteVerifier makes a verifier over a copy of keys (keys may be closed afterwards). A
// verifier with no keys denies every signed route with not_configured (503). A nil keys is an
// invalid_argument error.
func NewRouteVerifier(keys *SigningKeys) (*RouteVerifier, error) {
	if keys == nil {
		return nil, invalidArgument("keys must not be nil")
	}
	var p *C.SandgateVerifier
	err := keys.h.use(func(q unsafe.Pointer) error {
		return takeError(C.sandgate_verifier_new((*C.SandgateSigningKeys)(q), &p))
	})
	if err != nil {
		return nil, err
	}
	v := &RouteVerifier{}
	v.h = newHandle(unsafe.Pointer(p), "RouteVerifier", func(p unsafe.Pointer) { C.sandgate_verifier_free((*C.SandgateVerifier)(p)) })
	runtime.SetFinalizer(v, (*RouteVerifier).Close)
	return v, nil
}

// ReplaceKeys makes the verifier verify with a copy of keys from now on (keys may be closed
// afterwards): an atomic swap, so a verification running at the same time sees the old set or
// the new one, never a mix. This is live key rotation: add a key, activate it, retire the old
// one, without building a new verifier.
func (v *RouteVerifier) ReplaceKeys(keys *SigningKeys) error {
	if keys == nil {
		return invalidArgument("keys must not be nil")
	}
	return v.h.use(func(q unsafe.Pointer) error {
		return keys.h.use(func(k unsafe.Pointer) error {
			return takeError(C.sandgate_verifier_replace_keys((*C.SandgateVerifier)(q), (*C.SandgateSigningKeys)(k)))
		})
	})
}

// Close frees the verifier. Safe to call more than once.
func (v *RouteVerifier) Close() error {
	v.h.close()
	return nil
}

// Verify checks a signed route token (the OpenSandbox-Ingress-To value) against the system
// clock. A denial is an *Error of kind access_denied with its Reason and Status.
func (v *RouteVerifier) Verify(token string) (RouteInfo, error) {
	return v.verify(C.SANDGATE_ROUTE_FORM_TOKEN, token, 0, 0)
}

// VerifyAt checks a signed route token at now (Unix seconds).
func (v *RouteVerifier) VerifyAt(token string, now uint64) (RouteInfo, error) {
	return v.verify(C.SANDGATE_ROUTE_FORM_TOKEN, token, 1, now)
}

// VerifyHost checks the signed route in a Host value (its first DNS label; scheme and port
// are ignored) against the system clock.
func (v *RouteVerifier) VerifyHost(host string) (RouteInfo, error) {
	return v.verify(C.SANDGATE_ROUTE_FORM_HOST, host, 0, 0)
}

// VerifyHostAt is VerifyHost at now (Unix seconds).
func (v *RouteVerifier) VerifyHostAt(host string, now uint64) (RouteInfo, error) {
	return v.verify(C.SANDGATE_ROUTE_FORM_HOST, host, 1, now)
}

// VerifyPath checks the signed route of a uri-mode path
// (/{id}/{port}/{expires_b36}/{signature}[/rest][?query]) against the system clock.
func (v *RouteVerifier) VerifyPath(path string) (RouteInfo, error) {
	return v.verify(C.SANDGATE_ROUTE_FORM_PATH, path, 0, 0)
}

// VerifyPathAt is VerifyPath at now (Unix seconds).
func (v *RouteVerifier) VerifyPathAt(path string, now uint64) (RouteInfo, error) {
	return v.verify(C.SANDGATE_ROUTE_FORM_PATH, path, 1, now)
}

// asciiStrings holds the one-character strings of ASCII, so key ids need no allocation.
var asciiStrings = func() (t [128]string) {
	for i := range t {
		t[i] = string(rune(i))
	}
	return
}()

// keyIDString is a key id (a character code) as a string.
func keyIDString(c C.uint64_t) string {
	if c < 128 {
		return asciiStrings[c]
	}
	return string(rune(c))
}

var verifiedPool = sync.Pool{New: func() any { return new(C.SandgateVerified) }}

func (v *RouteVerifier) verify(form C.int32_t, input string, hasNow C.uint8_t, now uint64) (RouteInfo, error) {
	// The hot path: one C call under the read lock that answers the route or the denial; no
	// closure, and the out-parameter from a pool (a Go pointer handed to C escapes otherwise).
	out := verifiedPool.Get().(*C.SandgateVerified)
	defer verifiedPool.Put(out)
	v.h.mu.RLock()
	p := v.h.p
	if p == nil {
		v.h.mu.RUnlock()
		return RouteInfo{}, closedError(v.h.what)
	}
	rc := C.sandgate_verify((*C.SandgateVerifier)(p), form, (*C.uint8_t)(unsafe.Pointer(unsafe.StringData(input))),
		C.size_t(len(input)), hasNow, C.uint64_t(now), out)
	v.h.mu.RUnlock()
	if rc != 0 {
		return RouteInfo{}, verifyError(int(rc), out)
	}
	start := int(out.sandbox_id_offset)
	return RouteInfo{
		SandboxID: input[start : start+int(out.sandbox_id_len)],
		Port:      int(out.port),
		Signed:    true,
		Expires:   uint64(out.expires),
		KeyID:     keyIDString(out.key_id),
	}, nil
}

// verifyError is the *Error of a denial (rc > 0, a reason number) or of another error (rc < 0,
// minus a kind number) that sandgate_verify answered, with its static texts.
func verifyError(rc int, out *C.SandgateVerified) error {
	e := &Error{Message: C.GoString(out.message), display: C.GoString(out.display), Status: int(out.status)}
	switch {
	case rc > 0 && rc < len(reasonByNumber):
		e.Kind, e.Reason = KindAccessDenied, reasonByNumber[rc]
	case rc < 0 && -rc < len(kindByNumber):
		e.Kind = kindByNumber[-rc]
	default:
		e.Kind = KindInternal
	}
	return e
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

// Grant is how an allowed request was granted.
type Grant string

// The grants (the codes of sandgate's core).
const (
	GrantOpen      Grant = "open"      // the sandbox does not require secure access
	GrantHeader    Grant = "header"    // OpenSandbox-Secure-Access matched the access token
	GrantSignature Grant = "signature" // the signed route verified
)

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
