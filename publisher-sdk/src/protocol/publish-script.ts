// The one Lua script that stores and announces events, atomically. For each event: unless its
// idempotency key is already known on the channel, append it to the channel's history stream
// (trimmed to exactly `maxlen` entries), refresh the stream's TTL, remember the key → id, keep it
// as the channel's latest event of its type when retained, and publish `<previous id> <envelope>`
// on the channel's live pub/sub channel. The stream id is the event id. A known key stores and
// announces nothing and answers the id it produced first.
//
// Each entry also stores the id of the entry before it (`p`): a reader resuming after id X can then
// tell "the first retained entry follows X" from "entries after X were trimmed" (Redis 7.0's
// XINFO max-deleted-entry-id does not track MAXLEN trimming), and a gateway can tell from a live
// message whether it missed one.
//
// KEYS, 3 per event i (all in one slot in Redis Cluster):
//   KEYS[3i-2] history stream   KEYS[3i-1] retained state hash
//   KEYS[3i]   idempotency key (the history stream again when the event has none: never read)
// ARGV[1] max entries kept per stream      ARGV[2] TTL of a stream in seconds, refreshed per event
// ARGV[3] 'PUBLISH', or 'SPUBLISH' for Redis Cluster's sharded pub/sub
// ARGV[4] TTL of the state hash in seconds, refreshed on every retained event
// ARGV, 5 per event i from ARGV[5i]: live pub/sub channel, event type, idempotency key TTL in
//   seconds ('0': no key), '1' when retained else '0', envelope body
// Returns, per event, its id and 1 when it was a duplicate (else 0): {id1, dup1, id2, dup2, …}.
import { createHash } from 'node:crypto';

export const PUBLISH_SCRIPT = `
local maxlen, ttl, announce, statettl = ARGV[1], ARGV[2], ARGV[3], ARGV[4]
local reply = {}
for i = 1, #KEYS / 3 do
  local stream, state, idem = KEYS[3 * i - 2], KEYS[3 * i - 1], KEYS[3 * i]
  local live, etype, keyttl, retain, body = ARGV[5 * i], ARGV[5 * i + 1], ARGV[5 * i + 2], ARGV[5 * i + 3], ARGV[5 * i + 4]
  local id = false
  if keyttl ~= '0' then id = redis.call('GET', idem) end
  if id then
    reply[2 * i - 1], reply[2 * i] = id, 1
  else
    local last = redis.call('XREVRANGE', stream, '+', '-', 'COUNT', 1)
    local prev = '0-0'
    if last[1] then prev = last[1][1] end
    id = redis.call('XADD', stream, 'MAXLEN', maxlen, '*', 'p', prev, 'e', body)
    redis.call('EXPIRE', stream, ttl)
    local envelope = '{"id":"' .. id .. '",' .. body
    if keyttl ~= '0' then redis.call('SET', idem, id, 'EX', keyttl) end
    if retain == '1' then
      redis.call('HSET', state, etype, envelope)
      redis.call('EXPIRE', state, statettl)
    end
    redis.call(announce, live, prev .. ' ' .. envelope)
    reply[2 * i - 1], reply[2 * i] = id, 0
  end
end
return reply
`;

/** The script's SHA-1, for EVALSHA (`SCRIPT LOAD` returns the same). */
export const PUBLISH_SCRIPT_SHA = createHash('sha1').update(PUBLISH_SCRIPT).digest('hex');
