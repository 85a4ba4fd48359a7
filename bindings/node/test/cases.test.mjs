// The shared case files (sdk-tests/cases) through the package's public API: vectors, parse,
// access, key config and API keys.
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import {
  InvalidArgument,
  InvalidConfig,
  RouteSigner,
  RouteVerifier,
  SandgateError,
  SigningKeys,
  generateApiKey,
  hashApiKey,
  verifyApiKey,
} from 'sandgate';
import { loadCases, seconds } from './support.mjs';

const vectors = loadCases('vectors.json');

describe('vectors', () => {
  vectors.signing.forEach((v, i) => {
    test(`vectors: signing ${i} ${v.token}`, () => {
      const keys = SigningKeys.fromFlag(`${v.key_id}=${v.secret_b64}`);
      const route = new RouteSigner(keys, v.key_id).sign(v.sandbox_id, v.port, seconds(v.expires));
      assert.equal(route.token, v.token);
      assert.equal(route.signature, v.signature);
      assert.equal(route.expiresB36, v.expires_b36);
      assert.equal(route.expires, seconds(v.expires));
      assert.equal(route.headerValue, v.token);
      assert.equal(route.uriPrefix, `/${v.sandbox_id}/${v.port}/${v.expires_b36}/${v.signature}`);
      assert.equal(route.host('.sandbox.example.com'), `${v.token}.sandbox.example.com`);
      const info = new RouteVerifier(keys).verify(v.token, seconds(v.expires));
      assert.deepEqual(info, {
        sandboxId: v.sandbox_id,
        port: v.port,
        expires: seconds(v.expires),
        keyId: v.key_id,
      });
    });
  });

  const keys = SigningKeys.fromFlag('a=bXktdGVzdC1zZWNyZXQ=');
  for (const f of vectors.expires_b36) {
    test(`vectors: expires ${f.expires} is b36 ${f.b36}`, () => {
      const route = new RouteSigner(keys, 'a').sign('sbx', 80, seconds(f.expires));
      assert.equal(route.expiresB36, f.b36);
      const parsed = new RouteVerifier(keys).decide({ ingressTo: route.token }, null, 0);
      assert.equal(parsed.allowed, true);
      assert.equal(parsed.route.expires, seconds(f.expires));
    });
  }
  for (const bad of vectors.expires_b36_rejected) {
    test(`vectors: expires b36 ${JSON.stringify(bad)} is rejected`, () => {
      const d = new RouteVerifier(keys).decide({ ingressTo: `sbx-80-${bad}-0ff8cd39a` }, null, 0);
      assert.equal(d.allowed, false);
      assert.equal(d.reason, 'malformed');
      assert.equal(d.status, 400);
    });
  }
});

describe('parse', () => {
  const noKeys = SigningKeys.fromFlag('');
  for (const c of loadCases('parse.json').cases) {
    test(`parse: ${c.form} ${c.name}`, () => {
      const request =
        c.form === 'token' ? { ingressTo: c.input } : c.form === 'host' ? { host: c.input, path: '/' } : { path: c.input };
      const d = new RouteVerifier(noKeys).decide(request, null, 0);
      if (c.expect.ok) {
        assert.equal(d.allowed, true, `denied: ${d.reason} ${d.detail}`);
        assert.deepEqual(d.route, {
          sandboxId: c.expect.sandbox_id,
          port: c.expect.port,
          expires: seconds(c.expect.expires),
          keyId: c.expect.key_id,
        });
        if ('path' in c.expect) assert.equal(d.path, c.expect.path);
        if ('query' in c.expect) assert.equal(d.query, c.expect.query);
      } else {
        assert.equal(d.allowed, false);
        assert.equal(d.reason, c.expect.reason);
        assert.equal(d.status, 400);
        assert.equal(d.route, null);
      }
    });
  }
});

describe('access', () => {
  for (const c of loadCases('access.json').cases) {
    test(`access: ${c.name}`, () => {
      const r = c.request;
      const request = { ingressTo: r.ingress_to, host: r.host, path: r.path, secureAccess: r.secure_access };
      const token = c.sandbox.secure ? c.sandbox.access_token : null;
      const d = new RouteVerifier(SigningKeys.fromFlag(c.keys)).decide(request, token, seconds(c.now));
      const e = c.expect;
      assert.equal(d.allowed, e.allowed, `reason ${d.reason}: ${d.detail}`);
      assert.equal(d.status, e.status ?? 200);
      if (e.allowed) {
        assert.equal(d.reason, null);
        assert.equal(d.grant, e.grant);
        assert.deepEqual(d.route, {
          sandboxId: e.sandbox_id,
          port: e.port,
          expires: seconds(e.expires),
          keyId: e.key_id,
        });
        assert.equal(d.path, e.path);
        assert.equal(d.query, e.query);
      } else {
        assert.equal(d.reason, e.reason);
        assert.equal(d.grant, null);
      }
    });
  }
});

describe('key_config', () => {
  for (const c of loadCases('key_config.json').cases) {
    test(`key_config: ${c.form} ${c.name}`, () => {
      const forms = { flag: SigningKeys.fromFlag, toml: SigningKeys.fromToml, env: SigningKeys.fromEnv };
      assert.ok(forms[c.form], `unknown form ${c.form}`);
      const parse = () => forms[c.form](c.input);
      if (c.expect.unset) {
        assert.equal(parse(), null);
      } else if (c.expect.ok) {
        const keys = parse();
        assert.deepEqual(keys.keyIds, c.expect.key_ids);
        assert.equal(keys.activeKeyId, c.expect.active_key);
      } else {
        assert.throws(parse, (e) => {
          assert.ok(e instanceof InvalidConfig, `${e.name}: ${e.message}`);
          assert.ok(e instanceof SandgateError);
          assert.equal(e.kind, c.expect.kind);
          assert.ok(e.message.includes(c.expect.message_contains), e.message);
          if (c.expect.message_excludes) assert.ok(!e.message.includes(c.expect.message_excludes), e.message);
          return true;
        });
      }
    });
  }
});

test('key_config: fromEnv reads process.env by default and checks value types', () => {
  const saved = { ...process.env };
  try {
    delete process.env.OPENSANDBOX_SECURE_ACCESS_KEYS;
    delete process.env.OPENSANDBOX_SECURE_ACCESS_ACTIVE_KEY;
    assert.equal(SigningKeys.fromEnv(), null);
    process.env.OPENSANDBOX_SECURE_ACCESS_KEYS = 'a=Zm9v,b=YmFy';
    assert.throws(() => SigningKeys.fromEnv(), (e) => e instanceof InvalidConfig && /set together/.test(e.message));
    process.env.OPENSANDBOX_SECURE_ACCESS_ACTIVE_KEY = 'b';
    assert.equal(SigningKeys.fromEnv().activeKeyId, 'b');
  } finally {
    for (const k of ['OPENSANDBOX_SECURE_ACCESS_KEYS', 'OPENSANDBOX_SECURE_ACCESS_ACTIVE_KEY']) {
      if (k in saved) process.env[k] = saved[k];
      else delete process.env[k];
    }
  }
  assert.throws(() => SigningKeys.fromEnv({ OPENSANDBOX_SECURE_ACCESS_KEYS: 1, OPENSANDBOX_SECURE_ACCESS_ACTIVE_KEY: 'a' }), InvalidArgument);
  assert.throws(() => SigningKeys.fromEnv('a=Zm9v'), (e) => e instanceof InvalidArgument &&
    e.message === 'env must be an object of environment variables' &&
    e.toString() === 'invalid argument: env must be an object of environment variables');
});

test('access: host() refuses a base domain that is not a DNS name', () => {
  const route = new RouteSigner(SigningKeys.fromFlag('a=bXktdGVzdC1zZWNyZXQ='), 'a').sign('sbx-001', 8080, 2_000_000_000);
  assert.equal(route.host('*.sandbox.example.com'), 'sbx-001-8080-x2qxvk-0ff8cd39a.sandbox.example.com');
  for (const bad of ['evil.com/x', 'a b.com', 'a.com\r\nX-Injected: 1', '']) {
    assert.throws(() => route.host(bad), InvalidArgument, JSON.stringify(bad));
  }
});

describe('api_keys', () => {
  const cases = loadCases('api_keys.json');
  for (const c of cases.hash) {
    test(`api_keys: hash ${JSON.stringify(c.raw)}`, () => {
      assert.equal(hashApiKey(c.raw), c.hash);
    });
  }
  for (const c of cases.verify) {
    test(`api_keys: verify ${c.name}`, () => {
      const run = () =>
        verifyApiKey(c.key, c.hash, { expiresAt: c.expires_at, revoked: c.revoked, now: seconds(c.now) ?? undefined });
      if (typeof c.expect === 'boolean') {
        assert.equal(run(), c.expect);
      } else {
        assert.throws(run, (e) => e instanceof SandgateError && e.kind === c.expect);
      }
    });
  }
  for (const c of cases.generate) {
    test(`api_keys: generate with prefix ${JSON.stringify(c.prefix)}`, () => {
      if (c.error) {
        assert.throws(() => generateApiKey(c.prefix), (e) => e instanceof InvalidArgument && e.kind === c.error);
        return;
      }
      const g = generateApiKey(c.prefix);
      const raw = g.key.expose();
      assert.equal(raw.length, c.length);
      assert.ok(raw.startsWith(c.prefix));
      assert.equal(g.prefix, raw.slice(0, 12));
      assert.equal(g.hash, hashApiKey(raw));
      assert.equal(hashApiKey(g.key), g.hash, 'a Secret hashes like its value');
      assert.equal(verifyApiKey(g.key, g.hash), true);
      assert.notEqual(generateApiKey(c.prefix).key.expose(), raw, 'two keys differ');
    });
  }
});
