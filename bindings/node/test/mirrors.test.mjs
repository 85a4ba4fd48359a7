// The hand-written mirrors of the package, each checked against what it mirrors: the option
// lists of index.cjs against the napi structs in native.d.ts, the kind/reason/grant tables of
// index.d.ts and the error classes against core's tables, index.cjs against native.d.ts
// (`tsc --checkJs --strict`), and a JSDoc comment on every export of index.d.ts.
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { readdirSync, readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join, resolve } from 'node:path';
import * as sandgate from 'sandgate';
import {
  Client, Gateway, MockServer, RouteVerifier, SigningKeys, cacheDecision, retryDecision, verifyApiKey,
} from 'sandgate';

const require = createRequire(import.meta.url);
const PACKAGE = dirname(require.resolve('sandgate'));
const TSC = process.env.SANDGATE_TSC;
/** The TypeScript compiler API, from the tsc test.sh hands over. */
const ts = require(resolve(TSC ?? '', '..', '..'));

/** A shipped .d.ts of the package, parsed. */
function parse(name) {
  const file = join(PACKAGE, name);
  return ts.createSourceFile(file, readFileSync(file, 'utf8'), ts.ScriptTarget.Latest, true);
}

/** Top-level declarations of a parsed d.ts by name. */
function declarations(source) {
  const out = new Map();
  for (const s of source.statements) if (s.name) out.set(s.name.text, s);
  return out;
}

const native = declarations(parse('native.d.ts'));
const index = declarations(parse('index.d.ts'));

/** The field names of a native interface. */
function fields(name) {
  const d = native.get(name);
  assert.ok(d && ts.isInterfaceDeclaration(d), `native.d.ts has no interface ${name}`);
  return d.members.map((m) => m.name.text);
}

/** The parameter names of a method of a native class (or of its constructor). */
function params(cls, method) {
  const d = native.get(cls);
  assert.ok(d && ts.isClassDeclaration(d), `native.d.ts has no class ${cls}`);
  const m = d.members.find((x) => (method === 'constructor' ? ts.isConstructorDeclaration(x) : x.name?.text === method));
  assert.ok(m, `native.d.ts has no ${cls}.${method}`);
  return m.parameters.map((p) => p.name.text);
}

/** The parameter names of a native function. */
function fnParams(name) {
  const d = native.get(name);
  assert.ok(d && ts.isFunctionDeclaration(d), `native.d.ts has no function ${name}`);
  return d.parameters.map((p) => p.name.text);
}

/** The string members of a union type alias of index.d.ts. */
function union(name) {
  const d = index.get(name);
  assert.ok(d && ts.isTypeAliasDeclaration(d) && ts.isUnionTypeNode(d.type), `index.d.ts has no union ${name}`);
  return d.type.types.map((t) => t.literal.text);
}

/** The option names a call accepts, read from its "unknown option" error. */
async function known(call) {
  try {
    await call();
  } catch (e) {
    const m = /\(known: ([^)]*)\)/.exec(e.message);
    assert.ok(m, `not an unknown-option error: ${e.message}`);
    return m[1].split(', ');
  }
  assert.fail('an unknown option was accepted');
}

const without = (list, ...drop) => list.filter((x) => !drop.includes(x));
const sorted = (list) => [...list].sort();

describe('mirrors', () => {
  test('mirrors: every option list of index.cjs is the field list it mirrors in native.d.ts', async () => {
    const mock = MockServer.start();
    try {
      const client = new Client({ domain: mock.domain });
      const verifier = new RouteVerifier(SigningKeys.fromFlag(''));
      const lists = [
        [() => new Client({ zz: 1 }), [...fields('ClientOptions'), ...without(params('Client', 'constructor'), 'options')]],
        [() => new Client({ retries: { zz: 1 } }), fields('RetryOptions')],
        [() => new Client({ cache: { zz: 1 } }), fields('CacheOptions')],
        [() => client.endpoint('s', 80, { zz: 1 }), fields('EndpointModeOptions')],
        [() => retryDecision({ zz: 1 }, {}), fields('RetryOptions')],
        [() => retryDecision({}, { zz: 1 }), fields('RetryAttemptData')],
        [() => cacheDecision({ zz: 1 }, {}), fields('CacheOptions')],
        [() => cacheDecision({}, { zz: 1 }), without(fnParams('cacheDecision'), 'options')],
        [() => new Gateway({ zz: 1 }), [...fields('GatewayOptionsData'), ...without(params('Gateway', 'constructor'), 'options')]],
        [() => verifier.decide({ zz: 1 }), fields('AccessRequestData')],
        [() => verifyApiKey('k', 'h', { zz: 1 }), fields('VerifyApiKeyOptions')],
        [() => client.createSandbox({ zz: 1 }), fields('CreateSandboxOptions')],
        [() => client.createApiKey({ zz: 1 }), without(params('Client', 'createApiKey'), 'cancel')],
        [() => client.getSignedEndpoint('s', 80, { zz: 1 }), without(params('Client', 'getSignedEndpoint'), 'sandboxId', 'port', 'cancel')],
        [() => client.renewSandbox('s', { zz: 1 }), without(params('Client', 'renewSandbox'), 'sandboxId', 'cancel')],
        [() => MockServer.start({ zz: 1 }), fields('MockOptions')],
        [() => mock.setFaults({ zz: 1 }), fields('FaultOptions')],
      ];
      for (const [call, expected] of lists) {
        assert.deepEqual(sorted(await known(call)), sorted(expected), String(call));
      }
      // The one JS-only list: every call's last argument.
      assert.deepEqual(await known(() => client.listSandboxes({ zz: 1 })), ['signal']);
    } finally {
      mock.stop();
    }
  });

  test("mirrors: index.d.ts's kinds, reasons and grants and the error classes are core's", () => {
    const addon = readdirSync(PACKAGE).find((f) => f.startsWith('sandgate.') && f.endsWith('.node'));
    const core = require(join(PACKAGE, addon)).coreTables();
    assert.deepEqual(union('ErrorKind'), core.errorKinds);
    assert.deepEqual(union('DenyReason'), core.denyReasons);
    assert.deepEqual(union('Grant'), core.grants);
    const classes = Object.values(sandgate).filter((v) => typeof v === 'function' && v.prototype instanceof sandgate.SandgateError);
    assert.deepEqual(sorted(classes.map((c) => c.kind)), sorted(core.errorKinds));
    for (const cls of classes) {
      const d = index.get(cls.name);
      assert.ok(d && ts.isClassDeclaration(d), `index.d.ts declares ${cls.name}`);
      const kind = d.members.find((m) => m.name?.text === 'kind');
      assert.equal(kind.type.literal.text, cls.kind, `${cls.name}.kind in index.d.ts`);
    }
  });

  test('mirrors: index.cjs type-checks against native.d.ts (tsc --checkJs --strict)', () => {
    assert.ok(TSC, 'SANDGATE_TSC (the tsc to use) is set by test.sh');
    const flags = ['--allowJs', '--checkJs', '--strict', '--noEmit', '--target', 'es2022', '--module', 'nodenext',
      '--moduleResolution', 'nodenext', '--types', 'node'];
    try {
      execFileSync(process.execPath, [TSC, ...flags, join(PACKAGE, 'index.cjs')], { encoding: 'utf8', stdio: 'pipe' });
    } catch (e) {
      assert.fail(`tsc reported:\n${e.stdout}${e.stderr}`);
    }
  });

  test('mirrors: every export of index.d.ts and every member of its classes and interfaces has JSDoc', () => {
    const source = parse('index.d.ts');
    const missing = [];
    const documented = (node) => ts.getJSDocCommentsAndTags(node).length > 0;
    for (const s of source.statements) {
      if (!s.modifiers?.some((m) => m.kind === ts.SyntaxKind.ExportKeyword)) continue;
      const name = s.name?.text;
      if (!documented(s)) missing.push(name);
      if (ts.isClassDeclaration(s) || ts.isInterfaceDeclaration(s)) {
        for (const m of s.members) {
          const isPrivateCtor = ts.isConstructorDeclaration(m) && m.modifiers?.some((x) => x.kind === ts.SyntaxKind.PrivateKeyword);
          if (!isPrivateCtor && !documented(m)) missing.push(`${name}.${m.name?.text ?? 'constructor'}`);
        }
      }
    }
    assert.ok(index.size > 30, 'index.d.ts was parsed');
    assert.deepEqual(missing, [], 'exports without JSDoc');
  });
});
