'use strict';
// The JS half of the `sandgate` package: loads the native addon and adds only what JS needs
// on top of it: error classes, AbortSignal plumbing, argument type checks that name the
// argument, and secret-safe printing. Every rule, default and message (validation, signing,
// verification, retries, error kinds and their display) lives in the Rust core.
// Type-checked with `tsc --checkJs --strict` against native.d.ts by the package's tests.

const fs = require('node:fs');
const path = require('node:path');
const { inspect } = require('node:util');

/** @typedef {import('./native').ErrorData} ErrorData */
/** @typedef {string | import('./native').Secret} Text */
/** @typedef {number | bigint} Seconds */
/** @typedef {{ signal?: AbortSignal | null }} CallOptions */

/** @returns {typeof import('./native')} */
function loadNative() {
  const want = `${process.platform}-${process.arch}`;
  const files = fs.readdirSync(__dirname).filter((f) => f.startsWith(`sandgate.${want}`) && f.endsWith('.node'));
  if (files.length === 0) {
    throw new Error(
      `sandgate: no native addon for ${want} in ${__dirname} ` +
        '(the package was built for another platform; rebuild it with `npm run build`)',
    );
  }
  return require(path.join(__dirname, files.sort()[0]));
}

const native = loadNative();

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
    this.retryable = fields.retryable ?? false;
    this.retryAfterMs = fields.retryAfterMs ?? null;
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
  function: [(v) => typeof v === 'function', 'a function'],
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
  client: ['domain', 'protocol', 'apiKey', 'timeoutMs', 'headers', 'retries', 'cache', 'onRetry'], // ClientOptions + Client(apiKey, onRetry)
  retries: ['maxRetries', 'initialBackoffMs', 'maxBackoffMs', 'multiplier', 'retryStatuses', 'postRetryStatuses',
    'attemptTimeoutMs', 'deadlineMs'], // RetryOptions
  cache: ['enabled', 'maxEntries', 'ttlMs', 'marginMs'], // CacheOptions
  endpointMode: ['serverProxy', 'expires', 'ttlSeconds'], // EndpointModeOptions
  retryAttempt: ['method', 'outcome', 'status', 'attempt', 'prevDelayMs', 'retryAfter', 'now', 'elapsedMs'], // RetryAttemptData
  cacheEntry: ['signedExpires', 'fetchedAtMs', 'nowMs'], // cacheDecision
  gateway: ['routeMode', 'keys', 'policy', 'policyFile', 'now'], // GatewayOptionsData + Gateway(keys)
  request: ['ingressTo', 'host', 'path', 'secureAccess'], // AccessRequestData
  verifyApiKey: ['expiresAt', 'revoked', 'now'], // VerifyApiKeyOptions
  createSandbox: ['image', 'secureAccess', 'metadata', 'timeoutSeconds'], // CreateSandboxOptions
  createApiKey: ['name', 'expiresAt'], // Client.createApiKey
  expiry: ['expires', 'ttlSeconds'], // Client.getSignedEndpoint, Client.renewSandbox
  mock: ['routeMode', 'trustedHeaders', 'endpointOrigin'], // MockOptions
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
  /** The same keys with `keyId` as the active key. @param {string} keyId */
  withActive(keyId) {
    need(keyId, 'string', 'keyId');
    return new SigningKeys(INTERNAL, sync(() => this.#native.withActive(keyId)));
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
  /** Replaces the keys this verifier accepts, atomically. @param {SigningKeys} keys */
  replaceKeys(keys) {
    const k = keysArg(keys);
    sync(() => this.#native.replaceKeys(k));
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
    this.origin = data.origin;
    this.kind = data.kind;
  }
  /**
   * A URL carrying everything a request to `path` needs (wildcard and uri modes); throws
   * InvalidArgument saying which header a URL cannot carry otherwise.
   * @param {string} [path]
   */
  shareableUrl(path = '') {
    need(path, 'string', 'path');
    return sync(() => native.endpointShareableUrl(this.url, this.kind, { ...this.headers }, path));
  }
  toJSON() {
    return {
      endpoint: this.endpoint, url: this.url, headers: { ...redactedHeaders.get(this.headers) }, route: this.route,
      origin: this.origin, kind: this.kind,
    };
  }
  toString() {
    return `Endpoint(${this.url})`;
  }
  /** @type {(depth: number, opts: object, insp: typeof inspect) => string} */
  [inspect.custom](depth, opts, insp) {
    return `Endpoint ${insp(this.toJSON(), opts)}`;
  }
}

/**
 * @typedef {{ attempt: number, delayMs: number, cause: SandgateError }} RetryEvent
 * @typedef {import('./native').ClientOptions & { apiKey?: Text, onRetry?: (event: RetryEvent) => void }} ClientOptions
 */

/** The native hook for a user's onRetry: the event with its cause as an error class; a
 * throwing hook becomes a process warning (it must not break the call it watches).
 * @param {(event: RetryEvent) => void} hook @returns {(event: import('./native').RetryEventData) => void} */
function retryHook(hook) {
  return (event) => {
    try {
      hook({ attempt: event.attempt, delayMs: event.delayMs, cause: fromView(event.cause) });
    } catch (e) {
      process.emitWarning(`the onRetry hook threw: ${e instanceof Error ? e.message : String(e)}`, 'SandgateWarning');
    }
  };
}

/**
 * The native endpoint mode for `'direct'`, `'server_proxy'` or an object of EndpointModeOptions.
 * @param {unknown} mode @returns {import('./native').EndpointModeOptions}
 */
function endpointMode(mode) {
  if (mode === 'direct') return {};
  if (mode === 'server_proxy') return { serverProxy: true };
  if (typeof mode !== 'object' || mode === null) {
    throw fail('invalid_argument',
      "mode must be 'direct', 'server_proxy', { expires } or { ttlSeconds } (signed)");
  }
  return checkOptions(/** @type {import('./native').EndpointModeOptions} */ (mode), OPTIONS.endpointMode, 'endpoint mode');
}

/** A client for the OpenSandbox lifecycle and keys APIs. Every call returns a Promise. */
class Client {
  /** @type {import('./native').Client} */
  #native;
  /** @param {ClientOptions} [options] */
  constructor(options) {
    const { apiKey, onRetry, ...rest } = checkOptions(options, OPTIONS.client, 'client', 'invalid_config');
    if (typeof rest.retries === 'object') checkOptions(rest.retries, OPTIONS.retries, 'retries', 'invalid_config');
    if (typeof rest.cache === 'object') checkOptions(rest.cache, OPTIONS.cache, 'cache', 'invalid_config');
    if (onRetry !== undefined && onRetry !== null && typeof onRetry !== 'function') {
      throw fail('invalid_config', 'onRetry must be a function');
    }
    this.#native = sync(() => new native.Client(rest, apiKey, onRetry ? retryHook(onRetry) : undefined));
  }
  get baseUrl() {
    return this.#native.baseUrl;
  }
  get userAgent() {
    return this.#native.userAgent;
  }
  /**
   * The endpoint of `port` in one mode: `'direct'`, `'server_proxy'`, or signed with
   * `{ expires }` or `{ ttlSeconds }`.
   * @param {string} sandboxId @param {number} port
   * @param {'direct' | 'server_proxy' | import('./native').EndpointModeOptions} mode @param {CallOptions} [options]
   */
  async endpoint(sandboxId, port, mode, options) {
    need(sandboxId, 'string', 'sandboxId');
    need(port, 'number', 'port');
    const m = endpointMode(mode);
    return new Endpoint(await withSignal(options, (t) => this.#native.endpoint(sandboxId, port, m, t)));
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
  async pauseSandbox(sandboxId, options) {
    need(sandboxId, 'string', 'sandboxId');
    await withSignal(options, (t) => this.#native.pauseSandbox(sandboxId, t));
  }
  /** @param {string} sandboxId @param {CallOptions} [options] */
  async resumeSandbox(sandboxId, options) {
    need(sandboxId, 'string', 'sandboxId');
    await withSignal(options, (t) => this.#native.resumeSandbox(sandboxId, t));
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

// ---------------------------------------------------------------- the client's rules as data

/** `obj` without its null and undefined fields (null = absent, as in the shared cases).
 * @template {object} T @param {T | null | undefined} obj @returns {T | undefined} */
function dropNulls(obj) {
  if (obj === null || obj === undefined) return undefined;
  return /** @type {T} */ (Object.fromEntries(Object.entries(obj).filter(([, v]) => v !== null && v !== undefined)));
}

/**
 * The client's retry rule (SPEC §2.1) for one failed attempt under `options` (unset = the
 * defaults): whether it is retried, why, and the delay bounds. Throws InvalidConfig for bad
 * options and InvalidArgument for a bad attempt.
 * @param {import('./native').RetryOptions | null | undefined} options @param {import('./native').RetryAttemptData} attempt
 */
function retryDecision(options, attempt) {
  checkOptions(options, OPTIONS.retries, 'retries', 'invalid_config');
  need(attempt, 'object', 'attempt');
  checkOptions(attempt, OPTIONS.retryAttempt, 'retry attempt');
  const o = dropNulls(options);
  const a = /** @type {import('./native').RetryAttemptData} */ (dropNulls(attempt));
  return sync(() => native.retryDecision(o, a));
}

/**
 * The endpoint cache's freshness rule (SPEC §2.1) under `options`: an entry signed until
 * `signedExpires` (Unix seconds; null for a direct or server-proxy entry), fetched at
 * `fetchedAtMs`, looked up at `nowMs` (Unix milliseconds; for a signed entry on the server's
 * clock). Throws InvalidConfig for bad options.
 * @param {import('./native').CacheOptions | null | undefined} options
 * @param {{ signedExpires?: Seconds | null, fetchedAtMs: number, nowMs: number }} entry
 */
function cacheDecision(options, entry) {
  checkOptions(options, OPTIONS.cache, 'cache', 'invalid_config');
  need(entry, 'object', 'entry');
  const { signedExpires, fetchedAtMs, nowMs } = checkOptions(entry, OPTIONS.cacheEntry, 'cache entry');
  need(signedExpires, 'seconds', 'signedExpires', true);
  need(fetchedAtMs, 'number', 'fetchedAtMs');
  need(nowMs, 'number', 'nowMs');
  const o = dropNulls(options);
  return sync(() => native.cacheDecision(o, signedExpires ?? undefined,
    /** @type {number} */ (fetchedAtMs), /** @type {number} */ (nowMs)));
}

// ---------------------------------------------------------------- gateway

/**
 * Request headers as the native check takes them: Node's `rawHeaders` (name, value, ...).
 * Accepts that flat list, a list of [name, value] pairs, or an object of name → value (or
 * array of values).
 * @param {unknown} headers @returns {string[]}
 */
function rawHeaders(headers) {
  if (headers === undefined || headers === null) return [];
  /** @type {string[]} */
  const out = [];
  /** @param {unknown} name @param {unknown} value */
  const add = (name, value) => {
    if (typeof name !== 'string' || typeof value !== 'string') {
      throw fail('invalid_argument', 'header names and values must be strings');
    }
    out.push(name, value);
  };
  if (Array.isArray(headers)) {
    if (headers.every((h) => typeof h === 'string')) {
      if (headers.length % 2 !== 0) throw fail('invalid_argument', 'a flat header list must hold name, value pairs');
      return headers;
    }
    for (const pair of headers) {
      if (!Array.isArray(pair) || pair.length !== 2) {
        throw fail('invalid_argument', 'headers must be [name, value] pairs, a flat rawHeaders list, or an object');
      }
      add(pair[0], pair[1]);
    }
    return out;
  }
  if (typeof headers !== 'object') {
    throw fail('invalid_argument', 'headers must be [name, value] pairs, a flat rawHeaders list, or an object');
  }
  for (const [name, value] of Object.entries(headers)) {
    if (value === undefined) continue;
    for (const v of Array.isArray(value) ? value : [value]) add(name, v);
  }
  return out;
}

/**
 * Answers a refusal exactly as the verdict says: status, response headers and body.
 * @param {import('node:http').ServerResponse} res @param {import('./native').GatewayVerdictData} verdict
 */
function refuse(res, verdict) {
  res.statusCode = verdict.status;
  for (const [name, value] of Object.entries(verdict.responseHeaders)) res.setHeader(name, value);
  res.setHeader('content-length', Buffer.byteLength(verdict.body));
  res.end(verdict.body);
}

/**
 * Applies an allow to the request: removes the credential headers, rewrites the target to the
 * upstream one and hands the verdict to the app as `req.sandgate`.
 * @param {import('node:http').IncomingMessage & { sandgate?: unknown }} req
 * @param {import('./native').GatewayVerdictData} verdict
 */
function admit(req, verdict) {
  const strip = new Set(verdict.headersToStrip.map((h) => h.toLowerCase()));
  // Node computes `headers` and `headersDistinct` lazily from `rawHeaders` and the count it
  // parsed: compute them before `rawHeaders` shrinks.
  const { headers, headersDistinct } = req;
  for (const name of strip) {
    delete headers[name];
    delete headersDistinct[name];
  }
  const raw = req.rawHeaders;
  /** @type {string[]} */
  const kept = [];
  for (let i = 0; i + 1 < raw.length; i += 2) {
    if (!strip.has(raw[i].toLowerCase())) kept.push(raw[i], raw[i + 1]);
  }
  raw.splice(0, raw.length, ...kept);
  req.url = /** @type {string} */ (verdict.upstreamTarget);
  req.sandgate = verdict;
}

/** @typedef {import('node:http').IncomingMessage & { originalUrl?: string, sandgate?: unknown }} GatewayRequest */

/**
 * The edge check (SPEC §1.4, §1.5, §6) and a middleware that applies it: it decides nothing
 * itself, every verdict comes from core.
 */
class Gateway {
  /** @type {import('./native').Gateway} */
  #native;
  /**
   * @param {{ routeMode: string, keys: SigningKeys, policy?: string | object | null, policyFile?: string | null,
   *   now?: Seconds | null }} options
   */
  constructor(options) {
    need(options, 'object', 'options');
    const { keys, policy, ...rest } = checkOptions(options, OPTIONS.gateway, 'gateway', 'invalid_config');
    const k = keysArg(keys);
    need(rest.routeMode, 'string', 'routeMode');
    need(rest.policyFile, 'string', 'policyFile', true);
    need(rest.now, 'seconds', 'now', true);
    /** @type {string | undefined} */
    let text;
    if (typeof policy === 'string') text = policy;
    else if (typeof policy === 'object' && policy !== null) text = JSON.stringify(policy);
    else if (policy !== undefined && policy !== null) throw fail('invalid_config', 'policy must be a JSON or TOML document, or an object');
    const opts = { routeMode: /** @type {string} */ (rest.routeMode), policy: text, policyFile: rest.policyFile ?? undefined, now: rest.now ?? undefined };
    this.#native = sync(() => new native.Gateway(k, opts));
  }
  /**
   * The verdict for a request: its target as received (path and query, still escaped) and
   * its headers in arrival order.
   * @param {string} target @param {string[] | [string, string][] | Record<string, string | string[] | undefined>} headers
   */
  check(target, headers) {
    need(target, 'string', 'target');
    const raw = rawHeaders(headers);
    return sync(() => this.#native.check(target, raw));
  }
  /** Replaces the keys the gateway verifies with, atomically. @param {SigningKeys} keys */
  replaceKeys(keys) {
    const k = keysArg(keys);
    sync(() => this.#native.replaceKeys(k));
  }
  /**
   * A Connect/Express-style `(req, res, next)` middleware: a refusal is answered with the
   * verdict's status, headers and body; an allow strips the credential headers, rewrites
   * `req.url` to the upstream target, sets `req.sandgate` to the verdict and calls `next()`.
   * @returns {(req: GatewayRequest, res: import('node:http').ServerResponse, next: (err?: unknown) => void) => void}
   */
  middleware() {
    return (req, res, next) => {
      /** @type {import('./native').GatewayVerdictData} */
      let verdict;
      try {
        verdict = this.#native.check(req.originalUrl ?? req.url ?? '', req.rawHeaders);
      } catch (e) {
        next(toError(e));
        return;
      }
      if (!verdict.allowed) {
        refuse(res, verdict);
        return;
      }
      admit(req, verdict);
      next();
    };
  }
  /**
   * A plain `node:http` request listener: `handler` runs for allowed requests only, as after
   * {@link Gateway.middleware}.
   * @param {(req: GatewayRequest, res: import('node:http').ServerResponse) => void} handler
   * @returns {(req: GatewayRequest, res: import('node:http').ServerResponse) => void}
   */
  wrap(handler) {
    need(handler, 'function', 'handler');
    const mw = this.middleware();
    return (req, res) => mw(req, res, (err) => {
      if (err) {
        res.statusCode = 500;
        res.end();
        return;
      }
      handler(req, res);
    });
  }
  [inspect.custom]() {
    return 'Gateway {}';
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
  /** @param {SigningKeys} keys */
  setSigningKeys(keys) {
    const k = keysArg(keys);
    sync(() => this.#native.setSigningKeys(k));
  }
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
  Gateway,
  MockServer,
  RouteSigner,
  RouteVerifier,
  Secret,
  SignedRoute,
  SigningKeys,
  generateApiKey,
  hashApiKey,
  verifyApiKey,
  retryDecision,
  cacheDecision,
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
