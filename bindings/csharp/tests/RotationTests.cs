// Issue 21 in C#: live signing-key rotation on the mock, through RouteVerifier.ReplaceKeys,
// MockServer.SetSigningKeys and Gateway.ReplaceKeys.
using System;
using System.Collections.Generic;
using System.Linq;
using System.Net.Http;
using NUnit.Framework;

namespace Sandgate.Tests
{
    [TestFixture]
    public class RotationTests
    {
        private const string SecretA = "bXktdGVzdC1zZWNyZXQ=";
        private const string SecretB = "cm90YXRlZC1zZWNyZXQtYg==";

        /// <summary>A key set as the server's environment pair gives it.</summary>
        private static SigningKeys Ring(string keys, string active)
        {
            return SigningKeys.FromEnv(new Dictionary<string, string>
            {
                { "OPENSANDBOX_SECURE_ACCESS_KEYS", keys },
                { "OPENSANDBOX_SECURE_ACCESS_ACTIVE_KEY", active },
            });
        }

        private static void Push(MockServer mock, string keys, string active)
        {
            using (SigningKeys k = Ring(keys, active))
            {
                mock.SetSigningKeys(k);
            }
        }

        private static Tuple<int, string> ThroughGateway(MockServer mock, string link)
        {
            var request = new HttpRequestMessage(HttpMethod.Get, mock.GatewayUrl + "/");
            request.Headers.TryAddWithoutValidation("OpenSandbox-Ingress-To", link);
            using (HttpResponseMessage r = Http.Client.SendAsync(request).Result)
            {
                IEnumerable<string> reason;
                return Tuple.Create((int)r.StatusCode, r.Headers.TryGetValues("X-Sandgate-Reason", out reason) ? reason.First() : "");
            }
        }

        [Test]
        public void Rotation_OnTheMock()
        {
            string a = "a=" + SecretA, b = "b=" + SecretB;
            using (MockServer mock = MockServer.Start())
            using (SandgateClient c = Mock.Admin(mock, o => o.Cache = CacheOptions.Off))
            {
                Push(mock, a, "a");
                string id = c.CreateSandboxAsync("python:3.11", true, null, TimeSpan.FromDays(1)).Result.Id;
                Func<TimeSpan, string, string> link = (ttl, key) =>
                {
                    Endpoint e = c.GetEndpointAsync(id, 8080, EndpointMode.SignedFor(ttl)).Result;
                    Assert.AreEqual(key, e.Route.KeyId);
                    return e.Headers["OpenSandbox-Ingress-To"];
                };
                string linkA = link(TimeSpan.FromHours(1), "a");
                Push(mock, a + "," + b, "a"); // add b
                Push(mock, a + "," + b, "b"); // activate b
                ulong activated = mock.Now();
                string linkB = link(TimeSpan.FromHours(12), "b");
                Assert.AreEqual(200, ThroughGateway(mock, linkA).Item1, "a link, both keys");
                Assert.AreEqual(200, ThroughGateway(mock, linkB).Item1, "b link, both keys");

                mock.Advance(2 * 3600); // the last a link has expired
                Push(mock, b, "b");     // retire a
                Assert.AreEqual(Tuple.Create(401, "expired"), ThroughGateway(mock, linkA));
                Assert.AreEqual(200, ThroughGateway(mock, linkB).Item1, "b link after retiring a");
                Assert.AreEqual(b, mock.SigningKeys.Expose());
                // The key itself is gone: back when the a link was valid, it answers unknown_key.
                mock.SetNow(activated + 10);
                Assert.AreEqual(Tuple.Create(401, "unknown_key"), ThroughGateway(mock, linkA));
                Assert.AreEqual(200, ThroughGateway(mock, linkB).Item1);

                // A local verifier given the new keys verifies a b link it refused before.
                using (SigningKeys onlyA = Ring(a, "a"))
                using (SigningKeys both = Ring(a + "," + b, "b"))
                using (var v = new RouteVerifier(onlyA))
                {
                    ulong now = mock.Now();
                    var denied = Expect.Throws<AccessDeniedException>(() => v.Verify(linkB, now));
                    Assert.AreEqual(DenyReason.UnknownKey, denied.Reason);
                    v.ReplaceKeys(both);
                    Assert.AreEqual("b", v.Verify(linkB, now).KeyId);
                    Assert.Throws<ArgumentNullException>(() => v.ReplaceKeys(null));
                }
            }
        }

        [Test]
        public void Rotation_GatewayReplaceKeys()
        {
            var link = new[] { new KeyValuePair<string, string>("OpenSandbox-Ingress-To", "sbx-001-8080-x2qxvk-0ff8cd39a") }; // signed with a
            using (SigningKeys onlyB = Ring("b=" + SecretB, "b"))
            using (SigningKeys onlyA = Ring("a=" + SecretA, "a"))
            using (var g = new Gateway(new GatewayOptions { Keys = onlyB, Now = 1900000000 }))
            {
                GatewayVerdict before = g.Check("/", link);
                Assert.IsFalse(before.Allowed);
                Assert.AreEqual("unknown_key", before.Reason);
                g.ReplaceKeys(onlyA);
                Assert.IsTrue(g.Check("/", link).Allowed);
            }
        }
    }
}
