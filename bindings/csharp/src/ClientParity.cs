// Issue 18 on the C# side: endpoint modes and kinds, cache options, the retry hook, and the
// client's two rules (retry, cache freshness) as functions. Every rule is the core's; this file
// converts.
using System;
using System.Collections.Generic;
using System.Runtime.InteropServices;
using Sandgate.Native;

namespace Sandgate
{
    /// <summary>How an endpoint reaches the sandbox (the values are the core's table order).</summary>
    public enum EndpointKind
    {
        /// <summary><c>direct</c>: the gateway's own endpoint, unsigned; never carries the API key.</summary>
        Direct = 0,

        /// <summary><c>server_proxy</c>: through the lifecycle server; its headers carry the API key.</summary>
        ServerProxy = 1,

        /// <summary><c>signed</c>: a signed route (OSEP-0011).</summary>
        Signed = 2,
    }

    /// <summary>The one explicit choice of <see cref="SandgateClient.GetEndpointAsync(string, int, EndpointMode, System.Threading.CancellationToken)"/>.</summary>
    public sealed class EndpointMode
    {
        private readonly string name;

        private EndpointMode(string name, bool serverProxy, SandgateExpiry expiry)
        {
            this.name = name;
            IsServerProxy = serverProxy;
            Expiry = expiry;
        }

        internal bool IsServerProxy { get; }

        internal SandgateExpiry Expiry { get; }

        /// <summary>The gateway's own, unsigned endpoint; its headers never carry the API key.</summary>
        public static readonly EndpointMode Direct = new EndpointMode("Direct", false, default(SandgateExpiry));

        /// <summary>Through the lifecycle server (<c>use_server_proxy=true</c>); its headers carry the client's API key.</summary>
        public static readonly EndpointMode ServerProxy = new EndpointMode("ServerProxy", true, default(SandgateExpiry));

        /// <summary>A signed endpoint whose route expires at <paramref name="expires"/> (whole seconds, in the future).</summary>
        public static EndpointMode SignedUntil(DateTimeOffset expires)
        {
            return new EndpointMode("SignedUntil(" + expires.ToUnixTimeSeconds() + ")", false, Sandgate.Expiry.At(UnixTime.Seconds(expires)));
        }

        /// <summary>A signed endpoint whose route expires <paramref name="ttl"/> from now on the server's clock (whole seconds, at least one).</summary>
        public static EndpointMode SignedFor(TimeSpan ttl)
        {
            return new EndpointMode("SignedFor(" + ttl + ")", false, Sandgate.Expiry.Ttl(ttl));
        }

        /// <inheritdoc/>
        public override string ToString()
        {
            return name;
        }
    }

    /// <summary>
    /// The endpoint cache (SPEC §2.1). Null keeps the core's default: on, 1024 entries, direct
    /// and server-proxy endpoints reused for 10 minutes, signed ones until 30 s before they expire.
    /// </summary>
    public sealed class CacheOptions
    {
        /// <summary>Whether endpoints are cached (default true).</summary>
        public bool? Enabled { get; set; }

        /// <summary>Most entries kept, least recently used first out (default 1024).</summary>
        public long? MaxEntries { get; set; }

        /// <summary>How long a direct or server-proxy endpoint is reused (default 10 minutes).</summary>
        public TimeSpan? Ttl { get; set; }

        /// <summary>How long before its expiry a signed endpoint stops being reused (default 30 s).</summary>
        public TimeSpan? Margin { get; set; }

        /// <summary>No caching.</summary>
        public static CacheOptions Off
        {
            get { return new CacheOptions { Enabled = false }; }
        }

        /// <inheritdoc/>
        public override string ToString()
        {
            return string.Format("CacheOptions(Enabled: {0}, MaxEntries: {1}, Ttl: {2}, Margin: {3})",
                (object)Enabled ?? "default", (object)MaxEntries ?? "default", (object)Ttl ?? "default", (object)Margin ?? "default");
        }

        internal SandgateCacheOptions ToNative()
        {
            var o = default(SandgateCacheOptions);
            if (Enabled.HasValue)
            {
                o.HasEnabled = 1;
                o.Enabled = Enabled.Value ? (byte)1 : (byte)0;
            }
            if (MaxEntries.HasValue)
            {
                if (MaxEntries < 0)
                {
                    throw Errors.Own(ErrorKind.InvalidConfig, "cache MaxEntries must not be negative, got " + MaxEntries);
                }
                o.HasMaxEntries = 1;
                o.MaxEntries = (ulong)MaxEntries.Value;
            }
            o.TtlMs = Span.Millis(Ttl, "cache Ttl", out o.HasTtlMs);
            o.MarginMs = Span.Millis(Margin, "cache Margin", out o.HasMarginMs);
            return o;
        }
    }

    /// <summary>What <see cref="SandgateClientOptions.OnRetry"/> is told before a retry sleeps.</summary>
    public sealed class RetryEvent
    {
        internal RetryEvent(int attempt, TimeSpan delay, SandgateException cause)
        {
            Attempt = attempt;
            Delay = delay;
            Cause = cause;
        }

        /// <summary>The attempt that failed, from 1; the next one is <c>Attempt + 1</c>.</summary>
        public int Attempt { get; }

        /// <summary>The wait before the next attempt.</summary>
        public TimeSpan Delay { get; }

        /// <summary>The failure (its <see cref="SandgateException.IsRetryable"/> is true).</summary>
        public SandgateException Cause { get; }

        /// <inheritdoc/>
        public override string ToString()
        {
            return string.Format("RetryEvent(attempt {0}, delay {1}, cause: {2})", Attempt, Delay, Cause.Message);
        }
    }

    /// <summary>The native on_retry hook: one static delegate for every client, the user's Action in a GCHandle.</summary>
    internal static unsafe class RetryHook
    {
        private static readonly SandgateRetryHook CallDelegate = OnRetry;
        private static readonly SandgateReleaseHook ReleaseDelegate = OnRelease;
        internal static readonly IntPtr Call = Marshal.GetFunctionPointerForDelegate(CallDelegate);
        internal static readonly IntPtr Release = Marshal.GetFunctionPointerForDelegate(ReleaseDelegate);

        private static void OnRetry(IntPtr userData, SandgateRetryEvent* e)
        {
            // Nothing may throw across the native frame.
            try
            {
                MonoThreads.DoNotWaitAtExit();
                var action = (Action<RetryEvent>)GCHandle.FromIntPtr(userData).Target;
                action(new RetryEvent((int)e->Attempt, Span.FromMillis(e->DelayMs), Errors.From(e->Cause)));
            }
            catch (Exception)
            {
                // The hook observes; its failure cannot fail the call.
            }
        }

        private static void OnRelease(IntPtr userData)
        {
            try
            {
                GCHandle.FromIntPtr(userData).Free();
            }
            catch (Exception)
            {
                // Not ours: cannot happen.
            }
        }
    }

    /// <summary>One failed attempt as the retry rule sees it (a row of <c>retry.json</c>).</summary>
    public sealed class RetryQuery
    {
        /// <summary>The request method.</summary>
        public string Method { get; set; }

        /// <summary>How it failed: <c>status</c>, <c>pre_send</c>, <c>post_send</c> or <c>timeout</c>.</summary>
        public string Outcome { get; set; }

        /// <summary>The status (outcome <c>status</c> only).</summary>
        public int? Status { get; set; }

        /// <summary>The attempt's number, from 1.</summary>
        public int Attempt { get; set; } = 1;

        /// <summary>The delay slept before it; null for the first attempt.</summary>
        public TimeSpan? PrevDelay { get; set; }

        /// <summary>The answer's <c>Retry-After</c> header as sent, or null.</summary>
        public string RetryAfter { get; set; }

        /// <summary>Unix seconds an HTTP-date <c>Retry-After</c> counts from; null: the clock.</summary>
        public ulong? Now { get; set; }

        /// <summary>The time since the first attempt started.</summary>
        public TimeSpan Elapsed { get; set; }
    }

    /// <summary>The retry rule's answer for one failed attempt.</summary>
    public sealed class RetryDecision
    {
        internal RetryDecision(bool retry, string verdict, TimeSpan min, TimeSpan max, bool retryable)
        {
            Retry = retry;
            Verdict = verdict;
            MinDelay = min;
            MaxDelay = max;
            IsRetryable = retryable;
        }

        /// <summary>Whether the attempt is retried.</summary>
        public bool Retry { get; }

        /// <summary><c>retry</c>, <c>not_retryable</c>, <c>exhausted</c> or <c>deadline</c>.</summary>
        public string Verdict { get; }

        /// <summary>The least wait before the next attempt (zero when not retried).</summary>
        public TimeSpan MinDelay { get; }

        /// <summary>The most wait before the next attempt (zero when not retried).</summary>
        public TimeSpan MaxDelay { get; }

        /// <summary>What the error of this attempt reports as <see cref="SandgateException.IsRetryable"/>.</summary>
        public bool IsRetryable { get; }

        /// <inheritdoc/>
        public override string ToString()
        {
            return string.Format("RetryDecision({0}, {1}..{2}, retryable: {3})", Verdict, MinDelay, MaxDelay, IsRetryable);
        }
    }

    /// <summary>The endpoint cache's answer for one entry.</summary>
    public sealed class Freshness
    {
        internal Freshness(bool fresh, ulong untilMs)
        {
            Fresh = fresh;
            UntilMs = untilMs;
        }

        /// <summary>Whether the entry is served from the cache.</summary>
        public bool Fresh { get; }

        /// <summary>The first millisecond the entry is no longer served.</summary>
        public ulong UntilMs { get; }

        /// <inheritdoc/>
        public override string ToString()
        {
            return string.Format("Freshness(fresh: {0}, until: {1} ms)", Fresh, UntilMs);
        }
    }

    /// <summary>The client's retry and cache rules (SPEC §2.1) as functions: what every request follows.</summary>
    public static class ClientRules
    {
        /// <summary>The retry rule for one failed attempt under <paramref name="options"/> (null: the defaults).</summary>
        /// <exception cref="InvalidConfigException">A bad policy.</exception>
        /// <exception cref="InvalidArgumentException">A bad attempt.</exception>
        public static unsafe RetryDecision DecideRetry(RetryOptions options, RetryQuery query)
        {
            Library.EnsureLoaded();
            if (query == null)
            {
                throw Errors.Own(ErrorKind.InvalidArgument, "query must not be null");
            }
            if (query.Attempt < 0 || query.Status < 0 || query.Status > ushort.MaxValue)
            {
                throw Errors.Own(ErrorKind.InvalidArgument, "attempt and status must not be negative, and a status fits 16 bits");
            }
            using (var pins = new Pins())
            {
                SandgateRetryOptions o = (options ?? new RetryOptions()).ToNative(pins);
                var q = new SandgateRetryQuery
                {
                    Method = pins.Str(query.Method, "method"),
                    Outcome = pins.Str(query.Outcome, "outcome"),
                    HasStatus = query.Status.HasValue ? (byte)1 : (byte)0,
                    Status = (ushort)query.Status.GetValueOrDefault(),
                    Attempt = (uint)query.Attempt,
                    RetryAfter = pins.Str(query.RetryAfter, "retryAfter"),
                    HasNow = query.Now.HasValue ? (byte)1 : (byte)0,
                    Now = query.Now.GetValueOrDefault(),
                };
                q.PrevDelayMs = Span.Millis(query.PrevDelay, "PrevDelay", out q.HasPrevDelayMs);
                byte hasElapsed;
                q.ElapsedMs = Span.Millis(query.Elapsed, "Elapsed", out hasElapsed);
                SandgateRetryDecision d;
                Errors.Check(NativeMethods.sandgate_retry_decision(&o, &q, &d));
                return new RetryDecision(d.Retry == 1, Utf8.Static(d.Verdict), Span.FromMillis(d.MinDelayMs),
                    Span.FromMillis(d.MaxDelayMs), d.Retryable == 1);
            }
        }

        /// <summary>
        /// The cache freshness rule under <paramref name="options"/> (null: the defaults): an entry
        /// signed until <paramref name="signedExpires"/> (Unix seconds; null for a direct or
        /// server-proxy entry) fetched at <paramref name="fetchedAtMs"/> and looked up at <paramref name="nowMs"/>.
        /// </summary>
        /// <exception cref="InvalidConfigException">Bad options.</exception>
        public static unsafe Freshness DecideCache(CacheOptions options, ulong? signedExpires, ulong fetchedAtMs, ulong nowMs)
        {
            Library.EnsureLoaded();
            SandgateCacheOptions o = (options ?? new CacheOptions()).ToNative();
            SandgateFreshness f;
            Errors.Check(NativeMethods.sandgate_cache_decision(&o, signedExpires.HasValue ? (byte)1 : (byte)0,
                signedExpires.GetValueOrDefault(), fetchedAtMs, nowMs, &f));
            return new Freshness(f.Fresh == 1, f.UntilMs);
        }
    }

    /// <summary>Spans as whole milliseconds, both ways.</summary>
    internal static class Span
    {
        /// <summary>Whole milliseconds of a span, rounded up; a negative span is an invalid_config error.</summary>
        internal static ulong Millis(TimeSpan? span, string name, out byte has)
        {
            has = span.HasValue ? (byte)1 : (byte)0;
            if (!span.HasValue)
            {
                return 0;
            }
            if (span.Value < TimeSpan.Zero)
            {
                throw Errors.Own(ErrorKind.InvalidConfig, name + " must not be negative, got " + span.Value);
            }
            return (ulong)Math.Ceiling(span.Value.TotalMilliseconds);
        }

        /// <summary>A span of <paramref name="ms"/> milliseconds, saturating at the longest span.</summary>
        internal static TimeSpan FromMillis(ulong ms)
        {
            return ms >= (ulong)(TimeSpan.MaxValue.Ticks / TimeSpan.TicksPerMillisecond) ? TimeSpan.MaxValue : TimeSpan.FromTicks((long)ms * TimeSpan.TicksPerMillisecond);
        }
    }
}
