package dev.sandgate

import com.sun.jna.Native
import java.lang.ref.Cleaner
import java.util.concurrent.atomic.AtomicBoolean
import java.util.concurrent.atomic.AtomicLong

/**
 * Direct-mapped (JNA) calls for the hot paths, verify and sign (see `src/hot.rs`): primitives
 * and primitive arrays only, so a tight loop allocates no JNA structures. A non-zero result
 * means "ask uniffi", which raises the exact error.
 */
internal object Hot {
    init {
        // The library uniffi loads (same name, same override property).
        val name = System.getProperty("uniffi.component.sandgate_uniffi.libraryOverride") ?: "sandgate_uniffi"
        Native.register(Hot::class.java, name)
    }

    @JvmStatic external fun sandgate_kt_verify(h: Long, token: ByteArray, len: Int, hasNow: Int, now: Long, out: LongArray): Int

    @JvmStatic external fun sandgate_kt_sign(
        h: Long, id: ByteArray, idLen: Int, port: Long, expires: Long, buf: ByteArray, cap: Int, lens: IntArray,
    ): Int

    @JvmStatic external fun sandgate_kt_verifier_release(h: Long)

    @JvmStatic external fun sandgate_kt_signer_release(h: Long)

    val cleaner: Cleaner = Cleaner.create()
}

/**
 * A native handle shared by concurrent calls and released exactly once: by [close], after the
 * calls in flight end, or by the cleaner when its owner is unreachable.
 */
internal class NativeLease(owner: Any, private val handle: Long, release: (Long) -> Unit) {
    private val calls = AtomicLong(1)
    private val closed = AtomicBoolean(false)
    private val releaser = Releaser(handle, release)
    private val cleanable = Hot.cleaner.register(owner, releaser)

    private class Releaser(val handle: Long, val release: (Long) -> Unit) : Runnable {
        private val done = AtomicBoolean(false)
        override fun run() {
            if (done.compareAndSet(false, true)) release(handle)
        }
    }

    /** Runs [block] with the handle, or returns null when the lease is already closed. */
    inline fun <R> use(block: (Long) -> R): R? {
        while (true) {
            val c = calls.get()
            if (c == 0L) return null
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
