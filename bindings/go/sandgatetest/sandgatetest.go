// Package sandgatetest starts sandgate's mock OpenSandbox server for a test and stops it when
// the test ends, like net/http/httptest.
//
//	srv := sandgatetest.Start(t, sandgatetest.WithRouteMode("wildcard"), sandgatetest.WithTrustedHeaders())
//	client := srv.Client(sandgate.Options{APIKey: srv.AdminKey().Expose()})
package sandgatetest

import (
	"testing"

	sandgate "github.com/sandgate/sandgate/bindings/go"
)

// Option configures Start.
type Option func(*sandgate.MockOptions)

// WithRouteMode sets the gateway's route mode: header (default), wildcard or uri.
func WithRouteMode(mode string) Option {
	return func(o *sandgate.MockOptions) { o.RouteMode = mode }
}

// WithTrustedHeaders makes the mock accept the X-OpenSandbox-User/Team/Roles headers.
func WithTrustedHeaders() Option {
	return func(o *sandgate.MockOptions) { o.TrustedHeaders = true }
}

// Server is a running mock server bound to a test: its methods fail the test instead of
// returning errors, and it stops when the test ends.
type Server struct {
	*sandgate.MockServer
	t testing.TB
}

// Start starts a mock server for t and stops it in t.Cleanup.
func Start(t testing.TB, opts ...Option) *Server {
	t.Helper()
	var o sandgate.MockOptions
	for _, opt := range opts {
		opt(&o)
	}
	m, err := sandgate.StartMockServer(o)
	if err != nil {
		t.Fatalf("sandgatetest: cannot start the mock server: %v", err)
	}
	t.Cleanup(func() { _ = m.Close() })
	return &Server{MockServer: m, t: t}
}

// Client builds a client for this server (Domain and IgnoreEnv filled in unless set) and
// closes it in t.Cleanup.
func (s *Server) Client(opts sandgate.Options) *sandgate.Client {
	s.t.Helper()
	if opts.Domain == "" {
		opts.Domain = s.Domain()
		opts.IgnoreEnv = true
	}
	c, err := sandgate.NewClient(opts)
	if err != nil {
		s.t.Fatalf("sandgatetest: cannot build a client: %v", err)
	}
	s.t.Cleanup(func() { _ = c.Close() })
	return c
}

// AdminClient builds a client that uses the server's admin key.
func (s *Server) AdminClient() *sandgate.Client {
	s.t.Helper()
	return s.Client(sandgate.Options{APIKey: s.AdminKey().Expose()})
}

// UserClient builds a client that acts as user with roles (a comma list) through the trusted
// headers (start the server WithTrustedHeaders).
func (s *Server) UserClient(user, roles string) *sandgate.Client {
	s.t.Helper()
	return s.Client(sandgate.Options{Headers: map[string]string{
		"X-OpenSandbox-User":  user,
		"X-OpenSandbox-Roles": roles,
	}})
}

func (s *Server) check(what string, err error) {
	s.t.Helper()
	if err != nil {
		s.t.Fatalf("sandgatetest: %s: %v", what, err)
	}
}

// Now is "now" on the mock clock, Unix seconds.
func (s *Server) Now() uint64 {
	s.t.Helper()
	now, err := s.MockServer.Now()
	s.check("Now", err)
	return now
}

// SetNow sets the mock clock.
func (s *Server) SetNow(now uint64) {
	s.t.Helper()
	s.check("SetNow", s.MockServer.SetNow(now))
}

// Advance moves the mock clock by seconds.
func (s *Server) Advance(seconds int64) {
	s.t.Helper()
	s.check("Advance", s.MockServer.Advance(seconds))
}

// SetFaults replaces the injected faults.
func (s *Server) SetFaults(f sandgate.Faults) {
	s.t.Helper()
	s.check("SetFaults", s.MockServer.SetFaults(f))
}

// ClearFaults removes every injected fault.
func (s *Server) ClearFaults() {
	s.t.Helper()
	s.check("ClearFaults", s.MockServer.ClearFaults())
}

// Reset forgets every sandbox, key, fault, logged request and clock offset.
func (s *Server) Reset() {
	s.t.Helper()
	s.check("Reset", s.MockServer.Reset())
}

// Requests lists the API requests received so far.
func (s *Server) Requests() []sandgate.MockRequest {
	s.t.Helper()
	r, err := s.MockServer.Requests()
	s.check("Requests", err)
	return r
}

// Keys parses the server's signing keys (closed in t.Cleanup).
func (s *Server) Keys() *sandgate.SigningKeys {
	s.t.Helper()
	k, err := sandgate.SigningKeysFromFlag(s.SigningKeys().Expose())
	s.check("SigningKeysFromFlag", err)
	s.t.Cleanup(func() { _ = k.Close() })
	return k
}
