// The client's results, copied out of the native structs (which are freed right away).
using System;
using System.Collections.Generic;
using System.Collections.ObjectModel;
using System.Linq;
using System.Net.Http;
using Sandgate.Native;

namespace Sandgate
{
    /// <summary>Where a sandbox port is reached, with the headers every request to it must carry.</summary>
    public sealed class Endpoint
    {
        private readonly IReadOnlyDictionary<string, string> redacted;

        private Endpoint(string address, string url, IReadOnlyDictionary<string, string> headers,
            IReadOnlyDictionary<string, string> redacted, RouteInfo route)
        {
            Address = address;
            Url = url;
            Headers = headers;
            this.redacted = redacted;
            Route = route;
        }

        /// <summary>The endpoint exactly as the server returned it (no scheme).</summary>
        public string Address { get; }

        /// <summary>The endpoint as a URL: <c>protocol://</c> + <see cref="Address"/>.</summary>
        public string Url { get; }

        /// <summary>Headers to send on every request (may hold the sandbox's access token, a secret).</summary>
        public IReadOnlyDictionary<string, string> Headers { get; }

        /// <summary>The signed route it carries, or null for an unsigned endpoint.</summary>
        public RouteInfo Route { get; }

        /// <summary>Adds <see cref="Headers"/> to <paramref name="request"/>.</summary>
        public void ApplyHeaders(HttpRequestMessage request)
        {
            if (request == null)
            {
                throw new ArgumentNullException(nameof(request));
            }
            foreach (var h in Headers)
            {
                request.Headers.Remove(h.Key);
                request.Headers.TryAddWithoutValidation(h.Key, h.Value);
            }
        }

        /// <summary>A GET (or <paramref name="method"/>) request to <see cref="Url"/> + <paramref name="path"/> with <see cref="Headers"/>.</summary>
        public HttpRequestMessage CreateRequest(string path, HttpMethod method = null)
        {
            var request = new HttpRequestMessage(method ?? HttpMethod.Get, Url + (path ?? ""));
            ApplyHeaders(request);
            return request;
        }

        /// <summary>Prints the URL, the route and the headers with the access token as <c>***</c>.</summary>
        public override string ToString()
        {
            string headers = string.Join(", ", redacted.OrderBy(h => h.Key, StringComparer.Ordinal).Select(h => h.Key + ": " + h.Value));
            return string.Format("Endpoint({0}, headers: {{{1}}}, route: {2})", Url, headers, (object)Route ?? "none");
        }

        internal static unsafe Endpoint Take(IntPtr result)
        {
            var ep = (SandgateEndpoint*)result;
            try
            {
                var headers = new Dictionary<string, string>(StringComparer.OrdinalIgnoreCase);
                var redacted = new Dictionary<string, string>(StringComparer.OrdinalIgnoreCase);
                for (ulong i = 0; i < (ulong)ep->HeadersLen; i++)
                {
                    SandgateHeader* h = ep->Headers + i;
                    string name = Utf8.Read(h->Name);
                    headers[name] = Utf8.Read(h->Value);
                    redacted[name] = Utf8.Read(h->RedactedValue);
                }
                return new Endpoint(Utf8.Read(ep->Endpoint), Utf8.Read(ep->Url),
                    new ReadOnlyDictionary<string, string>(headers), new ReadOnlyDictionary<string, string>(redacted),
                    RouteInfo.From(ep->Route));
            }
            finally
            {
                NativeMethods.sandgate_endpoint_free(ep);
            }
        }
    }

    /// <summary>A key just minted: <see cref="Key"/> is here, and only here, once.</summary>
    public sealed class CreatedApiKey
    {
        private unsafe CreatedApiKey(SandgateCreatedApiKey* k)
        {
            Id = Utf8.Read(k->Id);
            Name = Utf8.Read(k->Name);
            Prefix = Utf8.Read(k->Prefix);
            Key = new Secret(Utf8.Read(k->Key));
            ExpiresAt = Utf8.Read(k->ExpiresAt);
        }

        /// <summary>The key id (for revoking it).</summary>
        public string Id { get; }

        /// <summary>The key's name.</summary>
        public string Name { get; }

        /// <summary>The display prefix: the first 12 characters of the key.</summary>
        public string Prefix { get; }

        /// <summary>The raw key (a secret).</summary>
        public Secret Key { get; }

        /// <summary>Expiry (RFC 3339), or null when the key never expires.</summary>
        public string ExpiresAt { get; }

        /// <summary>Never prints the key.</summary>
        public override string ToString()
        {
            return string.Format("CreatedApiKey(Id: {0}, Name: {1}, Prefix: {2}, Key: ***, ExpiresAt: {3})", Id, Name, Prefix, ExpiresAt ?? "never");
        }

        internal static unsafe CreatedApiKey Take(IntPtr result)
        {
            var k = (SandgateCreatedApiKey*)result;
            try
            {
                return new CreatedApiKey(k);
            }
            finally
            {
                NativeMethods.sandgate_created_api_key_free(k);
            }
        }
    }

    /// <summary>A key as listed: never its secret or hash.</summary>
    public sealed class ApiKeyInfo
    {
        private unsafe ApiKeyInfo(SandgateApiKeyInfo* k)
        {
            Id = Utf8.Read(k->Id);
            Name = Utf8.Read(k->Name);
            Prefix = Utf8.Read(k->Prefix);
            CreatedAt = Utf8.Read(k->CreatedAt);
            ExpiresAt = Utf8.Read(k->ExpiresAt);
            Revoked = k->Revoked == 1;
        }

        /// <summary>The key id.</summary>
        public string Id { get; }

        /// <summary>The key's name.</summary>
        public string Name { get; }

        /// <summary>The display prefix.</summary>
        public string Prefix { get; }

        /// <summary>Creation time (RFC 3339), or null.</summary>
        public string CreatedAt { get; }

        /// <summary>Expiry (RFC 3339), or null when it never expires.</summary>
        public string ExpiresAt { get; }

        /// <summary>Whether the key was revoked.</summary>
        public bool Revoked { get; }

        /// <inheritdoc/>
        public override string ToString()
        {
            return string.Format("ApiKeyInfo(Id: {0}, Name: {1}, Prefix: {2}, CreatedAt: {3}, ExpiresAt: {4}, Revoked: {5})",
                Id, Name, Prefix, CreatedAt, ExpiresAt ?? "never", Revoked);
        }

        internal static unsafe IReadOnlyList<ApiKeyInfo> TakeList(IntPtr result)
        {
            var l = (SandgateApiKeyList*)result;
            try
            {
                var list = new List<ApiKeyInfo>();
                for (ulong i = 0; i < (ulong)l->Len; i++)
                {
                    list.Add(new ApiKeyInfo(l->Items + i));
                }
                return list.AsReadOnly();
            }
            finally
            {
                NativeMethods.sandgate_api_key_list_free(l);
            }
        }
    }

    /// <summary>A sandbox as the server describes it.</summary>
    public sealed class Sandbox
    {
        private unsafe Sandbox(SandgateSandbox* s)
        {
            var metadata = new Dictionary<string, string>(StringComparer.Ordinal);
            for (ulong i = 0; i < (ulong)s->MetadataLen; i++)
            {
                metadata[Utf8.Read(s->Metadata[i].Name)] = Utf8.Read(s->Metadata[i].Value);
            }
            Id = Utf8.Read(s->Id);
            Image = Utf8.Read(s->Image);
            State = Utf8.Read(s->State);
            Metadata = new ReadOnlyDictionary<string, string>(metadata);
            SecureAccess = s->SecureAccess == 1;
            CreatedAt = Utf8.Read(s->CreatedAt);
            ExpiresAt = Utf8.Read(s->ExpiresAt);
        }

        /// <summary>The sandbox id.</summary>
        public string Id { get; }

        /// <summary>The image URI, or null when unknown.</summary>
        public string Image { get; }

        /// <summary>The lifecycle state (for example <c>Running</c>).</summary>
        public string State { get; }

        /// <summary>Metadata, including <c>access.owner</c> for user-owned sandboxes.</summary>
        public IReadOnlyDictionary<string, string> Metadata { get; }

        /// <summary>Whether the sandbox requires secure access.</summary>
        public bool SecureAccess { get; }

        /// <summary>Creation time (RFC 3339), or null.</summary>
        public string CreatedAt { get; }

        /// <summary>Expiry time (RFC 3339), or null.</summary>
        public string ExpiresAt { get; }

        /// <inheritdoc/>
        public override string ToString()
        {
            return string.Format("Sandbox(Id: {0}, Image: {1}, State: {2}, SecureAccess: {3}, Metadata: {{{4}}})", Id, Image, State, SecureAccess,
                string.Join(", ", Metadata.OrderBy(m => m.Key, StringComparer.Ordinal).Select(m => m.Key + ": " + m.Value)));
        }

        internal static unsafe Sandbox Take(IntPtr result)
        {
            var s = (SandgateSandbox*)result;
            try
            {
                return new Sandbox(s);
            }
            finally
            {
                NativeMethods.sandgate_sandbox_free(s);
            }
        }

        internal static unsafe IReadOnlyList<Sandbox> TakeList(IntPtr result)
        {
            var l = (SandgateSandboxList*)result;
            try
            {
                var list = new List<Sandbox>();
                for (ulong i = 0; i < (ulong)l->Len; i++)
                {
                    list.Add(new Sandbox(l->Items + i));
                }
                return list.AsReadOnly();
            }
            finally
            {
                NativeMethods.sandgate_sandbox_list_free(l);
            }
        }
    }

    /// <summary>A sandbox's new expiry, as renewing it returned it.</summary>
    public sealed class SandboxRenewal
    {
        private unsafe SandboxRenewal(SandgateSandboxRenewal* r)
        {
            ExpiresAt = Utf8.Read(r->ExpiresAt);
            Expires = r->Expires;
        }

        /// <summary>The new expiry exactly as the server returned it (RFC 3339).</summary>
        public string ExpiresAt { get; }

        /// <summary>The same instant in Unix seconds.</summary>
        public ulong Expires { get; }

        /// <inheritdoc/>
        public override string ToString()
        {
            return string.Format("SandboxRenewal(ExpiresAt: {0}, Expires: {1})", ExpiresAt, Expires);
        }

        internal static unsafe SandboxRenewal Take(IntPtr result)
        {
            var r = (SandgateSandboxRenewal*)result;
            try
            {
                return new SandboxRenewal(r);
            }
            finally
            {
                NativeMethods.sandgate_sandbox_renewal_free(r);
            }
        }
    }
}
