package dev.sandgate.servlet

import dev.sandgate.Gateway
import dev.sandgate.RouteInfo
import dev.sandgate.RouteMode
import dev.sandgate.SigningKeys
import jakarta.servlet.DispatcherType
import jakarta.servlet.http.HttpServletRequest
import org.eclipse.jetty.ee10.servlet.FilterHolder
import org.eclipse.jetty.ee10.servlet.ServletContextHandler
import org.eclipse.jetty.ee10.servlet.ServletHolder
import org.eclipse.jetty.server.Server
import org.eclipse.jetty.server.ServerConnector
import org.junit.jupiter.api.Test
import org.springframework.context.annotation.Bean
import org.springframework.context.annotation.Configuration
import org.springframework.web.bind.annotation.GetMapping
import org.springframework.web.bind.annotation.RequestAttribute
import org.springframework.web.bind.annotation.RequestHeader
import org.springframework.web.bind.annotation.RestController
import org.springframework.web.context.support.AnnotationConfigWebApplicationContext
import org.springframework.web.servlet.DispatcherServlet
import org.springframework.web.servlet.config.annotation.EnableWebMvc
import java.net.InetSocketAddress
import java.util.EnumSet
import kotlin.test.assertEquals

/** A Spring MVC controller behind the filter: the route as `@RequestAttribute`, the path Spring matched. */
// README:spring-controller:start
@RestController
class SandboxController {
    @GetMapping("/api/**")
    fun proxy(
        @RequestAttribute(SandgateGatewayFilter.ROUTE_ATTRIBUTE) route: RouteInfo,
        @RequestHeader(name = "OpenSandbox-Secure-Access", required = false) secureAccess: String?,
        request: HttpServletRequest,
    ): String = "${route.sandboxId}:${route.port} ${request.requestURI} ${request.queryString} access=$secureAccess"
}
// README:spring-controller:end

@Configuration(proxyBeanMethods = false)
@EnableWebMvc
class SpringTestConfig {
    @Bean
    fun sandboxController(): SandboxController = SandboxController()
}

/**
 * The filter under Spring MVC (spring-webmvc's DispatcherServlet with an annotated controller) on
 * the same embedded Jetty: Spring routes on the upstream path, reads the route with
 * `@RequestAttribute`, and never sees the credential header. Spring Boot itself is not run.
 */
class SpringTest {
    @Test
    fun springMvcControllerBehindTheFilter() {
        val policy = """{"sandboxes": {"sbx-1": {"secure": true, "access_token": "tok_1"}}}"""
        Gateway(RouteMode.URI, SigningKeys.fromFlag("a=bXktdGVzdC1zZWNyZXQ="), policy = policy).use { gateway ->
            val spring = AnnotationConfigWebApplicationContext()
            spring.register(SpringTestConfig::class.java)
            val context = ServletContextHandler()
            context.addFilter(FilterHolder(SandgateGatewayFilter(gateway)), "/*", EnumSet.of(DispatcherType.REQUEST))
            context.addServlet(ServletHolder(DispatcherServlet(spring)), "/")
            val server = Server(InetSocketAddress("127.0.0.1", 0))
            server.handler = context
            server.start()
            try {
                val port = (server.connectors[0] as ServerConnector).localPort
                val headers = listOf("Host" to "gw", "OpenSandbox-Secure-Access" to "tok_1")
                val ok = rawGet(port, "/sbx-1/8080/api/files?x=1", headers)
                assertEquals(200, ok.status, ok.body)
                assertEquals("sbx-1:8080 /api/files x=1 access=null", ok.body)
                // Spring matches the upstream path: /sbx-1/8080/other is /other, which no controller maps.
                assertEquals(404, rawGet(port, "/sbx-1/8080/other", headers).status)
                val refused = rawGet(port, "/sbx-1/8080/api/files", listOf("Host" to "gw"))
                assertEquals(401, refused.status)
                assertEquals("credential_required", refused.header("X-Sandgate-Reason"))
            } finally {
                server.stop()
                spring.close()
            }
        }
    }
}
