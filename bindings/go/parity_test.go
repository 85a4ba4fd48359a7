package sandgate_test

import (
	"context"
	"errors"
	"net/url"
	"strings"
	"sync"
	"testing"
	"time"

	sandgate "github.com/sandgate/sandgate/bindings/go"
	"github.com/sandgate/sandgate/bindings/go/sandgatetest"
)

type retryCase struct {
	Name   string `json:"name"`
	Policy struct {
		MaxRetries        *int     `json:"max_retries"`
		InitialBackoffMs  *int64   `json:"initial_backoff_ms"`
		MaxBackoffMs      *int64   `json:"max_backoff_ms"`
		Multiplier        *float64 `json:"multiplier"`
		RetryStatuses     []int    `json:"retry_statuses"`
		PostRetryStatuses []int    `json:"post_retry_statuses"`
		AttemptTimeoutMs  *int64   `json:"attempt_timeout_ms"`
		DeadlineMs        *int64   `json:"deadline_ms"`
	} `json:"policy"`
	Attempt struct {
		Method      string  `json:"method"`
		Outcome     string  `json:"outcome"`
		Status      *int    `json:"status"`
		Attempt     int     `json:"attempt"`
		PrevDelayMs *int64  `json:"prev_delay_ms"`
		RetryAfter  *string `json:"retry_after"`
		Now         *string `json:"now"`
		ElapsedMs   int64   `json:"elapsed_ms"`
	} `json:"attempt"`
	Expect struct {
		Error      string `json:"error"`
		Retry      bool   `json:"retry"`
		Verdict    string `json:"verdict"`
		MinDelayMs int64  `json:"min_delay_ms"`
		MaxDelayMs int64  `json:"max_delay_ms"`
		Retryable  bool   `json:"retryable"`
	} `json:"expect"`
}

func msPtr(v *int64) *time.Duration {
	if v == nil {
		return nil
	}
	d := time.Duration(*v) * time.Millisecond
	return &d
}

// TestRetryCases runs every case of retry.json through sandgate.DecideRetry.
func TestRetryCases(t *testing.T) {
	var file struct {
		Cases []retryCase `json:"cases"`
	}
	loadCases(t, "retry", &file)
	if len(file.Cases) == 0 {
		t.Fatal("no retry cases")
	}
	for _, c := range file.Cases {
		t.Run(c.Name, func(t *testing.T) {
			p := c.Policy
			opts := sandgate.RetryOptions{
				MaxRetries: p.MaxRetries, InitialBackoff: msPtr(p.InitialBackoffMs), MaxBackoff: msPtr(p.MaxBackoffMs),
				Multiplier: p.Multiplier, RetryStatuses: p.RetryStatuses, PostRetryStatuses: p.PostRetryStatuses,
				AttemptTimeout: msPtr(p.AttemptTimeoutMs), Deadline: msPtr(p.DeadlineMs),
			}
			a := c.Attempt
			q := sandgate.RetryQuery{Method: a.Method, Outcome: a.Outcome, Status: a.Status, Attempt: a.Attempt,
				PrevDelay: msPtr(a.PrevDelayMs), RetryAfter: a.RetryAfter, Elapsed: time.Duration(a.ElapsedMs) * time.Millisecond}
			if a.Now != nil {
				n := u64(t, *a.Now)
				q.Now = &n
			}
			d, err := sandgate.DecideRetry(opts, q)
			if c.Expect.Error != "" {
				var e *sandgate.Error
				if !errors.As(err, &e) || string(e.Kind) != c.Expect.Error {
					t.Fatalf("want %s error, got %v (%+v)", c.Expect.Error, err, d)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			x := c.Expect
			if d.Retry != x.Retry || d.Verdict != x.Verdict || d.MinDelay != time.Duration(x.MinDelayMs)*time.Millisecond ||
				d.MaxDelay != time.Duration(x.MaxDelayMs)*time.Millisecond || d.Retryable != x.Retryable {
				t.Fatalf("got %+v, want %+v", d, x)
			}
		})
	}
}

// TestCacheCases runs every case of cache.json through sandgate.DecideCache.
func TestCacheCases(t *testing.T) {
	var file struct {
		Cases []struct {
			Name   string `json:"name"`
			Policy struct {
				Enabled    *bool  `json:"enabled"`
				MaxEntries *int   `json:"max_entries"`
				TTLMs      *int64 `json:"ttl_ms"`
				MarginMs   *int64 `json:"margin_ms"`
			} `json:"policy"`
			SignedExpires *string `json:"signed_expires"`
			FetchedAtMs   string  `json:"fetched_at_ms"`
			NowMs         string  `json:"now_ms"`
			Expect        struct {
				Error   string `json:"error"`
				Fresh   bool   `json:"fresh"`
				UntilMs string `json:"until_ms"`
			} `json:"expect"`
		} `json:"cases"`
	}
	loadCases(t, "cache", &file)
	if len(file.Cases) == 0 {
		t.Fatal("no cache cases")
	}
	for _, c := range file.Cases {
		t.Run(c.Name, func(t *testing.T) {
			opts := sandgate.CacheOptions{Enabled: c.Policy.Enabled, MaxEntries: c.Policy.MaxEntries,
				TTL: msPtr(c.Policy.TTLMs), Margin: msPtr(c.Policy.MarginMs)}
			var signed *uint64
			if c.SignedExpires != nil {
				v := u64(t, *c.SignedExpires)
				signed = &v
			}
			f, err := sandgate.DecideCache(opts, signed, u64(t, c.FetchedAtMs), u64(t, c.NowMs))
			if c.Expect.Error != "" {
				var e *sandgate.Error
				if !errors.As(err, &e) || string(e.Kind) != c.Expect.Error {
					t.Fatalf("want %s error, got %v", c.Expect.Error, err)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if f.Fresh != c.Expect.Fresh || f.UntilMs != u64(t, c.Expect.UntilMs) {
				t.Fatalf("got %+v, want %+v", f, c.Expect)
			}
		})
	}
}

func newSecureSandbox(t *testing.T, c *sandgate.Client) string {
	t.Helper()
	sb, err := c.CreateSandbox(context.Background(), sandgate.CreateSandboxRequest{Image: "python:3.11", SecureAccess: true})
	if err != nil {
		t.Fatal(err)
	}
	return sb.ID
}

func endpointRequests(srv *sandgatetest.Server) int {
	n := 0
	for _, r := range srv.Requests() {
		if strings.Contains(r.Path, "/endpoints/") {
			n++
		}
	}
	return n
}

// TestEndpointModes: one explicit mode; only a server-proxy endpoint carries the API key; kind
// and origin.
func TestEndpointModes(t *testing.T) {
	ctx := context.Background()
	srv := sandgatetest.Start(t, func(o *sandgate.MockOptions) { o.EndpointOrigin = "https://origin.example" })
	key := srv.AdminKey().Expose()
	c := srv.Client(sandgate.Options{APIKey: key})
	id := newSecureSandbox(t, c)
	carriesKey := func(e *sandgate.Endpoint) bool {
		for _, v := range e.Headers {
			if v == key {
				return true
			}
		}
		return false
	}
	for _, m := range []struct {
		mode sandgate.EndpointMode
		kind sandgate.EndpointKind
		key  bool
	}{
		{sandgate.Direct(), sandgate.EndpointDirect, false},
		{sandgate.ServerProxy(), sandgate.EndpointServerProxy, true},
		{sandgate.SignedFor(time.Minute), sandgate.EndpointSigned, false},
		{sandgate.SignedUntil(time.Now().Add(time.Hour)), sandgate.EndpointSigned, false},
	} {
		e, err := c.Endpoint(ctx, id, 8080, m.mode)
		if err != nil {
			t.Fatalf("%v: %v", m.mode, err)
		}
		if e.Kind != m.kind || carriesKey(e) != m.key || e.Origin != "https://origin.example" {
			t.Errorf("%v: kind %s, carries the key %v, origin %q", m.mode, e.Kind, carriesKey(e), e.Origin)
		}
		if strings.Contains(e.String(), key) {
			t.Errorf("%v: String shows the API key", m.mode)
		}
		if (m.kind == sandgate.EndpointSigned) != (e.Route != nil && e.Route.Signed) {
			t.Errorf("%v: route %+v", m.mode, e.Route)
		}
	}
	// The old names still work.
	if e, err := c.GetEndpoint(ctx, id, 8080); err != nil || e.Kind != sandgate.EndpointDirect {
		t.Errorf("GetEndpoint: %v %v", e, err)
	}
	if _, err := c.Endpoint(ctx, id, 0, sandgate.Direct()); !errors.Is(err, sandgate.ErrInvalidArgument) {
		t.Errorf("port 0: %v", err)
	}
}

// TestEndpointShareableURL: wildcard and uri modes give a URL that works alone; header mode
// says which header a URL cannot carry.
func TestEndpointShareableURL(t *testing.T) {
	ctx := context.Background()
	for _, mode := range []string{"wildcard", "uri"} {
		srv := sandgatetest.Start(t, sandgatetest.WithRouteMode(mode))
		c := srv.AdminClient()
		id := newSecureSandbox(t, c)
		e, err := c.Endpoint(ctx, id, 8080, sandgate.SignedFor(time.Minute))
		if err != nil {
			t.Fatal(err)
		}
		u, err := e.ShareableURL("/files?x=1")
		if err != nil {
			t.Fatalf("%s: %v", mode, err)
		}
		if _, perr := url.Parse(u); perr != nil || !strings.Contains(u, "/files?x=1") || !strings.Contains(u, e.Route.SandboxID) {
			t.Errorf("%s: shareable url %s", mode, u)
		}
	}
	srv := sandgatetest.Start(t)
	c := srv.AdminClient()
	id := newSecureSandbox(t, c)
	e, err := c.Endpoint(ctx, id, 8080, sandgate.SignedFor(time.Minute))
	if err != nil {
		t.Fatal(err)
	}
	_, err = e.ShareableURL("/")
	var se *sandgate.Error
	if !errors.As(err, &se) || se.Kind != sandgate.KindInvalidArgument || !strings.Contains(se.Message, "OpenSandbox-Ingress-To") {
		t.Errorf("header mode: %v", err)
	}
}

// TestEndpointCacheConcurrent: 50 concurrent signed-endpoint calls send one request; the
// cache can be switched off.
func TestEndpointCacheConcurrent(t *testing.T) {
	ctx := context.Background()
	srv := sandgatetest.Start(t)
	c := srv.AdminClient()
	id := newSecureSandbox(t, c)
	before := endpointRequests(srv)
	var wg sync.WaitGroup
	errs := make(chan error, 50)
	tokens := make(chan string, 50)
	for i := 0; i < 50; i++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			e, err := c.Endpoint(ctx, id, 8080, sandgate.SignedFor(5*time.Minute))
			if err != nil {
				errs <- err
				return
			}
			tokens <- e.Headers["OpenSandbox-Ingress-To"]
		}()
	}
	wg.Wait()
	close(errs)
	close(tokens)
	for err := range errs {
		t.Fatal(err)
	}
	first := ""
	for tok := range tokens {
		if first == "" {
			first = tok
		}
		if tok != first || tok == "" {
			t.Fatalf("tokens differ: %q %q", first, tok)
		}
	}
	if n := endpointRequests(srv) - before; n != 1 {
		t.Fatalf("50 concurrent calls sent %d requests, want 1", n)
	}
	off := srv.Client(sandgate.Options{APIKey: srv.AdminKey().Expose(), Cache: sandgate.CacheOptions{Enabled: sandgate.Ptr(false)}})
	before = endpointRequests(srv)
	for i := 0; i < 3; i++ {
		if _, err := off.Endpoint(ctx, id, 8080, sandgate.Direct()); err != nil {
			t.Fatal(err)
		}
	}
	if n := endpointRequests(srv) - before; n != 3 {
		t.Fatalf("cache off: %d requests, want 3", n)
	}
}

// TestEndpointCacheInvalidation: pause and delete through the client make the next endpoint
// call ask the server again.
func TestEndpointCacheInvalidation(t *testing.T) {
	ctx := context.Background()
	srv := sandgatetest.Start(t)
	c := srv.AdminClient()
	id := newSecureSandbox(t, c)
	get := func() {
		t.Helper()
		if _, err := c.Endpoint(ctx, id, 8080, sandgate.Direct()); err != nil {
			t.Fatal(err)
		}
	}
	get()
	n0 := endpointRequests(srv)
	get()
	if endpointRequests(srv) != n0 {
		t.Fatal("the second call was not served from the cache")
	}
	if err := c.PauseSandbox(ctx, id); err != nil {
		t.Fatal(err)
	}
	get()
	if endpointRequests(srv) != n0+1 {
		t.Fatal("pause did not invalidate the cached endpoint")
	}
	if err := c.ResumeSandbox(ctx, id); err != nil {
		t.Fatal(err)
	}
	get()
	if endpointRequests(srv) != n0+2 {
		t.Fatal("resume did not invalidate the cached endpoint")
	}
	if err := c.DeleteSandbox(ctx, id); err != nil {
		t.Fatal(err)
	}
	if _, err := c.Endpoint(ctx, id, 8080, sandgate.Direct()); !errors.Is(err, sandgate.ErrAPI) {
		t.Fatalf("after delete: %v", err)
	}
	if endpointRequests(srv) != n0+3 {
		t.Fatal("delete did not invalidate the cached endpoint")
	}
}

// TestEndpointServerClock: with the mock clock an hour from the machine's, a 60 s TTL is
// counted on the server's clock.
func TestEndpointServerClock(t *testing.T) {
	ctx := context.Background()
	srv := sandgatetest.Start(t)
	srv.SetNow(uint64(time.Now().Unix()) + 3600)
	c := srv.AdminClient()
	id := newSecureSandbox(t, c)
	e, err := c.Endpoint(ctx, id, 8080, sandgate.SignedFor(60*time.Second))
	if err != nil {
		t.Fatal(err)
	}
	now := srv.Now()
	if e.Route == nil || e.Route.Expires+2 < now+60 || e.Route.Expires > now+60 {
		t.Fatalf("expires %v, mock now %d", e.Route, now)
	}
}

// TestRetryHook: the OnRetry hook sees the retries of a 503; a POST that reached the server
// is not sent again; a 429 is retryable and carries Retry-After.
func TestRetryHook(t *testing.T) {
	ctx := context.Background()
	srv := sandgatetest.Start(t)
	var mu sync.Mutex
	var events []sandgate.RetryEvent
	c := srv.Client(sandgate.Options{APIKey: srv.AdminKey().Expose(), Retry: sandgate.RetryOptions{
		InitialBackoff: sandgate.Ptr(time.Millisecond), MaxBackoff: sandgate.Ptr(2 * time.Millisecond)},
		OnRetry: func(e sandgate.RetryEvent) { mu.Lock(); events = append(events, e); mu.Unlock() }})
	id := newSecureSandbox(t, c)
	srv.SetFaults(sandgate.Faults{FailNext: 2, Status: 503})
	if _, err := c.GetSandbox(ctx, id); err != nil {
		t.Fatalf("GET after two 503s: %v", err)
	}
	mu.Lock()
	if len(events) != 2 || events[0].Attempt != 1 || events[1].Attempt != 2 || events[0].Cause.Status != 503 ||
		!events[0].Cause.Retryable || events[0].Delay <= 0 {
		t.Fatalf("events %+v", events)
	}
	events = nil
	mu.Unlock()

	srv.SetFaults(sandgate.Faults{FailNext: 1, Status: 503})
	posts := func() int {
		n := 0
		for _, r := range srv.Requests() {
			if r.Method == "POST" {
				n++
			}
		}
		return n
	}
	before := posts()
	_, err := c.CreateSandbox(ctx, sandgate.CreateSandboxRequest{Image: "python:3.11"})
	var e *sandgate.Error
	if !errors.As(err, &e) || e.Status != 503 || e.Retryable {
		t.Fatalf("POST 503: %v", err)
	}
	if posts()-before != 1 || len(events) != 0 {
		t.Fatalf("the POST was sent %d times, %d retry events", posts()-before, len(events))
	}

	// One retry, after the server's Retry-After (1 s), then the second 429 is the error.
	srv.SetFaults(sandgate.Faults{FailNext: 2, Status: 429, RetryAfter: sandgate.Ptr(1)})
	once := srv.Client(sandgate.Options{APIKey: srv.AdminKey().Expose(), Retry: sandgate.RetryOptions{MaxRetries: sandgate.Ptr(1)}})
	_, err = once.GetSandbox(ctx, id)
	if !errors.As(err, &e) || e.Status != 429 || !e.Retryable || !e.IsRetryable() || e.RetryAfter != time.Second {
		t.Fatalf("429: %v (retryable %v, retry after %v)", err, e.Retryable, e.RetryAfter)
	}
}
