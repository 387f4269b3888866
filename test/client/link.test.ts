// The link's decisions with a scripted transport and fake timers: what it does when a `state`
// handler closes the stream in the middle of a reconnect.
import type { StreamError } from '../../client/src/errors';
import { Link } from '../../client/src/link';
import type { Transport, TransportEnd } from '../../client/src/transport';
import type { StreamState } from '../../client/src/types';

beforeEach(() => {
  // Promises and microtasks run for real: only the clocks the link waits on are faked.
  jest.useFakeTimers({ doNotFake: ['queueMicrotask', 'nextTick'] });
});

afterEach(() => {
  jest.useRealTimers();
});

/** A transport that opens each stream and ends it with `end`; counts its calls. */
function scripted(end: TransportEnd): { transport: Transport; readonly calls: number } {
  let calls = 0;
  return {
    transport: async (_request, handlers) => {
      calls++;
      handlers.open();
      return end;
    },
    get calls() {
      return calls;
    },
  };
}

/** A link over `transport`, with what it reported; `onState` runs as a state handler would. */
function startLink(transport: Transport, onState: (state: StreamState, link: Link) => void = () => undefined) {
  const states: StreamState[] = [];
  const errors: StreamError[] = [];
  const link: Link = new Link(
    { url: 'http://gateway.test/v1/stream?channel=c', token: () => 'token', lastEventId: undefined, transport, idleMs: 0, maxEventLength: 1 << 20, types: () => [] },
    {
      deliver: () => undefined,
      cursor: () => undefined,
      state: (state) => {
        states.push(state);
        onState(state, link);
      },
      error: (error) => void errors.push(error),
    },
  );
  return { link, states, errors };
}

/** Lets the link's promises (token, transport) settle. */
const settle = async (): Promise<void> => {
  for (let i = 0; i < 10; i++) await Promise.resolve();
};

test('a state handler that closes the stream on reconnecting leaves no retry timer and no error after closed', async () => {
  const script = scripted({ kind: 'network', message: 'the stream dropped' });
  const { states, errors } = startLink(script.transport, (state, link) => state === 'reconnecting' && link.close());
  await settle();
  expect(states).toEqual(['open', 'reconnecting', 'closed']);
  expect(errors).toEqual([]);
  expect(jest.getTimerCount()).toBe(0);
  await jest.runAllTimersAsync();
  expect(script.calls).toBe(1);
});
