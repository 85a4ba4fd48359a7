// Issue 20 on the C# side: the gateway check every middleware wraps (the core decides), and a
// framework-neutral helper for System.Net.HttpListener. An ASP.NET Core middleware cannot be
// built or tested here (no .NET SDK under mono); README.md has the recipe.
using System;
using System.Collections.Generic;
using System.Collections.Specialized;
using System.Linq;
using System.Net;
using System.Text;
using Sandgate.Native;

namespace Sandgate
{
    /// <summary>Settings of a <see cref="Gateway"/>.</summary>
    public sealed class GatewayOptions
    {
        /// <summary><c>header</c> (null: the default), <c>wildcard</c> or <c>uri</c>.</summary>
        public string RouteMode { get; set; }

        /// <summary>The signing keys (copied); null: none, and signed routes answer 503 <c>not_configured</c>.</summary>
        public SigningKeys Keys { get; set; }

        /// <summary>
        /// A policy document (JSON or TOML, see docs/gateway.md): which sandboxes require secure
        /// access and their access tokens. With neither this nor <see cref="PolicyFile"/> the
        /// gateway is signature-only.
        /// </summary>
        public string Policy { get; set; }

        /// <summary>A policy file (JSON or TOML), re-read when it changes.</summary>
        public string PolicyFile { get; set; }

        /// <summary>A fixed "now" in Unix seconds (tests); null: the system clock.</summary>
        public ulong? Now { get; set; }
    }

    /// <summary>What to do with one request: forward it, or answer exactly this refusal.</summary>
    public sealed class GatewayVerdict
    {
        internal GatewayVerdict(bool allowed, int status, string reason, string grant, RouteInfo route, string upstreamTarget,
            IReadOnlyList<string> strip, IReadOnlyList<KeyValuePair<string, string>> responseHeaders, string body, string message)
        {
            Allowed = allowed;
            Status = status;
            Reason = reason;
            GrantCode = grant;
            Route = route;
            UpstreamTarget = upstreamTarget;
            HeadersToStrip = strip;
            ResponseHeaders = responseHeaders;
            Body = body;
            Message = message;
        }

        /// <summary>Whether the request goes on to the sandbox.</summary>
        public bool Allowed { get; }

        /// <summary>200 when allowed, else 400, 401, 404 or 503.</summary>
        public int Status { get; }

        /// <summary>The refusal's reason code (a deny reason, or <c>policy_unavailable</c>); null when allowed.</summary>
        public string Reason { get; }

        /// <summary>How access was granted (<c>open</c>, <c>header</c>, <c>signature</c>); null when refused.</summary>
        public string GrantCode { get; }

        /// <summary>The verified route; null when refused.</summary>
        public RouteInfo Route { get; }

        /// <summary>The target to forward: the path (escaping kept, uri-mode prefix removed) and <c>?query</c>; null when refused.</summary>
        public string UpstreamTarget { get; }

        /// <summary>Request headers to remove before forwarding (compare case-insensitively).</summary>
        public IReadOnlyList<string> HeadersToStrip { get; }

        /// <summary>The refusal's response headers (<c>content-type</c>, <c>x-sandgate-reason</c>, <c>retry-after</c> on a 503).</summary>
        public IReadOnlyList<KeyValuePair<string, string>> ResponseHeaders { get; }

        /// <summary>The refusal's <c>text/plain</c> body (<c>OpenSandbox Ingress: ...</c>); empty when allowed.</summary>
        public string Body { get; }

        /// <summary>The refusal's message (the body without its prefix and newline); empty when allowed.</summary>
        public string Message { get; }

        /// <summary>A copy of <paramref name="headers"/> without <see cref="HeadersToStrip"/>: what the app may see.</summary>
        public NameValueCollection Forwarded(NameValueCollection headers)
        {
            var copy = new NameValueCollection(StringComparer.OrdinalIgnoreCase);
            if (headers == null)
            {
                return copy;
            }
            foreach (string name in headers.AllKeys)
            {
                if (name == null || HeadersToStrip.Any(s => string.Equals(s, name, StringComparison.OrdinalIgnoreCase)))
                {
                    continue;
                }
                foreach (string v in headers.GetValues(name) ?? new string[0])
                {
                    copy.Add(name, v);
                }
            }
            return copy;
        }

        /// <inheritdoc/>
        public override string ToString()
        {
            return Allowed
                ? string.Format("GatewayVerdict(allowed, {0}, {1} -> {2})", GrantCode, Route, UpstreamTarget)
                : string.Format("GatewayVerdict({0} {1}: {2})", Status, Reason, Message);
        }
    }

    /// <summary>An allowed request as the app behind <see cref="Gateway.Handle"/> sees it.</summary>
    public sealed class GatewayRequest
    {
        internal GatewayRequest(HttpListenerContext context, GatewayVerdict verdict)
        {
            Context = context;
            Verdict = verdict;
            Headers = verdict.Forwarded(context.Request.Headers);
        }

        /// <summary>The listener's context (write the answer to <c>Context.Response</c>).</summary>
        public HttpListenerContext Context { get; }

        /// <summary>The verdict that let the request through.</summary>
        public GatewayVerdict Verdict { get; }

        /// <summary>The verified route.</summary>
        public RouteInfo Route
        {
            get { return Verdict.Route; }
        }

        /// <summary>The rewritten target: path (uri-mode prefix removed) and query.</summary>
        public string Target
        {
            get { return Verdict.UpstreamTarget; }
        }

        /// <summary>The request's headers without the credentials (<see cref="GatewayVerdict.HeadersToStrip"/>).</summary>
        public NameValueCollection Headers { get; }
    }

    /// <summary>
    /// The check a gateway runs on every request (SPEC §1.4, §1.5, §6). The core decides; this
    /// class and its <see cref="HttpListener"/> helpers only apply the verdict. Thread-safe;
    /// dispose it when done.
    /// </summary>
    public sealed class Gateway : IDisposable
    {
        private readonly GatewayHandle handle;

        /// <summary>A gateway from <paramref name="options"/>.</summary>
        /// <exception cref="InvalidConfigException">A bad route mode or policy.</exception>
        public unsafe Gateway(GatewayOptions options)
        {
            Library.EnsureLoaded();
            if (options == null)
            {
                throw new ArgumentNullException(nameof(options));
            }
            using (var pins = new Pins())
            {
                var o = new SandgateGatewayOptions
                {
                    RouteMode = pins.Str(options.RouteMode, "RouteMode"),
                    Policy = pins.Str(options.Policy, "Policy"),
                    PolicyFile = pins.Str(options.PolicyFile, "PolicyFile"),
                    HasNow = options.Now.HasValue ? (byte)1 : (byte)0,
                    Now = options.Now.GetValueOrDefault(),
                };
                SigningKeys keys = options.Keys;
                bool added = false;
                try
                {
                    if (keys != null)
                    {
                        keys.Handle.ThrowIfClosed(nameof(SigningKeys));
                        keys.Handle.DangerousAddRef(ref added);
                        o.Keys = keys.Handle.DangerousGetHandle();
                    }
                    Errors.Check(NativeMethods.sandgate_gateway_new(&o, out handle), handle);
                }
                finally
                {
                    if (added)
                    {
                        keys.Handle.DangerousRelease();
                    }
                }
            }
        }

        /// <summary>Makes the gateway verify with a copy of <paramref name="keys"/> from the next request on (an atomic swap).</summary>
        public unsafe void ReplaceKeys(SigningKeys keys)
        {
            if (keys == null)
            {
                throw new ArgumentNullException(nameof(keys));
            }
            handle.ThrowIfClosed(nameof(Gateway));
            keys.Handle.ThrowIfClosed(nameof(SigningKeys));
            Errors.Check(NativeMethods.sandgate_gateway_replace_keys(handle, keys.Handle));
        }

        /// <summary>
        /// Decides one request: <paramref name="target"/> as received (path and <c>?query</c>,
        /// still percent-encoded) and its headers in arrival order (a repeated header repeated;
        /// the host as a <c>Host</c> header). A refusal is a verdict, not an exception.
        /// </summary>
        public unsafe GatewayVerdict Check(string target, IEnumerable<KeyValuePair<string, string>> headers)
        {
            handle.ThrowIfClosed(nameof(Gateway));
            using (var pins = new Pins())
            {
                List<KeyValuePair<string, string>> list = headers == null ? new List<KeyValuePair<string, string>>() : headers.ToList();
                var array = new SandgateHeaderIn[list.Count];
                for (int i = 0; i < array.Length; i++)
                {
                    array[i].Name = pins.Str(list[i].Key, "header name");
                    array[i].Value = pins.Str(list[i].Value ?? "", "header value");
                }
                SandgateGatewayVerdict* v;
                fixed (SandgateHeaderIn* p = array)
                {
                    Errors.Check(NativeMethods.sandgate_gateway_check(handle, pins.Str(target, "target"), array.Length == 0 ? null : p,
                        (UIntPtr)array.Length, out v));
                }
                try
                {
                    var strip = new List<string>();
                    for (ulong i = 0; i < (ulong)v->HeadersToStripLen; i++)
                    {
                        strip.Add(Utf8.Read(v->HeadersToStrip[i]));
                    }
                    var answer = new List<KeyValuePair<string, string>>();
                    for (ulong i = 0; i < (ulong)v->ResponseHeadersLen; i++)
                    {
                        answer.Add(new KeyValuePair<string, string>(Utf8.Read(v->ResponseHeaders[i].Name), Utf8.Read(v->ResponseHeaders[i].Value)));
                    }
                    return new GatewayVerdict(v->Allowed == 1, v->Status, Utf8.Read(v->Reason), Utf8.Read(v->Grant),
                        RouteInfo.From(v->Route), Utf8.Read(v->UpstreamTarget), strip, answer, Utf8.Read(v->Body), Utf8.Read(v->Message));
                }
                finally
                {
                    NativeMethods.sandgate_gateway_verdict_free(v);
                }
            }
        }

        /// <summary>Decides an <see cref="HttpListenerRequest"/>: its raw target and its headers (the Host included).</summary>
        public GatewayVerdict Check(HttpListenerRequest request)
        {
            if (request == null)
            {
                throw new ArgumentNullException(nameof(request));
            }
            var headers = new List<KeyValuePair<string, string>>();
            foreach (string name in request.Headers.AllKeys)
            {
                foreach (string v in request.Headers.GetValues(name) ?? new string[0])
                {
                    headers.Add(new KeyValuePair<string, string>(name, v));
                }
            }
            return Check(request.RawUrl, headers);
        }

        /// <summary>Answers a refusal exactly as the verdict gives it (status, headers, body) and closes the response.</summary>
        public static void WriteRefusal(GatewayVerdict verdict, HttpListenerResponse response)
        {
            if (verdict == null || response == null)
            {
                throw new ArgumentNullException(verdict == null ? nameof(verdict) : nameof(response));
            }
            if (verdict.Allowed)
            {
                throw Errors.Own(ErrorKind.InvalidArgument, "the verdict allows the request: there is no refusal to write");
            }
            response.StatusCode = verdict.Status;
            foreach (KeyValuePair<string, string> h in verdict.ResponseHeaders)
            {
                if (string.Equals(h.Key, "content-type", StringComparison.OrdinalIgnoreCase))
                {
                    response.ContentType = h.Value;
                }
                else
                {
                    response.AddHeader(h.Key, h.Value);
                }
            }
            byte[] body = Encoding.UTF8.GetBytes(verdict.Body);
            response.ContentLength64 = body.Length;
            response.OutputStream.Write(body, 0, body.Length);
            response.Close();
        }

        /// <summary>
        /// The middleware for an <see cref="HttpListener"/> loop, deciding nothing itself: a refused
        /// request is answered with the verdict's status, headers and body; an allowed one goes to
        /// <paramref name="next"/> with the route, the rewritten target and its headers without
        /// the credentials. Returns the verdict.
        /// </summary>
        public GatewayVerdict Handle(HttpListenerContext context, Action<GatewayRequest> next)
        {
            if (context == null || next == null)
            {
                throw new ArgumentNullException(context == null ? nameof(context) : nameof(next));
            }
            GatewayVerdict v = Check(context.Request);
            if (!v.Allowed)
            {
                WriteRefusal(v, context.Response);
                return v;
            }
            next(new GatewayRequest(context, v));
            return v;
        }

        /// <summary>Frees the gateway. Safe to call more than once.</summary>
        public void Dispose()
        {
            handle.Dispose();
        }
    }
}
