@file:JvmName("ApiKeys")

package dev.sandgate

/** A freshly generated API key: show [key] to its owner once, store only [hash] and [prefix]. */
public data class GeneratedApiKey(
    /** The raw key; prints `***`. */
    val key: Secret,
    /** The first 12 characters of the key, safe to display and store. */
    val prefix: String,
    /** Lowercase hex SHA-256 of the key: the only form to store. */
    val hash: String,
)

/**
 * Generates a key: [prefix] (core's default `osk_` when null) followed by 32 random bytes in
 * URL-safe base64.
 */
@JvmOverloads
public fun generateApiKey(prefix: String? = null): GeneratedApiKey {
    val k = native { dev.sandgate.ffi.generateApiKey(prefix) }
    return GeneratedApiKey(Secret(k.key), k.prefix, k.hash)
}

/** Lowercase hex SHA-256 of [raw]: the stored form of a key. */
public fun hashApiKey(raw: String): String = dev.sandgate.ffi.hashApiKey(raw)

/** Lowercase hex SHA-256 of [raw]: the stored form of a key. */
public fun hashApiKey(raw: Secret): String = hashApiKey(raw.expose())

/**
 * Whether [key] is valid for a stored record: it hashes to [hash] (compared in constant
 * time), is not [revoked], and has not passed [expiresAt] (RFC 3339 or epoch seconds; one that
 * cannot be parsed counts as expired) at [now] (Unix seconds; default: the system clock).
 *
 * @throws SandgateException.InvalidArgument when [hash] is not 64 lowercase hex digits.
 */
@JvmOverloads
public fun verifyApiKey(key: String, hash: String, expiresAt: String? = null, revoked: Boolean = false, now: ULong? = null): Boolean =
    native { dev.sandgate.ffi.verifyApiKey(key, hash, expiresAt, revoked, now) }

/** [verifyApiKey] for a key held as a [Secret]. */
@JvmOverloads
public fun verifyApiKey(key: Secret, hash: String, expiresAt: String? = null, revoked: Boolean = false, now: ULong? = null): Boolean =
    verifyApiKey(key.expose(), hash, expiresAt, revoked, now)
