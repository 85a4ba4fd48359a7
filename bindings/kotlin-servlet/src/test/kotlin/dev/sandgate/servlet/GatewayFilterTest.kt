package dev.sandgate.servlet

import dev.sandgate.Gateway
import dev.sandgate.RouteMode
import dev.sandgate.RouteSigner
import dev.sandgate.SigningKeys
import kotlinx.serialization.json.JsonObject
import kotlinx.serialization.json.jsonObject
import kotlinx.serialization.json.jsonPrimitive
import org.junit.jupiter.api.DynamicTest
import org.junit.jupiter.api.Test
import org.junit.jupiter.api.TestFactory
import kotlin.test.assertEquals
import kotlin.test.assertNull
import kotlin.test.assertTrue

/** gateway.json through [SandgateGatewayFilter] on a real Jetty 12 server, and what the app behind it sees. */
class GatewayFilterTest {
    private fun gatewayOf(c: JsonObject): Gateway = SigningKeys.fromFlag(c.s("keys")).use { keys ->
        Gateway(RouteMode.valueOf(c.s("mode").uppercase()), keys, policy = c.str("policy"), now = c.s("now").toULong())
    }

    private fun strip(expect: JsonObject) = expect.arr("headers_to_strip").map { it.jsonPrimitive.content.lowercase() }.toSet()

    /**
     * The cases Jetty 12 (default HttpCompliance RFC9110 and UriCompliance DEFAULT) refuses with
     * its own 400 before any filter runs, and the message it gives. All are answered 400 and the
     * application never runs: Jetty fails closed, also for the nine that core would allow.
     */
    private val jettyRefuses = mapOf(
        // Host values that are not host[:port]: a scheme, a space, empty, two joined by a comma.
        "access: signed host route with scheme and port" to "Bad HostPort",
        "access: ingress header wins over host" to "Bad HostPort",
        "access: empty host falls through to the uri path" to "Blank Host",
        "two Host values joined by a comma are malformed" to "Duplicate Host Header",
        "two Host headers are malformed" to "Duplicate Host Header",
        // A target that is not an origin-form path.
        "access: header route, query only" to "Bad URI path",
        "access: header route, target * is malformed" to "Bad URI path",
        "access: host route, relative target is malformed" to "Bad Request",
        // Ambiguous paths: an encoded "/" (%2F), an encoded dot segment, an empty segment.
        "access: header route keeps the path escaped" to "Ambiguous URI path separator",
        "access: uri route keeps the path escaped" to "Ambiguous URI path separator",
        "access: uri route with an empty first segment" to "Ambiguous URI empty segment",
        "access: signed uri route with an empty first segment" to "Ambiguous URI empty segment",
        "uri mode keeps the escaping of the upstream path" to "Ambiguous URI path separator",
        "uri mode, open sandbox, legacy route and the rest of the path" to "Ambiguous URI path separator",
        "header mode keeps the escaping of the request target" to "Ambiguous URI path separator",
    )

    @TestFactory
    fun gatewayCasesThroughJetty(): List<DynamicTest> = Cases.load("gateway").arr("cases").mapIndexed { i, e ->
        val c = e.jsonObject
        case("jetty", i, c.s("name")) {
            val expect = c.obj("expect")
            val target = c.obj("request").s("target")
            gatewayOf(c).use { g ->
                JettyServer(SandgateGatewayFilter(g)).use { server ->
                    val jettyMessage = jettyRefuses[c.s("name")]
                    if (jettyMessage != null) {
                        val r = server.send(target, c.requestHeaders())
                        // Jetty's own parser or URI check refused it: 400, no filter, no app.
                        assertEquals(400, r.status, r.body)
                        assertEquals(0, server.filterCalls.get(), "Jetty refused before any filter")
                        assertNull(r.header("X-App"), "the app must not run")
                        assertNull(r.header("X-Sandgate-Reason"))
                        assertTrue(jettyMessage in r.body, "Jetty's message: ${r.body}")
                        return@case
                    }
                    assertThroughFilter(c, g, server)
                }
            }
        }
    }

    /** The case's request went through the filter: core's verdict exactly, and what the app saw. */
    private fun assertThroughFilter(c: JsonObject, g: Gateway, server: JettyServer) {
        val expect = c.obj("expect")
        val target = c.obj("request").s("target")
        val r = server.send(target, c.requestHeaders())
        assertEquals(1, server.filterCalls.get(), "the request reached the filter")
        assertEquals(expect.int("status"), r.status, r.body)
        if (expect.bool("allowed")!!) {
            assertEquals("yes", r.header("X-App"), "the app answered")
            val seen = r.seen
            assertEquals(expect.s("upstream_target"), seen["target"])
            val names = seen.getValue("headers").split(",").toSet()
            assertTrue(names.intersect(strip(expect)).isEmpty(), "credentials reached the app: $names")
            assertTrue("host" in names, "$names")
            assertEquals("null", seen["secureAccess"])
            assertEquals("[]", seen["ingressTo"])
            assertEquals(
                "${expect.s("sandbox_id")} ${expect.int("port")} ${expect.str("expires")} ${expect.str("key_id")}",
                seen["route"],
            )
            assertEquals("dev.sandgate.RouteInfo", seen["routeAttribute"])
            assertEquals(expect.s("grant"), seen["grant"])
        } else {
            assertNull(r.header("X-App"), "the app must not run")
            val v = g.check(target, c.requestHeaders())
            assertEquals(expect.s("reason"), r.header("X-Sandgate-Reason"))
            assertEquals(expect.str("retry_after"), r.header("Retry-After"))
            // Jetty re-serializes a Content-Type it is given ("text/plain;charset=utf-8"): same media type.
            for ((name, value) in v.responseHeaders) assertEquals(value.noSpaces(), r.header(name)?.noSpaces(), name)
            assertTrue(r.header("Content-Type")!!.startsWith("text/plain"))
            assertEquals(v.body, r.body, "the refusal is answered exactly")
            assertTrue(r.body.startsWith("OpenSandbox Ingress: "), r.body)
        }
    }

    /**
     * The cases Jetty refuses as ambiguous paths, on a Jetty told to let them through
     * (UriCompliance.UNSAFE, decodeAmbiguousURIs): then the filter gets them, and core's verdict
     * (the upstream target keeps its escaping) holds.
     */
    @TestFactory
    fun ambiguousPathCasesThroughAJettyThatAllowsThem(): List<DynamicTest> = Cases.load("gateway").arr("cases").mapIndexedNotNull { i, e ->
        val c = e.jsonObject
        if (jettyRefuses[c.s("name")]?.startsWith("Ambiguous") != true) return@mapIndexedNotNull null
        case("jetty-ambiguous", i, c.s("name")) {
            gatewayOf(c).use { g -> JettyServer(SandgateGatewayFilter(g), ambiguousPaths = true).use { assertThroughFilter(c, g, it) } }
        }
    }

    private fun String.noSpaces() = replace(" ", "")

    @Test
    fun jettyRefusalsAreCasesOfTheFile() {
        val names = Cases.load("gateway").arr("cases").map { it.jsonObject.s("name") }.toSet()
        assertEquals(80, names.size)
        assertEquals(emptySet(), jettyRefuses.keys - names)
    }

    private val flag = "a=bXktdGVzdC1zZWNyZXQ="
    private val now = 1_900_000_000uL
    private val policy = """{"sandboxes": {"sbx-1": {"secure": true, "access_token": "tok_1"}, "sbx-2": {"secure": false}}}"""

    @Test
    fun credentialHeadersNeverReachTheServletInAnyCasing() {
        Gateway(RouteMode.HEADER, SigningKeys.fromFlag(flag), policy = policy, now = now).use { g ->
            JettyServer(SandgateGatewayFilter(g)).use { server ->
                val headers = listOf(
                    "Host" to "gw.example.com",
                    "opensandbox-ingress-to" to "sbx-1-8080",
                    "OPENSANDBOX-SECURE-ACCESS" to "tok_1",
                    "OpenSandbox-Access-Renew" to "1",
                    "X-Kept" to "kept",
                )
                val r = server.send("/files?x=1", headers)
                assertEquals(200, r.status, r.body)
                val seen = r.seen
                assertEquals("connection,host,x-kept", seen["headers"])
                assertEquals("null", seen["secureAccess"])
                assertEquals("[]", seen["ingressTo"])
                assertEquals("header", seen["grant"])
            }
        }
    }

    @Test
    fun theServletSeesTheUpstreamPathAndTheRoute() {
        val token = RouteSigner(SigningKeys.fromFlag(flag), "a").use { it.sign("sbx-1", 8080, now + 60uL) }.token
        val (expires, signature) = token.removePrefix("sbx-1-8080-").split("-")
        val prefix = "/sbx-1/8080/$expires/$signature"
        Gateway(RouteMode.URI, SigningKeys.fromFlag(flag), policy = policy, now = now).use { g ->
            JettyServer(SandgateGatewayFilter(g)).use { server ->
                val r = server.send("$prefix/api/caf%C3%A9?q=%20&r=1", listOf("Host" to "gw.example.com:8443"))
                assertEquals(200, r.status, r.body)
                val seen = r.seen
                assertEquals("/api/caf%C3%A9", seen["uri"])
                assertEquals("q=%20&r=1", seen["query"])
                assertEquals("/api/café", seen["pathInfo"])
                assertEquals("http://gw.example.com:8443/api/caf%C3%A9", seen["url"])
                assertEquals("sbx-1 8080 ${now + 60uL} a", seen["route"])
                assertEquals("signature", seen["grant"])
            }
        }
    }

    @Test
    fun aRotationThroughReplaceKeysTakesEffectOnTheNextRequest() {
        val b = SigningKeys.fromFlag("b=YmJiYmJiYmJiYmJiYmJiYmJiYmJiYmJiYmJiYmJiYmI=")
        val token = RouteSigner(b, "b").use { it.sign("sbx-1", 8080, now + 60uL) }.token
        val headers = listOf("Host" to "gw", "OpenSandbox-Ingress-To" to token)
        Gateway(RouteMode.HEADER, SigningKeys.fromFlag(flag), policy = policy, now = now).use { g ->
            JettyServer(SandgateGatewayFilter(g)).use { server ->
                val before = server.send("/x", headers)
                assertEquals(401, before.status)
                assertEquals("unknown_key", before.header("X-Sandgate-Reason"))
                g.replaceKeys(b)
                val after = server.send("/x", headers)
                assertEquals(200, after.status, after.body)
                assertEquals("sbx-1 8080 ${now + 60uL} b", after.seen["route"])
                g.replaceKeys(SigningKeys.fromFlag(flag))
                assertEquals("unknown_key", server.send("/x", headers).header("X-Sandgate-Reason"))
                assertEquals(3, server.filterCalls.get())
            }
        }
    }

    /** Jetty reads header bytes as ISO-8859-1; the filter hands core the bytes that were sent (here UTF-8): core's verdict on them. */
    @Test
    fun nonAsciiHeaderBytesReachCoreAsSent() {
        val utf8Policy = """{"sandboxes": {"sbx-1": {"secure": true, "access_token": "tok_\u00e9t\u00e9"}}}"""
        Gateway(RouteMode.HEADER, SigningKeys.fromFlag(flag), policy = utf8Policy, now = now).use { g ->
            JettyServer(SandgateGatewayFilter(g)).use { server ->
                for (token in listOf("tok_été", "tok_ete", "tok_\u00c3\u00a9t\u00c3\u00a9")) {
                    val headers = listOf("Host" to "gw", "OpenSandbox-Ingress-To" to "sbx-1-8080", "OpenSandbox-Secure-Access" to token)
                    val direct = g.checkBytes("/", headers.map { it.first to it.second.toByteArray(Charsets.UTF_8) })
                    val r = server.send("/", headers)
                    assertEquals(direct.status, r.status, "$token: ${r.body}")
                    assertEquals(direct.reason, r.header("X-Sandgate-Reason"), token)
                }
            }
        }
    }

    @Test
    fun percentDecodingOfThePathInfoKeepsABrokenEscape() {
        assertEquals("/a/b c/é", percentDecode("/a/b%20c/%C3%A9"))
        assertEquals("/c%2", percentDecode("/c%2"))
        assertEquals("/%zz%", percentDecode("/%zz%"))
        assertEquals("/plain", percentDecode("/plain"))
    }

    @Test
    fun toStringNamesNoSecret() {
        Gateway(RouteMode.HEADER, SigningKeys.fromFlag(flag), policy = policy, now = now).use { g ->
            val text = SandgateGatewayFilter(g).toString()
            assertTrue(text.startsWith("SandgateGatewayFilter("), text)
            assertTrue("bXktdGVzdC1zZWNyZXQ" !in text && "tok_1" !in text, text)
        }
    }
}
