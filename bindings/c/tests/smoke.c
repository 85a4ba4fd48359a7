/*
 * Smoke test of the sandgate C ABI: every function family, run under valgrind by test.sh.
 * Prints one line per family, "ok <family>" or "FAIL <family>: <what>", and exits non-zero
 * when any family failed.
 */
#define _GNU_SOURCE /* memmem */
#include "sandgate.h"

#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

static int family_failed;
static char family_why[512];

#define CHECK(cond, ...)                                                          \
  do {                                                                            \
    if (!(cond)) {                                                                \
      if (!family_failed) {                                                       \
        snprintf(family_why, sizeof family_why, __VA_ARGS__);                     \
      }                                                                           \
      family_failed = 1;                                                          \
    }                                                                             \
  } while (0)

/* Fails the family when err is not NULL, printing the error; frees it. */
#define OK(call)                                                                  \
  do {                                                                            \
    SandgateError *e_ = (call);                                                   \
    if (e_ != NULL) {                                                             \
      CHECK(0, "%s failed: %s", #call, e_->display.ptr);                          \
      sandgate_error_free(e_);                                                    \
    }                                                                             \
  } while (0)

static SandgateStr S(const char *s) {
  SandgateStr v = {(const uint8_t *)s, s ? strlen(s) : 0};
  return v;
}

static const SandgateStr NONE = {NULL, 0};

static SandgateStr view_of(SandgateString s) {
  SandgateStr v = {(const uint8_t *)s.ptr, s.len};
  return v;
}

static int eq(SandgateString s, const char *want) {
  return s.ptr != NULL && s.len == strlen(want) && memcmp(s.ptr, want, s.len) == 0;
}

/* Checks that err is an error of `kind` (and reason, when not 0), then frees it. */
static void expect_error(SandgateError *err, int32_t kind, int32_t reason, const char *what) {
  CHECK(err != NULL, "%s: expected an error", what);
  if (err == NULL) return;
  CHECK(err->kind == kind, "%s: kind %d (%s), want %d: %s", what, err->kind, err->kind_code,
        kind, err->display.ptr);
  CHECK(strcmp(err->kind_code, sandgate_error_kind_code(kind)) == 0, "%s: kind_code", what);
  if (reason) {
    CHECK(err->reason == reason, "%s: reason %d, want %d", what, err->reason, reason);
    CHECK(err->reason_code != NULL &&
              strcmp(err->reason_code, sandgate_deny_reason_code(reason)) == 0,
          "%s: reason_code", what);
  }
  CHECK(err->message.ptr != NULL && err->message.len > 0, "%s: empty message", what);
  /* message is the bare text; display is the full line that contains it. */
  CHECK(err->display.ptr != NULL && strstr(err->display.ptr, err->message.ptr) != NULL &&
            err->display.len > err->message.len,
        "%s: display %s does not extend message %s", what, err->display.ptr, err->message.ptr);
  sandgate_error_free(err);
}

static void report(const char *family) {
  if (family_failed) {
    printf("FAIL %s: %s\n", family, family_why);
  } else {
    printf("ok %s\n", family);
  }
  fflush(stdout);
}

static int any_failed;
#define RUN(fn, family)                                                           \
  do {                                                                            \
    family_failed = 0;                                                            \
    family_why[0] = 0;                                                            \
    fn();                                                                         \
    report(family);                                                               \
    any_failed |= family_failed;                                                  \
  } while (0)

/* ------------------------------------------------------------------ errors and tables */

static void errors_family(void) {
  SandgateSigningKeys *keys = NULL;
  /* NULL input, NULL output, invalid UTF-8: invalid_argument, never a crash. */
  expect_error(sandgate_signing_keys_from_flag(NONE, &keys), SANDGATE_ERROR_KIND_INVALID_ARGUMENT,
               0, "NULL flag");
  CHECK(keys == NULL, "out set on error");
  expect_error(sandgate_signing_keys_from_flag(S("a=bXktdGVzdC1zZWNyZXQ="), NULL),
               SANDGATE_ERROR_KIND_INVALID_ARGUMENT, 0, "NULL out");
  const uint8_t bad_utf8[] = {'a', '=', 0xff, 0xfe};
  SandgateStr bad = {bad_utf8, sizeof bad_utf8};
  SandgateError *err = sandgate_signing_keys_from_flag(bad, &keys);
  CHECK(err && strstr(err->message.ptr, "UTF-8") != NULL, "invalid UTF-8 not reported");
  expect_error(err, SANDGATE_ERROR_KIND_INVALID_ARGUMENT, 0, "invalid UTF-8");

  /* A bad secret: invalid_config, and the message never contains the secret. */
  err = sandgate_signing_keys_from_flag(S("a=not*base64*secret"), &keys);
  CHECK(err && strstr(err->display.ptr, "not*base64*secret") == NULL, "secret in message");
  expect_error(err, SANDGATE_ERROR_KIND_INVALID_CONFIG, 0, "bad secret");

  /* The cancelled error every binding reports for a call cancelled before it starts. */
  err = sandgate_cancelled_error();
  CHECK(err && eq(err->display, "cancelled: the operation was cancelled"), "cancelled display");
  expect_error(err, SANDGATE_ERROR_KIND_CANCELLED, 0, "cancelled error");

  /* An error a binding reports itself gets the core's display line. */
  err = sandgate_error_new(SANDGATE_ERROR_KIND_INVALID_ARGUMENT, S("RouteVerifier is closed"));
  CHECK(err && eq(err->message, "RouteVerifier is closed") &&
            eq(err->display, "invalid argument: RouteVerifier is closed") && err->status == 0,
        "error_new");
  expect_error(err, SANDGATE_ERROR_KIND_INVALID_ARGUMENT, 0, "error_new");
  err = sandgate_error_new(10, S("x"));
  CHECK(err && strstr(err->message.ptr, "kind") != NULL, "error_new kind 10");
  expect_error(err, SANDGATE_ERROR_KIND_INVALID_ARGUMENT, 0, "error_new kind 10");
  expect_error(sandgate_error_new(SANDGATE_ERROR_KIND_API, NONE),
               SANDGATE_ERROR_KIND_INVALID_ARGUMENT, 0, "error_new NULL message");

  /* The tables: every kind, reason, grant and form has a code; out of range is NULL. */
  const char *kinds[] = {"invalid_argument", "invalid_config", "access_denied", "api", "timeout",
                         "transport", "decode", "cancelled", "internal"};
  for (int32_t k = SANDGATE_ERROR_KIND_INVALID_ARGUMENT; k <= SANDGATE_ERROR_KIND_INTERNAL; k++) {
    const char *c = sandgate_error_kind_code(k);
    CHECK(c != NULL && strcmp(c, kinds[k - 1]) == 0, "kind %d code %s", k, c ? c : "NULL");
  }
  CHECK(sandgate_error_kind_code(0) == NULL && sandgate_error_kind_code(10) == NULL &&
            sandgate_error_kind_code(-1) == NULL,
        "kind out of range");
  const char *reasons[] = {"malformed", "expired", "unknown_key", "bad_signature",
                           "header_mismatch", "credential_required", "not_configured",
                           "unknown_sandbox"};
  const uint16_t statuses[] = {400, 401, 401, 401, 401, 401, 503, 404};
  for (int32_t r = SANDGATE_DENY_REASON_MALFORMED; r <= SANDGATE_DENY_REASON_UNKNOWN_SANDBOX; r++) {
    const char *c = sandgate_deny_reason_code(r);
    CHECK(c != NULL && strcmp(c, reasons[r - 1]) == 0, "reason %d code %s", r, c ? c : "NULL");
    CHECK(sandgate_deny_reason_status(r) == statuses[r - 1], "reason %d status %u", r,
          sandgate_deny_reason_status(r));
  }
  CHECK(sandgate_deny_reason_code(SANDGATE_DENY_REASON_NONE) == NULL &&
            sandgate_deny_reason_code(9) == NULL && sandgate_deny_reason_status(0) == 0 &&
            sandgate_deny_reason_status(9) == 0,
        "reason out of range");
  CHECK(strcmp(sandgate_grant_code(SANDGATE_GRANT_OPEN), "open") == 0 &&
            strcmp(sandgate_grant_code(SANDGATE_GRANT_HEADER), "header") == 0 &&
            strcmp(sandgate_grant_code(SANDGATE_GRANT_SIGNATURE), "signature") == 0 &&
            sandgate_grant_code(SANDGATE_GRANT_NONE) == NULL && sandgate_grant_code(4) == NULL,
        "grant codes");
  CHECK(strcmp(sandgate_route_form_code(SANDGATE_ROUTE_FORM_TOKEN), "token") == 0 &&
            strcmp(sandgate_route_form_code(SANDGATE_ROUTE_FORM_HOST), "host") == 0 &&
            strcmp(sandgate_route_form_code(SANDGATE_ROUTE_FORM_PATH), "path") == 0 &&
            sandgate_route_form_code(3) == NULL && sandgate_route_form_code(-1) == NULL,
        "route form codes");
  CHECK(strlen(sandgate_version()) > 0, "version");

  /* Freeing NULL is harmless, and a string freed twice is freed once. */
  sandgate_error_free(NULL);
  sandgate_string_free(NULL);
  sandgate_signing_keys_free(NULL);
  sandgate_signed_route_free(NULL);
  sandgate_cancel_free(NULL);
  sandgate_cancel(NULL);
  SandgateString s = {0};
  OK(sandgate_hash_api_key(S("x"), &s));
  sandgate_string_free(&s);
  CHECK(s.ptr == NULL && s.len == 0, "string not reset");
  sandgate_string_free(&s);
}

/* ------------------------------------------------------------------ layout */

/* Every struct of the header with every field: checked against the table Rust exports.
 * test.sh checks that the TYPE lines name every struct the header defines. */
#define TYPES(TYPE)                                                                           \
  TYPE(SandgateStr)                                                                           \
  TYPE(SandgateStrPair)                                                                       \
  TYPE(SandgateString)                                                                        \
  TYPE(SandgatePair)                                                                          \
  TYPE(SandgateError)                                                                         \
  TYPE(SandgateExpiry)                                                                        \
  TYPE(SandgateSignedRoute)                                                                   \
  TYPE(SandgateVerified)                                                                      \
  TYPE(SandgateSignedInto)                                                                    \
  TYPE(SandgateRoute)                                                                         \
  TYPE(SandgateDecision)                                                                      \
  TYPE(SandgateGeneratedApiKey)                                                               \
  TYPE(SandgateRetryOptions)                                                                  \
  TYPE(SandgateCacheOptions)                                                                  \
  TYPE(SandgateRetryEvent)                                                                    \
  TYPE(SandgateClientOptions)                                                                 \
  TYPE(SandgateHeader)                                                                        \
  TYPE(SandgateEndpoint)                                                                      \
  TYPE(SandgateRetryQuery)                                                                    \
  TYPE(SandgateRetryDecision)                                                                 \
  TYPE(SandgateFreshness)                                                                     \
  TYPE(SandgateGatewayOptions)                                                                \
  TYPE(SandgateHeaderIn)                                                                      \
  TYPE(SandgateGatewayVerdict)                                                                \
  TYPE(SandgateSandbox)                                                                       \
  TYPE(SandgateSandboxList)                                                                   \
  TYPE(SandgateSandboxRenewal)                                                                \
  TYPE(SandgateCreatedApiKey)                                                                 \
  TYPE(SandgateApiKeyInfo)                                                                    \
  TYPE(SandgateApiKeyList)                                                                    \
  TYPE(SandgateFaults)                                                                        \
  TYPE(SandgateMockRequest)                                                                   \
  TYPE(SandgateMockRequestList)                                                               \
  TYPE(SandgateLayoutEntry)

#define FIELDS(F)                                                                             \
  F(SandgateStr, ptr) F(SandgateStr, len)                                                     \
  F(SandgateStrPair, name) F(SandgateStrPair, value)                                          \
  F(SandgateString, ptr) F(SandgateString, len)                                               \
  F(SandgatePair, name) F(SandgatePair, value)                                                \
  F(SandgateError, kind) F(SandgateError, kind_code) F(SandgateError, status)                 \
  F(SandgateError, reason) F(SandgateError, reason_code) F(SandgateError, message)            \
  F(SandgateError, code) F(SandgateError, request_id) F(SandgateError, display)               \
  F(SandgateError, retryable) F(SandgateError, has_retry_after_ms)                            \
  F(SandgateError, retry_after_ms)                                                            \
  F(SandgateExpiry, has_expires) F(SandgateExpiry, expires) F(SandgateExpiry, has_ttl)        \
  F(SandgateExpiry, ttl_seconds)                                                              \
  F(SandgateSignedRoute, token) F(SandgateSignedRoute, sandbox_id) F(SandgateSignedRoute, port) \
  F(SandgateSignedRoute, expires) F(SandgateSignedRoute, expires_b36)                         \
  F(SandgateSignedRoute, signature) F(SandgateSignedRoute, key_id)                            \
  F(SandgateSignedRoute, uri_prefix)                                                          \
  F(SandgateVerified, port) F(SandgateVerified, expires) F(SandgateVerified, key_id)          \
  F(SandgateVerified, sandbox_id_offset) F(SandgateVerified, sandbox_id_len)                  \
  F(SandgateVerified, status) F(SandgateVerified, message) F(SandgateVerified, display)       \
  F(SandgateSignedInto, token_len) F(SandgateSignedInto, expires_b36_len)                     \
  F(SandgateSignedInto, signature_len) F(SandgateSignedInto, key_id_len)                      \
  F(SandgateSignedInto, uri_prefix_len) F(SandgateSignedInto, expires)                        \
  F(SandgateSignedInto, port) F(SandgateSignedInto, message_len)                              \
  F(SandgateSignedInto, display_len)                                                          \
  F(SandgateRoute, sandbox_id) F(SandgateRoute, port) F(SandgateRoute, is_signed)             \
  F(SandgateRoute, expires) F(SandgateRoute, key_id)                                          \
  F(SandgateDecision, allowed) F(SandgateDecision, status) F(SandgateDecision, reason)        \
  F(SandgateDecision, reason_code) F(SandgateDecision, detail) F(SandgateDecision, grant)     \
  F(SandgateDecision, route) F(SandgateDecision, path) F(SandgateDecision, query)             \
  F(SandgateDecision, error)                                                                  \
  F(SandgateGeneratedApiKey, key) F(SandgateGeneratedApiKey, prefix)                          \
  F(SandgateGeneratedApiKey, hash)                                                            \
  F(SandgateRetryOptions, has_max_retries) F(SandgateRetryOptions, max_retries)               \
  F(SandgateRetryOptions, has_initial_backoff_ms) F(SandgateRetryOptions, initial_backoff_ms) \
  F(SandgateRetryOptions, has_max_backoff_ms) F(SandgateRetryOptions, max_backoff_ms)         \
  F(SandgateRetryOptions, has_multiplier) F(SandgateRetryOptions, multiplier)                 \
  F(SandgateRetryOptions, has_retry_statuses) F(SandgateRetryOptions, retry_statuses)         \
  F(SandgateRetryOptions, retry_statuses_len) F(SandgateRetryOptions, has_post_retry_statuses) \
  F(SandgateRetryOptions, post_retry_statuses)                                                \
  F(SandgateRetryOptions, post_retry_statuses_len)                                            \
  F(SandgateRetryOptions, has_attempt_timeout_ms) F(SandgateRetryOptions, attempt_timeout_ms) \
  F(SandgateRetryOptions, has_deadline_ms) F(SandgateRetryOptions, deadline_ms)               \
  F(SandgateCacheOptions, has_enabled) F(SandgateCacheOptions, enabled)                       \
  F(SandgateCacheOptions, has_max_entries) F(SandgateCacheOptions, max_entries)               \
  F(SandgateCacheOptions, has_ttl_ms) F(SandgateCacheOptions, ttl_ms)                         \
  F(SandgateCacheOptions, has_margin_ms) F(SandgateCacheOptions, margin_ms)                   \
  F(SandgateRetryEvent, attempt) F(SandgateRetryEvent, delay_ms) F(SandgateRetryEvent, cause) \
  F(SandgateClientOptions, domain) F(SandgateClientOptions, protocol)                         \
  F(SandgateClientOptions, api_key) F(SandgateClientOptions, headers)                         \
  F(SandgateClientOptions, headers_len) F(SandgateClientOptions, has_timeout_ms)              \
  F(SandgateClientOptions, timeout_ms) F(SandgateClientOptions, language)                     \
  F(SandgateClientOptions, retry) F(SandgateClientOptions, ignore_env)                        \
  F(SandgateClientOptions, cache) F(SandgateClientOptions, on_retry)                          \
  F(SandgateClientOptions, on_retry_user_data) F(SandgateClientOptions, on_retry_release)     \
  F(SandgateHeader, name) F(SandgateHeader, value) F(SandgateHeader, redacted_value)          \
  F(SandgateEndpoint, endpoint) F(SandgateEndpoint, url) F(SandgateEndpoint, headers)         \
  F(SandgateEndpoint, headers_len) F(SandgateEndpoint, route) F(SandgateEndpoint, origin)     \
  F(SandgateEndpoint, kind) F(SandgateEndpoint, kind_code)                                    \
  F(SandgateRetryQuery, method) F(SandgateRetryQuery, outcome) F(SandgateRetryQuery, has_status) \
  F(SandgateRetryQuery, status) F(SandgateRetryQuery, attempt)                                \
  F(SandgateRetryQuery, has_prev_delay_ms) F(SandgateRetryQuery, prev_delay_ms)               \
  F(SandgateRetryQuery, retry_after) F(SandgateRetryQuery, has_now) F(SandgateRetryQuery, now) \
  F(SandgateRetryQuery, elapsed_ms)                                                           \
  F(SandgateRetryDecision, retry) F(SandgateRetryDecision, verdict)                           \
  F(SandgateRetryDecision, min_delay_ms) F(SandgateRetryDecision, max_delay_ms)               \
  F(SandgateRetryDecision, retryable)                                                         \
  F(SandgateFreshness, fresh) F(SandgateFreshness, until_ms)                                  \
  F(SandgateGatewayOptions, route_mode) F(SandgateGatewayOptions, keys)                       \
  F(SandgateGatewayOptions, policy) F(SandgateGatewayOptions, policy_file)                    \
  F(SandgateGatewayOptions, has_now) F(SandgateGatewayOptions, now)                           \
  F(SandgateHeaderIn, name) F(SandgateHeaderIn, value)                                        \
  F(SandgateGatewayVerdict, allowed) F(SandgateGatewayVerdict, status)                        \
  F(SandgateGatewayVerdict, reason) F(SandgateGatewayVerdict, grant)                          \
  F(SandgateGatewayVerdict, route) F(SandgateGatewayVerdict, upstream_target)                 \
  F(SandgateGatewayVerdict, headers_to_strip) F(SandgateGatewayVerdict, headers_to_strip_len) \
  F(SandgateGatewayVerdict, response_headers)                                                 \
  F(SandgateGatewayVerdict, response_headers_len) F(SandgateGatewayVerdict, body)             \
  F(SandgateGatewayVerdict, message)                                                          \
  F(SandgateSandbox, id) F(SandgateSandbox, image) F(SandgateSandbox, state)                  \
  F(SandgateSandbox, metadata) F(SandgateSandbox, metadata_len)                               \
  F(SandgateSandbox, secure_access) F(SandgateSandbox, created_at)                            \
  F(SandgateSandbox, expires_at)                                                              \
  F(SandgateSandboxList, items) F(SandgateSandboxList, len)                                   \
  F(SandgateSandboxRenewal, expires_at) F(SandgateSandboxRenewal, expires)                    \
  F(SandgateCreatedApiKey, id) F(SandgateCreatedApiKey, name) F(SandgateCreatedApiKey, prefix) \
  F(SandgateCreatedApiKey, key) F(SandgateCreatedApiKey, expires_at)                          \
  F(SandgateApiKeyInfo, id) F(SandgateApiKeyInfo, name) F(SandgateApiKeyInfo, prefix)         \
  F(SandgateApiKeyInfo, created_at) F(SandgateApiKeyInfo, expires_at)                         \
  F(SandgateApiKeyInfo, revoked)                                                              \
  F(SandgateApiKeyList, items) F(SandgateApiKeyList, len)                                     \
  F(SandgateFaults, fail_next) F(SandgateFaults, status) F(SandgateFaults, has_retry_after)   \
  F(SandgateFaults, retry_after) F(SandgateFaults, latency_ms) F(SandgateFaults, drop_next)   \
  F(SandgateFaults, corrupt_next)                                                             \
  F(SandgateMockRequest, method) F(SandgateMockRequest, path) F(SandgateMockRequest, status)  \
  F(SandgateMockRequest, user_agent)                                                          \
  F(SandgateMockRequestList, items) F(SandgateMockRequestList, len)                           \
  F(SandgateLayoutEntry, type_name) F(SandgateLayoutEntry, field)                             \
  F(SandgateLayoutEntry, offset) F(SandgateLayoutEntry, size) F(SandgateLayoutEntry, align)

struct c_layout {
  const char *type_name, *field;
  size_t offset, size, align;
};

#define C_TYPE(T) {#T, NULL, 0, sizeof(T), _Alignof(T)},
#define C_FIELD(T, f)                                                                         \
  {#T, #f, offsetof(T, f), sizeof(((T *)0)->f), _Alignof(__typeof__(((T *)0)->f))},

static const struct c_layout c_layouts[] = {TYPES(C_TYPE) FIELDS(C_FIELD)};
#define N_LAYOUTS (sizeof c_layouts / sizeof c_layouts[0])

static void layout_family(void) {
  size_t rows = 0;
  int seen[N_LAYOUTS] = {0};
  for (const SandgateLayoutEntry *e; (e = sandgate_layout(rows)) != NULL; rows++) {
    size_t i = 0;
    while (i < N_LAYOUTS &&
           !(strcmp(c_layouts[i].type_name, e->type_name) == 0 &&
             ((e->field == NULL && c_layouts[i].field == NULL) ||
              (e->field && c_layouts[i].field && strcmp(e->field, c_layouts[i].field) == 0)))) {
      i++;
    }
    CHECK(i < N_LAYOUTS, "Rust row %s.%s is not in the C list", e->type_name,
          e->field ? e->field : "");
    if (i == N_LAYOUTS) continue;
    seen[i]++;
    CHECK(c_layouts[i].offset == e->offset && c_layouts[i].size == e->size &&
              c_layouts[i].align == e->align,
          "%s.%s: Rust offset %zu size %zu align %zu, C offset %zu size %zu align %zu",
          e->type_name, e->field ? e->field : "", e->offset, e->size, e->align,
          c_layouts[i].offset, c_layouts[i].size, c_layouts[i].align);
  }
  CHECK(rows == N_LAYOUTS, "Rust exports %zu layout rows, C lists %zu", rows, (size_t)N_LAYOUTS);
  for (size_t i = 0; i < N_LAYOUTS; i++) {
    CHECK(seen[i] == 1, "C row %s.%s seen %d times in Rust's table", c_layouts[i].type_name,
          c_layouts[i].field ? c_layouts[i].field : "", seen[i]);
  }
  /* The hot-path structs are arrays of 8-byte words (what Kotlin passes). */
  CHECK(sizeof(SandgateVerified) == 8 * 8 && sizeof(SandgateSignedInto) == 9 * 8,
        "hot-path structs are not arrays of 8-byte words");
}

/* ------------------------------------------------------------------ vectors: sign */

static SandgateExpiry at(uint64_t expires) {
  SandgateExpiry e = {0};
  e.has_expires = 1;
  e.expires = expires;
  return e;
}

static SandgateExpiry ttl(uint64_t seconds) {
  SandgateExpiry e = {0};
  e.has_ttl = 1;
  e.ttl_seconds = seconds;
  return e;
}

static int bytes_eq(const uint8_t *p, uint64_t len, const char *want) {
  return len == strlen(want) && memcmp(p, want, len) == 0;
}

static void vectors_family(void) {
  SandgateSigningKeys *keys = NULL;
  SandgateSigner *signer = NULL;
  SandgateSignedRoute *route = NULL;
  OK(sandgate_signing_keys_from_flag(S("a=bXktdGVzdC1zZWNyZXQ="), &keys));
  OK(sandgate_signer_new(keys, S("a"), &signer));
  sandgate_signing_keys_free(keys); /* the signer keeps its own copy */
  SandgateString kid = {0};
  OK(sandgate_signer_key_id(signer, &kid));
  CHECK(eq(kid, "a"), "signer key id %s", kid.ptr);
  sandgate_string_free(&kid);

  /* One call, every part, one free. */
  OK(sandgate_sign(signer, S("sbx-001"), 8080, at(2000000000ULL), 0, 0, &route));
  CHECK(route != NULL, "no route");
  if (route) {
    CHECK(eq(route->token, "sbx-001-8080-x2qxvk-0ff8cd39a"), "token %s", route->token.ptr);
    CHECK(eq(route->sandbox_id, "sbx-001"), "sandbox id");
    CHECK(eq(route->expires_b36, "x2qxvk"), "b36");
    CHECK(eq(route->signature, "0ff8cd39a"), "signature");
    CHECK(eq(route->key_id, "a"), "key id");
    CHECK(eq(route->uri_prefix, "/sbx-001/8080/x2qxvk/0ff8cd39a"), "uri prefix");
    CHECK(route->port == 8080 && route->expires == 2000000000ULL, "numbers");
  }
  sandgate_signed_route_free(route);
  /* A TTL counts from the given now. */
  route = NULL;
  OK(sandgate_sign(signer, S("sbx-001"), 8080, ttl(100000000ULL), 1, 1900000000ULL, &route));
  CHECK(route && route->expires == 2000000000ULL && eq(route->token, "sbx-001-8080-x2qxvk-0ff8cd39a"),
        "ttl route");
  sandgate_signed_route_free(route);
  SandgateString host = {0};
  OK(sandgate_wildcard_host(S("sbx-001-8080-x2qxvk-0ff8cd39a"), S(".localhost"), &host));
  CHECK(eq(host, "sbx-001-8080-x2qxvk-0ff8cd39a.localhost"), "wildcard host %s", host.ptr);
  sandgate_string_free(&host);
  OK(sandgate_wildcard_host(S("sbx-001-8080-x2qxvk-0ff8cd39a"), S("example.com"), &host));
  CHECK(eq(host, "sbx-001-8080-x2qxvk-0ff8cd39a.example.com"), "wildcard host %s", host.ptr);
  sandgate_string_free(&host);
  /* A base domain that is not a DNS name is refused. */
  expect_error(sandgate_wildcard_host(S("sbx-001-8080-x2qxvk-0ff8cd39a"), S("evil.com/x"), &host),
               SANDGATE_ERROR_KIND_INVALID_ARGUMENT, 0, "wildcard host with '/'");
  expect_error(sandgate_wildcard_host(S("sbx-001-8080-x2qxvk-0ff8cd39a"), S("a.com\r\nX: 1"), &host),
               SANDGATE_ERROR_KIND_INVALID_ARGUMENT, 0, "wildcard host with CR/LF");
  CHECK(host.ptr == NULL, "host set on error");

  /* Bad inputs: port out of range, empty sandbox id, neither or both expiries, TTL 0. */
  route = NULL;
  expect_error(sandgate_sign(signer, S("sbx"), 65536, at(1), 0, 0, &route),
               SANDGATE_ERROR_KIND_INVALID_ARGUMENT, 0, "port 65536");
  expect_error(sandgate_sign(signer, S(""), 80, at(1), 0, 0, &route),
               SANDGATE_ERROR_KIND_INVALID_ARGUMENT, 0, "empty id");
  SandgateExpiry neither = {0}, both = at(1);
  both.has_ttl = 1;
  both.ttl_seconds = 5;
  SandgateError *err = sandgate_sign(signer, S("sbx"), 80, neither, 0, 0, &route);
  CHECK(err && strstr(err->message.ptr, "exactly one") != NULL, "neither expiry");
  expect_error(err, SANDGATE_ERROR_KIND_INVALID_ARGUMENT, 0, "neither expiry");
  expect_error(sandgate_sign(signer, S("sbx"), 80, both, 0, 0, &route),
               SANDGATE_ERROR_KIND_INVALID_ARGUMENT, 0, "both expiries");
  expect_error(sandgate_sign(signer, S("sbx"), 80, ttl(0), 0, 0, &route),
               SANDGATE_ERROR_KIND_INVALID_ARGUMENT, 0, "ttl 0");
  expect_error(sandgate_sign(signer, S("sbx"), 80, at(1), 2, 0, &route),
               SANDGATE_ERROR_KIND_INVALID_ARGUMENT, 0, "has_now 2");
  expect_error(sandgate_sign(NULL, S("sbx"), 80, at(1), 0, 0, &route),
               SANDGATE_ERROR_KIND_INVALID_ARGUMENT, 0, "NULL signer");
  CHECK(route == NULL, "route set on error");

  /* The primitive form writes the parts into the caller's buffer. */
  uint8_t buf[600];
  SandgateSignedInto into;
  const char *id = "sbx-001";
  CHECK(sandgate_sign_into_capacity(7) >= 2 * 7 + 84 && sandgate_sign_into_capacity(2000) >= 4084,
        "capacity");
  int32_t rc = sandgate_sign_into(signer, (const uint8_t *)id, 7, 8080, 1, 2000000000ULL, 0, 0, 0,
                                  0, buf, sizeof buf, &into);
  CHECK(rc == 0, "sign_into rc %d", rc);
  if (rc == 0) {
    const uint8_t *p = buf;
    CHECK(bytes_eq(p, into.token_len, "sbx-001-8080-x2qxvk-0ff8cd39a"), "into token");
    p += into.token_len;
    CHECK(bytes_eq(p, into.expires_b36_len, "x2qxvk"), "into b36");
    p += into.expires_b36_len;
    CHECK(bytes_eq(p, into.signature_len, "0ff8cd39a"), "into signature");
    p += into.signature_len;
    CHECK(bytes_eq(p, into.key_id_len, "a"), "into key id");
    p += into.key_id_len;
    CHECK(bytes_eq(p, into.uri_prefix_len, "/sbx-001/8080/x2qxvk/0ff8cd39a"), "into uri prefix");
    CHECK(into.expires == 2000000000ULL && into.port == 8080 && into.message_len == 0 &&
              into.display_len == 0,
          "into numbers");
  }
  rc = sandgate_sign_into(signer, (const uint8_t *)id, 7, 8080, 0, 0, 1, 100000000ULL, 1,
                          1900000000ULL, buf, sizeof buf, &into);
  CHECK(rc == 0 && into.expires == 2000000000ULL, "into ttl");
  /* Failures answer the kind and write the message and the display into the buffer. */
  rc = sandgate_sign_into(signer, (const uint8_t *)id, 7, 70000, 1, 1, 0, 0, 0, 0, buf, sizeof buf,
                          &into);
  CHECK(rc == -SANDGATE_ERROR_KIND_INVALID_ARGUMENT && into.token_len == 0 &&
            bytes_eq(buf, into.message_len, "port must be in 1..65535, got 70000") &&
            bytes_eq(buf + into.message_len, into.display_len,
                     "invalid argument: port must be in 1..65535, got 70000"),
        "into port error rc %d: %.*s", rc, (int)into.message_len, (const char *)buf);
  rc = sandgate_sign_into(signer, (const uint8_t *)id, 7, 8080, 1, 1, 0, 0, 0, 0, buf, 10, &into);
  CHECK(rc == -SANDGATE_ERROR_KIND_INVALID_ARGUMENT && into.token_len == 0 &&
            into.message_len + into.display_len <= 10 && into.message_len > 0,
        "into small buffer rc %d", rc);
  rc = sandgate_sign_into(NULL, (const uint8_t *)id, 7, 8080, 1, 1, 0, 0, 0, 0, buf, sizeof buf,
                          &into);
  CHECK(rc == -SANDGATE_ERROR_KIND_INVALID_ARGUMENT &&
            bytes_eq(buf, into.message_len, "signer must not be NULL"),
        "into NULL signer");
  const uint8_t bad_id[] = {0xff};
  rc = sandgate_sign_into(signer, bad_id, 1, 80, 1, 1, 0, 0, 0, 0, buf, sizeof buf, &into);
  CHECK(rc == -SANDGATE_ERROR_KIND_INVALID_ARGUMENT && into.message_len > 0 &&
            memmem(buf, into.message_len, "UTF-8", 5) != NULL,
        "into bad UTF-8");
  rc = sandgate_sign_into(signer, NULL, 0, 80, 1, 1, 0, 0, 0, 0, buf, sizeof buf, &into);
  CHECK(rc == -SANDGATE_ERROR_KIND_INVALID_ARGUMENT &&
            bytes_eq(buf, into.message_len, "sandbox id must not be empty"),
        "into empty id");
  CHECK(sandgate_sign_into(signer, (const uint8_t *)id, 7, 8080, 1, 1, 0, 0, 0, 0, buf, sizeof buf,
                           NULL) == -SANDGATE_ERROR_KIND_INVALID_ARGUMENT,
        "into NULL out");
  sandgate_signer_free(signer);

  OK(sandgate_signing_keys_from_flag(S("a=bXktdGVzdC1zZWNyZXQ="), &keys));
  signer = NULL;
  expect_error(sandgate_signer_new(keys, S("b"), &signer), SANDGATE_ERROR_KIND_INVALID_CONFIG, 0,
               "unknown key id");
  expect_error(sandgate_signer_new(keys, S("ab"), &signer), SANDGATE_ERROR_KIND_INVALID_CONFIG, 0,
               "two-char key id");
  sandgate_signing_keys_free(keys);

  /* expires_b36 facts. */
  SandgateString b = {0};
  OK(sandgate_encode_expires_b36(18446744073709551615ULL, &b));
  CHECK(eq(b, "3w5e11264sgsf"), "b36 max");
  sandgate_string_free(&b);
  uint64_t v = 0;
  OK(sandgate_decode_expires_b36(S("x2qxvk"), &v));
  CHECK(v == 2000000000ULL, "decode");
  expect_error(sandgate_decode_expires_b36(S("3w5e11264sgsg"), &v),
               SANDGATE_ERROR_KIND_INVALID_ARGUMENT, 0, "b36 overflow");
  expect_error(sandgate_decode_expires_b36(S("X"), &v), SANDGATE_ERROR_KIND_INVALID_ARGUMENT, 0,
               "b36 uppercase");
}

/* ------------------------------------------------------------------ key config */

static void key_config_family(void) {
  const char *toml =
      "[ingress.secure_access]\nactive_key = \"b\"\n"
      "[[ingress.secure_access.keys]]\nkey_id = \"a\"\nkey = \"bXktdGVzdC1zZWNyZXQ=\"\n"
      "[[ingress.secure_access.keys]]\nkey_id = \"b\"\nkey = \"b3RoZXI=\"\n";
  SandgateSigningKeys *keys = NULL;
  OK(sandgate_signing_keys_from_toml(S(toml), &keys));
  SandgateString ids = {0};
  OK(sandgate_signing_keys_key_ids(keys, &ids));
  CHECK(eq(ids, "ab"), "key ids %s", ids.ptr);
  sandgate_string_free(&ids);
  SandgateString active = {0};
  OK(sandgate_signing_keys_active_key_id(keys, &active));
  CHECK(eq(active, "b"), "active key %s", active.ptr);
  sandgate_string_free(&active);
  SandgateSigner *signer = NULL;
  OK(sandgate_signer_new(keys, NONE, &signer)); /* the active key */
  SandgateString kid = {0};
  OK(sandgate_signer_key_id(signer, &kid));
  CHECK(eq(kid, "b"), "signer uses the active key");
  sandgate_string_free(&kid);
  sandgate_signer_free(signer);
  sandgate_signing_keys_free(keys);

  keys = NULL;
  OK(sandgate_signing_keys_from_flag(S("a=bXktdGVzdC1zZWNyZXQ="), &keys));
  OK(sandgate_signing_keys_active_key_id(keys, &active));
  CHECK(active.ptr == NULL, "flag string has no active key");
  sandgate_signing_keys_free(keys);

  keys = NULL;
  SandgateError *err = sandgate_signing_keys_from_flag(S("a=YQ==,a=Yg=="), &keys);
  CHECK(err && strstr(err->message.ptr, "\"a\"") != NULL, "duplicate id message: %s", err ? err->message.ptr : "");
  expect_error(err, SANDGATE_ERROR_KIND_INVALID_CONFIG, 0, "duplicate id");
  expect_error(sandgate_signing_keys_from_toml(S("[ingress"), &keys),
               SANDGATE_ERROR_KIND_INVALID_CONFIG, 0, "bad toml");
  CHECK(keys == NULL, "keys set on error");

  /* The server's environment pair: both, neither (no handle), one alone (an error). */
  OK(sandgate_signing_keys_from_env(S("a=YQ==,b=Yg=="), S("b"), &keys));
  OK(sandgate_signing_keys_active_key_id(keys, &active));
  CHECK(keys != NULL && eq(active, "b"), "env pair active key %s", active.ptr);
  sandgate_string_free(&active);
  sandgate_signing_keys_free(keys);
  keys = NULL;
  OK(sandgate_signing_keys_from_env(NONE, NONE, &keys));
  CHECK(keys == NULL, "neither variable set gives no handle");
  err = sandgate_signing_keys_from_env(S("a=YQ=="), NONE, &keys);
  CHECK(err && strstr(err->message.ptr, "set together") != NULL, "env pair message: %s",
        err ? err->message.ptr : "");
  expect_error(err, SANDGATE_ERROR_KIND_INVALID_CONFIG, 0, "env pair without active key");
  expect_error(sandgate_signing_keys_from_env(S("a=YQ==,"), S("a"), &keys),
               SANDGATE_ERROR_KIND_INVALID_CONFIG, 0, "env pair trailing comma");
  CHECK(keys == NULL, "keys set on error");
}

/* ------------------------------------------------------------------ access: verify, decide */

static int32_t verify(const SandgateVerifier *v, int32_t form, const char *input, uint8_t has_now,
                      uint64_t now, SandgateVerified *out) {
  return sandgate_verify(v, form, (const uint8_t *)input, strlen(input), has_now, now, out);
}

static void access_family(void) {
  SandgateSigningKeys *keys = NULL;
  SandgateVerifier *verifier = NULL;
  OK(sandgate_signing_keys_from_flag(S("a=bXktdGVzdC1zZWNyZXQ="), &keys));
  OK(sandgate_verifier_new(keys, &verifier));
  sandgate_signing_keys_free(keys);
  const char *token = "sbx-001-8080-x2qxvk-0ff8cd39a";
  SandgateVerified r;
  int32_t rc = verify(verifier, SANDGATE_ROUTE_FORM_TOKEN, token, 1, 1900000000ULL, &r);
  CHECK(rc == 0 && r.sandbox_id_offset == 0 && r.sandbox_id_len == 7 && r.port == 8080 &&
            r.expires == 2000000000ULL && r.key_id == 'a' && r.status == 200 &&
            r.message == NULL && r.display == NULL,
        "verified route rc %d", rc);
  /* The system clock: 2000000000 is still in the future until 2033. */
  CHECK(verify(verifier, SANDGATE_ROUTE_FORM_TOKEN, token, 0, 0, &r) == 0, "system clock");
  /* Host and path forms locate the sandbox id inside their own input. */
  const char *host = "sbx-001-8080-x2qxvk-0ff8cd39a.example.com:443";
  rc = verify(verifier, SANDGATE_ROUTE_FORM_HOST, host, 1, 1900000000ULL, &r);
  CHECK(rc == 0 && r.sandbox_id_offset == 0 && r.sandbox_id_len == 7 && r.port == 8080,
        "host form rc %d", rc);
  const char *path = "/sbx-001/8080/x2qxvk/0ff8cd39a/ping?q=1";
  rc = verify(verifier, SANDGATE_ROUTE_FORM_PATH, path, 1, 1900000000ULL, &r);
  CHECK(rc == 0 && r.sandbox_id_offset == 1 && r.sandbox_id_len == 7 &&
            memcmp(path + r.sandbox_id_offset, "sbx-001", 7) == 0 && r.expires == 2000000000ULL,
        "path form rc %d offset %llu", rc, (unsigned long long)r.sandbox_id_offset);
  /* A denial answers its reason, status, message and display in the same call. */
  rc = verify(verifier, SANDGATE_ROUTE_FORM_TOKEN, token, 1, 2000000001ULL, &r);
  CHECK(rc == SANDGATE_DENY_REASON_EXPIRED && r.status == 401 && r.message && r.display &&
            strncmp(r.display, "access denied (expired): ", 25) == 0 &&
            strcmp(r.display + 25, r.message) == 0 && r.port == 0,
        "expired rc %d: %s", rc, r.display ? r.display : "");
  const char *first_message = r.message;
  rc = verify(verifier, SANDGATE_ROUTE_FORM_TOKEN, token, 1, 2000000002ULL, &r);
  CHECK(rc == SANDGATE_DENY_REASON_EXPIRED && r.message == first_message,
        "denial texts are static, made once");
  rc = verify(verifier, SANDGATE_ROUTE_FORM_TOKEN, "sbx-001-8080-x2qxvk-0ff8cd391a", 1, 0, &r);
  CHECK(rc == SANDGATE_DENY_REASON_MALFORMED && r.status == 400, "malformed rc %d", rc);
  rc = verify(verifier, SANDGATE_ROUTE_FORM_TOKEN, "sbx-001-8080-x2qxvk-0ff8cd31a", 1, 0, &r);
  CHECK(rc == SANDGATE_DENY_REASON_BAD_SIGNATURE && r.status == 401, "tampered rc %d", rc);
  rc = verify(verifier, SANDGATE_ROUTE_FORM_TOKEN, "sbx1-8080", 1, 0, &r);
  CHECK(rc == SANDGATE_DENY_REASON_CREDENTIAL_REQUIRED, "legacy rc %d", rc);
  rc = sandgate_verify(verifier, SANDGATE_ROUTE_FORM_TOKEN, NULL, 0, 1, 0, &r);
  CHECK(rc == SANDGATE_DENY_REASON_MALFORMED, "empty input rc %d", rc);
  /* Bad arguments: a negative kind with a static message naming the argument. */
  rc = verify(NULL, SANDGATE_ROUTE_FORM_TOKEN, token, 1, 0, &r);
  CHECK(rc == -SANDGATE_ERROR_KIND_INVALID_ARGUMENT && r.message &&
            strcmp(r.message, "verifier must not be NULL") == 0 && r.display &&
            strcmp(r.display, "invalid argument: verifier must not be NULL") == 0 && r.status == 0,
        "NULL verifier rc %d", rc);
  rc = verify(verifier, 3, token, 1, 0, &r);
  CHECK(rc == -SANDGATE_ERROR_KIND_INVALID_ARGUMENT && r.message && strstr(r.message, "form"),
        "form 3 rc %d", rc);
  rc = verify(verifier, SANDGATE_ROUTE_FORM_TOKEN, token, 2, 0, &r);
  CHECK(rc == -SANDGATE_ERROR_KIND_INVALID_ARGUMENT && r.message && strstr(r.message, "has_now"),
        "has_now 2 rc %d", rc);
  rc = sandgate_verify(verifier, SANDGATE_ROUTE_FORM_HOST, (const uint8_t *)"\xff", 1, 0, 0, &r);
  CHECK(rc == -SANDGATE_ERROR_KIND_INVALID_ARGUMENT && r.message &&
            strcmp(r.message, "host is not valid UTF-8") == 0,
        "bad UTF-8 rc %d", rc);
  rc = sandgate_verify(verifier, SANDGATE_ROUTE_FORM_TOKEN, NULL, 4, 0, 0, &r);
  CHECK(rc == -SANDGATE_ERROR_KIND_INVALID_ARGUMENT, "NULL input with a length rc %d", rc);
  CHECK(verify(verifier, SANDGATE_ROUTE_FORM_TOKEN, token, 1, 0, NULL) ==
            -SANDGATE_ERROR_KIND_INVALID_ARGUMENT,
        "NULL out");

  /* Decisions: header mismatch, header match, uri mode with query, no credential. */
  SandgateDecision *d = NULL;
  OK(sandgate_verifier_decide(verifier, S(token), NONE, NONE, S(""), S("tok"), 1, 0, &d));
  CHECK(d && !d->allowed && d->status == 401 && d->reason == SANDGATE_DENY_REASON_HEADER_MISMATCH &&
            strcmp(d->reason_code, "header_mismatch") == 0 && d->grant == NULL &&
            d->route.sandbox_id.ptr == NULL && d->detail.ptr != NULL && d->error != NULL &&
            d->error->kind == SANDGATE_ERROR_KIND_ACCESS_DENIED && d->error->status == 401 &&
            d->error->reason == SANDGATE_DENY_REASON_HEADER_MISMATCH &&
            strcmp(d->error->message.ptr, d->detail.ptr) == 0,
        "empty secure header must not fall back to the signature");
  sandgate_decision_free(d);
  d = NULL;
  OK(sandgate_verifier_decide(verifier, NONE, S("sbx9-80.localhost"), S("/x?y=1"), S(" tok "),
                              S("tok"), 0, 0, &d));
  CHECK(d && d->allowed && d->status == 200 && strcmp(d->grant, "header") == 0 &&
            eq(d->route.sandbox_id, "sbx9") && d->route.port == 80 && !d->route.is_signed &&
            d->route.key_id.ptr == NULL && eq(d->path, "/x") && eq(d->query, "y=1") &&
            d->reason == 0 && d->reason_code == NULL && d->error == NULL,
        "header grant");
  sandgate_decision_free(d);
  d = NULL;
  OK(sandgate_verifier_decide(verifier, NONE, NONE, S("/sbx-001/8080/x2qxvk/0ff8cd39a/ping?q"),
                              NONE, S("tok"), 1, 1900000000ULL, &d));
  CHECK(d && d->allowed && strcmp(d->grant, "signature") == 0 && d->route.is_signed &&
            eq(d->route.key_id, "a") && d->route.expires == 2000000000ULL && eq(d->path, "/ping") &&
            eq(d->query, "q"),
        "uri signature grant");
  sandgate_decision_free(d);
  d = NULL;
  OK(sandgate_verifier_decide(verifier, S("sbx1-80"), NONE, NONE, NONE, S("tok"), 1, 0, &d));
  CHECK(d && !d->allowed && d->reason == SANDGATE_DENY_REASON_CREDENTIAL_REQUIRED, "no credential");
  sandgate_decision_free(d);
  d = NULL;
  OK(sandgate_verifier_decide(verifier, S("sbx1-80"), NONE, NONE, NONE, NONE, 1, 0, &d));
  CHECK(d && d->allowed && strcmp(d->grant, "open") == 0 && d->query.ptr == NULL, "open sandbox");
  sandgate_decision_free(d);
  sandgate_decision_free(NULL);
  d = NULL;
  expect_error(sandgate_verifier_decide(NULL, NONE, NONE, NONE, NONE, NONE, 0, 0, &d),
               SANDGATE_ERROR_KIND_INVALID_ARGUMENT, 0, "decide NULL verifier");
  sandgate_verifier_free(verifier);

  /* A verifier without keys answers not_configured (503). */
  OK(sandgate_signing_keys_from_flag(S(""), &keys));
  OK(sandgate_verifier_new(keys, &verifier));
  sandgate_signing_keys_free(keys);
  rc = verify(verifier, SANDGATE_ROUTE_FORM_TOKEN, token, 1, 0, &r);
  CHECK(rc == SANDGATE_DENY_REASON_NOT_CONFIGURED && r.status == 503, "not configured rc %d", rc);
  sandgate_verifier_free(verifier);
}

/* ------------------------------------------------------------------ API keys */

static void api_keys_family(void) {
  SandgateString h = {0};
  OK(sandgate_hash_api_key(S("osk_AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA"), &h));
  CHECK(eq(h, "fe7551c6c02ca8eeeecbaeeea66ccce95e09a68002c9b077c457e4096f093307"), "hash fact");
  uint8_t valid = 9;
  OK(sandgate_verify_api_key(S("osk_AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA"),
                             view_of(h), NONE, 0, 0, 0, &valid));
  CHECK(valid == 1, "matching key");
  OK(sandgate_verify_api_key(S("osk_AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA"),
                             view_of(h), NONE, 1, 0, 0, &valid));
  CHECK(valid == 0, "revoked key");
  OK(sandgate_verify_api_key(S("osk_AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA"),
                             view_of(h), S("2030-01-01T00:00:00Z"), 0, 1,
                             1893456001ULL, &valid));
  CHECK(valid == 0, "expired key");
  OK(sandgate_verify_api_key(S("osk_AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA"),
                             view_of(h), S("garbage"), 0, 1, 0, &valid));
  CHECK(valid == 0, "unparseable expiry fails closed");
  sandgate_string_free(&h);
  expect_error(sandgate_verify_api_key(S("k"), S("ABC"), NONE, 0, 0, 0, &valid),
               SANDGATE_ERROR_KIND_INVALID_ARGUMENT, 0, "bad stored hash");
  expect_error(sandgate_verify_api_key(S("k"), S("ABC"), NONE, 2, 0, 0, &valid),
               SANDGATE_ERROR_KIND_INVALID_ARGUMENT, 0, "revoked flag 2");

  SandgateGeneratedApiKey *k = NULL;
  OK(sandgate_generate_api_key(NONE, &k));
  CHECK(k && k->key.len == 47 && strncmp(k->key.ptr, "osk_", 4) == 0, "generated key");
  CHECK(k && k->prefix.len == 12 && strncmp(k->prefix.ptr, k->key.ptr, 12) == 0, "display prefix");
  if (k) {
    SandgateString h2 = {0};
    OK(sandgate_hash_api_key(view_of(k->key), &h2));
    CHECK(h2.len == 64 && strcmp(h2.ptr, k->hash.ptr) == 0, "generated hash");
    sandgate_string_free(&h2);
    OK(sandgate_verify_api_key(view_of(k->key), view_of(k->hash), NONE,
                               0, 0, 0, &valid));
    CHECK(valid == 1, "generated key verifies");
  }
  sandgate_generated_api_key_free(k);
  k = NULL;
  OK(sandgate_generate_api_key(S(""), &k));
  CHECK(k && k->key.len == 43, "empty prefix");
  sandgate_generated_api_key_free(k);
  k = NULL;
  expect_error(sandgate_generate_api_key(S("bad prefix"), &k), SANDGATE_ERROR_KIND_INVALID_ARGUMENT,
               0, "bad prefix");
  CHECK(k == NULL, "key set on error");
}

/* ------------------------------------------------------------------ mock server */

static SandgateMock *mock;
static char *domain;

static char *dup_string(SandgateString s) {
  char *out = malloc(s.len + 1);
  memcpy(out, s.ptr, s.len + 1);
  return out;
}

static void mock_family(void) {
  SandgateMock *m = NULL;
  expect_error(sandgate_mock_start(S("sideways"), 0, NONE, &m), SANDGATE_ERROR_KIND_INVALID_CONFIG, 0,
               "bad route mode");
  expect_error(sandgate_mock_start(NONE, 2, NONE, &m), SANDGATE_ERROR_KIND_INVALID_ARGUMENT, 0,
               "trusted_headers 2");
  OK(sandgate_mock_start(S("header"), 1, S("https://origin.example"), &mock));
  if (!mock) return;
  SandgateString s = {0};
  OK(sandgate_mock_domain(mock, &s));
  CHECK(s.ptr && strncmp(s.ptr, "127.0.0.1:", 10) == 0, "domain %s", s.ptr);
  domain = dup_string(s);
  sandgate_string_free(&s);
  OK(sandgate_mock_api_url(mock, &s));
  CHECK(s.ptr && strncmp(s.ptr, "http://127.0.0.1:", 17) == 0, "api url");
  sandgate_string_free(&s);
  OK(sandgate_mock_gateway_url(mock, &s));
  CHECK(s.ptr && strncmp(s.ptr, "http://127.0.0.1:", 17) == 0, "gateway url");
  sandgate_string_free(&s);
  OK(sandgate_mock_admin_key(mock, &s));
  CHECK(s.len > 0, "admin key");
  sandgate_string_free(&s);
  OK(sandgate_mock_route_mode(mock, &s));
  CHECK(eq(s, "header"), "route mode");
  sandgate_string_free(&s);
  OK(sandgate_mock_signing_keys(mock, &s));
  SandgateSigningKeys *keys = NULL;
  OK(sandgate_signing_keys_from_flag(view_of(s), &keys));
  sandgate_string_free(&s);
  SandgateString ids = {0};
  OK(sandgate_signing_keys_key_ids(keys, &ids));
  CHECK(eq(ids, "ab"), "mock key ids");
  sandgate_string_free(&ids);
  sandgate_signing_keys_free(keys);

  uint64_t now = 0, later = 0;
  OK(sandgate_mock_now(mock, &now));
  OK(sandgate_mock_advance(mock, 3600));
  OK(sandgate_mock_now(mock, &later));
  CHECK(later >= now + 3600 && later < now + 3700, "advance");
  OK(sandgate_mock_set_now(mock, 1000));
  OK(sandgate_mock_now(mock, &now));
  CHECK(now >= 1000 && now < 1100, "set_now");
  SandgateFaults bad = {0};
  bad.fail_next = -1;
  expect_error(sandgate_mock_set_faults(mock, &bad), SANDGATE_ERROR_KIND_INVALID_ARGUMENT, 0,
               "negative fault");
  expect_error(sandgate_mock_set_faults(mock, NULL), SANDGATE_ERROR_KIND_INVALID_ARGUMENT, 0,
               "NULL faults");
  OK(sandgate_mock_reset(mock));
  OK(sandgate_mock_now(mock, &now));
  CHECK(now > 1600000000ULL, "reset clock");
}

/* ------------------------------------------------------------------ client */

struct waiter {
  pthread_mutex_t mu;
  pthread_cond_t cv;
  int done;
  SandgateError *error;
  void *result;
  pthread_t caller;
  int on_caller_thread; /* the callback ran on the thread that started the call */
};

static void on_done(void *user_data, SandgateError *error, void *result) {
  struct waiter *w = user_data;
  pthread_mutex_lock(&w->mu);
  w->on_caller_thread |= pthread_equal(pthread_self(), w->caller);
  w->error = error;
  w->result = result;
  w->done++;
  pthread_cond_signal(&w->cv);
  pthread_mutex_unlock(&w->mu);
}

static void waiter_init(struct waiter *w) {
  memset(w, 0, sizeof *w);
  pthread_mutex_init(&w->mu, NULL);
  pthread_cond_init(&w->cv, NULL);
  w->caller = pthread_self();
}

static void waiter_destroy(struct waiter *w) {
  pthread_mutex_destroy(&w->mu);
  pthread_cond_destroy(&w->cv);
}

static void waiter_wait(struct waiter *w) {
  pthread_mutex_lock(&w->mu);
  while (!w->done) pthread_cond_wait(&w->cv, &w->mu);
  pthread_mutex_unlock(&w->mu);
  waiter_destroy(w);
}

/* AWAIT(&result, sandgate_client_op, args...): starts the operation with a fresh waiter and
 * waits for its callback; evaluates to the start error or the callback's error. */
static struct waiter W;
static int callbacks_on_caller_thread;

static struct waiter *begin(void) {
  waiter_init(&W);
  return &W;
}

static SandgateError *await_(void **result, SandgateError *start_error) {
  if (start_error) {
    waiter_destroy(&W);
    if (result) *result = NULL;
    return start_error;
  }
  waiter_wait(&W);
  callbacks_on_caller_thread |= W.on_caller_thread;
  if (W.done != 1) CHECK(0, "callback called %d times", W.done);
  if (result) {
    *result = W.result;
  } else if (W.result) {
    CHECK(0, "an operation without a result returned one");
  }
  return W.error;
}

#define AWAIT(result, fn, ...) await_((void **)(result), fn(__VA_ARGS__, on_done, begin(), NULL))

static SandgateClientOptions options(void) {
  SandgateClientOptions o;
  memset(&o, 0, sizeof o);
  o.domain = S(domain);
  o.ignore_env = 1;
  o.retry.has_max_retries = 1;
  o.retry.max_retries = 0;
  o.has_timeout_ms = 1;
  o.timeout_ms = 10000;
  o.language = S("c-smoke");
  return o;
}

static SandgateClient *client_as(const char *user, const char *api_key) {
  SandgateClientOptions o = options();
  SandgateStrPair headers[2] = {{S("X-OpenSandbox-User"), S(user)},
                                {S("X-OpenSandbox-Roles"), S("operator")}};
  if (user) {
    o.headers = headers;
    o.headers_len = 2;
  }
  if (api_key) o.api_key = S(api_key);
  SandgateClient *c = NULL;
  OK(sandgate_client_new(&o, &c));
  return c;
}

static void client_family(void) {
  if (!mock || !domain) {
    CHECK(0, "no mock server");
    return;
  }
  /* Options are validated when the client is built. */
  SandgateClientOptions o = options();
  o.protocol = S("ftp");
  SandgateClient *c = NULL;
  expect_error(sandgate_client_new(&o, &c), SANDGATE_ERROR_KIND_INVALID_CONFIG, 0, "ftp");
  o = options();
  o.ignore_env = 7;
  expect_error(sandgate_client_new(&o, &c), SANDGATE_ERROR_KIND_INVALID_ARGUMENT, 0,
               "ignore_env 7");
  o = options();
  o.timeout_ms = 0;
  expect_error(sandgate_client_new(&o, &c), SANDGATE_ERROR_KIND_INVALID_CONFIG, 0, "timeout 0");
  o = options();
  o.retry.has_initial_backoff_ms = 1;
  o.retry.initial_backoff_ms = 5000;
  o.retry.has_max_backoff_ms = 1;
  o.retry.max_backoff_ms = 100;
  SandgateError *err = sandgate_client_new(&o, &c);
  CHECK(err && strstr(err->message.ptr, "initial_backoff_ms") != NULL, "backoff order message");
  expect_error(err, SANDGATE_ERROR_KIND_INVALID_CONFIG, 0, "initial > max backoff");
  o = options();
  o.headers_len = 1;
  expect_error(sandgate_client_new(&o, &c), SANDGATE_ERROR_KIND_INVALID_ARGUMENT, 0,
               "NULL headers with a length");
  o = options();
  o.protocol.ptr = (const uint8_t *)"\xff";
  o.protocol.len = 1;
  expect_error(sandgate_client_new(&o, &c), SANDGATE_ERROR_KIND_INVALID_ARGUMENT, 0,
               "options UTF-8");
  CHECK(c == NULL, "client set on error");
  /* Full retry options and NULL options (environment and defaults) both build. */
  o = options();
  o.retry.has_max_retries = 1;
  o.retry.max_retries = 3;
  o.retry.has_initial_backoff_ms = 1;
  o.retry.initial_backoff_ms = 10;
  o.retry.has_max_backoff_ms = 1;
  o.retry.max_backoff_ms = 20;
  OK(sandgate_client_new(&o, &c));
  SandgateString kept = {0};
  OK(sandgate_client_base_url(c, &kept));
  CHECK(kept.ptr && strstr(kept.ptr, domain) != NULL, "base url %s", kept.ptr);
  sandgate_string_free(&kept);
  sandgate_client_free(c);
  c = NULL;
  OK(sandgate_client_new(NULL, &c));
  sandgate_client_free(c);

  /* A user mints a key; the key alone then creates a secure sandbox. */
  SandgateClient *alice = client_as("alice", NULL);
  SandgateCreatedApiKey *key = NULL;
  OK(AWAIT(&key, sandgate_client_create_api_key, alice, S("smoke"), 0, 0));
  if (!key) return;
  CHECK(eq(key->name, "smoke") && key->prefix.len == 12 &&
            strncmp(key->prefix.ptr, key->key.ptr, 12) == 0 && key->expires_at.ptr == NULL,
        "created key");
  SandgateClient *bykey = client_as(NULL, key->key.ptr);
  SandgateStrPair meta[1] = {{S("team"), S("blue")}};
  SandgateSandbox *sb = NULL;
  OK(AWAIT(&sb, sandgate_client_create_sandbox, bykey, S("python:3.11"), 1, meta, 1, 1, 600));
  if (!sb) return;
  int owner = 0, team = 0;
  for (size_t i = 0; i < sb->metadata_len; i++) {
    if (eq(sb->metadata[i].name, "access.owner") && eq(sb->metadata[i].value, "alice")) owner = 1;
    if (eq(sb->metadata[i].name, "team") && eq(sb->metadata[i].value, "blue")) team = 1;
  }
  CHECK(owner && team && sb->secure_access == 1 && sb->state.ptr != NULL, "sandbox metadata");
  char *sandbox_id = dup_string(sb->id);
  sandgate_sandbox_free(sb);

  SandgateEndpoint *ep = NULL;
  OK(AWAIT(&ep, sandgate_client_get_signed_endpoint, bykey, S(sandbox_id), 8080, ttl(300)));
  CHECK(ep && ep->route.sandbox_id.ptr && strcmp(ep->route.sandbox_id.ptr, sandbox_id) == 0 &&
            ep->route.port == 8080 && ep->route.is_signed && eq(ep->route.key_id, "a") &&
            ep->headers_len == 1 && eq(ep->headers[0].name, "OpenSandbox-Ingress-To"),
        "signed endpoint (ttl)");
  CHECK(ep && ep->kind == SANDGATE_ENDPOINT_KIND_SIGNED && strcmp(ep->kind_code, "signed") == 0 &&
            eq(ep->origin, "https://origin.example"),
        "endpoint kind and origin");
  sandgate_endpoint_free(ep);
  SandgateExpiry none = {0};
  OK(AWAIT(&ep, sandgate_client_endpoint, bykey, S(sandbox_id), 8080, 1, none));
  int proxy_key = 0;
  for (size_t i = 0; ep && i < ep->headers_len; i++)
    if (eq(ep->headers[i].name, "OPEN-SANDBOX-API-KEY")) proxy_key = 1;
  CHECK(ep && ep->kind == SANDGATE_ENDPOINT_KIND_SERVER_PROXY && proxy_key,
        "server-proxy endpoint carries the API key");
  sandgate_endpoint_free(ep);
  OK(AWAIT(&ep, sandgate_client_get_signed_endpoint, bykey, S(sandbox_id), 8080,
           at((uint64_t)time(NULL) + 60)));
  CHECK(ep && ep->route.is_signed, "signed endpoint (expires)");
  sandgate_endpoint_free(ep);
  OK(AWAIT(&ep, sandgate_client_get_endpoint, bykey, S(sandbox_id), 8080));
  int secret_redacted = 0;
  for (size_t i = 0; ep && i < ep->headers_len; i++) {
    if (eq(ep->headers[i].name, "OpenSandbox-Secure-Access")) {
      secret_redacted = eq(ep->headers[i].redacted_value, "***") && ep->headers[i].value.len > 10;
    }
  }
  CHECK(ep && ep->route.sandbox_id.ptr == NULL && secret_redacted, "unsigned endpoint");
  sandgate_endpoint_free(ep);
  /* Bad input is refused before the start: the callback is never called. */
  expect_error(AWAIT(&ep, sandgate_client_get_endpoint, bykey, S(sandbox_id), 0),
               SANDGATE_ERROR_KIND_INVALID_ARGUMENT, 0, "port 0");
  SandgateExpiry neither = {0};
  expect_error(AWAIT(&ep, sandgate_client_get_signed_endpoint, bykey, S(sandbox_id), 80, neither),
               SANDGATE_ERROR_KIND_INVALID_ARGUMENT, 0, "no expiry");
  expect_error(AWAIT(&ep, sandgate_client_get_signed_endpoint, bykey, S(sandbox_id), 80, ttl(0)),
               SANDGATE_ERROR_KIND_INVALID_ARGUMENT, 0, "ttl 0");
  expect_error(AWAIT(&ep, sandgate_client_get_signed_endpoint, bykey, S(sandbox_id), 80, at(1000)),
               SANDGATE_ERROR_KIND_INVALID_ARGUMENT, 0, "past expiry");
  expect_error(AWAIT(&ep, sandgate_client_get_endpoint, NULL, S(sandbox_id), 80),
               SANDGATE_ERROR_KIND_INVALID_ARGUMENT, 0, "NULL client");
  CHECK(ep == NULL, "endpoint set on error");

  SandgateSandbox *got = NULL;
  OK(AWAIT(&got, sandgate_client_get_sandbox, bykey, S(sandbox_id)));
  CHECK(got && strcmp(got->id.ptr, sandbox_id) == 0, "get sandbox");
  sandgate_sandbox_free(got);
  SandgateSandboxList *list = NULL;
  OK(AWAIT(&list, sandgate_client_list_sandboxes, bykey));
  CHECK(list && list->len == 1, "list sandboxes");
  sandgate_sandbox_list_free(list);

  /* Renewing moves the sandbox's expiry: to an instant, or a TTL from now. */
  SandgateSandboxRenewal *renewal = NULL;
  uint64_t until = (uint64_t)time(NULL) + 7200;
  OK(AWAIT(&renewal, sandgate_client_renew_sandbox, bykey, S(sandbox_id), at(until)));
  CHECK(renewal && renewal->expires == until && renewal->expires_at.len == 20, "renew (expires)");
  OK(AWAIT(&got, sandgate_client_get_sandbox, bykey, S(sandbox_id)));
  CHECK(got && renewal && strcmp(got->expires_at.ptr, renewal->expires_at.ptr) == 0,
        "renewed expiry shows on the sandbox");
  sandgate_sandbox_free(got);
  sandgate_sandbox_renewal_free(renewal);
  renewal = NULL;
  OK(AWAIT(&renewal, sandgate_client_renew_sandbox, bykey, S(sandbox_id), ttl(86400)));
  CHECK(renewal && renewal->expires >= until + 86400 - 7200 - 5, "renew (ttl)");
  sandgate_sandbox_renewal_free(renewal);
  renewal = NULL;
  err = AWAIT(&renewal, sandgate_client_renew_sandbox, bykey, S("does-not-exist"), ttl(60));
  CHECK(renewal == NULL && err && err->status == 404 && eq(err->code, "SANDBOX::NOT_FOUND"),
        "renew unknown sandbox");
  expect_error(err, SANDGATE_ERROR_KIND_API, 0, "renew unknown sandbox");
  /* A bad expiry is refused before any request: the mock logs nothing new. */
  SandgateMockRequestList *before = NULL;
  OK(sandgate_mock_requests(mock, &before));
  expect_error(AWAIT(&renewal, sandgate_client_renew_sandbox, bykey, S(sandbox_id), neither),
               SANDGATE_ERROR_KIND_INVALID_ARGUMENT, 0, "renew without expiry");
  expect_error(AWAIT(&renewal, sandgate_client_renew_sandbox, bykey, S(sandbox_id), ttl(0)),
               SANDGATE_ERROR_KIND_INVALID_ARGUMENT, 0, "renew ttl 0");
  expect_error(AWAIT(&renewal, sandgate_client_renew_sandbox, bykey, S(sandbox_id), at(1000)),
               SANDGATE_ERROR_KIND_INVALID_ARGUMENT, 0, "renew to the past");
  SandgateMockRequestList *after = NULL;
  OK(sandgate_mock_requests(mock, &after));
  CHECK(before && after && after->len == before->len && renewal == NULL,
        "a bad expiry sent a request");
  sandgate_mock_request_list_free(before);
  sandgate_mock_request_list_free(after);

  /* An API error carries status, server code and request id. */
  err = AWAIT(&got, sandgate_client_get_sandbox, bykey, S("does-not-exist"));
  CHECK(got == NULL && err && err->status == 404 && eq(err->code, "SANDBOX::NOT_FOUND") &&
            err->request_id.len > 0 && strncmp(err->display.ptr, "API error 404 ", 14) == 0,
        "API error fields");
  expect_error(err, SANDGATE_ERROR_KIND_API, 0, "not found");

  /* The callback runs on a runtime thread; a cancel handle after completion does nothing. */
  struct waiter w;
  waiter_init(&w);
  SandgateCancel *cancel = NULL;
  OK(sandgate_client_list_api_keys(alice, on_done, &w, &cancel));
  CHECK(cancel != NULL, "no cancel handle");
  waiter_wait(&w);
  SandgateApiKeyList *keys = w.result;
  CHECK(w.done == 1 && w.error == NULL && keys && keys->len == 1 && eq(keys->items[0].name, "smoke") &&
            !keys->items[0].revoked,
        "list keys");
  sandgate_api_key_list_free(keys);
  sandgate_error_free(w.error);
  sandgate_cancel(cancel);
  sandgate_cancel_free(cancel);
  expect_error(sandgate_client_get_sandbox(bykey, S("x"), NULL, &w, NULL),
               SANDGATE_ERROR_KIND_INVALID_ARGUMENT, 0, "NULL callback");

  /* Cancel a call in flight: 5 s of injected latency, cancelled at once. */
  SandgateFaults slow = {0};
  slow.latency_ms = 5000;
  OK(sandgate_mock_set_faults(mock, &slow));
  waiter_init(&w);
  cancel = NULL;
  OK(sandgate_client_list_sandboxes(bykey, on_done, &w, &cancel));
  sandgate_cancel(cancel);
  sandgate_cancel(cancel);
  waiter_wait(&w);
  CHECK(w.result == NULL && w.error != NULL && w.done == 1, "cancelled call completed");
  CHECK(w.error && eq(w.error->message, "the operation was cancelled"), "cancel message");
  expect_error(w.error, SANDGATE_ERROR_KIND_CANCELLED, 0, "cancelled");
  sandgate_cancel_free(cancel);
  OK(sandgate_mock_clear_faults(mock));

  /* A second sandbox, deleted; a second key, revoked. */
  SandgateSandbox *second = NULL;
  OK(AWAIT(&second, sandgate_client_create_sandbox, bykey, S("busybox"), 0, NULL, 0, 0, 0));
  CHECK(second && second->secure_access == 0, "create sandbox");
  if (second) {
    OK(AWAIT(NULL, sandgate_client_delete_sandbox, bykey, view_of(second->id)));
  }
  sandgate_sandbox_free(second);
  SandgateCreatedApiKey *second_key = NULL;
  OK(AWAIT(&second_key, sandgate_client_create_api_key, alice, NONE, 1,
           (uint64_t)time(NULL) + 3600));
  CHECK(second_key && eq(second_key->name, "API Key") && second_key->expires_at.ptr != NULL,
        "create key with expiry");
  if (second_key) {
    OK(AWAIT(NULL, sandgate_client_revoke_api_key, alice, view_of(second_key->id)));
  }
  sandgate_created_api_key_free(second_key);

  OK(AWAIT(NULL, sandgate_client_delete_sandbox, bykey, S(sandbox_id)));
  OK(AWAIT(NULL, sandgate_client_revoke_api_key, alice, view_of(key->id)));
  err = AWAIT(&list, sandgate_client_list_sandboxes, bykey);
  CHECK(err && err->status == 401 && eq(err->code, "INVALID_API_KEY"), "revoked key rejected");
  expect_error(err, SANDGATE_ERROR_KIND_API, 0, "revoked key");
  CHECK(list == NULL, "list set on error");
  CHECK(!callbacks_on_caller_thread, "a callback ran on the calling thread");

  /* The mock logged the requests, with the user agent. */
  SandgateMockRequestList *reqs = NULL;
  OK(sandgate_mock_requests(mock, &reqs));
  CHECK(reqs && reqs->len > 10 && reqs->items[0].user_agent.ptr &&
            strstr(reqs->items[0].user_agent.ptr, "c-smoke") != NULL,
        "request log");
  sandgate_mock_request_list_free(reqs);

  /* Freeing the client while a call is in flight is safe: the call completes. */
  slow.latency_ms = 300;
  OK(sandgate_mock_set_faults(mock, &slow));
  waiter_init(&w);
  OK(sandgate_client_list_api_keys(alice, on_done, &w, NULL));
  sandgate_client_free(alice);
  waiter_wait(&w);
  CHECK(w.error == NULL && w.result != NULL, "call outlives its client");
  sandgate_api_key_list_free(w.result);
  sandgate_error_free(w.error);
  OK(sandgate_mock_clear_faults(mock));

  sandgate_created_api_key_free(key);
  sandgate_client_free(bykey);
  free(sandbox_id);
}

static void stop_family(void) {
  if (!mock) return;
  OK(sandgate_mock_stop(mock));
  OK(sandgate_mock_stop(mock));
  SandgateClient *c = client_as(NULL, "osk_anything");
  SandgateSandboxList *l = NULL;
  SandgateError *err = NULL;
  /* Stop signals the listeners, which close a moment later: wait for it (up to 5 s). */
  for (int i = 0; i < 250 && err == NULL; i++) {
    err = AWAIT(&l, sandgate_client_list_sandboxes, c);
    if (err == NULL || err->kind != SANDGATE_ERROR_KIND_TRANSPORT) {
      sandgate_error_free(err);
      err = NULL;
      sandgate_sandbox_list_free(l);
      l = NULL;
      nanosleep(&(struct timespec){0, 20 * 1000 * 1000}, NULL);
    }
  }
  CHECK(err != NULL, "a stopped mock still answers");
  expect_error(err, SANDGATE_ERROR_KIND_TRANSPORT, 0, "stopped mock");
  sandgate_client_free(c);
  sandgate_mock_free(mock);
  sandgate_mock_free(NULL);
  mock = NULL;
  free(domain);
  domain = NULL;
}

/* ------------------------------------------------------------------ gateway, rotation, rules */

static int released = 0;
static void count_release(void *user_data) { *(int *)user_data += 1; }
static void no_retry(void *user_data, const SandgateRetryEvent *event) {
  (void)user_data;
  (void)event;
}

static void gateway_family(void) {
  /* The on_retry hook's user data is released exactly once, whether or not a client holds it. */
  SandgateClientOptions ho;
  memset(&ho, 0, sizeof ho);
  ho.ignore_env = 1;
  ho.on_retry = no_retry;
  ho.on_retry_user_data = &released;
  ho.on_retry_release = count_release;
  SandgateClient *hc = NULL;
  OK(sandgate_client_new(&ho, &hc));
  CHECK(released == 0, "released while the client holds the hook");
  sandgate_client_free(hc);
  CHECK(released == 1, "not released when the client was freed: %d", released);
  ho.timeout_ms = 0;
  ho.has_timeout_ms = 1;
  expect_error(sandgate_client_new(&ho, &hc), SANDGATE_ERROR_KIND_INVALID_CONFIG, 0, "timeout 0");
  CHECK(released == 2, "not released when the client could not be built: %d", released);
  ho.has_timeout_ms = 0;
  expect_error(sandgate_client_new(&ho, NULL), SANDGATE_ERROR_KIND_INVALID_ARGUMENT, 0, "out NULL");
  CHECK(released == 3, "not released when out was NULL: %d", released);

  SandgateSigningKeys *a = NULL, *b = NULL;
  OK(sandgate_signing_keys_from_flag(S("a=bXktdGVzdC1zZWNyZXQ="), &a));
  OK(sandgate_signing_keys_from_flag(S("b=b3RoZXItc2VjcmV0LWtleQ=="), &b));
  SandgateGateway *g = NULL;
  SandgateGatewayOptions o = {0};
  o.route_mode = S("header");
  o.keys = a;
  o.has_now = 1;
  o.now = 1900000000ULL;
  OK(sandgate_gateway_new(&o, &g));
  SandgateHeaderIn h[2] = {{S("OpenSandbox-Ingress-To"), S("sbx-001-8080-x2qxvk-0ff8cd39a")},
                           {S("Host"), S("gw.example")}};
  SandgateGatewayVerdict *v = NULL;
  OK(sandgate_gateway_check(g, S("/ping?q=1"), h, 2, &v));
  CHECK(v && v->allowed == 1 && v->status == 200 && v->grant.ptr &&
            strcmp(v->grant.ptr, "signature") == 0 && v->route.port == 8080 &&
            strcmp(v->upstream_target.ptr, "/ping?q=1") == 0 && v->headers_to_strip_len > 0 &&
            v->reason.ptr == NULL,
        "allowed verdict");
  sandgate_gateway_verdict_free(v);
  /* Rotation: with only `b` the `a` link is refused, reason-coded, with the exact answer. */
  OK(sandgate_gateway_replace_keys(g, b));
  OK(sandgate_gateway_check(g, S("/ping"), h, 2, &v));
  CHECK(v && v->allowed == 0 && v->status == 401 && strcmp(v->reason.ptr, "unknown_key") == 0 &&
            strncmp(v->body.ptr, "OpenSandbox Ingress: ", 21) == 0 && v->response_headers_len > 0,
        "refused verdict");
  sandgate_gateway_verdict_free(v);
  expect_error(sandgate_gateway_check(NULL, S("/"), h, 2, &v), SANDGATE_ERROR_KIND_INVALID_ARGUMENT,
               0, "NULL gateway");
  sandgate_gateway_free(g);
  o.route_mode = S("sideways");
  expect_error(sandgate_gateway_new(&o, &g), SANDGATE_ERROR_KIND_INVALID_CONFIG, 0, "bad mode");
  /* A verifier takes new keys. */
  SandgateVerifier *ver = NULL;
  OK(sandgate_verifier_new(b, &ver));
  SandgateVerified r;
  const char *token = "sbx-001-8080-x2qxvk-0ff8cd39a";
  CHECK(verify(ver, SANDGATE_ROUTE_FORM_TOKEN, token, 1, 1900000000ULL, &r) ==
            SANDGATE_DENY_REASON_UNKNOWN_KEY,
        "b refuses an a link");
  OK(sandgate_verifier_replace_keys(ver, a));
  CHECK(verify(ver, SANDGATE_ROUTE_FORM_TOKEN, token, 1, 1900000000ULL, &r) == 0,
        "a verifies after replace_keys");
  sandgate_verifier_free(ver);
  sandgate_signing_keys_free(a);
  sandgate_signing_keys_free(b);
  /* The retry and cache rules. */
  SandgateRetryQuery q = {0};
  q.method = S("GET");
  q.outcome = S("status");
  q.has_status = 1;
  q.status = 503;
  q.attempt = 1;
  SandgateRetryDecision d;
  OK(sandgate_retry_decision(NULL, &q, &d));
  CHECK(d.retry == 1 && strcmp(d.verdict, "retry") == 0 && d.min_delay_ms == 500 &&
            d.retryable == 1,
        "GET 503 retried");
  q.method = S("POST");
  OK(sandgate_retry_decision(NULL, &q, &d));
  CHECK(d.retry == 0 && strcmp(d.verdict, "not_retryable") == 0, "POST 503 not retried");
  SandgateFreshness f;
  OK(sandgate_cache_decision(NULL, 1, 1000, 0, 969000, &f));
  CHECK(f.fresh == 1 && f.until_ms == 970000, "signed entry fresh until expires - margin");
  SandgateCacheOptions co = {0};
  co.has_enabled = 1;
  co.enabled = 0;
  OK(sandgate_cache_decision(&co, 0, 0, 0, 1, &f));
  CHECK(f.fresh == 0, "cache off");
}

int main(void) {
  RUN(errors_family, "c_smoke_errors");
  RUN(layout_family, "c_smoke_layout");
  RUN(vectors_family, "c_smoke_vectors");
  RUN(key_config_family, "c_smoke_key_config");
  RUN(access_family, "c_smoke_access");
  RUN(api_keys_family, "c_smoke_api_keys");
  RUN(gateway_family, "c_smoke_gateway");
  RUN(mock_family, "c_smoke_mock_client");
  RUN(client_family, "c_smoke_client");
  RUN(stop_family, "c_smoke_mock_stop_client");
  return any_failed ? 1 : 0;
}
