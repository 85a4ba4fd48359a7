// The API every language shares (ARCHITECTURE.md, "Same API everywhere"): bare `message` and
// full `toString()`, `expose()` and a Secret wherever a key is taken, complete retry options,
// string key ids, verify/verifyHost/verifyPath with an optional now, `throwIfDenied()`, and
// plain values with no `close()`.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import {
  AccessDecision,
  AccessDenied,
  ApiError,
  CancelledError,
  Client,
  InvalidArgument,
  InvalidConfig,
  MockServer,
  RouteSigner,
  RouteVerifier,
  SigningKeys,
  generateApiKey,
} from 'sandgate';
import { loadCases, seconds } from './support.mjs';

const KEYS = SigningKeys.fromFlag('a=bXktdGVzdC1zZWNyZXQ=,b=b3RoZXItc2VjcmV0');
const now = () => Math.floor(Date.now() / 1000);

describe('api', () => {
  let mock;
  let admin;
  before(() => {
    mock = MockServer.start({ trustedHeaders: true });
    admin = new Client({ domain: mock.domain, apiKey: mock.adminKey, retries: false });
  });
  after(() => mock.stop());

  test('api: an API error has the bare message, and the full line as toString()', async () => {
    const e = await admin.getSandbox('nope').then(() => null, (err) => err);
    assert.ok(e instanceof ApiError);
    assert.equal(e.status, 404);
    assert.ok(e.code && e.requestId, 'code and request id are set');
    assert.ok(!e.message.includes('API error') && !e.message.includes(e.requestId), e.message);
    assert.equal(String(e), `API error 404 ${e.code}: ${e.message} (request id ${e.requestId})`);
    assert.equal(`${e}`, e.toString());
    assert.ok(e.stack.startsWith(`ApiError: ${e.message}`));
  });

  test("api: the package's own argument errors are shown as core shows them", async () => {
    const signer = new RouteSigner(KEYS, 'a');
    const e = (() => { try { signer.sign('sbx', '80', 1); } catch (err) { return err; } })();
    assert.ok(e instanceof InvalidArgument);
    assert.equal(e.message, 'port must be a number, got string');
    assert.equal(String(e), 'invalid argument: port must be a number, got string');
    const c = (() => { try { return new Client({ retries: { maxRetries: 1.5 } }); } catch (err) { return err; } })();
    assert.ok(c instanceof InvalidConfig);
    assert.equal(String(c), `invalid config: ${c.message}`);
    const user = new InvalidArgument('made by hand');
    assert.equal(user.message, 'made by hand');
    assert.equal(user.kind, 'invalid_argument');
    assert.equal(String(user), 'InvalidArgument: made by hand');
  });

  test('api: a denial has the bare message; toString() names the reason', () => {
    const token = new RouteSigner(KEYS, 'a').sign('sbx-001', 8080, 2000000000).token;
    const e = (() => { try { new RouteVerifier(KEYS).verify(token, 2000000001); } catch (err) { return err; } })();
    assert.ok(e instanceof AccessDenied);
    assert.equal(String(e), `access denied (expired): ${e.message}`);
    assert.ok(!e.message.startsWith('access denied'), e.message);
  });

  test('api: a cancelled call carries core\'s one cancel message', async () => {
    const controller = new AbortController();
    controller.abort();
    const e = await admin.listSandboxes({ signal: controller.signal }).then(() => null, (err) => err);
    assert.ok(e instanceof CancelledError);
    assert.equal(e.message, 'the operation was cancelled');
    assert.equal(String(e), 'cancelled: the operation was cancelled');
  });

  test('api: a secret is read with expose(), and taken wherever a key is', () => {
    const g = generateApiKey();
    assert.equal(typeof g.key.expose, 'function');
    assert.equal(g.key.reveal, undefined, 'one accessor: expose()');
    const raw = g.key.expose();
    const verifier = new RouteVerifier(KEYS);
    // The sandbox access token as a Secret: the header must carry its value.
    const ok = verifier.decide({ ingressTo: 'sbx-80', secureAccess: raw }, g.key, 0);
    assert.equal(ok.allowed, true, `${ok.reason}: ${ok.detail}`);
    assert.equal(ok.grant, 'header');
    const bad = verifier.decide({ ingressTo: 'sbx-80', secureAccess: `${raw}x` }, g.key, 0);
    assert.deepEqual([bad.allowed, bad.reason], [false, 'header_mismatch']);
    assert.deepEqual(verifier.decide({ ingressTo: 'sbx-80', secureAccess: raw }, raw, 0), ok);
    assert.throws(() => verifier.decide({ ingressTo: 'sbx-80' }, 42, 0), /accessToken must be a string or Secret/);
    // A Secret flag string builds the same keys as its value.
    assert.deepEqual(SigningKeys.fromFlag(mock.signingKeys).keyIds, SigningKeys.fromFlag(mock.signingKeys.expose()).keyIds);
  });

  test('api: retries take maxRetries, initialBackoffMs and maxBackoffMs', async () => {
    const listWith = async (retries, failNext) => {
      mock.reset();
      mock.setFaults({ failNext, status: 503, retryAfter: 0 });
      const client = new Client({ domain: mock.domain, apiKey: mock.adminKey, retries });
      const outcome = await client.listSandboxes().then(() => 'ok', (e) => e);
      mock.clearFaults();
      return [outcome, mock.requests().length];
    };
    const fast = { initialBackoffMs: 1, maxBackoffMs: 5 };
    assert.deepEqual(await listWith({ maxRetries: 3, ...fast }, 3), ['ok', 4]);
    const [failed, sent] = await listWith({ maxRetries: 2, ...fast }, 3);
    assert.ok(failed instanceof ApiError && failed.status === 503, String(failed));
    assert.equal(sent, 3, 'the first attempt and two retries');
    for (const off of [false, { maxRetries: 0 }]) {
      const [e, n] = await listWith(off, 1);
      assert.ok(e instanceof ApiError, `${JSON.stringify(off)}: ${e}`);
      assert.equal(n, 1, `${JSON.stringify(off)} sends once`);
    }
    assert.deepEqual(await listWith(true, 1), ['ok', 2], 'true keeps the default retries');
    assert.deepEqual(await listWith(undefined, 3), ['ok', 4], 'the default is 3 retries');
  });

  test('api: a key id is a one-character string everywhere', async () => {
    const signer = new RouteSigner(KEYS, 'b');
    assert.equal(signer.keyId, 'b');
    const route = signer.sign('sbx-001', 8080, 2000000000);
    assert.equal(route.keyId, 'b');
    assert.equal(new RouteVerifier(KEYS).verify(route.token, 1).keyId, 'b');
    assert.deepEqual(KEYS.keyIds, ['a', 'b']);
    const sb = await admin.createSandbox({ image: 'x' });
    const ep = await admin.getSignedEndpoint(sb.id, 80, { ttlSeconds: 60 });
    assert.equal(typeof ep.route.keyId, 'string');
    assert.equal(ep.route.keyId.length, 1);
  });

  test('api: verify, verifyHost and verifyPath read the same route from each form', () => {
    const verifier = new RouteVerifier(KEYS);
    for (const v of loadCases('vectors.json').signing) {
      const keys = SigningKeys.fromFlag(`${v.key_id}=${v.secret_b64}`);
      const route = new RouteSigner(keys, v.key_id).sign(v.sandbox_id, v.port, seconds(v.expires));
      const expected = { sandboxId: v.sandbox_id, port: v.port, expires: seconds(v.expires), keyId: v.key_id };
      const at = seconds(v.expires);
      const own = new RouteVerifier(keys);
      const otherKey = new RouteVerifier(SigningKeys.fromFlag(`${v.key_id === 'q' ? 'r' : 'q'}=Zm9vYmFy`));
      assert.deepEqual(own.verify(route.token, at), expected);
      assert.deepEqual(own.verifyHost(route.host('sandbox.example.com'), at), expected);
      assert.deepEqual(own.verifyHost(`https://${route.host('sandbox.example.com')}:8443`, at), expected);
      assert.deepEqual(own.verifyPath(route.uriPrefix, at), expected);
      assert.deepEqual(own.verifyPath(`${route.uriPrefix}/api/x?y=1`, at), expected);
      assert.throws(() => otherKey.verifyPath(route.uriPrefix, at), (e) => e instanceof AccessDenied && e.reason === 'unknown_key');
    }
    const route = new RouteSigner(KEYS, 'a').sign('sbx-001', 8080, 2000000000);
    const forms = [
      ['verify', route.token],
      ['verifyHost', route.host('example.com')],
      ['verifyPath', `${route.uriPrefix}/x`],
    ];
    for (const [method, input] of forms) {
      assert.throws(() => verifier[method](input, 2000000001), (e) => e instanceof AccessDenied && e.reason === 'expired', method);
      assert.throws(() => verifier[method](input.replace('8080', '8081'), 1), (e) => e.reason === 'bad_signature', method);
      assert.throws(() => verifier[method](42), (e) => e instanceof InvalidArgument, method);
      assert.throws(() => verifier[method](input, '1'), /now must be a number or bigint/, method);
    }
    assert.throws(() => verifier.verifyHost('noroute.example.com', 1), (e) => e.reason === 'malformed');
    assert.throws(() => verifier.verifyPath('/sbx-001/http', 1), (e) => e.reason === 'malformed');
    assert.throws(() => verifier.verifyPath('no-slash', 1), (e) => e.reason === 'malformed');
    // An unsigned route names a sandbox but proves nothing: verifying needs a signature.
    assert.throws(() => verifier.verifyHost('sbx-001-8080.example.com', 1), (e) => e.reason === 'credential_required');
    assert.throws(() => verifier.verifyPath('/sbx-001/8080', 1), (e) => e.reason === 'credential_required');
  });

  test('api: an omitted now is the system clock', () => {
    const signer = new RouteSigner(KEYS, 'a');
    const verifier = new RouteVerifier(KEYS);
    const live = signer.sign('sbx-001', 8080, now() + 3600);
    const dead = signer.sign('sbx-001', 8080, now() - 5);
    assert.equal(verifier.verify(live.token).sandboxId, 'sbx-001');
    assert.equal(verifier.verifyHost(live.host('example.com')).port, 8080);
    assert.equal(verifier.verifyPath(live.uriPrefix).port, 8080);
    for (const check of [() => verifier.verify(dead.token), () => verifier.verifyHost(dead.host('example.com')), () => verifier.verifyPath(dead.uriPrefix)]) {
      assert.throws(check, (e) => e instanceof AccessDenied && e.reason === 'expired');
    }
    assert.equal(verifier.decide({ ingressTo: live.token }, 'tok').allowed, true);
    assert.equal(verifier.decide({ ingressTo: dead.token }, 'tok').reason, 'expired');
  });

  test('api: decision.throwIfDenied() turns a denial into the AccessDenied that verify throws', () => {
    const verifier = new RouteVerifier(KEYS);
    const route = new RouteSigner(KEYS, 'a').sign('sbx-001', 8080, 2000000000);
    const allowed = verifier.decide({ ingressTo: route.token }, 'tok', 1);
    assert.ok(allowed instanceof AccessDecision);
    assert.equal(allowed.throwIfDenied(), allowed);
    assert.equal(allowed.throwIfDenied().route.port, 8080);
    for (const [token, at] of [[route.token, 2000000001], ['garbage', 1], [route.token.replace('8080', '8081'), 1]]) {
      const d = verifier.decide({ ingressTo: token }, 'tok', at);
      assert.equal(d.allowed, false);
      let thrown = null;
      try {
        d.throwIfDenied();
      } catch (e) {
        thrown = e;
      }
      assert.ok(thrown instanceof AccessDenied, String(thrown));
      assert.equal(thrown.reason, d.reason);
      assert.equal(thrown.status, d.status);
      assert.equal(thrown.message, d.detail);
      const fromVerify = (() => { try { verifier.verify(token, at); } catch (e) { return e; } })();
      assert.deepEqual([thrown.reason, thrown.message, String(thrown)], [fromVerify.reason, fromVerify.message, String(fromVerify)]);
    }
    const open = verifier.decide({ host: 'sbx-80.example.com', path: '/' }, null, 1);
    assert.equal(open.throwIfDenied().grant, 'open');
    const noCredential = verifier.decide({ host: 'sbx-80.example.com', path: '/' }, 'tok', 1);
    assert.throws(() => noCredential.throwIfDenied(), (e) => e instanceof AccessDenied && e.reason === 'credential_required');
  });

  test('api: decisions, routes and endpoints are plain data without close()', async () => {
    const verifier = new RouteVerifier(KEYS);
    const route = new RouteSigner(KEYS, 'a').sign('sbx-001', 8080, 2000000000);
    const d = verifier.decide({ ingressTo: route.token }, null, 1);
    assert.deepEqual(Object.keys(d), ['allowed', 'reason', 'status', 'detail', 'grant', 'route', 'path', 'query']);
    assert.deepEqual(JSON.parse(JSON.stringify(d)).route, { sandboxId: 'sbx-001', port: 8080, expires: 2000000000, keyId: 'a' });
    const sb = await admin.createSandbox({ image: 'x' });
    const ep = await admin.getEndpoint(sb.id, 80);
    for (const value of [d, route, verifier.verify(route.token, 1), ep, sb, generateApiKey()]) {
      for (const name of ['close', 'dispose', 'free']) assert.equal(value[name], undefined, `${name} on ${value.constructor.name}`);
    }
  });
});
