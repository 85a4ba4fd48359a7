// The API every language shares (ARCHITECTURE.md, "Same API everywhere"), in C#: bare Message
// and display ToString(), Expose() and a Secret wherever a key goes, full RetryOptions, key ids
// as strings, Verify/VerifyHost/VerifyPath with an optional now, signing with an instant or a
// TTL, the decision-to-exception helper, MockServer.Start, and no Dispose on plain values.
using System;
using System.IO;
using System.Linq;
using System.Threading.Tasks;
using NUnit.Framework;

namespace Sandgate.Tests
{
    [TestFixture]
    public class SurfaceTests
    {
        private const string Flag = "a=bXktdGVzdC1zZWNyZXQ=";
        private const string Token = "sbx-001-8080-x2qxvk-0ff8cd39a"; // expires 2000000000 with key a

        private static string FirstLine(Exception e)
        {
            return e.ToString().Split(new[] { Environment.NewLine }, StringSplitOptions.None)[0];
        }

        [Test]
        public void Surface_MessageIsBareAndToStringIsTheDisplay()
        {
            using (MockServer mock = MockServer.Start())
            using (var client = new SandgateClient(new SandgateClientOptions { Domain = mock.Domain, ApiKey = mock.AdminKey, IgnoreEnvironment = true }))
            {
                var e = Expect.Throws<ApiException>(() => client.GetSandboxAsync("missing-sandbox").GetAwaiter().GetResult());
                Assert.IsNotEmpty(e.Message);
                Assert.IsFalse(e.Message.StartsWith("API error", StringComparison.Ordinal), e.Message);
                Assert.AreEqual("API error 404 SANDBOX::NOT_FOUND: " + e.Message + " (request id " + e.RequestId + ")", FirstLine(e));
                StringAssert.Contains(" at ", e.ToString(), "a thrown exception's stack trace follows the display line");
            }
            using (SigningKeys keys = SigningKeys.FromFlag(Flag))
            using (var verifier = new RouteVerifier(keys))
            {
                var denied = Expect.Throws<AccessDeniedException>(() => verifier.Verify(Token, 2000000001));
                Assert.AreEqual("access denied (expired): " + denied.Message, FirstLine(denied));
                Assert.IsFalse(denied.Message.StartsWith("access denied", StringComparison.Ordinal));
                // Not thrown yet: ToString() is exactly the display line.
                AccessDeniedException error = verifier.Decide(new AccessRequest { IngressTo = Token }, "access-token", 2000000001).Error;
                Assert.AreEqual("access denied (expired): " + error.Message, error.ToString());
                Assert.AreEqual(denied.Message, error.Message, "the hot path and the decision say the same");
            }
            // An error this package reports itself still gets the core's display line.
            var own = Expect.Throws<InvalidArgumentException>(() => ApiKeys.Hash("\uD800"));
            Assert.AreEqual("invalid argument: " + own.Message, FirstLine(own));
        }

        [Test]
        public void Surface_VerifyEveryFormWithAndWithoutNow()
        {
            using (SigningKeys keys = SigningKeys.FromFlag(Flag))
            using (var signer = new RouteSigner(keys, "a"))
            using (var verifier = new RouteVerifier(keys))
            {
                SignedRoute fixedRoute = signer.Sign("sbx-001", 8080, 2000000000UL);
                Assert.AreEqual(Token, fixedRoute.Token);
                foreach (RouteInfo info in new[]
                {
                    verifier.Verify(Token, 1900000000),
                    verifier.VerifyHost(fixedRoute.Host("sandbox.example.com"), 1900000000),
                    verifier.VerifyHost("http://" + fixedRoute.Host("sandbox.example.com") + ":8443", 1900000000),
                    verifier.VerifyPath(fixedRoute.UriPrefix + "/ping?x=1", 1900000000),
                })
                {
                    Assert.AreEqual("sbx-001", info.SandboxId);
                    Assert.AreEqual(8080, info.Port);
                    Assert.AreEqual(2000000000UL, info.Expires);
                    Assert.AreEqual("a", info.KeyId);
                }
                Assert.AreEqual(DenyReason.Expired, Expect.Throws<AccessDeniedException>(() => verifier.VerifyHost(fixedRoute.Host("x.io"), 2000000001)).Reason);
                var badPath = Expect.Throws<AccessDeniedException>(() => verifier.VerifyPath("/sbx-001/0/ping", 0));
                Assert.AreEqual(DenyReason.Malformed, badPath.Reason);
                Assert.AreEqual(400, badPath.Status);
                Assert.AreEqual("malformed", badPath.ReasonCode);
                var nullHost = Expect.Throws<InvalidArgumentException>(() => verifier.VerifyHost(null));
                StringAssert.Contains("host", nullHost.Message);

                // Without now, the system clock decides: a route signed for five minutes is valid now.
                SignedRoute fresh = signer.Sign("sbx-002", 9000, TimeSpan.FromMinutes(5));
                Assert.AreEqual("sbx-002", verifier.Verify(fresh.Token).SandboxId);
                Assert.AreEqual(9000, verifier.VerifyPath(fresh.UriPrefix).Port);
                var expired = Expect.Throws<AccessDeniedException>(() => verifier.Verify(signer.Sign("sbx-003", 80, 1000UL).Token));
                Assert.AreEqual(DenyReason.Expired, expired.Reason, "an expiry in 1970 is past on the system clock");
            }
        }

        [Test]
        public void Surface_SignWithAnInstantOrATtl()
        {
            using (SigningKeys keys = SigningKeys.FromFlag(Flag + ",b=b3RoZXI="))
            using (var signer = new RouteSigner(keys, "b"))
            {
                SignedRoute r = signer.Sign("sbx-001", 443, TimeSpan.FromSeconds(300), 1000);
                Assert.AreEqual(1300UL, r.Expires);
                Assert.AreEqual(ExpiresB36.Encode(1300), r.ExpiresB36);
                Assert.AreEqual("b", r.KeyId);
                Assert.AreEqual(r.Token, signer.Sign("sbx-001", 443, 1300UL).Token, "a TTL and the instant it reaches sign alike");
                Assert.AreEqual(r.Token, signer.Sign("sbx-001", 443, TimeSpan.FromSeconds(300.9), 1000).Token, "fractions of a second are dropped");
                ulong before = (ulong)DateTimeOffset.UtcNow.ToUnixTimeSeconds();
                ulong expires = signer.Sign("sbx-001", 443, TimeSpan.FromHours(1)).Expires;
                ulong after = (ulong)DateTimeOffset.UtcNow.ToUnixTimeSeconds();
                Assert.That(expires, Is.InRange(before + 3600, after + 3600), "a TTL counts from the system clock");
                var ttl = Expect.Throws<InvalidArgumentException>(() => signer.Sign("sbx-001", 443, TimeSpan.FromMilliseconds(999), 1000));
                StringAssert.Contains("ttl", ttl.Message);
                Expect.Throws<InvalidArgumentException>(() => signer.Sign("sbx-001", 443, TimeSpan.FromSeconds(-5)));
                var port = Expect.Throws<InvalidArgumentException>(() => signer.Sign("sbx-001", -1, 1300UL));
                StringAssert.Contains("port", port.Message);
            }
        }

        [Test]
        public void Surface_RetryOptionsReachTheCore()
        {
            using (MockServer mock = MockServer.Start())
            {
                var quick = new RetryOptions { MaxRetries = 2, InitialBackoff = TimeSpan.FromMilliseconds(1), MaxBackoff = TimeSpan.FromMilliseconds(5) };
                mock.SetFaults(new MockFaults { FailNext = 2, Status = 503 });
                using (SandgateClient c = Mock.Admin(mock, o => o.Retry = quick))
                {
                    Assert.AreEqual(0, c.ListSandboxesAsync().Result.Count, "two failures, two retries");
                }
                Assert.AreEqual(new[] { 503, 503, 200 }, mock.Requests().Select(r => r.Status).ToArray());

                mock.Reset();
                mock.SetFaults(new MockFaults { FailNext = 2, Status = 503 });
                quick.MaxRetries = 1;
                using (SandgateClient c = Mock.Admin(mock, o => o.Retry = quick))
                {
                    Assert.AreEqual(503, Expect.Throws<ApiException>(() => c.ListSandboxesAsync().GetAwaiter().GetResult()).Status);
                }
                Assert.AreEqual(2, mock.Requests().Count, "one retry");

                var inverted = Expect.Throws<InvalidConfigException>(() => Mock.Admin(mock, o => o.Retry = new RetryOptions
                {
                    InitialBackoff = TimeSpan.FromSeconds(2),
                    MaxBackoff = TimeSpan.FromSeconds(1),
                }));
                StringAssert.Contains("initial_backoff", inverted.Message);
                var negative = Expect.Throws<InvalidConfigException>(() => Mock.Admin(mock, o => o.Retry = new RetryOptions { MaxRetries = -1 }));
                StringAssert.Contains("MaxRetries", negative.Message);
                Expect.Throws<InvalidConfigException>(() => Mock.Admin(mock, o => o.Retry = new RetryOptions { InitialBackoff = TimeSpan.FromSeconds(-1) }));
                StringAssert.Contains("MaxRetries: 1", new SandgateClientOptions { Retry = quick }.ToString());
            }
        }

        [Test]
        public void Surface_ASecretGoesWhereverAKeyGoes()
        {
            using (MockServer mock = MockServer.Start("header", true))
            {
                Secret admin = mock.AdminKey;
                var options = new SandgateClientOptions { Domain = mock.Domain, ApiKey = admin, IgnoreEnvironment = true };
                StringAssert.Contains("ApiKey: ***", options.ToString());
                Expect.NoSecret(options.ToString(), admin.Expose());
                using (var client = new SandgateClient(options))
                {
                    Assert.AreEqual(0, client.ListSandboxesAsync().Result.Count);
                }
                using (SigningKeys keys = SigningKeys.FromFlag(mock.SigningKeys))
                {
                    Assert.IsNotEmpty(keys.KeyIds);
                }
                GeneratedApiKey k = ApiKeys.Generate();
                Assert.AreEqual(ApiKeys.Hash(k.Key.Expose()), ApiKeys.Hash(k.Key));
                Assert.IsTrue(ApiKeys.Verify(k.Key, k.Hash));
                Assert.IsFalse(ApiKeys.Verify(new Secret("osk_not_this_one"), k.Hash));
                using (SigningKeys keys = SigningKeys.FromFlag(Flag))
                using (var verifier = new RouteVerifier(keys))
                {
                    var request = new AccessRequest { IngressTo = "sbx1-80", SecureAccess = "s3cr3t-4cc3ss" };
                    AccessDecision d = verifier.Decide(request, new Secret("s3cr3t-4cc3ss"));
                    Assert.AreEqual(Grant.Header, d.Grant);
                    Assert.AreEqual("header", d.GrantCode);
                    AccessDecision wrong = verifier.Decide(request, new Secret("0th3r-s3cr3t"));
                    Assert.AreEqual(DenyReason.HeaderMismatch, wrong.Reason);
                    Expect.NoSecret(wrong.ToString() + wrong.Error, "s3cr3t-4cc3ss", "0th3r-s3cr3t");
                    Assert.AreSame(wrong.Error, Expect.Throws<AccessDeniedException>(wrong.ThrowIfDenied));
                }
            }
        }

        [Test]
        public void Surface_KeyIdsAreStrings()
        {
            using (SigningKeys keys = SigningKeys.FromToml("[ingress.secure_access]\nactive_key = \"z\"\n[[ingress.secure_access.keys]]\nkey_id = \"z\"\nkey = \"Zm9v\"\n[[ingress.secure_access.keys]]\nkey_id = \"7\"\nkey = \"YmFy\"\n"))
            using (var active = new RouteSigner(keys))
            using (var seven = new RouteSigner(keys, "7"))
            using (var verifier = new RouteVerifier(keys))
            {
                CollectionAssert.AreEqual(new[] { "z", "7" }, keys.KeyIds);
                Assert.AreEqual("z", keys.ActiveKeyId);
                Assert.AreEqual("z", active.KeyId);
                Assert.AreEqual("7", seven.KeyId);
                SignedRoute r = seven.Sign("sbx", 80, 2000000000UL);
                Assert.AreEqual("7", r.KeyId);
                Assert.AreEqual("7", verifier.Verify(r.Token, 0).KeyId);
                AccessDecision d = verifier.Decide(new AccessRequest { IngressTo = r.Token }, null, 0);
                Assert.AreEqual("7", d.Route.KeyId);
                var unknown = Expect.Throws<InvalidConfigException>(() => new RouteSigner(keys, "q"));
                StringAssert.Contains("q", unknown.Message);
            }
            using (SigningKeys none = SigningKeys.FromFlag(Flag))
            {
                Assert.IsNull(none.ActiveKeyId);
            }
        }

        [Test]
        public void Surface_PlainValuesHaveNoDispose()
        {
            foreach (Type t in new[]
            {
                typeof(SignedRoute), typeof(RouteInfo), typeof(AccessDecision), typeof(AccessRequest), typeof(Endpoint),
                typeof(Sandbox), typeof(CreatedApiKey), typeof(ApiKeyInfo), typeof(GeneratedApiKey), typeof(Secret),
                typeof(RetryOptions), typeof(SandgateClientOptions), typeof(MockRequest), typeof(MockFaults),
            })
            {
                Assert.IsFalse(typeof(IDisposable).IsAssignableFrom(t), t.Name + " is IDisposable");
                Assert.IsNull(t.GetMethod("Dispose"), t.Name + " has Dispose");
            }
            foreach (Type t in new[] { typeof(SigningKeys), typeof(RouteSigner), typeof(RouteVerifier), typeof(SandgateClient), typeof(MockServer) })
            {
                Assert.IsTrue(typeof(IDisposable).IsAssignableFrom(t), t.Name + " holds a native handle");
            }
        }

        [Test]
        public void Surface_MockServerStart()
        {
            using (MockServer mock = MockServer.Start(routeMode: "wildcard", trustedHeaders: true))
            using (SandgateClient user = Mock.User(mock, "ada", "operator"))
            {
                Assert.AreEqual("wildcard", mock.RouteMode);
                Sandbox sb = user.CreateSandboxAsync("python:3.11").Result;
                Endpoint e = user.GetSignedEndpointAsync(sb.Id, 8080, TimeSpan.FromMinutes(1)).Result;
                using (SigningKeys keys = SigningKeys.FromFlag(mock.SigningKeys))
                using (var verifier = new RouteVerifier(keys))
                {
                    RouteInfo info = verifier.VerifyHost(new Uri(e.Url).Host, mock.Now());
                    Assert.AreEqual(sb.Id, info.SandboxId);
                    Assert.AreEqual(e.Route.Expires, info.Expires);
                }
                Task<Sandbox> missing = user.GetSandboxAsync("nope");
                Assert.AreEqual(404, Expect.Throws<ApiException>(() => missing.GetAwaiter().GetResult()).Status);
            }
        }

        [Test]
        public void Readme_SnippetRuns()
        {
            // test.sh compiled the README's snippet into Readme.exe next to this assembly.
            string dir = Path.GetDirectoryName(typeof(SurfaceTests).Assembly.Location);
            string output, errors;
            Assert.AreEqual(0, Programs.Mono(Path.Combine(dir, "Readme.exe"), out output, out errors), output + errors);
            StringAssert.Contains("Endpoint(http://127.0.0.1:", output);
            StringAssert.Contains("the signed route has expired", output);
            StringAssert.Contains("RouteInfo(sbx-001:8080, expires ", output);
            StringAssert.Contains("by Signature, key a", output);
        }
    }
}
