// sdk-tests/cases/errors.json: error kinds through the client, against a fresh mock per case;
// plus the error classes and argument errors of the JS surface.
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import * as sandgate from 'sandgate';
import { Client, MockServer, SandgateError, SigningKeys, RouteSigner } from 'sandgate';
import { closedPort, loadCases, seconds } from './support.mjs';

const CLASS_OF = {
  invalid_argument: sandgate.InvalidArgument,
  invalid_config: sandgate.InvalidConfig,
  access_denied: sandgate.AccessDenied,
  api: sandgate.ApiError,
  timeout: sandgate.TimeoutError,
  transport: sandgate.TransportError,
  decode: sandgate.DecodeError,
  cancelled: sandgate.CancelledError,
  internal: sandgate.InternalError,
};

async function clientFor(c, mock) {
  const opts = {};
  const cl = c.client ?? {};
  opts.domain = cl.closed_port ? `127.0.0.1:${await closedPort()}` : cl.domain ?? mock.domain;
  if (cl.protocol !== undefined) opts.protocol = cl.protocol;
  if (cl.timeout_ms !== undefined) opts.timeoutMs = cl.timeout_ms;
  if (cl.retry === false) opts.retries = false;
  if (c.as === 'admin') opts.apiKey = mock.adminKey;
  if (c.as === 'bad_key') opts.apiKey = 'osk_not_a_real_key';
  if (c.as === 'read_only_user' || c.as === 'operator_user') {
    opts.headers = {
      'X-OpenSandbox-User': 'errors-user',
      'X-OpenSandbox-Roles': c.as === 'read_only_user' ? 'read_only' : 'operator',
    };
  }
  return new Client(opts);
}

async function run(c, mock) {
  if (c.op === 'build_client') return clientFor(c, mock);
  const client = await clientFor(c, mock);
  const a = c.args ?? {};
  switch (c.op) {
    case 'get_sandbox':
      return client.getSandbox(a.sandbox_id);
    case 'get_endpoint':
      return client.getEndpoint(a.sandbox_id, a.port);
    case 'get_signed_endpoint':
      return client.getSignedEndpoint(a.sandbox_id, a.port, { expires: seconds(a.expires) });
    case 'create_sandbox':
      return client.createSandbox({ image: a.image });
    case 'list_sandboxes':
      return client.listSandboxes();
    case 'create_api_key':
      return client.createApiKey(a.expires_at === undefined ? {} : { expiresAt: seconds(a.expires_at) });
    case 'revoke_api_key':
      return client.revokeApiKey(a.key_id);
    case 'renew_sandbox':
      return client.renewSandbox(a.sandbox_id, 'ttl_seconds' in a ? { ttlSeconds: a.ttl_seconds } : { expires: seconds(a.expires) });
    default:
      throw new Error(`unknown op ${c.op}`);
  }
}

const FAULT_NAMES = {
  fail_next: 'failNext',
  status: 'status',
  retry_after: 'retryAfter',
  latency_ms: 'latencyMs',
  drop_next: 'dropNext',
  corrupt_next: 'corruptNext',
};

describe('errors', () => {
  for (const c of loadCases('errors.json').cases) {
    test(`errors: ${c.name}`, async () => {
      const mock = MockServer.start({ routeMode: 'header', trustedHeaders: true });
      try {
        if (c.fault) {
          mock.setFaults(Object.fromEntries(Object.entries(c.fault).map(([k, v]) => [FAULT_NAMES[k], v])));
        }
        let error = null;
        try {
          await run(c, mock);
        } catch (e) {
          error = e;
        }
        const e = c.expect;
        if (e.ok) {
          assert.equal(error, null, `unexpected ${error}`);
          return;
        }
        assert.ok(error instanceof SandgateError, `not a SandgateError: ${error}`);
        assert.equal(error.kind, e.kind, error.message);
        assert.ok(error instanceof CLASS_OF[e.kind], `${error.name} is not ${CLASS_OF[e.kind].name}`);
        assert.equal(error.name, CLASS_OF[e.kind].name);
        if ('status' in e) assert.equal(error.status, e.status);
        if ('code' in e) assert.equal(error.code, e.code);
        if (e.request_id) assert.ok(typeof error.requestId === 'string' && error.requestId.length > 0);
        if (e.no_request) assert.deepEqual(mock.requests(), []);
      } finally {
        mock.stop();
      }
    });
  }

  test('errors: every kind has its class, all SandgateError and Error', () => {
    for (const [kind, cls] of Object.entries(CLASS_OF)) {
      assert.equal(cls.kind, kind);
      assert.ok(cls.prototype instanceof SandgateError);
      assert.ok(SandgateError.prototype instanceof Error);
    }
  });

  test('errors: an access denial carries reason and status', () => {
    const keys = SigningKeys.fromFlag('a=bXktdGVzdC1zZWNyZXQ=');
    const token = new RouteSigner(keys, 'a').sign('sbx-001', 8080, 2000000000).token;
    const verifier = new sandgate.RouteVerifier(keys);
    assert.throws(
      () => verifier.verify(token, 2000000001),
      (e) =>
        e instanceof sandgate.AccessDenied &&
        e.reason === 'expired' &&
        e.status === 401 &&
        e.code === null &&
        e.requestId === null &&
        /expired/.test(e.message),
    );
    assert.throws(() => verifier.verify('nope'), (e) => e instanceof sandgate.AccessDenied && e.reason === 'malformed' && e.status === 400);
  });

  test('errors: wrong argument types are InvalidArgument naming the argument', async () => {
    const keys = SigningKeys.fromFlag('a=Zm9v');
    const signer = new RouteSigner(keys, 'a');
    const checks = [
      [() => signer.sign('sbx', '80', 1), /port must be a number, got string/],
      [() => signer.sign('sbx', 80.5, 1), /port must be a whole number/],
      [() => signer.sign('sbx', 70000, 1), /port must be in 1\.\.65535/],
      [() => signer.sign(42, 80, 1), /sandboxId must be a string/],
      [() => signer.sign('sbx', 80, '2000000000'), /expires must be a number or bigint/],
      [() => signer.sign('sbx', 80, 2 ** 53), /pass a bigint/],
      [() => signer.sign('sbx', 80, -1n), /bigint from 0 to 2\^64-1/],
      [() => signer.sign('sbx', 80, 2n ** 64n), /bigint from 0 to 2\^64-1/],
      [() => SigningKeys.fromFlag(null), /text must be a string or Secret/],
      [() => new RouteSigner({}, 'a'), /keys must be a SigningKeys/],
      [() => new sandgate.RouteVerifier(keys).decide({ ingressTo: 5 }), /ingressTo/],
      [() => new sandgate.RouteVerifier(keys).decide({ ingresTo: 'x-80' }), /unknown access request option "ingresTo"/],
      [() => sandgate.verifyApiKey('k', 'h', { expires: 1 }), /unknown verifyApiKey option "expires"/],
    ];
    for (const [fn, pattern] of checks) {
      assert.throws(fn, (e) => e instanceof sandgate.InvalidArgument && pattern.test(e.message), String(fn));
    }
    assert.throws(() => new RouteSigner(keys, 'ab'), (e) => e instanceof SandgateError && /exactly one character/.test(e.message) && !/"ab"/.test(e.message));
    const client = new Client({ domain: '127.0.0.1:9' });
    await assert.rejects(client.getEndpoint('sbx', '80'), (e) => e instanceof sandgate.InvalidArgument && /port/.test(e.message));
    await assert.rejects(client.getEndpoint('sbx', 80, { signal: 'x' }), /signal must be an AbortSignal/);
    await assert.rejects(client.getSignedEndpoint('sbx', 80, {}), /give exactly one of expires \(Unix seconds\) and ttl \(seconds\)/);
    await assert.rejects(client.getSignedEndpoint('sbx', 80, { expires: 1, ttlSeconds: 2 }), /exactly one/);
  });

  test('errors: a bad client option is InvalidConfig', () => {
    const checks = [
      [{ timeout: 5 }, /unknown client option "timeout"/],
      [{ timeoutMs: -1 }, /timeoutMs/],
      [{ timeoutMs: 0 }, /timeout_ms must be at least 1/],
      [{ retries: { maxAttempts: 0 } }, /unknown retries option "maxAttempts"/],
      [{ retries: { maxRetries: -1 } }, /retries\.maxRetries must be a whole number/],
      [{ retries: { initialBackoffMs: 9000, maxBackoffMs: 10 } }, /initial_backoff_ms \(9000 ms\) must not exceed max_backoff_ms \(10 ms\)/],
      [{ headers: { 'bad header': 'x' } }, /not a valid header name/],
      [{ apiKey: 'line\nbreak' }, /API key/],
    ];
    for (const [opts, pattern] of checks) {
      assert.throws(() => new Client(opts), (e) => e instanceof sandgate.InvalidConfig && pattern.test(e.message), JSON.stringify(opts));
    }
    assert.throws(() => MockServer.start({ routeMode: 'nope' }), (e) => e instanceof sandgate.InvalidConfig && /route mode/.test(e.message));
  });
});
