package dev.sandgate.servlet

import dev.sandgate.Gateway
import dev.sandgate.RouteMode
import dev.sandgate.SigningKeys
import jakarta.servlet.DispatcherType
import jakarta.servlet.http.HttpServlet
import jakarta.servlet.http.HttpServletRequest
import jakarta.servlet.http.HttpServletResponse
import org.eclipse.jetty.ee10.servlet.FilterHolder
import org.eclipse.jetty.ee10.servlet.ServletContextHandler
import org.eclipse.jetty.ee10.servlet.ServletHolder
import org.eclipse.jetty.server.Server
import org.eclipse.jetty.server.ServerConnector
import org.junit.jupiter.api.Test
import java.io.File
import java.net.InetSocketAddress
import java.util.EnumSet
import kotlin.test.assertEquals

/** The app of the README's Jetty snippet: answers the sandbox it would proxy to and the path. */
class SandboxProxyServlet : HttpServlet() {
    override fun doGet(req: HttpServletRequest, resp: HttpServletResponse) {
        val route = SandgateGatewayFilter.route(req)!!
        resp.writer.print("${route.sandboxId}:${route.port} ${req.requestURI}")
    }
}

/** The README's Jetty snippet: run here, and checked to be the README's text. */
class ReadmeTest {
    @Test
    fun readmeJettySnippetRunsAndIsTheReadmeText() {
        val signingKeys = "a=bXktdGVzdC1zZWNyZXQ="
        val policy = """{"sandboxes": {"sbx-1": {"secure": true, "access_token": "tok_1"}}}"""
        // README:jetty:start
        val gateway = Gateway(RouteMode.HEADER, SigningKeys.fromFlag(signingKeys), policy = policy)
        val context = ServletContextHandler()
        context.addFilter(FilterHolder(SandgateGatewayFilter(gateway)), "/*", EnumSet.of(DispatcherType.REQUEST))
        context.addServlet(ServletHolder(SandboxProxyServlet()), "/*")
        val server = Server(InetSocketAddress("127.0.0.1", 0))
        server.handler = context
        server.start()
        // README:jetty:end
        try {
            val port = (server.connectors[0] as ServerConnector).localPort
            val ok = rawGet(
                port,
                "/files?x=1",
                listOf(
                    "Host" to "gw",
                    "OpenSandbox-Ingress-To" to "sbx-1-8080",
                    "OpenSandbox-Secure-Access" to "tok_1",
                ),
            )
            assertEquals(200, ok.status, ok.body)
            assertEquals("sbx-1:8080 /files", ok.body)
            val refused = rawGet(port, "/files", listOf("Host" to "gw", "OpenSandbox-Ingress-To" to "sbx-1-8080"))
            assertEquals(401, refused.status)
            assertEquals("credential_required", refused.header("X-Sandgate-Reason"))
        } finally {
            server.stop()
            gateway.close()
        }
        val source = File("src/test/kotlin/dev/sandgate/servlet/ReadmeTest.kt").readText()
        val here = source.substringAfter("// README:jetty:start\n").substringBefore("// README:jetty:end").trimIndent().trim()
        val readme = File("README.md").readText().substringAfter("<!-- snippet: jetty -->\n```kotlin\n").substringBefore("```").trim()
        assertEquals(readme, here)
    }

    /** The README's Spring controller is SpringTest's, which runs under Spring MVC's DispatcherServlet. */
    @Test
    fun readmeSpringControllerIsTheOneSpringTestRuns() {
        val source = File("src/test/kotlin/dev/sandgate/servlet/SpringTest.kt").readText()
        val here = source.substringAfter("// README:spring-controller:start\n").substringBefore("// README:spring-controller:end").trim()
        val readme = File(
            "README.md",
        ).readText().substringAfter("<!-- snippet: spring-controller -->\n```kotlin\n").substringBefore("```").trim()
        assertEquals(readme, here)
    }
}
