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
    /// Settings of a <see cref="SandgateClient"/>. Anything left unset comes from the environment
    /// (<c>OPEN_SANDBOX_DOMAIN</c>, <c>OPEN_SANDBOX_API_KEY</c>, <c>OPEN_SANDBOX_PROTOCOL</c>) and
    /// then from the defaults (<c>localhost:8080</c>, <c>http</c>, 30 s, retries on).
    /// </summary>
    public sealed class SandgateClientOptions
    {
        /// <summary>The server <c>host:port</c>; a scheme written here wins over <see cref="Protocol"/>.</summary>
        public string Domain { get; set; }

        /// <summary><c>http</c> or <c>https</c>.</summary>
        public string Protocol { get; set; }

        /// <summary>The API key (a secret), sent as <c>OPEN-SANDBOX-API-KEY</c>.</summary>
        public string ApiKey { get; set; }

        /// <summary>The per-request timeout (rounded up to whole milliseconds; zero or negative is rejected).</summary>
        public TimeSpan? Timeout { get; set; }

        /// <summary>Headers sent on every request (for example <c>X-OpenSandbox-User</c>).</summary>
        public IDictionary<string, string> Headers { get; } = new Dictionary<string, string>();

        /// <summary>Whether idempotent requests are retried (the core's default policy). Default true.</summary>
        public bool Retries { get; set; } = true;

        /// <summary>When true, the <c>OPEN_SANDBOX_*</c> environment variables are not read.</summary>
        public bool IgnoreEnvironment { get; set; }

        /// <summary>Prints the settings with the API key as <c>***</c> and header names only.</summary>
        public override string ToString()
        {
            return string.Format("SandgateClientOptions(Domain: {0}, Protocol: {1}, ApiKey: {2}, Timeout: {3}, Headers: [{4}], Retries: {5}, IgnoreEnvironment: {6})",
                Domain ?? "unset", Protocol ?? "unset", ApiKey == null ? "unset" : "***",
                Timeout.HasValue ? Timeout.Value.ToString() : "unset",
                string.Join(", ", Headers.Keys.OrderBy(k => k, StringComparer.Ordinal)), Retries, IgnoreEnvironment);
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
            using (ClientOptionsHandle o = NativeMethods.sandgate_client_options_new())
            {
                Set(o, "csharp", "language", (h, s) => NativeMethods.sandgate_client_options_language(h, s));
                if (options.Domain != null)
                {
                    Set(o, options.Domain, "Domain", (h, s) => NativeMethods.sandgate_client_options_domain(h, s));
                }
                if (options.Protocol != null)
                {
                    Set(o, options.Protocol, "Protocol", (h, s) => NativeMethods.sandgate_client_options_protocol(h, s));
                }
                if (options.ApiKey != null)
                {
                    Set(o, options.ApiKey, "ApiKey", (h, s) => NativeMethods.sandgate_client_options_api_key(h, s));
                }
                if (options.Timeout.HasValue)
                {
                    // Zero or negative goes in as 0, which the core rejects when the client is built.
                    double ms = Math.Ceiling(options.Timeout.Value.TotalMilliseconds);
                    Errors.Check(NativeMethods.sandgate_client_options_timeout_ms(o, ms > 0 ? (ulong)ms : 0));
                }
                foreach (KeyValuePair<string, string> h in options.Headers)
                {
                    byte[] name = Utf8.Encode(h.Key, "header name");
                    byte[] value = Utf8.Encode(h.Value, "header value");
                    fixed (byte* pn = name)
                    fixed (byte* pv = value)
                    {
                        Errors.Check(NativeMethods.sandgate_client_options_header(o, Utf8.Str(pn, name), Utf8.Str(pv, value)));
                    }
                }
                Errors.Check(NativeMethods.sandgate_client_options_retries(o, options.Retries ? (byte)1 : (byte)0));
                Errors.Check(NativeMethods.sandgate_client_options_ignore_env(o, options.IgnoreEnvironment ? (byte)1 : (byte)0));
                SandgateError* e = NativeMethods.sandgate_client_new(o, out handle);
                if (e != null)
                {
                    handle.Dispose();
                    throw Errors.Take(e);
                }
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

        private unsafe delegate SandgateError* Setter(ClientOptionsHandle options, SandgateStr value);

        private static unsafe void Set(ClientOptionsHandle options, string value, string name, Setter setter)
        {
            byte[] b = Utf8.Encode(value, name);
            SandgateError* e;
            fixed (byte* p = b)
            {
                e = setter(options, Utf8.Str(p, b));
            }
            Errors.Check(e);
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
                NativeMethods.sandgate_client_get_endpoint_async(handle, id, port, AsyncCall.Callback, ud, out cancel));
        }

        /// <summary>An endpoint whose signed route expires at <paramref name="expires"/> (whole seconds, in the future).</summary>
        public unsafe Task<Endpoint> GetSignedEndpointAsync(string sandboxId, int port, DateTimeOffset expires,
            CancellationToken cancellationToken = default(CancellationToken))
        {
            return Start(Endpoint.Take, cancellationToken, sandboxId, "sandboxId", (SandgateStr id, IntPtr ud, out CancelHandle cancel) =>
                NativeMethods.sandgate_client_get_signed_endpoint_async(handle, id, port, UnixTime.Seconds(expires),
                    AsyncCall.Callback, ud, out cancel));
        }

        /// <summary>An endpoint whose signed route expires <paramref name="ttl"/> from now (whole seconds, at least one).</summary>
        public unsafe Task<Endpoint> GetSignedEndpointAsync(string sandboxId, int port, TimeSpan ttl,
            CancellationToken cancellationToken = default(CancellationToken))
        {
            // Fractions of a second are dropped; a ttl under one second goes in as 0, which the core rejects.
            ulong seconds = WholeSeconds(ttl);
            return Start(Endpoint.Take, cancellationToken, sandboxId, "sandboxId", (SandgateStr id, IntPtr ud, out CancelHandle cancel) =>
                NativeMethods.sandgate_client_get_signed_endpoint_for_async(handle, id, port, seconds, AsyncCall.Callback, ud, out cancel));
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
                NativeMethods.sandgate_client_create_api_key_async(handle, n,
                    expiresAt.HasValue ? (byte)1 : (byte)0, expiresAt.HasValue ? UnixTime.Seconds(expiresAt.Value) : 0,
                    AsyncCall.Callback, ud, out cancel));
        }

        /// <summary>Lists the calling user's keys (never their secrets).</summary>
        public unsafe Task<IReadOnlyList<ApiKeyInfo>> ListApiKeysAsync(CancellationToken cancellationToken = default(CancellationToken))
        {
            return Start(ApiKeyInfo.TakeList, cancellationToken, null, null, (SandgateStr none, IntPtr ud, out CancelHandle cancel) =>
                NativeMethods.sandgate_client_list_api_keys_async(handle, AsyncCall.Callback, ud, out cancel));
        }

        /// <summary>Revokes one of the calling user's keys.</summary>
        public unsafe Task RevokeApiKeyAsync(string keyId, CancellationToken cancellationToken = default(CancellationToken))
        {
            return Start(NoResult, cancellationToken, keyId, "keyId", (SandgateStr id, IntPtr ud, out CancelHandle cancel) =>
                NativeMethods.sandgate_client_revoke_api_key_async(handle, id, AsyncCall.Callback, ud, out cancel));
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
            ulong seconds = timeout.HasValue ? WholeSeconds(timeout.Value) : 0;
            return Start(Sandbox.Take, cancellationToken, image, "image", (SandgateStr img, IntPtr ud, out CancelHandle cancel) =>
            {
                // The metadata array points at the strings' bytes: pin them for the call.
                var pins = new List<GCHandle>();
                try
                {
                    KeyValuePair<string, string>[] items = metadata == null ? new KeyValuePair<string, string>[0] : metadata.ToArray();
                    var pairs = new SandgateStrPair[items.Length];
                    for (int i = 0; i < items.Length; i++)
                    {
                        pairs[i].Name = Pin(pins, Utf8.Encode(items[i].Key, "metadata key"));
                        pairs[i].Value = Pin(pins, Utf8.Encode(items[i].Value, "metadata value"));
                    }
                    fixed (SandgateStrPair* meta = pairs)
                    {
                        return NativeMethods.sandgate_client_create_sandbox_async(handle, img, secureAccess ? (byte)1 : (byte)0,
                            meta, (UIntPtr)pairs.Length, timeout.HasValue ? (byte)1 : (byte)0, seconds,
                            AsyncCall.Callback, ud, out cancel);
                    }
                }
                finally
                {
                    foreach (GCHandle pin in pins)
                    {
                        pin.Free();
                    }
                }
            });
        }

        private static unsafe SandgateStr Pin(List<GCHandle> pins, byte[] bytes)
        {
            if (bytes == null)
            {
                return default(SandgateStr); // NULL: the core names the missing value
            }
            GCHandle pin = GCHandle.Alloc(bytes, GCHandleType.Pinned);
            pins.Add(pin);
            return Utf8.Str((byte*)pin.AddrOfPinnedObject(), bytes);
        }

        /// <summary>Gets one sandbox.</summary>
        public unsafe Task<Sandbox> GetSandboxAsync(string sandboxId, CancellationToken cancellationToken = default(CancellationToken))
        {
            return Start(Sandbox.Take, cancellationToken, sandboxId, "sandboxId", (SandgateStr id, IntPtr ud, out CancelHandle cancel) =>
                NativeMethods.sandgate_client_get_sandbox_async(handle, id, AsyncCall.Callback, ud, out cancel));
        }

        /// <summary>Lists the sandboxes the caller may see.</summary>
        public unsafe Task<IReadOnlyList<Sandbox>> ListSandboxesAsync(CancellationToken cancellationToken = default(CancellationToken))
        {
            return Start(Sandbox.TakeList, cancellationToken, null, null, (SandgateStr none, IntPtr ud, out CancelHandle cancel) =>
                NativeMethods.sandgate_client_list_sandboxes_async(handle, AsyncCall.Callback, ud, out cancel));
        }

        /// <summary>Deletes a sandbox.</summary>
        public unsafe Task DeleteSandboxAsync(string sandboxId, CancellationToken cancellationToken = default(CancellationToken))
        {
            return Start(NoResult, cancellationToken, sandboxId, "sandboxId", (SandgateStr id, IntPtr ud, out CancelHandle cancel) =>
                NativeMethods.sandgate_client_delete_sandbox_async(handle, id, AsyncCall.Callback, ud, out cancel));
        }

        /// <summary>
        /// Calls one _async function: <paramref name="arg"/> goes in as UTF-8 pinned for the call
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
                byte[] bytes = Utf8.Encode(arg, argName);
                CancelHandle cancel;
                SandgateError* e;
                fixed (byte* p = bytes)
                {
                    e = start(Utf8.Str(p, bytes), call.UserData, out cancel);
                }
                return call.Started(e, cancel);
            }
            catch (Exception ex)
            {
                return call.Failed(ex);
            }
        }

        /// <summary>Whole seconds of a positive span (fractions dropped); 0 otherwise.</summary>
        private static ulong WholeSeconds(TimeSpan span)
        {
            return span > TimeSpan.Zero ? (ulong)(span.Ticks / TimeSpan.TicksPerSecond) : 0;
        }

        private static bool NoResult(IntPtr result)
        {
            return true;
        }
    }
}
