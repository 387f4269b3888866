// A storm-client process (forked by the orchestrator, one per core): its share of the storm's
// clients, each connected straight to one gateway's port, each keeping its cursor (every `id:`,
// the opening block's too) and its `retry:`; when its stream closes it reconnects with
// `Last-Event-ID` to the next gateway of a round-robin rotation, after the wait of its reconnect
// policy (storm-book.ts), and checks its events' sequence across reconnects.
import { connect, type Socket } from 'node:net';
import { Histogram } from './histogram';
import type { OpenedReport, StormCommand, StormOpenCommand, StormReport, StormStatsReport } from './messages';
import { SseReader } from './sse-reader';
import { seededRandom } from './seeded-random';
import { ClientBook, emptyCounts, nextGateway, reconnectDelay, type SseBlock, type WindowCounts } from './storm-book';
import { mintToken } from './token';

/** A client that fails this many reconnects in a row gives up (the step's report shows it unsettled). */
const MAX_FAILURES = 30;

const origin = performance.timeOrigin;
const now = (): number => origin + performance.now();
const readBuffer = Buffer.allocUnsafe(256 * 1024);
const window: { counts: WindowCounts } = { counts: emptyCounts() };
let stable = new Histogram();
let moved = new Histogram();
let maxSeq = 0;
let closing = false;
let settings: StormOpenCommand | undefined;
let rotation = 0;
const clients: Client[] = [];

class Client {
  readonly book = new ClientBook(window);
  readonly token: string;
  readonly random: () => number;
  socket: Socket | undefined;
  open = false;
  timer: NodeJS.Timeout | undefined;

  constructor(readonly index: number, public gateway: number, command: StormOpenCommand) {
    this.token = mintToken(command.jwtSecret, { sub: `storm-${index}`, subscribe: [command.channel], ttlS: 4 * 3600 });
    this.random = seededRandom(index + 1);
  }
}

function request(client: Client, command: StormOpenCommand): string {
  const cursor = client.book.cursor === undefined ? '' : `Last-Event-ID: ${client.book.cursor}\r\n`;
  return `GET /v1/stream?channel=${command.channel} HTTP/1.1\r\nHost: 127.0.0.1\r\nAccept: text/event-stream\r\nAuthorization: Bearer ${client.token}\r\n${cursor}\r\n`;
}

/**
 * One stream of a client. `first`: settles with an error text or undefined once the headers said
 * 200; a first connect that fails is not retried (the client is left out, like a failed idle connect).
 */
function stream(client: Client, first: boolean, settle: (error: string | undefined) => void = () => undefined): void {
  const command = settings!;
  let down = false;
  const fail = (error: string, wasOpen: boolean): void => {
    if (down) return;
    down = true;
    client.open = false;
    client.socket?.destroy();
    settle(error);
    if (closing || (first && !wasOpen)) return;
    if (wasOpen) client.book.closed();
    else client.book.refused(error);
    schedule(client);
  };
  const onBlock = (block: SseBlock): void => {
    const at = now();
    if (!client.book.block(block, at)) return;
    if (block.seq! > maxSeq) maxSeq = block.seq!;
    (client.book.moved ? moved : stable).record(at - block.sentAt!);
  };
  const timer = setTimeout(() => fail('timeout', client.open), command.timeoutMs);
  const reader = new SseReader({
    onHead: (status) => {
      clearTimeout(timer);
      if (status !== 200) return fail(`HTTP ${status}`, false);
      client.open = true;
      client.book.opened(now(), maxSeq);
      settle(undefined);
    },
    onBlock,
    onEnd: () => fail('ended', true),
  });
  const socket = connect({
    host: command.hosts[client.index % command.hosts.length],
    port: command.ports[client.gateway]!,
    noDelay: true,
    onread: {
      buffer: readBuffer,
      callback: (bytes: number, buffer: Uint8Array) => {
        reader.feed(Buffer.from(buffer.buffer, buffer.byteOffset, bytes).toString('latin1'));
        return true;
      },
    },
  });
  client.socket = socket;
  socket.on('connect', () => socket.write(request(client, command)));
  socket.on('error', (error: NodeJS.ErrnoException) => fail(error.code ?? error.message, client.open));
  socket.on('close', () => {
    clearTimeout(timer);
    fail('closed', client.open);
  });
}

/** The next attempt, to the next gateway, after the policy's wait. */
function schedule(client: Client): void {
  const command = settings!;
  if (client.book.failures >= MAX_FAILURES) return;
  const delay = reconnectDelay(command.policy, client.book.retryMs, client.book.failures, client.random());
  client.timer = setTimeout(() => {
    client.timer = undefined;
    if (closing) return;
    client.book.attempt(now());
    client.gateway = nextGateway(rotation++, command.ports.length, client.gateway);
    stream(client, false);
  }, delay);
}

async function open(command: StormOpenCommand): Promise<OpenedReport> {
  settings = command;
  closing = false;
  const startedAt = now();
  let lastOpenAt = startedAt;
  let next = command.first;
  let ok = 0;
  let failed = 0;
  const errors: string[] = [];
  const lane = async (): Promise<void> => {
    while (next < command.total) {
      const client = new Client(next, next % command.ports.length, command);
      next += command.step;
      const error = await new Promise<string | undefined>((resolve) => stream(client, true, resolve));
      if (error === undefined) {
        ok++;
        clients.push(client);
        lastOpenAt = now();
      } else {
        failed++;
        if (errors.length < 5) errors.push(error);
      }
    }
  };
  await Promise.all(Array.from({ length: command.concurrency }, lane));
  return { t: 'opened', ok, failed, errors, startedAt, lastOpenAt };
}

function newWindow(): void {
  window.counts = emptyCounts();
  stable = new Histogram();
  moved = new Histogram();
  for (const client of clients) client.book.newWindow();
}

function stats(finalSeq: number | undefined): StormStatsReport {
  const perGateway = new Array<number>(settings?.ports.length ?? 0).fill(0);
  let open = 0;
  let unsettled = 0;
  let behind = 0;
  for (const client of clients) {
    if (client.open) {
      open++;
      perGateway[client.gateway]!++;
    }
    if (!client.open || !client.book.settled) unsettled++;
    if (finalSeq !== undefined && client.open) behind += client.book.behind(finalSeq);
  }
  return {
    t: 'storm-stats', clients: clients.length, open, unsettled, counts: { ...window.counts },
    stable: stable.toData(), moved: moved.toData(), perGateway, maxSeq, behind,
  };
}

async function closeAll(): Promise<void> {
  closing = true;
  for (const client of clients) {
    clearTimeout(client.timer);
    client.socket?.resetAndDestroy();
  }
  clients.length = 0;
  maxSeq = 0;
  newWindow();
}

process.on('message', (command: StormCommand) => {
  const run = async (): Promise<StormReport> => {
    switch (command.t) {
      case 'open':
        return open(command);
      case 'window':
        newWindow();
        return { t: 'window' };
      case 'stats':
        return stats(command.finalSeq);
      case 'close':
        await closeAll();
        return { t: 'closed' };
    }
  };
  run().then(
    (report) => process.send?.(report),
    (error: unknown) => process.send?.({ t: 'error', message: (error as Error).message }),
  );
});
process.on('disconnect', () => process.exit(0));
