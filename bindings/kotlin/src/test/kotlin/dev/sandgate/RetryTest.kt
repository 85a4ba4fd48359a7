package dev.sandgate

import kotlinx.coroutines.runBlocking
import kotlinx.serialization.json.JsonPrimitive
import kotlinx.serialization.json.double
import kotlinx.serialization.json.int
import kotlinx.serialization.json.jsonArray
import kotlinx.serialization.json.jsonPrimitive
import org.junit.jupiter.api.DynamicTest
import org.junit.jupiter.api.Test
import org.junit.jupiter.api.TestFactory
import java.util.Collections
import kotlin.test.assertEquals
import kotlin.test.assertFailsWith
import kotlin.test.assertFalse
import kotlin.test.assertNull
import kotlin.test.assertTrue
import kotlin.time.Duration.Companion.milliseconds
import kotlin.time.Duration.Companion.seconds

/** retry.json through retryDecision, and the client's retries seen through the onRetry hook on the mock. */
class RetryTest {
    private fun long(c: kotlinx.serialization.json.JsonObject, key: String): Long? =
        (c[key] as? JsonPrimitive)?.takeIf { it !is kotlinx.serialization.json.JsonNull }?.content?.toLong()

    private fun statuses(c: kotlinx.serialization.json.JsonObject, key: String): Set<Int>? =
        c[key]?.jsonArray?.map { it.jsonPrimitive.int }?.toSet()

    @TestFactory
    fun retryCases(): List<DynamicTest> = Cases.load("retry").arr("cases").mapIndexed { i, e ->
        val c = e.asObj()
        case("retry", i, c.s("name")) {
            val p = c.obj("policy")
            val options = RetryOptions(
                maxRetries = p.int("max_retries"),
                initialBackoff = long(p, "initial_backoff_ms")?.milliseconds,
                maxBackoff = long(p, "max_backoff_ms")?.milliseconds,
                multiplier = (p["multiplier"] as? JsonPrimitive)?.double,
                retryStatuses = statuses(p, "retry_statuses"),
                postRetryStatuses = statuses(p, "post_retry_statuses"),
                attemptTimeout = long(p, "attempt_timeout_ms")?.milliseconds,
                deadline = long(p, "deadline_ms")?.milliseconds,
            )
            val a = c.obj("attempt")
            val attempt = RetryAttempt(
                method = a.s("method"),
                outcome = a.s("outcome"),
                status = a.int("status"),
                attempt = a.int("attempt")!!,
                prevDelay = long(a, "prev_delay_ms")?.milliseconds,
                retryAfter = a.str("retry_after"),
                now = a.str("now")?.toULong(),
                elapsed = long(a, "elapsed_ms")!!.milliseconds,
            )
            val expect = c.obj("expect")
            val error = expect.str("error")
            if (error != null) {
                val err = assertFailsWith<SandgateException> { retryDecision(options, attempt) }
                assertEquals(error, err.kind, err.toString())
            } else {
                val d = retryDecision(options, attempt)
                assertEquals(expect.bool("retry"), d.retry, "retry")
                assertEquals(expect.s("verdict"), d.verdict, "verdict")
                assertEquals(long(expect, "min_delay_ms"), d.minDelay.inWholeMilliseconds, "min delay")
                assertEquals(long(expect, "max_delay_ms"), d.maxDelay.inWholeMilliseconds, "max delay")
                assertEquals(expect.bool("retryable"), d.retryable, "retryable")
            }
        }
    }

    private fun admin(mock: MockServer, retry: RetryOptions, onRetry: RetryListener? = null) =
        Client(domain = mock.domain, apiKey = mock.adminKey, retry = retry, useEnv = false, onRetry = onRetry)

    private val quick = RetryOptions(maxRetries = 3, initialBackoff = 5.milliseconds, maxBackoff = 20.milliseconds)

    @Test
    fun retryHookSeesEachRetryOfAMockFault() = runBlocking {
        MockServer.start().use { mock ->
            val events = Collections.synchronizedList(mutableListOf<RetryEvent>())
            admin(mock, quick) { events += it }.use { c ->
                val sb = c.createSandbox("python:3.11")
                mock.setFaults(failNext = 2, status = 503)
                val before = mock.requests().size
                assertEquals(sb.id, c.getSandbox(sb.id).id)
                val sent = mock.requests().drop(before)
                assertEquals(listOf(503, 503, 200), sent.map { it.status }, "$sent")
                assertEquals(listOf(1, 2), events.map { it.attempt })
                for (e in events) {
                    assertTrue(e.cause is SandgateException.Api, "${e.cause}")
                    assertEquals(503, e.cause.status)
                    assertTrue(e.cause.isRetryable)
                    assertTrue(e.delay >= 5.milliseconds && e.delay <= 20.milliseconds, "${e.delay}")
                }
            }
        }
    }

    @Test
    fun retryHookSeesA429AndItsRetryAfter() = runBlocking {
        MockServer.start().use { mock ->
            val events = Collections.synchronizedList(mutableListOf<RetryEvent>())
            admin(mock, quick) { events += it }.use { c ->
                mock.setFaults(failNext = 1, status = 429, retryAfter = 1)
                assertEquals(emptyList(), c.listSandboxes())
                assertEquals(1, events.size)
                assertEquals(429, events[0].cause.status)
                assertEquals(1.seconds, events[0].delay, "Retry-After replaces the backoff")
                assertEquals(1.seconds, events[0].cause.retryAfter)
            }
        }
    }

    @Test
    fun retryPostThatReachedTheServerIsNeverResent() = runBlocking {
        MockServer.start().use { mock ->
            val events = Collections.synchronizedList(mutableListOf<RetryEvent>())
            admin(mock, quick) { events += it }.use { c ->
                // The connection drops after the server read the request: not re-sent.
                mock.setFaults(dropNext = 1)
                var before = mock.requests().size
                val dropped = assertFailsWith<SandgateException> { c.createSandbox("python:3.11") }
                assertEquals(listOf("POST"), mock.requests().drop(before).map { it.method }, "$dropped")
                assertFalse(dropped.isRetryable, dropped.toString())
                // A 503 answer to a POST: not retried unless opted in.
                mock.setFaults(failNext = 1, status = 503)
                before = mock.requests().size
                val refused = assertFailsWith<SandgateException.Api> { c.createSandbox("python:3.11") }
                assertEquals(503, refused.status)
                assertEquals(1, mock.requests().drop(before).size)
                assertEquals(emptyList(), events.toList())
            }
            // Opted in: the POST is retried on 503.
            admin(mock, quick.copy(postRetryStatuses = setOf(503))).use { c ->
                mock.setFaults(failNext = 1, status = 503)
                val before = mock.requests().size
                c.createSandbox("python:3.11")
                assertEquals(listOf(503, 202), mock.requests().drop(before).map { it.status })
            }
        }
    }

    @Test
    fun retryConnectFailureBeforeSendingIsResentEvenForPost() = runBlocking {
        val closed = java.net.ServerSocket(0, 1, java.net.InetAddress.getLoopbackAddress()).use { it.localPort }
        val events = Collections.synchronizedList(mutableListOf<RetryEvent>())
        Client(domain = "127.0.0.1:$closed", apiKey = "osk_x", retry = quick.copy(maxRetries = 2), useEnv = false, onRetry = {
            events += it
        }).use { c ->
            val e = assertFailsWith<SandgateException.Transport> { c.createSandbox("python:3.11") }
            assertTrue(e.isRetryable, "nothing was sent: $e")
            assertEquals(listOf(1, 2), events.map { it.attempt })
            assertTrue(events.all { it.cause is SandgateException.Transport })
        }
    }

    @Test
    fun retryA429ReportsRetryableAndRetryAfter() = runBlocking {
        MockServer.start().use { mock ->
            admin(mock, quick.copy(maxRetries = 1)).use { c ->
                // Retried once (after the server's 1 s), then the last 429 is the error.
                mock.setFaults(failNext = 2, status = 429, retryAfter = 1)
                val e = assertFailsWith<SandgateException.Api> { c.listSandboxes() }
                assertEquals(429, e.status)
                assertTrue(e.isRetryable, "a GET on 429 is what the policy retries")
                assertEquals(1.seconds, e.retryAfter)
            }
            admin(mock, RetryOptions.OFF).use { c ->
                mock.setFaults(failNext = 1, status = 429, retryAfter = 7)
                val e = assertFailsWith<SandgateException.Api> { c.listSandboxes() }
                assertEquals(7.seconds, e.retryAfter)
                assertFalse(e.isRetryable, "retries off: nothing is retryable")
                val notFound = assertFailsWith<SandgateException.Api> { c.getSandbox("missing") }
                assertFalse(notFound.isRetryable)
                assertNull(notFound.retryAfter)
            }
        }
    }

    @Test
    fun retryOptionsAreCheckedByCore() {
        for (bad in listOf(
            RetryOptions(multiplier = 0.5),
            RetryOptions(retryStatuses = setOf(200)),
            RetryOptions(retryStatuses = setOf(70000)),
            RetryOptions(deadline = 0.milliseconds),
            RetryOptions(maxRetries = -1),
            RetryOptions(initialBackoff = 2.seconds, maxBackoff = 1.seconds),
        )) {
            val e = assertFailsWith<SandgateException.InvalidConfig>("$bad") { Client(domain = "localhost:1", retry = bad, useEnv = false) }
            assertTrue(e.message!!.contains("retry"), e.toString())
        }
    }
}
