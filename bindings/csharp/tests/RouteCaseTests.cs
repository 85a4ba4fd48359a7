// sdk-tests/cases/parse.json and access.json: access decisions through RouteVerifier.Decide.
using System.Collections.Generic;
using NUnit.Framework;
using Sandgate.Native;

namespace Sandgate.Tests
{
    internal static class RouteChecks
    {
        /// <summary>Compares an allowed decision's route, path and query with the expected facts.</summary>
        public static void AllowedRoute(AccessDecision d, IDictionary<string, object> want)
        {
            Assert.IsNotNull(d.Route, "an allowed decision has a route: " + d);
            Assert.AreEqual(want.Str("sandbox_id"), d.Route.SandboxId);
            Assert.AreEqual(want.Int("port"), d.Route.Port);
            string expires = want.Str("expires");
            Assert.AreEqual(expires != null, d.Route.IsSigned, "signed");
            if (expires != null)
            {
                Assert.AreEqual(ulong.Parse(expires), d.Route.Expires);
            }
            else
            {
                Assert.IsNull(d.Route.Expires);
            }
            if (want.Has("key_id"))
            {
                Assert.AreEqual(want.Str("key_id"), d.Route.KeyId);
            }
            if (want.Has("path"))
            {
                Assert.AreEqual(want.Str("path"), d.Path);
            }
            if (want.Has("query"))
            {
                Assert.AreEqual(want.Str("query"), d.Query, "query (null = none)");
            }
            Assert.IsNull(d.Error);
            Assert.AreEqual(DenyReason.None, d.Reason);
            Assert.IsNull(d.ReasonCode);
            d.ThrowIfDenied();
        }

        /// <summary>Checks a denial and the exception it carries.</summary>
        public static void Denied(AccessDecision d, string reason, int status)
        {
            Assert.IsFalse(d.Allowed, d.ToString());
            Assert.AreEqual(reason, d.ReasonCode);
            Assert.AreEqual(status, d.Status);
            Assert.IsNull(d.Route);
            Assert.IsNull(d.GrantCode);
            Assert.AreEqual(Grant.None, d.Grant);
            Assert.IsNotEmpty(d.Detail);
            Assert.IsNotNull(d.Error);
            Assert.AreEqual(ErrorKind.AccessDenied, d.Error.Kind);
            Assert.AreEqual(reason, d.Error.ReasonCode);
            Assert.AreEqual(d.Reason, d.Error.Reason);
            Assert.AreEqual(status, d.Error.Status);
            var thrown = Expect.Throws<AccessDeniedException>(d.ThrowIfDenied);
            Assert.AreSame(d.Error, thrown);
        }
    }

    [TestFixture]
    public class ParseTests
    {
        private static readonly IDictionary<string, object> File = Cases.Load("parse");

        public static IEnumerable<TestCaseData> All()
        {
            return Cases.Named("Parse_Cases", File.Arr("cases"), (c, i) => c.Str("name"));
        }

        [Test]
        public void Parse_FileHasCases()
        {
            Assert.Greater(File.Arr("cases").Count, 10);
        }

        [TestCaseSource("All")]
        public void Parse_Cases(IDictionary<string, object> c)
        {
            var request = new AccessRequest();
            string input = c.Str("input");
            switch (c.Str("form"))
            {
                case "token":
                    request.IngressTo = input;
                    break;
                case "host":
                    request.Host = input;
                    request.Path = "/";
                    break;
                case "path":
                    request.Path = input;
                    break;
                default:
                    Assert.Fail("unknown form " + c.Str("form"));
                    break;
            }
            IDictionary<string, object> want = c.Obj("expect");
            using (var keys = SigningKeys.FromFlag(""))
            using (var verifier = new RouteVerifier(keys))
            {
                AccessDecision d = verifier.Decide(request, null, 0);
                if (want.Bool("ok"))
                {
                    Assert.IsTrue(d.Allowed, d.ToString());
                    Assert.AreEqual(200, d.Status);
                    Assert.AreEqual("open", d.GrantCode);
                    Assert.AreEqual(Grant.Open, d.Grant);
                    RouteChecks.AllowedRoute(d, want);
                }
                else
                {
                    RouteChecks.Denied(d, want.Str("reason"), 400);
                    Assert.AreEqual(DenyReason.Malformed, d.Reason);
                }
            }
        }
    }

    [TestFixture]
    public class AccessTests
    {
        private static readonly IDictionary<string, object> File = Cases.Load("access");

        public static IEnumerable<TestCaseData> All()
        {
            return Cases.Named("Access_Cases", File.Arr("cases"), (c, i) => c.Str("name"));
        }

        [Test]
        public void Access_FileHasCases()
        {
            Assert.Greater(File.Arr("cases").Count, 10);
        }

        [Test]
        public void Access_VerifyReturnsTheSandboxIdOfAnyToken()
        {
            using (SigningKeys keys = SigningKeys.FromFlag("a=bXktdGVzdC1zZWNyZXQ="))
            using (var signer = new RouteSigner(keys, "a"))
            using (var verifier = new RouteVerifier(keys))
            {
                // ASCII, non-ASCII (UTF-8 offsets differ from UTF-16 ones) and longer than the stack buffer.
                foreach (string id in new[] { "sbx-001", "sbx-\u00e9t\u00e9-\u6c99\u7bb1-\U0001F512", "long-" + new string('x', 400) })
                {
                    SignedRoute route = signer.Sign(id, 443, 2000000000UL);
                    RouteInfo info = verifier.Verify(route.Token, 1900000000UL);
                    Assert.AreEqual(id, info.SandboxId);
                    Assert.AreEqual(443, info.Port);
                    Assert.AreEqual("a", info.KeyId);
                }
                var empty = Expect.Throws<AccessDeniedException>(() => verifier.Verify("", 0));
                Assert.AreEqual(DenyReason.Malformed, empty.Reason, "an empty token is present and malformed, not absent");
                Expect.Throws<InvalidArgumentException>(() => verifier.Verify(null, 0));
                Expect.Throws<InvalidArgumentException>(() => verifier.Verify("sbx-\uDC00-80", 0));
            }
        }

        [TestCaseSource("All")]
        public void Access_Cases(IDictionary<string, object> c)
        {
            IDictionary<string, object> r = c.Obj("request");
            var request = new AccessRequest
            {
                IngressTo = r.Str("ingress_to"),
                Host = r.Str("host"),
                Path = r.Str("path"),
                SecureAccess = r.Str("secure_access"),
            };
            IDictionary<string, object> sandbox = c.Obj("sandbox");
            string accessToken = sandbox.Bool("secure") ? sandbox.Str("access_token") : null;
            IDictionary<string, object> want = c.Obj("expect");
            using (var keys = SigningKeys.FromFlag(c.Str("keys")))
            using (var verifier = new RouteVerifier(keys))
            {
                AccessDecision d = verifier.Decide(request, accessToken, c.U64("now"));
                if (want.Bool("allowed"))
                {
                    Assert.IsTrue(d.Allowed, d.ToString());
                    Assert.AreEqual(want.Int("status"), d.Status);
                    Assert.AreEqual(want.Str("grant"), d.GrantCode);
                    Assert.AreEqual(want.Str("grant"), Codes.Grants[(int)d.Grant]);
                    RouteChecks.AllowedRoute(d, want);
                }
                else
                {
                    RouteChecks.Denied(d, want.Str("reason"), (int)want.Int("status"));
                }
                if (!string.IsNullOrEmpty(request.SecureAccess))
                {
                    StringAssert.EndsWith("SecureAccess: ***)", request.ToString());
                }
            }
        }
    }
}
