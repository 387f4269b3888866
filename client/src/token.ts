// When to fetch a fresh token: shortly before the current one's `exp`, read from the JWT without
// verifying it (only the gateway can, and does).

/** How long before `exp` the stream reopens: a quarter of the lifetime, at most this. */
const MAX_LEAD_MS = 30_000;
/** Below this, no early refresh: the gateway's `gateway.token_expired` (or a 401) triggers it. */
const MIN_DELAY_MS = 1000;
/** setTimeout's longest delay (24.8 days): a longer one fires at once, so a long-lived token would reopen the stream in a loop. */
const MAX_TIMER_MS = 2 ** 31 - 1;

/** The token's `exp` and `iat` in seconds, or undefined when it is not a readable JWT. */
function claimsOf(token: string): { exp?: unknown; iat?: unknown } | undefined {
  try {
    const payload = token.split('.')[1] ?? '';
    const json = atob(payload.replace(/-/g, '+').replace(/_/g, '/'));
    const claims: unknown = JSON.parse(json);
    return typeof claims === 'object' && claims !== null ? claims : undefined;
  } catch {
    return undefined;
  }
}

/**
 * Milliseconds from now until the stream should reopen with a fresh token, or undefined for no
 * early refresh. The lifetime is `exp - iat` when both are there (the token was just fetched), so a
 * client clock that is off does not matter; else `exp` against the local clock. At most 24.8 days
 * (a timer's limit): a token valid longer is refreshed then, early but harmless.
 */
export function refreshDelay(token: string, now = Date.now()): number | undefined {
  const { exp, iat } = claimsOf(token) ?? {};
  if (typeof exp !== 'number') return undefined;
  let lifetime = exp * 1000 - now;
  if (typeof iat === 'number' && iat <= exp) lifetime = Math.min(lifetime > 0 ? lifetime : Infinity, (exp - iat) * 1000);
  const delay = lifetime - Math.min(MAX_LEAD_MS, lifetime / 4);
  return delay >= MIN_DELAY_MS ? Math.min(delay, MAX_TIMER_MS) : undefined;
}
