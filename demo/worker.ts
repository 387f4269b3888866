// The demo's simulated crew on its own, as a worker process beside running gateways:
//   REDIS_URL=redis://127.0.0.1:6379 node --import tsx demo/worker.ts          (SDK → Redis)
//   GATEWAY_URL=http://localhost:8080 TOKEN=<jwt> node --import tsx demo/worker.ts   (SDK → POST /v1/publish)
// With GATEWAY_URL and JWT_SECRET (no TOKEN) it mints its own short-lived publish token.
// DEMO_CHANNEL (default execution:demo), DEMO_PACE_MS (600), DEMO_REST_MS (6000), REDIS_KEY_PREFIX.
import { createPublisher, type Publisher } from '@sse-gateway/publisher';
import { SignJWT } from 'jose';
import { DEFAULT_DEMO_CHANNEL, runCrew } from './crew';

function setting(name: string): string | undefined {
  const value = process.env[name]?.trim();
  return value === undefined || value === '' ? undefined : value;
}

function milliseconds(name: string, fallback: number): number {
  const value = setting(name);
  if (value === undefined) return fallback;
  if (!/^\d+$/.test(value)) throw new Error(`${name} must be a number of milliseconds`);
  return Number(value);
}

/** How the worker publishes, from the environment. */
function publisherFor(channel: string): { describe: string; publisher: Publisher | (() => Promise<Publisher>) } {
  const redisUrl = setting('REDIS_URL');
  if (redisUrl !== undefined) {
    const keyPrefix = setting('REDIS_KEY_PREFIX');
    return { describe: 'into Redis', publisher: createPublisher({ redisUrl, ...(keyPrefix ? { keyPrefix } : {}) }) };
  }
  const gatewayUrl = setting('GATEWAY_URL');
  if (gatewayUrl === undefined) throw new Error('set REDIS_URL, or GATEWAY_URL with TOKEN (or JWT_SECRET)');
  const token = setting('TOKEN');
  const secret = process.env['JWT_SECRET'];
  if (token === undefined && !secret) throw new Error('GATEWAY_URL needs TOKEN (a JWT with sse.publish on the channel) or JWT_SECRET to mint one');
  return {
    describe: `over HTTP to ${new URL(gatewayUrl).origin}`,
    publisher: async () => createPublisher({ gatewayUrl, token: token ?? (await mint(secret!, channel)) }),
  };
}

function mint(secret: string, channel: string): Promise<string> {
  return new SignJWT({ sse: { subscribe: [], publish: [channel] } })
    .setProtectedHeader({ alg: 'HS256' })
    .setSubject('demo-worker')
    .setIssuedAt()
    .setExpirationTime('1h')
    .sign(new TextEncoder().encode(secret));
}

async function main(): Promise<void> {
  const channel = setting('DEMO_CHANNEL') ?? DEFAULT_DEMO_CHANNEL;
  const { describe, publisher } = publisherFor(channel);
  const stopping = new AbortController();
  process.once('SIGINT', () => stopping.abort());
  process.once('SIGTERM', () => stopping.abort());
  process.stdout.write(`demo worker: publishing a simulated crew on ${channel} ${describe}\n`);
  await runCrew({
    channel,
    publisher,
    paceMs: milliseconds('DEMO_PACE_MS', 600),
    restMs: milliseconds('DEMO_REST_MS', 6000),
    signal: stopping.signal,
    say: (line) => process.stdout.write(`${line}\n`),
  });
  if (typeof publisher !== 'function') await publisher.close();
  process.exit(0);
}

main().catch((error: unknown) => {
  process.stderr.write(`demo worker: ${(error as Error).message}\n`);
  process.exit(1);
});
