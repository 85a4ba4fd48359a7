package dev.sandgate

import kotlinx.serialization.json.Json
import kotlinx.serialization.json.JsonArray
import kotlinx.serialization.json.JsonElement
import kotlinx.serialization.json.JsonNull
import kotlinx.serialization.json.JsonObject
import kotlinx.serialization.json.JsonPrimitive
import kotlinx.serialization.json.booleanOrNull
import kotlinx.serialization.json.intOrNull
import kotlinx.serialization.json.jsonArray
import kotlinx.serialization.json.jsonObject
import java.io.File
import java.net.URI
import java.net.http.HttpClient
import java.net.http.HttpRequest
import java.net.http.HttpResponse

/** The shared case files in sdk-tests/cases (the path comes from the pom, relative to the repo). */
object Cases {
    private val dir = File(System.getProperty("sandgate.cases") ?: "../../sdk-tests/cases")

    fun load(name: String): JsonObject = Json.parseToJsonElement(File(dir, "$name.json").readText()).jsonObject
}

fun JsonObject.arr(key: String): JsonArray = getValue(key).jsonArray

fun JsonObject.obj(key: String): JsonObject = getValue(key).jsonObject

/** The string at [key]; null when absent or JSON null. */
fun JsonObject.str(key: String): String? = (this[key] as? JsonPrimitive)?.takeIf { it !is JsonNull && it.isString }?.content

fun JsonObject.s(key: String): String = str(key) ?: error("case field $key is not a string: ${this[key]}")

fun JsonObject.int(key: String): Int? = (this[key] as? JsonPrimitive)?.takeIf { it !is JsonNull }?.intOrNull

fun JsonObject.bool(key: String): Boolean? = (this[key] as? JsonPrimitive)?.takeIf { it !is JsonNull }?.booleanOrNull

fun JsonObject.has(key: String): Boolean = containsKey(key)

fun JsonElement.asObj(): JsonObject = jsonObject

/** A plain HTTP GET with java.net.http; [host] overrides the Host header (wildcard mode). */
object Http {
    private val client: HttpClient = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1).build()

    fun get(url: String, headers: Map<String, String>, host: String? = null): HttpResponse<String> {
        val b = HttpRequest.newBuilder(URI(url)).GET()
        headers.forEach { (k, v) -> b.header(k, v) }
        if (host != null) b.header("Host", host)
        return client.send(b.build(), HttpResponse.BodyHandlers.ofString())
    }
}

/**
 * One shared case as a dynamic test named "[group] [index]": case names are kept out of test
 * names (the runner sorts tests by words in their names, and some case names contain another
 * group's word), and put in front of any failure message instead.
 */
fun case(group: String, index: Int, name: String, body: () -> Unit): org.junit.jupiter.api.DynamicTest =
    org.junit.jupiter.api.DynamicTest.dynamicTest("$group ${index + 1}") {
        try {
            body()
        } catch (e: AssertionError) {
            throw AssertionError("[$name] ${e.message}", e)
        } catch (e: Exception) {
            throw AssertionError("[$name] unexpected $e", e)
        }
    }
