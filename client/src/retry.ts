// How long to wait before the next attempt: exponential backoff with full jitter on the gateway's
// `retry:` hint, or the server's `Retry-After` plus a jitter, so clients cut off together do not
// come back together.

/** Longest backoff between two attempts. */
export const MAX_BACKOFF_MS = 30_000;
/** Longest `Retry-After` honoured (a misconfigured proxy could say a day). */
const MAX_RETRY_AFTER_MS = 600_000;

/** A random delay in [0, min(MAX_BACKOFF_MS, baseMs · 2^failures)). */
export function backoff(baseMs: number, failures: number): number {
  return Math.random() * Math.min(MAX_BACKOFF_MS, baseMs * 2 ** failures);
}

/** `Retry-After` (seconds or an HTTP date) in milliseconds from now, or undefined when absent or unreadable. */
export function retryAfterMs(header: string | null, now = Date.now()): number | undefined {
  if (header === null || header.trim() === '') return undefined;
  const seconds = Number(header);
  const ms = Number.isFinite(seconds) ? seconds * 1000 : Date.parse(header) - now;
  return ms >= 0 ? Math.min(ms, MAX_RETRY_AFTER_MS) : Number.isNaN(ms) ? undefined : 0;
}
