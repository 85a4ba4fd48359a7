package dev.sandgate

import org.junit.jupiter.api.DynamicTest
import org.junit.jupiter.api.Test
import org.junit.jupiter.api.TestFactory
import kotlin.test.assertEquals
import kotlin.test.assertFalse
import kotlin.test.assertNull
import kotlin.test.assertTrue

/** access.json: RouteVerifier.decide(request, accessToken, now) for every case. */
class AccessTest {
    @TestFactory
    fun accessCases(): List<DynamicTest> = Cases.load("access").arr("cases").mapIndexed { i, e ->
        val c = e.asObj()
        case("access", i, c.s("name")) {
            val r = c.obj("request")
            val request = AccessRequest(
                ingressTo = r.str("ingress_to"),
                host = r.str("host"),
                path = r.str("path"),
                secureAccess = r.str("secure_access"),
            )
            val sandbox = c.obj("sandbox")
            val token = if (sandbox.bool("secure")!!) sandbox.s("access_token") else null
            val d = SigningKeys.fromFlag(c.s("keys")).use { keys ->
                RouteVerifier(keys).use { it.decide(request, token, c.s("now").toULong()) }
            }
            val expect = c.obj("expect")
            assertEquals(expect.int("status"), d.status)
            if (expect.bool("allowed")!!) {
                assertTrue(d.allowed, "denied: ${d.reason} ${d.detail}")
                assertNull(d.reason)
                assertEquals(expect.s("grant"), d.grant!!.code)
                val route = d.route!!
                assertEquals(expect.s("sandbox_id"), route.sandboxId)
                assertEquals(expect.int("port"), route.port)
                assertEquals(expect.str("expires")?.toULong(), route.expires)
                assertEquals(expect.str("key_id"), route.keyId)
                assertEquals(expect.s("path"), d.path)
                assertEquals(expect.str("query"), d.query)
            } else {
                assertFalse(d.allowed)
                assertEquals(expect.s("reason"), d.reason!!.code)
                assertNull(d.grant)
                assertNull(d.route)
            }
        }
    }

    @Test
    fun accessVerifyDeniesWithReasonAndStatus() {
        val keys = SigningKeys.fromFlag("a=bXktdGVzdC1zZWNyZXQ=")
        val verifier = RouteVerifier(keys)
        val token = RouteSigner(keys, "a").use { it.sign("sbx-001", 8080, 2_000_000_000uL) }.token
        assertEquals("sbx-001-8080-x2qxvk-0ff8cd39a", token)
        val expired = kotlin.test.assertFailsWith<SandgateException.AccessDenied> {
            verifier.verify(token, now = 2_000_000_001uL)
        }
        assertEquals(DenyReason.EXPIRED, expired.reason)
        assertEquals(401, expired.status)
        assertEquals("access_denied", expired.kind)
        val bad = kotlin.test.assertFailsWith<SandgateException.AccessDenied> {
            verifier.verify("sbx-001-8080-x2qxvk-0ff8cd30a", now = 1uL)
        }
        assertEquals(DenyReason.BAD_SIGNATURE, bad.reason)
        val malformed = kotlin.test.assertFailsWith<SandgateException.AccessDenied> { verifier.verify("nope") }
        assertEquals(DenyReason.MALFORMED, malformed.reason)
        assertEquals(400, malformed.status)
        keys.close()
        verifier.close()
    }

    @Test
    fun accessRequestToStringHidesTheSecureAccessValue() {
        val text = AccessRequest(ingressTo = "abc-80", secureAccess = "tok_very_secret").toString()
        assertFalse("tok_very_secret" in text, text)
        assertTrue("secureAccess=***" in text, text)
        assertTrue("abc-80" in text, text)
    }

    @Test
    fun accessSignedRouteForms() {
        SigningKeys.fromFlag("a=bXktdGVzdC1zZWNyZXQ=").use { keys ->
            val r = RouteSigner(keys, "a").use { it.sign("sbx-001", 8080, 2_000_000_000uL) }
            assertEquals("sbx-001-8080-x2qxvk-0ff8cd39a.sandbox.example.com", r.host(".sandbox.example.com"))
            assertEquals("sbx-001-8080-x2qxvk-0ff8cd39a.sandbox.example.com", r.host("*.sandbox.example.com"))
            for (bad in listOf("evil.com/x", "a b.com", "a.com\r\nX-Injected: 1", "")) {
                kotlin.test.assertFailsWith<SandgateException.InvalidArgument>(bad) { r.host(bad) }
            }
            assertEquals("/sbx-001/8080/x2qxvk/0ff8cd39a", r.uriPrefix)
            assertEquals(r.token, r.headerValue)
            assertEquals("sbx-001", r.sandboxId)
            assertEquals(8080, r.port)
            val badPort = kotlin.test.assertFailsWith<SandgateException.InvalidArgument> {
                RouteSigner(keys, "a").use { it.sign("sbx-001", 70000, 1uL) }
            }
            assertTrue("port" in badPort.message!!, badPort.message)
        }
    }
}
