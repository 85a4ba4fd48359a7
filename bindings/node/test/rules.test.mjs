// The client's rules as data (SPEC §2.1): every case of retry.json through retryDecision and
// every case of cache.json through cacheDecision, the public functions the client itself runs.
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { InvalidArgument, InvalidConfig, SandgateError, cacheDecision, retryDecision } from 'sandgate';
import { camel, loadCases, seconds } from './support.mjs';

const KINDS = { invalid_config: InvalidConfig, invalid_argument: InvalidArgument };

describe('retry', () => {
  for (const c of loadCases('retry.json').cases) {
    test(`retry: ${c.name}`, () => {
      const attempt = { ...camel(c.attempt), now: seconds(c.attempt.now) };
      const run = () => retryDecision(camel(c.policy), attempt);
      if (c.expect.error) {
        assert.throws(run, (e) => {
          assert.ok(e instanceof KINDS[c.expect.error], `${e.name}: ${e.message}`);
          assert.equal(e.kind, c.expect.error);
          return true;
        });
        return;
      }
      assert.deepEqual(run(), {
        retry: c.expect.retry,
        verdict: c.expect.verdict,
        minDelayMs: c.expect.min_delay_ms,
        maxDelayMs: c.expect.max_delay_ms,
        retryable: c.expect.retryable,
      });
    });
  }

  test('retry: retryDecision names a wrong argument', () => {
    const attempt = { method: 'GET', outcome: 'status', status: 503, attempt: 1 };
    assert.equal(retryDecision(undefined, attempt).verdict, 'retry', 'options may be omitted');
    assert.throws(() => retryDecision({}, { ...attempt, tries: 1 }), /unknown retry attempt option "tries"/);
    assert.throws(() => retryDecision({ maxTries: 1 }, attempt), (e) => e instanceof InvalidConfig && /unknown retries option "maxTries"/.test(e.message));
    assert.throws(() => retryDecision({}, null), (e) => e instanceof InvalidArgument && /attempt must be an object/.test(e.message));
    assert.throws(() => retryDecision({}, { ...attempt, attempt: 1.5 }), (e) => e instanceof InvalidArgument && /attempt must be a whole number/.test(e.message));
    assert.throws(() => retryDecision({ retryStatuses: [503.5] }, attempt), InvalidConfig);
  });
});

describe('cache', () => {
  for (const c of loadCases('cache.json').cases) {
    test(`cache: ${c.name}`, () => {
      const run = () => cacheDecision(camel(c.policy), {
        signedExpires: seconds(c.signed_expires),
        fetchedAtMs: Number(c.fetched_at_ms),
        nowMs: Number(c.now_ms),
      });
      if (c.expect.error) {
        assert.throws(run, (e) => e instanceof SandgateError && e.kind === c.expect.error && e instanceof KINDS[c.expect.error]);
        return;
      }
      assert.deepEqual(run(), { fresh: c.expect.fresh, untilMs: Number(c.expect.until_ms) });
    });
  }

  test('cache: cacheDecision names a wrong argument', () => {
    assert.throws(() => cacheDecision({}, { fetchedAtMs: 0 }), (e) => e instanceof InvalidArgument && /nowMs must be a number/.test(e.message));
    assert.throws(() => cacheDecision({}, { fetchedAtMs: 0, nowMs: -1 }), (e) => e instanceof InvalidArgument && /nowMs must be a whole number/.test(e.message));
    assert.throws(() => cacheDecision({ ttl: 1 }, { fetchedAtMs: 0, nowMs: 0 }), InvalidConfig);
    assert.deepEqual(cacheDecision(null, { signedExpires: null, fetchedAtMs: 0, nowMs: 0 }), { fresh: true, untilMs: 600000 });
  });
});
