// sdk-tests/cases/scenario.json in every route mode, through SandgateClient and HttpClient.
using System;
using System.Collections.Generic;
using System.Globalization;
using System.Linq;
using System.Net.Http;
using NUnit.Framework;

namespace Sandgate.Tests
{
    [TestFixture]
    public class ScenarioTests
    {
        private static readonly IDictionary<string, object> File = Cases.Load("scenario");

        public static IEnumerable<TestCaseData> Modes()
        {
            foreach (string mode in File.Arr("modes"))
            {
                yield return new TestCaseData(mode).SetName("Scenario_Steps(" + mode + ")");
            }
        }

        [Test]
        public void Scenario_FileHasThreeModes()
        {
            CollectionAssert.AreEquivalent(new[] { "header", "wildcard", "uri" }, File.Arr("modes").Cast<string>());
            Assert.IsNotEmpty(File.Arr("steps"));
        }

        [TestCaseSource("Modes")]
        public void Scenario_Steps(string mode)
        {
            using (MockServer mock = MockServer.Start(mode, true))
            {
                Assert.AreEqual(mode, mock.RouteMode);
                var run = new ScenarioRun(mock, mode);
                int i = 0;
                foreach (IDictionary<string, object> step in File.Arr("steps"))
                {
                    run.Step(i++, step);
                }
            }
        }

        private sealed class ScenarioRun
        {
            private readonly MockServer mock;
            private readonly string mode;
            private readonly Dictionary<string, CreatedApiKey> keys = new Dictionary<string, CreatedApiKey>();
            private readonly Dictionary<string, Sandbox> sandboxes = new Dictionary<string, Sandbox>();
            private readonly Dictionary<string, Endpoint> endpoints = new Dictionary<string, Endpoint>();
            private string where;

            public ScenarioRun(MockServer mock, string mode)
            {
                this.mock = mock;
                this.mode = mode;
            }

            private SandgateClient Client(IDictionary<string, object> step)
            {
                IDictionary<string, object> a = step.Obj("as");
                Assert.IsNotNull(a, where + " has no principal");
                if (a.Has("key"))
                {
                    return Mock.WithKey(mock, keys[a.Str("key")].Key.Expose());
                }
                return Mock.User(mock, a.Str("user"), a.Str("roles"));
            }

            /// <summary>Awaits the step's call; false when it failed as expected (then there is nothing to check).</summary>
            private bool Call<T>(IDictionary<string, object> want, Func<System.Threading.Tasks.Task<T>> start, out T result)
            {
                result = default(T);
                IDictionary<string, object> error = want.Obj("error");
                if (error == null)
                {
                    result = start().GetAwaiter().GetResult();
                    return true;
                }
                var e = Expect.Throws<SandgateException>(() => start().GetAwaiter().GetResult());
                Assert.AreEqual(error.Str("kind"), e.KindCode, where);
                Assert.AreEqual((int)error.Int("status"), e.Status, where);
                Assert.AreEqual(error.Str("code"), e.Code, where);
                return false;
            }

            /// <summary>The route token an endpoint carries, where the route mode puts it.</summary>
            private string Token(Endpoint e)
            {
                var url = new Uri(e.Url);
                switch (mode)
                {
                    case "header":
                        return e.Headers["OpenSandbox-Ingress-To"];
                    case "wildcard":
                        return url.Host.Split('.')[0];
                    default:
                        string[] parts = url.AbsolutePath.Trim('/').Split('/');
                        Assert.GreaterOrEqual(parts.Length, 4, "uri endpoint without a signed prefix: " + e.Url);
                        return string.Join("-", parts.Skip(parts.Length - 4));
                }
            }

            /// <summary>Changes the 8th character of a signature (its last hex digit).</summary>
            private static string Tamper(string sig)
            {
                return sig.Substring(0, 7) + (sig[7] == '1' ? '0' : '1') + sig.Substring(8);
            }

            private HttpResponseMessage GatewayGet(IDictionary<string, object> step, Endpoint e, out string body)
            {
                string target = e.Url + step.Str("path");
                string ingress = null;
                if (step.Bool("tamper"))
                {
                    Assert.IsNotNull(e.Route, "cannot tamper with an unsigned endpoint");
                    string token = Token(e);
                    string sig = token.Substring(token.Length - 9);
                    string bad = token.Substring(0, token.Length - 9) + Tamper(sig);
                    if (mode == "header")
                    {
                        ingress = bad;
                    }
                    else if (mode == "wildcard")
                    {
                        target = target.Replace(token, bad);
                    }
                    else
                    {
                        target = target.Replace("/" + sig, "/" + Tamper(sig));
                    }
                }
                string host = null;
                if (mode == "wildcard")
                {
                    // *.localhost need not resolve: send to the gateway with the endpoint's Host.
                    var u = new Uri(target);
                    host = u.Authority;
                    target = mock.GatewayUrl + u.PathAndQuery;
                }
                using (var request = new HttpRequestMessage(HttpMethod.Get, target))
                {
                    e.ApplyHeaders(request);
                    if (ingress != null)
                    {
                        request.Headers.Remove("OpenSandbox-Ingress-To");
                        request.Headers.TryAddWithoutValidation("OpenSandbox-Ingress-To", ingress);
                    }
                    if (host != null)
                    {
                        request.Headers.Host = host;
                    }
                    if (step.Has("secure_header"))
                    {
                        request.Headers.Remove("OpenSandbox-Secure-Access");
                        request.Headers.TryAddWithoutValidation("OpenSandbox-Secure-Access", step.Str("secure_header"));
                    }
                    if (step.Bool("drop_secure_header"))
                    {
                        request.Headers.Remove("OpenSandbox-Secure-Access");
                    }
                    HttpResponseMessage response = Http.Client.SendAsync(request).GetAwaiter().GetResult();
                    body = response.Content.ReadAsStringAsync().GetAwaiter().GetResult();
                    return response;
                }
            }

            public void Step(int i, IDictionary<string, object> step)
            {
                string op = step.Str("op");
                where = string.Format("step {0} {1} ({2} mode)", i, op, mode);
                IDictionary<string, object> want = step.Obj("expect") ?? new Dictionary<string, object>();
                switch (op)
                {
                    case "create_api_key":
                    {
                        CreatedApiKey k;
                        using (SandgateClient c = Client(step))
                        {
                            if (!Call(want, () => c.CreateApiKeyAsync(step.Str("name")), out k))
                            {
                                return;
                            }
                        }
                        if (want.Has("name"))
                        {
                            Assert.AreEqual(want.Str("name"), k.Name, where);
                        }
                        Assert.AreEqual(12, k.Prefix.Length, where);
                        if (want.Bool("prefix_is_key_start"))
                        {
                            StringAssert.StartsWith(k.Prefix, k.Key.Expose(), where);
                        }
                        Expect.NoSecret(k.ToString() + k.Key, k.Key.Expose());
                        keys[step.Str("save")] = k;
                        break;
                    }
                    case "list_api_keys":
                    {
                        IReadOnlyList<ApiKeyInfo> list;
                        using (SandgateClient c = Client(step))
                        {
                            if (!Call(want, () => c.ListApiKeysAsync(), out list))
                            {
                                return;
                            }
                        }
                        if (want.Has("count"))
                        {
                            Assert.AreEqual(want.Int("count"), list.Count, where);
                        }
                        if (want.Has("never_contains_key"))
                        {
                            string raw = keys[want.Str("never_contains_key")].Key.Expose();
                            foreach (ApiKeyInfo info in list)
                            {
                                Expect.NoSecret(string.Join("|", info.Id, info.Name, info.Prefix, info.CreatedAt, info.ExpiresAt, info.ToString()), raw);
                            }
                        }
                        break;
                    }
                    case "list_sandboxes":
                    {
                        IReadOnlyList<Sandbox> list;
                        using (SandgateClient c = Client(step))
                        {
                            if (!Call(want, () => c.ListSandboxesAsync(), out list))
                            {
                                return;
                            }
                        }
                        if (want.Has("count"))
                        {
                            Assert.AreEqual(want.Int("count"), list.Count, where);
                        }
                        break;
                    }
                    case "create_sandbox":
                    {
                        Sandbox s;
                        using (SandgateClient c = Client(step))
                        {
                            if (!Call(want, () => c.CreateSandboxAsync(step.Str("image"), step.Bool("secure_access")), out s))
                            {
                                return;
                            }
                        }
                        if (want.Has("owner"))
                        {
                            Assert.AreEqual(want.Str("owner"), s.Metadata["access.owner"], where);
                        }
                        if (want.Has("secure_access"))
                        {
                            Assert.AreEqual(want.Bool("secure_access"), s.SecureAccess, where);
                        }
                        Assert.AreEqual(step.Str("image"), s.Image, where);
                        sandboxes[step.Str("save")] = s;
                        break;
                    }
                    case "get_signed_endpoint":
                    case "get_endpoint":
                    {
                        Sandbox s = sandboxes[step.Str("sandbox")];
                        int port = (int)step.Int("port");
                        Endpoint e;
                        using (SandgateClient c = Client(step))
                        {
                            Func<System.Threading.Tasks.Task<Endpoint>> start = op == "get_endpoint"
                                ? (Func<System.Threading.Tasks.Task<Endpoint>>)(() => c.GetEndpointAsync(s.Id, port))
                                : () => c.GetSignedEndpointAsync(s.Id, port, TimeSpan.FromSeconds(step.Int("ttl_seconds")));
                            if (!Call(want, start, out e))
                            {
                                return;
                            }
                        }
                        IDictionary<string, object> route = want.Obj("route");
                        if (route != null)
                        {
                            Assert.IsNotNull(e.Route, where + ": no route in " + e);
                            Assert.IsTrue(e.Route.IsSigned, where);
                            Assert.AreEqual(s.Id, e.Route.SandboxId, where);
                            Assert.AreEqual(route.Int("port"), e.Route.Port, where);
                            Assert.AreEqual(route.Str("key_id"), e.Route.KeyId, where);
                            Assert.AreEqual(s.Id, Token(e).Substring(0, s.Id.Length), where + ": the token names the sandbox");
                        }
                        if (want.Bool("no_route"))
                        {
                            Assert.IsNull(e.Route, where);
                        }
                        if (want.Has("no_header"))
                        {
                            Assert.IsFalse(e.Headers.ContainsKey(want.Str("no_header")), where);
                        }
                        if (want.Has("has_header"))
                        {
                            string value;
                            Assert.IsTrue(e.Headers.TryGetValue(want.Str("has_header"), out value), where);
                            Assert.IsNotEmpty(value, where);
                            Expect.NoSecret(e.ToString(), value);
                            StringAssert.Contains(want.Str("has_header") + ": ***", e.ToString(), where);
                        }
                        endpoints[step.Str("save")] = e;
                        break;
                    }
                    case "verify_local":
                    {
                        Endpoint e = endpoints[step.Str("endpoint")];
                        using (SigningKeys k = SigningKeys.FromFlag(mock.SigningKeys.Expose()))
                        using (var v = new RouteVerifier(k))
                        {
                            if (want.Bool("allowed"))
                            {
                                RouteInfo info = v.Verify(Token(e), mock.Now());
                                Assert.AreEqual(e.Route.SandboxId, info.SandboxId, where);
                                Assert.AreEqual(e.Route.Port, info.Port, where);
                                Assert.AreEqual(e.Route.Expires, info.Expires, where);
                            }
                            else
                            {
                                var denied = Expect.Throws<AccessDeniedException>(() => v.Verify(Token(e), mock.Now()));
                                Assert.AreEqual(want.Str("reason"), denied.ReasonCode, where);
                                Assert.AreEqual((int)want.Int("status"), denied.Status, where);
                            }
                        }
                        break;
                    }
                    case "gateway_get":
                    {
                        string body;
                        using (HttpResponseMessage response = GatewayGet(step, endpoints[step.Str("endpoint")], out body))
                        {
                            Assert.AreEqual(want.Int("status"), (int)response.StatusCode, where + ": " + body);
                            if (want.Has("reason"))
                            {
                                IEnumerable<string> reason;
                                Assert.IsTrue(response.Headers.TryGetValues("X-Sandgate-Reason", out reason), where + ": no X-Sandgate-Reason");
                                Assert.AreEqual(want.Str("reason"), reason.Single(), where);
                            }
                        }
                        IDictionary<string, object> echo = want.Obj("echo");
                        if (echo != null)
                        {
                            var got = (IDictionary<string, object>)Json.Parse(body);
                            Assert.AreEqual(sandboxes.Values.Single().Id, got.Str("sandbox_id"), where);
                            foreach (var field in echo)
                            {
                                Assert.AreEqual(Text(field.Value), Text(got.Get(field.Key)), where + ": echo " + field.Key);
                            }
                        }
                        break;
                    }
                    case "advance_clock":
                        mock.Advance(step.Int("seconds"));
                        break;
                    case "revoke_api_key":
                    {
                        using (SandgateClient c = Client(step))
                        {
                            bool ignored;
                            Call(want, async () => { await c.RevokeApiKeyAsync(keys[step.Str("key")].Id); return true; }, out ignored);
                        }
                        break;
                    }
                    default:
                        Assert.Fail("unknown scenario op " + op);
                        break;
                }
            }

            private static string Text(object v)
            {
                return Convert.ToString(v, CultureInfo.InvariantCulture);
            }
        }
    }
}
