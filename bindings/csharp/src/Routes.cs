using System;
using System.Text;
using Sandgate.Native;

namespace Sandgate
{
    /// <summary>What a route names: a sandbox port and, for signed routes, the expiry and key id.</summary>
    public sealed class RouteInfo
    {
        internal RouteInfo(string sandboxId, int port, bool isSigned, ulong? expires, string keyId)
        {
            SandboxId = sandboxId;
            Port = port;
            IsSigned = isSigned;
            Expires = expires;
            KeyId = keyId;
        }

        /// <summary>The sandbox id.</summary>
        public string SandboxId { get; }

        /// <summary>The port (1..65535).</summary>
        public int Port { get; }

        /// <summary>Whether the route is signed (then <see cref="Expires"/> and <see cref="KeyId"/> are set).</summary>
        public bool IsSigned { get; }

        /// <summary>The expiry in Unix seconds (signed routes), else null.</summary>
        public ulong? Expires { get; }

        /// <summary>The signing key id (signed routes), else null.</summary>
        public string KeyId { get; }

        /// <inheritdoc/>
        public override string ToString()
        {
            return IsSigned
                ? string.Format("RouteInfo({0}:{1}, expires {2}, key {3})", SandboxId, Port, Expires, KeyId)
                : string.Format("RouteInfo({0}:{1}, unsigned)", SandboxId, Port);
        }

        internal static RouteInfo From(SandgateRoute r)
        {
            string id = Utf8.Read(r.SandboxId);
            if (id == null)
            {
                return null;
            }
            bool signed = r.IsSigned == 1;
            return new RouteInfo(id, r.Port, signed, signed ? r.Expires : (ulong?)null, signed ? Utf8.Read(r.KeyId) : null);
        }
    }

    /// <summary>Signs OSEP-0011 routes with one key. Thread-safe.</summary>
    public sealed class RouteSigner : IDisposable
    {
        private readonly SignerHandle handle;

        /// <summary>
        /// A signer for <paramref name="keyId"/>, or for the set's active key when it is null.
        /// The signer keeps its own copy of the key: <paramref name="keys"/> may be disposed afterwards.
        /// </summary>
        /// <exception cref="InvalidConfigException">No such key, or no active key.</exception>
        public unsafe RouteSigner(SigningKeys keys, string keyId = null)
        {
            if (keys == null)
            {
                throw new ArgumentNullException(nameof(keys));
            }
            keys.Handle.ThrowIfClosed(nameof(SigningKeys));
            SandgateError* e;
            using (var pins = new Pins())
            {
                e = NativeMethods.sandgate_signer_new(keys.Handle, pins.Str(keyId, "keyId"), out handle);
            }
            Errors.Check(e, handle);
            SandgateString key;
            Errors.Check(NativeMethods.sandgate_signer_key_id(handle, &key), handle);
            KeyId = Utf8.Take(&key);
        }

        /// <summary>The id of the key this signer signs with (one character).</summary>
        public string KeyId { get; }

        /// <summary>Signs a route to <paramref name="port"/> (1..65535) of a sandbox, expiring at <paramref name="expires"/> (Unix seconds).</summary>
        /// <exception cref="InvalidArgumentException">An empty sandbox id or a port out of range.</exception>
        public SignedRoute Sign(string sandboxId, int port, ulong expires)
        {
            return SignCore(sandboxId, port, Expiry.At(expires), null);
        }

        /// <summary>Signs a route expiring at <paramref name="expires"/> (whole seconds).</summary>
        public SignedRoute Sign(string sandboxId, int port, DateTimeOffset expires)
        {
            return SignCore(sandboxId, port, Expiry.At(UnixTime.Seconds(expires)), null);
        }

        /// <summary>
        /// Signs a route expiring <paramref name="ttl"/> (whole seconds, at least one) after
        /// <paramref name="now"/> (Unix seconds; null: the system clock).
        /// </summary>
        public SignedRoute Sign(string sandboxId, int port, TimeSpan ttl, ulong? now = null)
        {
            return SignCore(sandboxId, port, Expiry.Ttl(ttl), now);
        }

        private unsafe SignedRoute SignCore(string sandboxId, int port, SandgateExpiry expiry, ulong? now)
        {
            handle.ThrowIfClosed(nameof(RouteSigner));
            byte[] id = Utf8.Encode(sandboxId, "sandboxId");
            SandgateSignedRoute* route;
            SandgateError* e;
            fixed (byte* p = id)
            {
                e = NativeMethods.sandgate_sign(handle, Utf8.Str(p, id), port, expiry, now.HasValue ? (byte)1 : (byte)0, now ?? 0, out route);
            }
            Errors.Check(e);
            try
            {
                return new SignedRoute(route);
            }
            finally
            {
                NativeMethods.sandgate_signed_route_free(route);
            }
        }

        /// <summary>The key id, never the secret.</summary>
        public override string ToString()
        {
            return "RouteSigner(key: " + KeyId + ")";
        }

        /// <summary>Frees the signer (its secret is zeroed). Safe to call more than once.</summary>
        public void Dispose()
        {
            handle.Dispose();
        }
    }

    /// <summary>
    /// A signed route in every form a gateway accepts (SPEC §1.4): plain data, copied out of the
    /// core in one call; nothing to dispose.
    /// </summary>
    public sealed class SignedRoute
    {
        internal unsafe SignedRoute(SandgateSignedRoute* r)
        {
            Token = Utf8.Read(r->Token);
            SandboxId = Utf8.Read(r->SandboxId);
            Port = r->Port;
            Expires = r->Expires;
            ExpiresB36 = Utf8.Read(r->ExpiresB36);
            Signature = Utf8.Read(r->Signature);
            KeyId = Utf8.Read(r->KeyId);
            UriPrefix = Utf8.Read(r->UriPrefix);
        }

        /// <summary><c>{sandbox_id}-{port}-{expires_b36}-{signature}</c>.</summary>
        public string Token { get; }

        /// <summary>The sandbox id.</summary>
        public string SandboxId { get; }

        /// <summary>The port.</summary>
        public int Port { get; }

        /// <summary>The expiry in Unix seconds.</summary>
        public ulong Expires { get; }

        /// <summary>The expiry in base 36.</summary>
        public string ExpiresB36 { get; }

        /// <summary>The 9-character signature: 8 hex digits and the key id.</summary>
        public string Signature { get; }

        /// <summary>The signing key id (one character).</summary>
        public string KeyId { get; }

        /// <summary>The uri-mode prefix <c>/{sandbox_id}/{port}/{expires_b36}/{signature}</c>.</summary>
        public string UriPrefix { get; }

        /// <summary>The value of the <c>OpenSandbox-Ingress-To</c> header: the token.</summary>
        public string HeaderValue
        {
            get { return Token; }
        }

        /// <summary>The wildcard host <c>{token}.{baseDomain}</c>.</summary>
        /// <exception cref="InvalidArgumentException">The base domain is not a DNS name.</exception>
        public unsafe string Host(string baseDomain)
        {
            SandgateString result;
            using (var pins = new Pins())
            {
                Errors.Check(NativeMethods.sandgate_wildcard_host(pins.Str(Token, "token"), pins.Str(baseDomain, "baseDomain"), &result));
            }
            return Utf8.Take(&result);
        }

        /// <summary>The token.</summary>
        public override string ToString()
        {
            return Token;
        }
    }

    /// <summary>
    /// What a gateway request carries. Null means the header (or part) was not there; an empty
    /// string means it was there and empty. The route comes from <see cref="IngressTo"/>, else
    /// <see cref="Host"/>, else <see cref="Path"/> (uri mode).
    /// </summary>
    public sealed class AccessRequest
    {
        /// <summary>Header <c>OpenSandbox-Ingress-To</c>.</summary>
        public string IngressTo { get; set; }

        /// <summary>Header <c>Host</c>.</summary>
        public string Host { get; set; }

        /// <summary>The path and query.</summary>
        public string Path { get; set; }

        /// <summary>Header <c>OpenSandbox-Secure-Access</c> (a secret).</summary>
        public string SecureAccess { get; set; }

        /// <summary>Prints the route parts; the secure-access value prints as <c>***</c>.</summary>
        public override string ToString()
        {
            return string.Format("AccessRequest(IngressTo: {0}, Host: {1}, Path: {2}, SecureAccess: {3})",
                IngressTo ?? "none", Host ?? "none", Path ?? "none", SecureAccess == null ? "none" : "***");
        }
    }

    /// <summary>The verdict of SPEC §1.5 for one request. A denial is a decision, not an exception.</summary>
    public sealed class AccessDecision
    {
        internal unsafe AccessDecision(SandgateDecision* d)
        {
            Allowed = d->Allowed == 1;
            Status = d->Status;
            Reason = (DenyReason)d->Reason;
            ReasonCode = Utf8.Static(d->ReasonCode);
            Detail = Utf8.Read(d->Detail);
            GrantCode = Utf8.Static(d->Grant);
            Grant = (Grant)Math.Max(0, Array.IndexOf(Codes.Grants, GrantCode));
            Route = RouteInfo.From(d->Route);
            Path = Utf8.Read(d->Path);
            Query = Utf8.Read(d->Query);
            Error = d->Error == null ? null : (AccessDeniedException)Errors.From(d->Error);
        }

        /// <summary>Whether the request is allowed.</summary>
        public bool Allowed { get; }

        /// <summary>The HTTP status a gateway answers: 200 when allowed.</summary>
        public int Status { get; }

        /// <summary>Why the request was denied, else <see cref="DenyReason.None"/>.</summary>
        public DenyReason Reason { get; }

        /// <summary>The reason's stable code (for example <c>expired</c>), or null when allowed.</summary>
        public string ReasonCode { get; }

        /// <summary>A short explanation of a denial, or null.</summary>
        public string Detail { get; }

        /// <summary>How access was granted, else <see cref="Sandgate.Grant.None"/>.</summary>
        public Grant Grant { get; }

        /// <summary>The grant's stable code: <c>open</c>, <c>header</c> or <c>signature</c>; null when denied.</summary>
        public string GrantCode { get; }

        /// <summary>The route of an allowed request, else null.</summary>
        public RouteInfo Route { get; }

        /// <summary>The upstream path of an allowed request.</summary>
        public string Path { get; }

        /// <summary>The upstream query without <c>?</c>, or null when there was none.</summary>
        public string Query { get; }

        /// <summary>The denial as an exception (not thrown), or null when allowed.</summary>
        public AccessDeniedException Error { get; }

        /// <summary>Throws <see cref="Error"/> (the denial as <see cref="AccessDeniedException"/>) when the request was denied.</summary>
        public void ThrowIfDenied()
        {
            if (Error != null)
            {
                throw Error;
            }
        }

        /// <inheritdoc/>
        public override string ToString()
        {
            return Allowed
                ? string.Format("AccessDecision(allowed by {0}, {1}, path {2}{3})", GrantCode, Route, Path, Query == null ? "" : "?" + Query)
                : string.Format("AccessDecision(denied {0} {1}: {2})", Status, ReasonCode, Detail);
        }
    }

    /// <summary>Verifies signed routes and takes access decisions. Thread-safe.</summary>
    public sealed class RouteVerifier : IDisposable
    {
        private readonly VerifierHandle handle;

        /// <summary>
        /// A verifier over a copy of <paramref name="keys"/> (which may be disposed afterwards).
        /// With no keys it denies every signed route with <see cref="DenyReason.NotConfigured"/>.
        /// </summary>
        public unsafe RouteVerifier(SigningKeys keys)
        {
            if (keys == null)
            {
                throw new ArgumentNullException(nameof(keys));
            }
            keys.Handle.ThrowIfClosed(nameof(SigningKeys));
            Errors.Check(NativeMethods.sandgate_verifier_new(keys.Handle, out handle), handle);
        }

        /// <summary>
        /// Makes the verifier verify with a copy of <paramref name="keys"/> from now on (which may
        /// be disposed afterwards): an atomic swap, so a verification running at the same time sees
        /// the old set or the new one, never a mix. Live key rotation without a new verifier.
        /// </summary>
        public unsafe void ReplaceKeys(SigningKeys keys)
        {
            if (keys == null)
            {
                throw new ArgumentNullException(nameof(keys));
            }
            handle.ThrowIfClosed(nameof(RouteVerifier));
            keys.Handle.ThrowIfClosed(nameof(SigningKeys));
            Errors.Check(NativeMethods.sandgate_verifier_replace_keys(handle, keys.Handle));
        }

        /// <summary>
        /// Verifies a signed route token (the <c>OpenSandbox-Ingress-To</c> value) at
        /// <paramref name="now"/> (Unix seconds; null: the system clock).
        /// </summary>
        /// <exception cref="AccessDeniedException">The route is denied (see its Reason and Status).</exception>
        public RouteInfo Verify(string token, ulong? now = null)
        {
            return VerifyCore(RouteForm.Token, token, "token", now);
        }

        /// <summary><see cref="Verify"/> for a wildcard <c>Host</c> value (<c>{token}.{domain}[:port]</c>).</summary>
        /// <exception cref="AccessDeniedException">The route is denied (see its Reason and Status).</exception>
        public RouteInfo VerifyHost(string host, ulong? now = null)
        {
            return VerifyCore(RouteForm.Host, host, "host", now);
        }

        /// <summary><see cref="Verify"/> for a uri-mode path (<c>/{id}/{port}/{expires_b36}/{signature}[/rest]</c>).</summary>
        /// <exception cref="AccessDeniedException">The route is denied (see its Reason and Status).</exception>
        public RouteInfo VerifyPath(string path, ulong? now = null)
        {
            return VerifyCore(RouteForm.Path, path, "path", now);
        }

        /// <summary>
        /// One sandgate_verify call: the input's UTF-8 on the stack (on the heap past 256
        /// characters), the route or the denial's reason and message back in the same call, and
        /// the sandbox id cut from the input. Allocates the result only (and the exception).
        /// </summary>
        private unsafe RouteInfo VerifyCore(RouteForm form, string input, string name, ulong? now)
        {
            handle.ThrowIfClosed(nameof(RouteVerifier));
            if (input == null)
            {
                throw Errors.Own(ErrorKind.InvalidArgument, name + " must not be null");
            }
            byte hasNow = now.HasValue ? (byte)1 : (byte)0;
            SandgateVerified v;
            int rc, n;
            byte[] heap = null;
            byte* stack = stackalloc byte[input.Length <= 256 ? input.Length * 3 + 1 : 1];
            if (input.Length <= 256)
            {
                n = input.Length == 0 ? 0 : Utf8.EncodeTo(input, stack, input.Length * 3, name);
                rc = NativeMethods.sandgate_verify(handle, (int)form, stack, (UIntPtr)n, hasNow, now ?? 0, &v);
            }
            else
            {
                heap = Utf8.Encode(input, name);
                n = heap.Length - 1;
                fixed (byte* p = heap)
                {
                    rc = NativeMethods.sandgate_verify(handle, (int)form, p, (UIntPtr)n, hasNow, now ?? 0, &v);
                }
            }
            if (rc != 0)
            {
                throw Errors.FromCode(rc, v.Status, v.Message, v.Display);
            }
            int offset = checked((int)v.SandboxIdOffset), length = checked((int)v.SandboxIdLen);
            string id = n == input.Length ? input.Substring(offset, length)
                : heap != null ? Encoding.UTF8.GetString(heap, offset, length) : Encoding.UTF8.GetString(stack + offset, length);
            return new RouteInfo(id, checked((int)v.Port), true, v.Expires, Utf8.KeyId(v.KeyId));
        }

        /// <summary>
        /// The full access decision for <paramref name="request"/> at <paramref name="now"/>
        /// (Unix seconds; null: the system clock). <paramref name="accessToken"/> is the
        /// sandbox's access token, or null when the sandbox does not require secure access.
        /// A denial is a decision, not an exception; exceptions are for bad input only.
        /// </summary>
        public AccessDecision Decide(AccessRequest request, Secret accessToken = null, ulong? now = null)
        {
            return DecideCore(request, accessToken, now);
        }

        private unsafe AccessDecision DecideCore(AccessRequest request, Secret accessToken, ulong? now)
        {
            if (request == null)
            {
                throw new ArgumentNullException(nameof(request));
            }
            handle.ThrowIfClosed(nameof(RouteVerifier));
            SandgateDecision* d;
            using (var pins = new Pins())
            {
                Errors.Check(NativeMethods.sandgate_verifier_decide(handle, pins.Str(request.IngressTo, "IngressTo"),
                    pins.Str(request.Host, "Host"), pins.Str(request.Path, "Path"), pins.Str(request.SecureAccess, "SecureAccess"),
                    pins.Str(Secret.Text(accessToken), "accessToken"), now.HasValue ? (byte)1 : (byte)0, now ?? 0, out d));
            }
            try
            {
                return new AccessDecision(d);
            }
            finally
            {
                NativeMethods.sandgate_decision_free(d);
            }
        }

        /// <summary>Frees the verifier. Safe to call more than once.</summary>
        public void Dispose()
        {
            handle.Dispose();
        }
    }

    /// <summary>The base-36 form of route expiries (SPEC §1.1).</summary>
    public static class ExpiresB36
    {
        /// <summary>The base-36 form of <paramref name="expires"/> (Unix seconds).</summary>
        public static unsafe string Encode(ulong expires)
        {
            Library.EnsureLoaded();
            SandgateString s;
            Errors.Check(NativeMethods.sandgate_encode_expires_b36(expires, &s));
            return Utf8.Take(&s);
        }

        /// <summary>Decodes a base-36 expiry to Unix seconds.</summary>
        /// <exception cref="InvalidArgumentException">The text is not a valid base-36 expiry.</exception>
        public static unsafe ulong Decode(string b36)
        {
            Library.EnsureLoaded();
            ulong v;
            using (var pins = new Pins())
            {
                Errors.Check(NativeMethods.sandgate_decode_expires_b36(pins.Str(b36, "b36"), out v));
            }
            return v;
        }
    }

    /// <summary>Where sandgate_verify reads a route from: the ABI's SandgateRouteForm (checked by tests/MirrorTests.cs).</summary>
    internal enum RouteForm
    {
        Token = 0,
        Host = 1,
        Path = 2,
    }

    /// <summary>The ABI's expiry value: an instant, or a TTL the core checks (at least one second).</summary>
    internal static class Expiry
    {
        internal static SandgateExpiry At(ulong expires)
        {
            return new SandgateExpiry { HasExpires = 1, Expires = expires };
        }

        /// <summary>Whole seconds of <paramref name="ttl"/> (fractions dropped; under one second is 0, which the core rejects).</summary>
        internal static SandgateExpiry Ttl(TimeSpan ttl)
        {
            return new SandgateExpiry { HasTtl = 1, TtlSeconds = ttl > TimeSpan.Zero ? (ulong)(ttl.Ticks / TimeSpan.TicksPerSecond) : 0 };
        }
    }

    internal static class UnixTime
    {
        /// <summary>Whole Unix seconds; a time before 1970 becomes 0, which the core rejects as past.</summary>
        internal static ulong Seconds(DateTimeOffset t)
        {
            long s = t.ToUnixTimeSeconds();
            return s > 0 ? (ulong)s : 0;
        }
    }
}
