// C# micro-benchmark for bench/run (mono): ns per sign and verify through Sandgate, next to
// .NET's own SHA-256 of the same signing input, and RSS before/after many verifies.
// Usage: mono Bench.exe ITERS MEMORY_ITERS   (prints one JSON line)
using System;
using System.Diagnostics;
using System.Globalization;
using System.IO;
using System.Linq;
using System.Security.Cryptography;
using System.Text;
using Sandgate;

static class Bench
{
    static long RssKiB()
    {
        string line = File.ReadAllLines("/proc/self/status").First(l => l.StartsWith("VmRSS:"));
        return long.Parse(line.Split(new[] { ' ', '\t' }, StringSplitOptions.RemoveEmptyEntries)[1]);
    }

    static double NsPerCall(int n, Action f)
    {
        double best = double.MaxValue;
        for (int round = 0; round < 5; round++)
        {
            var sw = Stopwatch.StartNew();
            for (int i = 0; i < n; i++) f();
            best = Math.Min(best, sw.Elapsed.TotalMilliseconds * 1e6 / n);
        }
        return best;
    }

    static byte[] Be32(int n)
    {
        return new[] { (byte)(n >> 24), (byte)(n >> 16), (byte)(n >> 8), (byte)n };
    }

    static int Main(string[] args)
    {
        int iters = args.Length > 0 ? int.Parse(args[0]) : 200000;
        int memoryIters = args.Length > 1 ? int.Parse(args[1]) : 1000000;
        byte[] secret = Enumerable.Repeat((byte)7, 32).ToArray();
        const string id = "sbx-0a1b2c3d4e5f";
        const int port = 8080;
        const ulong expires = 2000000000UL, now = 1900000000UL;
        using (SigningKeys keys = SigningKeys.FromFlag("a=" + Convert.ToBase64String(secret)))
        using (var signer = new RouteSigner(keys, "a"))
        using (var verifier = new RouteVerifier(keys))
        using (SHA256 sha = SHA256.Create())
        {
            string token;
            token = signer.Sign(id, port, expires).Token;
            // The signing input, built here the way any implementation must build it.
            byte[] canonical = Encoding.UTF8.GetBytes("v1\nshort\n" + id + "\n" + port + "\nx2qxvk\n");
            byte[] inner = Be32(secret.Length).Concat(secret).Concat(Be32(canonical.Length)).Concat(canonical).ToArray();
            long sink = 0;
            double verifyNs = NsPerCall(iters, () => { sink += verifier.Verify(token, now).Port; });
            double signNs = NsPerCall(iters, () => { sink += signer.Sign(id, port, expires).Token.Length; });
            double shaNs = NsPerCall(iters, () => { sink += sha.ComputeHash(inner)[0]; });
            GC.Collect();
            long before = RssKiB();
            for (int i = 0; i < memoryIters; i++) sink += verifier.Verify(token, now).Port;
            GC.Collect();
            long after = RssKiB();
            if (sink == 0) return 1;
            Console.WriteLine(string.Format(CultureInfo.InvariantCulture,
                "{{\"language\":\"csharp\",\"verify_ns\":{0:F1},\"sign_ns\":{1:F1},\"sha256_ns\":{2:F1},\"rss_before_kib\":{3},\"rss_after_kib\":{4},\"memory_verifies\":{5}}}",
                verifyNs, signNs, shaNs, before, after, memoryIters));
        }
        return 0;
    }
}
