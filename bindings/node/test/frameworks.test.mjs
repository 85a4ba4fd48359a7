// The gateway inside the web frameworks it targets (issue 20 item 5): every case of
// sdk-tests/cases/gateway.json through `gateway.middleware()` mounted in Express and in Connect,
// and through `gateway.fastifyHook()` in Fastify's `onRequest`, each on a real loopback server
// (raw HTTP/1.1 requests, so repeated and empty headers arrive as written). test.sh installs the
// frameworks, pinned, into target/node-frameworks and names it in $SANDGATE_FRAMEWORKS.
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import http from 'node:http';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { Gateway, MockServer, RouteSigner, SigningKeys } from 'sandgate';
import { loadCases, REPO } from './support.mjs';
import { app, assertAnswer, gatewayFor, rawRequest, refusedByNode } from './edge.mjs';

const HERE = dirname(fileURLToPath(import.meta.url));
const FRAMEWORKS = process.env.SANDGATE_FRAMEWORKS;
if (!FRAMEWORKS) throw new Error('SANDGATE_FRAMEWORKS is not set: run bindings/node/test.sh');
const require = createRequire(join(FRAMEWORKS, 'package.json'));
const express = require('express');
const connect = require('connect');
const Fastify = require('fastify');
const PINNED = JSON.parse(readFileSync(join(FRAMEWORKS, 'package.json'), 'utf8')).dependencies;
const CASES = loadCases('gateway.json').cases;

/** The server as Express's `app.listen` and Connect's docs make it: Node's defaults (which
 * answer a request without Host 400 themselves; gateway.json has none). */
const serverFor = (handler) => http.createServer(handler);

async function listen(server) {
  await new Promise((resolve) => server.listen(0, '127.0.0.1', resolve));
  return server;
}

/**
 * Each framework with the gateway mounted its own way, in front of an app that echoes what it
 * saw. `seen.reached` is set by the framework's first middleware or hook (before the gateway),
 * `seen.handled` by the handler.
 */
const MOUNTS = {
  async express(gateway, seen) {
    const a = express();
    a.use((req, res, next) => { seen.reached = true; next(); });
    a.use(gateway.middleware());
    a.use((req, res) => { seen.handled = true; app(req, res); });
    return listen(serverFor(a));
  },
  async connect(gateway, seen) {
    const a = connect();
    a.use((req, res, next) => { seen.reached = true; next(); });
    a.use(gateway.middleware());
    a.use((req, res) => { seen.handled = true; app(req, res); });
    return listen(serverFor(a));
  },
  async fastify(gateway, seen) {
    const f = Fastify();
    f.addHook('onRequest', (request, reply, done) => { seen.reached = true; done(); });
    f.addHook('onRequest', gateway.fastifyHook());
    f.get('/*', (request, reply) => {
      seen.handled = true;
      reply.type('application/json').send(JSON.stringify({
        url: request.url, originalUrl: request.originalUrl, rawHeaders: request.raw.rawHeaders,
        headers: request.headers, verdict: request.sandgate,
      }));
    });
    await f.listen({ port: 0, host: '127.0.0.1' });
    return f.server;
  },
};

/**
 * What each framework answers itself, before any middleware, for a target Node's parser lets
 * through (Node answers 400 for a target that is neither origin-form, absolute-form nor `*`,
 * under every framework). Connect runs a middleware mounted at `/` only for a path that starts
 * with `/`, so `*` falls through to its final handler: 404.
 */
const REFUSES = {
  express: () => null,
  connect: (target) => (target.startsWith('/') ? null : 404),
  fastify: () => null,
};

for (const [name, mount] of Object.entries(MOUNTS)) {
  describe(`${name} ${PINNED[name]}`, () => {
    test(`middleware in ${name}: the pinned version is the one installed`, () => {
      assert.equal(require(`${name}/package.json`).version, PINNED[name]);
    });
    for (const c of CASES) {
      test(`middleware in ${name}: ${c.name}`, async () => {
        const seen = { reached: false, handled: false };
        const server = await mount(gatewayFor(c), seen);
        try {
          const r = await rawRequest(server.address().port, c.request.target, c.request.headers);
          const refusedWith = refusedByNode(c.request.target) ? 400 : REFUSES[name](c.request.target);
          if (refusedWith !== null) {
            // Fail closed: the framework answers an error before any middleware or hook runs.
            assert.equal(r.status, refusedWith, `${name} refuses ${c.request.target} itself`);
            assert.equal(seen.reached, false);
            assert.equal(seen.handled, false);
            return;
          }
          assert.equal(seen.reached, true, 'the gateway runs');
          assertAnswer(r, c, name);
          assert.equal(seen.handled, c.expect.allowed, 'the handler runs on an allow only');
        } finally {
          server.closeAllConnections();
          await new Promise((resolve) => server.close(resolve));
        }
      });
    }
  });
}

describe('frameworks: routing and the README', () => {
  // An allowed uri-mode case whose upstream target is /ping: Express and Connect route on it.
  const uri = CASES.find((c) => c.mode === 'uri' && c.expect.allowed && c.expect.upstream_target.startsWith('/ping')
    && c.request.target !== c.expect.upstream_target);

  test('express: routes on the upstream target (uri mode)', async () => {
    assert.ok(uri, 'gateway.json has an allowed uri-mode case upstream of /ping');
    const a = express();
    a.use(gatewayFor(uri).middleware());
    a.get('/ping', (req, res) => res.json({ path: req.path, originalUrl: req.originalUrl, sbx: req.sandgate.route.sandboxId }));
    const server = await listen(serverFor(a));
    try {
      const r = await rawRequest(server.address().port, uri.request.target, uri.request.headers);
      assert.equal(r.status, 200, r.body);
      assert.deepEqual(JSON.parse(r.body), { path: '/ping', originalUrl: uri.expect.upstream_target, sbx: uri.expect.sandbox_id });
    } finally {
      server.close();
    }
  });

  test('connect: routes on the upstream target (uri mode)', async () => {
    const a = connect();
    a.use(gatewayFor(uri).middleware());
    a.use('/ping', (req, res) => res.end(JSON.stringify({ originalUrl: req.originalUrl, sbx: req.sandgate.route.sandboxId })));
    const server = await listen(serverFor(a));
    try {
      const r = await rawRequest(server.address().port, uri.request.target, uri.request.headers);
      assert.equal(r.status, 200, r.body);
      assert.deepEqual(JSON.parse(r.body), { originalUrl: uri.expect.upstream_target, sbx: uri.expect.sandbox_id });
    } finally {
      server.close();
    }
  });

  /** The README's block whose first line is `// <name>`. */
  function readmeBlock(name) {
    const readme = readFileSync(join(REPO, 'bindings', 'node', 'README.md'), 'utf8');
    const blocks = [...readme.matchAll(/```js\n([\s\S]*?)```/g)].map((m) => m[1]);
    const found = blocks.filter((b) => b.startsWith(`// ${name}\n`));
    assert.equal(found.length, 1, `one README block for ${name}`);
    return found[0];
  }

  const AsyncFunction = (async () => {}).constructor;
  const RUNS = {
    Express: { ret: 'server', close: (s) => s.close(), server: (s) => s },
    Connect: { ret: 'server', close: (s) => s.close(), server: (s) => s },
    Fastify: { ret: 'fastify', close: (f) => f.close(), server: (f) => f.server },
  };
  for (const [name, how] of Object.entries(RUNS)) {
    test(`middleware in ${name}: the README snippet answers a signed link and refuses a tampered one`, async () => {
      const mock = MockServer.start({ routeMode: 'header' });
      const gateway = new Gateway({ routeMode: 'header', keys: SigningKeys.fromFlag(mock.signingKeys), policy: null });
      const run = new AsyncFunction('express', 'connect', 'Fastify', 'http', 'gateway', 'port', `${readmeBlock(name)}\nreturn ${how.ret};`);
      const made = await run(express, connect, Fastify, http, gateway, 0);
      const server = how.server(made);
      if (!server.listening) await new Promise((resolve) => server.once('listening', resolve));
      try {
        const url = `http://127.0.0.1:${server.address().port}`;
        const link = new RouteSigner(SigningKeys.fromFlag(mock.signingKeys), 'a').sign('sbx-1', 8080, Number(mock.now()) + 60).token;
        const ok = await fetch(`${url}/ping?x=1`, { headers: { 'OpenSandbox-Ingress-To': link } });
        assert.equal(ok.status, 200);
        assert.equal(await ok.text(), 'hello sbx-1 /ping?x=1');
        const bad = await fetch(`${url}/ping`, { headers: { 'OpenSandbox-Ingress-To': `${link.slice(0, -3)}00a` } });
        assert.equal(bad.status, 401);
        assert.equal(bad.headers.get('x-sandgate-reason'), 'bad_signature');
        assert.match(bad.headers.get('content-type'), /^text\/plain/);
        assert.match(await bad.text(), /^OpenSandbox Ingress: /);
      } finally {
        await how.close(made);
        mock.stop();
      }
    });
  }
});

describe('frameworks: types', () => {
  // What a TypeScript user writes: the middleware and the hook fit the frameworks' own types
  // (Fastify's bundled ones, @types/express and @types/connect), under tsc --strict.
  test('frameworks: middleware() and fastifyHook() type-check against the frameworks\' types', () => {
    const tsc = process.env.SANDGATE_TSC;
    assert.ok(tsc, 'SANDGATE_TSC (the tsc to use) is set by test.sh');
    const dir = mkdtempSync(join(HERE, 'fw-types-'));
    try {
      const modules = join(FRAMEWORKS, 'node_modules');
      writeFileSync(join(dir, 'tsconfig.json'), JSON.stringify({
        compilerOptions: {
          strict: true, noEmit: true, target: 'es2022', module: 'nodenext', moduleResolution: 'nodenext',
          types: ['node'], skipLibCheck: true,
          paths: {
            express: [join(modules, '@types/express/index.d.ts')],
            connect: [join(modules, '@types/connect/index.d.ts')],
            fastify: [join(modules, 'fastify/fastify.d.ts')],
          },
        },
        files: ['usage.mts'],
      }));
      writeFileSync(join(dir, 'usage.mts'), `
import express from 'express';
import connect from 'connect';
import Fastify from 'fastify';
import http from 'node:http';
import { Gateway, SigningKeys, type GatewayVerdict } from 'sandgate';

const gateway = new Gateway({ routeMode: 'header', keys: SigningKeys.fromFlag('a=Zm9v'), policy: null });
const app = express();
app.use(gateway.middleware());
app.get('/ping', (req, res) => { res.send(req.originalUrl); });
const c = connect();
c.use(gateway.middleware());
http.createServer(c);
const fastify = Fastify();
fastify.addHook('onRequest', gateway.fastifyHook());
fastify.get('/*', async (request) => {
  const verdict = (request as { sandgate?: GatewayVerdict }).sandgate;
  return verdict?.route?.sandboxId ?? '';
});
`);
      try {
        execFileSync(process.execPath, [tsc, '-p', join(dir, 'tsconfig.json')], { encoding: 'utf8', stdio: 'pipe' });
      } catch (e) {
        assert.fail(`tsc reported:\n${e.stdout}${e.stderr}`);
      }
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
