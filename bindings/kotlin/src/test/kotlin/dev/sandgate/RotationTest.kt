package dev.sandgate

import kotlinx.coroutines.runBlocking
import org.junit.jupiter.api.Test
import java.security.SecureRandom
import java.util.Base64
import kotlin.test.assertEquals
import kotlin.test.assertFailsWith
import kotlin.time.Duration.Companion.hours

/** Issue 21: live signing-key rotation through the Kotlin API, on the mock and in a local verifier. */
class RotationTest {
    private fun secret(): String = Base64.getEncoder().encodeToString(ByteArray(32).also { SecureRandom().nextBytes(it) })

    /** Keys in the server's environment form: the flag text and the active key. */
    private fun keys(flag: String, active: String): SigningKeys = SigningKeys.fromEnv(
        mapOf("OPENSANDBOX_SECURE_ACCESS_KEYS" to flag, "OPENSANDBOX_SECURE_ACCESS_ACTIVE_KEY" to active),
    )!!

    /** The mock gateway's answer to a link: status and reason. */
    private fun MockServer.through(link: Endpoint): Pair<Int, String> {
        val r = Http.get("$gatewayUrl/ping", link.headers)
        return r.statusCode() to r.headers().firstValue("X-Sandgate-Reason").orElse("")
    }

    @Test
    fun rotationEndToEndThroughTheMockGateway() = runBlocking {
        val a = "a=${secret()}"
        val b = "b=${secret()}"
        MockServer.start(signingKeys = SigningKeys.fromFlag(a)).use { mock ->
            // The cache is off so that every link is freshly signed by the mock.
            Client(domain = mock.domain, apiKey = mock.adminKey, useEnv = false, cache = CacheOptions.OFF).use { c ->
                val sandbox = c.createSandbox("python:3.11", secureAccess = true, timeout = 24.hours).id
                val link = suspend { c.endpoint(sandbox, 8080, EndpointMode.SignedFor(1.hours)) }

                // Sign with a.
                val aLink = link()
                assertEquals("a", aLink.route!!.keyId)
                assertEquals(200 to "", mock.through(aLink))

                // Add b everywhere first: a still signs.
                mock.advance(60)
                mock.setSigningKeys(keys("$a,$b", "a"))
                assertEquals("a", mock.activeKeyId)
                assertEquals("a", link().route!!.keyId)

                // Activate b: new links are b's, a's still answer 200.
                mock.advance(60)
                mock.setSigningKeys(keys("$a,$b", "b"))
                val activated = mock.now()
                val bLink = link()
                assertEquals("b", bLink.route!!.keyId)
                assertEquals(200 to "", mock.through(aLink))
                assertEquals(200 to "", mock.through(bLink))

                // Retire a once its last link (signed up to `activated`, one hour) has expired.
                mock.setNow(activated + 3600uL + 1uL)
                // The client learns the moved server clock from the next answer's Date header.
                c.getSandbox(sandbox)
                mock.setSigningKeys(keys(b, "b"))
                assertEquals(listOf("b"), SigningKeys.fromFlag(mock.signingKeys).keyIds)
                val fresh = link()
                assertEquals("b", fresh.route!!.keyId)
                assertEquals(200 to "", mock.through(fresh))
                assertEquals(401 to "expired", mock.through(aLink))

                // The key itself is gone whatever the clock: while both old links were within
                // their expiry, a's answers 401 unknown_key and b's 200.
                mock.setNow(activated + 10uL)
                assertEquals(401 to "unknown_key", mock.through(aLink))
                assertEquals(200 to "", mock.through(bLink))
            }
        }
    }

    @Test
    fun rotationLocalVerifierTakesNewKeysLive() {
        val a = "a=${secret()}"
        val b = "b=${secret()}"
        val now = 1_900_000_000uL
        val bToken = RouteSigner(SigningKeys.fromFlag(b), "b").use { it.sign("sbx-rot", 8080, now + 600uL) }.token
        RouteVerifier(SigningKeys.fromFlag(a)).use { verifier ->
            val refused = assertFailsWith<SandgateException.AccessDenied> { verifier.verify(bToken, now) }
            assertEquals(DenyReason.UNKNOWN_KEY, refused.reason)
            assertEquals(401, verifier.decide(AccessRequest(ingressTo = bToken), "tok", now).status)

            verifier.replaceKeys(keys("$a,$b", "b"))
            assertEquals(RouteInfo("sbx-rot", 8080, now + 600uL, "b"), verifier.verify(bToken, now))
            assertEquals(Grant.SIGNATURE, verifier.decide(AccessRequest(ingressTo = bToken), "tok", now).grant)

            verifier.replaceKeys(SigningKeys.fromFlag(a))
            assertEquals(DenyReason.UNKNOWN_KEY, assertFailsWith<SandgateException.AccessDenied> { verifier.verify(bToken, now) }.reason)
        }
    }
}
