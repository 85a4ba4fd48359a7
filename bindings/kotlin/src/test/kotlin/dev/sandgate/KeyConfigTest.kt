package dev.sandgate

import kotlinx.serialization.json.JsonPrimitive
import org.junit.jupiter.api.DynamicTest
import org.junit.jupiter.api.Test
import org.junit.jupiter.api.TestFactory
import kotlin.test.assertEquals
import kotlin.test.assertFailsWith
import kotlin.test.assertFalse
import kotlin.test.assertNull
import kotlin.test.assertTrue

/** key_config.json: signing keys from the flag string, the server TOML and the server's env pair. */
class KeyConfigTest {
    @TestFactory
    fun keyConfigCases(): List<DynamicTest> = Cases.load("key_config").arr("cases").mapIndexed { i, e ->
        val c = e.asObj()
        case("key_config", i, "${c.s("form")}: ${c.s("name")}") {
            val form = c.s("form")
            val load: () -> SigningKeys? = {
                when (form) {
                    "flag" -> SigningKeys.fromFlag(c.s("input"))
                    "toml" -> SigningKeys.fromToml(c.s("input"))
                    "env" -> SigningKeys.fromEnv(c.obj("input").mapValues { (it.value as JsonPrimitive).content })
                    else -> error("unknown form $form")
                }
            }
            val expect = c.obj("expect")
            if (expect.bool("unset") == true) {
                assertNull(load())
            } else if (expect.bool("ok")!!) {
                load()!!.use { keys ->
                    assertEquals(expect.arr("key_ids").map { (it as JsonPrimitive).content }, keys.keyIds)
                    assertEquals(expect.str("active_key"), keys.activeKeyId)
                }
            } else {
                val err = assertFailsWith<SandgateException.InvalidConfig> { load() }
                assertEquals(expect.s("kind"), err.kind)
                val message = err.message!!
                assertTrue(expect.s("message_contains") in message, message)
                expect.str("message_excludes")?.let { secret ->
                    assertFalse(secret in message, message)
                    assertFalse(secret in err.toString(), err.toString())
                    assertFalse(secret in err.stackTraceToString())
                }
            }
        }
    }

    @Test
    fun keyConfigToStringShowsIdsNeverSecrets() {
        val secret = "bXktdGVzdC1zZWNyZXQ="
        SigningKeys.fromFlag("a=$secret,b=Zm9vYmFy").use { keys ->
            assertEquals(listOf("a", "b"), keys.keyIds)
            for (text in listOf(keys.toString(), RouteSigner(keys, "b").use { it.toString() })) {
                assertFalse(secret in text, text)
                assertFalse("my-test-secret" in text, text)
                assertFalse("Zm9vYmFy" in text, text)
            }
            assertTrue("a" in keys.toString())
        }
    }

    @Test
    fun keyConfigSignerNeedsAConfiguredKey() {
        SigningKeys.fromFlag("a=Zm9v").use { keys ->
            val noActive = assertFailsWith<SandgateException.InvalidConfig> { RouteSigner(keys) }
            assertTrue("active" in noActive.message!!, noActive.message)
            val unknown = assertFailsWith<SandgateException.InvalidConfig> { RouteSigner(keys, "c") }
            assertTrue("\"c\"" in unknown.message!!, unknown.message)
            val bad = assertFailsWith<SandgateException.InvalidConfig> { RouteSigner(keys, "A") }
            assertTrue("exactly one character" in bad.message!!, bad.message)
            assertFalse("\"A\"" in bad.message!!, bad.message)
        }
        SigningKeys.fromToml(
            "[ingress.secure_access]\nactive_key = \"b\"\n[[ingress.secure_access.keys]]\nkey_id = \"a\"\nkey = \"Zm9v\"\n" +
                "[[ingress.secure_access.keys]]\nkey_id = \"b\"\nkey = \"YmFy\"\n",
        ).use { keys ->
            assertEquals("b", keys.activeKeyId)
            assertEquals("b", RouteSigner(keys).use { it.keyId })
        }
    }

    @Test
    fun keyConfigFromEnvDefaultsToTheProcessEnvironment() {
        // The test JVM's environment has neither variable unless the runner sets both.
        val env = System.getenv()
        val set = env.containsKey("OPENSANDBOX_SECURE_ACCESS_KEYS") || env.containsKey("OPENSANDBOX_SECURE_ACCESS_ACTIVE_KEY")
        if (!set) assertNull(SigningKeys.fromEnv())
        val err = assertFailsWith<SandgateException.InvalidConfig> {
            SigningKeys.fromEnv(mapOf("OPENSANDBOX_SECURE_ACCESS_KEYS" to "a=Zm9v"))
        }
        assertTrue("set together" in err.message!!, err.message)
    }
}
