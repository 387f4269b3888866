// The contract every Bus implementation keeps, run against each of them (memory, Redis, Redis
// Cluster) by the *.test.ts files next to this one. Each test builds its own bus under a unique
// key prefix, so the suites can share one Redis and run in parallel.
import { compareStreamIds, envelopeJson, parseLiveMessage, ZERO_ID, type PreparedEvent } from '@sse-gateway/publisher/protocol';
import type { Bus, LiveHandler } from '../../gateway/src/bus/bus';
import { progressEvents } from '../helpers/events';
import { uniquePrefix } from '../helpers/redis';

export interface BusSettings {
  keyPrefix: string;
  historyMaxLen: number;
  historyTtlS: number;
  idempotencyTtlS?: number;
  stateTtlS?: number;
}

/** Builds a bus that is connected (for Redis: both connections ready). */
export type BusFactory = (settings: BusSettings) => Promise<Bus>;

/** Collects a handler's raw messages; `waitFor(n)` resolves when n have arrived. */
export class Inbox {
  readonly messages: Buffer[] = [];
  private waiters: { count: number; resolve: () => void }[] = [];

  readonly handler: LiveHandler = (raw) => {
    this.messages.push(raw);
    this.waiters = this.waiters.filter((waiter) => {
      if (this.messages.length < waiter.count) return true;
      waiter.resolve();
      return false;
    });
  };

  waitFor(count: number, timeoutMs = 10000): Promise<Buffer[]> {
    if (this.messages.length >= count) return Promise.resolve(this.messages);
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`got ${this.messages.length} of ${count} messages`)), timeoutMs);
      this.waiters.push({ count, resolve: () => (clearTimeout(timer), resolve(this.messages)) });
    });
  }

  ids(channel: string): string[] {
    return this.messages.map((raw) => {
      const parsed = parseLiveMessage(raw, channel);
      if (!parsed.ok) throw new Error(`invalid live message (${parsed.reason}): ${raw.toString()}`);
      return parsed.message.id;
    });
  }
}

/**
 * Builds buses for the tests of the enclosing describe, each under a key prefix of its own, and
 * closes them after each test.
 */
export function busesPerTest(name: string, factory: BusFactory): (overrides?: Partial<BusSettings>) => Promise<Bus> {
  const open: Bus[] = [];
  afterEach(async () => {
    await Promise.all(open.splice(0).map((bus) => bus.close()));
  });
  return async (overrides = {}) => {
    const bus = await factory({ keyPrefix: uniquePrefix(name), historyMaxLen: 1000, historyTtlS: 3600, ...overrides });
    open.push(bus);
    return bus;
  };
}

export function busContract(name: string, factory: BusFactory): void {
  describe(`Bus contract: ${name}`, () => {
    const makeBus = busesPerTest(name, factory);

    test('is connected and describes itself', async () => {
      const bus = await makeBus();
      expect(bus.connected).toBe(true);
      expect(bus.description).toMatch(/\S/);
    });

    test('a subscriber receives exactly the bytes of the publish script, as a valid live message', async () => {
      const bus = await makeBus();
      const inbox = new Inbox();
      await bus.subscribe('exec:1', inbox.handler);
      const [first, second] = [...progressEvents('exec:1', 1), ...progressEvents('exec:1', 1, 1)] as [PreparedEvent, PreparedEvent];
      const { ids: [id1] } = await bus.publish([first]);
      const { ids: [id2] } = await bus.publish([second]);
      const [raw1, raw2] = await inbox.waitFor(2);
      expect(raw1).toBeInstanceOf(Buffer);
      expect(raw1?.toString()).toBe(`${ZERO_ID} ${envelopeJson(id1 as string, first.body)}`);
      expect(raw2?.toString()).toBe(`${id1} ${envelopeJson(id2 as string, second.body)}`);
      const parsed = parseLiveMessage(raw2 as Buffer, 'exec:1');
      expect(parsed).toMatchObject({ ok: true, message: { id: id2, prev: id1, type: 'execution.progress' } });
    });

    test('nothing is delivered after unsubscribe', async () => {
      const bus = await makeBus();
      const before = new Inbox();
      await bus.subscribe('exec:u', before.handler);
      await bus.publish(progressEvents('exec:u', 1));
      await before.waitFor(1);
      await bus.unsubscribe('exec:u');
      const { ids: [missedId] } = await bus.publish(progressEvents('exec:u', 1, 1));
      // Same channel, so same connection and order: once the next message arrives, the one before
      // it would have arrived too.
      const after = new Inbox();
      await bus.subscribe('exec:u', after.handler);
      const { ids: [nextId] } = await bus.publish(progressEvents('exec:u', 1, 2));
      await after.waitFor(1);
      expect(before.messages).toHaveLength(1);
      expect(after.ids('exec:u')).toEqual([nextId]);
      expect(missedId).not.toBe(nextId);
    });

    test('a subscriber receives only its own channel', async () => {
      const bus = await makeBus();
      const mine = new Inbox();
      const other = new Inbox();
      await bus.subscribe('exec:mine', mine.handler);
      await bus.subscribe('exec:other', other.handler);
      await bus.publish([...progressEvents('exec:nobody', 2), ...progressEvents('exec:other', 1)]);
      const { ids: [mineId] } = await bus.publish(progressEvents('exec:mine', 1));
      await mine.waitFor(1);
      await other.waitFor(1);
      expect(mine.ids('exec:mine')).toEqual([mineId]);
      expect(other.ids('exec:other')).toHaveLength(1);
    });

    test('a batch gets increasing ids; history returns it in order with the prev chain', async () => {
      const bus = await makeBus();
      const events = progressEvents('exec:h', 25);
      const { ids } = await bus.publish(events);
      expect(ids).toHaveLength(25);
      for (let i = 1; i < ids.length; i += 1) expect(compareStreamIds(ids[i - 1] as string, ids[i] as string)).toBeLessThan(0);
      const history = await bus.history('exec:h', ZERO_ID, 100);
      expect(history.map((entry) => entry.id)).toEqual(ids);
      expect(history.map((entry) => entry.prev)).toEqual([ZERO_ID, ...ids.slice(0, -1)]);
      history.forEach((entry, i) => expect(entry.envelope).toBe(envelopeJson(ids[i] as string, (events[i] as PreparedEvent).body)));
    });

    test('history after an id is exclusive and limited', async () => {
      const bus = await makeBus();
      const { ids } = await bus.publish(progressEvents('exec:page', 10));
      expect((await bus.history('exec:page', ids[4] as string, 3)).map((e) => e.id)).toEqual(ids.slice(5, 8));
      expect((await bus.history('exec:page', ids[7] as string, 100)).map((e) => e.id)).toEqual(ids.slice(8));
      expect(await bus.history('exec:page', ids[9] as string, 100)).toEqual([]);
      expect(await bus.history('exec:page', ZERO_ID, 0)).toEqual([]);
      expect(await bus.history('exec:never', ZERO_ID, 10)).toEqual([]);
    });

    test('history refuses a malformed id', async () => {
      const bus = await makeBus();
      await bus.publish(progressEvents('exec:bad', 1));
      await expect(bus.history('exec:bad', 'not-an-id', 10)).rejects.toThrow();
    });

    test('head is the newest retained id, undefined when there is none', async () => {
      const bus = await makeBus();
      expect(await bus.head('exec:head')).toBeUndefined();
      const { ids } = await bus.publish(progressEvents('exec:head', 3));
      expect(await bus.head('exec:head')).toBe(ids[2]);
    });

    test('history is trimmed to exactly historyMaxLen and keeps the prev of the oldest', async () => {
      const bus = await makeBus({ historyMaxLen: 5 });
      const ids = [...(await bus.publish(progressEvents('exec:trim', 8))).ids, ...(await bus.publish(progressEvents('exec:trim', 4, 8))).ids];
      const history = await bus.history('exec:trim', ZERO_ID, 100);
      expect(history.map((e) => e.id)).toEqual(ids.slice(7));
      // The oldest retained entry says what came before it: the resume code can see the gap.
      expect(history[0]?.prev).toBe(ids[6]);
    });

    test('1,000 events across 50 channels all arrive, in per-channel order', async () => {
      const bus = await makeBus();
      const channels = Array.from({ length: 50 }, (_, i) => `exec:fan-${i}`);
      const inboxes = new Map(channels.map((channel) => [channel, new Inbox()]));
      await Promise.all(channels.map((channel) => bus.subscribe(channel, (inboxes.get(channel) as Inbox).handler)));
      const published = new Map<string, string[]>(channels.map((channel) => [channel, []]));
      // 20 concurrent publishes of 50 events each, one per channel.
      await Promise.all(
        Array.from({ length: 20 }, async (_, round) => {
          const events = channels.flatMap((channel) => progressEvents(channel, 1, round));
          const { ids } = await bus.publish(events);
          ids.forEach((id, i) => published.get(channels[i] as string)?.push(id));
        }),
      );
      for (const channel of channels) {
        const inbox = inboxes.get(channel) as Inbox;
        await inbox.waitFor(20);
        const expected = [...(published.get(channel) as string[])].sort(compareStreamIds);
        expect(inbox.ids(channel)).toEqual(expected);
      }
    });

    test('subscribe, unsubscribe, subscribe in a race ends subscribed with the last handler', async () => {
      const bus = await makeBus();
      const first = new Inbox();
      const last = new Inbox();
      await Promise.all([bus.subscribe('exec:race', first.handler), bus.unsubscribe('exec:race'), bus.subscribe('exec:race', last.handler)]);
      const { ids: [id] } = await bus.publish(progressEvents('exec:race', 1));
      await last.waitFor(1);
      expect(last.ids('exec:race')).toEqual([id]);
      expect(first.messages).toHaveLength(0);
    });

    test('unsubscribe then subscribe of a subscribed channel, unawaited, ends subscribed', async () => {
      const bus = await makeBus();
      const inbox = new Inbox();
      await bus.subscribe('exec:again', () => undefined);
      await Promise.all([bus.unsubscribe('exec:again'), bus.subscribe('exec:again', inbox.handler)]);
      const { ids: [id] } = await bus.publish(progressEvents('exec:again', 1));
      await inbox.waitFor(1);
      expect(inbox.ids('exec:again')).toEqual([id]);
    });

    test('after close, nothing is published or subscribed', async () => {
      const bus = await makeBus();
      await bus.close();
      expect(bus.connected).toBe(false);
      await expect(bus.publish(progressEvents('exec:closed', 1))).rejects.toThrow();
      await expect(bus.subscribe('exec:closed', () => undefined)).rejects.toThrow();
    });
  });
}
