// Event ids are Redis stream ids, `<milliseconds>-<sequence>`: unique and increasing within a
// channel. Both parts stay below 2^53 in practice (ms since 1970; per-ms sequence), so they compare
// exactly as numbers; ids that do not are refused as malformed.

export const ZERO_ID = '0-0';

const ID_PATTERN = /^(\d{1,16})-(\d{1,16})$/;

export interface StreamIdParts {
  readonly ms: number;
  readonly seq: number;
}

/** The parts of `id`, or undefined when it is not a stream id this product can produce. */
export function parseStreamId(id: string): StreamIdParts | undefined {
  const match = ID_PATTERN.exec(id);
  if (match === null) return undefined;
  const ms = Number(match[1]);
  const seq = Number(match[2]);
  if (!Number.isSafeInteger(ms) || !Number.isSafeInteger(seq)) return undefined;
  return { ms, seq };
}

export function formatStreamId(parts: StreamIdParts): string {
  return `${parts.ms}-${parts.seq}`;
}

/** Negative, zero or positive as `a` is before, equal to or after `b`. Both must be valid ids. */
export function compareStreamIds(a: string, b: string): number {
  if (a === b) return 0;
  const pa = parseStreamId(a);
  const pb = parseStreamId(b);
  if (pa === undefined || pb === undefined) throw new RangeError(`not a stream id: ${pa === undefined ? a : b}`);
  return compareParts(pa, pb);
}

export function compareParts(a: StreamIdParts, b: StreamIdParts): number {
  return a.ms !== b.ms ? a.ms - b.ms : a.seq - b.seq;
}
