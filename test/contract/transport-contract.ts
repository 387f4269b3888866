// The error contract both publisher transports keep (Redis and HTTP), run against each by the
// sdk-*-transport.test.ts files next to this one: nothing reachable → a timeout or transport error
// within timeoutMs; a peer that never answers → PublishTimeoutError at timeoutMs, retries included;
// close() while a publish waits → PublisherClosedError at once; no secret in any message.
import { createServer, type Server, type Socket } from 'node:net';
import {
  createPublisher,
  PublisherClosedError,
  PublishTimeoutError,
  TransportError,
  type Publisher,
  type PublisherOptions,
} from '@sse-gateway/publisher';
import { statusEvent } from '../helpers/events';
import { freePort } from '../helpers/free-port';

export interface TransportTarget {
  /** The options that reach `port` (nothing but the target part: redisUrl, or gatewayUrl + token). */
  options(port: number): PublisherOptions;
  /** A secret the options carry (a password, a token) that no error may show. */
  readonly secret: string;
  /** What a message names as the peer, e.g. `127.0.0.1:<port>`. */
  where(port: number): string;
}

/** A TCP server that accepts connections and never writes a byte; counts what it received. */
interface SilentPeer {
  readonly port: number;
  /** Every byte received, all connections together. */
  received(): string;
  close(): Promise<void>;
}

async function silentPeer(): Promise<SilentPeer> {
  const sockets = new Set<Socket>();
  let received = '';
  const server: Server = createServer((socket) => {
    sockets.add(socket);
    socket.setEncoding('latin1');
    socket.on('data', (chunk: string) => (received += chunk));
    socket.on('close', () => sockets.delete(socket));
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const address = server.address();
  if (address === null || typeof address === 'string') throw new Error('no port');
  return {
    port: address.port,
    received: () => received,
    close: async () => {
      for (const socket of sockets) socket.destroy();
      await new Promise((resolve) => server.close(resolve));
    },
  };
}

async function rejection(promise: Promise<unknown>): Promise<Error> {
  return promise.then(
    () => {
      throw new Error('expected a rejection');
    },
    (error: unknown) => error as Error,
  );
}

export function transportContract(name: string, target: TransportTarget): void {
  describe(`publisher transport contract: ${name}`, () => {
    const publishers: Publisher[] = [];
    const make = (port: number, extra: Partial<PublisherOptions> = {}): Publisher => {
      const publisher = createPublisher({ ...target.options(port), ...extra } as PublisherOptions);
      publishers.push(publisher);
      return publisher;
    };
    const expectNoSecret = (error: Error): void => {
      for (const text of [error.message, String(error.stack), JSON.stringify(error), String((error.cause as Error | undefined)?.message)]) {
        expect(text).not.toContain(target.secret);
      }
    };
    // A rejection nobody handles (a transport's own promise left behind by a timeout) fails the test.
    const unhandled: unknown[] = [];
    const record = (reason: unknown): void => void unhandled.push(reason);
    beforeEach(() => process.on('unhandledRejection', record));
    afterEach(async () => {
      await Promise.all(publishers.splice(0).map((publisher) => publisher.close()));
      await new Promise((resolve) => setImmediate(resolve));
      process.off('unhandledRejection', record);
      expect(unhandled.splice(0)).toEqual([]);
    });

    test('nothing listening: a timeout or transport error naming the peer, within timeoutMs', async () => {
      const port = await freePort();
      const publisher = make(port, { timeoutMs: 800 });
      for (const attempt of [() => publisher.publish(statusEvent('execution:1')), () => publisher.publishMany([statusEvent('execution:1')])]) {
        const started = Date.now();
        const error = await rejection(attempt());
        // timeoutMs, plus what a loaded machine may add to the firing of the last timer.
        expect(Date.now() - started).toBeLessThan(800 + 1000);
        expect([PublishTimeoutError, TransportError].some((type) => error instanceof type)).toBe(true);
        expect(error.message).toContain(target.where(port));
        expect(error.message).toContain('ECONNREFUSED');
        expectNoSecret(error);
      }
    });

    test('a peer that never answers: PublishTimeoutError at timeoutMs, all retries included', async () => {
      const peer = await silentPeer();
      try {
        const publisher = make(peer.port, { timeoutMs: 600, retries: 2 });
        const started = Date.now();
        const error = await rejection(publisher.publish(statusEvent('execution:2')));
        const elapsed = Date.now() - started;
        expect(error).toBeInstanceOf(PublishTimeoutError);
        expect(error.message).toContain(target.where(peer.port));
        expectNoSecret(error);
        expect(elapsed).toBeGreaterThanOrEqual(590);
        expect(elapsed).toBeLessThan(1500);
      } finally {
        await peer.close();
      }
    });

    test('close() while a publish waits: PublisherClosedError at once, and later calls too', async () => {
      const peer = await silentPeer();
      try {
        const publisher = make(peer.port, { timeoutMs: 20000 });
        const pending = rejection(publisher.publish(statusEvent('execution:3')));
        const started = Date.now();
        await publisher.close();
        expect(await pending).toBeInstanceOf(PublisherClosedError);
        expect(Date.now() - started).toBeLessThan(1000);
        await expect(publisher.publish(statusEvent('execution:3'))).rejects.toThrow(PublisherClosedError);
        await expect(publisher.publishMany([statusEvent('execution:3')])).rejects.toThrow(PublisherClosedError);
      } finally {
        await peer.close();
      }
    });
  });
}
