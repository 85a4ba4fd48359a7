// Package sandgate is sandbox access control for OpenSandbox-style platforms: it signs and
// verifies OSEP-0011 signed routes, parses signing keys, generates and checks show-once API
// keys, and talks to the OpenSandbox lifecycle and keys APIs.
//
// It is a thin cgo layer over sandgate's Rust core (the sandgate-ffi C ABI): every rule —
// validation, parsing, signing, access decisions, retries, error mapping — lives there.
//
//	keys, _ := sandgate.SigningKeysFromFlag("a=bXktdGVzdC1zZWNyZXQ=")
//	signer, _ := sandgate.NewRouteSigner(keys, "a")
//	route, _ := signer.Sign("sbx-001", 8080, 2000000000)
//	verifier, _ := sandgate.NewRouteVerifier(keys)
//	info, err := verifier.VerifyAt(route.Token, 1900000000)
//
// Client methods take a context.Context first; cancelling it or passing its deadline aborts
// the request in flight. Errors are *Error values that work with errors.As, and with
// errors.Is against one sentinel per kind (ErrAPI, ErrTimeout, ...) and per denial reason
// (ErrExpired, ErrBadSignature, ...); Message is the bare message and Error() the full line
// the core prints in every language. A nil argument is an ErrInvalidArgument error.
//
// Handles (SigningKeys, RouteSigner, RouteVerifier, Client, MockServer) hold native memory:
// Close them when done; a finalizer frees them otherwise. All are safe for concurrent use.
// Values (SignedRoute, RouteInfo, AccessDecision, Endpoint, ...) are plain data. Secrets (raw
// API keys, the admin key, access tokens) print as ***; Expose returns the text.
//
// A release module carries the prebuilt library for linux/amd64; in a clone of the repository,
// run release/native first (see link.go).
package sandgate
