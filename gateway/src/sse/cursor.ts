// The SSE `id:` of a connection: one opaque, URL-safe, versioned token holding the last delivered
// id of every channel of the connection (channels may live on different Redis shards, each with
// its own ids). A reconnecting client sends it back as Last-Event-ID to any gateway.
//
// Layout (version 1), base64url without padding:
//   0x01 | per channel: 6-byte channel hash, varint ms, varint seq | 4-byte FNV-1a of the rest
// Channels are named by a hash so the cursor stays short; the checksum makes a truncated or
// edited cursor a clear 400 instead of a silent resume from the wrong place. It is not a
// signature: a forged position can only replay events the token may read anyway.
import { hash } from 'node:crypto';
import type { StreamIdParts } from '@sse-gateway/publisher/protocol';

const CURSOR_VERSION = 1;
export const EARLIEST = 'earliest';
/** Longest cursor accepted: 32 channels fit in well under 1 KB. */
export const MAX_CURSOR_LENGTH = 4096;
const HASH_BYTES = 6;

export type ChannelHash = string; // HASH_BYTES bytes as latin1, usable as a Map key

export interface CursorPosition {
  hash: ChannelHash;
  id: StreamIdParts;
}

export class CursorError extends Error {
  override readonly name = 'CursorError';
}

export function channelHash(channel: string): ChannelHash {
  return hash('sha256', channel, 'buffer').subarray(0, HASH_BYTES).toString('latin1');
}

export function encodeCursor(positions: readonly CursorPosition[]): string {
  const bytes: number[] = [CURSOR_VERSION];
  for (const { hash, id } of positions) {
    for (let i = 0; i < HASH_BYTES; i++) bytes.push(hash.charCodeAt(i));
    pushVarint(bytes, id.ms);
    pushVarint(bytes, id.seq);
  }
  const sum = fnv1a(bytes, bytes.length);
  bytes.push(sum >>> 24, (sum >>> 16) & 0xff, (sum >>> 8) & 0xff, sum & 0xff);
  return Buffer.from(bytes).toString('base64url');
}

/** The positions in `cursor`, by channel hash. Throws CursorError when it is not a valid cursor. */
export function decodeCursor(cursor: string): Map<ChannelHash, StreamIdParts> {
  if (cursor.length === 0 || cursor.length > MAX_CURSOR_LENGTH || !/^[A-Za-z0-9_-]+$/.test(cursor)) {
    throw new CursorError('malformed cursor');
  }
  const bytes = Buffer.from(cursor, 'base64url');
  if (bytes.length < 5) throw new CursorError('malformed cursor');
  if (bytes[0] !== CURSOR_VERSION) throw new CursorError(`unsupported cursor version ${bytes[0]}`);
  const end = bytes.length - 4;
  if (fnv1a(bytes, end) !== bytes.readUInt32BE(end)) throw new CursorError('corrupted cursor (checksum mismatch)');
  const positions = new Map<ChannelHash, StreamIdParts>();
  let offset = 1;
  while (offset < end) {
    if (offset + HASH_BYTES > end) throw new CursorError('malformed cursor');
    const hash = bytes.toString('latin1', offset, offset + HASH_BYTES);
    offset += HASH_BYTES;
    const ms = readVarint(bytes, offset, end);
    const seq = readVarint(bytes, ms.next, end);
    offset = seq.next;
    positions.set(hash, { ms: ms.value, seq: seq.value });
  }
  return positions;
}

function pushVarint(bytes: number[], value: number): void {
  let rest = value;
  while (rest >= 0x80) {
    bytes.push((rest % 0x80) | 0x80);
    rest = Math.floor(rest / 0x80);
  }
  bytes.push(rest);
}

function readVarint(bytes: Buffer, start: number, end: number): { value: number; next: number } {
  let value = 0;
  let scale = 1;
  for (let offset = start; offset < end; offset++) {
    const byte = bytes[offset] as number;
    value += (byte & 0x7f) * scale;
    if (!Number.isSafeInteger(value)) throw new CursorError('malformed cursor (number too large)');
    if ((byte & 0x80) === 0) return { value, next: offset + 1 };
    scale *= 0x80;
  }
  throw new CursorError('malformed cursor (truncated)');
}

function fnv1a(bytes: ArrayLike<number>, length: number): number {
  let hash = 0x811c9dc5;
  for (let i = 0; i < length; i++) {
    hash ^= bytes[i] as number;
    hash = Math.imul(hash, 0x01000193) >>> 0;
  }
  return hash >>> 0;
}
