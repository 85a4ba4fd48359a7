'use strict';
// Finds and loads sandgate's native addon (napi-rs's per-platform layout). The addon of each
// platform is its own npm package, `@sandgate/<platform>` (with `os`, `cpu` and `libc` fields,
// so npm installs only the one that fits), listed in this package's optionalDependencies; a
// `sandgate.<platform>.node` next to this file (a build from source) is used first.
// When no addon loads, the error names the platform, the platforms this release ships and
// what to do, including npm's optional-dependency pitfall.

const fs = require('node:fs');
const path = require('node:path');

const SCOPE = '@sandgate/';

/** The C library of this Linux process: 'gnu' (glibc) or 'musl'. @returns {string} */
function linuxLibc() {
  const report = /** @type {{ header?: { glibcVersionRuntime?: string } } | undefined} */ (
    process.report?.getReport()
  );
  return report?.header?.glibcVersionRuntime ? 'gnu' : 'musl';
}

/** napi-rs's name of this platform: linux-x64-gnu, linux-arm64-musl, darwin-arm64, win32-x64-msvc, ... */
function platformName() {
  const { platform, arch } = process;
  if (platform === 'linux') return `linux-${arch}-${linuxLibc()}`;
  if (platform === 'win32') return `win32-${arch}-msvc`;
  return `${platform}-${arch}`;
}

/** The platforms this release ships an addon package for (its optionalDependencies). @returns {string[]} */
function shippedPlatforms() {
  /** @type {{ optionalDependencies?: Record<string, string> }} */
  const pkg = JSON.parse(fs.readFileSync(path.join(__dirname, 'package.json'), 'utf8'));
  return Object.keys(pkg.optionalDependencies ?? {})
    .filter((name) => name.startsWith(SCOPE))
    .map((name) => name.slice(SCOPE.length));
}

/** @returns {typeof import('./native')} */
function loadNative() {
  const name = platformName();
  const local = path.join(__dirname, `sandgate.${name}.node`);
  /** @type {string[]} */
  const tried = [];
  for (const candidate of fs.existsSync(local) ? [local, SCOPE + name] : [SCOPE + name]) {
    try {
      return require(candidate);
    } catch (e) {
      tried.push(`${candidate}: ${e instanceof Error ? e.message.split('\n')[0] : String(e)}`);
    }
  }
  const shipped = shippedPlatforms();
  const listed = shipped.includes(name);
  throw new Error(
    [
      `sandgate: no native addon could be loaded for this platform, ${name} (Node.js ${process.version}).`,
      `This release ships native addons for: ${shipped.length ? shipped.join(', ') : 'no platform'}` +
        ` (each as the optional dependency ${SCOPE}<platform>; Linux builds need glibc 2.17 or newer).`,
      listed
        ? `${SCOPE}${name} is one of them, so npm did not install it or it did not load. npm skips ` +
          'optional dependencies with --omit=optional (or --no-optional), and a package-lock.json ' +
          'written on another platform can leave the optional dependency of this one out (npm/cli#4828): ' +
          'delete node_modules and package-lock.json and run `npm install` again, without --omit=optional.'
        : `${name} is not one of them: build sandgate from source for it (the repository's release/README.md says how).`,
      `Tried: ${tried.join('; ')}`,
    ].join('\n'),
  );
}

module.exports = loadNative();
