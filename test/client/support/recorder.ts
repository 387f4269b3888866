// What a client stream did, collected for assertions: every event (with the cursor after it), the
// states it went through, its errors. Written for Node tests; the browser tests keep the same
// record inside the page (see page.ts).
import type { Envelope, Gap, Stream, StreamError, StreamState } from '@sse-gateway/client';
import { waitFor } from '../../helpers/wait-for';

export interface Recorded {
  readonly events: Envelope[];
  readonly gaps: Gap[];
  readonly states: StreamState[];
  readonly errors: StreamError[];
  /** Resolves once the stream is in `state` (now or later). */
  waitForState(state: StreamState, timeoutMs?: number): Promise<void>;
  /** Resolves once `count` events arrived. */
  waitForEvents(count: number, timeoutMs?: number): Promise<Envelope[]>;
}

/** Records everything `stream` reports for the given event types. */
export function record(stream: Stream, types: readonly string[] = ['execution.log', 'execution.status', 'execution.progress']): Recorded {
  const events: Envelope[] = [];
  const gaps: Gap[] = [];
  const states: StreamState[] = [];
  const errors: StreamError[] = [];
  const on = stream.on as (type: string, handler: (value: never) => void) => () => void;
  for (const type of types) on.call(stream, type, (event: Envelope) => void events.push(event));
  stream.on('gap', (gap) => void gaps.push(gap));
  stream.on('state', (state) => void states.push(state));
  stream.on('error', (error) => void errors.push(error));
  return {
    events,
    gaps,
    states,
    errors,
    async waitForState(state, timeoutMs = 10000) {
      await waitFor(() => stream.state === state, { timeoutMs, message: `state ${state} (now ${stream.state}; errors: ${errors.map((e) => `${e.code} ${e.message}`).join(' | ')})` });
    },
    async waitForEvents(count, timeoutMs = 10000) {
      await waitFor(() => events.length >= count, { timeoutMs, message: `${count} events (have ${events.length}; state ${stream.state}; errors: ${errors.map((e) => `${e.code} ${e.message}`).join(' | ')})` });
      return events;
    },
  };
}
