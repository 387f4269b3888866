// The one Lua script that stores and announces an event, atomically: append to the channel's
// history stream (trimmed to exactly `maxlen` entries), refresh the stream's TTL, and publish
// `<previous id> <envelope>` on the channel's live pub/sub channel. The stream id is the event id.
//
// Each entry also stores the id of the entry before it (`p`): a reader resuming after id X can then
// tell "the first retained entry follows X" from "entries after X were trimmed" (Redis 7.0's
// XINFO max-deleted-entry-id does not track MAXLEN trimming), and a gateway can tell from a live
// message whether it missed one.
//
// KEYS[i]   history stream of event i (all in one slot in Redis Cluster)
// ARGV[1]   max entries kept per stream
// ARGV[2]   TTL of a stream in seconds, refreshed on every event
// ARGV[3]   'PUBLISH', or 'SPUBLISH' for Redis Cluster's sharded pub/sub
// ARGV[2+2i] live pub/sub channel of event i;  ARGV[3+2i] envelope body of event i
// Returns the new ids, in order.
import { createHash } from 'node:crypto';

export const PUBLISH_SCRIPT = `
local maxlen, ttl, announce = ARGV[1], ARGV[2], ARGV[3]
local ids = {}
for i, key in ipairs(KEYS) do
  local body = ARGV[3 + 2 * i]
  local last = redis.call('XREVRANGE', key, '+', '-', 'COUNT', 1)
  local prev = '0-0'
  if last[1] then prev = last[1][1] end
  local id = redis.call('XADD', key, 'MAXLEN', maxlen, '*', 'p', prev, 'e', body)
  redis.call('EXPIRE', key, ttl)
  redis.call(announce, ARGV[2 + 2 * i], prev .. ' {"id":"' .. id .. '",' .. body)
  ids[i] = id
end
return ids
`;

/** The script's SHA-1, for EVALSHA (`SCRIPT LOAD` returns the same). */
export const PUBLISH_SCRIPT_SHA = createHash('sha1').update(PUBLISH_SCRIPT).digest('hex');

/**
 * The name the script had as an ioredis `defineCommand`. `storeEvents` now sends EVALSHA/EVAL
 * itself; kept so existing `autoPipeliningIgnoredCommands` settings still compile.
 * @deprecated
 */
export const PUBLISH_COMMAND = 'sseGatewayPublish';
