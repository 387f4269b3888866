// Validation shared by the SDK (before anything is sent) and the gateway's HTTP publish route:
// one code path decides what a valid event is.
import {
  CHANNEL_PATTERN,
  EVENT_TYPE_PATTERN,
  isChannelName,
  isEventType,
  isReservedType,
  loadSchemaRegistry,
  type SchemaRegistry,
  type ValidationProblem,
} from '@sse-gateway/schemas';
import { EventValidationError } from '../errors';
import { DEFAULT_MAX_EVENT_BYTES, MAX_IDEMPOTENCY_KEY_LENGTH } from './defaults';
import { envelopeBody } from './envelope';

/** An event that passed validation, serialised once, ready to store. */
export interface PreparedEvent {
  channel: string;
  type: string;
  /** `data` as JSON. */
  dataJson: string;
  /** The envelope JSON after its id (see `envelopeBody`). */
  body: string;
  /** A repeat of this key on the channel, while it is remembered, stores nothing and answers the first id. */
  idempotencyKey?: string;
  /** How long the key is remembered, when shorter than the store's default (the SDK's automatic keys). */
  idempotencyTtlS?: number;
  /** Also kept as the channel's latest event of its type. */
  retain: boolean;
}

interface EventValidatorOptions {
  /** Extra event types: a folder of `<type>.schema.json` files. */
  schemasDir?: string;
  /** Largest accepted event. @default 65536 */
  maxEventBytes?: number;
  /** An already loaded registry (shared with other validators of the process). */
  registry?: SchemaRegistry;
}

export interface EventValidator {
  /**
   * Validates every event and serialises it, or throws {@link EventValidationError} listing every
   * problem of every event. Paths start with the event's index when `batch` (the default), as in
   * `/3/data/status`; without it, as in `/data/status`.
   */
  prepare(events: readonly unknown[], options?: { batch?: boolean; now?: Date }): PreparedEvent[];
}

const EVENT_JSON_OVERHEAD = '{"channel":"","type":"","data":}'.length;

export function createEventValidator(options: EventValidatorOptions = {}): EventValidator {
  const registry = options.registry ?? loadSchemaRegistry({ schemasDir: options.schemasDir });
  const maxEventBytes = options.maxEventBytes ?? DEFAULT_MAX_EVENT_BYTES;
  return {
    prepare(events, { batch = true, now = new Date() } = {}) {
      const time = now.toISOString();
      const problems: ValidationProblem[] = [];
      const prepared: PreparedEvent[] = [];
      // Callers from plain JavaScript (or a parsed HTTP body) may pass anything.
      if (!Array.isArray(events)) throw new EventValidationError([{ path: '/', message: 'events must be an array' }]);
      if (events.length === 0) problems.push({ path: '/', message: 'no event to publish' });
      events.forEach((event, index) => {
        const at = batch ? `/${index}` : '';
        const result = prepareOne(event, registry, maxEventBytes, time, at);
        if (Array.isArray(result)) problems.push(...result);
        else prepared.push(result);
      });
      if (problems.length > 0) throw new EventValidationError(problems);
      return prepared;
    },
  };
}

function prepareOne(
  event: unknown,
  registry: SchemaRegistry,
  maxBytes: number,
  time: string,
  at: string,
): PreparedEvent | ValidationProblem[] {
  if (typeof event !== 'object' || event === null || Array.isArray(event)) {
    return [{ path: at || '/', message: 'an event must be an object { channel, type, data }' }];
  }
  const { channel, type, data, idempotencyKey, idempotencyTtlS, retain } = event as Record<string, unknown>;
  const problems = [...checkChannel(channel, at), ...checkType(type, registry, at), ...checkOptions({ idempotencyKey, idempotencyTtlS, retain }, at)];
  if (data === undefined) problems.push({ path: `${at}/data`, message: 'is required' });
  else if (problems.length === 0) {
    for (const p of registry.validate(type as string, data)) {
      problems.push({ path: `${at}/data${p.path === '/' ? '' : p.path}`, message: p.message });
    }
  }
  for (const key of Object.keys(event)) {
    if (!EVENT_PROPERTIES.has(key)) problems.push({ path: `${at}/${key}`, message: 'unknown property' });
  }
  if (problems.length > 0) return problems;
  const prepared = serialise(channel as string, type as string, data, time, maxBytes, at);
  if (Array.isArray(prepared)) return prepared;
  if (idempotencyKey !== undefined) prepared.idempotencyKey = idempotencyKey as string;
  if (idempotencyTtlS !== undefined) prepared.idempotencyTtlS = idempotencyTtlS as number;
  prepared.retain = retain === true;
  return prepared;
}

const EVENT_PROPERTIES = new Set(['channel', 'type', 'data', 'idempotencyKey', 'idempotencyTtlS', 'retain']);

function checkOptions(options: { idempotencyKey: unknown; idempotencyTtlS: unknown; retain: unknown }, at: string): ValidationProblem[] {
  const { idempotencyKey, idempotencyTtlS, retain } = options;
  const problems: ValidationProblem[] = [];
  if (idempotencyKey !== undefined && !isIdempotencyKey(idempotencyKey)) {
    problems.push({ path: `${at}/idempotencyKey`, message: `must be a non-empty string of at most ${MAX_IDEMPOTENCY_KEY_LENGTH} characters` });
  }
  if (idempotencyTtlS !== undefined) {
    if (idempotencyKey === undefined) problems.push({ path: `${at}/idempotencyTtlS`, message: 'is only allowed with an idempotencyKey' });
    else if (!Number.isSafeInteger(idempotencyTtlS) || (idempotencyTtlS as number) < 1) problems.push({ path: `${at}/idempotencyTtlS`, message: 'must be a positive integer (seconds)' });
  }
  if (retain !== undefined && typeof retain !== 'boolean') problems.push({ path: `${at}/retain`, message: 'must be true or false' });
  return problems;
}

function isIdempotencyKey(value: unknown): value is string {
  return typeof value === 'string' && value.length > 0 && value.length <= MAX_IDEMPOTENCY_KEY_LENGTH;
}

function checkChannel(channel: unknown, at: string): ValidationProblem[] {
  if (channel === undefined) return [{ path: `${at}/channel`, message: 'is required' }];
  if (!isChannelName(channel)) return [{ path: `${at}/channel`, message: `must match ${CHANNEL_PATTERN.source}` }];
  return [];
}

function checkType(type: unknown, registry: SchemaRegistry, at: string): ValidationProblem[] {
  if (type === undefined) return [{ path: `${at}/type`, message: 'is required' }];
  if (!isEventType(type)) return [{ path: `${at}/type`, message: `must match ${EVENT_TYPE_PATTERN.source}` }];
  if (isReservedType(type)) return [{ path: `${at}/type`, message: `"${type}" is reserved for the gateway's own events` }];
  if (!registry.has(type)) return [{ path: `${at}/type`, message: `unknown event type "${type}" (no schema)` }];
  return [];
}

function serialise(channel: string, type: string, data: unknown, time: string, maxBytes: number, at: string): PreparedEvent | ValidationProblem[] {
  let dataJson: string | undefined;
  try {
    dataJson = JSON.stringify(data);
  } catch (error) {
    return [{ path: `${at}/data`, message: `cannot be serialised to JSON (${(error as Error).message})` }];
  }
  // A function or symbol (possible when a permissive schema lets it through) has no JSON at all.
  if (dataJson === undefined) return [{ path: `${at}/data`, message: `cannot be serialised to JSON (${typeof data})` }];
  // Size as the JSON `{"channel":"…","type":"…","data":…}` a user would send over HTTP
  // (channel and type are plain ASCII, so they need no escaping).
  const size = EVENT_JSON_OVERHEAD + channel.length + type.length + Buffer.byteLength(dataJson);
  if (size > maxBytes) return [{ path: at || '/', message: `event is ${size} bytes, over the limit of ${maxBytes}` }];
  return { channel, type, dataJson, body: envelopeBody(channel, type, time, dataJson), retain: false };
}
