// How a TypeScript user writes against `sandgate` (ESM). Type-checked with
// `tsc --noEmit --strict` by client.test.mjs; never run. Lines marked @ts-expect-error must
// stay type errors: they check that the types are strict where they should be.
import {
  AccessDenied,
  ApiError,
  CancelledError,
  Client,
  Gateway,
  cacheDecision,
  retryDecision,
  MockServer,
  RouteSigner,
  RouteVerifier,
  SandgateError,
  Secret,
  SigningKeys,
  generateApiKey,
  hashApiKey,
  verifyApiKey,
} from 'sandgate';
import type {
  AccessDecision,
  EndpointKind,
  Freshness,
  GatewayRequest,
  GatewayVerdict,
  RetryDecision,
  RetryEvent,
  ApiKeyInfo,
  CreatedApiKey,
  DenyReason,
  Endpoint,
  ErrorKind,
  RouteInfo,
  Sandbox,
  SandboxRenewal,
  Seconds,
  SignedRoute,
} from 'sandgate';

export async function flow(signal: AbortSignal): Promise<number> {
  const mock: MockServer = MockServer.start({ routeMode: 'header', trustedHeaders: true });
  const admin = new Client({ domain: mock.domain, apiKey: mock.adminKey, timeoutMs: 5000, retries: false });
  const user = new Client({
    domain: mock.domain,
    headers: { 'X-OpenSandbox-User': 'ts', 'X-OpenSandbox-Roles': 'operator' },
    retries: { maxRetries: 1, initialBackoffMs: 10, maxBackoffMs: 100 },
  });
  const created: CreatedApiKey = await user.createApiKey({ name: 'ts', expiresAt: 4_000_000_000 }, { signal });
  const raw: string = created.key.expose();
  const withKey = new Client({ apiKey: created.key });
  const sb: Sandbox = await withKey.createSandbox({ image: 'python:3.11', secureAccess: true, metadata: { a: 'b' } });
  const owner: string | undefined = sb.metadata['access.owner'];
  const ep: Endpoint = await withKey.getSignedEndpoint(sb.id, 8080, { ttlSeconds: 60 }, { signal });
  const ep2: Endpoint = await withKey.getSignedEndpoint(sb.id, 8080, { expires: 4_000_000_000n });
  const renewed: SandboxRenewal = await withKey.renewSandbox(sb.id, { ttlSeconds: 3600 }, { signal });
  const renewedUntil: Seconds = (await withKey.renewSandbox(sb.id, { expires: 4_000_000_000n })).expires;
  const renewedAt: string = renewed.expiresAt;
  const route: RouteInfo | null = ep.route;
  const expires: Seconds | null = route?.expires ?? null;
  const res = await fetch(`${ep.url}/ping`, { headers: ep.headers });
  const keys: ApiKeyInfo[] = await withKey.listApiKeys();
  const list: Sandbox[] = await admin.listSandboxes();
  await user.revokeApiKey(keys[0].id);
  await admin.deleteSandbox(sb.id);
  const plain: Endpoint = await admin.getEndpoint(sb.id, 80);
  const secure: string | undefined = plain.headers['OpenSandbox-Secure-Access'];

  // Issue 18: endpoint modes, origin, shareable URLs, every retry knob, the hook, the cache.
  const events: RetryEvent[] = [];
  const tuned = new Client({
    domain: mock.domain,
    apiKey: mock.adminKey,
    retries: {
      maxRetries: 3, initialBackoffMs: 500, maxBackoffMs: 30_000, multiplier: 2, retryStatuses: [429, 502, 503],
      postRetryStatuses: [], attemptTimeoutMs: 10_000, deadlineMs: 60_000,
    },
    onRetry: (e) => { events.push(e); const late: boolean = e.cause.retryable && e.delayMs > 0 && e.attempt > 1; },
    cache: { enabled: true, maxEntries: 1024, ttlMs: 600_000, marginMs: 30_000 },
  });
  const noCache = new Client({ cache: false, retries: true });
  const proxy: Endpoint = await tuned.endpoint(sb.id, 8080, 'server_proxy', { signal });
  const direct: Endpoint = await tuned.endpoint(sb.id, 8080, 'direct');
  const signedTtl: Endpoint = await tuned.endpoint(sb.id, 8080, { ttlSeconds: 60 });
  const signedAt: Endpoint = await tuned.endpoint(sb.id, 8080, { expires: 4_000_000_000n });
  const kind: EndpointKind = signedTtl.kind;
  const origin: string | null = direct.origin;
  const shareable: string = signedAt.shareableUrl('/ping') + signedAt.shareableUrl();
  await tuned.pauseSandbox(sb.id, { signal });
  await tuned.resumeSandbox(sb.id);
  const decision18: RetryDecision = retryDecision({ maxRetries: 1 }, { method: 'GET', outcome: 'status', status: 503, attempt: 1 });
  const retryLater: boolean = decision18.verdict === 'retry' && decision18.minDelayMs <= decision18.maxDelayMs;
  const fresh: Freshness = cacheDecision({ marginMs: 0 }, { signedExpires: 2_000_000_000, fetchedAtMs: 0, nowMs: 1 });
  const until: number | bigint = fresh.untilMs;
  try {
    await tuned.listSandboxes();
  } catch (e) {
    if (e instanceof SandgateError && e.retryable) {
      const wait: number | null = e.retryAfterMs;
    }
  }

  // Issues 20 and 21: the gateway, its middleware, live key rotation.
  const gateway = new Gateway({ routeMode: 'header', keys: SigningKeys.fromFlag(mock.signingKeys), policy: { sandboxes: {} }, now: 1 });
  const signatureOnly = new Gateway({ routeMode: 'uri', keys: SigningKeys.fromFlag('a=Zm9v'), policy: null });
  const fromFile = (path: string) => new Gateway({ routeMode: 'wildcard', keys: SigningKeys.fromFlag('a=Zm9v'), policyFile: path });
  const verdict: GatewayVerdict = gateway.check('/ping', [['Host', 'example.com'], ['OpenSandbox-Ingress-To', 'sbx-80']]);
  const verdict2: GatewayVerdict = gateway.check('/ping', { host: 'example.com' });
  const verdict3: GatewayVerdict = gateway.check('/ping', ['Host', 'example.com']);
  const upstream: string | null = verdict.upstreamTarget;
  const mw = gateway.middleware();
  const listener = gateway.wrap((req: GatewayRequest, res) => {
    res.end(req.sandgate?.route?.sandboxId ?? '');
  });
  gateway.replaceKeys(SigningKeys.fromFlag('b=Zm9v').withActive('b'));
  new RouteVerifier(SigningKeys.fromFlag('a=Zm9v')).replaceKeys(SigningKeys.fromFlag('b=Zm9v'));
  mock.setSigningKeys(SigningKeys.fromFlag('a=Zm9v,b=YmFy').withActive('b'));
  MockServer.start({ endpointOrigin: 'https://sandboxes.example.com' }).stop();

  const signingKeys = SigningKeys.fromFlag(mock.signingKeys);
  const fromToml: SigningKeys = SigningKeys.fromToml('[ingress.secure_access]\n');
  const fromEnv: SigningKeys | null = SigningKeys.fromEnv({ OPENSANDBOX_SECURE_ACCESS_KEYS: 'a=Zm9v', OPENSANDBOX_SECURE_ACCESS_ACTIVE_KEY: 'a' });
  const fromProcess: SigningKeys | null = SigningKeys.fromEnv();
  const ids: string[] = signingKeys.keyIds;
  const active: string | null = fromToml.activeKeyId;
  const signer = new RouteSigner(signingKeys, 'a');
  const signed: SignedRoute = signer.sign('sbx-001', 8080, 2_000_000_000);
  const host: string = signed.host('example.com');
  const verifier = new RouteVerifier(signingKeys);
  const info: RouteInfo = verifier.verify(signed.token, mock.now());
  const decision: AccessDecision = verifier.decide({ ingressTo: signed.token, secureAccess: '' }, 'tok', 1n);
  const reason: DenyReason | null = decision.reason;
  if (decision.grant === 'signature') {
    const port: number | undefined = decision.route?.port;
  }

  const g = generateApiKey('osk_');
  const hash: string = hashApiKey(g.key);
  const ok: boolean = verifyApiKey(raw, hash, { expiresAt: '2030-01-01T00:00:00Z', revoked: false, now: 0 });

  try {
    await admin.getSandbox('nope', { signal });
  } catch (e) {
    if (e instanceof ApiError) {
      const status: number = e.status;
      const code: string | null = e.code;
      const requestId: string | null = e.requestId;
    } else if (e instanceof AccessDenied) {
      const why: DenyReason = e.reason;
    } else if (e instanceof CancelledError) {
      const kind: 'cancelled' = e.kind;
    } else if (e instanceof SandgateError) {
      const kind: ErrorKind = e.kind;
      switch (e.kind) {
        case 'timeout':
        case 'transport':
          break;
        default:
          break;
      }
    }
  }

  mock.setFaults({ failNext: 1, status: 503, retryAfter: 0, latencyMs: 10 });
  mock.clearFaults();
  mock.advance(60);
  mock.setNow(2_000_000_000);
  const now: Seconds = mock.now();
  const requests = mock.requests().map((r) => `${r.method} ${r.path} ${r.status} ${r.userAgent ?? ''}`);
  mock.reset();
  mock.stop();

  // @ts-expect-error: a Secret is not made by users
  new Secret();
  // @ts-expect-error: SigningKeys come from fromFlag/fromToml
  new SigningKeys();
  // @ts-expect-error: expires and ttlSeconds together
  await admin.getSignedEndpoint('x', 80, { expires: 1, ttlSeconds: 2 });
  // @ts-expect-error: a renewal needs its new expiry
  await admin.renewSandbox('x');
  // @ts-expect-error: a port is a number
  signer.sign('x', '80', 1);
  // @ts-expect-error: no such route mode
  MockServer.start({ routeMode: 'host-header' });
  // @ts-expect-error: a mode is one explicit choice
  await admin.endpoint('x', 80, 'signed');
  // @ts-expect-error: a gateway needs its keys
  new Gateway({ routeMode: 'header' });
  // @ts-expect-error: a secret is not a string
  const leaked: string = created.key;

  return res.status + list.length + ids.length + requests.length + Number(now) + (ok ? 1 : 0) +
    [owner, expires, ep2, secure, active, host, info, reason, noCache, proxy, kind, origin, shareable, retryLater, until,
      signatureOnly, fromFile, verdict2, verdict3, upstream, mw, listener].length;
}
