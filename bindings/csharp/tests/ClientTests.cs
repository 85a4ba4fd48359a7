// SandgateClient operations, cancellation, threads, disposal and secret masking.
using System;
using System.Collections.Concurrent;
using System.Collections.Generic;
using System.Linq;
using System.Net;
using System.Net.Http;
using System.Threading;
using System.Threading.Tasks;
using NUnit.Framework;

namespace Sandgate.Tests
{
    [TestFixture]
    public class ClientTests
    {
        private const string Flag = "a=bXktdGVzdC1zZWNyZXQ=";

        [Test]
        public void Client_EveryOperation()
        {
            using (MockServer mock = MockServer.Start("header", true))
            using (SandgateClient alice = Mock.User(mock, "alice", "operator"))
            {
                CreatedApiKey key = alice.CreateApiKeyAsync("ops", DateTimeOffset.UtcNow.AddHours(1)).Result;
                Assert.AreEqual("ops", key.Name);
                Assert.IsNotEmpty(key.Id);
                Assert.IsNotNull(key.ExpiresAt);
                StringAssert.StartsWith(key.Prefix, key.Key.Expose());

                var options = new SandgateClientOptions { Domain = mock.Domain, ApiKey = key.Key.Expose(), Timeout = TimeSpan.FromSeconds(5), IgnoreEnvironment = true };
                using (var c = new SandgateClient(options))
                {
                    Assert.AreEqual("http://" + mock.Domain, c.BaseUrl);
                    var metadata = new Dictionary<string, string> { { "team", "blue" }, { "empty", "" } };
                    Sandbox sb = c.CreateSandboxAsync("python:3.11", true, metadata, TimeSpan.FromMinutes(10)).Result;
                    Assert.AreEqual("alice", sb.Metadata["access.owner"]);
                    Assert.AreEqual("blue", sb.Metadata["team"]);
                    Assert.AreEqual("", sb.Metadata["empty"]);
                    Assert.IsTrue(sb.SecureAccess);
                    Assert.AreEqual("python:3.11", sb.Image);
                    Assert.IsNotEmpty(sb.State);
                    Assert.IsNotNull(sb.CreatedAt);

                    Assert.AreEqual(sb.Id, c.GetSandboxAsync(sb.Id).Result.Id);
                    IReadOnlyList<Sandbox> list = c.ListSandboxesAsync().Result;
                    Assert.AreEqual(1, list.Count);
                    Assert.AreEqual(sb.Id, list[0].Id);

                    Endpoint signed = c.GetSignedEndpointAsync(sb.Id, 8080, DateTimeOffset.UtcNow.AddMinutes(1)).Result;
                    Assert.IsTrue(signed.Route.IsSigned);
                    Assert.AreEqual(sb.Id, signed.Route.SandboxId);
                    Assert.AreEqual(8080, signed.Route.Port);
                    Endpoint forTtl = c.GetSignedEndpointAsync(sb.Id, 9000, TimeSpan.FromMinutes(1)).Result;
                    Assert.AreEqual(9000, forTtl.Route.Port);
                    Expect.Throws<InvalidArgumentException>(() => c.GetSignedEndpointAsync(sb.Id, 9000, TimeSpan.FromMilliseconds(500)).Wait());

                    Endpoint open = c.GetEndpointAsync(sb.Id, 8080).Result;
                    Assert.IsNull(open.Route);
                    Assert.IsNotEmpty(open.Headers["OpenSandbox-Secure-Access"]);
                    Assert.IsNotEmpty(open.Headers["opensandbox-secure-access"], "header names are case-insensitive");

                    // Both endpoints work with HttpClient as they are.
                    foreach (Endpoint e in new[] { signed, open })
                    {
                        using (HttpRequestMessage request = e.CreateRequest("/ping?from=csharp"))
                        using (HttpResponseMessage response = Http.Client.SendAsync(request).Result)
                        {
                            string body = response.Content.ReadAsStringAsync().Result;
                            Assert.AreEqual(HttpStatusCode.OK, response.StatusCode, body);
                            var echo = (IDictionary<string, object>)Json.Parse(body);
                            Assert.AreEqual(sb.Id, echo.Str("sandbox_id"));
                            Assert.AreEqual("from=csharp", echo.Str("query"));
                        }
                    }

                    IReadOnlyList<ApiKeyInfo> keys = alice.ListApiKeysAsync().Result;
                    Assert.AreEqual(1, keys.Count);
                    Assert.AreEqual(key.Id, keys[0].Id);
                    Assert.IsFalse(keys[0].Revoked);
                    Assert.IsNotNull(keys[0].CreatedAt);

                    c.DeleteSandboxAsync(sb.Id).Wait();
                    var gone = Expect.Throws<ApiException>(() => c.GetSandboxAsync(sb.Id).Wait());
                    Assert.AreEqual(404, gone.Status);

                    alice.RevokeApiKeyAsync(key.Id).Wait();
                    Assert.IsTrue(alice.ListApiKeysAsync().Result.Single().Revoked);
                    var revoked = Expect.Throws<ApiException>(() => c.ListSandboxesAsync().Wait());
                    Assert.AreEqual("INVALID_API_KEY", revoked.Code);
                }
                foreach (MockRequest r in mock.Requests())
                {
                    StringAssert.Contains("csharp", r.UserAgent, "user agent of " + r);
                }
            }
        }

        [Test]
        public void Client_CancelInFlightAbortsTheRequestInRust()
        {
            using (MockServer mock = MockServer.Start("header", true))
            using (SandgateClient bob = Mock.User(mock, "bob", "operator"))
            {
                var latency = TimeSpan.FromMilliseconds(1500);
                mock.SetFaults(new MockFaults { Latency = latency });
                using (var cts = new CancellationTokenSource())
                {
                    Task<CreatedApiKey> call = bob.CreateApiKeyAsync("never", null, cts.Token);
                    Thread.Sleep(200);
                    Assert.IsFalse(call.IsCompleted, "the mock holds the request for 1.5 s");
                    cts.Cancel();
                    var e = Expect.Throws<OperationCanceledException>(() => call.GetAwaiter().GetResult());
                    Assert.AreEqual(cts.Token, e.CancellationToken);
                    Assert.IsTrue(call.IsCanceled);
                }
                // Had the request gone on in Rust, the mock would answer it and mint the key
                // once the latency has passed: wait past it, then look.
                Thread.Sleep(latency + TimeSpan.FromMilliseconds(1000));
                // The mock logs a request on arrival: the cancelled POST may be there, never answered.
                Assert.IsFalse(mock.Requests().Any(r => r.Method == "POST" && r.Status != 0), "the cancelled POST reached the key store");
                mock.ClearFaults();
                Assert.AreEqual(0, bob.ListApiKeysAsync().Result.Count, "a key was minted by the cancelled call");

                // The same call without cancelling does mint a key: the check above can fail.
                mock.SetFaults(new MockFaults { Latency = TimeSpan.FromMilliseconds(300) });
                Assert.AreEqual("kept", bob.CreateApiKeyAsync("kept").Result.Name);
                mock.ClearFaults();
                Assert.AreEqual(1, bob.ListApiKeysAsync().Result.Count);
                Assert.AreEqual(1, mock.Requests().Count(r => r.Method == "POST" && r.Status == 201));
            }
        }

        [Test]
        public void Client_RenewSandboxMovesItsExpiry()
        {
            using (MockServer mock = MockServer.Start())
            using (SandgateClient admin = Mock.Admin(mock))
            {
                Sandbox sb = admin.CreateSandboxAsync("python:3.11", timeout: TimeSpan.FromMinutes(10)).Result;
                long until = DateTimeOffset.UtcNow.ToUnixTimeSeconds() + 7200;
                SandboxRenewal renewed = admin.RenewSandboxAsync(sb.Id, DateTimeOffset.FromUnixTimeSeconds(until)).Result;
                Assert.AreEqual((ulong)until, renewed.Expires);
                Assert.AreNotEqual(sb.ExpiresAt, renewed.ExpiresAt);
                Assert.AreEqual(renewed.ExpiresAt, admin.GetSandboxAsync(sb.Id).Result.ExpiresAt);
                StringAssert.Contains(renewed.ExpiresAt, renewed.ToString());
                SandboxRenewal byTtl = admin.RenewSandboxAsync(sb.Id, TimeSpan.FromDays(1)).Result;
                Assert.LessOrEqual(Math.Abs((long)byTtl.Expires - (DateTimeOffset.UtcNow.ToUnixTimeSeconds() + 86400)), 2);
                Assert.AreEqual(byTtl.ExpiresAt, admin.GetSandboxAsync(sb.Id).Result.ExpiresAt);
                var missing = Expect.Throws<ApiException>(() => admin.RenewSandboxAsync("does-not-exist", TimeSpan.FromMinutes(1)).GetAwaiter().GetResult());
                Assert.AreEqual(404, missing.Status);
                Assert.AreEqual("SANDBOX::NOT_FOUND", missing.Code);
                // A bad expiry is refused before any request.
                int sent = mock.Requests().Count;
                Expect.Throws<InvalidArgumentException>(() => admin.RenewSandboxAsync(sb.Id, TimeSpan.Zero).GetAwaiter().GetResult());
                Expect.Throws<InvalidArgumentException>(() => admin.RenewSandboxAsync(sb.Id, TimeSpan.FromSeconds(-5)).GetAwaiter().GetResult());
                Expect.Throws<InvalidArgumentException>(() => admin.RenewSandboxAsync(sb.Id, DateTimeOffset.FromUnixTimeSeconds(1000)).GetAwaiter().GetResult());
                Assert.AreEqual(sent, mock.Requests().Count);
            }
        }

        [Test]
        public void Client_CancelledTokenSendsNothing()
        {
            using (MockServer mock = MockServer.Start())
            using (SandgateClient admin = Mock.Admin(mock))
            using (var cts = new CancellationTokenSource())
            {
                cts.Cancel();
                Task<IReadOnlyList<Sandbox>> call = admin.ListSandboxesAsync(cts.Token);
                Assert.IsTrue(call.IsCanceled);
                Task revoke = admin.RevokeApiKeyAsync("k", cts.Token);
                Assert.IsTrue(revoke.IsCanceled);
                Assert.IsEmpty(mock.Requests());
                // A token that is never cancelled changes nothing.
                Assert.AreEqual(0, admin.ListSandboxesAsync(new CancellationTokenSource().Token).Result.Count);
            }
        }

        [Test]
        public void Client_TimeoutIsARequestTimeoutException()
        {
            using (MockServer mock = MockServer.Start())
            using (SandgateClient admin = Mock.Admin(mock, o => o.Timeout = TimeSpan.FromMilliseconds(200)))
            {
                mock.SetFaults(new MockFaults { Latency = TimeSpan.FromSeconds(2) });
                var e = Expect.Throws<RequestTimeoutException>(() => admin.ListSandboxesAsync().GetAwaiter().GetResult());
                Assert.AreEqual(ErrorKind.Timeout, e.Kind);
                mock.ClearFaults();
                Assert.AreEqual(0, admin.ListSandboxesAsync().Result.Count, "the client works after a timeout");
            }
            var zero = Expect.Throws<InvalidConfigException>(() => new SandgateClient(new SandgateClientOptions { Timeout = TimeSpan.Zero, IgnoreEnvironment = true }));
            StringAssert.Contains("timeout", zero.Message);
        }

        [Test]
        public void Client_EightThreadsShareOneClient()
        {
            using (MockServer mock = MockServer.Start("header", true))
            using (SandgateClient client = Mock.User(mock, "carol", "operator"))
            using (SigningKeys keys = SigningKeys.FromFlag(mock.SigningKeys.Expose()))
            using (var verifier = new RouteVerifier(keys))
            {
                const int threads = 8, rounds = 5;
                var failures = new ConcurrentQueue<string>();
                var ids = new ConcurrentBag<string>();
                var workers = Enumerable.Range(0, threads).Select(t => new Thread(() =>
                {
                    try
                    {
                        for (int i = 0; i < rounds; i++)
                        {
                            string tag = t + "-" + i;
                            Sandbox sb = client.CreateSandboxAsync("img:" + tag, true, new Dictionary<string, string> { { "tag", tag } }).Result;
                            ids.Add(sb.Id);
                            Sandbox got = client.GetSandboxAsync(sb.Id).Result;
                            if (got.Metadata["tag"] != tag || got.Image != "img:" + tag)
                            {
                                failures.Enqueue("thread " + t + " got " + got);
                            }
                            Endpoint e = client.GetSignedEndpointAsync(sb.Id, 1000 + t, TimeSpan.FromMinutes(5)).Result;
                            RouteInfo info = verifier.Verify(e.Headers["OpenSandbox-Ingress-To"], mock.Now());
                            if (info.SandboxId != sb.Id || info.Port != 1000 + t)
                            {
                                failures.Enqueue("thread " + t + " verified " + info);
                            }
                        }
                    }
                    catch (Exception e)
                    {
                        failures.Enqueue("thread " + t + ": " + e);
                    }
                })).ToList();
                workers.ForEach(w => w.Start());
                workers.ForEach(w => w.Join());
                Assert.IsEmpty(failures, string.Join("\n", failures));
                Assert.AreEqual(threads * rounds, ids.Distinct().Count());
                Assert.AreEqual(threads * rounds, client.ListSandboxesAsync().Result.Count);
            }
        }

        [Test]
        public void Client_ConcurrentVerifiesOnOneVerifier()
        {
            using (SigningKeys keys = SigningKeys.FromFlag(Flag + ",b=b3RoZXI="))
            using (var signer = new RouteSigner(keys, "b"))
            using (var verifier = new RouteVerifier(keys))
            {
                var tokens = Enumerable.Range(0, 8).Select(t => signer.Sign("sbx-" + t, 1000 + t, 2000000000UL).Token).ToArray();
                var failures = new ConcurrentQueue<string>();
                Parallel.For(0, 8, new ParallelOptions { MaxDegreeOfParallelism = 8 }, t =>
                {
                    for (int i = 0; i < 1000; i++)
                    {
                        RouteInfo info = verifier.Verify(tokens[t], 1900000000UL);
                        if (info.SandboxId != "sbx-" + t || info.Port != 1000 + t || info.KeyId != "b")
                        {
                            failures.Enqueue(info.ToString());
                            return;
                        }
                        if (i % 100 == 0)
                        {
                            try
                            {
                                verifier.Verify(tokens[t], 2000000001UL);
                                failures.Enqueue("an expired route was allowed");
                            }
                            catch (AccessDeniedException e) when (e.Reason == DenyReason.Expired)
                            {
                            }
                        }
                    }
                });
                Assert.IsEmpty(failures, string.Join("\n", failures));
            }
        }

        [Test]
        public void Client_DisposeTwiceIsSafe()
        {
            MockServer mock = MockServer.Start();
            SandgateClient client = Mock.Admin(mock);
            SigningKeys keys = SigningKeys.FromFlag(Flag);
            var signer = new RouteSigner(keys, "a");
            SignedRoute route = signer.Sign("sbx-001", 8080, 2000000000UL);
            var verifier = new RouteVerifier(keys);
            var disposables = new IDisposable[] { signer, verifier, keys, client, mock };
            foreach (IDisposable d in disposables)
            {
                d.Dispose();
                d.Dispose();
            }
            Assert.AreEqual(route.Token + ".localhost", route.Host("localhost"), "a signed route is a plain value");
            foreach (string bad in new[] { "evil.com/x", "a b.com", "a.com\r\nX-Injected: 1", "" })
            {
                Assert.Throws<InvalidArgumentException>(() => route.Host(bad), bad);
            }
            Assert.Throws<ObjectDisposedException>(() => signer.Sign("sbx", 80, 1));
            Assert.Throws<ObjectDisposedException>(() => verifier.Verify(route.Token, 0));
            Assert.Throws<ObjectDisposedException>(() => verifier.Decide(new AccessRequest { IngressTo = route.Token }));
            Assert.Throws<ObjectDisposedException>(() => new RouteVerifier(keys));
            Assert.Throws<ObjectDisposedException>(() => client.GetEndpointAsync("sbx", 80).GetAwaiter().GetResult());
            Assert.Throws<ObjectDisposedException>(() => mock.Reset());
            Assert.AreEqual("sbx-001-8080-x2qxvk-0ff8cd39a", route.Token, "plain values stay readable");
        }

        [Test]
        public void Client_DisposeWhileACallIsInFlight()
        {
            using (MockServer mock = MockServer.Start())
            {
                SandgateClient client = Mock.Admin(mock);
                mock.SetFaults(new MockFaults { Latency = TimeSpan.FromMilliseconds(500) });
                Task<IReadOnlyList<Sandbox>> call = client.ListSandboxesAsync();
                client.Dispose();
                client.Dispose();
                Assert.AreEqual(0, call.Result.Count, "a call in flight completes after Dispose");
                Assert.IsTrue(client.ListSandboxesAsync().IsFaulted);
            }
        }

        [Test]
        public void Client_SecretsNeverPrinted()
        {
            using (MockServer mock = MockServer.Start("header", true))
            {
                string admin = mock.AdminKey.Expose();
                var options = new SandgateClientOptions { Domain = mock.Domain, ApiKey = admin };
                options.Headers["X-Secret-Header"] = "hidden-value";
                CreatedApiKey key;
                using (SandgateClient carol = Mock.User(mock, "carol", "operator"))
                {
                    key = carol.CreateApiKeyAsync().Result;
                }
                using (SandgateClient c = Mock.WithKey(mock, key.Key.Expose()))
                using (SigningKeys keys = SigningKeys.FromFlag(mock.SigningKeys.Expose()))
                {
                    Sandbox sb = c.CreateSandboxAsync("x", true).Result;
                    Endpoint e = c.GetEndpointAsync(sb.Id, 80).Result;
                    string token = e.Headers["OpenSandbox-Secure-Access"];
                    var request = new AccessRequest { IngressTo = sb.Id + "-80", SecureAccess = token };
                    string printed = string.Join(" | ", options, key, key.Key, e, mock, mock.AdminKey, mock.SigningKeys, c, keys,
                        request, string.Format("{0} {1}", key.Key, mock.AdminKey));
                    Expect.NoSecret(printed, admin, key.Key.Expose(), token, "hidden-value", mock.SigningKeys.Expose(),
                        mock.SigningKeys.Expose().Split(',')[0].Split('=')[1]);
                    StringAssert.Contains("***", printed);
                    StringAssert.Contains("X-Secret-Header", options.ToString());
                }
            }
        }

        [Test]
        public void Client_OptionsFromEnvironment()
        {
            using (MockServer mock = MockServer.Start())
            {
                var saved = new[] { "OPEN_SANDBOX_DOMAIN", "OPEN_SANDBOX_API_KEY", "OPEN_SANDBOX_PROTOCOL" }
                    .ToDictionary(n => n, Environment.GetEnvironmentVariable);
                try
                {
                    Environment.SetEnvironmentVariable("OPEN_SANDBOX_DOMAIN", mock.Domain);
                    Environment.SetEnvironmentVariable("OPEN_SANDBOX_API_KEY", mock.AdminKey.Expose());
                    Environment.SetEnvironmentVariable("OPEN_SANDBOX_PROTOCOL", "http");
                    using (var c = new SandgateClient())
                    {
                        Assert.AreEqual("http://" + mock.Domain, c.BaseUrl);
                        Assert.AreEqual(0, c.ListSandboxesAsync().Result.Count, "the API key from the environment is used");
                    }
                    using (var c = new SandgateClient(new SandgateClientOptions { IgnoreEnvironment = true }))
                    {
                        Assert.AreEqual("http://localhost:8080", c.BaseUrl);
                    }
                    Environment.SetEnvironmentVariable("OPEN_SANDBOX_PROTOCOL", "gopher");
                    Expect.Throws<InvalidConfigException>(() => new SandgateClient());
                }
                finally
                {
                    foreach (var pair in saved)
                    {
                        Environment.SetEnvironmentVariable(pair.Key, pair.Value);
                    }
                }
            }
        }

        [Test]
        public void Client_SignedRouteForms()
        {
            using (SigningKeys keys = SigningKeys.FromFlag(Flag))
            using (var verifier = new RouteVerifier(keys))
            {
                var noActive = Expect.Throws<InvalidConfigException>(() => new RouteSigner(keys));
                Assert.AreEqual(ErrorKind.InvalidConfig, noActive.Kind);
                using (var signer = new RouteSigner(keys, "a"))
                {
                    SignedRoute r = signer.Sign("sbx-001", 8080, DateTimeOffset.FromUnixTimeSeconds(2000000000));
                    Assert.AreEqual("sbx-001-8080-x2qxvk-0ff8cd39a", r.Token);
                    Assert.AreEqual(r.Token, r.HeaderValue);
                    Assert.AreEqual(r.Token, r.ToString());
                    Assert.AreEqual("/sbx-001/8080/x2qxvk/0ff8cd39a", r.UriPrefix);
                    string host = r.Host("localhost");
                    Assert.AreEqual("sbx-001-8080-x2qxvk-0ff8cd39a.localhost", host);
                    AccessDecision d = verifier.Decide(new AccessRequest { Host = host, Path = "/x?y" }, "tok", 1900000000UL);
                    Assert.IsTrue(d.Allowed);
                    Assert.AreEqual("signature", d.GrantCode);
                    Assert.AreEqual(Grant.Signature, d.Grant);
                    Assert.AreEqual("/x", d.Path);
                    Assert.AreEqual("y", d.Query);
                    AccessDecision byPath = verifier.Decide(new AccessRequest { Path = r.UriPrefix + "/ping" }, "tok", 1900000000UL);
                    Assert.IsTrue(byPath.Allowed);
                    Assert.AreEqual("/ping", byPath.Path);
                    Expect.Throws<InvalidArgumentException>(() => signer.Sign("sbx", 70000, 1UL));
                    Expect.Throws<InvalidArgumentException>(() => signer.Sign("", 80, 1UL));
                }
                using (SigningKeys toml = SigningKeys.FromToml("[ingress.secure_access]\nactive_key = \"b\"\n[[ingress.secure_access.keys]]\nkey_id = \"a\"\nkey = \"Zm9v\"\n[[ingress.secure_access.keys]]\nkey_id = \"b\"\nkey = \"YmFy\"\n"))
                using (var active = new RouteSigner(toml))
                {
                    Assert.AreEqual("b", active.KeyId);
                    Assert.AreEqual("RouteSigner(key: b)", active.ToString());
                }
            }
        }

        [Test]
        public void Client_MockControls()
        {
            var bad = Expect.Throws<InvalidConfigException>(() => MockServer.Start("sideways"));
            StringAssert.Contains("sideways", bad.Message);
            using (MockServer mock = MockServer.Start("uri"))
            {
                Assert.AreEqual("uri", mock.RouteMode);
                StringAssert.StartsWith("http://127.0.0.1:", mock.ApiUrl);
                StringAssert.StartsWith("http://127.0.0.1:", mock.GatewayUrl);
                mock.SetNow(1000);
                mock.Advance(3600);
                ulong now = mock.Now();
                Assert.That(now, Is.InRange(4600UL, 4700UL));
                Expect.Throws<InvalidArgumentException>(() => mock.SetFaults(new MockFaults { FailNext = -1 }));
                mock.SetFaults(new MockFaults { FailNext = 1, Status = 502 });
                using (SandgateClient admin = Mock.Admin(mock, o => o.Retry = new RetryOptions { MaxRetries = 0 }))
                {
                    var e = Expect.Throws<ApiException>(() => admin.ListSandboxesAsync().Wait());
                    Assert.AreEqual(502, e.Status);
                    IReadOnlyList<MockRequest> requests = mock.Requests();
                    Assert.AreEqual(1, requests.Count);
                    Assert.AreEqual("GET", requests[0].Method);
                    Assert.AreEqual(502, requests[0].Status);
                    mock.Reset();
                    Assert.IsEmpty(mock.Requests());
                    mock.Stop();
                    // The listeners close a moment after Stop: wait for it (up to 5 s).
                    SandgateException last = null;
                    for (int i = 0; i < 250 && last == null; i++)
                    {
                        try
                        {
                            admin.ListSandboxesAsync().Wait();
                            Thread.Sleep(20);
                        }
                        catch (AggregateException ae)
                        {
                            last = ae.InnerException as SandgateException;
                        }
                    }
                    Assert.IsInstanceOf<TransportException>(last);
                }
            }
        }
    }
}
