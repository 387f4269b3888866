// Reading GET /v1/stream's parameters: the channels and where to resume from; and the checks a
// subscriber's request passes, the same for the stream and the JSON channel reads.
import type { IncomingHttpHeaders } from 'node:http';
import { clip } from '@sse-gateway/publisher/protocol';
import { isChannelName } from '@sse-gateway/schemas';
import { allows } from '../auth/channel-patterns';
import type { Claims } from '../auth/claims';
import { readToken } from '../auth/token-source';
import { GatewayError } from '../errors';
import type { Resume } from '../hub/subscription';
import { CursorError, decodeCursor, EARLIEST } from '../sse/cursor';

/** The requested channels, each once, in order. */
export function requestedChannels(query: URLSearchParams, max: number): string[] {
  const channels = [...new Set(query.getAll('channel'))];
  if (channels.length === 0) throw new GatewayError('no_channel', 'give at least one channel: ?channel=<name>');
  if (channels.length > max) throw new GatewayError('too_many_channels', `at most ${max} channels per connection, got ${channels.length}`);
  for (const channel of channels) checkChannelName(channel);
  return channels;
}

/** A 400 unless `channel` is a valid channel name; the name is quoted clipped (a bounded error body). */
export function checkChannelName(channel: string): void {
  if (isChannelName(channel)) return;
  throw new GatewayError('bad_channel', `invalid channel name ${JSON.stringify(clip(channel, 64))}: it must match ^[A-Za-z0-9][A-Za-z0-9:._-]{0,199}$`);
}

/** A subscriber's token (Authorization header, sse_token cookie or access_token parameter), or a 401. */
export function subscriberToken(headers: IncomingHttpHeaders, query: URLSearchParams): string {
  const token = readToken(headers, query);
  if (token === undefined) throw new GatewayError('unauthorized', 'a bearer token is required (Authorization header, sse_token cookie or access_token parameter)');
  return token;
}

/** A 403 unless the token's subscribe patterns allow `channel`. */
export function checkMaySubscribe(claims: Claims, channel: string): void {
  if (!allows(claims.subscribe, channel)) throw new GatewayError('forbidden', `the token may not subscribe to channel ${channel}`);
}

/**
 * Where to start: the Last-Event-ID header wins over the lastEventId query parameter. An empty
 * header counts as absent (on either path the request was read by), so it never hides the parameter.
 */
export function requestedResume(header: string | string[] | undefined, query: URLSearchParams): Resume {
  const value = (Array.isArray(header) ? header[0] : header) || query.get('lastEventId');
  if (!value) return { kind: 'live' };
  if (value === EARLIEST) return { kind: 'earliest' };
  try {
    return { kind: 'cursor', positions: decodeCursor(value) };
  } catch (error) {
    if (error instanceof CursorError) throw new GatewayError('bad_cursor', `Last-Event-ID: ${error.message}`);
    throw error;
  }
}

/** `state=1` (or `true`): each channel's retained events first. Absent, `0` or `false`: none. */
export function requestedState(query: URLSearchParams): boolean {
  const value = query.get('state');
  if (value === null || value === '0' || value === 'false') return false;
  if (value === '1' || value === 'true') return true;
  throw new GatewayError('bad_request', 'state must be 1 or 0');
}
