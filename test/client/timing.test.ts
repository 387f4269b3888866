// The client's clocks, as pure functions: when to refresh a token, how long to back off, how to
// read Retry-After, how stream ids order (the shared stream drops what it already delivered).
import { refreshDelay } from '../../client/src/token';
import { backoff, MAX_BACKOFF_MS, retryAfterMs } from '../../client/src/retry';
import { compareIds } from '../../client/src/share';
import { DEFAULT_HEARTBEAT_MS } from '../../client/src/connect';
import { loadConfig } from '../../gateway/src/config';
import { gatewayEnv } from '../helpers/gateway';

/** An unsigned JWT with these claims (the client never verifies: only the gateway can). */
const jwt = (claims: Record<string, unknown>): string =>
  ['{"alg":"HS256"}', JSON.stringify(claims)].map((part) => Buffer.from(part).toString('base64url')).join('.') + '.signature';

describe('refreshDelay', () => {
  const now = 1_800_000_000_000;
  const s = now / 1000;

  test('a quarter of the lifetime before exp, at most 30 s before', () => {
    expect(refreshDelay(jwt({ iat: s, exp: s + 4 }), now)).toBe(3000);
    expect(refreshDelay(jwt({ iat: s, exp: s + 300 }), now)).toBe(270_000);
    expect(refreshDelay(jwt({ exp: s + 8 }), now)).toBe(6000);
  });

  test('trusts exp - iat over a local clock that is off, unless the token is older than it says', () => {
    // The local clock is 10 minutes behind: exp looks 10 minutes further away than it is.
    expect(refreshDelay(jwt({ iat: s + 600, exp: s + 600 + 60 }), now)).toBe(45_000);
    // The local clock is 10 minutes ahead: exp looks passed already.
    expect(refreshDelay(jwt({ iat: s - 600, exp: s - 600 + 60 }), now)).toBe(45_000);
    // A token cached by the app for 50 of its 60 seconds: what is left counts.
    expect(refreshDelay(jwt({ iat: s - 50, exp: s + 10 }), now)).toBe(7500);
  });

  test('no early refresh for tokens too short-lived, without exp, or unreadable', () => {
    expect(refreshDelay(jwt({ iat: s, exp: s + 1 }), now)).toBeUndefined();
    expect(refreshDelay(jwt({ sub: 'x' }), now)).toBeUndefined();
    expect(refreshDelay(jwt({ exp: 'soon' }), now)).toBeUndefined();
    expect(refreshDelay('not a jwt', now)).toBeUndefined();
    expect(refreshDelay('a.%%%.c', now)).toBeUndefined();
  });

  test("a token valid longer than setTimeout's limit (24.8 days) is refreshed at that limit, not at once", () => {
    expect(refreshDelay(jwt({ iat: s, exp: s + 30 * 86_400 }), now)).toBe(2 ** 31 - 1);
    expect(refreshDelay(jwt({ exp: s + 365 * 86_400 }), now)).toBe(2 ** 31 - 1);
  });
});

describe('retryAfterMs', () => {
  const now = Date.parse('2026-11-25T10:00:00Z');

  test('seconds or an HTTP date', () => {
    expect(retryAfterMs('5', now)).toBe(5000);
    expect(retryAfterMs('0', now)).toBe(0);
    expect(retryAfterMs('Wed, 25 Nov 2026 10:00:30 GMT', now)).toBe(30_000);
    expect(retryAfterMs('Wed, 25 Nov 2026 09:00:00 GMT', now)).toBe(0);
  });

  test('absent or unreadable: none; absurd: capped at ten minutes', () => {
    expect(retryAfterMs(null, now)).toBeUndefined();
    expect(retryAfterMs('', now)).toBeUndefined();
    expect(retryAfterMs('soon', now)).toBeUndefined();
    expect(retryAfterMs('86400', now)).toBe(600_000);
  });
});

test('backoff: full jitter under the doubling bound, capped', () => {
  for (let failures = 0; failures < 12; failures++) {
    const bound = Math.min(MAX_BACKOFF_MS, 1000 * 2 ** failures);
    const delays = Array.from({ length: 200 }, () => backoff(1000, failures));
    expect(Math.min(...delays)).toBeGreaterThanOrEqual(0);
    expect(Math.max(...delays)).toBeLessThan(bound);
    // Spread over the whole range, not bunched at its end (200 draws: below a quarter is certain in practice).
    expect(Math.min(...delays)).toBeLessThan(bound / 4);
  }
});

test('compareIds orders <ms>-<seq> ids numerically, beyond 2^53', () => {
  expect(compareIds('1-0', '1-0')).toBe(0);
  expect(compareIds('1795600050183-0', '1795600050183-1')).toBeLessThan(0);
  expect(compareIds('1795600050183-10', '1795600050183-9')).toBeGreaterThan(0);
  expect(compareIds('999-0', '1000-0')).toBeLessThan(0);
  expect(compareIds('18446744073709551615-1', '18446744073709551614-99')).toBeGreaterThan(0);
});

test("the client's default heartbeat period is the gateway's default HEARTBEAT_MS", () => {
  expect(DEFAULT_HEARTBEAT_MS).toBe(loadConfig(gatewayEnv()).heartbeatMs);
});
