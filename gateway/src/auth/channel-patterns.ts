// The channel patterns of a token's `sse.subscribe` / `sse.publish` claims: an exact channel name,
// or a prefix ending in `*` (`execution:*`; `*` alone covers every channel). Nothing else: a
// malformed pattern grants nothing, so a typo never widens a right.
import { isChannelName } from '@sse-gateway/schemas';

/** Channel characters, for the part of a pattern before its `*` (which may be empty). */
const PREFIX_PATTERN = /^(?:[A-Za-z0-9][A-Za-z0-9:._-]{0,198})?$/;

export function isChannelPattern(pattern: string): boolean {
  if (pattern.endsWith('*')) return PREFIX_PATTERN.test(pattern.slice(0, -1));
  return isChannelName(pattern);
}

/** Whether any of `patterns` covers `channel`. No pattern, no right. */
export function allows(patterns: readonly string[], channel: string): boolean {
  for (const pattern of patterns) {
    if (typeof pattern !== 'string') continue;
    if (pattern.endsWith('*')) {
      const prefix = pattern.slice(0, -1);
      if (PREFIX_PATTERN.test(prefix) && channel.startsWith(prefix)) return true;
    } else if (pattern === channel && isChannelName(pattern)) {
      return true;
    }
  }
  return false;
}
