// The client against the in-process mock: every operation, the flow through the gateway
// with fetch, aborting a call in flight, 200 concurrent calls; how secrets print; the CJS and
// ESM entry points; and the TypeScript check of a usage file.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { inspect } from 'node:util';
import * as esm from 'sandgate';
import {
  ApiError,
  CancelledError,
  Client,
  Endpoint,
  MockServer,
  RouteVerifier,
  Secret,
  SigningKeys,
  generateApiKey,
} from 'sandgate';
import { sleep } from './support.mjs';

const HERE = dirname(fileURLToPath(import.meta.url));

describe('client', () => {
  let mock;
  let admin;
  before(() => {
    mock = MockServer.start({ trustedHeaders: true });
    admin = new Client({ domain: mock.domain, apiKey: mock.adminKey, retries: false });
  });
  after(() => mock.stop());

  test('client: every operation against the mock', async () => {
    const user = new Client({
      domain: mock.domain,
      headers: { 'X-OpenSandbox-User': 'ops-user', 'X-OpenSandbox-Roles': 'operator' },
    });
    const created = await user.createApiKey({ name: 'ops', expiresAt: Math.floor(Date.now() / 1000) + 3600 });
    assert.equal(created.name, 'ops');
    assert.match(created.expiresAt, /^\d{4}-\d\d-\d\dT/);
    const withKey = new Client({ domain: mock.domain, apiKey: created.key });

    const sb = await withKey.createSandbox({
      image: 'node:20',
      secureAccess: true,
      metadata: { team: 'a' },
      timeoutSeconds: 600,
    });
    assert.equal(sb.image, 'node:20');
    assert.equal(sb.secureAccess, true);
    assert.equal(sb.metadata.team, 'a');
    assert.equal(sb.metadata['access.owner'], 'ops-user');
    assert.deepEqual(await withKey.getSandbox(sb.id), sb);
    assert.deepEqual((await withKey.listSandboxes()).map((s) => s.id), [sb.id]);

    const plain = await withKey.getEndpoint(sb.id, 8080);
    assert.ok(plain instanceof Endpoint);
    assert.equal(plain.route, null);
    assert.equal(plain.url, `http://${plain.endpoint}`);

    const expires = Number(mock.now()) + 120;
    const signed = await withKey.getSignedEndpoint(sb.id, 8080, { expires });
    assert.deepEqual(signed.route, { sandboxId: sb.id, port: 8080, expires, keyId: 'a' });
    const byTtl = await withKey.getSignedEndpoint(sb.id, 9000, { ttlSeconds: 30 });
    assert.equal(byTtl.route.port, 9000);

    const keys = await withKey.listApiKeys();
    assert.deepEqual(keys.map((k) => [k.id, k.name, k.prefix, k.revoked]), [[created.id, 'ops', created.prefix, false]]);
    assert.equal(typeof keys[0].createdAt, 'string');

    await withKey.deleteSandbox(sb.id);
    await assert.rejects(withKey.getSandbox(sb.id), (e) => e instanceof ApiError && e.status === 404);
    assert.equal(await user.revokeApiKey(created.id), undefined);
    await assert.rejects(withKey.listSandboxes(), (e) => e instanceof ApiError && e.code === 'INVALID_API_KEY');
    assert.equal((await user.listApiKeys())[0].revoked, true);
  });


  test('client: renewSandbox moves the expiry, to an instant or a TTL', async () => {
    const sb = await admin.createSandbox({ image: 'node:20', timeoutSeconds: 600 });
    const until = Math.floor(Date.now() / 1000) + 7200;
    const renewed = await admin.renewSandbox(sb.id, { expires: until });
    assert.equal(renewed.expires, until);
    assert.notEqual(renewed.expiresAt, sb.expiresAt);
    assert.equal((await admin.getSandbox(sb.id)).expiresAt, renewed.expiresAt);
    const byTtl = await admin.renewSandbox(sb.id, { ttlSeconds: 86400 });
    assert.ok(Math.abs(byTtl.expires - (Math.floor(Date.now() / 1000) + 86400)) <= 2);
    assert.equal((await admin.getSandbox(sb.id)).expiresAt, byTtl.expiresAt);
    await assert.rejects(admin.renewSandbox('does-not-exist', { ttlSeconds: 60 }),
      (e) => e instanceof ApiError && e.status === 404 && e.code === 'SANDBOX::NOT_FOUND');
    // A bad expiry is refused before any request.
    const sent = mock.requests().length;
    for (const bad of [{}, { expires: until, ttlSeconds: 60 }, { ttlSeconds: 0 }, { expires: 1000 }, { expires: -1 }, { ttl: 60 }]) {
      await assert.rejects(admin.renewSandbox(sb.id, bad), (e) => e.kind === 'invalid_argument', JSON.stringify(bad));
    }
    await assert.rejects(admin.renewSandbox(sb.id), (e) => e.kind === 'invalid_argument');
    assert.equal(mock.requests().length, sent);
  });
  test('client: the user agent names node', async () => {
    mock.reset();
    await admin.listSandboxes();
    assert.match(admin.userAgent, /^sandgate\/\S+ \(node\)$/);
    assert.deepEqual(mock.requests().map((r) => r.userAgent), [admin.userAgent]);
    assert.equal(admin.baseUrl, `http://${mock.domain}`);
  });

  test('client: end to end through the gateway with fetch', async () => {
    const sb = await admin.createSandbox({ image: 'python:3.11', secureAccess: true });
    const ep = await admin.getSignedEndpoint(sb.id, 8080, { ttlSeconds: 60 });
    const ok = await fetch(`${ep.url}/ping?from=node`, { headers: ep.headers });
    assert.equal(ok.status, 200);
    const echo = await ok.json();
    assert.deepEqual([echo.sandbox_id, echo.port, echo.path, echo.query], [sb.id, 8080, '/ping', 'from=node']);
    assert.equal(echo.headers['opensandbox-ingress-to'], undefined, 'the gateway strips the route header');

    const verifier = new RouteVerifier(SigningKeys.fromFlag(mock.signingKeys));
    const info = verifier.verify(ep.headers['OpenSandbox-Ingress-To'], mock.now());
    assert.equal(info.sandboxId, sb.id);

    mock.advance(61);
    const late = await fetch(`${ep.url}/ping`, { headers: ep.headers });
    assert.equal(late.status, 401);
    assert.equal(late.headers.get('x-sandgate-reason'), 'expired');
    assert.throws(() => verifier.verify(ep.headers['OpenSandbox-Ingress-To'], mock.now()), /expired/);
    mock.advance(-61);
  });

  test('client: aborting a call in flight cancels its request in Rust', async () => {
    mock.reset();
    mock.setFaults({ latencyMs: 1500 });
    const controller = new AbortController();
    const call = admin.listSandboxes({ signal: controller.signal });
    await sleep(200); // the request is now waiting in the mock
    controller.abort(new Error('user gave up'));
    await assert.rejects(call, (e) => {
      assert.ok(e instanceof CancelledError, `${e.name}: ${e.message}`);
      assert.equal(e.kind, 'cancelled');
      assert.equal(e.cause.message, 'user gave up');
      return true;
    });
    // A request that still ran would be answered when its latency ends; a cancelled one closed
    // its connection, and the mock dropped it: logged on arrival, never answered (status 0).
    // The next call on the same client is answered.
    await sleep(1700);
    const next = admin.listSandboxes();
    assert.ok(Array.isArray(await next));
    mock.clearFaults();
    const log = mock.requests().map((r) => [r.method, r.path, r.status]);
    assert.deepEqual(log.filter(([, , status]) => status !== 0), [['GET', '/v1/sandboxes', 200]]);
    assert.ok(log.length <= 2 && log.slice(0, -1).every(([, , status]) => status === 0), JSON.stringify(log));
  });

  test('client: an already aborted signal rejects without sending', async () => {
    mock.reset();
    const controller = new AbortController();
    controller.abort();
    await assert.rejects(admin.createSandbox({ image: 'x' }, { signal: controller.signal }), CancelledError);
    assert.deepEqual(mock.requests(), []);
    // A signal that never fires changes nothing, and its listener is removed afterwards.
    const idle = new AbortController();
    assert.equal((await admin.listSandboxes({ signal: idle.signal })).length, 0);
    idle.abort();
  });

  test('client: 200 concurrent calls', async () => {
    mock.reset();
    const sb = await admin.createSandbox({ image: 'python:3.11' });
    const results = await Promise.all(
      Array.from({ length: 200 }, (_, i) => (i % 2 ? admin.getSandbox(sb.id) : admin.getEndpoint(sb.id, 1000 + i))),
    );
    assert.equal(results.length, 200);
    results.forEach((r, i) => {
      if (i % 2) assert.equal(r.id, sb.id);
      else assert.equal(r.headers['OpenSandbox-Ingress-To'], `${sb.id}-${1000 + i}`);
    });
    assert.equal(mock.requests().filter((r) => r.status === 200).length, 200);
  });

  test('client: secrets print *** (created key, admin key, access token)', async () => {
    const user = new Client({ domain: mock.domain, headers: { 'X-OpenSandbox-User': 'p', 'X-OpenSandbox-Roles': 'operator' } });
    const created = await user.createApiKey({ name: 'print' });
    const raw = created.key.expose();
    assert.ok(raw.startsWith('osk_') && raw.length === 47);
    const adminRaw = mock.adminKey.expose();
    const sb = await admin.createSandbox({ image: 'x', secureAccess: true });
    const ep = await admin.getEndpoint(sb.id, 80);
    const token = ep.headers['OpenSandbox-Secure-Access'];
    assert.ok(token.length > 20, 'the header value is there to send');
    const keysFlag = mock.signingKeys.expose();

    for (const [value, secret] of [
      [created, raw],
      [created.key, raw],
      [mock, adminRaw],
      [mock.adminKey, adminRaw],
      [mock.signingKeys, keysFlag],
      [ep, token],
      [ep.headers, token],
      [generateApiKey(), null],
      [new Client({ domain: mock.domain, apiKey: mock.adminKey }), adminRaw],
    ]) {
      for (const shown of [inspect(value, { depth: 5 }), String(value), `${value}`, JSON.stringify(value)]) {
        if (secret) assert.ok(!shown.includes(secret), `leaked in ${shown}`);
      }
    }
    assert.equal(String(created.key), '***');
    assert.equal(`${created.key}`, '***');
    assert.equal(JSON.stringify(created.key), '"***"');
    assert.equal(inspect(created.key), '***');
    assert.equal(JSON.parse(JSON.stringify(created)).key, '***');
    assert.equal(JSON.parse(JSON.stringify(ep)).headers['OpenSandbox-Secure-Access'], '***');
    assert.match(inspect(ep), /'OpenSandbox-Secure-Access': '\*\*\*'/);
    assert.match(inspect(mock), /adminKey: \*\*\*/);
    assert.ok(created.key instanceof Secret);
    // The header values still go out as they are: sending them is what they are for.
    const r = await fetch(`${ep.url}/ping`, { headers: ep.headers });
    assert.equal(r.status, 200);
  });
});

describe('client packaging', () => {
  test('client: CommonJS require and ESM import give the same package', () => {
    const require = createRequire(import.meta.url);
    const cjs = require('sandgate');
    for (const name of Object.keys(cjs)) assert.equal(esm[name], cjs[name], name);
    assert.deepEqual(Object.keys(esm).filter((k) => k !== 'default').sort(), Object.keys(cjs).sort());
    assert.equal(esm.default, cjs);
  });

  test('client: TypeScript usage type-checks with tsc --noEmit --strict', () => {
    const tsc = process.env.SANDGATE_TSC;
    assert.ok(tsc, 'SANDGATE_TSC (the tsc to use) is set by test.sh');
    try {
      execFileSync(process.execPath, [tsc, '-p', join(HERE, 'tsconfig.json'), '--noEmit', '--strict'], {
        encoding: 'utf8',
        stdio: 'pipe',
      });
    } catch (e) {
      assert.fail(`tsc reported:\n${e.stdout}${e.stderr}`);
    }
  });

  test('client: the shipped native.d.ts is the one napi-rs generates from the Rust code', () => {
    const generated = process.env.SANDGATE_GENERATED_DTS;
    assert.ok(generated, 'SANDGATE_GENERATED_DTS (the freshly generated d.ts) is set by test.sh');
    const require = createRequire(import.meta.url);
    const shipped = join(dirname(require.resolve('sandgate')), 'native.d.ts');
    assert.equal(
      readFileSync(shipped, 'utf8'),
      readFileSync(generated, 'utf8'),
      'bindings/node/native.d.ts is stale: run `npm run build` in bindings/node and commit it',
    );
  });
});
