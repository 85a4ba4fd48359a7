// Shared helpers of the test files: where the shared cases are, and small conversions.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

/** The repo root: $SANDGATE_REPO (set by test.sh, which runs these files from a scratch
 * project), else three levels above this file (bindings/node/test). */
export const REPO = process.env.SANDGATE_REPO ?? fileURLToPath(new URL('../../..', import.meta.url));

/** A shared case file of sdk-tests/cases. */
export function loadCases(name) {
  return JSON.parse(readFileSync(join(REPO, 'sdk-tests', 'cases', name), 'utf8'));
}

/** Unix seconds written as a JSON string, as the package returns them: a number up to
 * 2^53-1, a bigint above. */
export function seconds(s) {
  if (s === null || s === undefined) return null;
  const b = BigInt(s);
  return b <= BigInt(Number.MAX_SAFE_INTEGER) ? Number(b) : b;
}

/** A port on 127.0.0.1 that nothing listens on. */
export async function closedPort() {
  const net = await import('node:net');
  const server = net.createServer();
  await new Promise((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address();
  await new Promise((resolve) => server.close(resolve));
  return port;
}

export const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms));

/** A shared case's snake_case object with camelCase keys (one level), as the package takes it. */
export function camel(obj) {
  if (obj === null || obj === undefined) return obj;
  return Object.fromEntries(
    Object.entries(obj).map(([k, v]) => [k.replace(/_([a-z])/g, (_, c) => c.toUpperCase()), v]),
  );
}
