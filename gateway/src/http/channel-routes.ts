// JSON reads of a channel for consumers that do not stream: GET /v1/channels/{channel}/state (its
// retained events) and GET /v1/channels/{channel}/history?after=<id>&limit=<n> (a page of its
// history). Both need the subscribe right on the channel, read the token where the stream does
// (Authorization header, sse_token cookie, access_token parameter) and answer errors like it.
// Envelopes are sent as stored: the body is assembled from their JSON, never re-serialised.
import type Router from '@koa/router';
import type { Context } from 'koa';
import { parseStreamId, ZERO_ID, type HistoryEntry } from '@sse-gateway/publisher/protocol';
import type { TokenVerifier } from '../auth/token-verifier';
import type { Bus } from '../bus/bus';
import { GatewayError } from '../errors';
import { EARLIEST } from '../sse/cursor';
import { clipped } from './problem-list';
import { checkChannelName, checkMaySubscribe, subscriberToken } from './stream-request';

const CHANNELS_PATH = '/v1/channels';
/** Events per history page when `limit` is not given, and the most a page may ask for. */
const DEFAULT_PAGE_EVENTS = 100;
const MAX_PAGE_EVENTS = 1000;
/** A page stops growing once its envelopes pass this many bytes (then `next` says where to go on). */
const MAX_PAGE_BYTES = 1024 * 1024;
/** History entries read from the bus at a time: what a request holds is bounded by it, not by `limit`. */
const READ_CHUNK = 100;

interface ChannelRouteSettings {
  bus: Bus;
  verifier: TokenVerifier;
}

export function channelRoutes(router: Router, { bus, verifier }: ChannelRouteSettings): void {
  router.get(`${CHANNELS_PATH}/:channel/state`, async (ctx) => {
    const channel = await readableChannel(ctx, verifier);
    const events = await fromBus(() => bus.state(channel));
    answer(ctx, `{"events":[${events.map((event) => event.envelope).join(',')}]}`);
  });
  router.get(`${CHANNELS_PATH}/:channel/history`, async (ctx) => {
    const channel = await readableChannel(ctx, verifier);
    const after = afterParameter(ctx.query['after']);
    const limit = limitParameter(ctx.query['limit']);
    const { events, next } = await fromBus(() => historyPage(bus, channel, after, limit));
    answer(ctx, `{"events":[${events.map((event) => event.envelope).join(',')}],"next":${next === undefined ? 'null' : `"${next}"`}}`);
  });
}

/** The channel of the path, once the request's token may subscribe to it (400, 401, 403 as the stream). */
async function readableChannel(ctx: Context, verifier: TokenVerifier): Promise<string> {
  const channel = ctx.params['channel'] ?? '';
  checkChannelName(channel);
  const claims = await verifier.verify(subscriberToken(ctx.headers, new URLSearchParams(ctx.querystring)));
  checkMaySubscribe(claims, channel);
  return channel;
}

/** `after`: absent, empty or `earliest` → from the oldest retained event; else an event id (exclusive). */
function afterParameter(value: string | string[] | undefined): string {
  if (Array.isArray(value)) throw new GatewayError('bad_request', 'give `after` once');
  if (value === undefined || value === '' || value === EARLIEST) return ZERO_ID;
  if (parseStreamId(value) === undefined) {
    throw new GatewayError('bad_request', `after must be an event id (<ms>-<seq>) or "${EARLIEST}", got ${JSON.stringify(clipped(value))}`);
  }
  return value;
}

/** `limit`: a positive integer, capped at MAX_PAGE_EVENTS; DEFAULT_PAGE_EVENTS when absent. */
function limitParameter(value: string | string[] | undefined): number {
  if (Array.isArray(value)) throw new GatewayError('bad_request', 'give `limit` once');
  if (value === undefined || value === '') return DEFAULT_PAGE_EVENTS;
  const limit = /^\d{1,9}$/.test(value) ? Number(value) : 0;
  if (limit < 1) throw new GatewayError('bad_request', `limit must be a positive integer (at most ${MAX_PAGE_EVENTS} are returned), got ${JSON.stringify(clipped(value))}`);
  return Math.min(limit, MAX_PAGE_EVENTS);
}

/**
 * Up to `limit` entries after `after`, read in chunks until the page is full or MAX_PAGE_BYTES;
 * `next` is the last id of the page when more follow (one entry beyond the page is read to know).
 */
async function historyPage(bus: Bus, channel: string, after: string, limit: number): Promise<{ events: HistoryEntry[]; next: string | undefined }> {
  const events: HistoryEntry[] = [];
  let bytes = 0;
  let cursor = after;
  for (;;) {
    const wanted = Math.min(READ_CHUNK, limit + 1 - events.length);
    const chunk = await bus.history(channel, cursor, wanted);
    for (const entry of chunk) {
      const full = events.length === limit || (events.length > 0 && bytes + entry.envelope.length > MAX_PAGE_BYTES);
      if (full) return { events, next: events[events.length - 1]?.id };
      events.push(entry);
      bytes += entry.envelope.length;
    }
    const last = chunk[chunk.length - 1];
    if (last === undefined || chunk.length < wanted) return { events, next: undefined };
    cursor = last.id;
  }
}

async function fromBus<T>(read: () => Promise<T>): Promise<T> {
  try {
    return await read();
  } catch {
    throw new GatewayError('bus_unavailable', 'the message bus did not answer; retry shortly');
  }
}

function answer(ctx: Context, json: string): void {
  ctx.status = 200;
  ctx.type = 'application/json; charset=utf-8';
  // Answers depend on the token: no shared cache may keep them.
  ctx.set('Cache-Control', 'no-store');
  ctx.body = json;
}
