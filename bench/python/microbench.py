"""Python micro-benchmark for bench/run.

Prints two JSON lines: sandgate's sign and verify next to hashlib's SHA-256 of the same
signing input (with RSS before/after many verifies), and the same operations written with the
upstream server's signing module (opensandbox-server, installed at bench time only).
Usage: python microbench.py ITERS MEMORY_ITERS [UPSTREAM_SIGNING_PY]
"""
import base64
import hashlib
import hmac
import importlib.util
import json
import struct
import sys
import time

from sandgate import RouteSigner, RouteVerifier, SigningKeys

ITERS = int(sys.argv[1]) if len(sys.argv) > 1 else 200_000
MEMORY_ITERS = int(sys.argv[2]) if len(sys.argv) > 2 else 1_000_000
UPSTREAM = sys.argv[3] if len(sys.argv) > 3 else None

SECRET = bytes([7] * 32)
SANDBOX, PORT, EXPIRES, NOW = "sbx-0a1b2c3d4e5f", 8080, 2_000_000_000, 1_900_000_000


def ns_per_call(n, f):
    best = float("inf")
    for _ in range(5):
        t = time.perf_counter_ns()
        for _ in range(n):
            f()
        best = min(best, (time.perf_counter_ns() - t) / n)
    return round(best, 1)


def rss_kib():
    with open("/proc/self/status") as f:
        for line in f:
            if line.startswith("VmRSS:"):
                return int(line.split()[1])
    return 0


keys = SigningKeys.from_flag("a=" + base64.b64encode(SECRET).decode())
signer = RouteSigner(keys, "a")
verifier = RouteVerifier(keys)
token = signer.sign(SANDBOX, PORT, EXPIRES).token
canonical = f"v1\nshort\n{SANDBOX}\n{PORT}\nx2qxvk\n".encode()
inner = struct.pack(">I", len(SECRET)) + SECRET + struct.pack(">I", len(canonical)) + canonical

verify_ns = ns_per_call(ITERS, lambda: verifier.verify(token, now=NOW))
sign_ns = ns_per_call(ITERS, lambda: signer.sign(SANDBOX, PORT, EXPIRES).token)
sha_ns = ns_per_call(ITERS, lambda: hashlib.sha256(inner).digest())
before = rss_kib()
for _ in range(MEMORY_ITERS):
    verifier.verify(token, now=NOW)
after = rss_kib()
print(json.dumps({"language": "python", "verify_ns": verify_ns, "sign_ns": sign_ns,
                  "sha256_ns": sha_ns, "rss_before_kib": before, "rss_after_kib": after,
                  "memory_verifies": MEMORY_ITERS}))

if UPSTREAM:
    spec = importlib.util.spec_from_file_location("upstream_signing", UPSTREAM)
    up = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(up)

    def up_sign():
        b36 = up.encode_expires_b36(EXPIRES)
        sig = up.compute_signature(SECRET, "a", up.build_canonical_bytes(SANDBOX, PORT, b36))
        return f"{SANDBOX}-{PORT}-{b36}-{sig}"

    def up_verify():
        # What a Python gateway must do with the upstream module: split from the right,
        # decode and check the expiry, recompute and compare in constant time.
        sandbox_id, port, b36, sig = token.rsplit("-", 3)
        if NOW > up.decode_expires_b36(b36):
            raise ValueError("expired")
        want = up.compute_hex8(SECRET, up.build_canonical_bytes(sandbox_id, int(port), b36))
        if not hmac.compare_digest(want, sig[:8]):
            raise ValueError("bad signature")
        return sandbox_id

    assert up_sign() == token, "upstream and sandgate disagree"
    print(json.dumps({"language": "python-upstream", "verify_ns": ns_per_call(ITERS, up_verify),
                      "sign_ns": ns_per_call(ITERS, up_sign), "sha256_ns": sha_ns}))
