// The bytes of one SSE response: its head, frames, heartbeats, backpressure and end. It knows
// nothing of channels or positions (the hub's Subscription does). It watches its socket from the
// moment the stream request arrives, so a client that hangs up at any point of the handshake is
// seen, and tells its one owner exactly once whoever ends the stream.
import type { ServerResponse } from 'node:http';
import type { Socket } from 'node:net';
import type { Frame } from './frame';
import type { Beating, HeartbeatClock } from './heartbeat';
import type { Corkable, WriteBatcher } from './write-batcher';

/** Why a stream ended. `client`: the client went away; the others are the gateway's decision. */
export type CloseReason = 'client' | 'slow' | 'token_expired' | 'drain' | 'shutdown' | 'error';

/** What the hub needs of a stream's connection (the Connection below; a fake in unit tests). */
export interface Sink {
  readonly closed: boolean;
  /** Sets the one listener told, once, when the stream ends (at once if it already has). */
  onClose(listener: (reason: CloseReason) => void): void;
  /** Sends the response head with `headers`, then `opening`, in one write. */
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

interface ConnectionInit {
  res: ServerResponse;
  /** A client whose backlog passes this after a flush is disconnected as slow. */
  bufferLimit: number;
  batcher: WriteBatcher;
  /** The heartbeat: its tick is stamped on each write. */
  clock: HeartbeatClock;
}

type CloseListener = (reason: CloseReason) => void;

export class Connection implements Sink, Corkable, Beating {
  closed = false;
  /** The heartbeat tick of the last write (see Heartbeat). */
  lastWriteTick = 0;
  /** The heartbeat's phase for this connection, given when the stream starts (see Heartbeat). */
  heartbeatSlot = -1;
  private corked = false;
  /** HTTP/1.1 streams get pre-framed chunks; HTTP/1.0 ones raw bytes (Node decides at start). */
  private chunked = true;
  private listener: CloseListener | undefined;
  private started = false;
  private readonly res: ServerResponse;
  private readonly socket: Socket;
  private readonly bufferLimit: number;
  private readonly batcher: WriteBatcher;
  private readonly clock: HeartbeatClock;

  constructor(init: ConnectionInit) {
    this.res = init.res;
    this.socket = init.res.socket as Socket;
    this.bufferLimit = init.bufferLimit;
    this.batcher = init.batcher;
    this.clock = init.clock;
    // A request whose socket is already gone (it closed while the request was parsed) is closed.
    if (this.socket === null || this.socket.destroyed) this.closed = true;
    else this.socket.on('close', this.onSocketClose); // not once(): its wrapper costs memory per connection
  }

  onClose(listener: CloseListener): void {
    this.listener = listener;
    if (this.closed) listener('client');
  }

  start(headers: Readonly<Record<string, string>>, opening: Frame): void {
    const { res } = this;
    if (this.closed || this.started) return;
    this.started = true;
    this.batch(); // the head and the opening block leave in one write
    res.writeHead(200, headers);
    res.flushHeaders();
    this.chunked = res.chunkedEncoding;
    this.socket.setNoDelay(true);
    this.socket.setTimeout(0);
    this.clock.add(this);
    this.write(opening);
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
    if (!this.started) this.socket.end();
    else if (reason === 'drain' || reason === 'shutdown') this.res.end(() => this.socket.end());
    else this.res.end();
  }

  destroy(reason: CloseReason): void {
    if (this.closed) return;
    this.markClosed(reason);
    this.socket.destroy();
  }

  detach(): void {
    if (this.closed) return;
    this.closed = true;
    this.listener = undefined;
    this.socket.off('close', this.onSocketClose);
  }

  private markClosed(reason: CloseReason): void {
    this.closed = true;
    this.clock.remove(this);
    this.socket.off('close', this.onSocketClose);
    const listener = this.listener;
    this.listener = undefined;
    listener?.(reason);
  }

  private readonly onSocketClose = (): void => {
    if (!this.closed) this.markClosed('client');
  };
}
