"""GetSignedEndpoint throughput and latency against one mock server: sandgate's AsyncClient
next to the official OpenSandbox Python SDK (PyPI `opensandbox`, installed at bench time).
Usage: python http_bench.py DOMAIN ADMIN_KEY SANDBOX_ID REQUESTS   (prints JSON lines)
"""
import asyncio
import json
import sys
import time

DOMAIN, KEY, SANDBOX, REQUESTS = sys.argv[1], sys.argv[2], sys.argv[3], int(sys.argv[4])


async def measure(name, call, concurrency):
    latencies = []
    per_worker = max(1, REQUESTS // concurrency)

    async def worker():
        for _ in range(per_worker):
            t = time.perf_counter()
            await call()
            latencies.append(time.perf_counter() - t)

    await call()  # warm the connection pool
    start = time.perf_counter()
    await asyncio.gather(*(worker() for _ in range(concurrency)))
    elapsed = time.perf_counter() - start
    latencies.sort()
    pick = lambda q: round(latencies[min(len(latencies) - 1, int(q * len(latencies)))] * 1000, 3)
    print(json.dumps({"client": name, "concurrency": concurrency, "requests": len(latencies),
                      "rps": round(len(latencies) / elapsed, 1), "p50_ms": pick(0.50),
                      "p99_ms": pick(0.99)}), flush=True)


async def main():
    expires = int(time.time()) + 3600
    import sandgate

    client = sandgate.AsyncClient(domain=DOMAIN, api_key=KEY)
    sg = lambda: client.get_signed_endpoint(SANDBOX, 8080, expires)
    from opensandbox.adapters.sandboxes_adapter import SandboxesAdapter
    from opensandbox.config import ConnectionConfig

    adapter = SandboxesAdapter(ConnectionConfig(domain=DOMAIN, api_key=KEY))
    official = lambda: adapter.get_signed_sandbox_endpoint(SANDBOX, 8080, expires)
    for concurrency in (1, 64):
        await measure("sandgate-python", sg, concurrency)
        await measure("opensandbox-python", official, concurrency)


asyncio.run(main())
