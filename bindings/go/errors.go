package sandgate

/*
#include "sandgate.h"
*/
import "C"

import "fmt"

// Kind is the stable category of an Error (the kind codes of sandgate's core).
type Kind string

// The error kinds.
const (
	KindInvalidArgument Kind = "invalid_argument" // a caller-supplied value was rejected before any work
	KindInvalidConfig   Kind = "invalid_config"   // signing keys, TOML or client settings are invalid
	KindAccessDenied    Kind = "access_denied"    // a route or credential was denied; see Reason
	KindAPI             Kind = "api"              // the server answered with an error status
	KindTimeout         Kind = "timeout"          // the request did not finish within its timeout
	KindTransport       Kind = "transport"        // connecting or talking to the server failed
	KindDecode          Kind = "decode"           // the server's response could not be decoded
	KindCancelled       Kind = "cancelled"        // the caller cancelled the operation
	KindInternal        Kind = "internal"         // a bug in sandgate
)

// Reason is why an access decision denied a request.
type Reason string

// The denial reasons, with the HTTP status a gateway answers.
const (
	ReasonMalformed          Reason = "malformed"           // 400: the route cannot be parsed
	ReasonExpired            Reason = "expired"             // 401: now > expires
	ReasonUnknownKey         Reason = "unknown_key"         // 401: the signature names an unknown key id
	ReasonBadSignature       Reason = "bad_signature"       // 401: the signature does not match
	ReasonHeaderMismatch     Reason = "header_mismatch"     // 401: OpenSandbox-Secure-Access does not match
	ReasonCredentialRequired Reason = "credential_required" // 401: no credential was presented
	ReasonNotConfigured      Reason = "not_configured"      // 503: the verifier holds no signing keys
	ReasonUnknownSandbox     Reason = "unknown_sandbox"     // 404: the gateway does not know the sandbox
)

// Error is every error sandgate returns. Use errors.As to read its fields and errors.Is with
// the Err* sentinels to test its kind or denial reason. It never holds a secret.
type Error struct {
	Kind      Kind   // the category
	Message   string // for people
	Status    int    // HTTP status (API errors and denials), 0 when none
	Code      string // the server's error code (for example SANDBOX::NOT_FOUND), "" when none
	RequestID string // the server's X-Request-ID, "" when none
	Reason    Reason // the denial reason (KindAccessDenied), "" otherwise

	text  string // the one-line description from the core
	cause error  // the context error of a cancelled call
}

// Error returns the one-line description, prefixed with "sandgate: ".
func (e *Error) Error() string {
	text := e.text
	if text == "" {
		text = fmt.Sprintf("%s: %s", e.Kind, e.Message)
	}
	if e.cause != nil {
		return fmt.Sprintf("sandgate: %s (%v)", text, e.cause)
	}
	return "sandgate: " + text
}

// Unwrap returns the context error (context.Canceled or context.DeadlineExceeded) when the
// call was cancelled through its context.
func (e *Error) Unwrap() error {
	return e.cause
}

// Is reports whether target is the sentinel of e's kind or of e's denial reason.
func (e *Error) Is(target error) bool {
	s, ok := target.(*sentinel)
	if !ok {
		return false
	}
	if s.kind != "" {
		return s.kind == e.Kind
	}
	return e.Reason != "" && s.reason == e.Reason
}

type sentinel struct {
	kind   Kind
	reason Reason
}

func (s *sentinel) Error() string {
	if s.kind != "" {
		return "sandgate: " + string(s.kind)
	}
	return "sandgate: access denied (" + string(s.reason) + ")"
}

// Sentinels for errors.Is, one per error kind.
var (
	ErrInvalidArgument error = &sentinel{kind: KindInvalidArgument}
	ErrInvalidConfig   error = &sentinel{kind: KindInvalidConfig}
	ErrAccessDenied    error = &sentinel{kind: KindAccessDenied}
	ErrAPI             error = &sentinel{kind: KindAPI}
	ErrTimeout         error = &sentinel{kind: KindTimeout}
	ErrTransport       error = &sentinel{kind: KindTransport}
	ErrDecode          error = &sentinel{kind: KindDecode}
	ErrCancelled       error = &sentinel{kind: KindCancelled}
	ErrInternal        error = &sentinel{kind: KindInternal}
)

// Sentinels for errors.Is, one per denial reason.
var (
	ErrMalformed          error = &sentinel{reason: ReasonMalformed}
	ErrExpired            error = &sentinel{reason: ReasonExpired}
	ErrUnknownKey         error = &sentinel{reason: ReasonUnknownKey}
	ErrBadSignature       error = &sentinel{reason: ReasonBadSignature}
	ErrHeaderMismatch     error = &sentinel{reason: ReasonHeaderMismatch}
	ErrCredentialRequired error = &sentinel{reason: ReasonCredentialRequired}
	ErrNotConfigured      error = &sentinel{reason: ReasonNotConfigured}
	ErrUnknownSandbox     error = &sentinel{reason: ReasonUnknownSandbox}
)

// newError copies a C error value.
func newError(e *C.SandgateError) *Error {
	out := &Error{
		Kind:      Kind(C.GoString(e.kind_code)),
		Message:   goString(e.message),
		Status:    int(e.status),
		Code:      goString(e.code),
		RequestID: goString(e.request_id),
		text:      goString(e.display),
	}
	if e.reason_code != nil {
		out.Reason = Reason(C.GoString(e.reason_code))
	}
	return out
}

// takeError converts and frees a C error; nil stays nil (as an untyped nil error).
func takeError(e *C.SandgateError) error {
	if e == nil {
		return nil
	}
	out := newError(e)
	C.sandgate_error_free(e)
	return out
}

// closedError is the error of a call on a handle after Close.
func closedError(what string) error {
	return &Error{Kind: KindInvalidArgument, Message: what + " is closed"}
}

// kindCodes lists the kind codes the native library reports, in order.
func kindCodes() []Kind {
	var out []Kind
	for i := C.int32_t(1); ; i++ {
		c := C.sandgate_error_kind_code(i)
		if c == nil {
			return out
		}
		out = append(out, Kind(C.GoString(c)))
	}
}

// reasonCodes lists the denial reason codes the native library reports, in order.
func reasonCodes() []Reason {
	var out []Reason
	for i := C.int32_t(1); ; i++ {
		c := C.sandgate_deny_reason_code(i)
		if c == nil {
			return out
		}
		out = append(out, Reason(C.GoString(c)))
	}
}
