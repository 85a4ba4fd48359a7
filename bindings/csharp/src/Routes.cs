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
            return new RouteInfo(id, r.Port, signed, signed ? r.Expires : (ulong?)null, signed ? Utf8.KeyId(r.KeyId) : null);
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
            byte[] id = Utf8.Encode(keyId, "keyId");
            SandgateError* e;
            fixed (byte* p = id)
            {
                e = NativeMethods.sandgate_signer_new(keys.Handle, Utf8.Str(p, id), out handle);
            }
            if (e != null)
            {
                handle.Dispose();
                throw Errors.Take(e);
            }
            uint code;
            e = NativeMethods.sandgate_signer_key_id(handle, out code);
            if (e != null)
            {
                handle.Dispose();
                throw Errors.Take(e);
            }
            KeyId = Utf8.KeyId(code);
        }

        /// <summary>The id of the key this signer signs with.</summary>
        public string KeyId { get; }

        /// <summary>Signs a route to <paramref name="port"/> (1..65535) of a sandbox, expiring at <paramref name="expires"/> (Unix seconds).</summary>
        /// <exception cref="InvalidArgumentException">An empty sandbox id or a port out of range.</exception>
        public unsafe SignedRoute Sign(string sandboxId, int port, ulong expires)
        {
            handle.ThrowIfClosed(nameof(RouteSigner));
            byte[] id = Utf8.Encode(sandboxId, "sandboxId");
            SignedRouteHandle route;
            SandgateError* e;
            fixed (byte* p = id)
            {
                e = NativeMethods.sandgate_signer_sign(handle, Utf8.Str(p, id), port, expires, out route);
            }
            if (e != null)
            {
                route.Dispose();
                throw Errors.Take(e);
            }
            // Copy the parts out and free the native route at once: a SignedRoute is a plain value.
            using (route)
            {
                SandgateSignedRouteParts parts;
                Errors.Check(NativeMethods.sandgate_signed_route_parts(route, out parts));
                return new SignedRoute(parts);
            }
        }

        /// <summary>Signs a route expiring at <paramref name="expires"/> (whole seconds).</summary>
        public SignedRoute Sign(string sandboxId, int port, DateTimeOffset expires)
        {
            return Sign(sandboxId, port, UnixTime.Seconds(expires));
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
    /// A signed route in every form a gateway accepts (SPEC §1.4). It holds a native handle for
    /// <see cref="Host"/>: dispose it when done.
    /// </summary>
    public sealed class SignedRoute : IDisposable
    {
        internal SignedRoute(SandgateSignedRouteParts parts)
        {
            Token = Utf8.Read(parts.Token);
            SandboxId = Utf8.Read(parts.SandboxId);
            ExpiresB36 = Utf8.Read(parts.ExpiresB36);
            Signature = Utf8.Read(parts.Signature);
            UriPrefix = Utf8.Read(parts.UriPrefix);
            Expires = parts.Expires;
            Port = parts.Port;
            KeyId = Utf8.KeyId(parts.KeyId);
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

        /// <summary>The signing key id.</summary>
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
            byte[] t = Utf8.Encode(Token, "token");
            byte[] b = Utf8.Encode(baseDomain, "baseDomain");
            SandgateString result;
            SandgateError* e;
            fixed (byte* pt = t)
            fixed (byte* p = b)
            {
                e = NativeMethods.sandgate_wildcard_host(Utf8.Str(pt, t), Utf8.Str(p, b), &result);
            }
            Errors.Check(e);
            return Utf8.Take(&result);
        }

        /// <summary>The token.</summary>
        public override string ToString()
        {
            return Token;
        }

        /// <summary>Does nothing: a signed route holds no native memory. Kept so code that disposes routes keeps compiling.</summary>
        public void Dispose()
        {
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
            Grant = Utf8.Static(d->Grant);
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

        /// <summary>How access was granted: <c>open</c>, <c>header</c> or <c>signature</c>; null when denied.</summary>
        public string Grant { get; }

        /// <summary>The route of an allowed request, else null.</summary>
        public RouteInfo Route { get; }

        /// <summary>The upstream path of an allowed request.</summary>
        public string Path { get; }

        /// <summary>The upstream query without <c>?</c>, or null when there was none.</summary>
        public string Query { get; }

        /// <summary>The denial as an exception (not thrown), or null when allowed.</summary>
        public AccessDeniedException Error { get; }

        /// <summary>Throws <see cref="Error"/> when the request was denied.</summary>
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
                ? string.Format("AccessDecision(allowed by {0}, {1}, path {2}{3})", Grant, Route, Path, Query == null ? "" : "?" + Query)
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
            SandgateError* e = NativeMethods.sandgate_verifier_new(keys.Handle, out handle);
            if (e != null)
            {
                handle.Dispose();
                throw Errors.Take(e);
            }
        }

        /// <summary>Verifies a signed route token against the system clock.</summary>
        /// <exception cref="AccessDeniedException">The route is denied (see its Reason and Status).</exception>
        public RouteInfo Verify(string token)
        {
            return VerifyCore(token, 0, 0);
        }

        /// <summary>Verifies a signed route token at <paramref name="now"/> (Unix seconds).</summary>
        /// <exception cref="AccessDeniedException">The route is denied (see its Reason and Status).</exception>
        public RouteInfo Verify(string token, ulong now)
        {
            return VerifyCore(token, 1, now);
        }

        private unsafe RouteInfo VerifyCore(string token, byte hasNow, ulong now)
        {
            handle.ThrowIfClosed(nameof(RouteVerifier));
            if (token == null || token.Length > 256)
            {
                return VerifyBytes(token, Utf8.Encode(token, "token"), hasNow, now);
            }
            // The hot path: the token's UTF-8 on the stack, no allocation but the result (one
            // spare byte keeps the pointer of an empty token non-NULL: present, not absent).
            byte* buf = stackalloc byte[token.Length * 3 + 1];
            int n = Utf8.EncodeTo(token, buf, token.Length * 3, "token");
            SandgateStr str;
            str.Ptr = buf;
            str.Len = (UIntPtr)n;
            SandgateVerifiedRoute r;
            Errors.Check(NativeMethods.sandgate_verifier_verify(handle, str, hasNow, now, out r));
            int offset = checked((int)(ulong)r.SandboxIdOffset), length = checked((int)(ulong)r.SandboxIdLen);
            string id = n == token.Length ? token.Substring(offset, length) : Encoding.UTF8.GetString(buf + offset, length);
            return new RouteInfo(id, r.Port, true, r.Expires, Utf8.KeyId(r.KeyId));
        }

        private unsafe RouteInfo VerifyBytes(string token, byte[] b, byte hasNow, ulong now)
        {
            SandgateVerifiedRoute r;
            SandgateError* e;
            fixed (byte* p = b)
            {
                e = NativeMethods.sandgate_verifier_verify(handle, Utf8.Str(p, b), hasNow, now, out r);
            }
            Errors.Check(e);
            string id = Encoding.UTF8.GetString(b, checked((int)(ulong)r.SandboxIdOffset), checked((int)(ulong)r.SandboxIdLen));
            return new RouteInfo(id, r.Port, true, r.Expires, Utf8.KeyId(r.KeyId));
        }

        /// <summary>
        /// The full access decision for <paramref name="request"/> against the system clock.
        /// <paramref name="accessToken"/> is the sandbox's access token, or null when the sandbox
        /// does not require secure access. Exceptions are for bad input only.
        /// </summary>
        public AccessDecision Decide(AccessRequest request, string accessToken = null)
        {
            return DecideCore(request, accessToken, 0, 0);
        }

        /// <summary>The access decision at <paramref name="now"/> (Unix seconds).</summary>
        public AccessDecision Decide(AccessRequest request, string accessToken, ulong now)
        {
            return DecideCore(request, accessToken, 1, now);
        }

        private unsafe AccessDecision DecideCore(AccessRequest request, string accessToken, byte hasNow, ulong now)
        {
            if (request == null)
            {
                throw new ArgumentNullException(nameof(request));
            }
            handle.ThrowIfClosed(nameof(RouteVerifier));
            byte[] ingress = Utf8.Encode(request.IngressTo, "IngressTo");
            byte[] host = Utf8.Encode(request.Host, "Host");
            byte[] path = Utf8.Encode(request.Path, "Path");
            byte[] secure = Utf8.Encode(request.SecureAccess, "SecureAccess");
            byte[] token = Utf8.Encode(accessToken, "accessToken");
            SandgateDecision* d;
            SandgateError* e;
            fixed (byte* pi = ingress)
            fixed (byte* ph = host)
            fixed (byte* pp = path)
            fixed (byte* ps = secure)
            fixed (byte* pt = token)
            {
                e = NativeMethods.sandgate_verifier_decide(handle, Utf8.Str(pi, ingress), Utf8.Str(ph, host),
                    Utf8.Str(pp, path), Utf8.Str(ps, secure), Utf8.Str(pt, token), hasNow, now, out d);
            }
            Errors.Check(e);
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
            byte[] b = Utf8.Encode(b36, "b36");
            ulong v;
            SandgateError* e;
            fixed (byte* p = b)
            {
                e = NativeMethods.sandgate_decode_expires_b36(Utf8.Str(p, b), out v);
            }
            Errors.Check(e);
            return v;
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
