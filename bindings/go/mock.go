package sandgate

/*
#include "sandgate.h"
*/
import "C"

import (
	"fmt"
	"runtime"
	"time"
	"unsafe"
)

// MockOptions configure StartMockServer.
type MockOptions struct {
	RouteMode      string // header (default), wildcard or uri
	TrustedHeaders bool   // accept X-OpenSandbox-User/Team/Roles
	EndpointOrigin string // sent as OPEN-SANDBOX-ORIGIN with every endpoint; "" = none
}

// MockServer is sandgate's embeddable mock of an OpenSandbox platform: the lifecycle and keys
// APIs and a verifying gateway, on free 127.0.0.1 ports, with a controllable clock and fault
// injection. In tests, use sandgatetest.Start.
type MockServer struct {
	h           handle
	apiURL      string
	gatewayURL  string
	domain      string
	routeMode   string
	adminKey    Secret
	signingKeys Secret
}

// StartMockServer starts a mock server; Close stops it.
func StartMockServer(opts MockOptions) (*MockServer, error) {
	mode := optStr(nil)
	if opts.RouteMode != "" {
		mode = str(opts.RouteMode)
	}
	origin := optStr(nil)
	if opts.EndpointOrigin != "" {
		origin = str(opts.EndpointOrigin)
	}
	var p *C.SandgateMock
	if err := takeError(C.sandgate_mock_start(mode, flag(opts.TrustedHeaders), origin, &p)); err != nil {
		return nil, err
	}
	m := &MockServer{}
	m.h = newHandle(unsafe.Pointer(p), "MockServer", func(p unsafe.Pointer) { C.sandgate_mock_free((*C.SandgateMock)(p)) })
	fields := []struct {
		get func(*C.SandgateMock, *C.SandgateString) *C.SandgateError
		set func(string)
	}{
		{func(p *C.SandgateMock, o *C.SandgateString) *C.SandgateError { return C.sandgate_mock_api_url(p, o) }, func(s string) { m.apiURL = s }},
		{func(p *C.SandgateMock, o *C.SandgateString) *C.SandgateError {
			return C.sandgate_mock_gateway_url(p, o)
		}, func(s string) { m.gatewayURL = s }},
		{func(p *C.SandgateMock, o *C.SandgateString) *C.SandgateError { return C.sandgate_mock_domain(p, o) }, func(s string) { m.domain = s }},
		{func(p *C.SandgateMock, o *C.SandgateString) *C.SandgateError { return C.sandgate_mock_route_mode(p, o) }, func(s string) { m.routeMode = s }},
		{func(p *C.SandgateMock, o *C.SandgateString) *C.SandgateError { return C.sandgate_mock_admin_key(p, o) }, func(s string) { m.adminKey = NewSecret(s) }},
		{func(p *C.SandgateMock, o *C.SandgateString) *C.SandgateError {
			return C.sandgate_mock_signing_keys(p, o)
		}, func(s string) { m.signingKeys = NewSecret(s) }},
	}
	for _, f := range fields {
		var out C.SandgateString
		if err := takeError(f.get(p, &out)); err != nil {
			m.h.close()
			return nil, err
		}
		f.set(takeString(&out))
	}
	runtime.SetFinalizer(m, (*MockServer).Close)
	return m, nil
}

// APIURL is the API base URL (http://127.0.0.1:PORT).
func (m *MockServer) APIURL() string { return m.apiURL }

// GatewayURL is the gateway base URL.
func (m *MockServer) GatewayURL() string { return m.gatewayURL }

// Domain is the API host:port, a client's Domain.
func (m *MockServer) Domain() string { return m.domain }

// RouteMode is header, wildcard or uri.
func (m *MockServer) RouteMode() string { return m.routeMode }

// AdminKey is the static admin key (role service_admin).
func (m *MockServer) AdminKey() Secret { return m.adminKey }

// SigningKeys is the mock's signing keys as a flag string (for SigningKeysFromFlag).
func (m *MockServer) SigningKeys() Secret { return m.signingKeys }

// String prints the URLs, never the keys.
func (m *MockServer) String() string {
	return fmt.Sprintf("MockServer{API: %s, Gateway: %s, RouteMode: %s, AdminKey: ***}", m.apiURL, m.gatewayURL, m.routeMode)
}

// Now is "now" on the mock clock, Unix seconds.
func (m *MockServer) Now() (uint64, error) {
	var now C.uint64_t
	err := m.h.use(func(q unsafe.Pointer) error {
		p := (*C.SandgateMock)(q)
		return takeError(C.sandgate_mock_now(p, &now))
	})
	return uint64(now), err
}

// SetNow sets the mock clock to now (Unix seconds); it keeps running from there.
func (m *MockServer) SetNow(now uint64) error {
	return m.h.use(func(q unsafe.Pointer) error {
		p := (*C.SandgateMock)(q)
		return takeError(C.sandgate_mock_set_now(p, C.uint64_t(now)))
	})
}

// Advance moves the mock clock by seconds (negative goes back).
func (m *MockServer) Advance(seconds int64) error {
	return m.h.use(func(q unsafe.Pointer) error {
		p := (*C.SandgateMock)(q)
		return takeError(C.sandgate_mock_advance(p, C.int64_t(seconds)))
	})
}

// SetSigningKeys replaces the keys the mock signs endpoints with (the active key) and its
// gateway verifies with, as PUT /_mock/signing-keys does: a link signed with a key the new set
// lacks answers 401 unknown_key. keys stays the caller's.
func (m *MockServer) SetSigningKeys(keys *SigningKeys) error {
	if keys == nil {
		return invalidArgument("keys must not be nil")
	}
	return m.h.use(func(q unsafe.Pointer) error {
		err := keys.h.use(func(k unsafe.Pointer) error {
			return takeError(C.sandgate_mock_set_signing_keys((*C.SandgateMock)(q), (*C.SandgateSigningKeys)(k)))
		})
		if err != nil {
			return err
		}
		var out C.SandgateString
		if err := takeError(C.sandgate_mock_signing_keys((*C.SandgateMock)(q), &out)); err != nil {
			return err
		}
		m.signingKeys = NewSecret(takeString(&out))
		return nil
	})
}

// Faults are failures to inject into the mock's API requests (never the gateway's).
type Faults struct {
	FailNext    int           // fail this many of the next requests with Status
	Status      int           // status of injected failures; 0 = 503
	RetryAfter  *int          // Retry-After seconds sent with injected failures; nil = none
	Latency     time.Duration // added before every API request (whole milliseconds)
	DropNext    int           // close the connection without an answer for this many requests
	CorruptNext int           // answer this many requests with 200 and a body that is not JSON
}

// SetFaults replaces the injected faults. Negative counts are an invalid_argument error.
func (m *MockServer) SetFaults(f Faults) error {
	c := C.SandgateFaults{
		fail_next:    C.int64_t(f.FailNext),
		status:       C.int64_t(f.Status),
		latency_ms:   C.int64_t(f.Latency / time.Millisecond),
		drop_next:    C.int64_t(f.DropNext),
		corrupt_next: C.int64_t(f.CorruptNext),
	}
	if f.RetryAfter != nil {
		c.has_retry_after, c.retry_after = 1, C.int64_t(*f.RetryAfter)
	}
	return m.h.use(func(q unsafe.Pointer) error {
		p := (*C.SandgateMock)(q)
		return takeError(C.sandgate_mock_set_faults(p, &c))
	})
}

// ClearFaults removes every injected fault.
func (m *MockServer) ClearFaults() error {
	return m.h.use(func(q unsafe.Pointer) error {
		p := (*C.SandgateMock)(q)
		return takeError(C.sandgate_mock_clear_faults(p))
	})
}

// Reset forgets every sandbox, key, fault, logged request and clock offset.
func (m *MockServer) Reset() error {
	return m.h.use(func(q unsafe.Pointer) error {
		p := (*C.SandgateMock)(q)
		return takeError(C.sandgate_mock_reset(p))
	})
}

// MockRequest is one API request the mock received.
type MockRequest struct {
	Method    string
	Path      string
	Status    int // 0 when the connection was dropped
	UserAgent string
}

// Requests lists the API requests received so far (not /_mock/ ones), oldest first.
func (m *MockServer) Requests() ([]MockRequest, error) {
	var l *C.SandgateMockRequestList
	err := m.h.use(func(q unsafe.Pointer) error {
		p := (*C.SandgateMock)(q)
		return takeError(C.sandgate_mock_requests(p, &l))
	})
	if err != nil {
		return nil, err
	}
	defer C.sandgate_mock_request_list_free(l)
	out := make([]MockRequest, 0, int(l.len))
	for _, r := range unsafe.Slice(l.items, int(l.len)) {
		out = append(out, MockRequest{Method: goString(r.method), Path: goString(r.path),
			Status: int(r.status), UserAgent: goString(r.user_agent)})
	}
	return out, nil
}

// Stop stops both listeners; the server answers nothing afterwards.
func (m *MockServer) Stop() error {
	return m.h.use(func(q unsafe.Pointer) error {
		p := (*C.SandgateMock)(q)
		return takeError(C.sandgate_mock_stop(p))
	})
}

// Close stops the server and frees it. Safe to call more than once.
func (m *MockServer) Close() error {
	m.h.close()
	return nil
}
