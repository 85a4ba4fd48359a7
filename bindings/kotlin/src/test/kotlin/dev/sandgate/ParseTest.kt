package dev.sandgate

import org.junit.jupiter.api.AfterAll
import org.junit.jupiter.api.DynamicTest
import org.junit.jupiter.api.TestFactory
import org.junit.jupiter.api.TestInstance
import kotlin.test.assertEquals
import kotlin.test.assertFalse
import kotlin.test.assertNull
import kotlin.test.assertTrue

/** parse.json: each case as an access decision for an open sandbox with no signing keys, at 0. */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class ParseTest {
    private val verifier = SigningKeys.fromFlag("").use { RouteVerifier(it) }

    @AfterAll
    fun close() = verifier.close()

    @TestFactory
    fun parseCases(): List<DynamicTest> = Cases.load("parse").arr("cases").mapIndexed { i, e ->
        val c = e.asObj()
        case("parse", i, "${c.s("form")}: ${c.s("name")}") {
            val input = c.s("input")
            val request = when (c.s("form")) {
                "token" -> AccessRequest(ingressTo = input)
                "host" -> AccessRequest(host = input, path = "/")
                "path" -> AccessRequest(path = input)
                else -> error("unknown form ${c.s("form")}")
            }
            val d = verifier.decide(request, accessToken = null, now = 0uL)
            val expect = c.obj("expect")
            if (expect.bool("ok")!!) {
                assertTrue(d.allowed, "denied: ${d.reason} ${d.detail}")
                assertEquals(Grant.OPEN, d.grant)
                val route = d.route!!
                assertEquals(expect.s("sandbox_id"), route.sandboxId)
                assertEquals(expect.int("port"), route.port)
                assertEquals(expect.str("expires")?.toULong(), route.expires)
                assertEquals(expect.str("key_id"), route.keyId)
                if (expect.has("path")) {
                    assertEquals(expect.s("path"), d.path)
                    assertEquals(expect.str("query"), d.query)
                }
            } else {
                assertFalse(d.allowed)
                assertEquals(expect.s("reason"), d.reason!!.code)
                assertEquals(DenyReason.MALFORMED, d.reason)
                assertEquals(400, d.status)
                assertNull(d.route)
            }
        }
    }
}
