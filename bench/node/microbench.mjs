// Node micro-benchmark for bench/run: ns per sign and verify through the sandgate package,
// next to Node's own SHA-256 of the same signing input, and RSS before/after many verifies.
// Usage: node microbench.mjs [ITERS] [MEMORY_ITERS]   (prints one JSON line)
import { createHash } from 'node:crypto';
import { RouteSigner, RouteVerifier, SigningKeys } from 'sandgate';

const iters = Number(process.argv[2] ?? 200000);
const memoryIters = Number(process.argv[3] ?? 1000000);
const secret = Buffer.alloc(32, 7);
const keys = SigningKeys.fromFlag(`a=${secret.toString('base64')}`);
const signer = new RouteSigner(keys, 'a');
const verifier = new RouteVerifier(keys);
const [id, port, expires, now] = ['sbx-0a1b2c3d4e5f', 8080, 2000000000, 1900000000];
const token = signer.sign(id, port, expires).token;

// The signing input, built here the way any implementation must build it.
const canonical = Buffer.from(`v1\nshort\n${id}\n${port}\n${expires.toString(36)}\n`);
const be32 = (n) => { const b = Buffer.alloc(4); b.writeUInt32BE(n); return b; };
const inner = Buffer.concat([be32(secret.length), secret, be32(canonical.length), canonical]);

function nsPerCall(n, f) {
  let best = Infinity;
  for (let round = 0; round < 5; round++) {
    const t = process.hrtime.bigint();
    for (let i = 0; i < n; i++) f();
    best = Math.min(best, Number(process.hrtime.bigint() - t) / n);
  }
  return best;
}

let sink = 0;
const verifyNs = nsPerCall(iters, () => { sink += verifier.verify(token, now).port; });
const signNs = nsPerCall(iters, () => { sink += signer.sign(id, port, expires).token.length; });
const shaNs = nsPerCall(iters, () => { sink += createHash('sha256').update(inner).digest()[0]; });
global.gc?.();
const before = process.memoryUsage().rss;
for (let i = 0; i < memoryIters; i++) sink += verifier.verify(token, now).port;
global.gc?.();
const after = process.memoryUsage().rss;
if (sink === 0) throw new Error('nothing measured');
console.log(JSON.stringify({
  language: 'node', verify_ns: +verifyNs.toFixed(1), sign_ns: +signNs.toFixed(1), sha256_ns: +shaNs.toFixed(1),
  rss_before_kib: Math.round(before / 1024), rss_after_kib: Math.round(after / 1024), memory_verifies: memoryIters,
}));
