package dev.sandgate

/**
 * A secret string (a raw API key, the admin key, signing secrets): prints as `***` and shows
 * its value only through [expose]. Accepted wherever a key string is ([Client], [SigningKeys],
 * [hashApiKey], [verifyApiKey]).
 */
public class Secret(private val value: String) {
    /** The secret text. Call only where it is really needed (to send it, or show it once). */
    public fun expose(): String = value

    override fun toString(): String = "***"

    override fun equals(other: Any?): Boolean = other is Secret && other.value == value

    override fun hashCode(): Int = value.hashCode()
}
