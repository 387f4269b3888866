// The publisher SDK over HTTP (`createPublisher({ gatewayUrl, token })`) against real gateways in
// this process: what it stores, and how each answer of POST /v1/publish maps to the SDK's errors.
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  createPublisher,
  EventValidationError,
  PublishAuthError,
  TransportError,
  type Publisher,
} from '@sse-gateway/publisher';
import { statusEvent } from '../helpers/events';
import { startGateway, type TestGateway } from '../helpers/gateway';
import { startRedisServer } from '../helpers/redis-server';
import { testRedisUrl, uniquePrefix } from '../helpers/redis';
import { SseClient } from '../helpers/sse-client';
import { mintToken } from '../helpers/tokens';
import { waitFor } from '../helpers/wait-for';


/** The rejection of `promise`, failing the test if it resolves. */
async function rejection(promise: Promise<unknown>): Promise<Error> {
  try {
    await promise;
  } catch (error) {
    return error as Error;
  }
  throw new Error('expected a rejection');
}

function expectNoToken(error: Error, token: string): void {
  expect(error.message).not.toContain(token);
  expect(JSON.stringify(error)).not.toContain(token);
  expect(String(error.stack)).not.toContain(token);
}

const buses: [string, () => Record<string, string>][] = [
  ['in-memory bus', () => ({})],
  ['Redis bus', () => ({ REDIS_URL: testRedisUrl(), REDIS_KEY_PREFIX: uniquePrefix('sdkhttp') })],
];

describe.each(buses)('the HTTP transport on a gateway with the %s', (_name, env) => {
  let gw: TestGateway;
  let token: string;
  let publisher: Publisher;
  const extra: Publisher[] = [];
  const clients: SseClient[] = [];

  beforeAll(async () => {
    gw = await startGateway({ ...env(), PUBLISH_MAX_BYTES: '2048' });
    token = await mintToken({ sub: 'worker', subscribe: [], publish: ['execution:*'] });
    publisher = createPublisher({ gatewayUrl: gw.url, token });
  });

  afterEach(async () => {
    for (const client of clients.splice(0)) client.close();
    for (const p of extra.splice(0)) await p.close();
  });

  afterAll(async () => {
    await publisher.close();
    await gw.close();
  });

  function another(options: { token?: string; schemasDir?: string } = {}): Publisher {
    const p = createPublisher({ gatewayUrl: gw.url, token: options.token ?? token, ...(options.schemasDir ? { schemasDir: options.schemasDir } : {}) });
    extra.push(p);
    return p;
  }

  test('publish and publishMany store the events; a subscriber receives them with the returned ids', async () => {
    const client = new SseClient(gw.url, { channels: ['execution:h1'], token: await mintToken({ subscribe: ['execution:h1'] }) });
    clients.push(client);
    await client.waitForOpen();
    const { id } = await publisher.publish(statusEvent('execution:h1', 'h1'));
    const { ids } = await publisher.publishMany([1, 2, 3].map((step) => ({ channel: 'execution:h1', type: 'execution.progress', data: { executionId: 'h1', step } })));
    expect(ids).toHaveLength(3);
    const received = await client.waitForEvents(4);
    expect(received.map((event) => event.data.id)).toEqual([id, ...ids]);
    expect(received[0]?.data.data).toEqual({ executionId: 'h1', status: 'running' });
    expect(received.slice(1).map((event) => (event.data.data as { step: number }).step)).toEqual([1, 2, 3]);
  });

  test('data is sent as it was serialised: unicode, nesting and numbers arrive intact', async () => {
    const output = { text: 'héllo ✓ \u2028 "quoted" \\ back', nested: [1, 2.5, -0.125, { deep: null }], big: 12345678901234 };
    const { id } = await publisher.publish({ channel: 'execution:h2', type: 'execution.output', data: { executionId: 'h2', output, final: true } });
    const [entry] = await gw.gateway.bus.history('execution:h2', '0-0', 10);
    expect(entry?.id).toBe(id);
    expect(JSON.parse(entry!.envelope).data).toEqual({ executionId: 'h2', output, final: true });
  });

  test('an invalid event is refused locally and never sent', async () => {
    const error = await rejection(publisher.publish({ channel: 'execution:h3', type: 'execution.status', data: { executionId: 'h3', status: 'nope' as 'running' } }));
    expect(error).toBeInstanceOf(EventValidationError);
    expect((error as EventValidationError).errors).toEqual([{ path: '/data/status', message: expect.any(String) }]);
    expect(await gw.gateway.bus.history('execution:h3', '0-0', 10)).toEqual([]);
  });

  test('400 from the gateway (a type only the publisher knows) → EventValidationError with the gateway\'s problems', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'sdk-http-schemas-'));
    try {
      writeFileSync(join(dir, 'crew.note.schema.json'), JSON.stringify({ $schema: 'https://json-schema.org/draft/2020-12/schema', type: 'object' }));
      const p = another({ schemasDir: dir });
      const error = await rejection(p.publish({ channel: 'execution:h4', type: 'crew.note', data: { any: 1 } }));
      expect(error).toBeInstanceOf(EventValidationError);
      expect((error as EventValidationError).errors).toEqual([{ path: '/0/type', message: expect.stringContaining('crew.note') }]);
      expectNoToken(error, token);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  test('413 from the gateway (its PUBLISH_MAX_BYTES is smaller than the publisher\'s) → EventValidationError', async () => {
    const error = await rejection(publisher.publish({ channel: 'execution:h5', type: 'execution.log', data: { executionId: 'h5', level: 'info', message: 'x'.repeat(3000) } }));
    expect(error).toBeInstanceOf(EventValidationError);
    expect((error as EventValidationError).errors[0]?.message).toContain('PUBLISH_MAX_BYTES');
    // A batch of small events whose request body is over the gateway's limit, the same way.
    const batch = Array.from({ length: 30 }, (_, step) => ({ channel: 'execution:h5', type: 'execution.progress' as const, data: { executionId: 'h5', step, message: 'y'.repeat(80) } }));
    expect(await rejection(publisher.publishMany(batch))).toBeInstanceOf(EventValidationError);
    expect(await gw.gateway.bus.history('execution:h5', '0-0', 10)).toEqual([]);
  });

  test('401 (a bad token) and 403 (no right on the channel) → PublishAuthError, without the token', async () => {
    const forged = `${token.slice(0, -4)}AAAA`;
    const bad = await rejection(another({ token: forged }).publish(statusEvent('execution:h6')));
    expect(bad).toBeInstanceOf(PublishAuthError);
    expect((bad as PublishAuthError).status).toBe(401);
    expectNoToken(bad, forged);
    const forbidden = await rejection(publisher.publish(statusEvent('crew:h6')));
    expect(forbidden).toBeInstanceOf(PublishAuthError);
    expect((forbidden as PublishAuthError).status).toBe(403);
    expect(forbidden.message).toContain('crew:h6');
    expectNoToken(forbidden, token);
  });
});

describe('the HTTP transport when the gateway cannot serve', () => {
  test('5xx (Redis down behind the gateway) → TransportError; works again once Redis is back', async () => {
    const redis = await startRedisServer();
    const gw = await startGateway({ REDIS_URL: redis.url, REDIS_KEY_PREFIX: uniquePrefix('sdkhttp5xx') });
    const token = await mintToken({ publish: ['*'] });
    const publisher = createPublisher({ gatewayUrl: gw.url, token });
    try {
      await publisher.publish(statusEvent('execution:d1'));
      await redis.stop();
      const error = await rejection(publisher.publish(statusEvent('execution:d1')));
      expect(error).toBeInstanceOf(TransportError);
      expect(error.message).toContain('503');
      expectNoToken(error, token);
      await redis.start();
      await waitFor(() => publisher.publish(statusEvent('execution:d1')).then(() => true, () => false), { timeoutMs: 15000, intervalMs: 100, message: 'a publish to succeed after Redis is back' });
    } finally {
      await publisher.close();
      await gw.close();
      await redis.dispose();
    }
  });

  // Nothing listening, a gateway that never answers, close() while waiting: test/contract/transport-contract.ts.

  test('a 503 is retried with the same idempotency key and the same event; a 4xx other than 408/429 is not', async () => {
    const bodies: string[] = [];
    const statuses = [503, 202];
    const server = createServer((req, res) => {
      let body = '';
      req.setEncoding('utf8');
      req.on('data', (chunk: string) => (body += chunk));
      req.on('end', () => {
        bodies.push(body);
        const status = statuses.shift() ?? 404;
        res.writeHead(status, { 'Content-Type': 'application/json' });
        res.end(status === 202 ? JSON.stringify({ ids: ['1-0'], duplicates: [] }) : JSON.stringify({ error: { code: 'x', message: 'no' } }));
      });
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    const publisher = createPublisher({ gatewayUrl: `http://127.0.0.1:${(server.address() as AddressInfo).port}`, token: 't' });
    try {
      expect(await publisher.publish(statusEvent('execution:r1'))).toEqual({ id: '1-0', duplicate: false });
      expect(bodies).toHaveLength(2);
      expect(bodies[1]).toBe(bodies[0]);
      // An automatic key, asked to be remembered only as long as the publisher's automatic keys are.
      expect((JSON.parse(bodies[0] as string) as { idempotencyKey?: string; idempotencyTtlS?: number }[])[0]).toMatchObject({
        idempotencyKey: expect.stringMatching(/^[0-9a-f-]{36}$/),
        idempotencyTtlS: 600,
      });
      // 404: an answer that will not change.
      const error = await rejection(publisher.publish(statusEvent('execution:r2')));
      expect(error).toBeInstanceOf(TransportError);
      expect(bodies).toHaveLength(3);
    } finally {
      await publisher.close();
      await new Promise((resolve) => server.close(resolve));
    }
  });
});

test('options are checked at creation, without echoing the URL', () => {
  expect(() => createPublisher({ gatewayUrl: 'not a url', token: 't' })).toThrow(RangeError);
  expect(() => createPublisher({ gatewayUrl: 'ftp://host', token: 't' })).toThrow(/http/);
  expect(() => createPublisher({ gatewayUrl: 'http://user:secret@host', token: 't' })).toThrow(/credentials/);
  expect(() => createPublisher({ gatewayUrl: 'http://user:secret@host', token: 't' })).not.toThrow(/secret/);
  expect(() => createPublisher({ gatewayUrl: 'http://host', token: ' ' })).toThrow(/token/);
});
