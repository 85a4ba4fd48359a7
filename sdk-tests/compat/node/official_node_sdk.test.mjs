// The official OpenSandbox JavaScript SDK (npm `@alibaba-group/opensandbox`, pinned in
// package.json) against `sandgate mock`, with no workaround: everything the SDK does short of
// talking to a real in-sandbox daemon. The SDK's readiness probe (`GET /ping` on the execd
// port) is answered by the mock's built-in sandbox app.
import { test, describe, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { createInterface } from 'node:readline';
import dns from 'node:dns';
import http from 'node:http';
import {
  ConnectionConfig,
  Sandbox,
  SandboxApiException,
  SandboxManager,
} from '@alibaba-group/opensandbox';

// Wildcard mode: where `*.localhost` does not resolve, resolve it to the loopback address
// in-process (what systemd-resolved and browsers do); the Host header stays the endpoint's.
const systemLookup = dns.lookup;
dns.lookup = (host, opts, cb) => {
  if (typeof opts === 'function') [cb, opts] = [opts, {}];
  if (typeof host === 'string' && host.endsWith('.localhost')) {
    return opts && opts.all ? cb(null, [{ address: '127.0.0.1', family: 4 }]) : cb(null, '127.0.0.1', 4);
  }
  return systemLookup(host, opts, cb);
};

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;
const SECURE = 'OpenSandbox-Secure-Access';
const INGRESS = 'OpenSandbox-Ingress-To';

async function startMock(mode) {
  const bin = process.env.SANDGATE_BIN;
  assert.ok(bin, 'SANDGATE_BIN must name the sandgate binary (run.sh sets it)');
  const proc = spawn(bin, ['mock', '--route-mode', mode], { stdio: ['ignore', 'pipe', 'inherit'] });
  const line = await new Promise((resolve, reject) => {
    const rl = createInterface({ input: proc.stdout });
    rl.once('line', (l) => { rl.close(); resolve(l); });
    proc.once('exit', (code) => reject(new Error(`sandgate mock exited ${code}`)));
  });
  const info = JSON.parse(line);
  const domain = info.api_url.replace('http://', '');
  const admin = async (method, path, body) => {
    const r = await fetch(info.api_url + path, {
      method,
      headers: { 'OPEN-SANDBOX-API-KEY': info.admin_key, 'content-type': 'application/json' },
      body: body === undefined ? undefined : JSON.stringify(body),
    });
    return r.json();
  };
  return {
    mode,
    domain,
    adminKey: info.admin_key,
    config: (extra = {}) => new ConnectionConfig({ domain, apiKey: info.admin_key, requestTimeoutSeconds: 10, ...extra }),
    now: async () => (await admin('GET', '/_mock/clock')).now,
    advance: async (s) => (await admin('POST', '/_mock/clock', { advance: s })).now,
    admin,
    stop: () => new Promise((resolve) => { proc.once('exit', resolve); proc.kill('SIGTERM'); }),
  };
}

/** GET `path` on an SDK endpoint with the headers it came with. */
function get(endpoint, path = '/ping', headers = endpoint.headers ?? {}) {
  const url = new URL('http://' + endpoint.endpoint + path);
  return new Promise((resolve, reject) => {
    const req = http.request({
      host: url.hostname.endsWith('.localhost') ? '127.0.0.1' : url.hostname,
      port: url.port,
      path: url.pathname + url.search,
      headers: { ...headers, host: url.host },
    }, (res) => {
      let body = '';
      res.on('data', (c) => { body += c; });
      res.on('end', () => resolve({ status: res.statusCode, headers: res.headers, body }));
    });
    req.on('error', reject);
    req.end();
  });
}

function tampered(endpoint) {
  const e = endpoint.endpoint;
  const route = endpoint.headers?.[INGRESS] ?? (e.includes('/') ? e.slice(e.lastIndexOf('/') + 1) : e.split('.')[0]);
  const sig = route.slice(-9);
  const bad = sig.slice(0, 7) + (sig[7] === '1' ? '0' : '1') + sig[8];
  const headers = Object.fromEntries(Object.entries(endpoint.headers ?? {}).map(([k, v]) => [k, v.replace(sig, bad)]));
  return { endpoint: e.replace(sig, bad), headers };
}

async function create(mock, opts = {}) {
  return Sandbox.create({
    image: 'python:3.11',
    connectionConfig: opts.connectionConfig ?? mock.config(),
    readyTimeoutSeconds: 15,
    ...opts,
  });
}

for (const mode of ['header', 'uri', 'wildcard']) {
  describe(`official JS SDK, ${mode} mode`, () => {
    let mock;
    before(async () => { mock = await startMock(mode); });
    after(async () => { await mock.stop(); });

    test(`js scenario: secure sandbox, info, signed endpoint, ping, tamper, expire (${mode})`, async () => {
      const sb = await create(mock, { secureAccess: true, metadata: { team: 'compat' } });
      try {
        assert.match(sb.id, UUID);
        const info = await sb.getInfo();
        assert.equal(info.id, sb.id);
        assert.equal(info.status.state, 'Running');
        assert.equal(info.metadata.team, 'compat');
        assert.deepEqual(info.entrypoint, ['tail', '-f', '/dev/null']);
        assert.ok(info.expiresAt > info.createdAt);

        const ep = await sb.getSignedEndpoint(8080, (await mock.now()) + 300);
        assert.equal(ep.headers?.[SECURE], undefined);
        let r = await get(ep);
        assert.equal(r.status, 200, r.body);
        const echo = JSON.parse(r.body);
        assert.deepEqual([echo.sandbox_id, echo.port, echo.path], [sb.id, 8080, '/ping']);

        r = await get(tampered(ep), '/ping', tampered(ep).headers);
        assert.equal(r.status, 401);
        assert.ok(r.body.startsWith('OpenSandbox Ingress: '), r.body);

        await mock.advance(301);
        try {
          r = await get(ep);
          assert.equal(r.status, 401);
          assert.equal(r.headers['x-sandgate-reason'], 'expired');
        } finally {
          await mock.advance(-301);
        }
      } finally {
        await sb.kill();
        await sb.close();
      }
    });

    test(`js access: unsigned endpoint needs the access header (${mode})`, async () => {
      const sb = await create(mock, { secureAccess: true });
      try {
        const ep = await sb.getEndpoint(8080);
        assert.ok(ep.headers?.[SECURE]);
        assert.equal((await get(ep)).status, 200);
        const without = { ...ep.headers };
        delete without[SECURE];
        const r = await get(ep, '/ping', without);
        assert.equal(r.status, 401);
        assert.equal(r.headers['x-sandgate-reason'], 'credential_required');
      } finally {
        await sb.kill();
        await sb.close();
      }
    });

    test(`js lifecycle: list, renew, pause, resume, kill (${mode})`, async () => {
      const manager = SandboxManager.create({ connectionConfig: mock.config() });
      const tag = `run${Date.now()}`;
      const boxes = [];
      try {
        for (let i = 0; i < 3; i++) boxes.push(await create(mock, { metadata: { batch: tag, n: String(i) } }));
        const page = await manager.listSandboxInfos({ states: ['Running'], metadata: { batch: tag }, pageSize: 2, page: 1 });
        assert.deepEqual(page.items.map((s) => s.id), boxes.slice(0, 2).map((b) => b.id));
        assert.equal(page.pagination.totalItems, 3);
        assert.equal(page.pagination.hasNextPage, true);

        const sb = boxes[0];
        const renewed = await sb.renew(7200);
        const want = Date.now() + 7200 * 1000;
        assert.ok(Math.abs(new Date(renewed.expiresAt).getTime() - want) < 60_000);

        await sb.pause();
        assert.equal((await sb.getInfo()).status.state, 'Paused');
        const r = await get(await sb.getEndpoint(8080));
        assert.equal(r.status, 503);
        assert.equal(r.headers['retry-after'], '1');
        // The resumed handle shares the sandbox's connection config.
        const resumed = await sb.resume({ readyTimeoutSeconds: 15 });
        assert.equal((await resumed.getInfo()).status.state, 'Running');
        assert.equal(await resumed.isHealthy(), true);
        await manager.pauseSandbox(boxes[1].id);
        await manager.resumeSandbox(boxes[1].id);
        await manager.renewSandbox(boxes[1].id, 3600);

        await resumed.kill();
        await assert.rejects(sb.getInfo(), (e) => e instanceof SandboxApiException && e.statusCode === 404);
        await manager.killSandbox(boxes[1].id);
        await assert.rejects(manager.getSandboxInfo(boxes[1].id), (e) => e instanceof SandboxApiException && e.statusCode === 404);
      } finally {
        await boxes[2]?.kill();
        for (const b of boxes) await b.close();
        await manager.close();
      }
    });
  });
}

describe('official JS SDK, header mode only', () => {
  let mock;
  before(async () => { mock = await startMock('header'); });
  after(async () => { await mock.stop(); });

  test('js errors: the SDK\'s own types for 400, 401, 404, 409', async () => {
    const sb = await create(mock, { secureAccess: true });
    try {
      await assert.rejects(sb.getSignedEndpoint(8080, (await mock.now()) - 10), (e) => {
        assert.ok(e instanceof SandboxApiException);
        assert.equal(e.statusCode, 400);
        assert.equal(e.error.code, 'SANDBOX::INVALID_PARAMETER');
        assert.match(e.requestId ?? '', UUID);
        return true;
      });
      const bad = SandboxManager.create({ connectionConfig: new ConnectionConfig({ domain: mock.domain, apiKey: 'not-the-key' }) });
      await assert.rejects(bad.getSandboxInfo(sb.id), (e) => e instanceof SandboxApiException && e.statusCode === 401 && e.error.code === 'INVALID_API_KEY');
      await bad.close();
      const manager = SandboxManager.create({ connectionConfig: mock.config() });
      await assert.rejects(manager.getSandboxInfo('3f2504e0-4f89-41d3-9a0c-0305e82c3301'),
        (e) => e instanceof SandboxApiException && e.statusCode === 404 && e.error.code === 'SANDBOX::NOT_FOUND');
      await assert.rejects(manager.resumeSandbox(sb.id), (e) => e instanceof SandboxApiException && e.statusCode === 409);
      await manager.close();
    } finally {
      await sb.kill();
      await sb.close();
    }
  });

  for (const secure of [true, false]) {
    test(`js server proxy mode through useServerProxy (secure ${secure})`, async () => {
      const config = mock.config({ useServerProxy: true });
      const sb = await create(mock, { connectionConfig: config, secureAccess: secure });
      try {
        const ep = await sb.getEndpoint(8080);
        assert.equal(ep.endpoint, `${mock.domain}/v1/sandboxes/${sb.id}/proxy/8080`);
        assert.equal(ep.headers?.[INGRESS], undefined);
        assert.equal(Boolean(ep.headers?.[SECURE]), secure);
        let r = await get(ep, '/run?x=%20');
        assert.equal(r.status, 200, r.body);
        const echo = JSON.parse(r.body);
        assert.deepEqual([echo.sandbox_id, echo.path, echo.query], [sb.id, '/run', 'x=%20']);
        if (secure) {
          r = await get(ep, '/ping', {});
          assert.equal(r.status, 401);
          assert.equal(JSON.parse(r.body).code, 'MISSING_OR_INVALID_SECURE_ACCESS');
        }
        // This SDK asks for signed endpoints without use_server_proxy: a gateway route.
        const signed = await sb.getSignedEndpoint(8080, (await mock.now()) + 300);
        assert.ok(signed.headers?.[INGRESS], JSON.stringify(signed));
        assert.equal((await get(signed)).status, 200);
      } finally {
        await sb.kill();
        await sb.close();
      }
    });
  }

  test('js metadata patch and snapshots', async () => {
    const manager = SandboxManager.create({ connectionConfig: mock.config() });
    const sb = await create(mock, { metadata: { a: '1', b: '2' } });
    try {
      const info = await sb.patchMetadata({ a: 'x', b: null, c: '3' });
      assert.deepEqual(info.metadata, { a: 'x', c: '3' });
      const snap = await manager.createSnapshot(sb.id, { name: 'before' });
      assert.equal(snap.status.state, 'Creating');
      const got = await manager.getSnapshot(snap.id);
      assert.equal(got.status.state, 'Ready');
      const listed = await manager.listSnapshots({ sandboxId: sb.id });
      assert.deepEqual(listed.items.map((s) => s.id), [snap.id]);
      await manager.deleteSnapshot(snap.id);
      await assert.rejects(manager.getSnapshot(snap.id), (e) => e instanceof SandboxApiException && e.statusCode === 404);
    } finally {
      await sb.kill();
      await sb.close();
      await manager.close();
    }
  });
});
