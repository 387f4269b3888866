// Clients that hang up during the handshake: right after connecting, halfway through the request
// headers, right after the request, or a few milliseconds later (while the gateway verifies the
// token, joins the channels or writes the head). Each has its own subject; once they are gone, no
// gateway may still count them.
import { connect } from 'node:net';
import { mintToken } from '../../bench/lib/token';
import type { ClientKit } from './client-kit';

/** Every socket here is destroyed within this long, whatever happens. */
const LONGEST_MS = 200;

export function hangUpDuringHandshakes(kit: ClientKit, channels: readonly string[], count: number, tag: string): Promise<void> {
  return Promise.all(Array.from({ length: count }, (_, i) => hangUpOnce(kit, channels[i % channels.length]!, `h${tag}-${i}`, i % 4))).then(() => undefined);
}

function hangUpOnce(kit: ClientKit, channel: string, subject: string, variant: number): Promise<void> {
  const token = mintToken(kit.jwtSecret, { sub: subject, subscribe: [channel] });
  const head = `GET /v1/stream?channel=${encodeURIComponent(channel)} HTTP/1.1\r\nHost: 127.0.0.1\r\nAuthorization: Bearer ${token}\r\nAccept: text/event-stream\r\n\r\n`;
  return new Promise((resolve) => {
    const socket = connect({ host: kit.host, port: kit.port });
    const done = (): void => {
      clearTimeout(limit);
      socket.destroy();
      kit.counters.hangups++;
      resolve();
    };
    const limit = setTimeout(done, LONGEST_MS);
    socket.on('error', done);
    socket.on('connect', () => {
      if (variant === 0) return done();
      if (variant === 1) {
        socket.write(head.slice(0, head.length >> 1));
        return void setTimeout(done, 5);
      }
      socket.write(head);
      if (variant === 2) return done();
      setTimeout(done, Math.random() * 30);
    });
  });
}
