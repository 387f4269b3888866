// The contract of idempotency keys and retained state, kept by every Bus implementation (memory,
// Redis, Redis Cluster; run by the *-bus.test.ts files next to this one): a repeated key stores and
// announces nothing and answers the first id, per channel, until its TTL; retained events are the
// channel's latest of each type, by id, until their own TTL, whatever the history does.
import { ZERO_ID } from '@sse-gateway/publisher/protocol';
import type { ExecutionStatus } from '@sse-gateway/schemas';
import { prepared, progressEvent, statusEvent, type EventExtras } from '../helpers/events';
import { waitFor } from '../helpers/wait-for';
import { busesPerTest, Inbox, type BusFactory } from './bus-contract';

type Status = ExecutionStatus['status'];
const status = (channel: string, state: Status, extras: EventExtras = {}): unknown => statusEvent(channel, channel, state, extras);

export function busStateContract(name: string, factory: BusFactory): void {
  describe(`Bus contract, keys and state: ${name}`, () => {
    const makeBus = busesPerTest(name, factory);

    test('the same key twice: one history entry, one live message, the first id, a duplicate the second time', async () => {
      const bus = await makeBus();
      const inbox = new Inbox();
      await bus.subscribe('exec:k', inbox.handler);
      const first = await bus.publish(prepared(status('exec:k', 'running', { idempotencyKey: 'job-1' })));
      // Different content, same key: still the first event.
      const again = await bus.publish(prepared(status('exec:k', 'failed', { idempotencyKey: 'job-1' })));
      expect(first.duplicates).toEqual([]);
      expect(again).toEqual({ ids: first.ids, duplicates: [0] });
      const [next] = (await bus.publish(prepared(status('exec:k', 'succeeded')))).ids;
      await inbox.waitFor(2); // the event after the duplicate arrived, so the duplicate would have too
      expect(inbox.ids('exec:k')).toEqual([first.ids[0], next]);
      const history = await bus.history('exec:k', ZERO_ID, 10);
      expect(history.map((entry) => entry.id)).toEqual([first.ids[0], next]);
      expect(JSON.parse(history[0]!.envelope).data.status).toBe('running');
    });

    test('keys are per channel, and a repeat inside one batch is a duplicate of the event before it', async () => {
      const bus = await makeBus();
      const { ids, duplicates } = await bus.publish(
        prepared(progressEvent('exec:a', 1, { idempotencyKey: 'k' }), progressEvent('exec:b', 1, { idempotencyKey: 'k' }), progressEvent('exec:a', 2, { idempotencyKey: 'k' }), progressEvent('exec:a', 3)),
      );
      expect(duplicates).toEqual([2]);
      expect(ids[2]).toBe(ids[0]);
      expect((await bus.history('exec:a', ZERO_ID, 10)).map((entry) => entry.id)).toEqual([ids[0], ids[3]]);
      expect((await bus.history('exec:b', ZERO_ID, 10)).map((entry) => entry.id)).toEqual([ids[1]]);
    });

    test('any key up to 128 characters works, braces and all (Redis Cluster hashes only the channel\'s {tag})', async () => {
      const bus = await makeBus();
      for (const key of ['{other}', 'a{b}c', '}{', `${'é'.repeat(64)}{x}${'k'.repeat(61)}`, ' \t\n']) {
        const first = await bus.publish(prepared(status('exec:odd', 'running', { idempotencyKey: key })));
        const again = await bus.publish(prepared(status('exec:odd', 'running', { idempotencyKey: key })));
        expect(again).toEqual({ ids: first.ids, duplicates: [0] });
      }
      expect(await bus.history('exec:odd', ZERO_ID, 10)).toHaveLength(5);
    });

    test('a key is remembered for idempotencyTtlS, then the same key publishes again', async () => {
      const bus = await makeBus({ idempotencyTtlS: 1 });
      const event = (): ReturnType<typeof prepared> => prepared(status('exec:ttl', 'running', { idempotencyKey: 'short-lived' }));
      const [first] = (await bus.publish(event())).ids;
      expect((await bus.publish(event())).duplicates).toEqual([0]);
      // A duplicate stores nothing, so asking again until it is not one has no side effect.
      const later = await waitFor(async () => {
        const result = await bus.publish(event());
        return result.duplicates.length === 0 ? result : undefined;
      }, { timeoutMs: 5000, intervalMs: 100, message: 'the key to expire' });
      expect(later.ids[0]).not.toBe(first);
      expect((await bus.history('exec:ttl', ZERO_ID, 10)).map((entry) => entry.id)).toEqual([first, later.ids[0]]);
    });

    test('state: the latest retained event of each type, by id; unretained events and other channels do not count', async () => {
      const bus = await makeBus();
      expect(await bus.state('exec:s')).toEqual([]);
      const { ids } = await bus.publish(
        prepared(
          status('exec:s', 'queued', { retain: true }),
          progressEvent('exec:s', 1, { retain: true }),
          status('exec:s', 'running', { retain: true }),
          progressEvent('exec:s', 2), // not retained: the retained progress stays step 1
          status('exec:other', 'failed', { retain: true }),
        ),
      );
      const state = await bus.state('exec:s');
      expect(state.map((event) => event.id)).toEqual([ids[1], ids[2]]);
      const [progressState, statusState] = state.map((event) => JSON.parse(event.envelope));
      expect(progressState).toMatchObject({ id: ids[1], channel: 'exec:s', type: 'execution.progress', data: { step: 1 } });
      expect(statusState).toMatchObject({ id: ids[2], type: 'execution.status', data: { status: 'running' } });
      // The exact envelope the history holds.
      const history = await bus.history('exec:s', ZERO_ID, 10);
      expect(state[1]!.envelope).toBe(history[2]!.envelope);
    });

    test('state outlives the history it came from, and a duplicate does not retain', async () => {
      const bus = await makeBus({ historyMaxLen: 2 });
      const { ids } = await bus.publish(prepared(status('exec:long', 'running', { retain: true, idempotencyKey: 'run' })));
      await bus.publish(prepared(...[1, 2, 3, 4].map((step) => progressEvent('exec:long', step))));
      await bus.publish(prepared(status('exec:long', 'failed', { retain: true, idempotencyKey: 'run' })));
      expect((await bus.history('exec:long', ZERO_ID, 10)).map((entry) => entry.id)).not.toContain(ids[0]);
      expect((await bus.state('exec:long')).map((event) => [event.id, JSON.parse(event.envelope).data.status])).toEqual([[ids[0], 'running']]);
    });

    test('state expires stateTtlS after the last retained write', async () => {
      const bus = await makeBus({ stateTtlS: 1 });
      await bus.publish(prepared(status('exec:gone', 'running', { retain: true })));
      expect(await bus.state('exec:gone')).toHaveLength(1);
      await waitFor(async () => (await bus.state('exec:gone')).length === 0, { timeoutMs: 5000, intervalMs: 100, message: 'the state to expire' });
      // The history (its own TTL, an hour) is still there.
      expect(await bus.history('exec:gone', ZERO_ID, 10)).toHaveLength(1);
    });
  });
}
