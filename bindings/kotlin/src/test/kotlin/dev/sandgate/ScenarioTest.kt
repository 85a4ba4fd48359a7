package dev.sandgate

import kotlinx.coroutines.runBlocking
import kotlinx.serialization.json.Json
import kotlinx.serialization.json.JsonObject
import kotlinx.serialization.json.JsonPrimitive
import kotlinx.serialization.json.jsonObject
import org.junit.jupiter.api.DynamicTest
import org.junit.jupiter.api.DynamicTest.dynamicTest
import org.junit.jupiter.api.TestFactory
import java.net.URI
import kotlin.test.assertEquals
import kotlin.test.assertFailsWith
import kotlin.test.assertFalse
import kotlin.test.assertNull
import kotlin.test.assertTrue
import kotlin.test.fail
import kotlin.time.Duration.Companion.seconds

/** scenario.json: the whole flow once per route mode, each against a fresh mock. */
class ScenarioTest {
    private val data = Cases.load("scenario")

    @TestFactory
    fun scenarioModes(): List<DynamicTest> = data.arr("modes").map { m ->
        val mode = (m as JsonPrimitive).content
        dynamicTest("scenario $mode mode") {
            MockServer.start(RouteMode.valueOf(mode.uppercase()), trustedHeaders = true).use { mock ->
                Run(mock).apply { data.arr("steps").forEachIndexed { i, s -> step(i + 1, s.jsonObject) } }
            }
        }
    }

    private class Run(val mock: MockServer) {
        val keys = mutableMapOf<String, CreatedApiKey>()
        val sandboxes = mutableMapOf<String, Sandbox>()
        val endpoints = mutableMapOf<String, Endpoint>()

        fun client(who: JsonObject): Client = who.str("user")?.let { user ->
            Client(
                domain = mock.domain,
                headers = mapOf("X-OpenSandbox-User" to user, "X-OpenSandbox-Roles" to who.s("roles")),
                useEnv = false,
            )
        } ?: Client(domain = mock.domain, apiKey = keys.getValue(who.s("key")).key.expose(), useEnv = false)

        /** The route token an endpoint carries, read the way its route mode carries it. */
        fun token(e: Endpoint): String = when (mock.routeMode) {
            RouteMode.HEADER -> e.headers.getValue("OpenSandbox-Ingress-To")
            RouteMode.WILDCARD -> URI(e.url).host.substringBefore('.')
            RouteMode.URI -> URI(e.url).path.split('/').drop(1).take(4).joinToString("-")
        }

        fun tampered(token: String): String {
            val i = token.length - 2 // the 8th character of the 9-character signature
            return token.substring(0, i) + (if (token[i] == '1') '0' else '1') + token.substring(i + 1)
        }

        fun step(n: Int, s: JsonObject) {
            val op = s.s("op")
            val expect = (s["expect"] as? JsonObject) ?: JsonObject(emptyMap())
            val where = "step $n ($op)"
            val error = expect["error"] as? JsonObject
            if (error != null) {
                val err = assertFailsWith<SandgateException>(where) { runBlocking { clientStep(op, s, expect, where) } }
                assertEquals(error.s("kind"), err.kind, where)
                assertEquals(error.int("status"), err.status, where)
                assertEquals(error.str("code"), err.code, where)
                return
            }
            when (op) {
                "verify_local" -> verifyLocal(s, expect, where)
                "gateway_get" -> gatewayGet(s, expect, where)
                "advance_clock" -> mock.advance(s.int("seconds")!!.toLong())
                else -> runBlocking { clientStep(op, s, expect, where) }
            }
        }

        suspend fun clientStep(op: String, s: JsonObject, expect: JsonObject, where: String) {
            client(s.obj("as")).use { c ->
                when (op) {
                    "create_api_key" -> {
                        val k = c.createApiKey(s.s("name"))
                        keys[s.s("save")] = k
                        assertEquals(expect.s("name"), k.name, where)
                        if (expect.bool("prefix_is_key_start") == true) assertEquals(k.key.expose().take(12), k.prefix, where)
                    }

                    "list_api_keys" -> {
                        val list = c.listApiKeys()
                        assertEquals(expect.int("count"), list.size, where)
                        expect.str("never_contains_key")?.let { name ->
                            val raw = keys.getValue(name).key.expose()
                            for (info in list) {
                                val fields = listOf(info.id, info.name, info.prefix, info.createdAt, info.expiresAt, info.toString())
                                assertFalse(fields.any { it != null && raw in it }, where)
                            }
                        }
                    }

                    "list_sandboxes" -> assertEquals(expect.int("count"), c.listSandboxes().size, where)

                    "create_sandbox" -> {
                        val sb = c.createSandbox(s.s("image"), secureAccess = s.bool("secure_access") ?: false)
                        sandboxes[s.s("save")] = sb
                        expect.str("owner")?.let { assertEquals(it, sb.metadata["access.owner"], where) }
                        expect.bool("secure_access")?.let { assertEquals(it, sb.secureAccess, where) }
                    }

                    "get_signed_endpoint", "get_endpoint" -> {
                        val sb = sandboxes.getValue(s.s("sandbox"))
                        val e = if (op == "get_signed_endpoint") {
                            c.getSignedEndpoint(sb.id, s.int("port")!!, s.int("ttl_seconds")!!.seconds)
                        } else {
                            c.getEndpoint(sb.id, s.int("port")!!)
                        }
                        endpoints[s.s("save")] = e
                        (expect["route"] as? JsonObject)?.let { r ->
                            val route = e.route ?: fail("$where: no route")
                            assertEquals(sb.id, route.sandboxId, where)
                            r.int("port")?.let { assertEquals(it, route.port, where) }
                            r.str("key_id")?.let { assertEquals(it, route.keyId, where) }
                        }
                        expect.str("no_header")?.let { assertFalse(it in e.headers, "$where: ${e.headers.keys}") }
                        expect.str("has_header")?.let { assertTrue(it in e.headers, "$where: ${e.headers.keys}") }
                        if (expect.bool("no_route") == true) assertNull(e.route, where)
                    }

                    "revoke_api_key" -> c.revokeApiKey(keys.getValue(s.s("key")).id)

                    else -> fail("unknown op $op")
                }
            }
        }

        fun verifyLocal(s: JsonObject, expect: JsonObject, where: String) {
            val token = token(endpoints.getValue(s.s("endpoint")))
            SigningKeys.fromFlag(mock.signingKeys.expose()).use { keys ->
                RouteVerifier(keys).use { v ->
                    if (expect.bool("allowed")!!) {
                        assertEquals(sandboxes.values.single().id, v.verify(token, mock.now()).sandboxId, where)
                    } else {
                        val err = assertFailsWith<SandgateException.AccessDenied>(where) { v.verify(token, mock.now()) }
                        assertEquals(expect.s("reason"), err.reason!!.code, where)
                        assertEquals(expect.int("status"), err.status, where)
                    }
                }
            }
        }

        fun gatewayGet(s: JsonObject, expect: JsonObject, where: String) {
            val e = endpoints.getValue(s.s("endpoint"))
            val headers = e.headers.toMutableMap()
            var url = e.url + s.s("path")
            var host: String? = null
            if (mock.routeMode == RouteMode.WILDCARD) {
                host = e.endpoint.substringAfter("://").substringBefore('/')
                url = mock.gatewayUrl + s.s("path")
            }
            if (s.bool("tamper") == true) {
                val token = token(e)
                when (mock.routeMode) {
                    RouteMode.HEADER -> headers["OpenSandbox-Ingress-To"] = tampered(token)
                    RouteMode.WILDCARD -> host = host!!.replaceFirst(token, tampered(token))
                    RouteMode.URI -> url = url.replaceFirst(token.split('-').takeLast(1).single(), tampered(token).takeLast(9))
                }
            }
            s.str("secure_header")?.let { headers["OpenSandbox-Secure-Access"] = it }
            if (s.bool("drop_secure_header") == true) headers.remove("OpenSandbox-Secure-Access")
            val r = Http.get(url, headers, host)
            assertEquals(expect.int("status"), r.statusCode(), "$where: ${r.body()}")
            expect.str("reason")?.let { assertEquals(it, r.headers().firstValue("X-Sandgate-Reason").orElse(null), where) }
            (expect["echo"] as? JsonObject)?.let { echo ->
                val body = Json.parseToJsonElement(r.body()).jsonObject
                assertEquals(sandboxes.values.single().id, body.str("sandbox_id"), where)
                for ((k, v) in echo) assertEquals(v, body[k], "$where: echo $k in ${r.body()}")
            }
        }
    }
}
