package sandgate

/*
#include "sandgate.h"
*/
import "C"

import (
	"fmt"
	"math"
	"time"
)

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
	Message   string // the bare message, for example "no such sandbox"
	Status    int    // HTTP status (API errors and denials), 0 when none
	Code      string // the server's error code (for example SANDBOX::NOT_FOUND), "" when none
	RequestID string // the server's X-Request-ID, "" when none
	Reason    Reason // the denial reason (KindAccessDenied), "" otherwise
	// Retryable reports whether the client's retry policy retries this kind of failure (a 429,
	// 502 or 503 of an idempotent request, a failure before sending, a timeout).
	Retryable bool
	// RetryAfter is the server's Retry-After (uncapped); 0 when it sent none.
	RetryAfter time.Duration

	display string // the full line from the core
	cause   error  // the context error of a cancelled call
}

// Error returns the full line the core prints for the error, the same in every language, for
// example "API error 404 SANDBOX::NOT_FOUND: no such sandbox (request id r1)" or
// "access denied (expired): the signed route has expired". Message is the bare message.
func (e *Error) Error() string {
	if e.display == "" {
		// An Error built by hand (not returned by sandgate).
		return fmt.Sprintf("%s: %s", e.Kind, e.Message)
	}
	return e.display
}

// IsRetryable reports whether the client's retry policy retries this kind of failure.
func (e *Error) IsRetryable() bool { return e.Retryable }

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
		display:   goString(e.display),
		Retryable: e.retryable == 1,
	}
	if e.has_retry_after_ms == 1 {
		out.RetryAfter = msDuration(uint64(e.retry_after_ms))
	}
	if e.reason_code != nil {
		out.Reason = Reason(C.GoString(e.reason_code))
	}
	return out
}

// takeErrorValue converts and frees a C error that is not nil.
func takeErrorValue(e *C.SandgateError) *Error {
	out := newError(e)
	C.sandgate_error_free(e)
	return out
}

// takeError converts and frees a C error; nil stays nil (as an untyped nil error).
func takeError(e *C.SandgateError) error {
	if e == nil {
		return nil
	}
	return takeErrorValue(e)
}

// invalidArgument is an invalid_argument error the package reports itself (a nil argument, a
// closed handle, a value Go cannot pass), with the core's display line.
func invalidArgument(message string) error {
	return takeError(C.sandgate_error_new(C.int32_t(C.SANDGATE_ERROR_KIND_INVALID_ARGUMENT), str(message)))
}

// closedError is the error of a call on a handle after Close.
func closedError(what string) error {
	return invalidArgument(what + " is closed")
}

// codes lists a code table of the native library, from its first entry to its first NULL.
func codes[T ~string](first C.int32_t, code func(C.int32_t) *C.char) []T {
	var out []T
	for i := first; ; i++ {
		c := code(i)
		if c == nil {
			return out
		}
		out = append(out, T(C.GoString(c)))
	}
}

func kindCodes() []Kind {
	return codes[Kind](1, func(i C.int32_t) *C.char { return C.sandgate_error_kind_code(i) })
}

func reasonCodes() []Reason {
	return codes[Reason](1, func(i C.int32_t) *C.char { return C.sandgate_deny_reason_code(i) })
}

func grantCodes() []Grant {
	return codes[Grant](1, func(i C.int32_t) *C.char { return C.sandgate_grant_code(i) })
}

// reasonStatus is the HTTP status the core gives a denial reason (by its 1-based number).
func reasonStatus(i int) int {
	return int(C.sandgate_deny_reason_status(C.int32_t(i)))
}

// The core's tables, read once: the hot path turns a returned number into a code without a
// C call. The n-th entry (from 1) is at index n.
var (
	kindByNumber   = append([]Kind{""}, kindCodes()...)
	reasonByNumber = append([]Reason{""}, reasonCodes()...)
)

// Status returns the HTTP status a gateway answers for the reason (the core's table), or 0
// for a string that is not a reason.
func (r Reason) Status() int {
	for i, x := range reasonByNumber {
		if i > 0 && x == r {
			return reasonStatus(i)
		}
	}
	return 0
}

// msDuration is ms milliseconds, saturating at the longest Duration.
func msDuration(ms uint64) time.Duration {
	if ms > uint64(math.MaxInt64/int64(time.Millisecond)) {
		return time.Duration(math.MaxInt64)
	}
	return time.Duration(ms) * time.Millisecond
}
