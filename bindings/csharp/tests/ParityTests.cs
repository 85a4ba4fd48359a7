// Issue 18 in C#: the shared retry and cache tables through ClientRules, and the client's
// endpoint modes, cache, server clock and retry hook against the mock.
using System;
using System.Collections.Concurrent;
using System.Collections.Generic;
using System.Linq;
using System.Threading.Tasks;
using NUnit.Framework;

namespace Sandgate.Tests
{
    [TestFixture]
    public class RetryCacheCaseTests
    {
        private static readonly IDictionary<string, object> RetryFile = Cases.Load("retry");
        private static readonly IDictionary<string, object> CacheFile = Cases.Load("cache");

        public static IEnumerable<TestCaseData> RetryAll()
        {
            return Cases.Named("Retry_Cases", RetryFile.Arr("cases"), (c, i) => c.Str("name"));
        }

        public static IEnumerable<TestCaseData> CacheAll()
        {
            return Cases.Named("Cache_Cases", CacheFile.Arr("cases"), (c, i) => c.Str("name"));
        }

        private static TimeSpan? Ms(IDictionary<string, object> o, string key)
        {
            object v = o.Get(key);
            return v == null ? (TimeSpan?)null : TimeSpan.FromMilliseconds((long)v);
        }

        private static IList<int> Statuses(IDictionary<string, object> o, string key)
        {
            return o.Has(key) ? o.Arr(key).Select(x => (int)(long)x).ToList() : null;
        }

        [Test]
        public void Retry_FilesHaveCases()
        {
            Assert.Greater(RetryFile.Arr("cases").Count, 40);
            Assert.Greater(CacheFile.Arr("cases").Count, 10);
        }

        [TestCaseSource("RetryAll")]
        public void Retry_Cases(IDictionary<string, object> c)
        {
            IDictionary<string, object> p = c.Obj("policy"), a = c.Obj("attempt"), want = c.Obj("expect");
            var options = new RetryOptions
            {
                MaxRetries = p.Has("max_retries") ? (int?)(long)p.Get("max_retries") : null,
                InitialBackoff = Ms(p, "initial_backoff_ms"),
                MaxBackoff = Ms(p, "max_backoff_ms"),
                Multiplier = p.Has("multiplier") ? Convert.ToDouble(p.Get("multiplier")) : (double?)null,
                RetryStatuses = Statuses(p, "retry_statuses"),
                PostRetryStatuses = Statuses(p, "post_retry_statuses"),
                AttemptTimeout = Ms(p, "attempt_timeout_ms"),
                Deadline = Ms(p, "deadline_ms"),
            };
            var q = new RetryQuery
            {
                Method = a.Str("method"),
                Outcome = a.Str("outcome"),
                Status = a.Get("status") == null ? (int?)null : (int)a.Int("status"),
                Attempt = (int)a.Int("attempt"),
                PrevDelay = Ms(a, "prev_delay_ms"),
                RetryAfter = a.Str("retry_after"),
                Now = a.Get("now") == null ? (ulong?)null : a.U64("now"),
                Elapsed = TimeSpan.FromMilliseconds(a.Int("elapsed_ms")),
            };
            if (want.Has("error"))
            {
                var e = Expect.Throws<SandgateException>(() => ClientRules.DecideRetry(options, q));
                Assert.AreEqual(want.Str("error"), e.KindCode, e.Message);
                return;
            }
            RetryDecision d = ClientRules.DecideRetry(options, q);
            Assert.AreEqual(want.Bool("retry"), d.Retry, d.ToString());
            Assert.AreEqual(want.Str("verdict"), d.Verdict);
            Assert.AreEqual(TimeSpan.FromMilliseconds(want.Int("min_delay_ms")), d.MinDelay);
            Assert.AreEqual(TimeSpan.FromMilliseconds(want.Int("max_delay_ms")), d.MaxDelay);
            Assert.AreEqual(want.Bool("retryable"), d.IsRetryable);
        }

        [TestCaseSource("CacheAll")]
        public void Cache_Cases(IDictionary<string, object> c)
        {
            IDictionary<string, object> p = c.Obj("policy"), want = c.Obj("expect");
            var options = new CacheOptions
            {
                Enabled = p.Has("enabled") ? (bool?)p.Bool("enabled") : null,
                MaxEntries = p.Has("max_entries") ? (long?)p.Int("max_entries") : null,
                Ttl = Ms(p, "ttl_ms"),
                Margin = Ms(p, "margin_ms"),
            };
            ulong? signed = c.Get("signed_expires") == null ? (ulong?)null : c.U64("signed_expires");
            if (want.Has("error"))
            {
                var e = Expect.Throws<SandgateException>(() => ClientRules.DecideCache(options, signed, c.U64("fetched_at_ms"), c.U64("now_ms")));
                Assert.AreEqual(want.Str("error"), e.KindCode, e.Message);
                return;
            }
            Freshness f = ClientRules.DecideCache(options, signed, c.U64("fetched_at_ms"), c.U64("now_ms"));
            Assert.AreEqual(want.Bool("fresh"), f.Fresh, f.ToString());
            Assert.AreEqual(want.U64("until_ms"), f.UntilMs);
        }
    }

    [TestFixture]
    public class EndpointParityTests
    {
        private static string SecureSandbox(SandgateClient c)
        {
            return c.CreateSandboxAsync("python:3.11", true).Result.Id;
        }

        private static int EndpointRequests(MockServer mock)
        {
            return mock.Requests().Count(r => r.Path.Contains("/endpoints/"));
        }

        [Test]
        public void Endpoint_ModesKindsAndOrigin()
        {
            using (MockServer mock = MockServer.Start(endpointOrigin: "https://origin.example"))
            using (SandgateClient c = Mock.Admin(mock))
            {
                string key = mock.AdminKey.Expose();
                string id = SecureSandbox(c);
                var modes = new[]
                {
                    Tuple.Create(EndpointMode.Direct, EndpointKind.Direct, false),
                    Tuple.Create(EndpointMode.ServerProxy, EndpointKind.ServerProxy, true),
                    Tuple.Create(EndpointMode.SignedFor(TimeSpan.FromMinutes(1)), EndpointKind.Signed, false),
                    Tuple.Create(EndpointMode.SignedUntil(DateTimeOffset.UtcNow.AddHours(1)), EndpointKind.Signed, false),
                };
                foreach (var m in modes)
                {
                    Endpoint e = c.GetEndpointAsync(id, 8080, m.Item1).Result;
                    Assert.AreEqual(m.Item2, e.Kind, m.Item1.ToString());
                    Assert.AreEqual(m.Item3, e.Headers.Values.Contains(key), m.Item1 + ": carries the API key");
                    Assert.AreEqual("https://origin.example", e.Origin);
                    Assert.AreEqual(m.Item2 == EndpointKind.Signed, e.Route != null && e.Route.IsSigned);
                    Expect.NoSecret(e.ToString(), key);
                }
                Assert.AreEqual(EndpointKind.Direct, c.GetEndpointAsync(id, 8080).Result.Kind, "the old name still works");
                var ex = Assert.Throws<AggregateException>(() => c.GetEndpointAsync(id, 8080, (EndpointMode)null).Wait());
                Assert.IsInstanceOf<InvalidArgumentException>(ex.InnerException);
            }
        }

        [Test]
        public void Endpoint_ShareableUrl()
        {
            foreach (string mode in new[] { "wildcard", "uri" })
            {
                using (MockServer mock = MockServer.Start(mode))
                using (SandgateClient c = Mock.Admin(mock))
                {
                    Endpoint e = c.GetEndpointAsync(SecureSandbox(c), 8080, EndpointMode.SignedFor(TimeSpan.FromMinutes(1))).Result;
                    string url = e.ShareableUrl("/files?x=1");
                    StringAssert.Contains("/files?x=1", url, mode);
                    StringAssert.Contains(e.Route.SandboxId, url, mode);
                    Assert.IsTrue(Uri.IsWellFormedUriString(url, UriKind.Absolute), url);
                }
            }
            using (MockServer mock = MockServer.Start("header"))
            using (SandgateClient c = Mock.Admin(mock))
            {
                Endpoint e = c.GetEndpointAsync(SecureSandbox(c), 8080, EndpointMode.SignedFor(TimeSpan.FromMinutes(1))).Result;
                var ex = Expect.Throws<InvalidArgumentException>(() => e.ShareableUrl("/"));
                StringAssert.Contains("OpenSandbox-Ingress-To", ex.Message);
            }
        }

        [Test]
        public void Endpoint_CacheFiftyConcurrentCallsSendOneRequest()
        {
            using (MockServer mock = MockServer.Start())
            using (SandgateClient c = Mock.Admin(mock))
            {
                string id = SecureSandbox(c);
                int before = EndpointRequests(mock);
                Task<Endpoint>[] calls = Enumerable.Range(0, 50)
                    .Select(_ => Task.Run(() => c.GetEndpointAsync(id, 8080, EndpointMode.SignedFor(TimeSpan.FromMinutes(5)))))
                    .ToArray();
                Task.WaitAll(calls);
                Assert.AreEqual(1, calls.Select(t => t.Result.Headers["OpenSandbox-Ingress-To"]).Distinct().Count());
                Assert.AreEqual(1, EndpointRequests(mock) - before, "50 concurrent calls, one request");
            }
            using (MockServer mock = MockServer.Start())
            using (SandgateClient c = Mock.Admin(mock, o => o.Cache = CacheOptions.Off))
            {
                string id = SecureSandbox(c);
                int before = EndpointRequests(mock);
                for (int i = 0; i < 3; i++)
                {
                    c.GetEndpointAsync(id, 8080, EndpointMode.Direct).Wait();
                }
                Assert.AreEqual(3, EndpointRequests(mock) - before, "cache off");
            }
        }

        [Test]
        public void Endpoint_CacheInvalidatedByPauseResumeAndDelete()
        {
            using (MockServer mock = MockServer.Start())
            using (SandgateClient c = Mock.Admin(mock))
            {
                string id = SecureSandbox(c);
                Action get = () => c.GetEndpointAsync(id, 8080, EndpointMode.Direct).Wait();
                get();
                int n0 = EndpointRequests(mock);
                get();
                Assert.AreEqual(n0, EndpointRequests(mock), "served from the cache");
                c.PauseSandboxAsync(id).Wait();
                get();
                Assert.AreEqual(n0 + 1, EndpointRequests(mock), "pause invalidates");
                c.ResumeSandboxAsync(id).Wait();
                get();
                Assert.AreEqual(n0 + 2, EndpointRequests(mock), "resume invalidates");
                c.DeleteSandboxAsync(id).Wait();
                var ex = Assert.Throws<AggregateException>(() => get());
                Assert.IsInstanceOf<ApiException>(ex.InnerException);
                Assert.AreEqual(n0 + 3, EndpointRequests(mock), "delete invalidates");
            }
        }

        [Test]
        public void Endpoint_TtlOnTheServerClock()
        {
            using (MockServer mock = MockServer.Start())
            using (SandgateClient c = Mock.Admin(mock))
            {
                mock.SetNow((ulong)DateTimeOffset.UtcNow.ToUnixTimeSeconds() + 3600);
                Endpoint e = c.GetEndpointAsync(SecureSandbox(c), 8080, EndpointMode.SignedFor(TimeSpan.FromSeconds(60))).Result;
                ulong now = mock.Now();
                Assert.IsNotNull(e.Route);
                Assert.LessOrEqual(e.Route.Expires.Value, now + 60);
                Assert.GreaterOrEqual(e.Route.Expires.Value + 2, now + 60);
            }
        }

        [Test]
        public void Retry_HookSeesRetriesAndPostIsNotResent()
        {
            using (MockServer mock = MockServer.Start())
            {
                var events = new ConcurrentQueue<RetryEvent>();
                using (SandgateClient c = Mock.Admin(mock, o =>
                {
                    o.Retry = new RetryOptions { InitialBackoff = TimeSpan.FromMilliseconds(1), MaxBackoff = TimeSpan.FromMilliseconds(2) };
                    o.OnRetry = events.Enqueue;
                }))
                {
                    string id = SecureSandbox(c);
                    mock.SetFaults(new MockFaults { FailNext = 2, Status = 503 });
                    c.GetSandboxAsync(id).Wait();
                    RetryEvent[] seen = events.ToArray();
                    Assert.AreEqual(2, seen.Length);
                    Assert.AreEqual(1, seen[0].Attempt);
                    Assert.AreEqual(2, seen[1].Attempt);
                    Assert.AreEqual(503, seen[0].Cause.Status);
                    Assert.IsTrue(seen[0].Cause.IsRetryable);

                    while (events.TryDequeue(out _))
                    {
                    }
                    mock.SetFaults(new MockFaults { FailNext = 1, Status = 503 });
                    int posts = mock.Requests().Count(r => r.Method == "POST");
                    var ex = Assert.Throws<AggregateException>(() => c.CreateSandboxAsync("python:3.11").Wait());
                    var api = (ApiException)ex.InnerException;
                    Assert.AreEqual(503, api.Status);
                    Assert.IsFalse(api.IsRetryable);
                    Assert.AreEqual(posts + 1, mock.Requests().Count(r => r.Method == "POST"), "the POST was sent once");
                    Assert.IsEmpty(events);
                }
                // One retry after the server's Retry-After (1 s); the second 429 is the error.
                mock.SetFaults(new MockFaults { FailNext = 2, Status = 429, RetryAfter = 1 });
                using (SandgateClient once = Mock.Admin(mock, o => o.Retry = new RetryOptions { MaxRetries = 1 }))
                {
                    var ex = Assert.Throws<AggregateException>(() => once.ListSandboxesAsync().Wait());
                    var api = (ApiException)ex.InnerException;
                    Assert.AreEqual(429, api.Status);
                    Assert.IsTrue(api.IsRetryable);
                    Assert.AreEqual(TimeSpan.FromSeconds(1), api.RetryAfter);
                }
            }
        }
    }
}
