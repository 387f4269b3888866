// The replay's readers, in a process of their own (forked by the orchestrator): `readers` raw
// streams that all resume from `earliest` at once and read as fast as they can, each counting its
// events and checking their order; a reader is done at its last expected event (then it hangs up).
import { connect } from 'node:net';
import type { ReplayCommand, ReplayDone, ReplayReport } from './messages';
import { SseReader } from './sse-reader';
import { mintToken } from './token';

const origin = performance.timeOrigin;
const now = (): number => origin + performance.now();
const readBuffer = Buffer.allocUnsafe(256 * 1024);

/** What the readers count as they go: the report without its tag and start time. */
type Tally = Omit<ReplayDone, 't' | 'startedAt'>;

/** One reader: resolves when it has every event, or its stream failed or timed out. */
function read(command: ReplayCommand, index: number, tally: Tally, deadline: number): Promise<void> {
  return new Promise((resolve) => {
    let received = 0;
    let lastSeq = 0;
    let finished = false;
    const token = mintToken(command.jwtSecret, { sub: `replay-${index}`, subscribe: [command.channel] });
    const finish = (error: string | undefined): void => {
      if (finished) return;
      finished = true;
      clearTimeout(timer);
      socket.resetAndDestroy();
      if (error === undefined) {
        tally.complete++;
        tally.doneAt = Math.max(tally.doneAt, now());
      } else {
        if (received === 0) tally.failedConnects++;
        else tally.short++;
        if (tally.errors.length < 5) tally.errors.push(`${error} after ${received} events`);
      }
      resolve();
    };
    const reader = new SseReader({
      onHead: (status) => {
        if (status !== 200) finish(`HTTP ${status}`);
      },
      onEvent: (seq) => {
        received++;
        if (seq <= lastSeq) tally.duplicated++;
        else if (seq !== lastSeq + 1) tally.disorder++;
        lastSeq = Math.max(lastSeq, seq);
        if (received === command.events) finish(lastSeq === command.events ? undefined : 'out of order');
      },
    });
    const socket = connect({
      host: command.host,
      port: command.port,
      noDelay: true,
      onread: {
        buffer: readBuffer,
        callback: (bytes: number, buffer: Uint8Array) => {
          tally.bytes += bytes;
          reader.feed(Buffer.from(buffer.buffer, buffer.byteOffset, bytes).toString('latin1'));
          return true;
        },
      },
    });
    const timer = setTimeout(() => finish('timeout'), Math.max(0, deadline - performance.now()));
    socket.on('connect', () =>
      socket.write(`GET /v1/stream?channel=${command.channel} HTTP/1.1\r\nHost: 127.0.0.1\r\nAccept: text/event-stream\r\nAuthorization: Bearer ${token}\r\nLast-Event-ID: earliest\r\n\r\n`),
    );
    socket.on('error', (error: NodeJS.ErrnoException) => finish(error.code ?? error.message));
    socket.on('close', () => finish('closed'));
  });
}

async function replay(command: ReplayCommand): Promise<ReplayDone> {
  const tally: Tally = { bytes: 0, doneAt: 0, complete: 0, short: 0, duplicated: 0, disorder: 0, failedConnects: 0, errors: [] };
  const startedAt = now();
  const deadline = performance.now() + command.timeoutMs;
  await Promise.all(Array.from({ length: command.readers }, (_, i) => read(command, i, tally, deadline)));
  const { errors, ...counts } = tally;
  return { t: 'replayed', startedAt, ...counts, errors };
}

process.on('message', (command: ReplayCommand) => {
  replay(command).then(
    (report: ReplayReport) => process.send?.(report),
    (error: unknown) => process.send?.({ t: 'error', message: (error as Error).message }),
  );
});
process.on('disconnect', () => process.exit(0));
