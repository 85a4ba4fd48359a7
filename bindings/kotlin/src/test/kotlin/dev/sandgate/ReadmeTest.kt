package dev.sandgate

import kotlinx.coroutines.runBlocking
import org.junit.jupiter.api.Test
import java.io.File
import kotlin.test.assertEquals
import kotlin.time.Duration.Companion.milliseconds
import kotlin.time.Duration.Companion.minutes
import kotlin.time.Duration.Companion.seconds

/** The snippet at the top of README.md: compiled and run here, and checked to be that text. */
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
}
