// A crowd of raw stream readers in a process of their own, so that reading their bytes does not
// slow the test process that measures (its publisher and witness): `node --import tsx
// stream-readers.ts <port> <count> <path> <token> <lastEventId> <events>`. Each reader reads as fast
// as its socket delivers, counting `event:` lines without decoding; one JSON line on stdout says
// `{ "done": <readers that got every event> }` when all did or one was closed before.
import { connect } from 'node:net';

const EVENT = Buffer.from('\nevent: ');

function readOne(port: number, path: string, token: string, lastEventId: string, events: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = connect(port, '127.0.0.1');
    let count = 0;
    let tail: Buffer = Buffer.alloc(0);
    socket.on('error', () => undefined);
    socket.once('close', () => resolve(false));
    socket.once('connect', () => socket.write(`GET ${path} HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer ${token}\r\nLast-Event-ID: ${lastEventId}\r\n\r\n`));
    socket.on('data', (chunk: Buffer) => {
      const bytes = tail.length === 0 ? chunk : Buffer.concat([tail, chunk]);
      for (let at = bytes.indexOf(EVENT); at !== -1; at = bytes.indexOf(EVENT, at + 1)) count++;
      tail = bytes.subarray(Math.max(0, bytes.length - EVENT.length + 1));
      if (count >= events) {
        socket.removeAllListeners('close');
        socket.destroy();
        resolve(true);
      }
    });
  });
}

async function main(): Promise<void> {
  const [port, count, path, token, lastEventId, events] = process.argv.slice(2);
  const results = await Promise.all(Array.from({ length: Number(count) }, () => readOne(Number(port), path as string, token as string, lastEventId as string, Number(events))));
  process.stdout.write(`${JSON.stringify({ done: results.filter(Boolean).length })}\n`);
}

void main();
