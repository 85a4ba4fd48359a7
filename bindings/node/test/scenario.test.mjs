// sdk-tests/cases/scenario.json in all three route modes, each against a fresh mock: keys,
// sandboxes, signed and unsigned endpoints, and GETs through the verifying gateway.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import http from 'node:http';
import { Client, MockServer, RouteVerifier, SandgateError, SigningKeys } from 'sandgate';
import { loadCases } from './support.mjs';

const scenario = loadCases('scenario.json');
const INGRESS_TO = 'OpenSandbox-Ingress-To';
const SECURE_ACCESS = 'OpenSandbox-Secure-Access';

const hasHeader = (headers, name) => Object.keys(headers).some((k) => k.toLowerCase() === name.toLowerCase());

/** The signature is the token's last 9 characters; its 8th (the last hex digit) changes. */
function tamper(token) {
  const i = token.length - 2;
  return token.slice(0, i) + (token[i] === '1' ? '0' : '1') + token.slice(i + 1);
}

/** GET through the gateway. Wildcard hosts (`{token}.localhost`) need not resolve, so that
 * mode sends to the gateway address with the endpoint's Host (fetch cannot set Host). */
async function gatewayGet(mode, mock, endpoint, path, step) {
  const headers = { ...endpoint.headers };
  const url = new URL(endpoint.url);
  if (step.tamper) {
    if (mode === 'header') headers[INGRESS_TO] = tamper(headers[INGRESS_TO]);
    if (mode === 'wildcard') {
      const [label, ...rest] = url.hostname.split('.');
      url.hostname = [tamper(label), ...rest].join('.');
    }
    if (mode === 'uri') url.pathname = tamper(url.pathname);
  }
  if (step.secure_header !== undefined) headers[SECURE_ACCESS] = step.secure_header;
  if (step.drop_secure_header) delete headers[SECURE_ACCESS];
  const target = `${url.href.replace(/\/$/, '')}${path}`;
  if (mode !== 'wildcard') {
    const r = await fetch(target, { headers });
    return { status: r.status, reason: r.headers.get('x-sandgate-reason'), body: await r.text() };
  }
  const gateway = new URL(mock.gatewayUrl);
  return new Promise((resolve, reject) => {
    const req = http.request(
      { host: gateway.hostname, port: gateway.port, path, method: 'GET', headers: { ...headers, host: url.host } },
      (res) => {
        let body = '';
        res.setEncoding('utf8');
        res.on('data', (d) => (body += d));
        res.on('end', () => resolve({ status: res.statusCode, reason: res.headers['x-sandgate-reason'] ?? null, body }));
      },
    );
    req.on('error', reject);
    req.end();
  });
}

/** Where the endpoint carries its route, as an access request for core's decision. */
function routeRequest(mode, endpoint) {
  const url = new URL(endpoint.url);
  if (mode === 'header') return { ingressTo: endpoint.headers[INGRESS_TO] };
  if (mode === 'wildcard') return { host: url.host };
  return { path: url.pathname };
}

for (const mode of scenario.modes) {
  describe(`scenario ${mode}`, () => {
    let mock;
    const saved = {};
    const sandboxOf = {}; // endpoint name -> the saved sandbox it belongs to
    before(() => {
      mock = MockServer.start({ routeMode: mode, trustedHeaders: true });
    });
    after(() => mock.stop());

    const clientAs = (as) =>
      as.key
        ? new Client({ domain: mock.domain, apiKey: saved[as.key].key })
        : new Client({ domain: mock.domain, headers: { 'X-OpenSandbox-User': as.user, 'X-OpenSandbox-Roles': as.roles } });

    scenario.steps.forEach((step, i) => {
      test(`scenario ${mode}: step ${i + 1} ${step.op}`, async () => {
        const e = step.expect ?? {};
        const call = async () => {
          const client = step.as ? clientAs(step.as) : null;
          switch (step.op) {
            case 'create_api_key':
              return client.createApiKey({ name: step.name });
            case 'list_api_keys':
              return client.listApiKeys();
            case 'list_sandboxes':
              return client.listSandboxes();
            case 'create_sandbox':
              return client.createSandbox({ image: step.image, secureAccess: step.secure_access });
            case 'get_signed_endpoint':
              return client.getSignedEndpoint(saved[step.sandbox].id, step.port, { ttlSeconds: step.ttl_seconds });
            case 'get_endpoint':
              return client.getEndpoint(saved[step.sandbox].id, step.port);
            case 'revoke_api_key':
              return client.revokeApiKey(saved[step.key].id);
            case 'verify_local': {
              const verifier = new RouteVerifier(SigningKeys.fromFlag(mock.signingKeys));
              const request = routeRequest(mode, saved[step.endpoint]);
              // A secure sandbox with no access header sent: the decision rests on the signature.
              const d = verifier.decide(request, 'access-token-not-sent', mock.now());
              if (mode === 'header' && d.allowed) {
                assert.equal(verifier.verify(request.ingressTo, mock.now()).port, d.route.port);
              }
              return d;
            }
            case 'gateway_get':
              return gatewayGet(mode, mock, saved[step.endpoint], step.path, step);
            case 'advance_clock':
              return mock.advance(step.seconds);
            default:
              throw new Error(`unknown op ${step.op}`);
          }
        };
        if (e.error) {
          await assert.rejects(call(), (err) => {
            assert.ok(err instanceof SandgateError, String(err));
            assert.equal(err.kind, e.error.kind);
            assert.equal(err.status, e.error.status);
            assert.equal(err.code, e.error.code);
            return true;
          });
          return;
        }
        const result = await call();
        if (step.save) saved[step.save] = result;
        if (step.save && step.sandbox) sandboxOf[step.save] = saved[step.sandbox];
        switch (step.op) {
          case 'create_api_key': {
            assert.equal(result.name, e.name);
            const raw = result.key.expose();
            if (e.prefix_is_key_start) assert.equal(result.prefix, raw.slice(0, 12));
            break;
          }
          case 'list_api_keys':
            assert.equal(result.length, e.count);
            if (e.never_contains_key) {
              const raw = saved[e.never_contains_key].key.expose();
              for (const k of result) for (const v of Object.values(k)) assert.ok(!String(v).includes(raw));
            }
            break;
          case 'list_sandboxes':
            assert.equal(result.length, e.count);
            break;
          case 'create_sandbox':
            if ('owner' in e) assert.equal(result.metadata['access.owner'], e.owner);
            if ('secure_access' in e) assert.equal(result.secureAccess, e.secure_access);
            break;
          case 'get_signed_endpoint':
          case 'get_endpoint':
            if (e.route) {
              assert.equal(result.route.sandboxId, saved[step.sandbox].id);
              if ('port' in e.route) assert.equal(result.route.port, e.route.port);
              if ('key_id' in e.route) assert.equal(result.route.keyId, e.route.key_id);
            }
            if (e.no_header) assert.ok(!hasHeader(result.headers, e.no_header), JSON.stringify(Object.keys(result.headers)));
            if (e.has_header) assert.ok(hasHeader(result.headers, e.has_header));
            if (e.no_route) assert.equal(result.route, null);
            break;
          case 'verify_local':
            assert.equal(result.allowed, e.allowed, `${result.reason}: ${result.detail}`);
            if (e.allowed) assert.equal(result.route.sandboxId, sandboxOf[step.endpoint].id);
            if ('reason' in e) assert.equal(result.reason, e.reason);
            if ('status' in e) assert.equal(result.status, e.status);
            break;
          case 'gateway_get':
            assert.equal(result.status, e.status, result.body);
            if ('reason' in e) assert.equal(result.reason, e.reason);
            if (e.echo) {
              const echo = JSON.parse(result.body);
              assert.equal(echo.sandbox_id, sandboxOf[step.endpoint].id);
              for (const [k, v] of Object.entries(e.echo)) assert.deepEqual(echo[k], v, k);
            }
            break;
          default:
            break;
        }
      });
    });
  });
}
