'use strict';
// The JS half of the `sandgate` package: loads the native addon and adds only what JS needs
// on top of it: error classes, AbortSignal plumbing, and secret-safe printing. Every rule
// (validation, signing, verification, retries, error kinds) lives in the Rust core.

const fs = require('node:fs');
const path = require('node:path');
const { inspect } = require('node:util');

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

/** The base of every sandgate error. */
class SandgateError extends Error {
  constructor(message, fields = {}) {
    super(message, fields.cause === undefined ? undefined : { cause: fields.cause });
    this.name = new.target.name;
    this.kind = new.target.kind ?? fields.kind ?? 'internal';
    this.code = fields.code ?? null;
    this.status = fields.status ?? null;
    this.requestId = fields.requestId ?? null;
    this.reason = fields.reason ?? null;
  }
}

const ERROR_CLASSES = {};
function defineError(name, kind) {
  const cls = { [name]: class extends SandgateError {} }[name];
  cls.kind = kind;
  ERROR_CLASSES[kind] = cls;
  return cls;
}

const InvalidArgument = defineError('InvalidArgument', 'invalid_argument');
const InvalidConfig = defineError('InvalidConfig', 'invalid_config');
const AccessDenied = defineError('AccessDenied', 'access_denied');
const ApiError = defineError('ApiError', 'api');
const TimeoutError = defineError('TimeoutError', 'timeout');
const TransportError = defineError('TransportError', 'transport');
const DecodeError = defineError('DecodeError', 'decode');
const CancelledError = defineError('CancelledError', 'cancelled');
const InternalError = defineError('InternalError', 'internal');

/** The sandgate error for anything the native addon threw or rejected with. */
function toError(e, cause) {
  if (e instanceof SandgateError) return e;
  const message = e instanceof Error ? e.message : String(e);
  if (message.startsWith(ERROR_MARKER)) {
    const p = JSON.parse(message.slice(ERROR_MARKER.length));
    const cls = ERROR_CLASSES[p.kind] ?? SandgateError;
    return new cls(p.message, { ...p, cause });
  }
  if (e && CONVERSION_CODES.has(e.code)) {
    return new InvalidArgument(`invalid argument: ${message}`, { cause: e });
  }
  return new InternalError(`internal error: ${message}`, { cause: e });
}

function sync(fn) {
  try {
    return fn();
  } catch (e) {
    throw toError(e);
  }
}

function isAbortSignal(s) {
  return s !== null && typeof s === 'object' && typeof s.aborted === 'boolean' &&
    typeof s.addEventListener === 'function';
}

/** Runs a native async call with the `signal` of `options` wired to a cancel token. */
async function withSignal(options, fn) {
  const signal = options?.signal;
  if (signal !== undefined && signal !== null && !isAbortSignal(signal)) {
    throw new InvalidArgument('invalid argument: options.signal must be an AbortSignal');
  }
  let token;
  let onAbort;
  if (signal) {
    token = new native.CancelToken();
    if (signal.aborted) {
      token.cancel();
    } else {
      onAbort = () => token.cancel();
      signal.addEventListener('abort', onAbort, { once: true });
    }
  }
  try {
    return await fn(token);
  } catch (e) {
    throw toError(e, signal?.aborted ? signal.reason : undefined);
  } finally {
    if (onAbort) signal.removeEventListener('abort', onAbort);
  }
}

/** Checks the JS type of a positional argument, so a wrong type names the argument. */
const KINDS = {
  string: [(v) => typeof v === 'string', 'a string'],
  number: [(v) => typeof v === 'number', 'a number'],
  seconds: [(v) => typeof v === 'number' || typeof v === 'bigint', 'a number or bigint of Unix seconds'],
  text: [(v) => typeof v === 'string' || v instanceof native.Secret, 'a string or Secret'],
  object: [(v) => typeof v === 'object' && v !== null, 'an object'],
};
function need(value, kind, name, optional = false) {
  if (optional && (value === undefined || value === null)) return;
  const [ok, what] = KINDS[kind];
  if (!ok(value)) {
    const got = value === null ? 'null' : typeof value;
    throw new InvalidArgument(`invalid argument: ${name} must be ${what}, got ${got}`);
  }
}

/** Rejects option names the API does not know (a typo must not silently fall back). */
function checkOptions(options, known, what, ErrorClass = InvalidArgument) {
  if (options === undefined || options === null) return {};
  if (typeof options !== 'object') {
    throw new ErrorClass(`invalid argument: ${what} must be an object`);
  }
  for (const k of Object.keys(options)) {
    if (!known.includes(k)) {
      throw new ErrorClass(`unknown ${what} option ${JSON.stringify(k)} (known: ${known.join(', ')})`);
    }
  }
  return options;
}

// ---------------------------------------------------------------- secrets

const { Secret } = native;
Object.defineProperties(Secret.prototype, {
  [inspect.custom]: { value: () => '***' },
  [Symbol.toPrimitive]: { value() { return this.toString(); } },
});

// Endpoint headers are a plain object for sending (fetch, http.request); their redacted
// copy (from core) is what printing shows. Kept in a WeakMap: no extra keys on the object.
const redactedHeaders = new WeakMap();
const HEADERS_PROTO = Object.create(Object.prototype, {
  toJSON: { value() { return { ...redactedHeaders.get(this) }; } },
  [inspect.custom]: { value(depth, opts, insp) { return insp({ ...redactedHeaders.get(this) }, opts); } },
});

function endpointHeaders(values, redacted) {
  const h = Object.assign(Object.create(HEADERS_PROTO), values);
  redactedHeaders.set(h, redacted);
  return h;
}

// ---------------------------------------------------------------- routes and keys

const INTERNAL = Symbol('sandgate.internal');
const nativeKeys = new WeakMap();

/** A set of route signing keys (SPEC §1.6). Prints key ids, never secrets. */
class SigningKeys {
  constructor(token, n) {
    if (token !== INTERNAL) {
      throw new InvalidArgument('use SigningKeys.fromFlag(text) or SigningKeys.fromToml(text)');
    }
    nativeKeys.set(this, n);
  }
  static fromFlag(text) {
    need(text, 'text', 'text');
    return new SigningKeys(INTERNAL, sync(() => native.SigningKeys.fromFlag(text)));
  }
  static fromToml(text) {
    need(text, 'text', 'text');
    return new SigningKeys(INTERNAL, sync(() => native.SigningKeys.fromToml(text)));
  }
  /**
   * The server's pair OPENSANDBOX_SECURE_ACCESS_KEYS + OPENSANDBOX_SECURE_ACCESS_ACTIVE_KEY from
   * `env` (default `process.env`); null when neither is set.
   */
  static fromEnv(env = process.env) {
    if (env === null || typeof env !== 'object') {
      throw new InvalidArgument('invalid argument: env must be an object of environment variables');
    }
    const keys = env.OPENSANDBOX_SECURE_ACCESS_KEYS ?? null;
    const active = env.OPENSANDBOX_SECURE_ACCESS_ACTIVE_KEY ?? null;
    if (keys !== null) need(keys, 'text', 'OPENSANDBOX_SECURE_ACCESS_KEYS');
    if (active !== null) need(active, 'string', 'OPENSANDBOX_SECURE_ACCESS_ACTIVE_KEY');
    const n = sync(() => native.SigningKeys.fromEnv(keys, active));
    return n === null ? null : new SigningKeys(INTERNAL, n);
  }
  get keyIds() {
    return nativeKeys.get(this).keyIds;
  }
  get activeKeyId() {
    return nativeKeys.get(this).activeKeyId;
  }
  toString() {
    return `SigningKeys(${this.keyIds.join(', ')})`;
  }
  toJSON() {
    return { keyIds: this.keyIds, activeKeyId: this.activeKeyId };
  }
  [inspect.custom](depth, opts, insp) {
    return `SigningKeys ${insp(this.toJSON(), opts)}`;
  }
}

function keysArg(keys) {
  const n = keys instanceof SigningKeys ? nativeKeys.get(keys) : undefined;
  if (!n) throw new InvalidArgument('invalid argument: keys must be a SigningKeys');
  return n;
}

/** A signed route (SPEC §1.2). */
class SignedRoute {
  constructor(token, n) {
    if (token !== INTERNAL) throw new InvalidArgument('SignedRoute comes from RouteSigner.sign');
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
  /** The wildcard host `{token}.{baseDomain}`. */
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
  #native;
  constructor(keys, keyId) {
    const k = keysArg(keys);
    need(keyId, 'string', 'keyId', true);
    this.#native = sync(() => new native.RouteSigner(k, keyId));
  }
  get keyId() {
    return this.#native.keyId;
  }
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

/** Verifies route tokens and takes the access decision of SPEC §1.5. */
class RouteVerifier {
  #native;
  constructor(keys) {
    const k = keysArg(keys);
    this.#native = sync(() => new native.RouteVerifier(k));
  }
  verify(token, now) {
    need(token, 'string', 'token');
    need(now, 'seconds', 'now', true);
    return sync(() => this.#native.verify(token, now));
  }
  decide(request, accessToken, now) {
    need(request, 'object', 'request');
    need(accessToken, 'string', 'accessToken', true);
    need(now, 'seconds', 'now', true);
    checkOptions(request, ['ingressTo', 'host', 'path', 'secureAccess'], 'access request');
    return sync(() => this.#native.decide(request, accessToken, now));
  }
}

function generateApiKey(prefix) {
  need(prefix, 'string', 'prefix', true);
  return sync(() => native.generateApiKey(prefix));
}

function hashApiKey(raw) {
  need(raw, 'text', 'raw');
  return sync(() => native.hashApiKey(raw));
}

function verifyApiKey(key, hash, options) {
  need(key, 'text', 'key');
  need(hash, 'string', 'hash');
  checkOptions(options, ['expiresAt', 'revoked', 'now'], 'verifyApiKey');
  return sync(() => native.verifyApiKey(key, hash, options));
}

// ---------------------------------------------------------------- client

/** An endpoint of a sandbox port: its URL, the headers to send, and its signed route. */
class Endpoint {
  constructor(data) {
    this.endpoint = data.endpoint;
    this.url = data.url;
    this.headers = endpointHeaders(data.headers, data.redactedHeaders);
    this.route = data.route;
  }
  toJSON() {
    return { endpoint: this.endpoint, url: this.url, headers: this.headers.toJSON(), route: this.route };
  }
  toString() {
    return `Endpoint(${this.url})`;
  }
  [inspect.custom](depth, opts, insp) {
    return `Endpoint ${insp(this.toJSON(), opts)}`;
  }
}

const CALL = ['signal'];
const CLIENT_OPTIONS = ['domain', 'protocol', 'apiKey', 'timeoutMs', 'headers', 'retries'];

/** A client for the OpenSandbox lifecycle and keys APIs. Every call returns a Promise. */
class Client {
  #native;
  constructor(options) {
    const { apiKey, ...rest } = checkOptions(options, CLIENT_OPTIONS, 'client', InvalidConfig);
    this.#native = sync(() => new native.Client(rest, apiKey));
  }
  get baseUrl() {
    return this.#native.baseUrl;
  }
  get userAgent() {
    return this.#native.userAgent;
  }
  async getEndpoint(sandboxId, port, options) {
    need(sandboxId, 'string', 'sandboxId');
    need(port, 'number', 'port');
    checkOptions(options, CALL, 'call');
    return new Endpoint(await withSignal(options, (t) => this.#native.getEndpoint(sandboxId, port, t)));
  }
  async getSignedEndpoint(sandboxId, port, expiry, options) {
    need(sandboxId, 'string', 'sandboxId');
    need(port, 'number', 'port');
    need(expiry, 'object', 'expiry');
    const { expires, ttlSeconds } = checkOptions(expiry, ['expires', 'ttlSeconds'], 'expiry');
    checkOptions(options, CALL, 'call');
    return new Endpoint(
      await withSignal(options, (t) => this.#native.getSignedEndpoint(sandboxId, port, expires, ttlSeconds, t)),
    );
  }
  async createApiKey(request, options) {
    const { name, expiresAt } = checkOptions(request, ['name', 'expiresAt'], 'createApiKey');
    checkOptions(options, CALL, 'call');
    return withSignal(options, (t) => this.#native.createApiKey(name, expiresAt, t));
  }
  async listApiKeys(options) {
    checkOptions(options, CALL, 'call');
    return withSignal(options, (t) => this.#native.listApiKeys(t));
  }
  async revokeApiKey(keyId, options) {
    need(keyId, 'string', 'keyId');
    checkOptions(options, CALL, 'call');
    await withSignal(options, (t) => this.#native.revokeApiKey(keyId, t));
  }
  async createSandbox(spec, options) {
    need(spec, 'object', 'request');
    checkOptions(spec, ['image', 'secureAccess', 'metadata', 'timeoutSeconds'], 'createSandbox');
    checkOptions(options, CALL, 'call');
    return withSignal(options, (t) => this.#native.createSandbox(spec, t));
  }
  async getSandbox(sandboxId, options) {
    need(sandboxId, 'string', 'sandboxId');
    checkOptions(options, CALL, 'call');
    return withSignal(options, (t) => this.#native.getSandbox(sandboxId, t));
  }
  async listSandboxes(options) {
    checkOptions(options, CALL, 'call');
    return withSignal(options, (t) => this.#native.listSandboxes(t));
  }
  async deleteSandbox(sandboxId, options) {
    need(sandboxId, 'string', 'sandboxId');
    checkOptions(options, CALL, 'call');
    await withSignal(options, (t) => this.#native.deleteSandbox(sandboxId, t));
  }
  [inspect.custom]() {
    return `Client { baseUrl: '${this.baseUrl}', userAgent: '${this.userAgent}' }`;
  }
}

// ---------------------------------------------------------------- mock server

/** The in-process mock platform (lifecycle API, keys API, verifying gateway) for tests. */
class MockServer {
  #native;
  constructor(token, n) {
    if (token !== INTERNAL) throw new InvalidArgument('use MockServer.start(options)');
    this.#native = n;
  }
  static start(options) {
    checkOptions(options, ['routeMode', 'trustedHeaders'], 'MockServer.start', InvalidConfig);
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
  setNow(now) {
    need(now, 'seconds', 'now');
    sync(() => this.#native.setNow(now));
  }
  advance(seconds) {
    need(seconds, 'number', 'seconds');
    sync(() => this.#native.advance(seconds));
  }
  setFaults(faults) {
    checkOptions(faults, ['failNext', 'status', 'retryAfter', 'latencyMs', 'dropNext', 'corruptNext'], 'fault');
    sync(() => this.#native.setFaults(faults));
  }
  clearFaults() { this.#native.clearFaults(); }
  reset() { this.#native.reset(); }
  requests() { return this.#native.requests(); }
  stop() { this.#native.stop(); }
  [inspect.custom](depth, opts, insp) {
    const view = { apiUrl: this.apiUrl, gatewayUrl: this.gatewayUrl, routeMode: this.routeMode, adminKey: this.adminKey };
    return `MockServer ${insp(view, opts)}`;
  }
}

module.exports = {
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
