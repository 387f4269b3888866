// Run by connection.test.ts in a process of its own, where Node's warnings reach stderr (jest's
// sandbox keeps them from a test's process.on('warning')): publishes at once to a Redis that is
// not there, with retries, then one line per kind of error they ended with.
import { createPublisher } from '../../publisher-sdk/src/index';

async function main(): Promise<void> {
  const [redisUrl, count] = process.argv.slice(2);
  const publisher = createPublisher({ redisUrl: redisUrl as string, timeoutMs: 1500, retries: 3 });
  const outcomes = await Promise.all(
    Array.from({ length: Number(count) }, (_, i) =>
      publisher.publish({ channel: 'execution:1', type: 'execution.status', data: { executionId: `e${i}`, status: 'running' } }).then(
        () => 'stored',
        (error: unknown) => (error as Error).name,
      ),
    ),
  );
  await publisher.close();
  const counts = new Map<string, number>();
  for (const outcome of outcomes) counts.set(outcome, (counts.get(outcome) ?? 0) + 1);
  process.stdout.write(`${JSON.stringify(Object.fromEntries(counts))}\n`);
}

void main();
