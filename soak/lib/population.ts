// Who takes part in a soak: the channels (how fast they are published, by which path, how much
// history they keep) and the clients (which channels, how they start, what they do wrong),
// drawn from a seed so that a run can be repeated.
import { seededRandom } from '../../bench/lib/seeded-random';

type PublishPath = 'sdk' | 'http';

export interface ChannelPlan {
  name: string;
  path: PublishPath;
  /** Events per second. */
  rate: number;
  /** History kept (the SDK's historyMaxLen, or the gateways' HISTORY_MAXLEN for HTTP). */
  maxLen: number;
}

export interface RawSpec {
  name: string;
  channels: string[];
  start: 'live' | 'earliest';
  state: boolean;
  /** Token lifetime: short ones expire mid-stream (the gateway ends the stream). */
  tokenTtlS: number;
  slow: boolean;
  /** Hangs up every so often and comes back `awayForMs` later (0: never). */
  awayEveryMs: number;
  awayForMs: number;
  /** Starts from `earliest` on deep channels and hangs up mid-replay. */
  quitter: boolean;
}

export interface LibrarySpec {
  name: string;
  channels: string[];
  start: 'live' | 'earliest';
  tokenTtlS: number;
}

export interface PopulationOptions {
  rawClients: number;
  libraryClients: number;
  /** Ordinary channels (besides 2 trimmed and 2 deep ones). */
  channels: number;
  /** Events per second over the ordinary channels. */
  rate: number;
  seed: number;
}

interface Population {
  channels: ChannelPlan[];
  raw: RawSpec[];
  library: LibrarySpec[];
}

/** The gateways' HISTORY_MAXLEN in a soak, and the SDK's for ordinary channels: nothing trimmed. */
export const LONG_HISTORY = 100_000;
/** Trimmed channels keep this little, so a client away for a few seconds comes back to a gap. */
const SHORT_HISTORY = 30;
const TRIM_RATE = 8;
const DEEP_RATE = 6;
const DEEP_HISTORY = 2000;

export function drawPopulation(options: PopulationOptions): Population {
  const random = seededRandom(options.seed);
  const pick = <T>(items: readonly T[]): T => items[Math.floor(random() * items.length)]!;
  const some = (items: readonly string[], count: number): string[] => {
    const chosen = new Set<string>();
    while (chosen.size < Math.min(count, items.length)) chosen.add(pick(items));
    return [...chosen];
  };
  const ordinary: ChannelPlan[] = Array.from({ length: options.channels }, (_, i) => ({
    name: `soak:c:${i}`,
    path: i % 3 === 2 ? 'http' : 'sdk',
    rate: options.rate / options.channels,
    maxLen: LONG_HISTORY,
  }));
  const trimmed: ChannelPlan[] = [0, 1].map((i) => ({ name: `soak:trim:${i}`, path: 'sdk', rate: TRIM_RATE, maxLen: SHORT_HISTORY }));
  const deep: ChannelPlan[] = [0, 1].map((i) => ({ name: `soak:deep:${i}`, path: 'sdk', rate: DEEP_RATE, maxLen: DEEP_HISTORY }));
  const names = ordinary.map((c) => c.name);

  const raw = Array.from({ length: options.rawClients }, (_, i): RawSpec => {
    const roll = random();
    const base: RawSpec = {
      name: `r${i}`, channels: [pick(names)], start: 'live', state: false, tokenTtlS: 3600, slow: false, awayEveryMs: 0, awayForMs: 0, quitter: false,
    };
    if (roll < 0.1) {
      // Away now and then on a trimmed channel (and maybe an ordinary one): comes back to a gap.
      return { ...base, channels: random() < 0.5 ? [pick(trimmed).name] : [pick(trimmed).name, pick(names)], awayEveryMs: 12000, awayForMs: 6000, state: random() < 0.3 };
    }
    if (roll < 0.13) return { ...base, channels: [pick(deep).name], start: 'earliest', quitter: true };
    if (roll < 0.33) base.channels = some(names, 2 + Math.floor(random() * 4));
    if (random() < 0.1) base.start = 'earliest';
    if (random() < 0.1) base.state = true;
    if (random() < 0.1) base.slow = true;
    if (random() < 0.1) base.tokenTtlS = 12 + Math.floor(random() * 19);
    return base;
  });

  const library = Array.from({ length: options.libraryClients }, (_, i): LibrarySpec => ({
    name: `l${i}`,
    channels: random() < 0.3 ? some(names, 2 + Math.floor(random() * 3)) : [pick(names)],
    start: random() < 0.3 ? 'earliest' : 'live',
    tokenTtlS: random() < 0.1 ? 40 : 3600,
  }));
  return { channels: [...ordinary, ...trimmed, ...deep], raw, library };
}
