package dev.sandgate

import kotlinx.coroutines.runBlocking
import org.junit.jupiter.api.Test
import kotlin.test.assertEquals
import kotlin.test.assertFailsWith
import kotlin.test.assertFalse
import kotlin.test.assertNull
import kotlin.test.assertTrue
import kotlin.time.Duration.Companion.minutes
import kotlin.time.Duration.Companion.seconds

/** Issue 18 on the mock: endpoint modes, origin, shareable URLs, the server clock. */
class ClientEndpointsTest {
    private fun admin(mock: MockServer) = Client(domain = mock.domain, apiKey = mock.adminKey, useEnv = false)

    @Test
    fun clientServerProxyEndpointsCarryTheApiKeyDirectAndSignedNever() = runBlocking {
        MockServer.start().use { mock ->
            admin(mock).use { c ->
                val sb = c.createSandbox("python:3.11", secureAccess = true)
                val key = mock.adminKey.expose()
                val proxy = c.endpoint(sb.id, 8080, EndpointMode.ServerProxy)
                assertEquals(EndpointKind.SERVER_PROXY, proxy.kind)
                val sent = proxy.headers.entries.single { it.key.equals("OPEN-SANDBOX-API-KEY", ignoreCase = true) }
                assertEquals(key, sent.value)
                assertEquals("***", proxy.redactedHeaders.getValue(sent.key))
                assertFalse(key in proxy.toString())
                val direct = c.endpoint(sb.id, 8080)
                val signed = c.endpoint(sb.id, 8080, EndpointMode.SignedFor(5.minutes))
                val at = c.endpoint(sb.id, 8081, EndpointMode.SignedAt(mock.now() + 600uL))
                assertEquals(EndpointKind.DIRECT, direct.kind)
                assertEquals(EndpointKind.SIGNED, signed.kind)
                assertEquals(EndpointKind.SIGNED, at.kind)
                assertEquals(mock.now() + 600uL, at.route!!.expires)
                for (e in listOf(direct, signed, at)) {
                    assertTrue(e.headers.values.none { key in it }, "$e carries the API key")
                    assertTrue(key !in e.url)
                }
                // The old names are the same calls.
                assertEquals(direct, c.getEndpoint(sb.id, 8080))
                assertEquals(signed.route!!.sandboxId, c.getSignedEndpoint(sb.id, 8080, 5.minutes).route!!.sandboxId)
            }
        }
    }

    @Test
    fun clientEndpointOriginWhenTheServerSendsIt() = runBlocking {
        MockServer.start(endpointOrigin = "https://sandboxes.example.com").use { mock ->
            admin(mock).use { c ->
                val sb = c.createSandbox("python:3.11")
                for (mode in listOf(EndpointMode.Direct, EndpointMode.ServerProxy, EndpointMode.SignedFor(1.minutes))) {
                    assertEquals("https://sandboxes.example.com", c.endpoint(sb.id, 8080, mode).origin, "$mode")
                }
            }
        }
        MockServer.start().use { mock ->
            admin(mock).use { c -> assertNull(c.endpoint(c.createSandbox("python:3.11").id, 8080).origin) }
        }
    }

    @Test
    fun clientShareableUrlInWildcardAndUriModesAndItsErrorInHeaderMode() = runBlocking {
        MockServer.start(RouteMode.URI).use { mock ->
            admin(mock).use { c ->
                val sb = c.createSandbox("python:3.11", secureAccess = true)
                val signed = c.endpoint(sb.id, 8080, EndpointMode.SignedFor(5.minutes))
                val url = signed.shareableUrl("/ping?x=1")
                assertTrue(url.startsWith(signed.url) && url.endsWith("/ping?x=1"), url)
                assertEquals(200, Http.get(url, emptyMap()).statusCode(), url)
                assertEquals(signed.url, signed.shareableUrl())
                assertFailsWith<SandgateException.InvalidArgument> { signed.shareableUrl("ping") }
                val direct = c.endpoint(sb.id, 8080)
                val e = assertFailsWith<SandgateException.InvalidArgument> { direct.shareableUrl("/ping") }
                assertTrue("OpenSandbox-Secure-Access" in e.message!!, e.toString())
                assertFalse(direct.headers.getValue("OpenSandbox-Secure-Access") in e.toString())
                assertFailsWith<SandgateException.InvalidArgument> { c.endpoint(sb.id, 8080, EndpointMode.ServerProxy).shareableUrl() }
            }
        }
        MockServer.start(RouteMode.WILDCARD).use { mock ->
            admin(mock).use { c ->
                val sb = c.createSandbox("python:3.11", secureAccess = true)
                val signed = c.endpoint(sb.id, 8080, EndpointMode.SignedFor(5.minutes))
                val url = signed.shareableUrl("/ping")
                val token = signed.route!!.let { r -> signed.url.substringAfter("://").substringBefore(".") }
                assertTrue(url.startsWith("http://$token.") && url.endsWith("/ping"), url)
                val host = url.substringAfter("://").substringBefore("/")
                val local = "http://" + mock.gatewayUrl.substringAfter("://") + "/ping"
                assertEquals(200, Http.get(local, emptyMap(), host = host).statusCode())
            }
        }
        MockServer.start(RouteMode.HEADER).use { mock ->
            admin(mock).use { c ->
                val sb = c.createSandbox("python:3.11", secureAccess = true)
                val signed = c.endpoint(sb.id, 8080, EndpointMode.SignedFor(5.minutes))
                val e = assertFailsWith<SandgateException.InvalidArgument> { signed.shareableUrl("/ping") }
                assertTrue("OpenSandbox-Ingress-To" in e.message!!, e.toString())
                assertFalse(signed.headers.getValue("OpenSandbox-Ingress-To") in e.toString())
            }
        }
    }

    @Test
    fun clientTtlCountsOnTheServersClock() = runBlocking {
        MockServer.start().use { mock ->
            val machine = System.currentTimeMillis().toULong() / 1000uL
            for (offset in listOf(3600L, -3600L)) {
                mock.setNow((machine.toLong() + offset).toULong())
                admin(mock).use { c ->
                    val sb = c.createSandbox("python:3.11", secureAccess = true, timeout = 10.minutes)
                    val e = c.endpoint(sb.id, 8080, EndpointMode.SignedFor(60.seconds))
                    val expires = e.route!!.expires!!.toLong()
                    val want = mock.now().toLong() + 60
                    assertTrue(expires in want - 3..want, "expires $expires, mock now + 60 = $want (offset $offset)")
                }
            }
        }
    }

    @Test
    fun clientPauseAndResumeASandbox() = runBlocking {
        MockServer.start().use { mock ->
            admin(mock).use { c ->
                val sb = c.createSandbox("python:3.11")
                c.pauseSandbox(sb.id)
                assertEquals("Paused", c.getSandbox(sb.id).state)
                val again = assertFailsWith<SandgateException.Api> { c.pauseSandbox(sb.id) }
                assertEquals(409, again.status)
                c.resumeSandbox(sb.id)
                assertEquals("Running", c.getSandbox(sb.id).state)
                assertFailsWith<SandgateException.InvalidArgument> { c.pauseSandbox("") }
            }
        }
    }
}
