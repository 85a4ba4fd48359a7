// What the gateway tests share: a gateway for a case of sdk-tests/cases/gateway.json, raw
// HTTP/1.1 requests on loopback, and the checks of what an app behind a middleware saw.
import assert from 'node:assert/strict';
import net from 'node:net';
import { Gateway, SigningKeys } from 'sandgate';
import { seconds } from './support.mjs';

export const lower = (list) => list.map((h) => h.toLowerCase()).sort();

/** The gateway a case describes. */
export function gatewayFor(c) {
  return new Gateway({ routeMode: c.mode, keys: SigningKeys.fromFlag(c.keys), policy: c.policy, now: seconds(c.now) });
}

/** What the app behind the middleware saw, as it echoes it. */
export function app(req, res) {
  res.setHeader('content-type', 'application/json');
  res.end(JSON.stringify({ url: req.url, originalUrl: req.originalUrl, rawHeaders: req.rawHeaders, headers: req.headers, verdict: req.sandgate }));
}

/** Sends a raw HTTP/1.1 request (headers exactly as given) and parses the answer. */
export function rawRequest(port, target, headers) {
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
export const refusedByNode = (target) => !(target.startsWith('/') || target === '*' || /^[a-z][a-z0-9+.-]*:\/\//i.test(target));

/** Checks what a real server answered for a case. */
export function assertAnswer(r, c, viaMiddleware) {
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
  if (seen.originalUrl !== undefined) assert.equal(seen.originalUrl, e.upstream_target, `${viaMiddleware}: originalUrl too`);
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

