// No code without a caller outside tests: every export is imported by the code that needs it, every
// public member of a class and method of an interface is called, every option is set by someone.
// Read with the compiler (support/export-usage.ts); `node --import tsx test/code/support/export-usage.ts`
// prints the whole table. The packages' entry points (PUBLIC_ENTRIES) are their documented API:
// what they export is used by definition.
import { analyseUsage, PUBLIC_ENTRIES, type Usage } from './support/export-usage';

/**
 * Members only tests read: each lets a test see that a resource owner gave back everything it
 * held (the ownership rule), which nothing in the gateway needs to ask. No other member may be
 * read by tests alone.
 */
const TEST_OBSERVERS: Record<string, string> = {
  'gateway/src/auth/verified-token-cache.ts#VerifiedTokenCache.size': 'the cache stays bounded and empties on close',
  'gateway/src/hub/fair-quota.ts#FairQuota.inUse': 'a closed stream gives back its replay budget',
  'gateway/src/hub/fair-quota.ts#FairQuota.waiting': 'a closed stream leaves the replay queue',
  'gateway/src/hub/hub.ts#Hub.channelCount': 'a closed stream leaves its channels',
  'gateway/src/sse/deadlines.ts#Deadlines.size': 'cancelled token deadlines are swept',
  'gateway/src/sse/heartbeat.ts#Heartbeat.size': 'a closed connection leaves the heartbeat wheel',
  'gateway/src/sse/heartbeat.ts#Heartbeat.slotCount': 'the wheel is sliced as designed',
  'gateway/src/gateway.ts#Gateway.isReady': 'tests wait for a gateway to be ready, or to notice a lost bus',
};

let usages: Usage[];
beforeAll(() => {
  usages = analyseUsage();
}, 180_000); // compiles the whole project once: CPU-bound, no waiting on anything

const find = (id: string): Usage => {
  const usage = usages.find((u) => u.id === id);
  if (!usage) throw new Error(`${id} is not in the analysis`);
  return usage;
};
const own = (u: Usage): string[] => [...u.readers, ...u.writers];
const importers = (u: Usage): string[] => [...own(u), ...u.tests].filter((file) => file !== u.file);
const describeUse = (u: Usage): string => `${u.id} (tests: ${[...u.tests].join(', ') || 'none'})`;

describe('the analysis sees what it must', () => {
  test('imports, calls, object literals typed by their context, options handed on, and test-only reads', () => {
    expect([...find('gateway/src/config.ts#loadConfig').readers]).toEqual(expect.arrayContaining(['gateway/src/main.ts', 'demo/server.ts']));
    expect([...find('gateway/src/hub/hub.ts#HubOptions.retryMs').writers]).toContain('gateway/src/gateway.ts');
    // create-bus.ts builds one object and hands it to both buses.
    expect([...find('gateway/src/bus/memory-bus.ts#MemoryBusOptions.idempotencyTtlS').writers]).toContain('gateway/src/bus/create-bus.ts');
    // Called through the Bus interface only: counted for the class that implements it.
    expect(find('gateway/src/bus/redis-bus.ts#RedisBus.history').readers.size).toBeGreaterThan(0);
    const observer = find('gateway/src/hub/hub.ts#Hub.channelCount');
    expect(observer.readers.size).toBe(0);
    expect(observer.tests.size).toBeGreaterThan(0);
  });

  test('the public entry points are counted as users of what they export', () => {
    expect(PUBLIC_ENTRIES).toEqual(['schemas/src/index.ts', 'publisher-sdk/src/index.ts', 'client/src/index.ts']);
    expect(find('client/src/connect.ts#connect').isPublic).toBe(true);
    expect(find('publisher-sdk/src/protocol/keys.ts#createKeyspace').isPublic).toBe(false);
  });
});

describe('every export has a caller outside tests', () => {
  const exports = (): Usage[] => usages.filter((u) => u.kind === 'export' && !u.isPublic);

  test('nothing exported is used by tests alone, or by nobody', () => {
    expect(exports().filter((u) => own(u).length === 0).map(describeUse)).toEqual([]);
  });

  test('nothing is exported that only its own file uses', () => {
    expect(exports().filter((u) => importers(u).length === 0).map((u) => u.id)).toEqual([]);
  });
});

describe('every member has a caller outside tests', () => {
  test('public members of classes and methods of interfaces are read outside tests', () => {
    const unread = usages.filter((u) => (u.kind === 'class-member' || u.kind === 'method') && !u.isPublic && u.readers.size === 0);
    expect(unread.filter((u) => !(u.id in TEST_OBSERVERS)).map(describeUse)).toEqual([]);
  });

  test('each test observer is still read by tests only', () => {
    const stale = Object.keys(TEST_OBSERVERS).filter((id) => {
      const usage = usages.find((u) => u.id === id);
      return usage === undefined || usage.readers.size > 0 || usage.tests.size === 0;
    });
    expect(stale).toEqual([]);
  });

  test('every option is read, and every optional one is set by someone', () => {
    const options = usages.filter((u) => u.kind === 'option' && !u.isPublic);
    expect(options.filter((u) => u.readers.size === 0).map(describeUse)).toEqual([]);
    expect(options.filter((u) => u.optional && u.writers.size === 0 && u.tests.size === 0).map((u) => u.id)).toEqual([]);
  });
});
