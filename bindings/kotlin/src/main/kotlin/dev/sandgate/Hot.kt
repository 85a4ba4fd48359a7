package dev.sandgate

import com.sun.jna.Native
import com.sun.jna.Pointer
import dev.sandgate.ffi.ErrorKind
import dev.sandgate.ffi.ErrorView
import java.lang.ref.Cleaner
import java.util.concurrent.ConcurrentHashMap
import java.util.concurrent.atomic.AtomicBoolean
import java.util.concurrent.atomic.AtomicLong

/**
 * The C ABI's two hot paths (`docs/c-abi.md`), which the native library re-exports, through
 * JNA's direct mapping: primitives and primitive arrays only, so a call allocates no JNA
 * structures. Each answers everything in the same call: a route, or a denial's reason, status,
 * message and display; there is never a second call.
 */
@Suppress("ktlint:standard:function-naming", "FunctionName")
internal object Hot {
    init {
        // The library uniffi loads (same name, same override property).
        val name = System.getProperty("uniffi.component.sandgate_uniffi.libraryOverride") ?: "sandgate_uniffi"
        Native.register(Hot::class.java, name)
    }

    /** `SandgateRouteForm` values. */
    const val TOKEN: Int = 0
    const val HOST: Int = 1
    const val PATH: Int = 2

    @JvmStatic external fun sandgate_verify(v: Long, form: Int, input: ByteArray, len: Long, hasNow: Byte, now: Long, out: LongArray): Int

    @JvmStatic external fun sandgate_sign_into(
        signer: Long,
        sandboxId: ByteArray,
        sandboxIdLen: Long,
        port: Long,
        hasExpires: Byte,
        expires: Long,
        hasTtl: Byte,
        ttlSeconds: Long,
        hasNow: Byte,
        now: Long,
        buf: ByteArray,
        cap: Long,
        out: LongArray,
    ): Int

    @JvmStatic external fun sandgate_sign_into_capacity(sandboxIdLen: Long): Long

    @JvmStatic external fun sandgate_verifier_free(verifier: Long)

    @JvmStatic external fun sandgate_signer_free(signer: Long)

    val cleaner: Cleaner = Cleaner.create()

    /** One-character strings for the ASCII codes `sandgate_verify` returns as key ids. */
    private val asciiStrings = Array(128) { it.toChar().toString() }

    /** The key id whose character code is [code]. */
    fun keyId(code: Long): String = asciiStrings.getOrNull(code.toInt()) ?: code.toInt().toChar().toString()

    /** The static texts `sandgate_verify` hands out, decoded once per address. */
    private val texts = ConcurrentHashMap<Long, String>()

    private fun text(address: Long): String = texts.computeIfAbsent(address) { Pointer(it).getString(0, "UTF-8") }

    /** The error of a non-zero `sandgate_verify` result (`out` is its `SandgateVerified`). */
    fun verifyError(rc: Int, out: LongArray): SandgateException {
        val reason = if (rc > 0) Tables.reasons[rc - 1] else null
        val kind = if (rc > 0) ErrorKind.ACCESS_DENIED else Tables.kinds[-rc - 1]
        val status = out[5].takeIf { it != 0L }?.toInt()?.toUShort()
        return ErrorView(kind, text(out[6]), text(out[7]), status, null, null, reason, false, null).toException()
    }
}

/**
 * A C ABI handle shared by concurrent calls and freed exactly once: by [close] after the calls
 * in flight end, or by the cleaner once nothing references this object. The cleaner watches
 * this object, which every call reads after its native call returns, so it stays reachable
 * during one.
 */
internal class HotHandle(val handle: Long, free: (Long) -> Unit, val what: String) {
    val calls = AtomicLong(1)
    val cleanable: Cleaner.Cleanable = Hot.cleaner.register(this, Free(handle, free))
    private val closed = AtomicBoolean(false)

    private class Free(val handle: Long, val free: (Long) -> Unit) : Runnable {
        override fun run() = free(handle)
    }

    /** Runs [block] with the handle; [IllegalStateException] once closed. */
    inline fun <R> use(block: (Long) -> R): R {
        while (true) {
            val c = calls.get()
            check(c != 0L) { "$what is closed" }
            if (calls.compareAndSet(c, c + 1)) break
        }
        try {
            return block(handle)
        } finally {
            if (calls.decrementAndGet() == 0L) cleanable.clean()
        }
    }

    fun close() {
        if (closed.compareAndSet(false, true) && calls.decrementAndGet() == 0L) cleanable.clean()
    }
}
