// GetSignedEndpoint throughput and latency against one mock server: sandgate's Client next to
// the official OpenSandbox npm SDK (@alibaba-group/opensandbox, installed at bench time).
// Usage: node http_bench.mjs DOMAIN ADMIN_KEY SANDBOX_ID REQUESTS   (prints JSON lines)
import { Client } from 'sandgate';
import { SandboxesAdapter, createLifecycleClient } from '@alibaba-group/opensandbox/internal';

const [domain, key, sandbox, requestsArg] = process.argv.slice(2);
const requests = Number(requestsArg);
const expires = Math.floor(Date.now() / 1000) + 3600;

async function measure(name, call, concurrency) {
  const latencies = [];
  const perWorker = Math.max(1, Math.floor(requests / concurrency));
  await call(); // warm the connection pool
  const start = performance.now();
  await Promise.all(Array.from({ length: concurrency }, async () => {
    for (let i = 0; i < perWorker; i++) {
      const t = performance.now();
      await call();
      latencies.push(performance.now() - t);
    }
  }));
  const elapsed = (performance.now() - start) / 1000;
  latencies.sort((a, b) => a - b);
  const pick = (q) => +latencies[Math.min(latencies.length - 1, Math.floor(q * latencies.length))].toFixed(3);
  console.log(JSON.stringify({ client: name, concurrency, requests: latencies.length,
    rps: +(latencies.length / elapsed).toFixed(1), p50_ms: pick(0.5), p99_ms: pick(0.99) }));
}

const sg = new Client({ domain, apiKey: key });
const official = new SandboxesAdapter(createLifecycleClient({ baseUrl: `http://${domain}/v1`, apiKey: key }));
for (const concurrency of [1, 64]) {
  await measure('sandgate-node', () => sg.getSignedEndpoint(sandbox, 8080, { expires }), concurrency);
  await measure('opensandbox-node', () => official.getSignedEndpoint(sandbox, 8080, expires), concurrency);
}
