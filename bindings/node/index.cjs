'use strict';
// The JS half of the `sandgate` package: loads the native addon and adds only what JS needs
// on top of it: error classes, AbortSignal plumbing, argument type checks that name the
// argument, and secret-safe printing. Every rule, default and message (validation, signing,
// verification, retries, error kinds and their display) lives in the Rust core.
// Type-checked with `tsc --checkJs --strict` against native.d.ts by the package's tests.

const { inspect } = require('node:util');

/** @typedef {import('./native').ErrorData} ErrorData */
/** @typedef {string | import('./native').Secret} Text */
/** @typedef {number | bigint} Seconds */
/** @typedef {{ signal?: AbortSignal | null }} CallOptions */

/** @type {typeof import('./native')} */
const native = require('./native-loader.cjs');

// ---------------------------------------------------------------- errors (mapped here only)

const ERROR_MARKER = '\u0001sandgate-error:';
// napi statuses that mean a JS argument had the wrong type.
const CONVERSION_CODES = new Set([
  'InvalidArg', 'ObjectExpected', 'StringExpected', 'NameExpected', 'FunctionExpected',
  'NumberExpected', 'BooleanExpected', 'ArrayExpected', 'BigintExpected', 'DateExpected',
]);

/** @typedef {Partial<ErrorData> & { cause?: unknown }} ErrorFields */

/** The base of every sandgate error: `message` is the bare message, `toString()` the full line. */
class SandgateError extends Error {
  /** @type {string | undefined} */
  static kind = undefined;
  /** @type {string | undefined} */
  #display;
  /** @param {string} message @param {ErrorFields} [fields] */
  constructor(message, fields = {}) {
    super(message, fields.cause === undefined ? undefined : { cause: fields.cause });
    this.name = new.target.name;
    this.kind = new.target.kind ?? fields.kind ?? 'internal';
    this.code = fields.code ?? null;
    this.status = fields.status ?? null;
    this.requestId = fields.requestId ?? null;
    this.reason = fields.reason ?? null;
    this.#display = fields.display;
  }
  toString() {
    return this.#display ?? super.toString();
  }
}

class InvalidArgument extends SandgateError { static kind = 'invalid_argument'; }
class InvalidConfig extends SandgateError { static kind = 'invalid_config'; }
class AccessDenied extends SandgateError { static kind = 'access_denied'; }
class ApiError extends SandgateError { static kind = 'api'; }
class TimeoutError extends SandgateError { static kind = 'timeout'; }
class TransportError extends SandgateError { static kind = 'transport'; }
class DecodeError extends SandgateError { static kind = 'decode'; }
class CancelledError extends SandgateError { static kind = 'cancelled'; }
class InternalError extends SandgateError { static kind = 'internal'; }

/** @type {Record<string, typeof SandgateError>} */
const ERROR_CLASSES = Object.fromEntries(
  [InvalidArgument, InvalidConfig, AccessDenied, ApiError, TimeoutError, TransportError, DecodeError,
    CancelledError, InternalError].map((c) => [c.kind, c]),
);

/** The error class instance for core's view of an error. @param {ErrorData} view @param {unknown} [cause] */
function fromView(view, cause) {
  const cls = ERROR_CLASSES[view.kind] ?? SandgateError;
  return new cls(view.message, { ...view, cause });
}

/** An error raised by this layer's own checks, shown as core shows it. @param {string} kind @param {string} message @param {unknown} [cause] */
function fail(kind, message, cause) {
  return fromView(native.errorView(kind, message), cause);
}

/** The sandgate error for anything the native addon threw or rejected with. @param {unknown} e @param {unknown} [cause] */
function toError(e, cause) {
  if (e instanceof SandgateError) return e;
  const message = e instanceof Error ? e.message : String(e);
  if (message.startsWith(ERROR_MARKER)) {
    return fromView(JSON.parse(message.slice(ERROR_MARKER.length)), cause);
  }
  const code = e instanceof Error ? /** @type {{ code?: unknown }} */ (e).code : undefined;
  return fail(typeof code === 'string' && CONVERSION_CODES.has(code) ? 'invalid_argument' : 'internal', message, e);
}

/** Runs a native call, mapping what it throws. @template T @param {() => T} fn @returns {T} */
function sync(fn) {
  try {
    return fn();
  } catch (e) {
    throw toError(e);
  }
}

/**
 * Runs a native async call with the `signal` of the call's `options` wired to a cancel token.
 * @template T @param {CallOptions | undefined} options
 * @param {(token: import('./native').CancelToken | undefined) => Promise<T>} fn @returns {Promise<T>}
 */
async function withSignal(options, fn) {
  const signal = checkOptions(options, OPTIONS.call, 'call').signal;
  if (signal !== undefined && signal !== null && !(signal instanceof AbortSignal)) {
    throw fail('invalid_argument', 'options.signal must be an AbortSignal');
  }
  /** @type {import('./native').CancelToken | undefined} */
  let token;
  /** @type {(() => void) | undefined} */
  let onAbort;
  if (signal) {
    const t = new native.CancelToken();
    token = t;
    if (signal.aborted) {
      t.cancel();
    } else {
      onAbort = () => t.cancel();
      signal.addEventListener('abort', onAbort, { once: true });
    }
  }
  try {
    return await fn(token);
  } catch (e) {
    throw toError(e, signal?.aborted ? signal.reason : undefined);
  } finally {
    if (signal && onAbort) signal.removeEventListener('abort', onAbort);
  }
}

/** Checks the JS type of a positional argument, so a wrong type names the argument. */
/** @type {Record<string, [(v: unknown) => boolean, string]>} */
const KINDS = {
  string: [(v) => typeof v === 'string', 'a string'],
  number: [(v) => typeof v === 'number', 'a number'],
  seconds: [(v) => typeof v === 'number' || typeof v === 'bigint', 'a number or bigint of Unix seconds'],
  text: [(v) => typeof v === 'string' || v instanceof native.Secret, 'a string or Secret'],
  object: [(v) => typeof v === 'object' && v !== null, 'an object'],
};
/** @param {unknown} value @param {keyof KINDS} kind @param {string} name @param {boolean} [optional] */
function need(value, kind, name, optional = false) {
  if (optional && (value === undefined || value === null)) return;
  const [ok, what] = KINDS[kind];
  if (!ok(value)) {
    const got = value === null ? 'null' : typeof value;
    throw fail('invalid_argument', `${name} must be ${what}, got ${got}`);
  }
}

/**
 * Rejects option names the API does not know (a typo must not silently fall back).
 * @template {object} T @param {T | undefined | null} options @param {readonly string[]} known
 * @param {string} what @param {'invalid_argument' | 'invalid_config'} [kind] @returns {Partial<T>}
 */
function checkOptions(options, known, what, kind = 'invalid_argument') {
  if (options === undefined || options === null) return {};
  if (typeof options !== 'object') {
    throw fail(kind, `${what} must be an object`);
  }
  for (const k of Object.keys(options)) {
    if (!known.includes(k)) {
      throw fail(kind, `unknown ${what} option ${JSON.stringify(k)} (known: ${known.join(', ')})`);
    }
  }
  return options;
}

// The option lists, each the fields of a napi struct or the parameters of a native method
// in native.d.ts (named in the comment); a test checks that they agree.
const OPTIONS = {
  client: ['domain', 'protocol', 'apiKey', 'timeoutMs', 'headers', 'retries'], // ClientOptions + Client(apiKey)
  retries: ['maxRetries', 'initialBackoffMs', 'maxBackoffMs'], // RetryOptions
  request: ['ingressTo', 'host', 'path', 'secureAccess'], // AccessRequestData
  verifyApiKey: ['expiresAt', 'revoked', 'now'], // VerifyApiKeyOptions
  createSandbox: ['image', 'secureAccess', 'metadata', 'timeoutSeconds'], // CreateSandboxOptions
  createApiKey: ['name', 'expiresAt'], // Client.createApiKey
  expiry: ['expires', 'ttlSeconds'], // Client.getSignedEndpoint, Client.renewSandbox
  mock: ['routeMode', 'trustedHeaders'], // MockOptions
  faults: ['failNext', 'status', 'retryAfter', 'latencyMs', 'dropNext', 'corruptNext'], // FaultOptions
  call: ['signal'], // every client call's last argument (JS only)
};

// ---------------------------------------------------------------- secrets

const { Secret } = native;
Object.defineProperties(Secret.prototype, {
  [inspect.custom]: { value: () => '***' },
  [Symbol.toPrimitive]: { value() { return this.toString(); } },
});

// Endpoint headers are a plain object for sending (fetch, http.request); their redacted
// copy (from core) is what printing shows. Kept in a WeakMap: no extra keys on the object.
/** @type {WeakMap<object, Record<string, string>>} */
const redactedHeaders = new WeakMap();
const HEADERS_PROTO = Object.create(Object.prototype, {
  toJSON: { value() { return { ...redactedHeaders.get(this) }; } },
  [inspect.custom]: {
    /** @type {(this: object, depth: number, opts: object, insp: typeof inspect) => string} */
    value(depth, opts, insp) { return insp({ ...redactedHeaders.get(this) }, opts); },
  },
});

/** @param {Record<string, string>} values @param {Record<string, string>} redacted @returns {Record<string, string>} */
function endpointHeaders(values, redacted) {
  const h = Object.assign(Object.create(HEADERS_PROTO), values);
  redactedHeaders.set(h, redacted);
  return h;
}

// ---------------------------------------------------------------- routes and keys

const INTERNAL = Symbol('sandgate.internal');
/** @type {WeakMap<SigningKeys, import('./native').SigningKeys>} */
const nativeKeys = new WeakMap();

/** A set of route signing keys (SPEC §1.6). Prints key ids, never secrets. */
class SigningKeys {
  /** @param {symbol} token @param {import('./native').SigningKeys} n */
  constructor(token, n) {
    if (token !== INTERNAL) {
      throw fail('invalid_argument', 'use SigningKeys.fromFlag(text) or SigningKeys.fromToml(text)');
    }
    nativeKeys.set(this, n);
  }
  /** @param {Text} text */
  static fromFlag(text) {
    need(text, 'text', 'text');
    return new SigningKeys(INTERNAL, sync(() => native.SigningKeys.fromFlag(text)));
  }
  /** @param {Text} text */
  static fromToml(text) {
    need(text, 'text', 'text');
    return new SigningKeys(INTERNAL, sync(() => native.SigningKeys.fromToml(text)));
  }
  /**
   * The server's pair OPENSANDBOX_SECURE_ACCESS_KEYS + OPENSANDBOX_SECURE_ACCESS_ACTIVE_KEY from
   * `env` (default `process.env`); null when neither is set.
   * @param {Record<string, Text | undefined>} [env]
   */
  static fromEnv(env = process.env) {
    if (env === null || typeof env !== 'object') {
      throw fail('invalid_argument', 'env must be an object of environment variables');
    }
    const keys = env.OPENSANDBOX_SECURE_ACCESS_KEYS ?? null;
    const active = env.OPENSANDBOX_SECURE_ACCESS_ACTIVE_KEY ?? null;
    if (keys !== null) need(keys, 'text', 'OPENSANDBOX_SECURE_ACCESS_KEYS');
    if (active !== null) need(active, 'string', 'OPENSANDBOX_SECURE_ACCESS_ACTIVE_KEY');
    const n = sync(() => native.SigningKeys.fromEnv(keys, /** @type {string | null} */ (active)));
    return n === null ? null : new SigningKeys(INTERNAL, n);
  }
  /** @returns {import('./native').SigningKeys} */
  get #native() {
    return /** @type {import('./native').SigningKeys} */ (nativeKeys.get(this));
  }
  get keyIds() {
    return this.#native.keyIds;
  }
  get activeKeyId() {
    return this.#native.activeKeyId;
  }
  toString() {
    return `SigningKeys(${this.keyIds.join(', ')})`;
  }
  toJSON() {
    return { keyIds: this.keyIds, activeKeyId: this.activeKeyId };
  }
  /** @type {(depth: number, opts: object, insp: typeof inspect) => string} */
  [inspect.custom](depth, opts, insp) {
    return `SigningKeys ${insp(this.toJSON(), opts)}`;
  }
}

/** @param {unknown} keys */
function keysArg(keys) {
  const n = keys instanceof SigningKeys ? nativeKeys.get(keys) : undefined;
  if (!n) throw fail('invalid_argument', 'keys must be a SigningKeys');
  return n;
}

/** A signed route (SPEC §1.2): plain data. */
class SignedRoute {
  /** @param {symbol} token @param {import('./native').SignedRouteData} n */
  constructor(token, n) {
    if (token !== INTERNAL) throw fail('invalid_argument', 'SignedRoute comes from RouteSigner.sign');
    this.token = n.token;
    this.sandboxId = n.sandboxId;
    this.port = n.port;
    this.expires = n.expires;
    this.expiresB36 = n.expiresB36;
    this.signature = n.signature;
    this.keyId = n.keyId;
    this.uriPrefix = n.uriPrefix;
    this.headerValue = n.headerValue;
  }
  /** The wildcard host `{token}.{baseDomain}`. @param {string} baseDomain */
  host(baseDomain) {
    need(baseDomain, 'string', 'baseDomain');
    return sync(() => native.wildcardHost(this.token, baseDomain));
  }
  toString() {
    return this.token;
  }
}

/** Signs routes with one key of a SigningKeys. */
class RouteSigner {
  /** @type {import('./native').RouteSigner} */
  #native;
  /** @param {SigningKeys} keys @param {string | null} [keyId] */
  constructor(keys, keyId) {
    const k = keysArg(keys);
    need(keyId, 'string', 'keyId', true);
    this.#native = sync(() => new native.RouteSigner(k, keyId));
  }
  get keyId() {
    return this.#native.keyId;
  }
  /** @param {string} sandboxId @param {number} port @param {Seconds} expires */
  sign(sandboxId, port, expires) {
    need(sandboxId, 'string', 'sandboxId');
    need(port, 'number', 'port');
    need(expires, 'seconds', 'expires');
    return new SignedRoute(INTERNAL, sync(() => this.#native.sign(sandboxId, port, expires)));
  }
  [inspect.custom]() {
    return `RouteSigner { keyId: '${this.keyId}' }`;
  }
}

/** The access decision of SPEC §1.5: plain data, and `throwIfDenied()`. */
class AccessDecision {
  /** @type {ErrorData | null} */
  #error;
  /** @param {symbol} token @param {import('./native').AccessDecisionData} d */
  constructor(token, d) {
    if (token !== INTERNAL) throw fail('invalid_argument', 'AccessDecision comes from RouteVerifier.decide');
    this.allowed = d.allowed;
    this.reason = d.reason;
    this.status = d.status;
    this.detail = d.detail;
    this.grant = d.grant;
    this.route = d.route;
    this.path = d.path;
    this.query = d.query;
    this.#error = d.error;
  }
  /** This decision when allowed; else throws its denial as core's AccessDenied. */
  throwIfDenied() {
    if (this.#error) throw fromView(this.#error);
    return this;
  }
}

/** Verifies routes and takes the access decision of SPEC §1.5. */
class RouteVerifier {
  /** @type {import('./native').RouteVerifier} */
  #native;
  /** @param {SigningKeys} keys */
  constructor(keys) {
    const k = keysArg(keys);
    this.#native = sync(() => new native.RouteVerifier(k));
  }
  /** @param {'token' | 'host' | 'path'} form @param {string} input @param {Seconds | null | undefined} now */
  #verify(form, input, now) {
    need(input, 'string', form);
    need(now, 'seconds', 'now', true);
    return sync(() => this.#native.verify(form, input, now));
  }
  /** @param {string} token @param {Seconds | null} [now] */
  verify(token, now) {
    return this.#verify('token', token, now);
  }
  /** @param {string} host @param {Seconds | null} [now] */
  verifyHost(host, now) {
    return this.#verify('host', host, now);
  }
  /** @param {string} path @param {Seconds | null} [now] */
  verifyPath(path, now) {
    return this.#verify('path', path, now);
  }
  /** @param {import('./native').AccessRequestData} request @param {Text | null} [accessToken] @param {Seconds | null} [now] */
  decide(request, accessToken, now) {
    need(request, 'object', 'request');
    need(accessToken, 'text', 'accessToken', true);
    need(now, 'seconds', 'now', true);
    checkOptions(request, OPTIONS.request, 'access request');
    return new AccessDecision(INTERNAL, sync(() => this.#native.decide(request, accessToken, now)));
  }
}

/** @param {string} [prefix] */
function generateApiKey(prefix) {
  need(prefix, 'string', 'prefix', true);
  return sync(() => native.generateApiKey(prefix));
}

/** @param {Text} raw */
function hashApiKey(raw) {
  need(raw, 'text', 'raw');
  return sync(() => native.hashApiKey(raw));
}

/** @param {Text} key @param {string} hash @param {import('./native').VerifyApiKeyOptions} [options] */
function verifyApiKey(key, hash, options) {
  need(key, 'text', 'key');
  need(hash, 'string', 'hash');
  checkOptions(options, OPTIONS.verifyApiKey, 'verifyApiKey');
  return sync(() => native.verifyApiKey(key, hash, options));
}

// ---------------------------------------------------------------- client

/** An endpoint of a sandbox port: its URL, the headers to send, and its signed route. */
class Endpoint {
  /** @param {import('./native').EndpointData} data */
  constructor(data) {
    this.endpoint = data.endpoint;
    this.url = data.url;
    this.headers = endpointHeaders(data.headers, data.redactedHeaders);
    this.route = data.route;
  }
  toJSON() {
    return { endpoint: this.endpoint, url: this.url, headers: { ...redactedHeaders.get(this.headers) }, route: this.route };
  }
  toString() {
    return `Endpoint(${this.url})`;
  }
  /** @type {(depth: number, opts: object, insp: typeof inspect) => string} */
  [inspect.custom](depth, opts, insp) {
    return `Endpoint ${insp(this.toJSON(), opts)}`;
  }
}

/** @typedef {import('./native').ClientOptions & { apiKey?: Text }} ClientOptions */

/** A client for the OpenSandbox lifecycle and keys APIs. Every call returns a Promise. */
class Client {
  /** @type {import('./native').Client} */
  #native;
  /** @param {ClientOptions} [options] */
  constructor(options) {
    const { apiKey, ...rest } = checkOptions(options, OPTIONS.client, 'client', 'invalid_config');
    if (typeof rest.retries === 'object') checkOptions(rest.retries, OPTIONS.retries, 'retries', 'invalid_config');
    this.#native = sync(() => new native.Client(rest, apiKey));
  }
  get baseUrl() {
    return this.#native.baseUrl;
  }
  get userAgent() {
    return this.#native.userAgent;
  }
  /** @param {string} sandboxId @param {number} port @param {CallOptions} [options] */
  async getEndpoint(sandboxId, port, options) {
    need(sandboxId, 'string', 'sandboxId');
    need(port, 'number', 'port');
    return new Endpoint(await withSignal(options, (t) => this.#native.getEndpoint(sandboxId, port, t)));
  }
  /** @param {string} sandboxId @param {number} port @param {{ expires?: Seconds, ttlSeconds?: number }} expiry @param {CallOptions} [options] */
  async getSignedEndpoint(sandboxId, port, expiry, options) {
    need(sandboxId, 'string', 'sandboxId');
    need(port, 'number', 'port');
    need(expiry, 'object', 'expiry');
    const { expires, ttlSeconds } = checkOptions(expiry, OPTIONS.expiry, 'expiry');
    return new Endpoint(
      await withSignal(options, (t) => this.#native.getSignedEndpoint(sandboxId, port, expires, ttlSeconds, t)),
    );
  }
  /** @param {{ name?: string, expiresAt?: Seconds }} [request] @param {CallOptions} [options] */
  async createApiKey(request, options) {
    const { name, expiresAt } = checkOptions(request, OPTIONS.createApiKey, 'createApiKey');
    return withSignal(options, (t) => this.#native.createApiKey(name, expiresAt, t));
  }
  /** @param {CallOptions} [options] */
  async listApiKeys(options) {
    return withSignal(options, (t) => this.#native.listApiKeys(t));
  }
  /** @param {string} keyId @param {CallOptions} [options] */
  async revokeApiKey(keyId, options) {
    need(keyId, 'string', 'keyId');
    await withSignal(options, (t) => this.#native.revokeApiKey(keyId, t));
  }
  /** @param {import('./native').CreateSandboxOptions} spec @param {CallOptions} [options] */
  async createSandbox(spec, options) {
    need(spec, 'object', 'request');
    checkOptions(spec, OPTIONS.createSandbox, 'createSandbox');
    return withSignal(options, (t) => this.#native.createSandbox(spec, t));
  }
  /** @param {string} sandboxId @param {CallOptions} [options] */
  async getSandbox(sandboxId, options) {
    need(sandboxId, 'string', 'sandboxId');
    return withSignal(options, (t) => this.#native.getSandbox(sandboxId, t));
  }
  /** @param {CallOptions} [options] */
  async listSandboxes(options) {
    return withSignal(options, (t) => this.#native.listSandboxes(t));
  }
  /** @param {string} sandboxId @param {CallOptions} [options] */
  async deleteSandbox(sandboxId, options) {
    need(sandboxId, 'string', 'sandboxId');
    await withSignal(options, (t) => this.#native.deleteSandbox(sandboxId, t));
  }
  /** @param {string} sandboxId @param {{ expires?: Seconds, ttlSeconds?: number }} expiry @param {CallOptions} [options] */
  async renewSandbox(sandboxId, expiry, options) {
    need(sandboxId, 'string', 'sandboxId');
    need(expiry, 'object', 'expiry');
    const { expires, ttlSeconds } = checkOptions(expiry, OPTIONS.expiry, 'expiry');
    return withSignal(options, (t) => this.#native.renewSandbox(sandboxId, expires, ttlSeconds, t));
  }
  [inspect.custom]() {
    return `Client { baseUrl: '${this.baseUrl}', userAgent: '${this.userAgent}' }`;
  }
}

// ---------------------------------------------------------------- mock server

/** The in-process mock platform (lifecycle API, keys API, verifying gateway) for tests. */
class MockServer {
  /** @type {import('./native').MockServer} */
  #native;
  /** @param {symbol} token @param {import('./native').MockServer} n */
  constructor(token, n) {
    if (token !== INTERNAL) throw fail('invalid_argument', 'use MockServer.start(options)');
    this.#native = n;
  }
  /** @param {import('./native').MockOptions} [options] */
  static start(options) {
    checkOptions(options, OPTIONS.mock, 'MockServer.start', 'invalid_config');
    return new MockServer(INTERNAL, sync(() => native.MockServer.start(options)));
  }
  get apiUrl() { return this.#native.apiUrl; }
  get gatewayUrl() { return this.#native.gatewayUrl; }
  get domain() { return this.#native.domain; }
  get adminKey() { return this.#native.adminKey; }
  get signingKeys() { return this.#native.signingKeys; }
  get routeMode() { return this.#native.routeMode; }
  get baseDomain() { return this.#native.baseDomain; }
  now() { return this.#native.now(); }
  /** @param {Seconds} now */
  setNow(now) {
    need(now, 'seconds', 'now');
    sync(() => this.#native.setNow(now));
  }
  /** @param {number} seconds */
  advance(seconds) {
    need(seconds, 'number', 'seconds');
    sync(() => this.#native.advance(seconds));
  }
  /** @param {import('./native').FaultOptions} faults */
  setFaults(faults) {
    need(faults, 'object', 'faults');
    checkOptions(faults, OPTIONS.faults, 'fault');
    sync(() => this.#native.setFaults(faults));
  }
  clearFaults() { this.#native.clearFaults(); }
  reset() { this.#native.reset(); }
  requests() { return this.#native.requests(); }
  stop() { this.#native.stop(); }
  /** @type {(depth: number, opts: object, insp: typeof inspect) => string} */
  [inspect.custom](depth, opts, insp) {
    const view = { apiUrl: this.apiUrl, gatewayUrl: this.gatewayUrl, routeMode: this.routeMode, adminKey: this.adminKey };
    return `MockServer ${insp(view, opts)}`;
  }
}

module.exports = {
  AccessDecision,
  Client,
  Endpoint,
  MockServer,
  RouteSigner,
  RouteVerifier,
  Secret,
  SignedRoute,
  SigningKeys,
  generateApiKey,
  hashApiKey,
  verifyApiKey,
  SandgateError,
  ApiError,
  AccessDenied,
  TransportError,
  TimeoutError,
  InvalidArgument,
  InvalidConfig,
  DecodeError,
  CancelledError,
  InternalError,
};
