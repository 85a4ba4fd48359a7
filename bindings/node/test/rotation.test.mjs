// Signing-key rotation (issue 21, SPEC §7) through the package's API on the in-process mock:
// sign with a → add b → activate b → both links answer 200 through the mock's gateway →
// retire a once its last link has expired (mock clock) → a's links 401 unknown_key, b's 200.
// And a local RouteVerifier or Gateway given new keys accepts a link it refused before.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import {
  AccessDenied, Client, Gateway, InvalidConfig, MockServer, RouteSigner, RouteVerifier, SigningKeys,
} from 'sandgate';

const HOUR = 3600;
const A = `a=${randomBytes(32).toString('base64')}`;
const B = `b=${randomBytes(32).toString('base64')}`;

/** The gateway's answer to a link: [status, X-Sandgate-Reason]. */
async function through(mock, link) {
  const r = await fetch(`${mock.gatewayUrl}/ping`, { headers: { 'OpenSandbox-Ingress-To': link } });
  await r.arrayBuffer();
  return [r.status, r.headers.get('x-sandgate-reason') ?? ''];
}

test('rotation: sign with a, add b, activate b, retire a after its last link expired', async () => {
  const mock = MockServer.start({ routeMode: 'header' });
  try {
    mock.setSigningKeys(SigningKeys.fromFlag(A));
    // Signed endpoints are cached; this walkthrough asks the mock for each link.
    const client = new Client({ domain: mock.domain, apiKey: mock.adminKey, cache: false });
    const sb = await client.createSandbox({ image: 'node:20', secureAccess: true, timeoutSeconds: 86400 });
    const link = async (expires) =>
      (await client.endpoint(sb.id, 8080, { expires })).headers['OpenSandbox-Ingress-To'];
    const keyOf = (l) => l.at(-1);

    // Day 0: a signs; its longest link lives an hour.
    const aLink = await link(Number(mock.now()) + HOUR);
    assert.equal(keyOf(aLink), 'a');
    assert.deepEqual(await through(mock, aLink), [200, '']);

    // Add b everywhere first: a still signs.
    mock.advance(60);
    mock.setSigningKeys(SigningKeys.fromFlag(`${A},${B}`));
    assert.equal(keyOf(await link(Number(mock.now()) + 60)), 'a');

    // Activate b: new links are b's, a's still verify.
    mock.advance(60);
    const activated = Number(mock.now());
    mock.setSigningKeys(SigningKeys.fromFlag(`${A},${B}`).withActive('b'));
    const bLink = await link(activated + HOUR);
    assert.equal(keyOf(bLink), 'b');
    assert.deepEqual(await through(mock, aLink), [200, '']);
    assert.deepEqual(await through(mock, bLink), [200, '']);

    // a may have signed until `activated`: its last link is valid until activated + HOUR.
    // Once that has passed (mock clock), retire a.
    mock.setNow(activated + HOUR + 1);
    mock.setSigningKeys(SigningKeys.fromFlag(B));
    const freshB = await link(Number(mock.now()) + HOUR);
    assert.equal(keyOf(freshB), 'b');
    assert.deepEqual(await through(mock, freshB), [200, '']);
    assert.deepEqual(await through(mock, aLink), [401, 'expired']);

    // The key itself is gone, whatever the clock: at an instant when both old links were
    // still within their expiry, a's answers 401 unknown_key and b's 200.
    mock.setNow(activated + 10);
    assert.deepEqual(await through(mock, aLink), [401, 'unknown_key']);
    assert.deepEqual(await through(mock, bLink), [200, '']);

    // reset() puts back the keys the mock started with.
    mock.reset();
    assert.deepEqual(SigningKeys.fromFlag(mock.signingKeys).keyIds, ['a', 'b']);
  } finally {
    mock.stop();
  }
});

test('rotation: a local RouteVerifier and Gateway given new keys accept a link they refused', () => {
  const now = 1_900_000_000;
  const bKeys = SigningKeys.fromFlag(`${A},${B}`).withActive('b');
  assert.equal(bKeys.activeKeyId, 'b');
  // A signer without a key id signs with the active key.
  const bLink = new RouteSigner(bKeys).sign('sbx-001', 8080, now + 600).token;
  assert.equal(bLink.at(-1), 'b');

  const verifier = new RouteVerifier(SigningKeys.fromFlag(A));
  assert.throws(() => verifier.verify(bLink, now), (e) => e instanceof AccessDenied && e.reason === 'unknown_key');
  verifier.replaceKeys(bKeys);
  assert.equal(verifier.verify(bLink, now).keyId, 'b');
  verifier.replaceKeys(SigningKeys.fromFlag(A));
  assert.throws(() => verifier.verify(bLink, now), (e) => e.reason === 'unknown_key');

  const gateway = new Gateway({ routeMode: 'header', keys: SigningKeys.fromFlag(A), now });
  const check = () => gateway.check('/', [['Host', 'gw.example.com'], ['OpenSandbox-Ingress-To', bLink]]);
  assert.deepEqual([check().status, check().reason], [401, 'unknown_key']);
  gateway.replaceKeys(bKeys);
  assert.deepEqual([check().status, check().allowed, check().route.keyId], [200, true, 'b']);

  assert.throws(() => bKeys.withActive('z'), InvalidConfig);
  assert.throws(() => verifier.replaceKeys(A), (e) => e.kind === 'invalid_argument' && /SigningKeys/.test(e.message));
});
