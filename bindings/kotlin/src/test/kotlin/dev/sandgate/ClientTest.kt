package dev.sandgate

import kotlinx.coroutines.CancellationException
import kotlinx.coroutines.Dispatchers
import kotlinx.coroutines.TimeoutCancellationException
import kotlinx.coroutines.async
import kotlinx.coroutines.awaitAll
import kotlinx.coroutines.delay
import kotlinx.coroutines.launch
import kotlinx.coroutines.runBlocking
import kotlinx.coroutines.withTimeout
import org.junit.jupiter.api.Test
import kotlin.math.abs
import kotlin.test.assertEquals
import kotlin.test.assertFailsWith
import kotlin.test.assertFalse
import kotlin.test.assertNotNull
import kotlin.test.assertNull
import kotlin.test.assertTrue
import kotlin.time.Duration.Companion.hours
import kotlin.time.Duration.Companion.milliseconds
import kotlin.time.Duration.Companion.minutes
import kotlin.time.Duration.Companion.seconds

/** The client against the in-process mock: every operation, cancellation, concurrency, handles. */
class ClientTest {
    private fun admin(mock: MockServer, retries: Boolean = true) = Client(
        domain = mock.domain,
        apiKey = mock.adminKey.expose(),
        retry = if (retries) RetryOptions() else RetryOptions(maxRetries = 0),
        useEnv = false,
    )

    private fun user(mock: MockServer, name: String = "kotlin-user") = Client(
        domain = mock.domain,
        headers = mapOf("X-OpenSandbox-User" to name, "X-OpenSandbox-Roles" to "operator"),
        useEnv = false,
    )

    @Test
    fun clientSandboxOperations() = runBlocking {
        MockServer.start(trustedHeaders = true).use { mock ->
            admin(mock).use { c ->
                assertEquals(mock.apiUrl, c.baseUrl)
                val sb = c.createSandbox("python:3.11", secureAccess = true, metadata = mapOf("team" to "k"), timeout = 10.minutes)
                assertEquals("python:3.11", sb.image)
                assertTrue(sb.secureAccess)
                assertEquals("k", sb.metadata["team"])
                assertNotNull(sb.expiresAt)
                assertEquals(sb, c.getSandbox(sb.id))
                assertEquals(listOf(sb.id), c.listSandboxes().map { it.id })

                val plain = c.getEndpoint(sb.id, 8080)
                assertNull(plain.route)
                assertTrue(plain.url.startsWith("http://"), plain.url)
                assertTrue("OpenSandbox-Secure-Access" in plain.headers)

                val expires = mock.now() + 3600uL
                val signed = c.getSignedEndpoint(sb.id, 8080, expires)
                assertEquals(RouteInfo(sb.id, 8080, expires, "a"), signed.route)
                assertFalse("OpenSandbox-Secure-Access" in signed.headers)
                val byTtl = c.getSignedEndpoint(sb.id, 9000, 1.hours)
                assertEquals(9000, byTtl.route!!.port)

                c.deleteSandbox(sb.id)
                val gone = assertFailsWith<SandgateException.Api> { c.getSandbox(sb.id) }
                assertEquals(404, gone.status)
                assertEquals(emptyList(), c.listSandboxes())
            }
        }
    }

    @Test
    fun clientRenewSandboxMovesItsExpiry() = runBlocking {
        MockServer.start().use { mock ->
            admin(mock).use { c ->
                val sb = c.createSandbox("python:3.11", timeout = 10.minutes)
                val until = System.currentTimeMillis().toULong() / 1000uL + 7200uL
                val renewed = c.renewSandbox(sb.id, until)
                assertEquals(until, renewed.expires)
                assertTrue(renewed.expiresAt != sb.expiresAt, renewed.expiresAt)
                assertEquals(renewed.expiresAt, c.getSandbox(sb.id).expiresAt)
                val byTtl = c.renewSandbox(sb.id, 24.hours)
                val wanted = System.currentTimeMillis() / 1000 + 86_400
                assertTrue(abs(byTtl.expires.toLong() - wanted) <= 2, "$byTtl")
                assertEquals(byTtl.expiresAt, c.getSandbox(sb.id).expiresAt)
                val missing = assertFailsWith<SandgateException.Api> { c.renewSandbox("does-not-exist", 1.minutes) }
                assertEquals(404 to "SANDBOX::NOT_FOUND", missing.status to missing.code)
                // A bad expiry is refused before any request.
                val sent = mock.requests().size
                assertFailsWith<SandgateException.InvalidArgument> { c.renewSandbox(sb.id, 0.seconds) }
                assertFailsWith<SandgateException.InvalidArgument> { c.renewSandbox(sb.id, (-5).seconds) }
                assertFailsWith<SandgateException.InvalidArgument> { c.renewSandbox(sb.id, 1000uL) }
                assertEquals(sent, mock.requests().size)
            }
        }
    }

    @Test
    fun clientMintsListsAndRevokesKeys() = runBlocking {
        MockServer.start(trustedHeaders = true).use { mock ->
            user(mock).use { c ->
                val expiresAt = mock.now() + 86_400uL
                val k = c.createApiKey("ci", expiresAt = expiresAt)
                assertEquals("ci", k.name)
                assertEquals(k.key.expose().take(12), k.prefix)
                assertNotNull(k.expiresAt)
                val listed = c.listApiKeys().single()
                assertEquals(ApiKeyInfo(k.id, "ci", k.prefix, listed.createdAt, k.expiresAt, false), listed)

                // The minted key acts as its owner.
                Client(domain = mock.domain, apiKey = k.key.expose(), useEnv = false).use { asKey ->
                    val sb = asKey.createSandbox("python:3.11")
                    assertEquals("kotlin-user", sb.metadata["access.owner"])
                }
                c.revokeApiKey(k.id)
                assertTrue(c.listApiKeys().single().revoked)
                Client(domain = mock.domain, apiKey = k.key.expose(), useEnv = false).use { asKey ->
                    val err = assertFailsWith<SandgateException.Api> { asKey.listSandboxes() }
                    assertEquals(401, err.status)
                }
            }
        }
    }

    @Test
    fun clientCancellingTheCoroutineCancelsTheRequest() = runBlocking {
        MockServer.start().use { mock ->
            // Every attempt waits 600 ms and then fails with a retryable 503: left alone, the
            // client would make 3 attempts. Cancelling after the first must stop the rest.
            mock.setFaults(failNext = 100, status = 503, retryAfter = 0, latencyMs = 600)
            admin(mock).use { c ->
                val job = launch(Dispatchers.Default) { c.listSandboxes() }
                // Requests are logged on arrival; wait until the first attempt was answered.
                while (mock.requests().none { it.status == 503 }) delay(10)
                job.cancel()
                job.join()
                assertTrue(job.isCancelled)
                val atCancel = mock.requests().size
                delay(2_000) // long enough for two more attempts
                val after = mock.requests()
                assertTrue(after.size <= atCancel + 1, "requests went on after cancel: $after")
                assertTrue(after.size < 3, "all attempts ran: $after")
                // An attempt cut short by the cancel is logged unanswered (status 0).
                assertTrue(after.all { it.path.endsWith("/sandboxes") && it.status in setOf(0, 503) }, "$after")
                assertTrue(after.count { it.status == 503 } <= 2, "$after")

                // The client still works afterwards.
                mock.clearFaults()
                assertEquals(emptyList(), c.listSandboxes())
            }
        }
    }

    @Test
    fun clientWithTimeoutCancelsASlowRequest() = runBlocking {
        MockServer.start().use { mock ->
            mock.setFaults(latencyMs = 1_500)
            admin(mock).use { c ->
                val started = System.nanoTime()
                assertFailsWith<TimeoutCancellationException> { withTimeout(200.milliseconds) { c.listSandboxes() } }
                mock.clearFaults()
                assertEquals(emptyList(), c.listSandboxes())
                assertTrue(System.nanoTime() - started >= 200.milliseconds.inWholeNanoseconds)
            }
        }
    }

    @Test
    fun clientConcurrentUseFromManyCoroutines() = runBlocking {
        MockServer.start(trustedHeaders = true).use { mock ->
            admin(mock).use { c ->
                val sandboxes = (1..8).map { c.createSandbox("img:$it") }
                mock.reset()
                // reset forgets sandboxes too: create them again, then hammer them.
                val fresh = sandboxes.indices.map { c.createSandbox("img:$it") }
                val before = mock.requests().size
                val results = (0 until 64).map { i ->
                    async(Dispatchers.Default) {
                        val sb = fresh[i % fresh.size]
                        if (i % 2 == 0) c.getSandbox(sb.id).id else c.getEndpoint(sb.id, 1000 + i).route?.sandboxId ?: sb.id
                    }
                }.awaitAll()
                assertEquals((0 until 64).map { fresh[it % fresh.size].id }, results)
                assertEquals(64, mock.requests().size - before)
                assertTrue(mock.requests().drop(before).all { it.status == 200 })
            }
        }
    }

    @Test
    fun clientUserAgentNamesKotlin() = runBlocking {
        MockServer.start().use { mock ->
            admin(mock).use { it.listSandboxes() }
            val ua = mock.requests().single().userAgent
            assertTrue(ua != null && ua.startsWith("sandgate/") && "(kotlin)" in ua, ua)
        }
    }

    @Test
    fun clientSecretsPrintStars() = runBlocking {
        MockServer.start(trustedHeaders = true).use { mock ->
            val admin = mock.adminKey.expose()
            assertFalse(admin in mock.toString(), mock.toString())
            assertEquals("***", mock.adminKey.toString())
            assertEquals("***", mock.signingKeys.toString())
            admin(mock).use { c ->
                assertFalse(admin in c.toString(), c.toString())
                assertTrue("***" in c.toString(), c.toString())
                val sb = c.createSandbox("python:3.11", secureAccess = true)
                val e = c.getEndpoint(sb.id, 8080)
                val token = e.headers.getValue("OpenSandbox-Secure-Access")
                assertTrue(token.length >= 16)
                assertFalse(token in e.toString(), e.toString())
                assertTrue("OpenSandbox-Secure-Access=***" in e.toString(), e.toString())
            }
            user(mock).use { c ->
                val k = c.createApiKey("shown-once")
                assertFalse(k.key.expose() in k.toString(), k.toString())
                assertTrue("key=***" in k.toString(), k.toString())
            }
        }
    }

    @Test
    fun clientHandlesCloseTwiceSafely() {
        val mock = MockServer.start()
        val c = admin(mock)
        val keys = SigningKeys.fromFlag("a=Zm9v")
        val signer = RouteSigner(keys, "a")
        val verifier = RouteVerifier(keys)
        for (h in listOf<AutoCloseable>(c, signer, verifier, keys, mock)) {
            h.close()
            h.close()
        }
        assertFailsWith<IllegalStateException> { runBlocking { c.listSandboxes() } }
        assertFailsWith<IllegalStateException> { signer.sign("abc", 80, 1uL) }
        assertFailsWith<IllegalStateException> { verifier.verify("abc-80") }
        // Closed objects still print.
        assertTrue("a" in keys.toString())
        assertFalse(mock.adminKey.expose() in mock.toString())
    }

    @Test
    fun clientStoppedMockRefusesConnections() = runBlocking {
        val mock = MockServer.start()
        admin(mock, retries = false).use { c ->
            assertEquals(emptyList(), c.listSandboxes())
            mock.stop()
            mock.stop()
            delay(50)
            val err = assertFailsWith<SandgateException> { c.listSandboxes() }
            assertTrue(err is SandgateException.Transport, err.toString())
        }
        mock.close()
    }

    @Test
    fun clientSignedEndpointInThePastIsRejectedBeforeSending() = runBlocking {
        MockServer.start().use { mock ->
            admin(mock).use { c ->
                assertFailsWith<SandgateException.InvalidArgument> { c.getSignedEndpoint("abc", 80, 0.seconds) }
                assertFailsWith<SandgateException.InvalidArgument> { c.getSignedEndpoint("abc", 80, (-5).seconds) }
                assertFailsWith<SandgateException.InvalidArgument> { c.createSandbox("img", timeout = 500.milliseconds) }
                assertEquals(emptyList(), mock.requests())
            }
        }
    }
}
