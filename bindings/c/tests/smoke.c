/*
 * Smoke test of the sandgate C ABI: every function family, run under valgrind by test.sh.
 * Prints one line per family, "ok <family>" or "FAIL <family>: <what>", and exits non-zero
 * when any family failed.
 */
#define _POSIX_C_SOURCE 200809L
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

static int view_eq(SandgateStr s, const char *want) {
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

/* ------------------------------------------------------------------ errors and strings */

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
  expect_error(sandgate_verifier_verify(NULL, S("x"), 0, 0, NULL),
               SANDGATE_ERROR_KIND_INVALID_ARGUMENT, 0, "NULL verifier");

  /* A bad secret: invalid_config, and the message never contains the secret. */
  err = sandgate_signing_keys_from_flag(S("a=not*base64*secret"), &keys);
  CHECK(err && strstr(err->display.ptr, "not*base64*secret") == NULL, "secret in message");
  expect_error(err, SANDGATE_ERROR_KIND_INVALID_CONFIG, 0, "bad secret");

  /* Every kind and reason has a code; out of range is NULL. */
  for (int32_t k = SANDGATE_ERROR_KIND_INVALID_ARGUMENT; k <= SANDGATE_ERROR_KIND_INTERNAL; k++) {
    CHECK(sandgate_error_kind_code(k) != NULL, "kind %d has no code", k);
  }
  CHECK(strcmp(sandgate_error_kind_code(SANDGATE_ERROR_KIND_CANCELLED), "cancelled") == 0,
        "cancelled code");
  CHECK(sandgate_error_kind_code(0) == NULL && sandgate_error_kind_code(99) == NULL,
        "kind out of range");
  CHECK(strcmp(sandgate_deny_reason_code(SANDGATE_DENY_REASON_UNKNOWN_SANDBOX),
               "unknown_sandbox") == 0,
        "reason code");
  CHECK(sandgate_deny_reason_code(SANDGATE_DENY_REASON_NONE) == NULL, "reason 0");
  CHECK(strlen(sandgate_version()) > 0, "version");

  /* Freeing NULL is harmless, and a string freed twice is freed once. */
  sandgate_error_free(NULL);
  sandgate_string_free(NULL);
  sandgate_signing_keys_free(NULL);
  SandgateString s = {0};
  OK(sandgate_hash_api_key(S("x"), &s));
  sandgate_string_free(&s);
  CHECK(s.ptr == NULL && s.len == 0, "string not reset");
  sandgate_string_free(&s);
}

/* ------------------------------------------------------------------ vectors: sign */

static void vectors_family(void) {
  SandgateSigningKeys *keys = NULL;
  SandgateSigner *signer = NULL;
  SandgateSignedRoute *route = NULL;
  OK(sandgate_signing_keys_from_flag(S("a=bXktdGVzdC1zZWNyZXQ="), &keys));
  OK(sandgate_signer_new(keys, S("a"), &signer));
  sandgate_signing_keys_free(keys); /* the signer keeps its own copy */
  uint32_t kid = 0;
  OK(sandgate_signer_key_id(signer, &kid));
  CHECK(kid == 'a', "signer key id %u", kid);
  OK(sandgate_signer_sign(signer, S("sbx-001"), 8080, 2000000000ULL, &route));
  SandgateSignedRouteParts p;
  OK(sandgate_signed_route_parts(route, &p));
  CHECK(view_eq(p.token, "sbx-001-8080-x2qxvk-0ff8cd39a"), "token %s", (const char *)p.token.ptr);
  CHECK(strcmp((const char *)p.token.ptr, "sbx-001-8080-x2qxvk-0ff8cd39a") == 0, "token NUL");
  CHECK(view_eq(p.sandbox_id, "sbx-001"), "sandbox id");
  CHECK(view_eq(p.expires_b36, "x2qxvk"), "b36");
  CHECK(view_eq(p.signature, "0ff8cd39a"), "signature");
  CHECK(view_eq(p.uri_prefix, "/sbx-001/8080/x2qxvk/0ff8cd39a"), "uri prefix");
  CHECK(p.port == 8080 && p.expires == 2000000000ULL && p.key_id == 'a', "numbers");
  SandgateString host = {0};
  OK(sandgate_signed_route_host(route, S(".localhost"), &host));
  CHECK(eq(host, "sbx-001-8080-x2qxvk-0ff8cd39a.localhost"), "host %s", host.ptr);
  sandgate_string_free(&host);
  OK(sandgate_wildcard_host(S("sbx-001-8080-x2qxvk-0ff8cd39a"), S("example.com"), &host));
  CHECK(eq(host, "sbx-001-8080-x2qxvk-0ff8cd39a.example.com"), "wildcard host %s", host.ptr);
  sandgate_string_free(&host);
  /* A base domain that is not a DNS name is refused, on both paths. */
  expect_error(sandgate_wildcard_host(S("sbx-001-8080-x2qxvk-0ff8cd39a"), S("evil.com/x"), &host),
               SANDGATE_ERROR_KIND_INVALID_ARGUMENT, 0, "wildcard host with '/'");
  expect_error(sandgate_signed_route_host(route, S("a.com\r\nX: 1"), &host),
               SANDGATE_ERROR_KIND_INVALID_ARGUMENT, 0, "wildcard host with CR/LF");
  CHECK(host.ptr == NULL, "host set on error");
  sandgate_signed_route_free(route);

  /* Bad inputs: port out of range, empty sandbox id, unknown key. */
  route = NULL;
  expect_error(sandgate_signer_sign(signer, S("sbx"), 65536, 1, &route),
               SANDGATE_ERROR_KIND_INVALID_ARGUMENT, 0, "port 65536");
  expect_error(sandgate_signer_sign(signer, S(""), 80, 1, &route),
               SANDGATE_ERROR_KIND_INVALID_ARGUMENT, 0, "empty id");
  CHECK(route == NULL, "route set on error");
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
  uint32_t active = 0;
  OK(sandgate_signing_keys_active_key_id(keys, &active));
  CHECK(active == 'b', "active key %u", active);
  SandgateSigner *signer = NULL;
  OK(sandgate_signer_new(keys, NONE, &signer)); /* the active key */
  uint32_t kid = 0;
  OK(sandgate_signer_key_id(signer, &kid));
  CHECK(kid == 'b', "signer uses the active key");
  sandgate_signer_free(signer);
  sandgate_signing_keys_free(keys);

  keys = NULL;
  OK(sandgate_signing_keys_from_flag(S("a=bXktdGVzdC1zZWNyZXQ="), &keys));
  OK(sandgate_signing_keys_active_key_id(keys, &active));
  CHECK(active == 0, "flag string has no active key");
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
  CHECK(keys != NULL && active == 'b', "env pair active key %u", active);
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

static void access_family(void) {
  SandgateSigningKeys *keys = NULL;
  SandgateVerifier *verifier = NULL;
  OK(sandgate_signing_keys_from_flag(S("a=bXktdGVzdC1zZWNyZXQ="), &keys));
  OK(sandgate_verifier_new(keys, &verifier));
  sandgate_signing_keys_free(keys);
  const char *token = "sbx-001-8080-x2qxvk-0ff8cd39a";
  SandgateVerifiedRoute r;
  OK(sandgate_verifier_verify(verifier, S(token), 1, 1900000000ULL, &r));
  CHECK(r.sandbox_id_offset == 0 && r.sandbox_id_len == 7 && r.port == 8080 &&
            r.expires == 2000000000ULL && r.key_id == 'a',
        "verified route");
  expect_error(sandgate_verifier_verify(verifier, S(token), 1, 2000000001ULL, &r),
               SANDGATE_ERROR_KIND_ACCESS_DENIED, SANDGATE_DENY_REASON_EXPIRED, "expired");
  SandgateError *err =
      sandgate_verifier_verify(verifier, S("sbx-001-8080-x2qxvk-0ff8cd391a"), 1, 0, &r);
  CHECK(err && err->status == 400, "malformed status");
  expect_error(err, SANDGATE_ERROR_KIND_ACCESS_DENIED, SANDGATE_DENY_REASON_MALFORMED, "malformed");
  err = sandgate_verifier_verify(verifier, S("sbx-001-8080-x2qxvk-0ff8cd31a"), 1, 0, &r);
  CHECK(err && err->status == 401, "bad signature status");
  expect_error(err, SANDGATE_ERROR_KIND_ACCESS_DENIED, SANDGATE_DENY_REASON_BAD_SIGNATURE,
               "tampered");
  /* The system clock: 2000000000 is still in the future until 2033. */
  OK(sandgate_verifier_verify(verifier, S(token), 0, 0, &r));

  /* Decisions: header mismatch, header match, uri mode with query, no credential. */
  SandgateDecision *d = NULL;
  OK(sandgate_verifier_decide(verifier, S(token), NONE, NONE, S(""), S("tok"), 1, 0, &d));
  CHECK(d && !d->allowed && d->status == 401 && d->reason == SANDGATE_DENY_REASON_HEADER_MISMATCH &&
            strcmp(d->reason_code, "header_mismatch") == 0 && d->grant == NULL &&
            d->route.sandbox_id.ptr == NULL && d->detail.ptr != NULL && d->error != NULL &&
            d->error->kind == SANDGATE_ERROR_KIND_ACCESS_DENIED && d->error->status == 401 &&
            d->error->reason == SANDGATE_DENY_REASON_HEADER_MISMATCH,
        "empty secure header must not fall back to the signature");
  sandgate_decision_free(d);
  d = NULL;
  OK(sandgate_verifier_decide(verifier, NONE, S("sbx9-80.localhost"), S("/x?y=1"), S(" tok "),
                              S("tok"), 0, 0, &d));
  CHECK(d && d->allowed && d->status == 200 && strcmp(d->grant, "header") == 0 &&
            eq(d->route.sandbox_id, "sbx9") && d->route.port == 80 && !d->route.is_signed &&
            eq(d->path, "/x") && eq(d->query, "y=1") && d->reason == 0 && d->reason_code == NULL &&
            d->error == NULL,
        "header grant");
  sandgate_decision_free(d);
  d = NULL;
  OK(sandgate_verifier_decide(verifier, NONE, NONE, S("/sbx-001/8080/x2qxvk/0ff8cd39a/ping?q"),
                              NONE, S("tok"), 1, 1900000000ULL, &d));
  CHECK(d && d->allowed && strcmp(d->grant, "signature") == 0 && d->route.is_signed &&
            d->route.key_id == 'a' && eq(d->path, "/ping") && eq(d->query, "q"),
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
  sandgate_verifier_free(verifier);

  /* A verifier without keys answers not_configured (503). */
  OK(sandgate_signing_keys_from_flag(S(""), &keys));
  OK(sandgate_verifier_new(keys, &verifier));
  sandgate_signing_keys_free(keys);
  err = sandgate_verifier_verify(verifier, S(token), 1, 0, &r);
  CHECK(err && err->status == 503, "not configured status");
  expect_error(err, SANDGATE_ERROR_KIND_ACCESS_DENIED, SANDGATE_DENY_REASON_NOT_CONFIGURED,
               "not configured");
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
  expect_error(sandgate_mock_start(S("sideways"), 0, &m), SANDGATE_ERROR_KIND_INVALID_CONFIG, 0,
               "bad route mode");
  expect_error(sandgate_mock_start(NONE, 2, &m), SANDGATE_ERROR_KIND_INVALID_ARGUMENT, 0,
               "trusted_headers 2");
  OK(sandgate_mock_start(S("header"), 1, &mock));
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
  int blocking_kind; /* kind of the error a blocking call made from the callback got */
  SandgateClient *client;
};

static void on_done(void *user_data, SandgateError *error, void *result) {
  struct waiter *w = user_data;
  if (w->client) {
    /* A blocking call from a callback thread is refused, not deadlocked. */
    SandgateSandboxList *l = NULL;
    SandgateError *e = sandgate_client_list_sandboxes(w->client, &l);
    w->blocking_kind = e ? e->kind : 0;
    sandgate_error_free(e);
    sandgate_sandbox_list_free(l);
  }
  pthread_mutex_lock(&w->mu);
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
}

static void waiter_wait(struct waiter *w) {
  pthread_mutex_lock(&w->mu);
  while (!w->done) pthread_cond_wait(&w->cv, &w->mu);
  pthread_mutex_unlock(&w->mu);
  pthread_mutex_destroy(&w->mu);
  pthread_cond_destroy(&w->cv);
}

static SandgateClient *client_as(const char *user, const char *api_key) {
  SandgateClientOptions *o = sandgate_client_options_new();
  OK(sandgate_client_options_domain(o, S(domain)));
  OK(sandgate_client_options_ignore_env(o, 1));
  OK(sandgate_client_options_retries(o, 0));
  OK(sandgate_client_options_timeout_ms(o, 10000));
  OK(sandgate_client_options_language(o, S("c-smoke")));
  if (user) {
    OK(sandgate_client_options_header(o, S("X-OpenSandbox-User"), S(user)));
    OK(sandgate_client_options_header(o, S("X-OpenSandbox-Roles"), S("operator")));
  }
  if (api_key) OK(sandgate_client_options_api_key(o, S(api_key)));
  SandgateClient *c = NULL;
  OK(sandgate_client_new(o, &c));
  sandgate_client_options_free(o);
  return c;
}

static void client_family(void) {
  if (!mock || !domain) {
    CHECK(0, "no mock server");
    return;
  }
  /* Options are validated when the client is built. */
  SandgateClientOptions *o = sandgate_client_options_new();
  OK(sandgate_client_options_protocol(o, S("ftp")));
  SandgateClient *c = NULL;
  expect_error(sandgate_client_new(o, &c), SANDGATE_ERROR_KIND_INVALID_CONFIG, 0, "ftp");
  expect_error(sandgate_client_options_retries(o, 7), SANDGATE_ERROR_KIND_INVALID_ARGUMENT, 0,
               "retries 7");
  sandgate_client_options_free(o);
  /* A rejected value leaves the options as they were. */
  o = sandgate_client_options_new();
  OK(sandgate_client_options_domain(o, S(domain)));
  SandgateStr bad_utf8 = {(const uint8_t *)"\xff", 1};
  expect_error(sandgate_client_options_protocol(o, bad_utf8), SANDGATE_ERROR_KIND_INVALID_ARGUMENT,
               0, "options UTF-8");
  c = NULL;
  OK(sandgate_client_new(o, &c));
  SandgateString kept = {0};
  OK(sandgate_client_base_url(c, &kept));
  CHECK(kept.ptr && strstr(kept.ptr, domain) != NULL, "options lost after a rejected value");
  sandgate_string_free(&kept);
  sandgate_client_free(c);
  sandgate_client_options_free(o);
  expect_error(sandgate_client_options_domain(NULL, S("x")), SANDGATE_ERROR_KIND_INVALID_ARGUMENT,
               0, "NULL options");
  OK(sandgate_client_from_env(&c));
  sandgate_client_free(c);

  /* A user mints a key; the key alone then creates a secure sandbox. */
  SandgateClient *alice = client_as("alice", NULL);
  SandgateString base = {0};
  OK(sandgate_client_base_url(alice, &base));
  CHECK(base.ptr && strstr(base.ptr, domain) != NULL, "base url");
  sandgate_string_free(&base);
  SandgateCreatedApiKey *key = NULL;
  OK(sandgate_client_create_api_key(alice, S("smoke"), 0, 0, &key));
  if (!key) return;
  CHECK(eq(key->name, "smoke") && key->prefix.len == 12 &&
            strncmp(key->prefix.ptr, key->key.ptr, 12) == 0 && key->expires_at.ptr == NULL,
        "created key");
  SandgateClient *bykey = client_as(NULL, key->key.ptr);
  SandgateStrPair meta[1] = {{S("team"), S("blue")}};
  SandgateSandbox *sb = NULL;
  OK(sandgate_client_create_sandbox(bykey, S("python:3.11"), 1, meta, 1, 1, 600, &sb));
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
  OK(sandgate_client_get_signed_endpoint_for(bykey, S(sandbox_id), 8080, 300, &ep));
  CHECK(ep && ep->route.sandbox_id.ptr && strcmp(ep->route.sandbox_id.ptr, sandbox_id) == 0 &&
            ep->route.port == 8080 && ep->route.is_signed && ep->route.key_id == 'a' &&
            ep->headers_len == 1 && eq(ep->headers[0].name, "OpenSandbox-Ingress-To"),
        "signed endpoint");
  sandgate_endpoint_free(ep);
  ep = NULL;
  OK(sandgate_client_get_signed_endpoint(bykey, S(sandbox_id), 8080, (uint64_t)time(NULL) + 60, &ep));
  CHECK(ep && ep->route.is_signed, "signed endpoint (expires)");
  sandgate_endpoint_free(ep);
  ep = NULL;
  OK(sandgate_client_get_endpoint(bykey, S(sandbox_id), 8080, &ep));
  int secret_redacted = 0;
  for (size_t i = 0; ep && i < ep->headers_len; i++) {
    if (eq(ep->headers[i].name, "OpenSandbox-Secure-Access")) {
      secret_redacted = eq(ep->headers[i].redacted_value, "***") && ep->headers[i].value.len > 10;
    }
  }
  CHECK(ep && ep->route.sandbox_id.ptr == NULL && secret_redacted, "unsigned endpoint");
  sandgate_endpoint_free(ep);
  ep = NULL;
  expect_error(sandgate_client_get_endpoint(bykey, S(sandbox_id), 0, &ep),
               SANDGATE_ERROR_KIND_INVALID_ARGUMENT, 0, "port 0");
  expect_error(sandgate_client_get_signed_endpoint(bykey, S(sandbox_id), 80, 1000, &ep),
               SANDGATE_ERROR_KIND_INVALID_ARGUMENT, 0, "past expiry");

  SandgateSandbox *got = NULL;
  OK(sandgate_client_get_sandbox(bykey, S(sandbox_id), &got));
  CHECK(got && strcmp(got->id.ptr, sandbox_id) == 0, "get sandbox");
  sandgate_sandbox_free(got);
  SandgateSandboxList *list = NULL;
  OK(sandgate_client_list_sandboxes(bykey, &list));
  CHECK(list && list->len == 1, "list sandboxes");
  sandgate_sandbox_list_free(list);

  /* An API error carries status, server code and request id. */
  got = NULL;
  SandgateError *err = sandgate_client_get_sandbox(bykey, S("does-not-exist"), &got);
  CHECK(err && err->status == 404 && eq(err->code, "SANDBOX::NOT_FOUND") &&
            err->request_id.len > 0 && strstr(err->display.ptr, "404") != NULL,
        "API error fields");
  expect_error(err, SANDGATE_ERROR_KIND_API, 0, "not found");

  /* Async: the callback delivers the result; a blocking call inside it is refused. */
  struct waiter w;
  waiter_init(&w);
  w.client = bykey;
  SandgateCancel *cancel = NULL;
  OK(sandgate_client_list_api_keys_async(alice, on_done, &w, &cancel));
  waiter_wait(&w);
  SandgateApiKeyList *keys = w.result;
  CHECK(w.done == 1 && w.error == NULL && keys && keys->len == 1 && eq(keys->items[0].name, "smoke") &&
            !keys->items[0].revoked,
        "async list keys");
  CHECK(w.blocking_kind == SANDGATE_ERROR_KIND_INVALID_ARGUMENT, "blocking call in callback");
  sandgate_api_key_list_free(keys);
  sandgate_error_free(w.error);
  sandgate_cancel(cancel); /* after completion: nothing happens */
  sandgate_cancel_free(cancel);

  /* Async error, with no cancel handle requested. */
  waiter_init(&w);
  OK(sandgate_client_get_sandbox_async(bykey, S("does-not-exist"), on_done, &w, NULL));
  waiter_wait(&w);
  CHECK(w.result == NULL && w.error && w.error->status == 404, "async error");
  expect_error(w.error, SANDGATE_ERROR_KIND_API, 0, "async not found");
  expect_error(sandgate_client_get_sandbox_async(bykey, S("x"), NULL, &w, NULL),
               SANDGATE_ERROR_KIND_INVALID_ARGUMENT, 0, "NULL callback");

  /* Cancel a call in flight: 5 s of injected latency, cancelled at once. */
  SandgateFaults slow = {0};
  slow.latency_ms = 5000;
  OK(sandgate_mock_set_faults(mock, &slow));
  waiter_init(&w);
  cancel = NULL;
  OK(sandgate_client_list_sandboxes_async(bykey, on_done, &w, &cancel));
  sandgate_cancel(cancel);
  sandgate_cancel(cancel);
  waiter_wait(&w);
  CHECK(w.result == NULL && w.error != NULL, "cancelled call completed");
  expect_error(w.error, SANDGATE_ERROR_KIND_CANCELLED, 0, "cancelled");
  sandgate_cancel_free(cancel);
  OK(sandgate_mock_clear_faults(mock));

  /* The remaining async operations, then revoke and delete. */
  waiter_init(&w);
  OK(sandgate_client_get_endpoint_async(bykey, S(sandbox_id), 80, on_done, &w, NULL));
  waiter_wait(&w);
  CHECK(w.error == NULL && w.result != NULL, "async endpoint");
  sandgate_endpoint_free(w.result);
  sandgate_error_free(w.error);
  waiter_init(&w);
  OK(sandgate_client_get_signed_endpoint_async(bykey, S(sandbox_id), 80, (uint64_t)time(NULL) + 60,
                                               on_done, &w, NULL));
  waiter_wait(&w);
  CHECK(w.error == NULL && w.result != NULL, "async signed endpoint");
  sandgate_endpoint_free(w.result);
  sandgate_error_free(w.error);
  waiter_init(&w);
  OK(sandgate_client_get_signed_endpoint_for_async(bykey, S(sandbox_id), 80, 60, on_done, &w, NULL));
  waiter_wait(&w);
  CHECK(w.error == NULL && w.result != NULL, "async signed endpoint for");
  sandgate_endpoint_free(w.result);
  sandgate_error_free(w.error);
  waiter_init(&w);
  OK(sandgate_client_create_sandbox_async(bykey, S("busybox"), 0, NULL, 0, 0, 0, on_done, &w, NULL));
  waiter_wait(&w);
  SandgateSandbox *second = w.result;
  CHECK(w.error == NULL && second && second->secure_access == 0, "async create sandbox");
  waiter_init(&w);
  OK(sandgate_client_delete_sandbox_async(bykey, view_of(second->id), on_done, &w,
                                          NULL));
  waiter_wait(&w);
  CHECK(w.error == NULL && w.result == NULL, "async delete");
  sandgate_error_free(w.error);
  sandgate_sandbox_free(second);
  waiter_init(&w);
  OK(sandgate_client_list_sandboxes_async(bykey, on_done, &w, NULL));
  waiter_wait(&w);
  CHECK(w.error == NULL && w.result && ((SandgateSandboxList *)w.result)->len == 1, "async list");
  sandgate_sandbox_list_free(w.result);
  sandgate_error_free(w.error);
  waiter_init(&w);
  OK(sandgate_client_get_sandbox_async(bykey, S(sandbox_id), on_done, &w, NULL));
  waiter_wait(&w);
  CHECK(w.error == NULL && w.result, "async get sandbox");
  sandgate_sandbox_free(w.result);
  sandgate_error_free(w.error);
  waiter_init(&w);
  OK(sandgate_client_create_api_key_async(alice, NONE, 1, (uint64_t)time(NULL) + 3600, on_done, &w,
                                          NULL));
  waiter_wait(&w);
  SandgateCreatedApiKey *second_key = w.result;
  CHECK(w.error == NULL && second_key && eq(second_key->name, "API Key") &&
            second_key->expires_at.ptr != NULL,
        "async create key");
  waiter_init(&w);
  OK(sandgate_client_revoke_api_key_async(alice, view_of(second_key->id), on_done, &w,
                                          NULL));
  waiter_wait(&w);
  CHECK(w.error == NULL && w.result == NULL, "async revoke");
  sandgate_error_free(w.error);
  sandgate_created_api_key_free(second_key);

  OK(sandgate_client_delete_sandbox(bykey, S(sandbox_id)));
  OK(sandgate_client_revoke_api_key(alice, view_of(key->id)));
  list = NULL;
  err = sandgate_client_list_sandboxes(bykey, &list);
  CHECK(err && err->status == 401 && eq(err->code, "INVALID_API_KEY"), "revoked key rejected");
  expect_error(err, SANDGATE_ERROR_KIND_API, 0, "revoked key");
  CHECK(list == NULL, "list set on error");

  /* The mock logged the requests, with the user agent. */
  SandgateMockRequestList *reqs = NULL;
  OK(sandgate_mock_requests(mock, &reqs));
  CHECK(reqs && reqs->len > 10 && reqs->items[0].user_agent.ptr &&
            strstr(reqs->items[0].user_agent.ptr, "c-smoke") != NULL,
        "request log");
  sandgate_mock_request_list_free(reqs);

  /* Freeing the client while a call is in flight is safe: the call completes. */
  OK(sandgate_mock_set_faults(mock, &slow));
  slow.latency_ms = 300;
  OK(sandgate_mock_set_faults(mock, &slow));
  waiter_init(&w);
  OK(sandgate_client_list_api_keys_async(alice, on_done, &w, NULL));
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
    err = sandgate_client_list_sandboxes(c, &l);
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

int main(void) {
  RUN(errors_family, "c_smoke_errors");
  RUN(vectors_family, "c_smoke_vectors");
  RUN(key_config_family, "c_smoke_key_config");
  RUN(access_family, "c_smoke_access");
  RUN(api_keys_family, "c_smoke_api_keys");
  RUN(mock_family, "c_smoke_mock_client");
  RUN(client_family, "c_smoke_client");
  RUN(stop_family, "c_smoke_mock_stop_client");
  return any_failed ? 1 : 0;
}
