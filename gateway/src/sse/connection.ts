// The bytes of one SSE response: its head, frames, heartbeats, backpressure and end. It knows
// nothing of channels or positions (the hub's Subscription does). It watches its socket from the
// moment the stream request is read, so a client that hangs up at any point of the handshake is
// seen, and tells its one owner exactly once whoever ends the stream.
//
// Two kinds, one behaviour: a SocketConnection owns a socket the gateway read the request from
// itself (stream-acceptor.ts: no node:http objects kept for the stream's life), a
// ResponseConnection serves a stream request that arrived on a connection node:http already owns
// (a browser reusing a kept-alive connection of an earlier request).
import type { ServerResponse } from 'node:http';
import type { Socket } from 'node:net';
import { closeConnection, errorAnswer, STREAM_HEADERS, streamHead } from '../http/raw-response';
import { errorResponse } from '../errors';
import type { Frame } from './frame';
import type { Beating, HeartbeatClock } from './heartbeat';
import type { Corkable, WriteBatcher } from './write-batcher';

/** Why a stream ended. `client`: the client went away; the others are the gateway's decision. */
export type CloseReason = 'client' | 'slow' | 'token_expired' | 'drain' | 'shutdown' | 'error';

/** Who hears that a stream ended (the hub's Subscription). */
export interface SinkOwner {
  sinkClosed(reason: CloseReason): void;
}

/** What the hub needs of a stream's connection (a Connection below; a fake in unit tests). */
export interface Sink {
  readonly closed: boolean;
  /** Sets the one owner told, once, when the stream ends (at once if it already has). */
  setOwner(owner: SinkOwner): void;
  /** Sends the response head with `headers` (beside the stream's own), then `opening`, in one write. */
  start(headers: Readonly<Record<string, string>>, opening: Frame): void;
  /** Writes a frame (corked until the batcher's flush); false when the stream is closed. */
  write(frame: Frame): boolean;
  /** Bytes written but not yet taken by the kernel. */
  readonly backlog: number;
  /** The backlog passed the socket's high-water mark: `drained()` tells when it is sent. */
  readonly congested: boolean;
  /** Resolves once a congested socket has sent its backlog (at once when not congested), or the stream closed. */
  drained(): Promise<void>;
  /** Ends the stream cleanly (the client reconnects with its cursor). */
  end(reason: CloseReason): void;
  /** Drops the connection at once. */
  destroy(reason: CloseReason): void;
  /** Stops watching the socket without closing it: the handshake failed and the caller answers. */
  detach(): void;
}

export interface ConnectionInit {
  socket: Socket;
  /** A client whose backlog passes this after a flush is disconnected as slow. */
  bufferLimit: number;
  batcher: WriteBatcher;
  /** The heartbeat: its tick is stamped on each write. */
  clock: HeartbeatClock;
}

const END_OF_CHUNKS = Buffer.from('0\r\n\r\n', 'latin1');
const kConnection = Symbol('sse connection');
type WatchedSocket = Socket & { [kConnection]?: Connection };

// Listeners shared by every connection (no closure per connection): `this` is the socket.
function onSocketClose(this: WatchedSocket): void {
  this[kConnection]?.socketClosed();
}
function ignore(): void {}

/** Whether a stream is being served on `socket` (from its request until it ends or is refused). */
export function carriesStream(socket: Socket): boolean {
  return (socket as WatchedSocket)[kConnection] !== undefined;
}

export abstract class Connection implements Sink, Corkable, Beating {
  closed = false;
  /** Closed by `detach`: the socket is open and the caller answers on it. */
  detached = false;
  /** The heartbeat tick of the last write (see Heartbeat). */
  lastWriteTick = 0;
  /** The heartbeat's phase for this connection, given when the stream starts (see Heartbeat). */
  heartbeatSlot = -1;
  protected started = false;
  /** HTTP/1.1 streams get pre-framed chunks; HTTP/1.0 ones raw bytes. */
  protected chunked = true;
  private corked = false;
  private owner: SinkOwner | undefined;
  protected readonly socket: WatchedSocket;
  private readonly bufferLimit: number;
  private readonly batcher: WriteBatcher;
  private readonly clock: HeartbeatClock;

  constructor(init: ConnectionInit) {
    this.socket = init.socket;
    this.bufferLimit = init.bufferLimit;
    this.batcher = init.batcher;
    this.clock = init.clock;
    // A socket carries one stream at a time: a second would take the first's close listener slot,
    // and the first would never hear its client leave (its subscription kept forever).
    if (this.socket.destroyed || carriesStream(this.socket)) this.closed = true;
    else this.watch();
  }

  setOwner(owner: SinkOwner): void {
    this.owner = owner;
    if (this.closed) owner.sinkClosed('client');
  }

  start(headers: Readonly<Record<string, string>>, opening: Frame): void {
    if (this.closed || this.started) return;
    this.started = true;
    this.socket.setNoDelay(true);
    this.socket.setTimeout(0);
    this.clock.add(this);
    this.batch(); // the head and the opening block leave in one write
    this.lastWriteTick = this.clock.tick;
    this.sendHead(headers, opening);
  }

  write(frame: Frame): boolean {
    // `destroyed` is set at once by a destroy; 'close' follows a tick later.
    if (this.closed || this.socket.destroyed) return false;
    this.batch();
    this.lastWriteTick = this.clock.tick;
    this.socket.write(this.chunked ? frame.chunked : frame.raw);
    return true;
  }

  get backlog(): number {
    return this.socket.writableLength;
  }

  get congested(): boolean {
    return this.socket.writableNeedDrain;
  }

  drained(): Promise<void> {
    if (this.closed || !this.socket.writableNeedDrain) return Promise.resolve();
    return new Promise((resolve) => {
      const done = (): void => {
        this.socket.off('drain', done);
        this.socket.off('close', done);
        resolve();
      };
      this.socket.on('drain', done);
      this.socket.on('close', done);
    });
  }

  /** Holds this connection's writes (its socket's) until the batcher's next flush. */
  private batch(): void {
    if (!this.corked) this.batcher.hold(this);
  }

  cork(): void {
    this.corked = true;
    this.socket.cork();
  }

  /**
   * Sends what this turn wrote. A client whose backlog then passes the limit is disconnected:
   * it resumes later with its cursor, and never holds memory or slows the others.
   */
  flush(): void {
    this.corked = false;
    this.socket.uncork(); // also after an end: the response's last bytes are in the corked buffer
    if (!this.closed && this.socket.writableLength > this.bufferLimit) this.destroy('slow');
  }

  /**
   * Ends the response cleanly (the chunked stream's terminator). The response said `Connection:
   * keep-alive`, so a client may send its next request on the connection (closing it right after
   * made Node's fetch pool fail that request): it stays open, except when the gateway is draining,
   * where the next request must go to another gateway. HTTP/1.0 connections close.
   */
  end(reason: CloseReason): void {
    if (this.closed) return;
    this.markClosed(reason);
    if (!this.started) closeConnection(this.socket);
    else this.finish(reason === 'drain' || reason === 'shutdown');
  }

  destroy(reason: CloseReason): void {
    if (this.closed) return;
    this.markClosed(reason);
    this.socket.destroy();
  }

  detach(): void {
    if (this.closed) return;
    this.closed = true;
    this.detached = true;
    this.owner = undefined;
    this.unwatch();
  }

  /** Answers a stream request refused before it started (after `detach`), as JSON. */
  abstract answer(error: unknown, headers: Readonly<Record<string, string>>): void;
  /** Writes the response head and the opening block. */
  protected abstract sendHead(headers: Readonly<Record<string, string>>, opening: Frame): void;
  /** Ends a started response; `close`: the connection must not carry another request. */
  protected abstract finish(close: boolean): void;

  /** @internal Called by the socket's close listener. */
  socketClosed(): void {
    if (!this.closed) this.markClosed('client');
  }

  protected watch(): void {
    this.socket[kConnection] = this;
    this.socket.on('close', onSocketClose);
  }

  protected unwatch(): void {
    this.socket[kConnection] = undefined;
    this.socket.off('close', onSocketClose);
  }

  private markClosed(reason: CloseReason): void {
    this.closed = true;
    this.clock.remove(this);
    this.unwatch();
    const owner = this.owner;
    this.owner = undefined;
    owner?.sinkClosed(reason);
  }
}

interface SocketConnectionInit extends ConnectionInit {
  /** HTTP/1.0: raw bytes, and the stream ends with the connection. */
  http10: boolean;
  /** The connection may carry another request after this one's response. */
  keepAlive: boolean;
  /** Gives the connection to node:http for its next request. */
  handOver: (socket: Socket) => void;
}

/** A stream on a socket the gateway read the request from itself. */
export class SocketConnection extends Connection {
  private readonly keepAlive: boolean;
  private readonly handOver: (socket: Socket) => void;

  constructor(init: SocketConnectionInit) {
    super(init);
    this.chunked = !init.http10;
    this.keepAlive = init.keepAlive;
    this.handOver = init.handOver;
  }

  answer(error: unknown, headers: Readonly<Record<string, string>>): void {
    if (this.socket.destroyed) return;
    const { bytes, keepAlive } = errorAnswer(error, headers, this.keepAlive);
    this.socket.write(bytes);
    this.release(keepAlive);
  }

  protected override watch(): void {
    super.watch();
    // node:http servers allow half-open sockets: a client's FIN means it is gone. Errors are
    // followed by 'close'. Reading on (bytes dropped) is what makes the FIN seen.
    this.socket.on('end', this.socket.destroy);
    this.socket.on('error', ignore);
    this.socket.resume();
  }

  protected override unwatch(): void {
    super.unwatch();
    this.socket.off('end', this.socket.destroy);
    this.socket.off('error', ignore);
  }

  protected sendHead(headers: Readonly<Record<string, string>>, opening: Frame): void {
    // One buffer, one send: the head and the opening block are one packet for the client.
    const head = streamHead(this.chunked, headers);
    const body = this.chunked ? opening.chunked : opening.raw;
    const bytes = Buffer.allocUnsafe(head.length + body.length);
    bytes.write(head, 0, 'latin1');
    body.copy(bytes, head.length);
    this.socket.write(bytes);
  }

  protected finish(close: boolean): void {
    if (this.chunked) this.socket.write(END_OF_CHUNKS);
    this.release(this.keepAlive && !close);
  }

  /** The response is complete: the connection goes to node:http for its next request, or closes. */
  private release(keepAlive: boolean): void {
    if (this.socket.destroyed) return;
    if (!keepAlive) {
      closeConnection(this.socket);
      return;
    }
    this.handOver(this.socket);
  }
}

/** A stream on a connection node:http owns: written through its response object. */
export class ResponseConnection extends Connection {
  constructor(
    init: ConnectionInit,
    private readonly res: ServerResponse,
  ) {
    super(init);
  }

  answer(error: unknown, headers: Readonly<Record<string, string>>): void {
    if (this.res.headersSent || this.res.destroyed) return;
    const { status, headers: own, body } = errorResponse(error);
    this.res.writeHead(status, { ...own, ...headers, 'Content-Type': 'application/json; charset=utf-8' });
    this.res.end(JSON.stringify(body));
  }

  protected sendHead(headers: Readonly<Record<string, string>>, opening: Frame): void {
    this.res.writeHead(200, { ...STREAM_HEADERS, ...headers });
    this.res.flushHeaders();
    this.chunked = this.res.chunkedEncoding;
    this.write(opening);
  }

  protected finish(close: boolean): void {
    if (close) this.res.end(() => this.socket.end());
    else this.res.end();
  }
}
