// One SSE client: owns its socket after the handshake. Everything per connection lives here, kept
// small (no closures per event, no timers: heartbeats and token expiry are driven by the hub).
import type { Socket } from 'node:net';
import type { StreamIdParts } from '@sse-gateway/publisher/protocol';
import { encodeCursor, type ChannelHash } from './cursor';
import { END_OF_CHUNKS, eventFrame, type EventBody, type Frame } from './frame';
import type { Deadline } from './deadlines';
import type { Beating, HeartbeatClock } from './heartbeat';
import type { Corkable, WriteBatcher } from './write-batcher';
import type { Subscriber } from '../hub/channel';

/** Why a stream ended. `client`: the client went away; the others are the gateway's decision. */
export type CloseReason = 'client' | 'slow' | 'token_expired' | 'drain' | 'shutdown' | 'error';

export interface ConnectionInit {
  socket: Socket;
  /** HTTP/1.1: write pre-framed chunks; HTTP/1.0: raw bytes, the stream ends with the connection. */
  chunked: boolean;
  channels: readonly string[];
  hashes: readonly ChannelHash[];
  subject: string;
  /** Token expiry, epoch ms. */
  expiresAt: number | undefined;
  bufferLimit: number;
  batcher: WriteBatcher;
  /** The heartbeat: its tick is stamped on each write. */
  clock: HeartbeatClock;
  onClose: (connection: Connection, reason: CloseReason) => void;
}

export class Connection implements Corkable, Beating {
  readonly channels: readonly string[];
  readonly hashes: readonly ChannelHash[];
  readonly subject: string;
  readonly expiresAt: number | undefined;
  readonly openedAt = Date.now();
  /** Last delivered id per channel (same order as `channels`); set before the stream starts. */
  readonly positions: StreamIdParts[];
  eventsSent = 0;
  /** Its token's expiry in the gateway's deadline heap, cancelled when it closes. */
  expiry: Deadline | undefined;
  /** The hub's records of this connection in each channel (set once joined). */
  memberships: readonly Subscriber[] = [];
  /** The heartbeat tick of the last write (see Heartbeat). */
  lastWriteTick = 0;
  /** The heartbeat's phase for this connection (see Heartbeat). */
  readonly heartbeatSlot: number;
  closed = false;
  private corked = false;
  closeReason: CloseReason | undefined;
  /** Set from the response once headers are out (Node decides: HTTP/1.0 gets no chunking). */
  chunked: boolean;
  private readonly socket: Socket;
  private readonly bufferLimit: number;
  private readonly batcher: WriteBatcher;
  private readonly clock: HeartbeatClock;
  private readonly onClose: ConnectionInit['onClose'];

  constructor(init: ConnectionInit) {
    this.socket = init.socket;
    this.chunked = init.chunked;
    this.channels = init.channels;
    this.hashes = init.hashes;
    this.subject = init.subject;
    this.expiresAt = init.expiresAt;
    this.bufferLimit = init.bufferLimit;
    this.batcher = init.batcher;
    this.clock = init.clock;
    this.lastWriteTick = init.clock.tick;
    this.heartbeatSlot = init.clock.assignSlot();
    this.onClose = init.onClose;
    this.positions = new Array<StreamIdParts>(init.channels.length);
    this.socket.on('close', this.onSocketClose); // not once(): its wrapper costs memory per connection; markClosed removes it
  }

  get singleChannel(): boolean {
    return this.channels.length === 1;
  }

  /** The cursor of the current positions. */
  cursor(): string {
    return encodeCursor(this.hashes.map((hash, i) => ({ hash, id: this.positions[i] as StreamIdParts })));
  }

  /** Writes an event of channel `index` and advances its position. `shared` is the frame single-channel connections share. */
  sendEvent(index: number, id: StreamIdParts, body: EventBody, shared?: Frame): void {
    this.positions[index] = id;
    this.write(shared !== undefined && this.singleChannel ? shared : eventFrame(this.cursor(), body));
    this.eventsSent++;
  }

  /** Writes a control event with the current cursor. */
  sendNotice(body: EventBody): void {
    this.write(eventFrame(this.cursor(), body));
  }

  /** Holds this connection's writes (its socket's) until the batcher's next flush. */
  batch(): void {
    if (!this.corked) this.batcher.hold(this);
  }

  /** Writes bytes, corked until the batcher's next flush. */
  write(frame: Frame): void {
    if (this.closed) return;
    this.batch();
    this.lastWriteTick = this.clock.tick;
    this.socket.write(this.chunked ? frame.chunked : frame.raw);
  }

  cork(): void {
    this.corked = true;
    this.socket.cork();
  }

  /**
   * Sends what this tick wrote. A client whose unsent bytes then pass the limit is disconnected:
   * it resumes later with its cursor, and never holds memory or slows the others.
   */
  flush(): void {
    this.corked = false;
    if (this.closed) return;
    this.socket.uncork();
    if (this.socket.writableLength > this.bufferLimit) this.destroy('slow');
  }

  /** True when the socket has more unsent bytes than it likes (wait for `drained()` before writing more in bulk). */
  get needsDrain(): boolean {
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

  /** Ends the stream cleanly (the client reconnects with its cursor). */
  end(reason: CloseReason): void {
    if (this.closed) return;
    this.markClosed(reason);
    if (this.chunked) this.socket.write(END_OF_CHUNKS);
    this.socket.end();
  }

  /** Drops the connection at once. */
  destroy(reason: CloseReason): void {
    if (this.closed) return;
    this.markClosed(reason);
    this.socket.destroy();
  }

  /** Stops watching the socket without reporting a close: the handshake failed and the caller answers the request. */
  forget(): void {
    this.closed = true;
    this.socket.off('close', this.onSocketClose);
  }

  private markClosed(reason: CloseReason): void {
    this.closed = true;
    this.closeReason = reason;
    this.socket.off('close', this.onSocketClose);
    this.onClose(this, reason);
  }

  private readonly onSocketClose = (): void => {
    if (this.closed) return;
    this.markClosed('client');
  };
}
