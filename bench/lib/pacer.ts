// A steady publish rate for as long as a step takes (the replay's witness, the storm's channel):
// the publisher process runs one-second chunks back to back until stopped, so its sequence
// numbers go on without a jump and nothing waits on a run of a fixed length.
import type { Child } from './children';
import type { PublisherCommand, PublisherReport } from './messages';

const CHUNK_MS = 1000;

export interface Pacer {
  /** Events stored so far, and publishes that failed. */
  readonly published: number;
  readonly failed: number;
  readonly errors: string[];
  /** Ends after the chunk in progress; resolves when the publisher is idle. */
  stop(): Promise<void>;
}

export function startPacer(publisher: Child<PublisherCommand, PublisherReport>, rate: number): Pacer {
  let stopping = false;
  const state = { published: 0, failed: 0, errors: [] as string[] };
  const loop = (async () => {
    while (!stopping) {
      const reply = await publisher.call({ t: 'run', rate, durationMs: CHUNK_MS });
      if (reply.t !== 'done') throw new Error(`publisher: ${reply.t === 'error' ? reply.message : reply.t}`);
      state.published += reply.published;
      state.failed += reply.failed;
      if (state.errors.length < 5) state.errors.push(...reply.errors.slice(0, 5 - state.errors.length));
    }
  })();
  loop.catch(() => undefined); // reported by stop(), not as an unhandled rejection meanwhile
  return {
    get published() {
      return state.published;
    },
    get failed() {
      return state.failed;
    },
    get errors() {
      return state.errors;
    },
    async stop() {
      stopping = true;
      await loop;
    },
  };
}
