// POST /v1/publish: one event `{ channel, type, data, idempotencyKey?, idempotencyTtlS?, retain? }` or an array of
// them, validated all or nothing by the same code as the publisher SDK, stored through the bus,
// answered with their ids. Authorise, then read, then validate: media type (415), token (401),
// some publish right at all (403) — all before a byte of the body is read —, then size (413), JSON
// (400), the right on each event's channel (403), schema validation (400), store (503).
import type Router from '@koa/router';
import type { Context } from 'koa';
import { EventValidationError } from '@sse-gateway/publisher';
import { createEventValidator, type EventValidator, type PreparedEvent } from '@sse-gateway/publisher/protocol';
import { loadSchemaRegistry } from '@sse-gateway/schemas';
import { allows } from '../auth/channel-patterns';
import { readToken } from '../auth/token-source';
import type { Claims } from '../auth/claims';
import type { TokenVerifier } from '../auth/token-verifier';
import type { Bus, PublishResult } from '../bus/bus';
import { GatewayError } from '../errors';
import type { Metrics } from '../metrics';
import { clipped, problemList } from './problem-list';
import { readBody, refuseBody } from './read-body';

const PUBLISH_PATH = '/v1/publish';

interface PublishRouteSettings {
  bus: Bus;
  verifier: TokenVerifier;
  metrics: Metrics;
  /** `SCHEMAS_DIR`: extra event types. */
  schemasDir: string | undefined;
  /** Largest accepted request body (`PUBLISH_MAX_BYTES`); a batch must fit in it as a whole. */
  publishMaxBytes: number;
  /** `IDEMPOTENCY_TTL_S`: the longest an event's key may be remembered. */
  idempotencyTtlS: number;
}

/** The settings, with the schemas loaded into a validator. */
type PublishDeps = Omit<PublishRouteSettings, 'schemasDir'> & { validator: EventValidator };

/** Adds `POST /v1/publish`, with one schema registry loaded for this gateway. */
export function publishRoutes(router: Router, { schemasDir, ...settings }: PublishRouteSettings): void {
  const validator = createEventValidator({ registry: loadSchemaRegistry({ schemasDir }), maxEventBytes: settings.publishMaxBytes });
  router.post(PUBLISH_PATH, publishRoute({ ...settings, validator }));
}

function publishRoute(deps: PublishDeps): (ctx: Context) => Promise<void> {
  return async (ctx) => {
    // A stranger's body, or one from a token that may publish nowhere, costs nothing: not read.
    const claims = await admit(ctx, deps.verifier).catch((error: unknown) => {
      refuseBody(ctx.req, ctx.res);
      throw error;
    });
    const body = parseJson(await readBody(ctx.req, ctx.res, deps.publishMaxBytes));
    const batch = Array.isArray(body);
    const events: unknown[] = batch ? body : [withHeaderKey(body, ctx.get('Idempotency-Key'))];
    if (batch && ctx.get('Idempotency-Key') !== '') {
      throw new GatewayError('bad_request', 'the Idempotency-Key header is for a single event: give each event of a batch its own idempotencyKey');
    }
    const denied = deniedChannel(events, claims);
    if (denied !== undefined) throw new GatewayError('forbidden', `the token may not publish to channel ${clipped(denied)}`);
    const prepared = prepare(deps.validator, events, batch);
    // An event may ask for a shorter memory of its key (the SDK's automatic keys), never a longer one.
    for (const event of prepared) {
      if (event.idempotencyTtlS !== undefined) event.idempotencyTtlS = Math.min(event.idempotencyTtlS, deps.idempotencyTtlS);
    }
    const { ids, duplicates } = await store(deps.bus, prepared);
    deps.metrics.eventsPublished.inc(ids.length - duplicates.length);
    ctx.status = 202;
    ctx.body = { ids, duplicates };
  };
}

/** The media type (415), the token (401) and whether it may publish anywhere (403). */
async function admit(ctx: Context, verifier: TokenVerifier): Promise<Claims> {
  checkMediaType(ctx);
  // Only the Authorization header counts: a cookie must not publish on a page's behalf (CSRF).
  const token = readToken({ authorization: ctx.headers.authorization }, new URLSearchParams());
  if (token === undefined) throw new GatewayError('unauthorized', 'a bearer token is required (Authorization: Bearer <token>)');
  const claims = await verifier.verify(token);
  if (claims.publish.length === 0) throw new GatewayError('forbidden', 'the token has no publish right (sse.publish)');
  return claims;
}

/** JSON only (`application/json`, any parameters), and no content coding we would have to inflate. */
function checkMediaType(ctx: Context): void {
  const type = (ctx.get('Content-Type').split(';')[0] ?? '').trim().toLowerCase();
  if (type !== 'application/json') {
    throw new GatewayError('unsupported_media_type', 'the body must be JSON, sent with Content-Type: application/json');
  }
  const coding = ctx.get('Content-Encoding').trim().toLowerCase();
  if (coding !== '' && coding !== 'identity') {
    throw new GatewayError('unsupported_media_type', `Content-Encoding ${JSON.stringify(coding.slice(0, 40))} is not supported: send the JSON uncompressed`);
  }
}

/** Refuses bytes that are not UTF-8 instead of turning them into U+FFFD behind the publisher's back. */
const UTF8 = new TextDecoder('utf-8', { fatal: true });

function parseJson(body: Buffer): unknown {
  let text: string;
  try {
    text = UTF8.decode(body);
  } catch {
    throw new GatewayError('bad_request', 'the body is not valid UTF-8 (JSON must be sent as UTF-8; write other characters as \\u escapes)');
  }
  try {
    return JSON.parse(text);
  } catch {
    // V8's message quotes the body; whatever was sent by mistake is not repeated back.
    throw new GatewayError('bad_request', 'the body is not valid JSON');
  }
}

/** A single event with the `Idempotency-Key` header as its key (refused when it names another one). */
function withHeaderKey(event: unknown, header: string): unknown {
  if (header === '' || typeof event !== 'object' || event === null) return event;
  const own = (event as { idempotencyKey?: unknown }).idempotencyKey;
  if (own === undefined) return { ...event, idempotencyKey: header };
  if (own !== header) throw new GatewayError('bad_request', 'the Idempotency-Key header and the event\'s idempotencyKey differ');
  return event;
}

/**
 * The first channel named in the body that the token may not publish to. Checked on the parsed
 * body, before schema validation: a token's holder learns nothing about the schemas of channels
 * it may not write, and a large invalid body from it costs no validation. Malformed channels are
 * left to validation.
 */
function deniedChannel(events: readonly unknown[], claims: Claims): string | undefined {
  for (const event of events) {
    const channel = typeof event === 'object' && event !== null ? (event as { channel?: unknown }).channel : undefined;
    if (typeof channel === 'string' && !allows(claims.publish, channel)) return channel;
  }
  return undefined;
}

/** An object is one event (paths `/data/…`), an array a batch (paths `/0/data/…`), as in the SDK. */
function prepare(validator: EventValidator, events: readonly unknown[], batch: boolean): PreparedEvent[] {
  try {
    return validator.prepare(events, { batch });
  } catch (error) {
    if (error instanceof EventValidationError) {
      throw new GatewayError('invalid_event', error.message, problemList(error.errors));
    }
    throw error;
  }
}

async function store(bus: Bus, events: readonly PreparedEvent[]): Promise<PublishResult> {
  try {
    return await bus.publish(events);
  } catch {
    throw new GatewayError('bus_unavailable', 'the message bus did not store the events; nothing was published, retry shortly');
  }
}
