package dev.sandgate

import com.sun.jna.Library
import com.sun.jna.Native
import kotlinx.coroutines.runBlocking
import org.junit.jupiter.api.Test
import kotlin.test.assertEquals
import kotlin.test.assertFailsWith
import kotlin.test.assertFalse
import kotlin.test.assertNotEquals
import kotlin.test.assertNotNull
import kotlin.test.assertNull
import kotlin.test.assertSame
import kotlin.test.assertTrue
import kotlin.time.Duration.Companion.milliseconds
import kotlin.time.Duration.Companion.seconds

/** The API every language shares (ARCHITECTURE.md, "Same API everywhere"), through Kotlin. */
class SurfaceTest {
    private val flag = "a=bXktdGVzdC1zZWNyZXQ="

    /** The C ABI's code tables, which the library re-exports, read with plain JNA. */
    @Suppress("FunctionName")
    interface CAbi : Library {
        fun sandgate_error_kind_code(kind: Int): String?

        fun sandgate_deny_reason_code(reason: Int): String?

        fun sandgate_deny_reason_status(reason: Int): Short

        fun sandgate_grant_code(grant: Int): String?

        fun sandgate_route_form_code(form: Int): String?
    }

    private val cAbi: CAbi = Native.load("sandgate_uniffi", CAbi::class.java)

    private fun <T> table(first: Int, code: (Int) -> T?): List<T> = generateSequence(first) {
        it + 1
    }.map(code).takeWhile { it != null }.map { it!! }.toList()

    @Test
    fun surfaceSecretsAreAcceptedWhereverAKeyStringIs() = runBlocking {
        SigningKeys.fromFlag(Secret(flag)).use { assertEquals(listOf("a"), it.keyIds) }
        val toml = "[ingress.secure_access]\nactive_key = \"a\"\n[[ingress.secure_access.keys]]\nkey_id = \"a\"\nkey = \"Zm9v\"\n"
        SigningKeys.fromToml(Secret(toml)).use { assertEquals("a", it.activeKeyId) }
        val k = generateApiKey()
        assertEquals(k.hash, hashApiKey(k.key))
        assertTrue(verifyApiKey(k.key, k.hash))
        assertFalse(verifyApiKey(Secret("osk_other"), k.hash))
        MockServer.start().use { mock ->
            SigningKeys.fromFlag(mock.signingKeys).use { assertEquals(listOf("a", "b"), it.keyIds) }
            Client(domain = mock.domain, apiKey = mock.adminKey, useEnv = false).use { c ->
                assertEquals(emptyList(), c.listSandboxes())
                assertFalse(mock.adminKey.expose() in c.toString(), c.toString())
            }
        }
    }

    @Test
    fun surfaceMessageIsBareAndToStringIsTheDisplay() = runBlocking {
        MockServer.start().use { mock ->
            Client(domain = mock.domain, apiKey = mock.adminKey, useEnv = false).use { c ->
                val err = assertFailsWith<SandgateException.Api> { c.getSandbox("nope") }
                val message = err.message!!
                val requestId = err.requestId!!
                assertFalse("API error" in message || requestId in message || "SANDBOX::NOT_FOUND" in message, message)
                assertTrue(err.toString().startsWith("API error 404 SANDBOX::NOT_FOUND: "), err.toString())
                assertTrue(message in err.toString() && err.toString().endsWith("(request id $requestId)"), err.toString())
                assertEquals(err.toString(), err.stackTraceToString().lineSequence().first())
            }
        }
        SigningKeys.fromFlag(flag).use { keys ->
            RouteSigner(keys, "a").use { signer ->
                // An error of the hot path carries both texts from the same call too.
                val err = assertFailsWith<SandgateException.InvalidArgument> { signer.sign("sbx", 70000, 1uL) }
                assertTrue("port" in err.message!!, err.message)
                assertNotEquals(err.message, err.toString())
                assertTrue(err.message!! in err.toString(), err.toString())
            }
        }
    }

    @Test
    fun surfaceRetryOptionsAreComplete() = runBlocking {
        MockServer.start().use { mock ->
            mock.setFaults(failNext = 100, status = 503, retryAfter = 0)
            val fast = RetryOptions(maxRetries = 2, initialBackoff = 1.milliseconds, maxBackoff = 5.milliseconds)
            Client(domain = mock.domain, apiKey = mock.adminKey, retry = fast, useEnv = false).use { c ->
                assertEquals(503, assertFailsWith<SandgateException.Api> { c.listSandboxes() }.status)
            }
            assertEquals(3, mock.requests().size, "${mock.requests()}")
            mock.reset()
            mock.setFaults(failNext = 100, status = 503, retryAfter = 0)
            Client(domain = mock.domain, apiKey = mock.adminKey, retry = RetryOptions(maxRetries = 0), useEnv = false).use { c ->
                assertFailsWith<SandgateException.Api> { c.listSandboxes() }
            }
            assertEquals(1, mock.requests().size, "${mock.requests()}")
        }
        val bad =
            listOf(
                RetryOptions(initialBackoff = 10.milliseconds, maxBackoff = 5.milliseconds) to "initial_backoff",
                RetryOptions(maxRetries = -1) to "max_retries",
                RetryOptions(maxBackoff = (-1).seconds) to "max_backoff",
            )
        for ((retry, word) in bad) {
            val err = assertFailsWith<SandgateException.InvalidConfig> { Client(domain = "127.0.0.1:1", retry = retry, useEnv = false) }
            assertTrue(word in err.message!!, err.message)
        }
    }

    @Test
    fun surfaceVerifyHostAndVerifyPathWithOptionalNow() {
        SigningKeys.fromFlag(flag).use { keys ->
            RouteVerifier(keys).use { v ->
                val r = RouteSigner(keys, "a").use { it.sign("sbx-001", 8080, 2_000_000_000uL) }
                val info = RouteInfo("sbx-001", 8080, 2_000_000_000uL, "a")
                assertEquals(info, v.verify(r.token))
                assertEquals(info, v.verifyHost(r.host(".example.com"), now = 1uL))
                assertEquals(info, v.verifyHost("https://${r.host(".example.com")}:8443"))
                assertEquals(info, v.verifyPath("${r.uriPrefix}/api/x?y=1", now = 1uL))
                assertEquals(info, v.verifyPath(r.uriPrefix))
                val expired =
                    assertFailsWith<SandgateException.AccessDenied> { v.verifyHost(r.host(".example.com"), now = 2_000_000_001uL) }
                assertEquals(DenyReason.EXPIRED, expired.reason)
                assertEquals(401, expired.status)
                val malformed = assertFailsWith<SandgateException.AccessDenied> { v.verifyPath("/sbx-001") }
                assertEquals(DenyReason.MALFORMED, malformed.reason)
                assertEquals(400, malformed.status)
            }
        }
    }

    @Test
    fun surfaceSignWithTtlAndNowAndKeyIdsAsStrings() {
        SigningKeys.fromFlag("$flag,b=Zm9v").use { keys ->
            RouteSigner(keys, "b").use { signer ->
                assertEquals("b", signer.keyId)
                val r = signer.sign("sbx", 8080, 60.seconds, now = 1_000uL)
                assertEquals(1_060uL, r.expires)
                assertEquals("b", r.keyId)
                assertEquals(r.signature.last().toString(), r.keyId)
                val fromClock = signer.sign("sbx", 8080, 60.seconds)
                val now = System.currentTimeMillis() / 1000
                assertTrue(fromClock.expires.toLong() in now + 58..now + 61, "${fromClock.expires} vs $now")
                for (ttl in listOf(0.seconds, (-5).seconds, 500.milliseconds)) {
                    val err = assertFailsWith<SandgateException.InvalidArgument> { signer.sign("sbx", 8080, ttl) }
                    assertTrue("ttl" in err.message!!, err.message)
                }
                RouteVerifier(keys).use { assertEquals("b", it.verify(r.token, now = 1_000uL).keyId) }
            }
        }
    }

    @Test
    fun surfaceDecisionThrowIfDenied() {
        SigningKeys.fromFlag(flag).use { keys ->
            RouteVerifier(keys).use { v ->
                val token = RouteSigner(keys, "a").use { it.sign("sbx-001", 8080, 2_000_000_000uL) }.token
                val request = AccessRequest(ingressTo = token)
                val denied = v.decide(request, accessToken = "t", now = 2_000_000_001uL)
                val error = assertNotNull(denied.error)
                assertEquals(DenyReason.EXPIRED, error.reason)
                assertEquals(401, error.status)
                assertEquals(denied.detail, error.message)
                val thrown = assertFailsWith<SandgateException.AccessDenied> { denied.throwIfDenied() }
                assertEquals(error.toString(), thrown.toString())
                val allowed = v.decide(request, accessToken = "t", now = 1uL)
                assertNull(allowed.error)
                assertSame(allowed, allowed.throwIfDenied())
                assertEquals(Grant.SIGNATURE, allowed.grant)
            }
        }
    }

    @Test
    fun surfaceDenialIsAnsweredInOneCall() {
        // The uniffi layer has no verify at all: the hot path is the only way to verify, so a
        // denial cannot be verified a second time; and what it reports is exactly core's decision.
        val ffiMethods = dev.sandgate.ffi.FfiRouteVerifier::class.java.methods.map { it.name }
        assertTrue(ffiMethods.none { it.contains("verify", ignoreCase = true) }, "$ffiMethods")
        SigningKeys.fromFlag(flag).use { keys ->
            RouteVerifier(keys).use { v ->
                val token = RouteSigner(keys, "a").use { it.sign("sbx-001", 8080, 2_000_000_000uL) }.token
                val i = token.length - 2
                val tampered = token.substring(0, i) + (if (token[i] == '0') '1' else '0') + token.substring(i + 1)
                val cases =
                    listOf(
                        token to 2_000_000_001uL,
                        tampered to 1uL,
                        token.dropLast(1) + "z" to 1uL,
                        "nope" to 1uL,
                    )
                for ((input, now) in cases) {
                    val err = assertFailsWith<SandgateException.AccessDenied> { v.verify(input, now) }
                    val expected = assertNotNull(v.decide(AccessRequest(ingressTo = input), "t", now).error)
                    assertEquals(expected.reason, err.reason, input)
                    assertEquals(expected.status, err.status, input)
                    assertEquals(expected.message, err.message, input)
                    assertEquals(expected.toString(), err.toString(), input)
                    assertEquals("access_denied", err.kind)
                }
            }
        }
    }

    @Test
    fun surfaceEnumsAndTablesComeFromCore() {
        val core = dev.sandgate.ffi.codeTables()
        assertEquals(core.reasons.map { it.reason }, DenyReason.entries)
        assertEquals(core.reasons.map { it.code }, DenyReason.entries.map { it.code })
        assertEquals(core.reasons.map { it.status.toInt() }, DenyReason.entries.map { it.status })
        assertEquals(core.grants.map { it.grant }, Grant.entries)
        assertEquals(listOf("open", "header", "signature"), Grant.entries.map { it.code })
        assertEquals(Grant.HEADER, Grant.fromCode("header"))
        assertFailsWith<IllegalArgumentException> { Grant.fromCode("nope") }
        assertEquals(core.kinds.map { it.kind }, dev.sandgate.ffi.ErrorKind.entries)
        // The C ABI's numbering, which the hot paths return, is the same table.
        assertEquals(core.kinds.map { it.code }, table(1, cAbi::sandgate_error_kind_code))
        assertEquals(core.reasons.map { it.code }, table(1, cAbi::sandgate_deny_reason_code))
        assertEquals(core.reasons.map { it.status.toInt() }, core.reasons.indices.map { cAbi.sandgate_deny_reason_status(it + 1).toInt() })
        assertEquals(core.grants.map { it.code }, table(1, cAbi::sandgate_grant_code))
        assertEquals(listOf("token", "host", "path"), listOf(Hot.TOKEN, Hot.HOST, Hot.PATH).map { cAbi.sandgate_route_form_code(it) })
    }

    @Test
    fun surfacePlainValuesHaveNoClose() {
        val plain =
            listOf(
                SignedRoute::class, RouteInfo::class, AccessDecision::class, AccessRequest::class, Endpoint::class,
                Sandbox::class, CreatedApiKey::class, ApiKeyInfo::class, GeneratedApiKey::class, RetryOptions::class,
                RequestRecord::class, Secret::class,
            )
        for (type in plain) {
            assertFalse(AutoCloseable::class.java.isAssignableFrom(type.java), "$type")
            assertTrue(type.java.methods.none { it.name == "close" || it.name == "dispose" }, "$type")
        }
    }

    @Test
    fun surfaceEndpointHeadersRedactedByCore() = runBlocking {
        MockServer.start(RouteMode.URI).use { mock ->
            assertEquals(RouteMode.URI, mock.routeMode)
            Client(domain = mock.domain, apiKey = mock.adminKey, useEnv = false).use { c ->
                val sb = c.createSandbox("python:3.11", secureAccess = true)
                val e = c.getEndpoint(sb.id, 8080)
                val token = e.headers.getValue("OpenSandbox-Secure-Access")
                assertEquals("***", e.redactedHeaders["OpenSandbox-Secure-Access"])
                assertEquals(e.headers.keys, e.redactedHeaders.keys)
                assertFalse(token in e.toString(), e.toString())
                val signed = c.getSignedEndpoint(sb.id, 8080, 60.seconds)
                assertEquals("a", signed.route!!.keyId)
            }
        }
    }
}
