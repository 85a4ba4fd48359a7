// The whole sandgate flow with the Node.js package, against its in-process mock server:
// mint a key as a user → create a secure sandbox with it → get a signed endpoint →
// GET /ping through the verifying gateway with fetch → verify the token locally → move the
// mock clock and see the link expire → see a tampered token rejected → revoke the key.
// Exits non-zero at the first step that does not behave.
import { AccessDenied, ApiError, Client, MockServer, RouteVerifier, SigningKeys } from 'sandgate';

const INGRESS_TO = 'OpenSandbox-Ingress-To';

function check(ok, what) {
  if (!ok) throw new Error(what);
}

/** The same token with one hex digit of its signature changed. */
function tamper(token) {
  const i = token.length - 2;
  return token.slice(0, i) + (token[i] === '0' ? '1' : '0') + token.slice(i + 1);
}

async function get(endpoint, path, headers = endpoint.headers) {
  const r = await fetch(`${endpoint.url}${path}`, { headers });
  return { status: r.status, body: (await r.text()).trim() };
}

const mock = MockServer.start({ routeMode: 'header', trustedHeaders: true });
try {
  console.log(`mock server: API ${mock.apiUrl} · gateway ${mock.gatewayUrl}`);

  // 1. A user (from the trusted headers) mints a key; the raw key is shown this one time.
  const asUser = new Client({
    domain: mock.domain,
    headers: { 'X-OpenSandbox-User': 'demo-user', 'X-OpenSandbox-Roles': 'operator' },
  });
  const key = await asUser.createApiKey({ name: 'demo' });
  console.log(`1. minted API key ${key.id} for demo-user (prefix ${key.prefix}, shown once: ${key.key.expose().length} characters; prints as ${key.key})`);

  // 2. With that key alone, create a sandbox that requires secure access.
  const client = new Client({ domain: mock.domain, apiKey: key.key });
  const sandbox = await client.createSandbox({ image: 'python:3.11', secureAccess: true });
  check(sandbox.metadata['access.owner'] === 'demo-user', 'the sandbox owner is not demo-user');
  console.log(`2. created secure sandbox ${sandbox.id} owned by ${sandbox.metadata['access.owner']}`);

  // 3. A signed endpoint for port 8080 that stops working in 60 seconds.
  const endpoint = await client.getSignedEndpoint(sandbox.id, 8080, { ttlSeconds: 60 });
  const token = endpoint.headers[INGRESS_TO];
  check(endpoint.route !== null && token, 'the endpoint carries no signed route');
  console.log(`3. signed endpoint ${endpoint.url} with ${INGRESS_TO}: ${token} (expires ${endpoint.route.expires})`);

  // 4. Through the gateway with fetch.
  let r = await get(endpoint, '/ping?from=demo');
  check(r.status === 200, `GET /ping answered ${r.status}: ${r.body}`);
  console.log(`4. GET /ping through the gateway → ${r.status} ${r.body}`);

  // 5. Verify the same token locally with the mock's signing keys.
  const verifier = new RouteVerifier(SigningKeys.fromFlag(mock.signingKeys));
  const verified = verifier.verify(token, mock.now());
  check(verified.sandboxId === sandbox.id, 'the local verification names another sandbox');
  console.log(`5. verified locally: sandbox ${verified.sandboxId} port ${verified.port} key ${verified.keyId}`);

  // 6. Past its expiry the same link is rejected, by the gateway and locally.
  mock.advance(61);
  r = await get(endpoint, '/ping');
  check(r.status === 401 && r.body.includes('expired'), `the expired link answered ${r.status}: ${r.body}`);
  let local = null;
  try {
    verifier.verify(token, mock.now());
  } catch (e) {
    local = e;
  }
  check(local instanceof AccessDenied && local.reason === 'expired', `local verify said ${local}`);
  console.log(`6. after the clock moved 61 s: ${r.status} ${r.body}`);

  // 7. A tampered token is rejected.
  const fresh = await client.getSignedEndpoint(sandbox.id, 8080, { ttlSeconds: 3600 });
  check((await get(fresh, '/ping')).status === 200, 'the fresh link was refused');
  const bad = tamper(fresh.headers[INGRESS_TO]);
  r = await get(fresh, '/ping', { ...fresh.headers, [INGRESS_TO]: bad });
  check(r.status === 401 && r.body.includes('bad_signature'), `the tampered token answered ${r.status}: ${r.body}`);
  console.log(`7. tampered token ${bad}: ${r.status} ${r.body}`);

  // 8. Revoke the key: it stops working.
  await asUser.revokeApiKey(key.id);
  let err = null;
  try {
    await client.listSandboxes();
  } catch (e) {
    err = e;
  }
  check(err instanceof ApiError && err.status === 401, `the revoked key gave ${err ?? 'no error'}`);
  console.log(`8. revoked key ${key.id} → ${err}`);
  console.log('every step behaved');
} catch (e) {
  console.error(`FAILED: ${e}`);
  process.exitCode = 1;
} finally {
  mock.stop();
}
