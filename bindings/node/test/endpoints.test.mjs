// Client parity (issue 18, SPEC §2, §2.1) through the public API on the in-process mock:
// endpoint modes and where the API key may travel, origin, shareable URLs, the endpoint cache
// (one request for 50 concurrent calls, invalidation by delete/pause/resume), TTLs on the
// server's clock, and the resilient transport with its onRetry hook.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { inspect } from 'node:util';
import { ApiError, Client, InvalidArgument, InvalidConfig, MockServer, TransportError } from 'sandgate';
import { closedPort, sleep } from './support.mjs';

const endpointRequests = (mock) => mock.requests().filter((r) => r.path.includes('/endpoints/')).length;
const hasValue = (headers, value) => Object.values(headers).some((v) => v.includes(value));

describe('client endpoints', () => {
  let mock;
  let admin;
  let key;
  before(() => {
    mock = MockServer.start({ trustedHeaders: true, endpointOrigin: 'https://sandboxes.example.com' });
    admin = new Client({ domain: mock.domain, apiKey: mock.adminKey, retries: false });
    key = mock.adminKey.expose();
  });
  after(() => mock.stop());

  test('client: server-proxy endpoints carry the API key, direct and signed never do', async () => {
    const sb = await admin.createSandbox({ image: 'node:20' });
    const proxy = await admin.endpoint(sb.id, 8080, 'server_proxy');
    assert.equal(proxy.kind, 'server_proxy');
    assert.equal(proxy.route, null);
    assert.ok(hasValue(proxy.headers, key), 'the server authenticates proxied requests');
    assert.ok(!inspect(proxy).includes(key) && !JSON.stringify(proxy).includes(key), 'printing redacts the key');
    for (const mode of ['direct', { ttlSeconds: 60 }, { expires: Number(mock.now()) + 120 }]) {
      const ep = await admin.endpoint(sb.id, 8080, mode);
      assert.ok(!hasValue(ep.headers, key), `${JSON.stringify(mode)} leaks the API key`);
      assert.equal(ep.kind, mode === 'direct' ? 'direct' : 'signed');
      assert.equal(ep.route === null, mode === 'direct');
    }
    // The older calls are the same modes.
    assert.equal((await admin.getEndpoint(sb.id, 8080)).kind, 'direct');
    assert.equal((await admin.getSignedEndpoint(sb.id, 8080, { ttlSeconds: 60 })).kind, 'signed');
    // A mode is one explicit choice.
    for (const bad of [undefined, 'signed', 'serverProxy', { serverProxy: true, ttlSeconds: 60 }, { expires: 1, ttlSeconds: 2 }, { ttl: 60 }]) {
      await assert.rejects(admin.endpoint(sb.id, 8080, bad), (e) => e instanceof InvalidArgument, JSON.stringify(bad));
    }
  });

  test('client: endpoint origin is the OPEN-SANDBOX-ORIGIN the server sent', async () => {
    const sb = await admin.createSandbox({ image: 'node:20' });
    const ep = await admin.endpoint(sb.id, 8080, 'direct');
    assert.equal(ep.origin, 'https://sandboxes.example.com');
    assert.equal(JSON.parse(JSON.stringify(ep)).origin, 'https://sandboxes.example.com');
    const plain = MockServer.start();
    try {
      const c = new Client({ domain: plain.domain, apiKey: plain.adminKey });
      const other = await c.createSandbox({ image: 'node:20' });
      assert.equal((await c.endpoint(other.id, 8080, 'direct')).origin, null);
    } finally {
      plain.stop();
    }
  });

  test('cache: 50 concurrent signed-endpoint calls send one request', async () => {
    const sb = await admin.createSandbox({ image: 'node:20', secureAccess: true });
    mock.setFaults({ latencyMs: 100 });
    const before = endpointRequests(mock);
    const eps = await Promise.all(Array.from({ length: 50 }, () => admin.endpoint(sb.id, 8080, { ttlSeconds: 600 })));
    mock.clearFaults();
    assert.equal(endpointRequests(mock) - before, 1);
    assert.equal(new Set(eps.map((e) => e.headers['OpenSandbox-Ingress-To'])).size, 1);
    // Cached until expires - margin, never past it: a TTL inside the margin is fetched anew.
    await admin.endpoint(sb.id, 8080, { ttlSeconds: 10 });
    await admin.endpoint(sb.id, 8080, { ttlSeconds: 10 });
    assert.equal(endpointRequests(mock) - before, 3);
  });

  test('cache: delete, pause and resume through the client invalidate the cached endpoints', async () => {
    const sb = await admin.createSandbox({ image: 'node:20' });
    const fetches = async () => {
      const before = endpointRequests(mock);
      await admin.endpoint(sb.id, 8080, 'direct');
      return endpointRequests(mock) - before;
    };
    assert.equal(await fetches(), 1);
    assert.equal(await fetches(), 0, 'a hit');
    await admin.pauseSandbox(sb.id);
    assert.equal((await admin.getSandbox(sb.id)).state, 'Paused');
    assert.equal(await fetches(), 1, 'pause invalidates');
    assert.equal(await fetches(), 0);
    await admin.resumeSandbox(sb.id);
    assert.equal((await admin.getSandbox(sb.id)).state, 'Running');
    assert.equal(await fetches(), 1, 'resume invalidates');
    await admin.deleteSandbox(sb.id);
    const before = endpointRequests(mock);
    await assert.rejects(admin.endpoint(sb.id, 8080, 'direct'), (e) => e instanceof ApiError && e.status === 404);
    assert.equal(endpointRequests(mock) - before, 1, 'delete invalidates');
  });

  test('cache: off asks the server every time; options are checked', async () => {
    const sb = await admin.createSandbox({ image: 'node:20' });
    for (const cache of [false, { enabled: false }]) {
      const c = new Client({ domain: mock.domain, apiKey: mock.adminKey, cache });
      const before = endpointRequests(mock);
      await c.endpoint(sb.id, 80, 'direct');
      await c.endpoint(sb.id, 80, 'direct');
      assert.equal(endpointRequests(mock) - before, 2, JSON.stringify(cache));
    }
    const tuned = new Client({ domain: mock.domain, apiKey: mock.adminKey, cache: { maxEntries: 10, ttlMs: 60000, marginMs: 5000 } });
    const before = endpointRequests(mock);
    await tuned.endpoint(sb.id, 80, 'direct');
    await tuned.endpoint(sb.id, 80, 'direct');
    assert.equal(endpointRequests(mock) - before, 1);
    for (const [cache, says] of [[{ ttlMs: 0 }, /ttl/], [{ maxEntries: 0 }, /max_entries/], [{ size: 1 }, /unknown cache option "size"/], [{ ttlMs: -1 }, /cache\.ttlMs must be a whole number/]]) {
      assert.throws(() => new Client({ cache }), (e) => e instanceof InvalidConfig && says.test(e.message), JSON.stringify(cache));
    }
  });

  test('client: shareableUrl in wildcard and uri modes, and a clear error in header mode', async () => {
    for (const routeMode of ['wildcard', 'uri']) {
      const m = MockServer.start({ routeMode });
      try {
        const c = new Client({ domain: m.domain, apiKey: m.adminKey });
        const sb = await c.createSandbox({ image: 'node:20', secureAccess: true });
        const ep = await c.endpoint(sb.id, 8080, { ttlSeconds: 60 });
        const url = ep.shareableUrl('/ping?from=node');
        assert.equal(url, `${ep.url}/ping?from=node`);
        assert.ok(!url.includes(m.adminKey.expose()));
        assert.equal(ep.shareableUrl(), ep.url);
        if (routeMode === 'uri') {
          // Everything a request needs is in the URL: no header at all.
          const r = await fetch(url);
          assert.equal(r.status, 200);
          assert.equal((await r.json()).sandbox_id, sb.id);
        } else {
          assert.ok(new URL(url).hostname.startsWith(`${sb.id}-8080-`));
        }
        assert.throws(() => ep.shareableUrl('no-slash'), InvalidArgument);
      } finally {
        m.stop();
      }
    }
    const sb = await admin.createSandbox({ image: 'node:20', secureAccess: true });
    const signed = await admin.endpoint(sb.id, 8080, { ttlSeconds: 60 });
    assert.throws(() => signed.shareableUrl('/'), (e) => e instanceof InvalidArgument && /OpenSandbox-Ingress-To/.test(e.message) && /header mode/.test(e.message));
    const proxy = await admin.endpoint(sb.id, 8080, 'server_proxy');
    assert.throws(() => proxy.shareableUrl('/'), (e) => e instanceof InvalidArgument && /server-proxy/.test(e.message) && !e.message.includes(key));
    const direct = await admin.endpoint(sb.id, 8080, 'direct');
    assert.throws(() => direct.shareableUrl('/'), (e) => e instanceof InvalidArgument && /OpenSandbox-Secure-Access/.test(e.message));
  });

  test('client: a TTL counts on the server clock, an hour away from the machine', async () => {
    for (const skew of [3600, -3600]) {
      const m = MockServer.start();
      try {
        m.setNow(Math.floor(Date.now() / 1000) + skew);
        const learnt = new Client({ domain: m.domain, apiKey: m.adminKey });
        const sb = await learnt.createSandbox({ image: 'node:20', secureAccess: true });
        const fresh = new Client({ domain: m.domain, apiKey: m.adminKey });
        for (const c of [learnt, fresh]) {
          const ep = await c.endpoint(sb.id, 8080, { ttlSeconds: 60 });
          const want = Number(m.now()) + 60;
          assert.ok(Math.abs(ep.route.expires - want) <= 1, `skew ${skew}: expires ${ep.route.expires}, mock now + 60 = ${want}`);
        }
      } finally {
        m.stop();
      }
    }
  });
});

describe('client retries', () => {
  let mock;
  before(() => {
    mock = MockServer.start();
  });
  after(() => mock.stop());

  const hooked = (retries, extra = {}) => {
    const events = [];
    const client = new Client({ domain: mock.domain, apiKey: mock.adminKey, retries, onRetry: (e) => events.push(e), ...extra });
    return { client, events };
  };

  for (const status of [503, 429]) {
    test(`retry: onRetry sees each retry of a mock ${status}`, async () => {
      mock.reset();
      mock.setFaults({ failNext: 2, status, retryAfter: 0 });
      const { client, events } = hooked({ maxRetries: 3, initialBackoffMs: 20, maxBackoffMs: 40 });
      assert.deepEqual(await client.listSandboxes(), []);
      await sleep(50); // the hook runs on the JS thread, queued before each retry waits
      assert.deepEqual(events.map((e) => e.attempt), [1, 2]);
      for (const e of events) {
        assert.ok(e.cause instanceof ApiError, String(e.cause));
        assert.equal(e.cause.status, status);
        assert.equal(e.cause.retryable, true);
        assert.equal(e.cause.retryAfterMs, 0);
        assert.equal(e.delayMs, 0, 'Retry-After: 0 wins over the backoff');
      }
      assert.deepEqual(mock.requests().map((r) => r.status), [status, status, 200]);
    });
  }

  test('retry: the backoff delays are the ones onRetry is told', async () => {
    mock.reset();
    mock.setFaults({ failNext: 3, status: 502 });
    const { client, events } = hooked({ maxRetries: 2, initialBackoffMs: 30, maxBackoffMs: 60, multiplier: 2 });
    await assert.rejects(client.listSandboxes(), (e) => e instanceof ApiError && e.status === 502 && e.retryable === true);
    await sleep(20);
    assert.deepEqual(events.map((e) => e.attempt), [1, 2]);
    assert.equal(events[0].delayMs, 30);
    assert.ok(events[1].delayMs >= 30 && events[1].delayMs <= 60, String(events[1].delayMs));
    assert.equal(mock.requests().length, 3, 'first attempt and two retries, then exhausted');
  });

  test('retry: a POST that reached the server and failed is never re-sent', async () => {
    mock.reset();
    mock.setFaults({ failNext: 1, status: 503 });
    const { client, events } = hooked({ maxRetries: 3, initialBackoffMs: 10, maxBackoffMs: 10 });
    await assert.rejects(client.createSandbox({ image: 'node:20' }), (e) => {
      assert.ok(e instanceof ApiError, String(e));
      assert.equal(e.status, 503);
      assert.equal(e.retryable, false, 'a POST is not retried on a status by default');
      return true;
    });
    await sleep(20);
    assert.deepEqual(events, []);
    assert.deepEqual(mock.requests().map((r) => [r.method, r.status]), [['POST', 503]]);
    // Opting in retries it.
    mock.reset();
    mock.setFaults({ failNext: 1, status: 503 });
    const optIn = hooked({ initialBackoffMs: 10, maxBackoffMs: 10, postRetryStatuses: [503] });
    await optIn.client.createSandbox({ image: 'node:20' });
    assert.deepEqual(mock.requests().map((r) => [r.method, r.status]), [['POST', 503], ['POST', 202]]);
  });

  test('retry: a POST whose connection failed before sending is re-sent', async () => {
    const events = [];
    const client = new Client({
      domain: `127.0.0.1:${await closedPort()}`,
      retries: { maxRetries: 2, initialBackoffMs: 5, maxBackoffMs: 5 },
      onRetry: (e) => events.push(e),
    });
    await assert.rejects(client.createSandbox({ image: 'node:20' }), (e) => e instanceof TransportError && e.retryable === true);
    await sleep(20);
    assert.deepEqual(events.map((e) => [e.attempt, e.cause.kind]), [[1, 'transport'], [2, 'transport']]);
  });

  test('retry: retryable and retryAfterMs on a 429', async () => {
    mock.reset();
    mock.setFaults({ failNext: 2, status: 429, retryAfter: 1 });
    // One retry after the server's 1 s, then the retries are spent: the 429 is still retryable.
    const client = new Client({ domain: mock.domain, apiKey: mock.adminKey, retries: { maxRetries: 1 } });
    await assert.rejects(client.listSandboxes(), (e) => {
      assert.ok(e instanceof ApiError, String(e));
      assert.equal(e.status, 429);
      assert.equal(e.retryable, true);
      assert.equal(e.retryAfterMs, 1000);
      return true;
    });
    assert.equal(mock.requests().length, 2);
    mock.setFaults({ failNext: 1, status: 404 });
    await assert.rejects(client.listSandboxes(), (e) => e.status === 404 && e.retryable === false && e.retryAfterMs === null);
    // With retrying off nothing is retryable.
    mock.setFaults({ failNext: 1, status: 429, retryAfter: 7 });
    const off = new Client({ domain: mock.domain, apiKey: mock.adminKey, retries: false });
    await assert.rejects(off.listSandboxes(), (e) => e.status === 429 && e.retryable === false && e.retryAfterMs === 7000);
  });

  test('retry: every knob is taken and checked; a throwing hook only warns', async () => {
    mock.reset();
    const all = {
      maxRetries: 1, initialBackoffMs: 5, maxBackoffMs: 10, multiplier: 3, retryStatuses: [500, 503],
      postRetryStatuses: [503], attemptTimeoutMs: 2000, deadlineMs: 5000,
    };
    const warnings = [];
    const onWarning = (w) => warnings.push(w);
    process.on('warning', onWarning);
    try {
      mock.setFaults({ failNext: 1, status: 500 });
      const client = new Client({ domain: mock.domain, apiKey: mock.adminKey, retries: all, onRetry: () => { throw new Error('hook bug'); } });
      assert.deepEqual(await client.listSandboxes(), [], 'retried on 500, in retryStatuses');
      await sleep(50);
    } finally {
      process.off('warning', onWarning);
    }
    assert.ok(warnings.some((w) => /onRetry hook threw: hook bug/.test(w.message)), warnings.map(String).join());
    for (const [retries, says] of [
      [{ multiplier: 0.5 }, /multiplier/],
      [{ retryStatuses: [200] }, /200/],
      [{ deadlineMs: 0 }, /deadline_ms must be at least 1/],
      [{ attemptTimeoutMs: 1.5 }, /retries\.attemptTimeoutMs must be a whole number/],
    ]) {
      assert.throws(() => new Client({ retries }), (e) => e instanceof InvalidConfig && says.test(e.message), `${JSON.stringify(retries)}`);
    }
    assert.throws(() => new Client({ onRetry: 'log' }), (e) => e instanceof InvalidConfig && /onRetry must be a function/.test(e.message));
  });

  test('retry: the attempt timeout applies to one attempt, the deadline to all', async () => {
    mock.reset();
    mock.setFaults({ latencyMs: 300 });
    const { client, events } = hooked({ maxRetries: 5, initialBackoffMs: 10, maxBackoffMs: 10, attemptTimeoutMs: 100, deadlineMs: 450 });
    const started = Date.now();
    await assert.rejects(client.listSandboxes(), (e) => e.kind === 'timeout' && /deadline/.test(e.message));
    assert.ok(Date.now() - started < 2000, 'the deadline stops the retries');
    await sleep(20);
    assert.ok(events.length >= 1 && events.every((e) => e.cause.kind === 'timeout'), JSON.stringify(events.map((e) => e.cause.kind)));
    mock.clearFaults();
  });
});
