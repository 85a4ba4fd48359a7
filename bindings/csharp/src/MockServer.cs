using System;
using System.Collections.Generic;
using Sandgate.Native;

namespace Sandgate
{
    /// <summary>Failures to inject into the mock's API requests (never the gateway's or <c>/_mock/</c> ones).</summary>
    public sealed class MockFaults
    {
        /// <summary>Fail this many of the next requests with <see cref="Status"/>.</summary>
        public long FailNext { get; set; }

        /// <summary>Status of injected failures; 0 means 503.</summary>
        public long Status { get; set; }

        /// <summary><c>Retry-After</c> seconds sent with injected failures; null sends none.</summary>
        public long? RetryAfter { get; set; }

        /// <summary>Delay added before every API request (whole milliseconds).</summary>
        public TimeSpan Latency { get; set; }

        /// <summary>Close the connection without an answer for this many of the next requests.</summary>
        public long DropNext { get; set; }

        /// <summary>Answer this many of the next requests with 200 and a body that is not JSON.</summary>
        public long CorruptNext { get; set; }
    }

    /// <summary>One API request the mock received.</summary>
    public sealed class MockRequest
    {
        internal MockRequest(string method, string path, int status, string userAgent)
        {
            Method = method;
            Path = path;
            Status = status;
            UserAgent = userAgent;
        }

        /// <summary>The HTTP method.</summary>
        public string Method { get; }

        /// <summary>The path, without the query.</summary>
        public string Path { get; }

        /// <summary>The status answered; 0 when the connection was dropped.</summary>
        public int Status { get; }

        /// <summary>The <c>User-Agent</c> header, or null.</summary>
        public string UserAgent { get; }

        /// <inheritdoc/>
        public override string ToString()
        {
            return Method + " " + Path + " -> " + Status;
        }
    }

    /// <summary>
    /// sandgate's embeddable mock of an OpenSandbox platform: the lifecycle and keys APIs and a
    /// verifying gateway on free 127.0.0.1 ports, with a controllable clock and fault injection.
    /// Dispose it to stop it.
    /// </summary>
    public sealed class MockServer : IDisposable
    {
        private readonly MockHandle handle;

        private unsafe MockServer(MockHandle handle)
        {
            this.handle = handle;
            ApiUrl = Read(NativeMethods.sandgate_mock_api_url);
            GatewayUrl = Read(NativeMethods.sandgate_mock_gateway_url);
            Domain = Read(NativeMethods.sandgate_mock_domain);
            RouteMode = Read(NativeMethods.sandgate_mock_route_mode);
            AdminKey = new Secret(Read(NativeMethods.sandgate_mock_admin_key));
            SigningKeys = new Secret(Read(NativeMethods.sandgate_mock_signing_keys));
        }

        /// <summary>
        /// Starts a mock server. <paramref name="routeMode"/> is <c>header</c> (null: the default),
        /// <c>wildcard</c> or <c>uri</c>; <paramref name="trustedHeaders"/> accepts the
        /// <c>X-OpenSandbox-User/Team/Roles</c> headers as the caller's identity;
        /// <paramref name="endpointOrigin"/> (null: none) is sent as <c>OPEN-SANDBOX-ORIGIN</c> with every endpoint.
        /// </summary>
        /// <exception cref="InvalidConfigException">An unknown route mode.</exception>
        public static unsafe MockServer Start(string routeMode = null, bool trustedHeaders = false, string endpointOrigin = null)
        {
            Library.EnsureLoaded();
            MockHandle h;
            SandgateError* e;
            using (var pins = new Pins())
            {
                e = NativeMethods.sandgate_mock_start(pins.Str(routeMode, "routeMode"), trustedHeaders ? (byte)1 : (byte)0,
                    pins.Str(endpointOrigin, "endpointOrigin"), out h);
            }
            Errors.Check(e, h);
            try
            {
                return new MockServer(h);
            }
            catch
            {
                h.Dispose();
                throw;
            }
        }

        private unsafe delegate SandgateError* Getter(MockHandle mock, SandgateString* result);

        private unsafe string Read(Getter get)
        {
            SandgateString s;
            Errors.Check(get(handle, &s));
            return Utf8.Take(&s);
        }

        /// <summary>The API base URL, <c>http://127.0.0.1:PORT</c>.</summary>
        public string ApiUrl { get; }

        /// <summary>The gateway base URL.</summary>
        public string GatewayUrl { get; }

        /// <summary>The API <c>host:port</c>: a client's <see cref="SandgateClientOptions.Domain"/>.</summary>
        public string Domain { get; }

        /// <summary><c>header</c>, <c>wildcard</c> or <c>uri</c>.</summary>
        public string RouteMode { get; }

        /// <summary>The static admin key (role <c>service_admin</c>).</summary>
        public Secret AdminKey { get; }

        /// <summary>The mock's signing keys as a flag string, for <see cref="Sandgate.SigningKeys.FromFlag"/>.</summary>
        public Secret SigningKeys { get; private set; }

        /// <summary>
        /// Replaces the keys the mock signs endpoints with (the active key) and its gateway
        /// verifies with, as <c>PUT /_mock/signing-keys</c> does: a link signed with a key the new
        /// set lacks answers 401 <c>unknown_key</c>. <paramref name="keys"/> stays the caller's.
        /// </summary>
        public unsafe void SetSigningKeys(Sandgate.SigningKeys keys)
        {
            if (keys == null)
            {
                throw new ArgumentNullException(nameof(keys));
            }
            handle.ThrowIfClosed(nameof(MockServer));
            keys.Handle.ThrowIfClosed(nameof(Sandgate.SigningKeys));
            Errors.Check(NativeMethods.sandgate_mock_set_signing_keys(handle, keys.Handle));
            SigningKeys = new Secret(Read(NativeMethods.sandgate_mock_signing_keys));
        }

        /// <summary>"Now" on the mock clock, in Unix seconds.</summary>
        public ulong Now()
        {
            handle.ThrowIfClosed(nameof(MockServer));
            ulong now;
            unsafe
            {
                Errors.Check(NativeMethods.sandgate_mock_now(handle, out now));
            }
            return now;
        }

        /// <summary>Sets the mock clock to <paramref name="now"/> (Unix seconds); it keeps running from there.</summary>
        public unsafe void SetNow(ulong now)
        {
            handle.ThrowIfClosed(nameof(MockServer));
            Errors.Check(NativeMethods.sandgate_mock_set_now(handle, now));
        }

        /// <summary>Moves the mock clock by <paramref name="seconds"/> (negative goes back).</summary>
        public unsafe void Advance(long seconds)
        {
            handle.ThrowIfClosed(nameof(MockServer));
            Errors.Check(NativeMethods.sandgate_mock_advance(handle, seconds));
        }

        /// <summary>Replaces the injected faults.</summary>
        /// <exception cref="InvalidArgumentException">A negative count or duration.</exception>
        public unsafe void SetFaults(MockFaults faults)
        {
            if (faults == null)
            {
                throw new ArgumentNullException(nameof(faults));
            }
            handle.ThrowIfClosed(nameof(MockServer));
            SandgateFaults f;
            f.FailNext = faults.FailNext;
            f.Status = faults.Status;
            f.HasRetryAfter = faults.RetryAfter.HasValue ? (byte)1 : (byte)0;
            f.RetryAfter = faults.RetryAfter ?? 0;
            f.LatencyMs = (long)faults.Latency.TotalMilliseconds;
            f.DropNext = faults.DropNext;
            f.CorruptNext = faults.CorruptNext;
            Errors.Check(NativeMethods.sandgate_mock_set_faults(handle, &f));
        }

        /// <summary>Removes every injected fault.</summary>
        public unsafe void ClearFaults()
        {
            handle.ThrowIfClosed(nameof(MockServer));
            Errors.Check(NativeMethods.sandgate_mock_clear_faults(handle));
        }

        /// <summary>Forgets every sandbox, key, fault, logged request and clock offset.</summary>
        public unsafe void Reset()
        {
            handle.ThrowIfClosed(nameof(MockServer));
            Errors.Check(NativeMethods.sandgate_mock_reset(handle));
        }

        /// <summary>The API requests received so far (not <c>/_mock/</c> ones), oldest first.</summary>
        public unsafe IReadOnlyList<MockRequest> Requests()
        {
            handle.ThrowIfClosed(nameof(MockServer));
            SandgateMockRequestList* l;
            Errors.Check(NativeMethods.sandgate_mock_requests(handle, out l));
            try
            {
                var list = new List<MockRequest>();
                for (ulong i = 0; i < (ulong)l->Len; i++)
                {
                    SandgateMockRequest* r = l->Items + i;
                    list.Add(new MockRequest(Utf8.Read(r->Method), Utf8.Read(r->Path), r->Status, Utf8.Read(r->UserAgent)));
                }
                return list.AsReadOnly();
            }
            finally
            {
                NativeMethods.sandgate_mock_request_list_free(l);
            }
        }

        /// <summary>Stops both listeners (they close a moment later); the server answers nothing afterwards.</summary>
        public unsafe void Stop()
        {
            handle.ThrowIfClosed(nameof(MockServer));
            Errors.Check(NativeMethods.sandgate_mock_stop(handle));
        }

        /// <summary>Prints the URLs, never the keys.</summary>
        public override string ToString()
        {
            return string.Format("MockServer(api: {0}, gateway: {1}, route mode: {2}, admin key: ***)", ApiUrl, GatewayUrl, RouteMode);
        }

        /// <summary>Stops the server and frees it. Safe to call more than once.</summary>
        public void Dispose()
        {
            handle.Dispose();
        }
    }
}
