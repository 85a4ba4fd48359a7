package dev.sandgate

import kotlinx.serialization.json.JsonPrimitive
import org.junit.jupiter.api.DynamicTest
import org.junit.jupiter.api.Test
import org.junit.jupiter.api.TestFactory
import kotlin.test.assertEquals
import kotlin.test.assertFailsWith
import kotlin.test.assertFalse
import kotlin.test.assertNotEquals
import kotlin.test.assertTrue

/** api_keys.json: hash, verify and generate. */
class ApiKeysTest {
    private val data = Cases.load("api_keys")

    @TestFactory
    fun apiKeysHash(): List<DynamicTest> = data.arr("hash").mapIndexed { i, e ->
        val h = e.asObj()
        case("api_keys hash", i, "\"${h.s("raw").take(16)}\"") {
            assertEquals(h.s("hash"), hashApiKey(h.s("raw")))
        }
    }

    @TestFactory
    fun apiKeysVerify(): List<DynamicTest> = data.arr("verify").mapIndexed { i, e ->
        val v = e.asObj()
        case("api_keys verify", i, v.s("name")) {
            val call = {
                verifyApiKey(
                    key = v.s("key"),
                    hash = v.s("hash"),
                    expiresAt = v.str("expires_at"),
                    revoked = v.bool("revoked") ?: false,
                    now = v.str("now")?.toULong(),
                )
            }
            val expect = v.getValue("expect") as JsonPrimitive
            if (expect.isString) {
                val err = assertFailsWith<SandgateException> { call() }
                assertEquals(expect.content, err.kind)
            } else {
                assertEquals(expect.content.toBooleanStrict(), call())
            }
        }
    }

    @TestFactory
    fun apiKeysGenerate(): List<DynamicTest> = data.arr("generate").mapIndexed { i, e ->
        val g = e.asObj()
        case("api_keys generate", i, "prefix \"${g.s("prefix")}\"") {
            val prefix = g.s("prefix")
            val error = g.str("error")
            if (error != null) {
                val err = assertFailsWith<SandgateException> { generateApiKey(prefix) }
                assertEquals(error, err.kind)
            } else {
                val k = generateApiKey(prefix)
                val raw = k.key.expose()
                assertEquals(g.int("length"), raw.length)
                assertTrue(raw.startsWith(prefix))
                assertEquals(raw.take(12), k.prefix)
                assertEquals(hashApiKey(raw), k.hash)
                assertTrue(verifyApiKey(raw, k.hash))
            }
        }
    }

    @Test
    fun apiKeysDefaultPrefixAndRandomness() {
        val a = generateApiKey()
        val b = generateApiKey()
        assertTrue(a.key.expose().startsWith("osk_"))
        assertEquals(47, a.key.expose().length)
        assertNotEquals(a.key, b.key)
        assertFalse(verifyApiKey(b.key.expose(), a.hash))
    }

    @Test
    fun apiKeysPrintStarsInToString() {
        val k = generateApiKey()
        val raw = k.key.expose()
        assertEquals("***", k.key.toString())
        val text = k.toString()
        assertFalse(raw in text, text)
        assertTrue("key=***" in text, text)
        assertTrue(k.hash in text, text)
        assertEquals("***", "${Secret("osk_something")}")
    }
}
