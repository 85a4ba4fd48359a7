// Public types of the `sandgate` package. Data shapes come from `native.d.ts`, which napi-rs
// generates from the Rust code (checked in; a test fails when it drifts from the build).
// Every export carries its JSDoc.

import type { IncomingMessage, ServerResponse } from 'node:http';
import type {
  ApiKeyInfoData,
  CacheOptions as NativeCacheOptions,
  CreatedApiKeyData,
  EndpointData,
  FaultOptions as NativeFaultOptions,
  GeneratedApiKeyData,
  RequestRecordData,
  RetryAttemptData,
  RetryOptions as NativeRetryOptions,
  RouteInfoData,
  SandboxData,
  SandboxRenewalData,
} from './native';

/**
 * Unix epoch seconds (never milliseconds). A number from 0 to 2^53-1
 * (`Number.MAX_SAFE_INTEGER`), or a bigint up to 2^64-1 for larger values. A negative,
 * fractional or unsafe number (above 2^53-1) is rejected with {@link InvalidArgument}.
 * Values the package returns are numbers, or bigints when above 2^53-1.
 */
export type Seconds = number | bigint;

/** The stable error kinds of the Rust core (core/README.md). */
export type ErrorKind =
  | 'invalid_argument'
  | 'invalid_config'
  | 'access_denied'
  | 'api'
  | 'timeout'
  | 'transport'
  | 'decode'
  | 'cancelled'
  | 'internal';

/** Why an access decision denied a request (SPEC §1.5). */
export type DenyReason =
  | 'malformed'
  | 'expired'
  | 'unknown_key'
  | 'bad_signature'
  | 'header_mismatch'
  | 'credential_required'
  | 'not_configured'
  | 'unknown_sandbox';

/** How an allowed request was granted. */
export type Grant = 'open' | 'header' | 'signature';

/** Gateway route modes (SPEC §1.4). */
export type RouteMode = 'header' | 'wildcard' | 'uri';

// ---------------------------------------------------------------- errors

/**
 * Base of every error sandgate throws or rejects with. Switch on `kind` or use `instanceof`.
 * `message` is the bare message (`sandbox not found`); `toString()` (and `String(e)`, `${e}`)
 * is the full line core writes (`API error 404 SANDBOX::NOT_FOUND: sandbox not found
 * (request id r1)`).
 */
export declare class SandgateError extends Error {
  /** A user-made error (sandgate's own come from the core). */
  constructor(message: string, fields?: { kind?: ErrorKind; code?: string | null; status?: number | null; requestId?: string | null; reason?: DenyReason | null; cause?: unknown });
  /** The core's stable kind code. */
  readonly kind: ErrorKind;
  /** The server's error code (for example `SANDBOX::NOT_FOUND`), for API errors. */
  readonly code: string | null;
  /** The HTTP status, for API errors and denials. */
  readonly status: number | null;
  /** The server's `X-Request-ID`, when it sent one. */
  readonly requestId: string | null;
  /** The denial reason, for {@link AccessDenied}. */
  readonly reason: DenyReason | null;
  /**
   * Whether the client's retry rule (SPEC §2.1) would try the failed request again: true for
   * a 429/502/503 of an idempotent call or a connection failure, false for a POST that reached
   * the server, a 4xx, or a client with retrying off.
   */
  readonly retryable: boolean;
  /** The server's `Retry-After` in milliseconds (seconds or an HTTP-date), when it sent one. */
  readonly retryAfterMs: number | null;
  /** The full line core writes for this error (the bare `message` with its kind and details). */
  toString(): string;
}
/** A caller-supplied value was rejected before any work (including a wrong JS type). */
export declare class InvalidArgument extends SandgateError {
  /** Always `invalid_argument`. */
  readonly kind: 'invalid_argument';
}
/** A configuration is invalid: signing keys, client options, mock options. */
export declare class InvalidConfig extends SandgateError {
  /** Always `invalid_config`. */
  readonly kind: 'invalid_config';
}
/** A route or credential was denied; `reason` and `status` say why. */
export declare class AccessDenied extends SandgateError {
  /** Always `access_denied`. */
  readonly kind: 'access_denied';
  /** Why the route or credential was denied. */
  readonly reason: DenyReason;
  /** The HTTP status a gateway answers (400, 401 or 404). */
  readonly status: number;
}
/** The server answered with an error status. */
export declare class ApiError extends SandgateError {
  /** Always `api`. */
  readonly kind: 'api';
  /** The HTTP status the server answered. */
  readonly status: number;
}
/** The request did not finish within the client's timeout. */
export declare class TimeoutError extends SandgateError {
  /** Always `timeout`. */
  readonly kind: 'timeout';
}
/** Connecting or talking to the server failed. */
export declare class TransportError extends SandgateError {
  /** Always `transport`. */
  readonly kind: 'transport';
}
/** The server's response could not be decoded. */
export declare class DecodeError extends SandgateError {
  /** Always `decode`. */
  readonly kind: 'decode';
}
/**
 * The call was aborted through its `AbortSignal`; the request in flight was cancelled.
 * `cause` is the signal's `reason`.
 */
export declare class CancelledError extends SandgateError {
  /** Always `cancelled`. */
  readonly kind: 'cancelled';
}
/** A bug in sandgate. */
export declare class InternalError extends SandgateError {
  /** Always `internal`. */
  readonly kind: 'internal';
}

// ---------------------------------------------------------------- secrets

/**
 * A secret (a raw API key, the mock's admin key or signing keys). Prints `***` in
 * `util.inspect`, `String()`, template strings and `JSON.stringify`; `expose()` gives the
 * value. Accepted wherever a key is taken, in place of its string.
 */
export declare class Secret {
  private constructor();
  /** The secret value. Call only where it is really needed (to send it, or show it once). */
  expose(): string;
  /** `***` */
  toString(): string;
  /** `***` */
  toJSON(): string;
}

// ---------------------------------------------------------------- routes and keys

/** What a route names (SPEC §1.3). `expires` and `keyId` are null for an unsigned route. */
export type RouteInfo = RouteInfoData;

/** A set of route signing keys (SPEC §1.6). Prints key ids, never secrets. */
export declare class SigningKeys {
  private constructor();
  /** From the ingress flag string `a=BASE64,b=BASE64`. Throws {@link InvalidConfig}. */
  static fromFlag(text: string | Secret): SigningKeys;
  /** From server TOML text with an `[ingress.secure_access]` table. Throws {@link InvalidConfig}. */
  static fromToml(text: string | Secret): SigningKeys;
  /**
   * The server's pair `OPENSANDBOX_SECURE_ACCESS_KEYS` + `OPENSANDBOX_SECURE_ACCESS_ACTIVE_KEY`
   * from `env` (default `process.env`): both or neither, nothing trimmed, no empty entries.
   * `null` when neither is set. Throws {@link InvalidConfig}.
   */
  static fromEnv(env?: Record<string, string | Secret | undefined>): SigningKeys | null;
  /** The configured key ids (one character each), in order. */
  readonly keyIds: string[];
  /** The `active_key` of the configuration, if it names one. */
  readonly activeKeyId: string | null;
  /** The same keys with `keyId` active (what signers use by default). Throws {@link InvalidConfig}. */
  withActive(keyId: string): SigningKeys;
  /** The key ids only: `{ keyIds, activeKeyId }`. */
  toJSON(): { keyIds: string[]; activeKeyId: string | null };
}

/** A signed route (SPEC §1.2), as plain data. */
export declare class SignedRoute {
  private constructor();
  /** `{sandboxId}-{port}-{expiresB36}-{signature}` */
  readonly token: string;
  /** The sandbox the route leads to. */
  readonly sandboxId: string;
  /** The sandbox port the route leads to. */
  readonly port: number;
  /** When the route expires. */
  readonly expires: Seconds;
  /** `expires` in base 36, as the token carries it. */
  readonly expiresB36: string;
  /** 8 hex digits and the key id. */
  readonly signature: string;
  /** The id of the key that signed the route (one character). */
  readonly keyId: string;
  /** `/{sandboxId}/{port}/{expiresB36}/{signature}` (uri mode). */
  readonly uriPrefix: string;
  /** The `OpenSandbox-Ingress-To` value (header mode). */
  readonly headerValue: string;
  /** The wildcard host `{token}.{baseDomain}`. Throws {@link InvalidArgument} when the base domain is not a DNS name. */
  host(baseDomain: string): string;
  /** The token. */
  toString(): string;
}

/** Signs routes with one key. */
export declare class RouteSigner {
  /** A signer with `keyId`, or the keys' active key. Throws {@link InvalidConfig}. */
  constructor(keys: SigningKeys, keyId?: string | null);
  /** The id of the key this signer signs with. */
  readonly keyId: string;
  /** Signs a route that expires at `expires`. Throws {@link InvalidArgument}. */
  sign(sandboxId: string, port: number, expires: Seconds): SignedRoute;
}

/** A request as a gateway sees it (SPEC §1.4). The route comes from `ingressTo`, else `host`, else `path`. */
export interface AccessRequest {
  /** The `OpenSandbox-Ingress-To` header. */
  ingressTo?: string | null;
  /** The `Host` header. */
  host?: string | null;
  /** Path and query (the route itself in uri mode). */
  path?: string | null;
  /** The `OpenSandbox-Secure-Access` header; `''` means sent empty, absent means not sent. */
  secureAccess?: string | null;
}

/** The access decision of SPEC §1.5, as plain data. */
export declare class AccessDecision {
  private constructor();
  /** Whether the request may pass. */
  readonly allowed: boolean;
  /** Why it was denied; null when allowed. */
  readonly reason: DenyReason | null;
  /** The HTTP status a gateway answers: 200 when allowed. */
  readonly status: number;
  /** A short explanation of a denial; null when allowed. */
  readonly detail: string | null;
  /** How access was granted; null when denied. */
  readonly grant: Grant | null;
  /** The route the request named; null when denied. */
  readonly route: RouteInfo | null;
  /** The upstream path, starting with `/`; null when denied. */
  readonly path: string | null;
  /** The upstream query without `?`; null when there is none or when denied. */
  readonly query: string | null;
  /** This decision when allowed; otherwise throws the denial as {@link AccessDenied}. */
  throwIfDenied(): this;
}

/** Verifies routes and takes access decisions. */
export declare class RouteVerifier {
  /** A verifier that accepts routes signed with any of `keys`. */
  constructor(keys: SigningKeys);
  /**
   * Replaces the keys this verifier accepts, atomically and without a restart: calls already
   * running finish with the old set, later ones use `keys` (signing-key rotation, SPEC §7).
   */
  replaceKeys(keys: SigningKeys): void;
  /**
   * Verifies a route token (the `OpenSandbox-Ingress-To` value) at `now` (default: the system
   * clock). Throws {@link AccessDenied} with its `reason` when the token is malformed, expired,
   * unknown or forged.
   */
  verify(token: string, now?: Seconds | null): RouteInfo;
  /** {@link RouteVerifier.verify} for a wildcard `Host` value (`{token}.{domain}[:port]`). */
  verifyHost(host: string, now?: Seconds | null): RouteInfo;
  /** {@link RouteVerifier.verify} for a uri-mode path (`/{id}/{port}/{expiresB36}/{signature}[/rest]`). */
  verifyPath(path: string, now?: Seconds | null): RouteInfo;
  /**
   * The decision for `request` to a sandbox whose access token is `accessToken` (null or
   * omitted for a sandbox that does not require secure access), at `now` (default: the
   * system clock). Never throws for a denial: see `allowed` and `reason`, or call
   * `throwIfDenied()`.
   */
  decide(request: AccessRequest, accessToken?: string | Secret | null, now?: Seconds | null): AccessDecision;
}

/** A freshly generated API key: the raw key (a {@link Secret}), its display prefix and its hash. */
export interface GeneratedApiKey extends Omit<GeneratedApiKeyData, 'key'> {
  /** The raw key: show it once, store only `hash`. */
  key: Secret;
}

/** Generates a key: `prefix` (default `osk_`) + 43 random base64url characters. */
export declare function generateApiKey(prefix?: string): GeneratedApiKey;
/** Lowercase hex SHA-256 of the raw key: the form to store. */
export declare function hashApiKey(raw: string | Secret): string;

/** What is stored for a key, and when to check it. */
export interface VerifyApiKeyOptions {
  /** Stored expiry: RFC 3339 or epoch seconds/milliseconds; one that cannot be parsed fails closed. */
  expiresAt?: string | null;
  /** Whether the key was revoked (default false). */
  revoked?: boolean | null;
  /** Default: the system clock. */
  now?: Seconds | null;
}

/**
 * Whether `key` hashes to `hash` (constant-time compare) and is neither revoked nor expired.
 * Throws {@link InvalidArgument} when `hash` is not 64 lowercase hex digits.
 */
export declare function verifyApiKey(key: string | Secret, hash: string, options?: VerifyApiKeyOptions): boolean;

// ---------------------------------------------------------------- client

/** Options every client call takes. */
export interface CallOptions {
  /** Aborting it cancels the request in flight; the call rejects with {@link CancelledError}. */
  signal?: AbortSignal | null;
}

/**
 * Retry options (SPEC §2.1), every knob: `maxRetries` (default 3; 0 turns retrying off),
 * `initialBackoffMs` (500), `maxBackoffMs` (30000), `multiplier` (2), `retryStatuses` (429,
 * 502, 503: idempotent calls), `postRetryStatuses` (none: the POST opt-in),
 * `attemptTimeoutMs` (the client's timeout) and `deadlineMs` (none).
 */
export type RetryOptions = NativeRetryOptions;

/** Endpoint cache options: `enabled` (true), `maxEntries` (1024), `ttlMs` (600000), `marginMs` (30000). */
export type CacheOptions = NativeCacheOptions;

/** What the `onRetry` hook is told before a retry waits. */
export interface RetryEvent {
  /** The attempt that failed, from 1; the next one is `attempt + 1`. */
  attempt: number;
  /** The delay before the next attempt, in milliseconds. */
  delayMs: number;
  /** The failure (its `retryable` is true). */
  cause: SandgateError;
}

/** Client options; each falls back to `OPEN_SANDBOX_DOMAIN`, `_API_KEY`, `_PROTOCOL`, then defaults. */
export interface ClientOptions {
  /** `host:port` (default `localhost:8080`); a scheme written here wins over `protocol`. */
  domain?: string;
  /** `http` (default) or `https`. */
  protocol?: string;
  /** Sent as `OPEN-SANDBOX-API-KEY` (lifecycle) and `X-API-Key` (keys API). */
  apiKey?: string | Secret;
  /** Per-request timeout in whole milliseconds, at least 1 (default 30000). */
  timeoutMs?: number;
  /** Headers sent on every request (for example trusted user headers). */
  headers?: Record<string, string>;
  /** Retry options; `false` is `{ maxRetries: 0 }` and `true` the defaults (3 retries). */
  retries?: boolean | RetryOptions;
  /**
   * Called on the JS thread before each retry waits (it cannot delay or stop the retry). An
   * exception it throws becomes a process warning.
   */
  onRetry?: ((event: RetryEvent) => void) | null;
  /** Endpoint cache options; on by default, `false` turns it off and `true` is the defaults. */
  cache?: boolean | CacheOptions;
}

/** What kind of endpoint an {@link Endpoint} is. */
export type EndpointKind = 'direct' | 'server_proxy' | 'signed';

/**
 * How {@link Client.endpoint} asks for an endpoint: `'direct'` (the gateway's own, unsigned),
 * `'server_proxy'` (through the lifecycle server; its headers carry the API key), or signed
 * with `{ expires }` (Unix seconds) or `{ ttlSeconds }` (counted on the server's clock).
 */
export type EndpointMode = 'direct' | 'server_proxy' | SignedExpiry;

/**
 * An endpoint of a sandbox port. Send `headers` with every request to `url`.
 * Printing it (inspect, `JSON.stringify`) shows the access token as `***`.
 */
export declare class Endpoint {
  private constructor();
  /** As the server returned it (no scheme). */
  readonly endpoint: string;
  /** `protocol://endpoint`. */
  readonly url: string;
  /** The headers to send with every request to `url` (may hold the access token). */
  readonly headers: Record<string, string>;
  /** The signed route, for a signed endpoint; null otherwise. */
  readonly route: RouteInfo | null;
  /** The server's `OPEN-SANDBOX-ORIGIN` for this endpoint, when it sent one. */
  readonly origin: string | null;
  /** Direct, server-proxy or signed. */
  readonly kind: EndpointKind;
  /**
   * A URL that carries everything a request to `path` (default: none; else starting with `/`,
   * a query may follow) needs, for wildcard and uri mode endpoints. Throws
   * {@link InvalidArgument} saying which header a URL cannot carry otherwise (header mode, an
   * access token, a server-proxy endpoint).
   */
  shareableUrl(path?: string): string;
  /** The endpoint with its headers redacted (`***` for secrets). */
  toJSON(): Omit<EndpointData, 'redactedHeaders'>;
}

/** Either an absolute expiry or a time to live. */
export type SignedExpiry = { expires: Seconds; ttlSeconds?: never } | { ttlSeconds: number; expires?: never };

/** A key just minted. `key` is the raw key, returned this one time. */
export interface CreatedApiKey extends Omit<CreatedApiKeyData, 'key'> {
  /** The raw key, shown this one time. */
  key: Secret;
}
/** A key as listed: never its secret or hash. */
export type ApiKeyInfo = ApiKeyInfoData;
/** A sandbox as the server describes it. */
export type Sandbox = SandboxData;

/** A sandbox's new expiry, as {@link Client.renewSandbox} returns it. */
export type SandboxRenewal = SandboxRenewalData;

/** What {@link Client.createApiKey} mints. */
export interface CreateApiKeyRequest {
  /** Default `API Key`. */
  name?: string;
  /** When the key stops working. */
  expiresAt?: Seconds;
}

/** What {@link Client.createSandbox} creates. */
export interface CreateSandboxRequest {
  /** Image URI. */
  image: string;
  /** Require signed routes or the access token header. */
  secureAccess?: boolean;
  /** Metadata to attach. */
  metadata?: Record<string, string>;
  /** Lifetime in seconds (default: the server's). */
  timeoutSeconds?: number;
}

/** A client for the OpenSandbox lifecycle and keys APIs. Every call returns a Promise. */
export declare class Client {
  /** Throws {@link InvalidConfig} for a bad option. */
  constructor(options?: ClientOptions);
  /** `protocol://domain` */
  readonly baseUrl: string;
  /** `sandgate/<version> (node)` */
  readonly userAgent: string;
  /**
   * The endpoint of `port` of a sandbox in one mode ({@link EndpointMode}). Endpoints are
   * cached (signed ones until `expires` minus the margin); concurrent calls share one request.
   */
  endpoint(sandboxId: string, port: number, mode: EndpointMode, options?: CallOptions): Promise<Endpoint>;
  /** The direct endpoint of `port` of a sandbox: `endpoint(id, port, 'direct')`. */
  getEndpoint(sandboxId: string, port: number, options?: CallOptions): Promise<Endpoint>;
  /** A signed endpoint that expires at `expires` or `ttlSeconds` from now: `endpoint(id, port, expiry)`. */
  getSignedEndpoint(sandboxId: string, port: number, expiry: SignedExpiry, options?: CallOptions): Promise<Endpoint>;
  /** Mints a key for the calling user. Never retried once sent. */
  createApiKey(request?: CreateApiKeyRequest, options?: CallOptions): Promise<CreatedApiKey>;
  /** The calling user's keys. */
  listApiKeys(options?: CallOptions): Promise<ApiKeyInfo[]>;
  /** Revokes a key by its id. */
  revokeApiKey(keyId: string, options?: CallOptions): Promise<void>;
  /** Creates a sandbox. Never retried once sent. */
  createSandbox(request: CreateSandboxRequest, options?: CallOptions): Promise<Sandbox>;
  /** One sandbox by id. */
  getSandbox(sandboxId: string, options?: CallOptions): Promise<Sandbox>;
  /** Every sandbox the caller may see. */
  listSandboxes(options?: CallOptions): Promise<Sandbox[]>;
  /** Pauses a sandbox; its cached endpoints are dropped. */
  pauseSandbox(sandboxId: string, options?: CallOptions): Promise<void>;
  /** Resumes a paused sandbox; its cached endpoints are dropped. */
  resumeSandbox(sandboxId: string, options?: CallOptions): Promise<void>;
  /** Deletes a sandbox; its cached endpoints are dropped. */
  deleteSandbox(sandboxId: string, options?: CallOptions): Promise<void>;
  /** Renews a sandbox to expire at `expires` or `ttlSeconds` from now. Never retried once sent. */
  renewSandbox(sandboxId: string, expiry: SignedExpiry, options?: CallOptions): Promise<SandboxRenewal>;
}

// ---------------------------------------------------------------- the client's rules as data

/**
 * One failed attempt for {@link retryDecision}: `method`; `outcome` (`status` with `status`,
 * `pre_send`, `post_send` or `timeout`); `attempt` (from 1); `prevDelayMs`; `retryAfter`
 * (the header text); `now` (what an HTTP-date is counted from); `elapsedMs`.
 */
export type RetryAttempt = RetryAttemptData;

/** The retry rule's answer for one failed attempt. */
export interface RetryDecision {
  /** Whether the attempt is retried. */
  retry: boolean;
  /** Why. */
  verdict: 'retry' | 'not_retryable' | 'exhausted' | 'deadline';
  /** The least delay before the next attempt, in milliseconds (0 when not retried). */
  minDelayMs: number;
  /** The most delay before the next attempt, in milliseconds (0 when not retried). */
  maxDelayMs: number;
  /** What the error of this attempt reports as `retryable`. */
  retryable: boolean;
}

/**
 * The client's retry rule (SPEC §2.1, the shared table `retry.json`) for one failed attempt
 * under `options` (omitted fields keep the defaults). Throws {@link InvalidConfig} for bad
 * options and {@link InvalidArgument} for a bad attempt.
 */
export declare function retryDecision(options: RetryOptions | null | undefined, attempt: RetryAttempt): RetryDecision;

/** A cached endpoint as {@link cacheDecision} judges it. */
export interface CacheEntry {
  /** A signed entry's expiry (Unix seconds); null for a direct or server-proxy entry. */
  signedExpires?: Seconds | null;
  /** When it was fetched, Unix milliseconds. */
  fetchedAtMs: number;
  /** When it is looked up, Unix milliseconds (the server's clock for a signed entry). */
  nowMs: number;
}

/** Whether a cached endpoint is still served. */
export interface Freshness {
  /** `nowMs < untilMs` and the cache is on. */
  fresh: boolean;
  /** The first millisecond it is no longer served: `expires * 1000 - margin` (signed) or `fetchedAt + ttl`. */
  untilMs: number | bigint;
}

/**
 * The endpoint cache's freshness rule (SPEC §2.1, the shared table `cache.json`) under
 * `options`. Throws {@link InvalidConfig} for bad options.
 */
export declare function cacheDecision(options: CacheOptions | null | undefined, entry: CacheEntry): Freshness;

// ---------------------------------------------------------------- gateway

/** How to build a {@link Gateway}. */
export interface GatewayOptions {
  /** Where routes come from (SPEC §1.4). */
  routeMode: RouteMode;
  /** The signing keys (an empty set answers signed routes 503 `not_configured`). */
  keys: SigningKeys;
  /**
   * Which sandboxes are secure and their access tokens: a policy document (JSON or TOML text,
   * or an object written as JSON; the form of docs/gateway.md). With neither this nor
   * `policyFile` the gateway is signature-only: every sandbox needs a valid signed route.
   */
  policy?: string | object | null;
  /** A policy file (JSON or TOML), re-read when it changes; a bad file keeps the last good policy. */
  policyFile?: string | null;
  /** A fixed "now" in Unix seconds (tests); default: the system clock per request. */
  now?: Seconds | null;
}

/** A gateway's verdict on one request: what to forward, or exactly what to answer. */
export interface GatewayVerdict {
  /** Whether the request goes on to the sandbox. */
  allowed: boolean;
  /** 200 when allowed, else 400, 401, 404 or 503. */
  status: number;
  /** The refusal's reason (a {@link DenyReason} or `policy_unavailable`); null when allowed. */
  reason: DenyReason | 'policy_unavailable' | null;
  /** How access was granted; null when refused. */
  grant: Grant | null;
  /** The verified route; null when refused. */
  route: RouteInfo | null;
  /** The target to forward: the path (escaping kept, uri-mode prefix removed) and `?query`; null when refused. */
  upstreamTarget: string | null;
  /** Request headers to remove before forwarding (compare case-insensitively). */
  headersToStrip: string[];
  /** The refusal's response headers (`content-type`, `x-sandgate-reason`, `retry-after` on a 503); empty when allowed. */
  responseHeaders: Record<string, string>;
  /** The refusal's `text/plain` body (`OpenSandbox Ingress: ...`); empty when allowed. */
  body: string;
  /** The refusal's message (the body without its prefix); empty when allowed. */
  message: string;
}

/** A `node:http` request after the gateway middleware allowed it. */
export interface GatewayRequest extends IncomingMessage {
  /** The verdict: the verified `route`, the `grant` and the `upstreamTarget` (now `req.url`). */
  sandgate?: GatewayVerdict;
  /** Express's original URL, which the middleware checks when present. */
  originalUrl?: string;
}

/**
 * The edge check of SPEC §1.4, §1.5 and §6, and a middleware that applies it. Every verdict
 * comes from core; the middleware only answers refusals and forwards allowed requests.
 */
export declare class Gateway {
  /** Throws {@link InvalidConfig} for a bad mode, policy document or file. */
  constructor(options: GatewayOptions);
  /**
   * The verdict for a request: its target as received (path and query, still escaped) and its
   * headers in arrival order, as Node's `rawHeaders`, `[name, value]` pairs, or an object.
   */
  check(target: string, headers: string[] | Array<[string, string]> | Record<string, string | string[] | undefined>): GatewayVerdict;
  /** Replaces the keys the gateway verifies with, atomically (signing-key rotation). */
  replaceKeys(keys: SigningKeys): void;
  /**
   * A Connect/Express-style middleware: a refusal is answered with the verdict's status,
   * headers and body and `next` is not called; an allow removes `headersToStrip` from the
   * request, sets `req.url` to the upstream target and `req.sandgate` to the verdict, and
   * calls `next()`.
   */
  middleware(): (req: GatewayRequest, res: ServerResponse, next: (err?: unknown) => void) => void;
  /** A plain `node:http` request listener that runs `handler` for allowed requests only. */
  wrap(handler: (req: GatewayRequest, res: ServerResponse) => void): (req: GatewayRequest, res: ServerResponse) => void;
}

// ---------------------------------------------------------------- mock server

/** How to start a {@link MockServer}. */
export interface MockOptions {
  /** Default `header`. */
  routeMode?: RouteMode;
  /** Accept `X-OpenSandbox-User/Team/Roles` as the caller (default false). */
  trustedHeaders?: boolean;
  /** Sent as `OPEN-SANDBOX-ORIGIN` with every endpoint answer (default none). */
  endpointOrigin?: string;
}

/** Faults for the next API requests; they replace the pending ones. */
export type FaultOptions = NativeFaultOptions;
/** One API request the mock received (status 0 = dropped by a fault). */
export type RequestRecord = RequestRecordData;

/** The in-process mock platform (SPEC §4): lifecycle and keys API, and a verifying gateway. */
export declare class MockServer {
  private constructor();
  /** Binds 127.0.0.1 on free ports. Throws {@link InvalidConfig}. */
  static start(options?: MockOptions): MockServer;
  /** `http://127.0.0.1:PORT` */
  readonly apiUrl: string;
  /** `http://127.0.0.1:PORT` of the verifying gateway. */
  readonly gatewayUrl: string;
  /** `127.0.0.1:PORT`: a client's `domain`. */
  readonly domain: string;
  /** The static admin key (role `service_admin`). */
  readonly adminKey: Secret;
  /** The signing keys, as a flag string for {@link SigningKeys.fromFlag}. */
  readonly signingKeys: Secret;
  /** How the mock's endpoints carry their routes. */
  readonly routeMode: RouteMode;
  /** Base domain of wildcard hosts (`localhost`). */
  readonly baseDomain: string;
  /** The mock clock, Unix seconds. */
  now(): Seconds;
  /** Sets the mock clock. */
  setNow(now: Seconds): void;
  /** Moves the mock clock (negative goes back). */
  advance(seconds: number): void;
  /** Faults for the next API requests (they replace the pending ones). */
  setFaults(faults: FaultOptions): void;
  /** Drops the pending faults. */
  clearFaults(): void;
  /**
   * Replaces the keys the mock signs endpoints with (its active key) and its gateway verifies
   * with, at once; {@link MockServer.reset} restores the start keys.
   */
  setSigningKeys(keys: SigningKeys): void;
  /** Forgets sandboxes, keys, faults, logged requests and the clock offset. */
  reset(): void;
  /** API requests received so far, oldest first (status 0 = dropped by a fault). */
  requests(): RequestRecord[];
  /** Stops both listeners and closes open connections. */
  stop(): void;
}
