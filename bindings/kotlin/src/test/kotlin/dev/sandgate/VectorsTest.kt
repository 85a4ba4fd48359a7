package dev.sandgate

import org.junit.jupiter.api.DynamicTest
import org.junit.jupiter.api.TestFactory
import kotlin.test.assertEquals
import kotlin.test.assertFailsWith

/** vectors.json: all 300 upstream signing vectors, and the expires_b36 facts and rejections. */
class VectorsTest {
    private val data = Cases.load("vectors")

    @TestFactory
    fun vectorsSignAndVerify(): List<DynamicTest> {
        val vectors = data.arr("signing")
        assertEquals(300, vectors.size)
        return vectors.mapIndexed { i, e ->
            val v = e.asObj()
            case("vectors", i, v.s("token")) {
                val keyId = v.s("key_id")
                val expires = v.s("expires").toULong()
                SigningKeys.fromFlag("${v.s("key_id")}=${v.s("secret_b64")}").use { keys ->
                    val route = RouteSigner(keys, keyId).use { it.sign(v.s("sandbox_id"), v.int("port")!!, expires) }
                    assertEquals(v.s("token"), route.token)
                    assertEquals(v.s("signature"), route.signature)
                    assertEquals(v.s("expires_b36"), route.expiresB36)
                    assertEquals(keyId, route.keyId)
                    assertEquals(expires, route.expires)
                    val info = RouteVerifier(keys).use { it.verify(v.s("token"), now = expires) }
                    assertEquals(RouteInfo(v.s("sandbox_id"), v.int("port")!!, expires, keyId), info)
                }
            }
        }
    }

    @org.junit.jupiter.api.Test
    fun vectorsRoundTripNonAsciiSandboxIdAndLongIds() {
        // The direct-mapped hot path passes UTF-8 bytes and byte offsets: check both ends.
        SigningKeys.fromFlag("a=bXktdGVzdC1zZWNyZXQ=").use { keys ->
            RouteSigner(keys, "a").use { signer ->
                RouteVerifier(keys).use { verifier ->
                    for (id in listOf("café-über-7", "x".repeat(500), "a-b-c")) {
                        val route = signer.sign(id, 443, 2_000_000_000uL)
                        assertEquals(id, route.sandboxId)
                        assertEquals("/$id/443/x2qxvk/${route.signature}", route.uriPrefix)
                        assertEquals("${route.token}.example.com", route.host(".example.com"))
                        assertEquals(RouteInfo(id, 443, 2_000_000_000uL, "a"), verifier.verify(route.token, now = 1uL))
                    }
                }
            }
        }
    }

    @TestFactory
    fun vectorsExpiresB36Facts(): List<DynamicTest> = data.arr("expires_b36").mapIndexed { i, e ->
        val f = e.asObj()
        case("vectors b36 fact", i, "${f.s("expires")} = ${f.s("b36")}") {
            assertEquals(f.s("b36"), encodeExpiresB36(f.s("expires").toULong()))
            assertEquals(f.s("expires").toULong(), decodeExpiresB36(f.s("b36")))
        }
    }

    @TestFactory
    fun vectorsExpiresB36Rejected(): List<DynamicTest> = data.arr("expires_b36_rejected").mapIndexed { i, e ->
        val text = (e as kotlinx.serialization.json.JsonPrimitive).content
        case("vectors b36 rejected", i, "\"$text\"") {
            val err = assertFailsWith<SandgateException.InvalidArgument> { decodeExpiresB36(text) }
            assertEquals("invalid_argument", err.kind)
        }
    }
}
