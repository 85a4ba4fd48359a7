package dev.sandgate

import com.sun.net.httpserver.HttpServer
import kotlinx.coroutines.runBlocking
import org.junit.jupiter.api.Test
import java.io.File
import java.net.InetSocketAddress
import kotlin.test.assertEquals
import kotlin.test.assertFailsWith
import kotlin.time.Duration.Companion.milliseconds
import kotlin.time.Duration.Companion.minutes
import kotlin.time.Duration.Companion.seconds

/** The snippets of README.md: compiled and run here, and checked to be that text. */
class ReadmeTest {
    private fun snippet() = runBlocking {
        // README:start
        MockServer.start(trustedHeaders = true).use { mock ->
            val user = Client(domain = mock.domain, headers = mapOf("X-OpenSandbox-User" to "ada", "X-OpenSandbox-Roles" to "operator"))
            val created = user.use { it.createApiKey("laptop") } // created.key prints ***
            val retry = RetryOptions(maxRetries = 3, initialBackoff = 200.milliseconds, maxBackoff = 2.seconds)
            Client(domain = mock.domain, apiKey = created.key, retry = retry).use { client ->
                val sandbox = client.createSandbox("python:3.11", secureAccess = true) // suspend
                val endpoint = client.getSignedEndpoint(sandbox.id, 8080, 5.minutes)
                // GET endpoint.url + "/ping" with endpoint.headers reaches the sandbox through the gateway
                RouteVerifier(SigningKeys.fromFlag(mock.signingKeys)).use { verifier ->
                    println(verifier.verify(endpoint.headers.getValue("OpenSandbox-Ingress-To"), now = mock.now()))
                }
            }
        }
        // README:end
    }

    @Test
    fun readmeSnippetRunsAndIsTheReadmeText() {
        snippet()
        val source = File("src/test/kotlin/dev/sandgate/ReadmeTest.kt").readText()
        val here = source.substringAfter("// README:start\n").substringBefore("        // README:end").trimIndent().trim()
        val readme = File("README.md").readText().substringAfter("```kotlin\n").substringBefore("```").trim()
        assertEquals(readme, here)
    }

    private val source get() = File("src/test/kotlin/dev/sandgate/ReadmeTest.kt").readText()

    /** The test's text between `// README:<name>:start` and its end marker, and the README block after `<!-- snippet: <name> -->`. */
    private fun assertSnippet(name: String) {
        val here = source.substringAfter("// README:$name:start\n").substringBefore("// README:$name:end").trimIndent().trim()
        val readme = File("README.md").readText().substringAfter("<!-- snippet: $name -->\n```kotlin\n").substringBefore("```").trim()
        assertEquals(readme, here)
    }

    @Test
    fun readmeGatewaySnippetRunsAndIsTheReadmeText() {
        val flag = "a=bXktdGVzdC1zZWNyZXQ="
        // README:gateway:start
        val gateway =
            Gateway(
                RouteMode.HEADER,
                SigningKeys.fromFlag(flag),
                policy = """{"sandboxes": {"sbx-1": {"secure": true, "access_token": "tok_1"}}}""",
            )
        val server = HttpServer.create(InetSocketAddress("127.0.0.1", 0), 0)
        val context = server.createContext("/") { exchange ->
            val route = GatewayFilter.route(exchange)!! // verified, and the credential headers are gone
            val body = "hello ${route.sandboxId}:${route.port} at ${exchange.requestURI}".toByteArray()
            exchange.sendResponseHeaders(200, body.size.toLong())
            exchange.responseBody.use { it.write(body) }
        }
        context.filters.add(gateway.filter())
        server.start()
        // Without a server: gateway.check("/path?q=1", listOf("Host" to host, "OpenSandbox-Ingress-To" to token))
        // README:gateway:end
        try {
            val token = RouteSigner(SigningKeys.fromFlag(flag), "a").use { it.sign("sbx-1", 8080, 5.minutes) }.token
            val url = "http://127.0.0.1:${server.address.port}/app?x=1"
            val ok = Http.get(url, mapOf("OpenSandbox-Ingress-To" to token))
            assertEquals(200, ok.statusCode(), ok.body())
            assertEquals("hello sbx-1:8080 at /app?x=1", ok.body())
            val refused = Http.get(url, mapOf("OpenSandbox-Ingress-To" to "sbx-1-8080"))
            assertEquals(401, refused.statusCode())
            assertEquals("credential_required", refused.headers().firstValue("X-Sandgate-Reason").get())
        } finally {
            server.stop(0)
            gateway.close()
        }
        assertSnippet("gateway")
    }

    @Test
    fun readmeRotationSnippetRunsAndIsTheReadmeText() {
        val a = "a=YWFhYWFhYWFhYWFhYWFhYWFhYWFhYWFhYWFhYWFhYWE="
        val b = "b=YmJiYmJiYmJiYmJiYmJiYmJiYmJiYmJiYmJiYmJiYmI="
        val now = 1_900_000_000uL
        val aToken = RouteSigner(SigningKeys.fromFlag(a), "a").use { it.sign("sbx-1", 8080, now + 60uL) }.token
        val bToken = RouteSigner(SigningKeys.fromFlag(b), "b").use { it.sign("sbx-1", 8080, now + 60uL) }.token
        val verifier = RouteVerifier(SigningKeys.fromFlag(a))
        val gateway = Gateway(RouteMode.HEADER, SigningKeys.fromFlag(a), now = now)
        val through = { token: String -> gateway.check("/", listOf("Host" to "gw", "OpenSandbox-Ingress-To" to token)) }
        assertEquals("unknown_key", through(bToken).reason)
        // README:rotation:start
        fun rotate(keys: String, active: String) {
            val next = SigningKeys.fromEnv(
                mapOf("OPENSANDBOX_SECURE_ACCESS_KEYS" to keys, "OPENSANDBOX_SECURE_ACCESS_ACTIVE_KEY" to active),
            )!!
            verifier.replaceKeys(next)
            gateway.replaceKeys(next)
        }
        rotate("$a,$b", "a") // 1. add b everywhere; a still signs
        rotate("$a,$b", "b") // 2. activate b: new links are b's, a's still verify
        rotate(b, "b") // 3. after a's last link has expired: a's links answer 401 unknown_key
        // README:rotation:end
        assertEquals("b", verifier.verify(bToken, now).keyId)
        assertEquals(200, through(bToken).status)
        val gone = assertFailsWith<SandgateException.AccessDenied> { verifier.verify(aToken, now) }
        assertEquals(DenyReason.UNKNOWN_KEY, gone.reason)
        assertEquals(401, through(aToken).status)
        assertEquals("unknown_key", through(aToken).reason)
        verifier.close()
        gateway.close()
        assertSnippet("rotation")
    }
}
