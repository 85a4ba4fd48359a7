// Verification at the edge (issue 20, SPEC §1.4, §1.5, §6): every case of gateway.json
// through Gateway.check, through the Connect-style middleware and through Gateway.wrap on a
// real node:http server on loopback (raw requests, so repeated and empty headers arrive as
// written), and through the middleware called directly. Plus the gateway's options and errors.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import http from 'node:http';
import net from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  Gateway, InvalidArgument, InvalidConfig, MockServer, RouteSigner, SigningKeys,
} from 'sandgate';
import { loadCases, seconds } from './support.mjs';

const CASES = loadCases('gateway.json').cases;
const lower = (list) => list.map((h) => h.toLowerCase()).sort();

function gatewayFor(c) {
  return new Gateway({ routeMode: c.mode, keys: SigningKeys.fromFlag(c.keys), policy: c.policy, now: seconds(c.now) });
}

/** Checks a verdict (from check) against a case's expectation. */
function assertVerdict(v, e) {
  assert.equal(v.allowed, e.allowed, `${v.reason}: ${v.message}`);
  assert.equal(v.status, e.status);
  assert.equal(v.reason, e.reason);
  assert.deepEqual(lower(v.headersToStrip), lower(e.headers_to_strip));
  if (e.allowed) {
    assert.equal(v.grant, e.grant);
    assert.deepEqual(v.route, { sandboxId: e.sandbox_id, port: e.port, expires: seconds(e.expires), keyId: e.key_id });
    assert.equal(v.upstreamTarget, e.upstream_target);
    assert.deepEqual(v.responseHeaders, {});
    assert.equal(v.body, '');
  } else {
    assert.equal(v.grant, null);
    assert.equal(v.route, null);
    assert.equal(v.upstreamTarget, null);
    assert.equal(v.responseHeaders['retry-after'] ?? null, e.retry_after);
    assert.equal(v.responseHeaders['x-sandgate-reason'], e.reason);
    assert.match(v.responseHeaders['content-type'], /^text\/plain/);
    assert.ok(v.body.startsWith('OpenSandbox Ingress: '), v.body);
    assert.equal(v.body, `OpenSandbox Ingress: ${v.message}\n`);
  }
}

/** What the app behind the middleware saw, as it echoes it. */
function app(req, res) {
  res.setHeader('content-type', 'application/json');
  res.end(JSON.stringify({ url: req.url, rawHeaders: req.rawHeaders, headers: req.headers, verdict: req.sandgate }));
}

/** Sends a raw HTTP/1.1 request (headers exactly as given) and parses the answer. */
function rawRequest(port, target, headers) {
  return new Promise((resolve, reject) => {
    const socket = net.connect(port, '127.0.0.1', () => {
      const lines = headers.map(([k, v]) => `${k}: ${v}\r\n`).join('');
      socket.write(`GET ${target} HTTP/1.1\r\n${lines}Connection: close\r\n\r\n`);
    });
    const chunks = [];
    socket.on('data', (c) => chunks.push(c));
    socket.on('error', reject);
    socket.on('end', () => {
      const text = Buffer.concat(chunks).toString('latin1');
      const split = text.indexOf('\r\n\r\n');
      const [statusLine, ...lines] = text.slice(0, split).split('\r\n');
      const h = {};
      for (const l of lines) {
        const i = l.indexOf(':');
        h[l.slice(0, i).toLowerCase()] = l.slice(i + 1).trim();
      }
      resolve({ status: Number(statusLine.split(' ')[1]), headers: h, body: text.slice(split + 4) });
    });
  });
}

/** Node's own HTTP parser refuses a target that is neither origin-form, absolute-form nor `*`
 * with a 400 before any handler runs: those cases go through the middleware directly only. */
const refusedByNode = (target) => !(target.startsWith('/') || target === '*' || /^[a-z][a-z0-9+.-]*:\/\//i.test(target));

/** Checks what a real server answered for a case. */
function assertAnswer(r, c, viaMiddleware) {
  const e = c.expect;
  assert.equal(r.status, e.status, r.body);
  if (!e.allowed) {
    assert.equal(r.headers['x-sandgate-reason'], e.reason);
    assert.equal(r.headers['retry-after'] ?? null, e.retry_after);
    assert.match(r.headers['content-type'], /^text\/plain/);
    assert.ok(r.body.startsWith('OpenSandbox Ingress: '), r.body);
    return;
  }
  const seen = JSON.parse(r.body);
  assert.equal(seen.url, e.upstream_target, `${viaMiddleware}: the app sees the upstream target`);
  const strip = new Set(lower(e.headers_to_strip));
  const names = seen.rawHeaders.filter((_, i) => i % 2 === 0).map((n) => n.toLowerCase());
  assert.deepEqual(names.filter((n) => strip.has(n)), [], 'credentials reach the app');
  assert.deepEqual(Object.keys(seen.headers).filter((n) => strip.has(n)), [], 'credentials in req.headers');
  assert.deepEqual(seen.verdict.route, {
    sandboxId: e.sandbox_id, port: e.port, expires: e.expires === null ? null : Number(e.expires), keyId: e.key_id,
  });
  assert.equal(seen.verdict.grant, e.grant);
  // Headers the gateway does not own pass through untouched.
  const sent = c.request.headers.filter(([k]) => !strip.has(k.toLowerCase())).map(([k]) => k.toLowerCase());
  for (const n of sent) assert.ok(names.includes(n), `${n} was dropped`);
}

describe('gateway', () => {
  for (const c of CASES) {
    test(`gateway: ${c.name}`, () => {
      const v = gatewayFor(c).check(c.request.target, c.request.headers);
      assertVerdict(v, c.expect);
      // The same request given as Node's flat rawHeaders list.
      assert.deepEqual(gatewayFor(c).check(c.request.target, c.request.headers.flat()), v);
    });
  }
});

describe('middleware', () => {
  let server;
  let port;
  let handle = () => assert.fail('no case set');
  before(async () => {
    // requireHostHeader off: a gateway decides about a missing Host itself.
    server = http.createServer({ requireHostHeader: false }, (req, res) => {
      try {
        handle(req, res);
      } catch (e) {
        res.statusCode = 599; // a test bug, reported rather than hanging the socket
        res.end(String(e.stack));
      }
    });
    await new Promise((resolve) => server.listen(0, '127.0.0.1', resolve));
    port = server.address().port;
  });
  after(() => new Promise((resolve) => server.close(resolve)));

  for (const c of CASES) {
    test(`middleware: ${c.name}`, async () => {
      const gateway = gatewayFor(c);
      const mw = gateway.middleware();
      let nextCalls = 0;
      const forms = [
        ['middleware', (req, res) => mw(req, res, (err) => { nextCalls += 1; if (err) throw err; app(req, res); })],
        ['wrap', gateway.wrap(app)],
      ];
      for (const [form, h] of forms) {
        let handled = false;
        handle = (req, res) => { handled = true; h(req, res); };
        const r = await rawRequest(port, c.request.target, c.request.headers);
        if (refusedByNode(c.request.target)) {
          assert.equal(r.status, 400, 'node:http refuses this target itself');
          assert.equal(handled, false);
          continue;
        }
        assertAnswer(r, c, form);
      }
      assert.equal(nextCalls, refusedByNode(c.request.target) ? 0 : Number(c.expect.allowed), 'next() only on an allow');

      // Called directly (as a framework would), the same middleware applies the same verdict,
      // also for targets node:http never hands to a handler.
      const req = {
        url: c.request.target,
        rawHeaders: c.request.headers.flat(),
        headers: Object.fromEntries(c.request.headers.map(([k, v]) => [k.toLowerCase(), v])),
        headersDistinct: Object.fromEntries(c.request.headers.map(([k, v]) => [k.toLowerCase(), [v]])),
      };
      const res = {
        statusCode: 200, sent: {}, body: null,
        setHeader(k, v) { this.sent[k.toLowerCase()] = String(v); },
        end(b) { this.body = b; },
      };
      let called = false;
      mw(req, res, (err) => { assert.equal(err, undefined); called = true; });
      assert.equal(called, c.expect.allowed);
      if (c.expect.allowed) {
        assert.equal(req.url, c.expect.upstream_target);
        assert.equal(req.sandgate.route.sandboxId, c.expect.sandbox_id);
        const strip = new Set(lower(c.expect.headers_to_strip));
        assert.ok(req.rawHeaders.every((x, i) => i % 2 || !strip.has(x.toLowerCase())));
        assert.ok(Object.keys(req.headers).every((k) => !strip.has(k)));
        assert.ok(Object.keys(req.headersDistinct).every((k) => !strip.has(k)));
        assert.equal(res.body, null);
      } else {
        assert.equal(res.statusCode, c.expect.status);
        assert.equal(res.sent['x-sandgate-reason'], c.expect.reason);
        assert.equal(res.sent['content-length'], String(Buffer.byteLength(res.body)));
        assert.ok(res.body.startsWith('OpenSandbox Ingress: '));
        assert.equal(req.sandgate, undefined);
      }
    });
  }

  test('middleware: Express-style mounting checks req.originalUrl', () => {
    const keys = SigningKeys.fromFlag('a=bXktdGVzdC1zZWNyZXQ=');
    const mw = new Gateway({ routeMode: 'uri', keys, policy: { sandboxes: { sbx1: { secure: false } } } }).middleware();
    const req = { url: '/ping', originalUrl: '/sbx1/8080/ping?x=1', rawHeaders: ['Host', 'gw'], headers: { host: 'gw' }, headersDistinct: {} };
    let called = false;
    mw(req, {}, () => { called = true; });
    assert.ok(called);
    assert.equal(req.url, '/ping?x=1');
    assert.equal(req.sandgate.route.port, 8080);
  });
});

describe('gateway options', () => {
  const keys = SigningKeys.fromFlag('a=bXktdGVzdC1zZWNyZXQ=');
  const token = new RouteSigner(keys, 'a').sign('sbx-001', 8080, 2_000_000_000).token;
  const now = 1_900_000_000;

  test('gateway: a policy file is read, and re-read when it changes', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'sandgate-gw-'));
    try {
      const file = join(dir, 'policy.json');
      writeFileSync(file, JSON.stringify({ sandboxes: { 'sbx-001': { secure: false } } }));
      const g = new Gateway({ routeMode: 'header', keys, policyFile: file, now });
      const legacy = () => g.check('/', [['Host', 'gw'], ['OpenSandbox-Ingress-To', 'sbx-001-8080']]);
      assert.equal(legacy().grant, 'open');
      await new Promise((r) => setTimeout(r, 1100)); // a new modification time
      writeFileSync(file, JSON.stringify({ sandboxes: { 'sbx-001': { secure: true, access_token: 'tok' } } }));
      assert.equal(legacy().reason, 'credential_required');
      // A bad file keeps the last good policy.
      await new Promise((r) => setTimeout(r, 1100));
      writeFileSync(file, '{"sandboxes": ');
      assert.equal(legacy().reason, 'credential_required');
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  test('gateway: signature-only accepts signed links only', () => {
    const g = new Gateway({ routeMode: 'header', keys, now });
    assert.equal(g.check('/', { Host: 'gw', 'OpenSandbox-Ingress-To': token }).grant, 'signature');
    assert.equal(g.check('/', { Host: 'gw', 'OpenSandbox-Ingress-To': 'sbx-001-8080' }).status, 401);
  });

  test('gateway: bad options and arguments are clear errors', () => {
    for (const [options, says] of [
      [{ routeMode: 'hostname', keys }, /mode/i],
      [{ routeMode: 'header', keys, policy: '{not json' }, /polic/i],
      [{ routeMode: 'header', keys, policy: '{}', policyFile: '/x' }, /at most one/],
      [{ routeMode: 'header', keys, policyFile: '/does/not/exist.json' }, /exist\.json|No such file|not found/i],
      [{ routeMode: 'header', keys, mode: 'x' }, /unknown gateway option "mode"/],
      [{ routeMode: 'header', keys, policy: 5 }, /policy must be/],
    ]) {
      assert.throws(() => new Gateway(options), (e) => e instanceof InvalidConfig && says.test(e.message), `${JSON.stringify(options)}`);
    }
    assert.throws(() => new Gateway({ routeMode: 'header', keys: 'a=Zm9v' }), InvalidArgument);
    const g = new Gateway({ routeMode: 'header', keys, now });
    assert.throws(() => g.check(5, []), InvalidArgument);
    assert.throws(() => g.check('/', [['Host']]), InvalidArgument);
    assert.throws(() => g.check('/', ['Host']), InvalidArgument);
    assert.throws(() => g.check('/', 'Host: x'), InvalidArgument);
    assert.throws(() => g.wrap(null), InvalidArgument);
  });

  test('gateway: verdicts name the key id, never a secret or the access token', () => {
    const g = new Gateway({ routeMode: 'header', keys, policy: { sandboxes: { 'sbx-001': { secure: true, access_token: 'tok_secret_value' } } }, now });
    const v = g.check('/', [['Host', 'gw'], ['OpenSandbox-Ingress-To', 'sbx-001-8080'], ['OpenSandbox-Secure-Access', 'wrong_token']]);
    assert.equal(v.reason, 'header_mismatch');
    for (const s of ['tok_secret_value', 'wrong_token', 'bXktdGVzdC1zZWNyZXQ']) assert.ok(!JSON.stringify(v).includes(s));
  });
});

describe('gateway readme', () => {
  // The README's "Verify at your gateway" snippet, as written there, on a real server in
  // front of a link the mock signs.
  test('gateway: the README snippet answers a signed link and refuses a tampered one', async () => {
    const mock = MockServer.start({ routeMode: 'header' });
    const signingKeys = mock.signingKeys;
    // --- README: Verify at your gateway
    const gateway = new Gateway({
      routeMode: 'header',
      keys: SigningKeys.fromFlag(signingKeys), // or SigningKeys.fromEnv() / fromToml(text)
      policy: null, // signature-only; or { sandboxes: { ... } }, or policyFile: '/etc/sandgate/policy.toml'
    });
    const server = http.createServer(
      gateway.wrap((req, res) => {
        // Only allowed requests get here, without their credential headers.
        res.end(`hello ${req.sandgate.route.sandboxId}:${req.sandgate.route.port} ${req.url}`);
      }),
    );
    // With Express or Connect: app.use(gateway.middleware())
    // --- end
    await new Promise((resolve) => server.listen(0, '127.0.0.1', resolve));
    try {
      const url = `http://127.0.0.1:${server.address().port}`;
      const link = new RouteSigner(SigningKeys.fromFlag(mock.signingKeys), 'a').sign('sbx-1', 8080, Number(mock.now()) + 60).token;
      const ok = await fetch(`${url}/ping?x=1`, { headers: { 'OpenSandbox-Ingress-To': link } });
      assert.equal(ok.status, 200);
      assert.equal(await ok.text(), 'hello sbx-1:8080 /ping?x=1');
      const bad = await fetch(`${url}/ping`, { headers: { 'OpenSandbox-Ingress-To': `${link.slice(0, -3)}00a` } });
      assert.equal(bad.status, 401);
      assert.equal(bad.headers.get('x-sandgate-reason'), 'bad_signature');
      assert.match(await bad.text(), /^OpenSandbox Ingress: /);
    } finally {
      server.close();
      mock.stop();
    }
  });
});
