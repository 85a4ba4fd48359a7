// Issue 20 in C#: all of sdk-tests/cases/gateway.json through Gateway.Check, and through the
// HttpListener middleware (Gateway.Handle) on a real loopback listener with the request bytes
// written as the case gives them.
using System;
using System.Collections.Generic;
using System.IO;
using System.Linq;
using System.Net;
using System.Net.Sockets;
using System.Text;
using System.Threading;
using NUnit.Framework;

namespace Sandgate.Tests
{
    [TestFixture]
    public class GatewayTests
    {
        private static readonly IDictionary<string, object> File = Cases.Load("gateway");

        public static IEnumerable<TestCaseData> CheckAll()
        {
            return Cases.Named("Gateway_Cases", File.Arr("cases"), (c, i) => c.Str("name"));
        }

        public static IEnumerable<TestCaseData> MiddlewareAll()
        {
            return Cases.Named("Gateway_Middleware_Cases", File.Arr("cases"), (c, i) => c.Str("name"));
        }

        internal static Gateway For(IDictionary<string, object> c)
        {
            string flag = c.Str("keys");
            SigningKeys keys = flag == "" ? null : SigningKeys.FromFlag(flag);
            try
            {
                return new Gateway(new GatewayOptions { RouteMode = c.Str("mode"), Keys = keys, Policy = c.Str("policy"), Now = c.U64("now") });
            }
            finally
            {
                if (keys != null)
                {
                    keys.Dispose();
                }
            }
        }

        private static List<KeyValuePair<string, string>> Headers(IDictionary<string, object> c)
        {
            return c.Obj("request").Arr("headers").Cast<List<object>>()
                .Select(h => new KeyValuePair<string, string>((string)h[0], (string)h[1])).ToList();
        }

        private static void Route(IDictionary<string, object> want, RouteInfo r)
        {
            Assert.IsNotNull(r);
            Assert.AreEqual(want.Str("sandbox_id"), r.SandboxId);
            Assert.AreEqual(want.Int("port"), r.Port);
            string expires = want.Str("expires");
            Assert.AreEqual(expires == null ? (ulong?)null : ulong.Parse(expires), r.Expires);
            if (want.Get("key_id") != null)
            {
                Assert.AreEqual(want.Str("key_id"), r.KeyId);
            }
        }

        [Test]
        public void Gateway_FileHasCases()
        {
            Assert.Greater(File.Arr("cases").Count, 70);
        }

        [TestCaseSource("CheckAll")]
        public void Gateway_Cases(IDictionary<string, object> c)
        {
            IDictionary<string, object> want = c.Obj("expect");
            using (Gateway g = For(c))
            {
                GatewayVerdict v = g.Check(c.Obj("request").Str("target"), Headers(c));
                Assert.AreEqual(want.Bool("allowed"), v.Allowed, v.ToString());
                Assert.AreEqual(want.Int("status"), v.Status);
                CollectionAssert.AreEqual(want.Arr("headers_to_strip").Cast<string>().Select(s => s.ToLowerInvariant()),
                    v.HeadersToStrip.Select(s => s.ToLowerInvariant()));
                if (v.Allowed)
                {
                    Assert.AreEqual(want.Str("grant"), v.GrantCode);
                    Assert.AreEqual(want.Str("upstream_target"), v.UpstreamTarget);
                    Assert.IsNull(v.Reason);
                    Route(want, v.Route);
                    return;
                }
                Assert.AreEqual(want.Str("reason"), v.Reason);
                Assert.IsNull(v.Route);
                StringAssert.StartsWith("OpenSandbox Ingress: ", v.Body);
                string retryAfter = v.ResponseHeaders.Where(h => h.Key.Equals("retry-after", StringComparison.OrdinalIgnoreCase))
                    .Select(h => h.Value).FirstOrDefault();
                Assert.AreEqual(want.Str("retry_after"), retryAfter);
            }
        }

        private static int FreePort()
        {
            var l = new TcpListener(IPAddress.Loopback, 0);
            l.Start();
            int port = ((IPEndPoint)l.LocalEndpoint).Port;
            l.Stop();
            return port;
        }

        /// <summary>A real HttpListener on loopback running Gateway.Handle in front of an echo app.</summary>
        internal sealed class Server : IDisposable
        {
            private readonly HttpListener listener = new HttpListener();
            private readonly Thread loop;
            public readonly int Port = FreePort();

            public Server(Gateway g)
            {
                // "+": the listener takes any Host (the cases send gateway and sandbox hosts); mono binds the
                // wildcard address, and the test connects over loopback.
                listener.Prefixes.Add("http://+:" + Port + "/");
                listener.Start();
                loop = new Thread(() =>
                {
                    while (listener.IsListening)
                    {
                        HttpListenerContext ctx;
                        try
                        {
                            ctx = listener.GetContext();
                        }
                        catch (Exception)
                        {
                            return;
                        }
                        g.Handle(ctx, req =>
                        {
                            var sb = new StringBuilder();
                            sb.Append("target=").Append(req.Target).Append('\n');
                            sb.Append("route=").Append(req.Route.SandboxId).Append(':').Append(req.Route.Port)
                                .Append(':').Append(req.Route.Expires).Append(':').Append(req.Route.KeyId).Append('\n');
                            foreach (string name in req.Headers.AllKeys)
                            {
                                sb.Append("header=").Append(name).Append('\n');
                            }
                            byte[] body = Encoding.UTF8.GetBytes(sb.ToString());
                            req.Context.Response.AddHeader("X-Echo", "1");
                            req.Context.Response.ContentLength64 = body.Length;
                            req.Context.Response.OutputStream.Write(body, 0, body.Length);
                            req.Context.Response.Close();
                        });
                    }
                }) { IsBackground = true };
                loop.Start();
            }

            /// <summary>Sends exactly these request bytes; status, headers (lower-case names) and body.</summary>
            public Tuple<int, Dictionary<string, string>, string> Send(string target, IEnumerable<KeyValuePair<string, string>> headers)
            {
                using (var client = new TcpClient("127.0.0.1", Port))
                using (NetworkStream stream = client.GetStream())
                {
                    var sb = new StringBuilder("GET " + target + " HTTP/1.1\r\n");
                    foreach (var h in headers)
                    {
                        sb.Append(h.Key).Append(": ").Append(h.Value).Append("\r\n");
                    }
                    sb.Append("Connection: close\r\n\r\n");
                    byte[] bytes = Encoding.ASCII.GetBytes(sb.ToString());
                    stream.Write(bytes, 0, bytes.Length);
                    string raw = new StreamReader(stream, Encoding.UTF8).ReadToEnd();
                    int split = raw.IndexOf("\r\n\r\n", StringComparison.Ordinal);
                    string[] lines = raw.Substring(0, split).Split(new[] { "\r\n" }, StringSplitOptions.None);
                    int status = int.Parse(lines[0].Split(' ')[1]);
                    var h2 = new Dictionary<string, string>();
                    foreach (string line in lines.Skip(1))
                    {
                        int colon = line.IndexOf(':');
                        h2[line.Substring(0, colon).Trim().ToLowerInvariant()] = line.Substring(colon + 1).Trim();
                    }
                    return Tuple.Create(status, h2, raw.Substring(split + 4));
                }
            }

            public void Dispose()
            {
                listener.Stop();
                listener.Close();
            }
        }

        [TestCaseSource("MiddlewareAll")]
        public void Gateway_Middleware_Cases(IDictionary<string, object> c)
        {
            IDictionary<string, object> want = c.Obj("expect");
            using (Gateway g = For(c))
            using (var server = new Server(g))
            {
                var answer = server.Send(c.Obj("request").Str("target"), Headers(c));
                int status = answer.Item1;
                Dictionary<string, string> headers = answer.Item2;
                string body = answer.Item3;
                bool byListener = !headers.ContainsKey("x-echo") && !body.StartsWith("OpenSandbox Ingress: ", StringComparison.Ordinal);
                if (byListener)
                {
                    // HttpListener refused the request line or headers itself, before any handler
                    // ran; the README lists these. The check alone still decides them (Gateway_Cases).
                    Assert.AreEqual(400, status, "HttpListener's own answer: " + body);
                    Assert.That(Listener.RefusesItself(c), "HttpListener refused a request it should hand over: " + c.Str("name"));
                    return;
                }
                List<KeyValuePair<string, string>> sent = Headers(c);
                if (sent.Select(h => h.Key.ToLowerInvariant()).Distinct().Count() != sent.Count)
                {
                    // Mono's HttpListener keeps only the last of repeated headers (README): the
                    // helper applies the check to what the listener hands over.
                    var collapsed = sent.GroupBy(h => h.Key, StringComparer.OrdinalIgnoreCase).Select(grp => grp.Last()).ToList();
                    GatewayVerdict v = g.Check(c.Obj("request").Str("target"), collapsed);
                    Assert.AreEqual(v.Status, status, body);
                    Assert.AreEqual(v.Allowed, headers.ContainsKey("x-echo"));
                    return;
                }
                Assert.AreEqual(want.Int("status"), status, body);
                if (!want.Bool("allowed"))
                {
                    Assert.IsFalse(headers.ContainsKey("x-echo"), "the app ran");
                    StringAssert.StartsWith("OpenSandbox Ingress: ", body);
                    Assert.AreEqual(want.Str("reason"), headers["x-sandgate-reason"]);
                    StringAssert.StartsWith("text/plain", headers["content-type"]);
                    if (want.Get("retry_after") != null)
                    {
                        Assert.AreEqual(want.Str("retry_after"), headers["retry-after"]);
                    }
                    return;
                }
                string[] lines = body.Split('\n');
                Assert.AreEqual("target=" + want.Str("upstream_target"), lines[0], body);
                Assert.AreEqual(string.Format("route={0}:{1}:{2}:{3}", want.Str("sandbox_id"), want.Int("port"), want.Str("expires"),
                    want.Get("key_id") == null ? "" : want.Str("key_id")), lines[1]);
                foreach (string strip in want.Arr("headers_to_strip").Cast<string>())
                {
                    Assert.IsFalse(lines.Any(l => l.Equals("header=" + strip, StringComparison.OrdinalIgnoreCase)), "the app saw " + strip);
                }
            }
        }
    }

    /// <summary>The requests mono's HttpListener answers 400 itself, before any handler.</summary>
    internal static class Listener
    {
        public static bool RefusesItself(IDictionary<string, object> c)
        {
            string target = c.Obj("request").Str("target");
            var hosts = c.Obj("request").Arr("headers").Cast<List<object>>().Where(h => ((string)h[0]).Equals("Host", StringComparison.OrdinalIgnoreCase))
                .Select(h => (string)h[1]).ToList();
            return !target.StartsWith("/", StringComparison.Ordinal) || hosts.Count != 1 || hosts[0].Contains(" ") || hosts[0].Contains("://") || hosts[0].Contains(",") || hosts[0] == "";
        }
    }
}
