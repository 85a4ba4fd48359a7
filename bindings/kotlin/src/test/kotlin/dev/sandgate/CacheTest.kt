package dev.sandgate

import kotlinx.coroutines.Dispatchers
import kotlinx.coroutines.async
import kotlinx.coroutines.awaitAll
import kotlinx.coroutines.runBlocking
import kotlinx.serialization.json.JsonNull
import kotlinx.serialization.json.JsonPrimitive
import org.junit.jupiter.api.DynamicTest
import org.junit.jupiter.api.Test
import org.junit.jupiter.api.TestFactory
import kotlin.test.assertEquals
import kotlin.test.assertFailsWith
import kotlin.time.Duration.Companion.milliseconds
import kotlin.time.Duration.Companion.minutes

/** cache.json through cacheDecision, and the client's endpoint cache on the mock. */
class CacheTest {
    private fun long(c: kotlinx.serialization.json.JsonObject, key: String): Long? =
        (c[key] as? JsonPrimitive)?.takeIf { it !is JsonNull }?.content?.toLong()

    @TestFactory
    fun cacheCases(): List<DynamicTest> = Cases.load("cache").arr("cases").mapIndexed { i, e ->
        val c = e.asObj()
        case("cache", i, c.s("name")) {
            val p = c.obj("policy")
            val options = CacheOptions(
                enabled = p.bool("enabled"),
                maxEntries = long(p, "max_entries"),
                ttl = long(p, "ttl_ms")?.milliseconds,
                margin = long(p, "margin_ms")?.milliseconds,
            )
            val signed = c.str("signed_expires")?.toULong()
            val fetched = c.s("fetched_at_ms").toULong()
            val now = c.s("now_ms").toULong()
            val expect = c.obj("expect")
            val error = expect.str("error")
            if (error != null) {
                val err = assertFailsWith<SandgateException> { cacheDecision(options, signed, fetched, now) }
                assertEquals(error, err.kind, err.toString())
            } else {
                val f = cacheDecision(options, signed, fetched, now)
                assertEquals(expect.bool("fresh"), f.fresh, "fresh")
                assertEquals(expect.s("until_ms").toULong(), f.untilMs, "until_ms")
            }
        }
    }

    private fun admin(mock: MockServer, cache: CacheOptions = CacheOptions()) =
        Client(domain = mock.domain, apiKey = mock.adminKey, useEnv = false, cache = cache)

    private fun MockServer.endpointRequests() = requests().count { "/endpoints/" in it.path }

    @Test
    fun cacheFiftyConcurrentSignedEndpointCallsSendOneRequest() = runBlocking {
        MockServer.start().use { mock ->
            admin(mock).use { c ->
                val sb = c.createSandbox("python:3.11", secureAccess = true)
                mock.setFaults(latencyMs = 200) // the calls overlap
                val endpoints = (1..50).map {
                    async(Dispatchers.Default) { c.endpoint(sb.id, 8080, EndpointMode.SignedFor(10.minutes)) }
                }.awaitAll()
                mock.clearFaults()
                assertEquals(1, mock.endpointRequests(), "${mock.requests()}")
                assertEquals(1, endpoints.map { it.headers.getValue("OpenSandbox-Ingress-To") }.toSet().size)
                c.endpoint(sb.id, 8080, EndpointMode.SignedFor(10.minutes))
                assertEquals(1, mock.endpointRequests(), "a later call is a hit too")
            }
        }
    }

    @Test
    fun cacheDeletePauseAndResumeThroughTheClientInvalidate() = runBlocking {
        MockServer.start().use { mock ->
            admin(mock).use { c ->
                val sb = c.createSandbox("python:3.11", secureAccess = true)
                c.endpoint(sb.id, 8080)
                c.endpoint(sb.id, 8080)
                assertEquals(1, mock.endpointRequests())
                c.pauseSandbox(sb.id)
                assertEquals("Paused", c.getSandbox(sb.id).state)
                c.endpoint(sb.id, 8080)
                assertEquals(2, mock.endpointRequests(), "pause invalidates")
                c.resumeSandbox(sb.id)
                assertEquals("Running", c.getSandbox(sb.id).state)
                c.endpoint(sb.id, 8080)
                assertEquals(3, mock.endpointRequests(), "resume invalidates")
                c.endpoint(sb.id, 8080)
                assertEquals(3, mock.endpointRequests())
                c.deleteSandbox(sb.id)
                assertFailsWith<SandgateException.Api> { c.endpoint(sb.id, 8080) }
                assertEquals(4, mock.endpointRequests(), "delete invalidates")
            }
        }
    }

    @Test
    fun cacheOffAsksTheServerEveryTime() = runBlocking {
        MockServer.start().use { mock ->
            admin(mock, CacheOptions.OFF).use { c ->
                val sb = c.createSandbox("python:3.11")
                repeat(3) { c.endpoint(sb.id, 8080, EndpointMode.SignedFor(10.minutes)) }
                assertEquals(3, mock.endpointRequests())
            }
            val e = assertFailsWith<SandgateException.InvalidConfig> {
                Client(domain = mock.domain, useEnv = false, cache = CacheOptions(ttl = 0.milliseconds))
            }
            assertEquals("invalid_config", e.kind)
        }
    }
}
