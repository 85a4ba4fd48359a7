// Public types of the `sandgate` package. Data shapes come from `native.d.ts`, which napi-rs
// generates from the Rust code (checked in; a test fails when it drifts from the build).

import type {
  AccessDecisionData,
  ApiKeyInfoData,
  CreatedApiKeyData,
  EndpointData,
  FaultOptions as NativeFaultOptions,
  GeneratedApiKeyData,
  RequestRecordData,
  RetryOptions as NativeRetryOptions,
  RouteInfoData,
  SandboxData,
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

/** Base of every error sandgate throws or rejects with. Switch on `kind` or use `instanceof`. */
export declare class SandgateError extends Error {
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
}
/** A caller-supplied value was rejected before any work (including a wrong JS type). */
export declare class InvalidArgument extends SandgateError {
  readonly kind: 'invalid_argument';
}
/** A configuration is invalid: signing keys, client options, mock options. */
export declare class InvalidConfig extends SandgateError {
  readonly kind: 'invalid_config';
}
/** A route or credential was denied; `reason` and `status` say why. */
export declare class AccessDenied extends SandgateError {
  readonly kind: 'access_denied';
  readonly reason: DenyReason;
  readonly status: number;
}
/** The server answered with an error status. */
export declare class ApiError extends SandgateError {
  readonly kind: 'api';
  readonly status: number;
}
/** The request did not finish within the client's timeout. */
export declare class TimeoutError extends SandgateError {
  readonly kind: 'timeout';
}
/** Connecting or talking to the server failed. */
export declare class TransportError extends SandgateError {
  readonly kind: 'transport';
}
/** The server's response could not be decoded. */
export declare class DecodeError extends SandgateError {
  readonly kind: 'decode';
}
/**
 * The call was aborted through its `AbortSignal`; the request in flight was cancelled.
 * `cause` is the signal's `reason`.
 */
export declare class CancelledError extends SandgateError {
  readonly kind: 'cancelled';
}
/** A bug in sandgate. */
export declare class InternalError extends SandgateError {
  readonly kind: 'internal';
}

// ---------------------------------------------------------------- secrets

/**
 * A secret (a raw API key, the mock's admin key or signing keys). Prints `***` in
 * `util.inspect`, `String()`, template strings and `JSON.stringify`; `reveal()` gives the value.
 */
export declare class Secret {
  private constructor();
  /** The secret value. Call only where it is really needed (to send it, or show it once). */
  reveal(): string;
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
  /** The configured key ids, in order. */
  readonly keyIds: string[];
  /** The `active_key` of the configuration, if it names one. */
  readonly activeKeyId: string | null;
  toJSON(): { keyIds: string[]; activeKeyId: string | null };
}

/** A signed route (SPEC §1.2). */
export declare class SignedRoute {
  private constructor();
  /** `{sandboxId}-{port}-{expiresB36}-{signature}` */
  readonly token: string;
  readonly sandboxId: string;
  readonly port: number;
  readonly expires: Seconds;
  readonly expiresB36: string;
  /** 8 hex digits and the key id. */
  readonly signature: string;
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

/** The access decision of SPEC §1.5. */
export interface AccessDecision extends Omit<AccessDecisionData, 'reason' | 'grant'> {
  reason: DenyReason | null;
  grant: Grant | null;
}

/** Verifies route tokens and takes access decisions. */
export declare class RouteVerifier {
  constructor(keys: SigningKeys);
  /**
   * Verifies a route token at `now` (default: the system clock). Throws {@link AccessDenied}
   * with its `reason` when the token is malformed, expired, unknown or forged.
   */
  verify(token: string, now?: Seconds | null): RouteInfo;
  /**
   * The decision for `request` to a sandbox whose access token is `accessToken` (null or
   * omitted for a sandbox that does not require secure access), at `now` (default: the
   * system clock). Never throws for a denial: see `allowed` and `reason`.
   */
  decide(request: AccessRequest, accessToken?: string | null, now?: Seconds | null): AccessDecision;
}

/** A freshly generated API key: the raw key (a {@link Secret}), its display prefix and its hash. */
export interface GeneratedApiKey extends Omit<GeneratedApiKeyData, 'key'> {
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

export type RetryOptions = NativeRetryOptions;

/** Client options; each falls back to `OPEN_SANDBOX_DOMAIN`, `_API_KEY`, `_PROTOCOL`, then defaults. */
export interface ClientOptions {
  /** `host:port` (default `localhost:8080`); a scheme written here wins over `protocol`. */
  domain?: string;
  /** `http` (default) or `https`. */
  protocol?: string;
  /** Sent as `OPEN-SANDBOX-API-KEY` (lifecycle) and `X-API-Key` (keys API). */
  apiKey?: string | Secret;
  /** Per-request timeout in milliseconds (default 30000). */
  timeoutMs?: number;
  /** Headers sent on every request (for example trusted user headers). */
  headers?: Record<string, string>;
  /** `false` turns retries off; an object tunes them (default: 3 attempts). */
  retries?: boolean | RetryOptions;
}

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
  readonly headers: Record<string, string>;
  /** The signed route, for a signed endpoint; null otherwise. */
  readonly route: RouteInfo | null;
  toJSON(): Omit<EndpointData, 'redactedHeaders'>;
}

/** Either an absolute expiry or a time to live. */
export type SignedExpiry = { expires: Seconds; ttlSeconds?: never } | { ttlSeconds: number; expires?: never };

/** A key just minted. `key` is the raw key, returned this one time. */
export interface CreatedApiKey extends Omit<CreatedApiKeyData, 'key'> {
  key: Secret;
}
export type ApiKeyInfo = ApiKeyInfoData;
export type Sandbox = SandboxData;

export interface CreateApiKeyRequest {
  /** Default `API Key`. */
  name?: string;
  expiresAt?: Seconds;
}

export interface CreateSandboxRequest {
  /** Image URI. */
  image: string;
  /** Require signed routes or the access token header. */
  secureAccess?: boolean;
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
  getEndpoint(sandboxId: string, port: number, options?: CallOptions): Promise<Endpoint>;
  getSignedEndpoint(sandboxId: string, port: number, expiry: SignedExpiry, options?: CallOptions): Promise<Endpoint>;
  /** Mints a key for the calling user. Never retried once sent. */
  createApiKey(request?: CreateApiKeyRequest, options?: CallOptions): Promise<CreatedApiKey>;
  listApiKeys(options?: CallOptions): Promise<ApiKeyInfo[]>;
  revokeApiKey(keyId: string, options?: CallOptions): Promise<void>;
  /** Never retried once sent. */
  createSandbox(request: CreateSandboxRequest, options?: CallOptions): Promise<Sandbox>;
  getSandbox(sandboxId: string, options?: CallOptions): Promise<Sandbox>;
  listSandboxes(options?: CallOptions): Promise<Sandbox[]>;
  deleteSandbox(sandboxId: string, options?: CallOptions): Promise<void>;
}

// ---------------------------------------------------------------- mock server

export interface MockOptions {
  /** Default `header`. */
  routeMode?: RouteMode;
  /** Accept `X-OpenSandbox-User/Team/Roles` as the caller (default false). */
  trustedHeaders?: boolean;
}

/** Faults for the next API requests; they replace the pending ones. */
export type FaultOptions = NativeFaultOptions;
export type RequestRecord = RequestRecordData;

/** The in-process mock platform (SPEC §4): lifecycle and keys API, and a verifying gateway. */
export declare class MockServer {
  private constructor();
  /** Binds 127.0.0.1 on free ports. Throws {@link InvalidConfig}. */
  static start(options?: MockOptions): MockServer;
  /** `http://127.0.0.1:PORT` */
  readonly apiUrl: string;
  readonly gatewayUrl: string;
  /** `127.0.0.1:PORT`: a client's `domain`. */
  readonly domain: string;
  /** The static admin key (role `service_admin`). */
  readonly adminKey: Secret;
  /** The signing keys, as a flag string for {@link SigningKeys.fromFlag}. */
  readonly signingKeys: Secret;
  readonly routeMode: RouteMode;
  /** Base domain of wildcard hosts (`localhost`). */
  readonly baseDomain: string;
  /** The mock clock, Unix seconds. */
  now(): Seconds;
  setNow(now: Seconds): void;
  /** Moves the mock clock (negative goes back). */
  advance(seconds: number): void;
  setFaults(faults: FaultOptions): void;
  clearFaults(): void;
  /** Forgets sandboxes, keys, faults, logged requests and the clock offset. */
  reset(): void;
  /** API requests received so far, oldest first (status 0 = dropped by a fault). */
  requests(): RequestRecord[];
  stop(): void;
}
