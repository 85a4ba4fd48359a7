'use strict';
// Stages the npm packages for `npm pack` (run by pack.sh): the main package `sandgate` and
// one `@sandgate/<platform>` package per native addon found in target/native/<platform>/.
// The main package's optionalDependencies list exactly the staged platforms, at its own
// version (the one version of every package: release/version).
// Usage: node npm/stage.cjs <repo root> <stage dir>
const fs = require('node:fs');
const path = require('node:path');

const [root, stage] = process.argv.slice(2);
const here = path.join(root, 'bindings', 'node');
const main = JSON.parse(fs.readFileSync(path.join(here, 'package.json'), 'utf8'));
const platforms = JSON.parse(fs.readFileSync(path.join(here, 'npm', 'platforms.json'), 'utf8'));

fs.rmSync(stage, { recursive: true, force: true });
const mainDir = path.join(stage, 'sandgate');
fs.mkdirSync(mainDir, { recursive: true });
for (const file of main.files) {
  fs.copyFileSync(path.join(here, file), path.join(mainDir, file));
}
// The generated types of this build, not the committed copy (a test compares the two).
fs.copyFileSync(path.join(root, 'target', 'node-build', 'native.d.ts'), path.join(mainDir, 'native.d.ts'));

const optional = {};
for (const [name, p] of Object.entries(platforms)) {
  if (name === '//') continue;
  const addon = path.join(root, 'target', 'native', name, `sandgate.${name}.node`);
  if (!fs.existsSync(addon)) continue;
  const pkgName = `@sandgate/${name}`;
  const dir = path.join(stage, name);
  fs.mkdirSync(dir, { recursive: true });
  fs.copyFileSync(addon, path.join(dir, `sandgate.${name}.node`));
  const pkg = {
    name: pkgName,
    version: main.version,
    description: `The native addon of the sandgate npm package for ${p.what} (installed by sandgate as an optional dependency)`,
    license: main.license,
    repository: main.repository,
    os: p.os,
    cpu: p.cpu,
    ...(p.libc ? { libc: p.libc } : {}),
    main: `sandgate.${name}.node`,
    files: [`sandgate.${name}.node`],
    engines: main.engines,
  };
  fs.writeFileSync(path.join(dir, 'package.json'), JSON.stringify(pkg, null, 2) + '\n');
  fs.writeFileSync(
    path.join(dir, 'README.md'),
    `# ${pkgName}\n\nThe native addon of [sandgate](https://www.npmjs.com/package/sandgate) for ${p.what}. ` +
      'Install `sandgate`, not this package: npm picks the addon of your platform by itself.\n',
  );
  optional[pkgName] = main.version;
}
if (Object.keys(optional).length === 0) {
  console.error('stage.cjs: no native addon in target/native/<platform>/: run release/native node first');
  process.exit(1);
}
const staged = { ...main, optionalDependencies: optional };
delete staged.devDependencies;
delete staged.scripts;
fs.writeFileSync(path.join(mainDir, 'package.json'), JSON.stringify(staged, null, 2) + '\n');
// Platform packages first, the main package last: pack.sh prints them in this order.
console.log([...Object.keys(optional).map((n) => n.slice('@sandgate/'.length)), 'sandgate'].join(' '));
