using System;
using System.Collections.Generic;
using System.Linq;
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

        /// <summary>The longest delay between attempts (rounded up to whole milliseconds).</summary>
        public TimeSpan? MaxBackoff { get; set; }

        /// <inheritdoc/>
        public override string ToString()
        {
            return string.Format("RetryOptions(MaxRetries: {0}, InitialBackoff: {1}, MaxBackoff: {2})",
                (object)MaxRetries ?? "default", (object)InitialBackoff ?? "default", (object)MaxBackoff ?? "default");
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

        /// <summary>Prints the settings with the API key as <c>***</c> and header names only.</summary>
        public override string ToString()
        {
            return string.Format("SandgateClientOptions(Domain: {0}, Protocol: {1}, ApiKey: {2}, Timeout: {3}, Headers: [{4}], Retry: {5}, IgnoreEnvironment: {6})",
                Domain ?? "unset", Protocol ?? "unset", ApiKey == null ? "unset" : "***",
                Timeout.HasValue ? Timeout.Value.ToString() : "unset",
                string.Join(", ", Headers.Keys.OrderBy(k => k, StringComparer.Ordinal)), (object)Retry ?? "default", IgnoreEnvironment);
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
                o.TimeoutMs = Millis(options.Timeout, "Timeout", out o.HasTimeoutMs);
                o.Language = pins.Str("csharp", "language");
                if (retry.MaxRetries.HasValue)
                {
                    if (retry.MaxRetries < 0)
                    {
                        throw Errors.Own(ErrorKind.InvalidConfig, "retry MaxRetries must not be negative, got " + retry.MaxRetries);
                    }
                    o.Retry.HasMaxRetries = 1;
                    o.Retry.MaxRetries = (uint)retry.MaxRetries.Value;
                }
                o.Retry.InitialBackoffMs = Millis(retry.InitialBackoff, "retry InitialBackoff", out o.Retry.HasInitialBackoffMs);
                o.Retry.MaxBackoffMs = Millis(retry.MaxBackoff, "retry MaxBackoff", out o.Retry.HasMaxBackoffMs);
                o.IgnoreEnv = options.IgnoreEnvironment ? (byte)1 : (byte)0;
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

        /// <summary>Whole milliseconds of a span, rounded up; a negative span has none and is an invalid_config error.</summary>
        private static ulong Millis(TimeSpan? span, string name, out byte has)
        {
            has = span.HasValue ? (byte)1 : (byte)0;
            if (!span.HasValue)
            {
                return 0;
            }
            if (span.Value < TimeSpan.Zero)
            {
                throw Errors.Own(ErrorKind.InvalidConfig, name + " must not be negative, got " + span.Value);
            }
            return (ulong)Math.Ceiling(span.Value.TotalMilliseconds);
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
