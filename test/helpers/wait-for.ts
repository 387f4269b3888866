/**
 * Resolves once `condition` returns a truthy value (or a promise of one), checking every
 * `intervalMs`; rejects with `message` after `timeoutMs`. For state that has no event to wait on.
 */
export async function waitFor<T>(
  condition: () => T | Promise<T>,
  { timeoutMs = 10000, intervalMs = 20, message = 'condition' }: { timeoutMs?: number; intervalMs?: number; message?: string } = {},
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
      throw new Error(`timed out after ${timeoutMs} ms waiting for ${message}${lastError ? ` (last error: ${String(lastError)})` : ''}`);
    }
    await new Promise((resolve) => setTimeout(resolve, intervalMs));
  }
}
