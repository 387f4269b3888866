// Settings shared by the property tests (fast-check). One seed per test run, chosen at random so
// every run explores new inputs; fast-check prints it (with the failing path) when a property
// fails, and `FUZZ_SEED=<seed> npx jest <file>` replays exactly that run.
import fc from 'fast-check';

function seedFromEnvironment(): number {
  const value = process.env['FUZZ_SEED'];
  if (value === undefined || value === '') return (Math.random() * 0x7fffffff) | 0;
  const seed = Number(value);
  if (!Number.isSafeInteger(seed)) throw new Error(`FUZZ_SEED must be an integer, got ${JSON.stringify(value)}`);
  return seed;
}

export const FUZZ_SEED = seedFromEnvironment();

/** fast-check parameters: this run's seed and `numRuns` cases. */
export function runs(numRuns: number): { seed: number; numRuns: number } {
  return { seed: FUZZ_SEED, numRuns };
}

/**
 * Strings made of what breaks text protocols: line breaks of every kind, NUL, U+2028/U+2029,
 * lone surrogates, emoji, quotes and backslashes, something that looks like an SSE field, and any
 * code point at all.
 */
export function awkwardString(constraints: { maxLength?: number; minLength?: number } = {}): fc.Arbitrary<string> {
  const piece = fc.oneof(
    { weight: 3, arbitrary: fc.constantFrom('\u2028', '\u2029', '\r', '\n', '\r\n', '\0', '\n\ndata: x', '\r\rid: 1', '😀', '👩‍🚀', '"', '\\', '\ud800', '\udfff', 'é', ':', ' ', '\t', '\u0085', '\ufeff') },
    { weight: 3, arbitrary: fc.integer({ min: 0, max: 0x10ffff }).map((codePoint) => String.fromCodePoint(codePoint)) },
    { weight: 2, arbitrary: fc.string({ unit: 'grapheme-ascii', minLength: 1, maxLength: 4 }) },
  );
  return fc.array(piece, { maxLength: constraints.maxLength ?? 24, minLength: constraints.minLength ?? 0 }).map((pieces) => pieces.join(''));
}

/** A valid channel name (`^[A-Za-z0-9][A-Za-z0-9:._-]{0,199}$`), short ones most of the time. */
export function channelName(): fc.Arbitrary<string> {
  const first = fc.constantFrom(...'ABCXYZabcxyz0189');
  const rest = fc.string({ unit: fc.constantFrom(...'AZaz09:._-'), maxLength: 30 });
  const long = fc.string({ unit: fc.constantFrom(...'aZ9:._-'), minLength: 199, maxLength: 199 });
  return fc.tuple(first, fc.oneof({ weight: 9, arbitrary: rest }, { weight: 1, arbitrary: long })).map(([head, tail]) => head + tail);
}
