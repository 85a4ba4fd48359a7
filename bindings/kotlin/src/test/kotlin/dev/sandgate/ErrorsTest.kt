package dev.sandgate

import kotlinx.coroutines.runBlocking
import kotlinx.serialization.json.JsonObject
import org.junit.jupiter.api.DynamicTest
import org.junit.jupiter.api.Test
import org.junit.jupiter.api.TestFactory
import java.net.ServerSocket
import kotlin.test.assertEquals
import kotlin.test.assertFailsWith
import kotlin.test.assertNotNull
import kotlin.test.assertNull
import kotlin.test.assertTrue
import kotlin.test.fail
import kotlin.time.Duration.Companion.milliseconds
import kotlin.time.Duration.Companion.seconds

/** errors.json: every error kind through the client, against a fresh mock per case. */
class ErrorsTest {
    private fun freePort(): Int = ServerSocket(0).use { it.localPort }

    private fun client(mock: MockServer, who: String?, opts: JsonObject?): Client {
        var domain: String? = if (opts?.bool("closed_port") == true) "127.0.0.1:${freePort()}" else mock.domain
        opts?.str("domain")?.let { domain = it }
        val headers = when (who) {
            "read_only_user" -> mapOf("X-OpenSandbox-User" to "errors-user", "X-OpenSandbox-Roles" to "read_only")
            "operator_user" -> mapOf("X-OpenSandbox-User" to "errors-user", "X-OpenSandbox-Roles" to "operator")
            else -> emptyMap()
        }
        val apiKey = when (who) {
            "admin" -> mock.adminKey.expose()
            "bad_key" -> "osk_not_a_real_key"
            else -> null
        }
        return Client(
            domain = domain,
            apiKey = apiKey,
            protocol = opts?.str("protocol"),
            timeout = opts?.int("timeout_ms")?.milliseconds,
            headers = headers,
            retry = if (opts?.bool("retry") == false) RetryOptions(maxRetries = 0) else RetryOptions(),
            useEnv = false,
        )
    }

    private suspend fun renew(c: Client, args: JsonObject): SandboxRenewal {
        val ttl = args.int("ttl_seconds") ?: return c.renewSandbox(args.s("sandbox_id"), args.s("expires").toULong())
        return c.renewSandbox(args.s("sandbox_id"), ttl.seconds)
    }

    private suspend fun call(c: Client, op: String, args: JsonObject) {
        when (op) {
            "get_sandbox" -> c.getSandbox(args.s("sandbox_id"))
            "get_endpoint" -> c.getEndpoint(args.s("sandbox_id"), args.int("port")!!)
            "get_signed_endpoint" -> c.getSignedEndpoint(args.s("sandbox_id"), args.int("port")!!, args.s("expires").toULong())
            "create_sandbox" -> c.createSandbox(args.s("image"))
            "list_sandboxes" -> c.listSandboxes()
            "create_api_key" -> c.createApiKey(args.str("name"), args.str("expires_at")?.toULong())
            "revoke_api_key" -> c.revokeApiKey(args.s("key_id"))
            "renew_sandbox" -> renew(c, args)
            else -> fail("unknown op $op")
        }
    }

    @TestFactory
    fun errorsCases(): List<DynamicTest> = Cases.load("errors").arr("cases").mapIndexed { i, e ->
        val c = e.asObj()
        case("errors", i, c.s("name")) {
            val expect = c.obj("expect")
            MockServer.start(RouteMode.HEADER, trustedHeaders = true).use { mock ->
                (c["fault"] as? JsonObject)?.let { f ->
                    mock.setFaults(
                        failNext = f.int("fail_next") ?: 0,
                        status = f.int("status"),
                        retryAfter = f.int("retry_after")?.toLong(),
                        latencyMs = f.int("latency_ms")?.toLong() ?: 0,
                        dropNext = f.int("drop_next") ?: 0,
                        corruptNext = f.int("corrupt_next") ?: 0,
                    )
                }
                val opts = c["client"] as? JsonObject
                val outcome: Throwable? = runCatching {
                    if (c.s("op") == "build_client") {
                        client(mock, c.str("as"), opts).close()
                    } else {
                        client(mock, c.str("as"), opts).use { cl ->
                            runBlocking { call(cl, c.s("op"), (c["args"] as? JsonObject) ?: JsonObject(emptyMap())) }
                        }
                    }
                }.exceptionOrNull()
                if (expect.bool("ok") == true) {
                    assertNull(outcome, "expected success, got $outcome")
                    return@use
                }
                val err = outcome as? SandgateException ?: fail("expected a SandgateException, got $outcome")
                assertEquals(expect.s("kind"), err.kind, err.toString())
                expect.int("status")?.let { assertEquals(it, err.status, err.toString()) }
                if (expect.has("code")) assertEquals(expect.str("code"), err.code, err.toString())
                if (expect.bool("request_id") == true) assertTrue(!err.requestId.isNullOrEmpty(), err.toString())
                if (expect.bool("no_request") == true) assertEquals(emptyList(), mock.requests())
                val cls = when (err.kind) {
                    "invalid_argument" -> SandgateException.InvalidArgument::class
                    "invalid_config" -> SandgateException.InvalidConfig::class
                    "api" -> SandgateException.Api::class
                    "timeout" -> SandgateException.Timeout::class
                    "transport" -> SandgateException.Transport::class
                    "decode" -> SandgateException.Decode::class
                    else -> fail("unexpected kind ${err.kind}")
                }
                assertTrue(cls.isInstance(err), "${err::class} for kind ${err.kind}")
            }
        }
    }

    @Test
    fun errorsMatchInWhenWithAllFields() = runBlocking {
        MockServer.start().use { mock ->
            Client(domain = mock.domain, apiKey = mock.adminKey.expose(), useEnv = false).use { c ->
                val err = assertFailsWith<SandgateException> { c.getSandbox("nope") }
                val described = when (err) {
                    is SandgateException.Api -> "api ${err.status} ${err.code}"
                    is SandgateException.AccessDenied -> "denied ${err.reason}"
                    else -> "other"
                }
                assertEquals("api 404 SANDBOX::NOT_FOUND", described)
                assertNotNull(err.requestId)
                assertTrue(err.requestId!! in err.toString(), err.toString())
                assertNull(err.reason)
            }
        }
    }

    @Test
    fun errorsEveryDenyReasonOfCoreHasAnEnumEntry() {
        val codes = dev.sandgate.ffi.codeTables().reasons.map { it.code }
        assertEquals(DenyReason.entries.map { it.code }, codes)
        for (code in codes) assertEquals(code, DenyReason.fromCode(code).code)
        assertFailsWith<IllegalArgumentException> { DenyReason.fromCode("nope") }
    }

    @Test
    fun errorsMockFaultValuesOutOfRangeAreRejected() {
        MockServer.start().use { mock ->
            val err = assertFailsWith<SandgateException.InvalidArgument> { mock.setFaults(failNext = -1) }
            assertTrue("fail_next" in err.message!!, err.message)
            assertFailsWith<SandgateException.InvalidArgument> { mock.setFaults(status = 70000) }
        }
    }

    @Test
    fun errorsBadClientOptionsSayWhatWasWrong() {
        val timeout = assertFailsWith<SandgateException.InvalidConfig> {
            Client(domain = "127.0.0.1:1", timeout = (-5).milliseconds, useEnv = false)
        }
        assertTrue("timeout" in timeout.message!!, timeout.message)
        val header = assertFailsWith<SandgateException.InvalidConfig> {
            Client(domain = "127.0.0.1:1", headers = mapOf("bad header" to "x"), useEnv = false)
        }
        assertTrue("header" in header.message!!, header.message)
    }
}
