/**
 * Resolves once `condition` returns a truthy value (or a promise of one), checking every
 * `intervalMs`; rejects with `message` after `timeoutMs`. For state that has no event to wait on.
 */
export async function waitFor<T>(
  condition: () => T | Promise<T>,
  {
    timeoutMs = 10000,
    intervalMs = 20,
    message = 'condition',
    detail,
  }: { timeoutMs?: number; intervalMs?: number; message?: string; /** More to say when it times out. */ detail?: () => string } = {},
): Promise<NonNullable<T>> {
  const deadline = Date.now() + timeoutMs;
  let lastError: unknown;
  for (;;) {
    try {
      const value = await condition();
      if (value) return value as NonNullable<T>;
    } catch (error) {
      lastError = error;
    }
    if (Date.now() > deadline) {
      const more = detail === undefined ? '' : `: ${detail()}`;
      throw new Error(`timed out after ${timeoutMs} ms waiting for ${message}${more}${lastError ? ` (last error: ${String(lastError)})` : ''}`);
    }
    await new Promise((resolve) => setTimeout(resolve, intervalMs));
  }
}
