// Kotlin/JVM micro-benchmark for bench/run: ns per sign and verify through dev.sandgate (verify
// both allowed and denied: a token with a wrong signature, which costs the full hash and ends
// in an AccessDenied exception), next to the JVM's own SHA-256 (MessageDigest) of the same
// signing input, and RSS before/after many verifies.
// Usage: Main ITERS MEMORY_ITERS   (prints one JSON line)
package dev.sandgate.bench

import dev.sandgate.RouteSigner
import dev.sandgate.RouteVerifier
import dev.sandgate.SandgateException
import dev.sandgate.SigningKeys
import java.io.File
import java.nio.ByteBuffer
import java.security.MessageDigest
import java.util.Base64

fun rssKiB(): Long = File("/proc/self/status").readLines().first { it.startsWith("VmRSS:") }.split(Regex("\\s+"))[1].toLong()

inline fun nsPerCall(n: Int, f: () -> Unit): Double {
    var best = Double.MAX_VALUE
    repeat(5) {
        val t = System.nanoTime()
        for (i in 0 until n) f()
        best = minOf(best, (System.nanoTime() - t).toDouble() / n)
    }
    return best
}

fun main(args: Array<String>) {
    val iters = args.getOrNull(0)?.toInt() ?: 200_000
    val memoryIters = args.getOrNull(1)?.toInt() ?: 1_000_000
    val secret = ByteArray(32) { 7 }
    val keys = SigningKeys.fromFlag("a=" + Base64.getEncoder().encodeToString(secret))
    val signer = RouteSigner(keys, "a")
    val verifier = RouteVerifier(keys)
    val id = "sbx-0a1b2c3d4e5f"
    val port = 8080
    val expires = 2_000_000_000uL
    val now = 1_900_000_000uL
    val token = signer.sign(id, port, expires).token
    // Same length and shape, one hex digit of the signature changed: a bad_signature denial.
    val i = token.length - 2
    val denied = token.substring(0, i) + (if (token[i] == '0') '1' else '0') + token.substring(i + 1)
    // The signing input, built here the way any implementation must build it.
    val canonical = "v1\nshort\n$id\n$port\n${expires.toString(36)}\n".toByteArray()
    val inner = ByteBuffer.allocate(8 + secret.size + canonical.size)
        .putInt(secret.size).put(secret).putInt(canonical.size).put(canonical).array()

    var sink = 0L
    val verifyNs = nsPerCall(iters) { sink += verifier.verify(token, now).port }
    val deniedNs = nsPerCall(iters) {
        try {
            verifier.verify(denied, now)
        } catch (e: SandgateException.AccessDenied) {
            sink += e.status ?: 0
        }
    }
    val signNs = nsPerCall(iters) { sink += signer.sign(id, port, expires).token.length }
    val shaNs = nsPerCall(iters) { sink += MessageDigest.getInstance("SHA-256").digest(inner)[0] }
    System.gc()
    val before = rssKiB()
    for (i in 0 until memoryIters) sink += verifier.verify(token, now).port
    System.gc()
    val after = rssKiB()
    check(sink != 0L)
    println(
        """{"language":"kotlin","verify_ns":%.1f,"verify_denied_ns":%.1f,"sign_ns":%.1f,"sha256_ns":%.1f,"rss_before_kib":%d,"rss_after_kib":%d,"memory_verifies":%d}"""
            .format(java.util.Locale.ROOT, verifyNs, deniedNs, signNs, shaNs, before, after, memoryIters),
    )
}
