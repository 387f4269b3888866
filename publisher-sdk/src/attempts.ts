// One publish, tried up to `retries + 1` times within one `timeoutMs`. Only a publish whose events
// all carry an idempotency key is tried again, and only after a timeout or a lost connection:
// the first attempt may have been stored already, and the key makes the store answer its id
// instead of storing the event twice. Each attempt gets an equal share of the time left, so the
// caller's `timeoutMs` still bounds the whole call.
import { setTimeout as delay } from 'node:timers/promises';
import { PublisherClosedError, PublishTimeoutError, TransportError } from './errors';
import type { PreparedEvent } from './protocol/validate';
import type { StoreResult, Transport } from './transports/transport';

interface AttemptSettings {
  transport: Transport;
  timeoutMs: number;
  retries: number;
  /** Aborted by close(): ends a pause between attempts at once. */
  closing: AbortSignal;
}

/** Longest pause before the first retry; doubled for each later one, with jitter. */
const BASE_BACKOFF_MS = 50;

export async function storeWithRetries(events: readonly PreparedEvent[], settings: AttemptSettings): Promise<StoreResult> {
  const deadline = Date.now() + settings.timeoutMs;
  const keyed = events.every((event) => event.idempotencyKey !== undefined);
  const attempts = keyed ? settings.retries + 1 : 1;
  for (let attempt = 1; ; attempt += 1) {
    const left = deadline - Date.now();
    const budget = attempt === attempts ? left : Math.floor(left / (attempts - attempt + 1));
    try {
      return await storeOnce(events, Math.max(1, budget), settings);
    } catch (error) {
      if (settings.closing.aborted && !(error instanceof PublishTimeoutError)) throw new PublisherClosedError();
      if (attempt >= attempts || !retryable(error)) throw error;
      const pause = Math.min(BASE_BACKOFF_MS * 2 ** (attempt - 1), (deadline - Date.now()) / 4) * (0.5 + Math.random() / 2);
      if (pause <= 0 || deadline - Date.now() - pause < 1) throw error;
      // close() ends the pause early (the abort rejects it); the check below then says so.
      await delay(pause, undefined, { signal: settings.closing }).catch(() => undefined);
      if (settings.closing.aborted) throw new PublisherClosedError();
    }
  }
}

/** A timeout or a lost connection: the events may or may not be stored, and a keyed retry settles it. */
function retryable(error: unknown): boolean {
  return error instanceof PublishTimeoutError || (error instanceof TransportError && error.retryable);
}

async function storeOnce(events: readonly PreparedEvent[], budgetMs: number, settings: AttemptSettings): Promise<StoreResult> {
  const { transport, timeoutMs } = settings;
  const deadline = new AbortController();
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => {
      // Reject before aborting: the abort makes the transport reject too, and the caller must
      // see the timeout (which says what is unreachable), not the transport's consequence of it.
      reject(new PublishTimeoutError(timeoutMs, transport.diagnose()));
      deadline.abort();
    }, budgetMs);
  });
  try {
    return await Promise.race([transport.store(events, deadline.signal), timeout]);
  } finally {
    clearTimeout(timer);
  }
}
