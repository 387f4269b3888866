// Micro-benchmark of the publisher SDK against a private redis-server (started here on a free
// port, stopped at the end): publishes per second for sequential `publish`, 100 concurrent
// `publish`, `publishMany` batches of 100, the publish script called with raw ioredis, and raw
// ioredis `PUBLISH` of the same envelope bytes.
// Each scenario is bounded in count and in time. Run: `npx tsc -b && node --import tsx bench/sdk-publish.ts`.
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

async function scenarios(publisher: Publisher, raw: Redis): Promise<Result[]> {
  // The exact bytes the script announces, so raw PUBLISH moves the same payload.
  const [prepared] = createEventValidator().prepare([event(0)]);
  const payload = `0-0 {"id":"1732528000000-0",${prepared?.body ?? ''}`;
  const results: Result[] = [];
  // Warm-up: loads the script, compiles hot paths.
  await publisher.publishMany(Array.from({ length: 500 }, (_, i) => event(i)));
  for (let i = 0; i < 500; i++) await raw.publish('bench:raw', payload);

  results.push(await measure('publish, sequential', 1, 1, (i) => publisher.publish(event(i))));
  results.push(await measure(`publish, ${IN_FLIGHT} in flight`, IN_FLIGHT, 1, (i) => publisher.publish(event(i))));
  results.push(
    await measure(`publishMany, batches of ${BATCH}`, 1, BATCH, (i) => publisher.publishMany(Array.from({ length: BATCH }, (_, k) => event(i + k)))),
  );
  // The script alone, without the SDK (no validation, no timer): where the time of a publish goes.
  const keyspace = createKeyspace('rawbench');
  await raw.eval(PUBLISH_SCRIPT, 0, '1000', '86400', 'PUBLISH');
  const script = (): Promise<unknown> =>
    raw.evalsha(PUBLISH_SCRIPT_SHA, 1, keyspace.historyKey('execution:bench'), '1000', '86400', 'PUBLISH', keyspace.liveChannel('execution:bench'), prepared?.body ?? '');
  results.push(await measure('raw ioredis EVALSHA script, sequential', 1, 1, script));
  results.push(await measure('raw ioredis PUBLISH, sequential', 1, 1, () => raw.publish('bench:raw', payload)));
  results.push(await measure(`raw ioredis PUBLISH, ${IN_FLIGHT} in flight`, IN_FLIGHT, 1, () => raw.publish('bench:raw', payload)));
  return results;
}

async function main(): Promise<void> {
  const server = await startRedisServer();
  const publisher = createPublisher({ redisUrl: server.url });
  // The same client settings as the SDK's own connection, auto-pipelining included.
  const raw = new Redis(server.url, { enableAutoPipelining: true });
  try {
    const results = await scenarios(publisher, raw);
    console.log(`payload ${Buffer.byteLength(JSON.stringify(event(0)))} bytes per event, history MAXLEN 1000; node ${process.version}`);
    for (const r of results) {
      const rate = Math.round((r.events / r.ms) * 1000);
      console.log(`${r.name.padEnd(40)} ${String(rate).padStart(8)} events/s  (${r.events} events in ${Math.round(r.ms)} ms)`);
    }
  } finally {
    await publisher.close();
    await raw.quit();
    await server.dispose();
  }
}

main().catch((error: unknown) => {
  console.error(error);
  process.exitCode = 1;
});
