// The whole sandgate flow against the embedded mock server, step by step: mint a key as a
// user, create a secure sandbox with it, get a signed endpoint, GET /ping through the gateway,
// verify the token locally, move the mock clock past the expiry, tamper with the token, and
// revoke the key. Exits 0 when every step behaved.
package dev.sandgate.example

import dev.sandgate.Client
import dev.sandgate.DenyReason
import dev.sandgate.Endpoint
import dev.sandgate.MockServer
import dev.sandgate.RouteMode
import dev.sandgate.RouteVerifier
import dev.sandgate.SandgateException
import dev.sandgate.SigningKeys
import kotlinx.coroutines.runBlocking
import java.net.URI
import java.net.http.HttpClient
import java.net.http.HttpRequest
import java.net.http.HttpResponse
import kotlin.system.exitProcess
import kotlin.time.Duration.Companion.hours
import kotlin.time.Duration.Companion.seconds

private const val INGRESS_TO = "OpenSandbox-Ingress-To"

private val http = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1).build()

/** GET [path] through the gateway with the endpoint's headers. */
private fun get(e: Endpoint, path: String, headers: Map<String, String> = e.headers): HttpResponse<String> {
    val req = HttpRequest.newBuilder(URI(e.url + path)).GET()
    headers.forEach { (k, v) -> req.header(k, v) }
    return http.send(req.build(), HttpResponse.BodyHandlers.ofString())
}

private fun check(ok: Boolean, what: () -> String) {
    if (!ok) throw IllegalStateException(what())
}

fun main() = runBlocking {
    try {
        MockServer.start(RouteMode.HEADER, trustedHeaders = true).use { mock -> flow(mock) }
        println("ok: every step behaved")
    } catch (e: Exception) {
        System.err.println("FAILED: $e")
        exitProcess(1)
    }
}

private suspend fun flow(mock: MockServer) {
    println("mock server: API ${mock.apiUrl} · gateway ${mock.gatewayUrl}")

    // 1. A user (from the trusted headers) mints a key; the raw key is shown this one time.
    val asUser = Client(
        domain = mock.domain,
        headers = mapOf("X-OpenSandbox-User" to "demo-user", "X-OpenSandbox-Roles" to "operator"),
        useEnv = false,
    )
    val key = asUser.createApiKey("demo")
    println("1. minted $key (shown once: ${key.key.expose().length} characters)")

    // 2. With that key alone, create a sandbox that requires secure access.
    Client(domain = mock.domain, apiKey = key.key, useEnv = false).use { client ->
        val sandbox = client.createSandbox("python:3.11", secureAccess = true)
        check(sandbox.metadata["access.owner"] == "demo-user") { "sandbox owner is not demo-user: $sandbox" }
        println("2. created secure sandbox ${sandbox.id} owned by ${sandbox.metadata["access.owner"]}")

        // 3. A signed endpoint for port 8080 that stops working in 60 seconds.
        val endpoint = client.getSignedEndpoint(sandbox.id, 8080, 60.seconds)
        val token = endpoint.headers.getValue(INGRESS_TO)
        println("3. signed endpoint ${endpoint.url} with $INGRESS_TO: $token (expires ${endpoint.route?.expires})")

        // 4. Through the gateway.
        val ping = get(endpoint, "/ping?from=demo")
        check(ping.statusCode() == 200) { "GET /ping answered ${ping.statusCode()}: ${ping.body()}" }
        println("4. GET /ping through the gateway → ${ping.statusCode()} ${ping.body()}")

        // 5. Verify the same token locally with the mock's signing keys.
        SigningKeys.fromFlag(mock.signingKeys).use { keys ->
            RouteVerifier(keys).use { verifier ->
                val route = verifier.verify(token, now = mock.now())
                println("5. verified locally: sandbox ${route.sandboxId} port ${route.port} key ${route.keyId}")

                // 6. Past its expiry the same link is rejected, by the gateway and locally.
                mock.advance(61)
                val late = get(endpoint, "/ping")
                check(late.statusCode() == 401 && "expired" in late.body()) { "expired link answered ${late.statusCode()}: ${late.body()}" }
                val denied = try {
                    verifier.verify(token, now = mock.now())
                    null
                } catch (e: SandgateException.AccessDenied) {
                    e
                }
                check(denied?.reason == DenyReason.EXPIRED) { "local verify did not say expired: $denied" }
                println("6. after the clock moved 61 s: ${late.statusCode()} ${late.body().trim()}")
            }
        }

        // 7. A tampered token is rejected.
        val fresh = client.getSignedEndpoint(sandbox.id, 8080, 1.hours)
        val good = fresh.headers.getValue(INGRESS_TO)
        val i = good.length - 2
        val bad = good.substring(0, i) + (if (good[i] == '0') '1' else '0') + good.substring(i + 1)
        check(get(fresh, "/ping").statusCode() == 200) { "the fresh link was refused" }
        val tampered = get(fresh, "/ping", fresh.headers + (INGRESS_TO to bad))
        check(tampered.statusCode() == 401 && "bad_signature" in tampered.body()) {
            "tampered token answered ${tampered.statusCode()}: ${tampered.body()}"
        }
        println("7. tampered token $bad: ${tampered.statusCode()} ${tampered.body().trim()}")

        // 8. Revoke the key: it stops working.
        asUser.use { it.revokeApiKey(key.id) }
        try {
            client.listSandboxes()
            throw IllegalStateException("revoked key still works")
        } catch (e: SandgateException.Api) {
            check(e.status == 401) { "revoked key gave $e" }
            println("8. revoked key ${key.id} → $e")
        }
    }
}
