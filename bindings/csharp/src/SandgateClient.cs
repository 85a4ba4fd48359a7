using System;
using System.Collections.Generic;
using System.Linq;
using System.Runtime.InteropServices;
using System.Threading;
using System.Threading.Tasks;
using Sandgate.Native;

namespace Sandgate
{
    /// <summary>
    /// How the client retries idempotent requests (the core's policy: exponential backoff with
    /// jitter, <c>Retry-After</c> honoured). Anything left null keeps the core's default.
    /// </summary>
    public sealed class RetryOptions
    {
        /// <summary>Retries after the first attempt; 0 turns retrying off.</summary>
        public int? MaxRetries { get; set; }

        /// <summary>The delay before the first retry (rounded up to whole milliseconds).</summary>
        public TimeSpan? InitialBackoff { get; set; }

        /// <summary>The longest computed delay between attempts (rounded up to whole milliseconds; default 30 s).</summary>
        public TimeSpan? MaxBackoff { get; set; }

        /// <summary>Growth of the jitter's upper bound, 1..100 (default 2).</summary>
        public double? Multiplier { get; set; }

        /// <summary>Statuses on which idempotent requests are retried (default 429, 502, 503; empty: never on a status).</summary>
        public IList<int> RetryStatuses { get; set; }

        /// <summary>Statuses on which a POST is retried: an opt-in (default none).</summary>
        public IList<int> PostRetryStatuses { get; set; }

        /// <summary>The timeout of one attempt (default: the client's timeout).</summary>
        public TimeSpan? AttemptTimeout { get; set; }

        /// <summary>The time allowed for all attempts and waits together (default: none).</summary>
        public TimeSpan? Deadline { get; set; }

        /// <inheritdoc/>
        public override string ToString()
        {
            Func<IList<int>, object> list = l => l == null ? "default" : (object)("[" + string.Join(", ", l) + "]");
            return string.Format("RetryOptions(MaxRetries: {0}, InitialBackoff: {1}, MaxBackoff: {2}, Multiplier: {3}, RetryStatuses: {4}, PostRetryStatuses: {5}, AttemptTimeout: {6}, Deadline: {7})",
                (object)MaxRetries ?? "default", (object)InitialBackoff ?? "default", (object)MaxBackoff ?? "default",
                (object)Multiplier ?? "default", list(RetryStatuses), list(PostRetryStatuses),
                (object)AttemptTimeout ?? "default", (object)Deadline ?? "default");
        }

        /// <summary>The native mirror; the status lists are pinned in <paramref name="pins"/>.</summary>
        internal unsafe Native.SandgateRetryOptions ToNative(Pins pins)
        {
            var o = default(Native.SandgateRetryOptions);
            if (MaxRetries.HasValue)
            {
                if (MaxRetries < 0)
                {
                    throw Errors.Own(ErrorKind.InvalidConfig, "retry MaxRetries must not be negative, got " + MaxRetries);
                }
                o.HasMaxRetries = 1;
                o.MaxRetries = (uint)MaxRetries.Value;
            }
            o.InitialBackoffMs = Span.Millis(InitialBackoff, "retry InitialBackoff", out o.HasInitialBackoffMs);
            o.MaxBackoffMs = Span.Millis(MaxBackoff, "retry MaxBackoff", out o.HasMaxBackoffMs);
            o.AttemptTimeoutMs = Span.Millis(AttemptTimeout, "retry AttemptTimeout", out o.HasAttemptTimeoutMs);
            o.DeadlineMs = Span.Millis(Deadline, "retry Deadline", out o.HasDeadlineMs);
            if (Multiplier.HasValue)
            {
                o.HasMultiplier = 1;
                o.Multiplier = Multiplier.Value;
            }
            if (RetryStatuses != null)
            {
                o.HasRetryStatuses = 1;
                o.RetryStatuses = pins.Statuses(RetryStatuses, "retry RetryStatuses", out o.RetryStatusesLen);
            }
            if (PostRetryStatuses != null)
            {
                o.HasPostRetryStatuses = 1;
                o.PostRetryStatuses = pins.Statuses(PostRetryStatuses, "retry PostRetryStatuses", out o.PostRetryStatusesLen);
            }
            return o;
        }
    }

    /// <summary>
    /// Settings of a <see cref="SandgateClient"/>. Anything left unset comes from the environment
    /// (<c>OPEN_SANDBOX_DOMAIN</c>, <c>OPEN_SANDBOX_API_KEY</c>, <c>OPEN_SANDBOX_PROTOCOL</c>) and
    /// then from the defaults (<c>localhost:8080</c>, <c>http</c>, 30 s, the core's retries).
    /// </summary>
    public sealed class SandgateClientOptions
    {
        /// <summary>The server <c>host:port</c>; a scheme written here wins over <see cref="Protocol"/>.</summary>
        public string Domain { get; set; }

        /// <summary><c>http</c> or <c>https</c>.</summary>
        public string Protocol { get; set; }

        /// <summary>The API key (a <see cref="Secret"/> or a plain string), sent as <c>OPEN-SANDBOX-API-KEY</c>.</summary>
        public Secret ApiKey { get; set; }

        /// <summary>The per-request timeout (rounded up to whole milliseconds; zero is rejected).</summary>
        public TimeSpan? Timeout { get; set; }

        /// <summary>Headers sent on every request (for example <c>X-OpenSandbox-User</c>).</summary>
        public IDictionary<string, string> Headers { get; } = new Dictionary<string, string>();

        /// <summary>How idempotent requests are retried; null keeps the defaults.</summary>
        public RetryOptions Retry { get; set; }

        /// <summary>When true, the <c>OPEN_SANDBOX_*</c> environment variables are not read.</summary>
        public bool IgnoreEnvironment { get; set; }

        /// <summary>
        /// Called before each retry sleeps, with the attempt that failed, the delay and the
        /// failure. It runs on a sandgate thread: return quickly; an exception it throws is
        /// swallowed (the hook observes, it cannot fail a call).
        /// </summary>
        public Action<RetryEvent> OnRetry { get; set; }

        /// <summary>The endpoint cache; null keeps it on with the defaults.</summary>
        public CacheOptions Cache { get; set; }

        /// <summary>Prints the settings with the API key as <c>***</c> and header names only.</summary>
        public override string ToString()
        {
            return string.Format("SandgateClientOptions(Domain: {0}, Protocol: {1}, ApiKey: {2}, Timeout: {3}, Headers: [{4}], Retry: {5}, IgnoreEnvironment: {6}, OnRetry: {7}, Cache: {8})",
                Domain ?? "unset", Protocol ?? "unset", ApiKey == null ? "unset" : "***",
                Timeout.HasValue ? Timeout.Value.ToString() : "unset",
                string.Join(", ", Headers.Keys.OrderBy(k => k, StringComparer.Ordinal)), (object)Retry ?? "default", IgnoreEnvironment,
                OnRetry == null ? "none" : "set", (object)Cache ?? "default");
        }
    }

    /// <summary>
    /// A client for one OpenSandbox server: the lifecycle API and the keys API. Thread-safe;
    /// every operation is asynchronous and honours its <see cref="CancellationToken"/>, which
    /// aborts the request in flight. Dispose it when done (calls in flight still complete).
    /// </summary>
    public sealed class SandgateClient : IDisposable
    {
        private readonly ClientHandle handle;

        /// <summary>A client configured from the environment and the defaults only.</summary>
        public SandgateClient() : this(null)
        {
        }

        /// <summary>A client from <paramref name="options"/> (null: environment and defaults).</summary>
        /// <exception cref="InvalidConfigException">An option is invalid.</exception>
        public unsafe SandgateClient(SandgateClientOptions options)
        {
            Library.EnsureLoaded();
            options = options ?? new SandgateClientOptions();
            RetryOptions retry = options.Retry ?? new RetryOptions();
            var o = default(Native.SandgateClientOptions);
            using (var pins = new Pins())
            {
                o.Domain = pins.Str(options.Domain, "Domain");
                o.Protocol = pins.Str(options.Protocol, "Protocol");
                o.ApiKey = pins.Str(Secret.Text(options.ApiKey), "ApiKey");
                o.Headers = pins.Pairs(options.Headers, "header", out o.HeadersLen);
                o.TimeoutMs = Span.Millis(options.Timeout, "Timeout", out o.HasTimeoutMs);
                o.Language = pins.Str("csharp", "language");
                o.Retry = retry.ToNative(pins);
                o.Cache = (options.Cache ?? new CacheOptions()).ToNative();
                o.IgnoreEnv = options.IgnoreEnvironment ? (byte)1 : (byte)0;
                if (options.OnRetry != null)
                {
                    // Freed by the core through RetryHook.Release once no call can retry any more.
                    o.OnRetry = RetryHook.Call;
                    o.OnRetryUserData = GCHandle.ToIntPtr(GCHandle.Alloc(options.OnRetry));
                    o.OnRetryRelease = RetryHook.Release;
                }
                Errors.Check(NativeMethods.sandgate_client_new(&o, out handle), handle);
            }
            try
            {
                SandgateString url;
                Errors.Check(NativeMethods.sandgate_client_base_url(handle, &url));
                BaseUrl = Utf8.Take(&url);
            }
            catch
            {
                handle.Dispose();
                throw;
            }
        }

        /// <summary>The server root, <c>protocol://domain</c>.</summary>
        public string BaseUrl { get; }

        /// <summary>The server root, never the API key.</summary>
        public override string ToString()
        {
            return "SandgateClient(" + BaseUrl + ")";
        }

        /// <summary>Frees the client; calls in flight still complete. Safe to call more than once.</summary>
        public void Dispose()
        {
            handle.Dispose();
        }

        /// <summary>The unsigned endpoint of <paramref name="port"/> (1..65535) of a sandbox.</summary>
        public unsafe Task<Endpoint> GetEndpointAsync(string sandboxId, int port, CancellationToken cancellationToken = default(CancellationToken))
        {
            return Start(Endpoint.Take, cancellationToken, sandboxId, "sandboxId", (SandgateStr id, IntPtr ud, out CancelHandle cancel) =>
                NativeMethods.sandgate_client_get_endpoint(handle, id, port, AsyncCall.Callback, ud, out cancel));
        }

        /// <summary>
        /// The endpoint of <paramref name="port"/> (1..65535) of a sandbox in one explicit
        /// <paramref name="mode"/>: <see cref="EndpointMode.Direct"/>, <see cref="EndpointMode.ServerProxy"/>
        /// (its headers carry the API key), <see cref="EndpointMode.SignedUntil"/> or
        /// <see cref="EndpointMode.SignedFor"/> (a TTL on the server's clock). Endpoints are cached
        /// per client (<see cref="CacheOptions"/>); concurrent calls for one endpoint share one request.
        /// </summary>
        public unsafe Task<Endpoint> GetEndpointAsync(string sandboxId, int port, EndpointMode mode,
            CancellationToken cancellationToken = default(CancellationToken))
        {
            if (mode == null)
            {
                return Task.FromException<Endpoint>(Errors.Own(ErrorKind.InvalidArgument, "mode must not be null"));
            }
            SandgateExpiry expiry = mode.Expiry;
            byte proxy = mode.IsServerProxy ? (byte)1 : (byte)0;
            return Start(Endpoint.Take, cancellationToken, sandboxId, "sandboxId", (SandgateStr id, IntPtr ud, out CancelHandle cancel) =>
                NativeMethods.sandgate_client_endpoint(handle, id, port, proxy, expiry, AsyncCall.Callback, ud, out cancel));
        }

        /// <summary>Pauses a sandbox and forgets its cached endpoints. Never retried once sent.</summary>
        public unsafe Task PauseSandboxAsync(string sandboxId, CancellationToken cancellationToken = default(CancellationToken))
        {
            return Start(NoResult, cancellationToken, sandboxId, "sandboxId", (SandgateStr id, IntPtr ud, out CancelHandle cancel) =>
                NativeMethods.sandgate_client_pause_sandbox(handle, id, AsyncCall.Callback, ud, out cancel));
        }

        /// <summary>Resumes a paused sandbox and forgets its cached endpoints. Never retried once sent.</summary>
        public unsafe Task ResumeSandboxAsync(string sandboxId, CancellationToken cancellationToken = default(CancellationToken))
        {
            return Start(NoResult, cancellationToken, sandboxId, "sandboxId", (SandgateStr id, IntPtr ud, out CancelHandle cancel) =>
                NativeMethods.sandgate_client_resume_sandbox(handle, id, AsyncCall.Callback, ud, out cancel));
        }

        /// <summary>An endpoint whose signed route expires at <paramref name="expires"/> (whole seconds, in the future).</summary>
        public unsafe Task<Endpoint> GetSignedEndpointAsync(string sandboxId, int port, DateTimeOffset expires,
            CancellationToken cancellationToken = default(CancellationToken))
        {
            return Start(Endpoint.Take, cancellationToken, sandboxId, "sandboxId", (SandgateStr id, IntPtr ud, out CancelHandle cancel) =>
                NativeMethods.sandgate_client_get_signed_endpoint(handle, id, port, Expiry.At(UnixTime.Seconds(expires)),
                    AsyncCall.Callback, ud, out cancel));
        }

        /// <summary>An endpoint whose signed route expires <paramref name="ttl"/> from now (whole seconds, at least one).</summary>
        public unsafe Task<Endpoint> GetSignedEndpointAsync(string sandboxId, int port, TimeSpan ttl,
            CancellationToken cancellationToken = default(CancellationToken))
        {
            SandgateExpiry expiry = Expiry.Ttl(ttl);
            return Start(Endpoint.Take, cancellationToken, sandboxId, "sandboxId", (SandgateStr id, IntPtr ud, out CancelHandle cancel) =>
                NativeMethods.sandgate_client_get_signed_endpoint(handle, id, port, expiry, AsyncCall.Callback, ud, out cancel));
        }

        /// <summary>
        /// Mints an API key for the calling user (<c>POST /api/v1/keys</c>). A null
        /// <paramref name="name"/> takes the server's default; <paramref name="expiresAt"/> must be
        /// in the future (null: never expires).
        /// </summary>
        public unsafe Task<CreatedApiKey> CreateApiKeyAsync(string name = null, DateTimeOffset? expiresAt = null,
            CancellationToken cancellationToken = default(CancellationToken))
        {
            return Start(CreatedApiKey.Take, cancellationToken, name, "name", (SandgateStr n, IntPtr ud, out CancelHandle cancel) =>
                NativeMethods.sandgate_client_create_api_key(handle, n,
                    expiresAt.HasValue ? (byte)1 : (byte)0, expiresAt.HasValue ? UnixTime.Seconds(expiresAt.Value) : 0,
                    AsyncCall.Callback, ud, out cancel));
        }

        /// <summary>Lists the calling user's keys (never their secrets).</summary>
        public unsafe Task<IReadOnlyList<ApiKeyInfo>> ListApiKeysAsync(CancellationToken cancellationToken = default(CancellationToken))
        {
            return Start(ApiKeyInfo.TakeList, cancellationToken, null, null, (SandgateStr none, IntPtr ud, out CancelHandle cancel) =>
                NativeMethods.sandgate_client_list_api_keys(handle, AsyncCall.Callback, ud, out cancel));
        }

        /// <summary>Revokes one of the calling user's keys.</summary>
        public unsafe Task RevokeApiKeyAsync(string keyId, CancellationToken cancellationToken = default(CancellationToken))
        {
            return Start(NoResult, cancellationToken, keyId, "keyId", (SandgateStr id, IntPtr ud, out CancelHandle cancel) =>
                NativeMethods.sandgate_client_revoke_api_key(handle, id, AsyncCall.Callback, ud, out cancel));
        }

        /// <summary>
        /// Creates a sandbox from <paramref name="image"/>. <paramref name="secureAccess"/> requires a
        /// signed route or the access token; <c>access.owner</c> metadata is always set by the
        /// server; <paramref name="timeout"/> is the lifetime in whole seconds (null: the server's default).
        /// </summary>
        public unsafe Task<Sandbox> CreateSandboxAsync(string image, bool secureAccess = false,
            IDictionary<string, string> metadata = null, TimeSpan? timeout = null,
            CancellationToken cancellationToken = default(CancellationToken))
        {
            // Zero or a negative timeout goes in as 0, which the core rejects.
            ulong seconds = timeout.HasValue ? Expiry.Ttl(timeout.Value).TtlSeconds : 0;
            return Start(Sandbox.Take, cancellationToken, image, "image", (SandgateStr img, IntPtr ud, out CancelHandle cancel) =>
            {
                using (var pins = new Pins()) // the metadata array points at the strings' bytes
                {
                    UIntPtr count;
                    SandgateStrPair* meta = pins.Pairs(metadata, "metadata", out count);
                    return NativeMethods.sandgate_client_create_sandbox(handle, img, secureAccess ? (byte)1 : (byte)0,
                        meta, count, timeout.HasValue ? (byte)1 : (byte)0, seconds, AsyncCall.Callback, ud, out cancel);
                }
            });
        }

        /// <summary>Gets one sandbox.</summary>
        public unsafe Task<Sandbox> GetSandboxAsync(string sandboxId, CancellationToken cancellationToken = default(CancellationToken))
        {
            return Start(Sandbox.Take, cancellationToken, sandboxId, "sandboxId", (SandgateStr id, IntPtr ud, out CancelHandle cancel) =>
                NativeMethods.sandgate_client_get_sandbox(handle, id, AsyncCall.Callback, ud, out cancel));
        }

        /// <summary>Lists the sandboxes the caller may see.</summary>
        public unsafe Task<IReadOnlyList<Sandbox>> ListSandboxesAsync(CancellationToken cancellationToken = default(CancellationToken))
        {
            return Start(Sandbox.TakeList, cancellationToken, null, null, (SandgateStr none, IntPtr ud, out CancelHandle cancel) =>
                NativeMethods.sandgate_client_list_sandboxes(handle, AsyncCall.Callback, ud, out cancel));
        }

        /// <summary>Deletes a sandbox.</summary>
        public unsafe Task DeleteSandboxAsync(string sandboxId, CancellationToken cancellationToken = default(CancellationToken))
        {
            return Start(NoResult, cancellationToken, sandboxId, "sandboxId", (SandgateStr id, IntPtr ud, out CancelHandle cancel) =>
                NativeMethods.sandgate_client_delete_sandbox(handle, id, AsyncCall.Callback, ud, out cancel));
        }

        /// <summary>Renews a sandbox to expire at <paramref name="expires"/> (whole seconds, in the future). Never retried once sent.</summary>
        public Task<SandboxRenewal> RenewSandboxAsync(string sandboxId, DateTimeOffset expires,
            CancellationToken cancellationToken = default(CancellationToken))
        {
            return Renew(sandboxId, Expiry.At(UnixTime.Seconds(expires)), cancellationToken);
        }

        /// <summary>Renews a sandbox to expire <paramref name="ttl"/> from now (whole seconds, at least one). Never retried once sent.</summary>
        public Task<SandboxRenewal> RenewSandboxAsync(string sandboxId, TimeSpan ttl,
            CancellationToken cancellationToken = default(CancellationToken))
        {
            return Renew(sandboxId, Expiry.Ttl(ttl), cancellationToken);
        }

        private unsafe Task<SandboxRenewal> Renew(string sandboxId, SandgateExpiry expiry, CancellationToken cancellationToken)
        {
            return Start(SandboxRenewal.Take, cancellationToken, sandboxId, "sandboxId", (SandgateStr id, IntPtr ud, out CancelHandle cancel) =>
                NativeMethods.sandgate_client_renew_sandbox(handle, id, expiry, AsyncCall.Callback, ud, out cancel));
        }

        /// <summary>
        /// Calls one client operation: <paramref name="arg"/> goes in as UTF-8 pinned for the call
        /// (null stays NULL), <paramref name="userData"/> names the pending call, and the native
        /// result is copied and freed by <paramref name="convert"/> when the callback runs.
        /// </summary>
        private unsafe delegate SandgateError* Starter(SandgateStr arg, IntPtr userData, out CancelHandle cancel);

        private unsafe Task<T> Start<T>(Func<IntPtr, T> convert, CancellationToken cancellationToken, string arg, string argName, Starter start)
        {
            if (cancellationToken.IsCancellationRequested)
            {
                return Task.FromCanceled<T>(cancellationToken);
            }
            var call = new AsyncCall<T>(convert, cancellationToken);
            try
            {
                handle.ThrowIfClosed(nameof(SandgateClient));
                CancelHandle cancel;
                SandgateError* e;
                using (var pins = new Pins())
                {
                    e = start(pins.Str(arg, argName), call.UserData, out cancel);
                }
                return call.Started(e, cancel);
            }
            catch (Exception ex)
            {
                return call.Failed(ex);
            }
        }

        private static bool NoResult(IntPtr result)
        {
            return true;
        }
    }
}
