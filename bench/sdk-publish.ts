// Micro-benchmark of the publisher SDK against a private redis-server (started here on a free
// port, stopped at the end): publishes per second for sequential `publish`, 100 concurrent
// `publish` and `publishMany` batches of 100, each with idempotency keys (the SDK's automatic
// ones, the default) and without (`automaticIdempotencyKeys: false`); the publish script called
// with raw ioredis; and raw ioredis `PUBLISH` of the same envelope bytes.
// Each scenario is bounded in count and in time. Run: `npx tsc -b && node --import tsx bench/sdk-publish.ts`.
import { cpus, loadavg } from 'node:os';
import { Redis } from 'ioredis';
import { createPublisher, type Publisher, type PublishEvent } from '@sse-gateway/publisher';
import { createEventValidator, createKeyspace, PUBLISH_SCRIPT, PUBLISH_SCRIPT_SHA } from '@sse-gateway/publisher/protocol';
import { startRedisServer } from '../test/helpers/redis-server';

const MAX_EVENTS = 50000;
const MAX_MS = 3000;
const IN_FLIGHT = 100;
const BATCH = 100;

interface Result {
  name: string;
  events: number;
  ms: number;
}

const event = (i: number): PublishEvent<'execution.progress'> => ({
  channel: 'execution:bench',
  type: 'execution.progress',
  data: { executionId: 'bench', step: i, totalSteps: MAX_EVENTS, agent: 'researcher', message: 'collecting sources for the report' },
});

/** Runs `step` (which publishes `perStep` events) from `lanes` concurrent loops until either bound is hit. */
async function measure(name: string, lanes: number, perStep: number, step: (i: number) => Promise<unknown>): Promise<Result> {
  let next = 0;
  const started = performance.now();
  const lane = async (): Promise<void> => {
    while (next < MAX_EVENTS && performance.now() - started < MAX_MS) {
      const i = next;
      next += perStep;
      await step(i);
    }
  };
  await Promise.all(Array.from({ length: lanes }, lane));
  return { name, events: next, ms: performance.now() - started };
}

async function sdkScenarios(label: string, publisher: Publisher): Promise<Result[]> {
  const results: Result[] = [];
  results.push(await measure(`publish, sequential, ${label}`, 1, 1, (i) => publisher.publish(event(i))));
  results.push(await measure(`publish, ${IN_FLIGHT} in flight, ${label}`, IN_FLIGHT, 1, (i) => publisher.publish(event(i))));
  results.push(
    await measure(`publishMany, batches of ${BATCH}, ${label}`, 1, BATCH, (i) => publisher.publishMany(Array.from({ length: BATCH }, (_, k) => event(i + k)))),
  );
  return results;
}

async function scenarios(keyed: Publisher, unkeyed: Publisher, raw: Redis): Promise<Result[]> {
  // The exact bytes the script announces, so raw PUBLISH moves the same payload.
  const [prepared] = createEventValidator().prepare([event(0)]);
  const payload = `0-0 {"id":"1732528000000-0",${prepared?.body ?? ''}`;
  const results: Result[] = [];
  // Warm-up: loads the script, compiles hot paths.
  for (const publisher of [keyed, unkeyed]) await publisher.publishMany(Array.from({ length: 500 }, (_, i) => event(i)));
  for (let i = 0; i < 500; i++) await raw.publish('bench:raw', payload);

  // Alternating, so that a change in the machine's load hits both sides alike.
  for (const [label, publisher] of [['keyed', keyed], ['no keys', unkeyed]] as const) results.push(...(await sdkScenarios(label, publisher)));
  for (const [label, publisher] of [['keyed', keyed], ['no keys', unkeyed]] as const) results.push(...(await sdkScenarios(`${label}, again`, publisher)));
  // The script alone, without the SDK (no validation, no timer, no key): where the time of a publish goes.
  const keyspace = createKeyspace('rawbench');
  const history = keyspace.historyKey('execution:bench');
  const args = [3, history, keyspace.stateKey('execution:bench'), history, '1000', '86400', 'PUBLISH', '604800', keyspace.liveChannel('execution:bench'), 'execution.progress', '0', '0', prepared?.body ?? ''] as const;
  await raw.eval(PUBLISH_SCRIPT, ...args);
  const script = (): Promise<unknown> => raw.evalsha(PUBLISH_SCRIPT_SHA, ...args);
  results.push(await measure('raw ioredis EVALSHA script, sequential', 1, 1, script));
  results.push(await measure('raw ioredis PUBLISH, sequential', 1, 1, () => raw.publish('bench:raw', payload)));
  results.push(await measure(`raw ioredis PUBLISH, ${IN_FLIGHT} in flight`, IN_FLIGHT, 1, () => raw.publish('bench:raw', payload)));
  return results;
}

async function main(): Promise<void> {
  const server = await startRedisServer();
  const keyed = createPublisher({ redisUrl: server.url });
  const unkeyed = createPublisher({ redisUrl: server.url, keyPrefix: 'nokeys', automaticIdempotencyKeys: false });
  // The same client settings as the SDK's own connection, auto-pipelining included.
  const raw = new Redis(server.url, { enableAutoPipelining: true });
  try {
    const results = await scenarios(keyed, unkeyed, raw);
    console.log(`payload ${Buffer.byteLength(JSON.stringify(event(0)))} bytes per event, history MAXLEN 1000; node ${process.version}; load average ${loadavg().map((l) => l.toFixed(2)).join(' ')} on ${cpus().length} cores`);
    for (const r of results) {
      const rate = Math.round((r.events / r.ms) * 1000);
      console.log(`${r.name.padEnd(40)} ${String(rate).padStart(8)} events/s  (${r.events} events in ${Math.round(r.ms)} ms)`);
    }
  } finally {
    await keyed.close();
    await unkeyed.close();
    await raw.quit();
    await server.dispose();
  }
}

main().catch((error: unknown) => {
  console.error(error);
  process.exitCode = 1;
});
