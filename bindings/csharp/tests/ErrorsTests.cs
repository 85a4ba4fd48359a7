// sdk-tests/cases/errors.json through SandgateClient, and how errors surface in .NET.
using System;
using System.Collections.Generic;
using System.IO;
using System.Linq;
using System.Net;
using System.Net.Sockets;
using System.Threading.Tasks;
using NUnit.Framework;

namespace Sandgate.Tests
{
    [TestFixture]
    public class ErrorsTests
    {
        private static readonly IDictionary<string, object> File = Cases.Load("errors");

        /// <summary>The exception class of each kind code.</summary>
        private static readonly Dictionary<string, Type> Classes = new Dictionary<string, Type>
        {
            { "invalid_argument", typeof(InvalidArgumentException) },
            { "invalid_config", typeof(InvalidConfigException) },
            { "access_denied", typeof(AccessDeniedException) },
            { "api", typeof(ApiException) },
            { "timeout", typeof(RequestTimeoutException) },
            { "transport", typeof(TransportException) },
            { "decode", typeof(DecodeException) },
            { "cancelled", typeof(CancelledException) },
            { "internal", typeof(InternalException) },
        };

        /// <summary>The ErrorKind of each kind code.</summary>
        private static readonly Dictionary<string, ErrorKind> Kinds = new Dictionary<string, ErrorKind>
        {
            { "invalid_argument", ErrorKind.InvalidArgument },
            { "invalid_config", ErrorKind.InvalidConfig },
            { "access_denied", ErrorKind.AccessDenied },
            { "api", ErrorKind.Api },
            { "timeout", ErrorKind.Timeout },
            { "transport", ErrorKind.Transport },
            { "decode", ErrorKind.Decode },
            { "cancelled", ErrorKind.Cancelled },
            { "internal", ErrorKind.Internal },
        };

        public static IEnumerable<TestCaseData> All()
        {
            return Cases.Named("Errors_Cases", File.Arr("cases"), (c, i) => c.Str("name"));
        }

        private static int ClosedPort()
        {
            var l = new TcpListener(IPAddress.Loopback, 0);
            l.Start();
            int port = ((IPEndPoint)l.LocalEndpoint).Port;
            l.Stop();
            return port;
        }

        private static SandgateClientOptions Options(MockServer mock, IDictionary<string, object> c)
        {
            var o = new SandgateClientOptions { Domain = mock.Domain, IgnoreEnvironment = true };
            switch (c.Str("as"))
            {
                case "admin":
                    o.ApiKey = mock.AdminKey.Expose();
                    break;
                case "bad_key":
                    o.ApiKey = "osk_not_a_real_key";
                    break;
                case "read_only_user":
                case "operator_user":
                    o.Headers["X-OpenSandbox-User"] = "errors-user";
                    o.Headers["X-OpenSandbox-Roles"] = c.Str("as").Replace("_user", "");
                    break;
                case "anonymous":
                case null:
                    break;
                default:
                    Assert.Fail("unknown principal " + c.Str("as"));
                    break;
            }
            IDictionary<string, object> client = c.Obj("client") ?? new Dictionary<string, object>();
            if (client.Has("timeout_ms"))
            {
                o.Timeout = TimeSpan.FromMilliseconds(client.Int("timeout_ms"));
            }
            if (client.Has("retry") && !client.Bool("retry"))
            {
                o.Retry = new RetryOptions { MaxRetries = 0 };
            }
            if (client.Bool("closed_port"))
            {
                o.Domain = "127.0.0.1:" + ClosedPort();
            }
            if (client.Has("protocol"))
            {
                o.Protocol = client.Str("protocol");
            }
            if (client.Has("domain"))
            {
                o.Domain = client.Str("domain");
            }
            return o;
        }

        private static Task Run(SandgateClient client, IDictionary<string, object> c)
        {
            IDictionary<string, object> a = c.Obj("args") ?? new Dictionary<string, object>();
            int port = a.Has("port") ? (int)a.Int("port") : 0;
            switch (c.Str("op"))
            {
                case "get_sandbox":
                    return client.GetSandboxAsync(a.Str("sandbox_id"));
                case "get_endpoint":
                    return client.GetEndpointAsync(a.Str("sandbox_id"), port);
                case "get_signed_endpoint":
                    return client.GetSignedEndpointAsync(a.Str("sandbox_id"), port, DateTimeOffset.FromUnixTimeSeconds((long)a.U64("expires")));
                case "create_sandbox":
                    return client.CreateSandboxAsync(a.Str("image"));
                case "list_sandboxes":
                    return client.ListSandboxesAsync();
                case "create_api_key":
                    return client.CreateApiKeyAsync(null, a.Has("expires_at") ? DateTimeOffset.FromUnixTimeSeconds((long)a.U64("expires_at")) : (DateTimeOffset?)null);
                case "revoke_api_key":
                    return client.RevokeApiKeyAsync(a.Str("key_id"));
                case "renew_sandbox":
                    return a.Has("ttl_seconds")
                        ? client.RenewSandboxAsync(a.Str("sandbox_id"), TimeSpan.FromSeconds(a.Int("ttl_seconds")))
                        : client.RenewSandboxAsync(a.Str("sandbox_id"), DateTimeOffset.FromUnixTimeSeconds((long)a.U64("expires")));
            }
            Assert.Fail("unknown op " + c.Str("op"));
            return null;
        }

        [Test]
        public void Errors_FileHasCases()
        {
            Assert.Greater(File.Arr("cases").Count, 10);
        }

        [TestCaseSource("All")]
        public void Errors_Cases(IDictionary<string, object> c)
        {
            IDictionary<string, object> want = c.Obj("expect");
            using (MockServer mock = MockServer.Start("header", true))
            {
                IDictionary<string, object> fault = c.Obj("fault");
                if (fault != null)
                {
                    mock.SetFaults(new MockFaults
                    {
                        FailNext = fault.Has("fail_next") ? fault.Int("fail_next") : 0,
                        Status = fault.Has("status") ? fault.Int("status") : 0,
                        RetryAfter = fault.Has("retry_after") ? fault.Int("retry_after") : (long?)null,
                        Latency = TimeSpan.FromMilliseconds(fault.Has("latency_ms") ? fault.Int("latency_ms") : 0),
                        CorruptNext = fault.Has("corrupt_next") ? fault.Int("corrupt_next") : 0,
                    });
                }
                SandgateClientOptions options = Options(mock, c);
                SandgateException e;
                if (c.Str("op") == "build_client")
                {
                    e = Expect.Throws<SandgateException>(() => new SandgateClient(options).Dispose());
                }
                else
                {
                    using (var client = new SandgateClient(options))
                    {
                        Task call = Run(client, c);
                        if (want.Bool("ok"))
                        {
                            call.GetAwaiter().GetResult();
                            return;
                        }
                        e = Expect.Throws<SandgateException>(() => call.GetAwaiter().GetResult());
                        Assert.IsTrue(call.IsFaulted);
                    }
                }
                string kind = want.Str("kind");
                Assert.AreEqual(kind, e.KindCode, e.Message);
                Assert.AreEqual(Kinds[kind], e.Kind);
                Assert.IsInstanceOf(Classes[kind], e);
                if (want.Has("status"))
                {
                    Assert.AreEqual((int)want.Int("status"), e.Status);
                }
                if (want.Has("code"))
                {
                    Assert.AreEqual(want.Str("code"), e.Code, "server code (null = none)");
                }
                if (want.Bool("request_id"))
                {
                    Assert.IsNotEmpty(e.RequestId);
                    StringAssert.Contains(e.RequestId, e.ToString());
                }
                if (want.Bool("no_request"))
                {
                    Assert.IsEmpty(mock.Requests(), "the mock received a request");
                }
                Assert.IsNotEmpty(e.Message);
                StringAssert.Contains(e.Message, e.ToString());
                Expect.NoSecret(e.ToString(), mock.AdminKey.Expose());
            }
        }

        [Test]
        public void Errors_EveryDenyReasonFromTheCore()
        {
            using (var keys = SigningKeys.FromFlag("a=bXktdGVzdC1zZWNyZXQ="))
            using (var none = SigningKeys.FromFlag(""))
            using (var v = new RouteVerifier(keys))
            using (var empty = new RouteVerifier(none))
            {
                const string token = "sbx-001-8080-x2qxvk-0ff8cd39a";
                var got = new Dictionary<DenyReason, AccessDeniedException>
                {
                    { DenyReason.Malformed, Expect.Throws<AccessDeniedException>(() => v.Verify("sbx-001-8080-x2qxvk", 0)) },
                    { DenyReason.Expired, Expect.Throws<AccessDeniedException>(() => v.Verify(token, 2000000001)) },
                    { DenyReason.UnknownKey, Expect.Throws<AccessDeniedException>(() => v.Verify("sbx-001-8080-x2qxvk-0ff8cd39b", 0)) },
                    { DenyReason.BadSignature, Expect.Throws<AccessDeniedException>(() => v.Verify("sbx-001-8080-x2qxvk-0ff8cd31a", 0)) },
                    { DenyReason.CredentialRequired, Expect.Throws<AccessDeniedException>(() => v.Verify("sbx1-8080", 0)) },
                    { DenyReason.NotConfigured, Expect.Throws<AccessDeniedException>(() => empty.Verify(token, 0)) },
                    { DenyReason.HeaderMismatch, v.Decide(new AccessRequest { IngressTo = token, SecureAccess = "" }, "tok", 0).Error },
                };
                var statuses = new Dictionary<DenyReason, int>
                {
                    { DenyReason.Malformed, 400 }, { DenyReason.Expired, 401 }, { DenyReason.UnknownKey, 401 },
                    { DenyReason.BadSignature, 401 }, { DenyReason.CredentialRequired, 401 }, { DenyReason.NotConfigured, 503 },
                    { DenyReason.HeaderMismatch, 401 },
                };
                foreach (var pair in got)
                {
                    AccessDeniedException e = pair.Value;
                    Assert.IsNotNull(e, pair.Key.ToString());
                    Assert.AreEqual(pair.Key, e.Reason);
                    Assert.AreEqual(ErrorKind.AccessDenied, e.Kind);
                    Assert.AreEqual("access_denied", e.KindCode);
                    Assert.AreEqual(statuses[pair.Key], e.Status, pair.Key.ToString());
                    StringAssert.Contains(e.ReasonCode, e.ToString());
                    Assert.IsNull(e.Code);
                    Assert.IsNull(e.RequestId);
                }
                // The enum's names are the core's codes in PascalCase.
                foreach (var pair in got)
                {
                    Assert.AreEqual(pair.Key.ToString().ToLowerInvariant(), pair.Value.ReasonCode.Replace("_", ""));
                }
            }
        }

        [Test]
        public void Errors_LoneSurrogateIsInvalidArgument()
        {
            string bad = "sbx-\uD800-80";
            var e = Expect.Throws<InvalidArgumentException>(() => ApiKeys.Hash(bad));
            StringAssert.Contains("raw", e.Message);
            StringAssert.Contains("surrogate", e.Message);
            Expect.Throws<InvalidArgumentException>(() => SigningKeys.FromFlag("a=" + bad));
            using (MockServer mock = MockServer.Start())
            using (SandgateClient client = Mock.Admin(mock))
            {
                Task<Endpoint> call = client.GetEndpointAsync(bad, 80);
                Assert.IsTrue(call.IsFaulted, "the task carries the error");
                Expect.Throws<InvalidArgumentException>(() => call.GetAwaiter().GetResult());
                Expect.Throws<InvalidArgumentException>(() => Mock.Admin(mock, o => o.Headers["X-Bad"] = bad));
                Assert.IsEmpty(mock.Requests());
            }
        }

        [Test]
        public void Errors_NullArgumentsAreRejectedByTheCore()
        {
            var e = Expect.Throws<InvalidArgumentException>(() => SigningKeys.FromFlag(null));
            StringAssert.Contains("NULL", e.Message);
            Expect.Throws<InvalidArgumentException>(() => ApiKeys.Hash(null));
            using (MockServer mock = MockServer.Start())
            using (SandgateClient client = Mock.Admin(mock))
            {
                Expect.Throws<InvalidArgumentException>(() => client.GetSandboxAsync(null).GetAwaiter().GetResult());
                Expect.Throws<InvalidArgumentException>(() => client.CreateSandboxAsync(null).GetAwaiter().GetResult());
                Assert.IsEmpty(mock.Requests());
            }
            Assert.Throws<ArgumentNullException>(() => new RouteVerifier(null));
        }

        [Test]
        public void Errors_UseAfterDisposeIsObjectDisposed()
        {
            SigningKeys keys = SigningKeys.FromFlag("a=bXktdGVzdC1zZWNyZXQ=");
            var v = new RouteVerifier(keys);
            keys.Dispose();
            Assert.Throws<ObjectDisposedException>(() => new RouteSigner(keys, "a"));
            Assert.AreEqual("sbx-001", v.Verify("sbx-001-8080-x2qxvk-0ff8cd39a", 0).SandboxId, "the verifier owns a copy of the keys");
            v.Dispose();
            var e = Assert.Throws<ObjectDisposedException>(() => v.Verify("sbx-001-8080-x2qxvk-0ff8cd39a", 0));
            StringAssert.Contains("RouteVerifier", e.Message);

            MockServer mock = MockServer.Start();
            SandgateClient client = Mock.Admin(mock);
            client.Dispose();
            Task<IReadOnlyList<Sandbox>> call = client.ListSandboxesAsync();
            Assert.IsTrue(call.IsFaulted);
            Expect.Throws<ObjectDisposedException>(() => call.GetAwaiter().GetResult());
            mock.Dispose();
            Assert.Throws<ObjectDisposedException>(() => mock.Now());
        }

        [Test]
        public void Errors_MissingNativeLibraryNamesFileAndPlaces()
        {
            // A copy of Sandgate.dll and a small program, in a folder without libsandgate_ffi.so.
            string here = Path.GetDirectoryName(typeof(ErrorsTests).Assembly.Location);
            string dir = Path.Combine(Path.GetTempPath(), "sandgate-nolib-" + Guid.NewGuid().ToString("N"));
            Directory.CreateDirectory(dir);
            try
            {
                foreach (string f in new[] { "Sandgate.dll", "MissingLibraryProbe.exe" })
                {
                    System.IO.File.Copy(Path.Combine(here, f), Path.Combine(dir, f));
                }
                string output, errors;
                Assert.AreEqual(3, Programs.Mono(Path.Combine(dir, "MissingLibraryProbe.exe"), out output, out errors), output + errors);
                StringAssert.Contains("System.DllNotFoundException", output);
                StringAssert.Contains("libsandgate_ffi.so", output);
                StringAssert.Contains("next to Sandgate.dll in " + dir, output);
                StringAssert.Contains("directories of LD_LIBRARY_PATH (not set)", output);
                StringAssert.Contains("cargo build --release -p sandgate-ffi", output);
            }
            finally
            {
                Directory.Delete(dir, true);
            }
        }
    }
}
