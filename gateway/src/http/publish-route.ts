// POST /v1/publish: one event `{ channel, type, data }` or an array of them, validated all or
// nothing by the same code as the publisher SDK, stored through the bus, answered with their ids.
// Order of checks: media type, token, size, JSON, validation, publish rights, store.
import type Router from '@koa/router';
import type { Context } from 'koa';
import { EventValidationError } from '@sse-gateway/publisher';
import { createEventValidator, type EventValidator, type PreparedEvent } from '@sse-gateway/publisher/protocol';
import { loadSchemaRegistry } from '@sse-gateway/schemas';
import { allows } from '../auth/channel-patterns';
import { readToken } from '../auth/token-source';
import type { Claims } from '../auth/claims';
import type { TokenVerifier } from '../auth/token-verifier';
import type { Bus } from '../bus/bus';
import { GatewayError } from '../errors';
import type { GatewayParts } from '../gateway';
import type { Metrics } from '../metrics';
import { readBody, refuseBody } from './read-body';

export const PUBLISH_PATH = '/v1/publish';

export interface PublishDeps {
  bus: Bus;
  verifier: TokenVerifier;
  metrics: Metrics;
  validator: EventValidator;
  /** Largest accepted request body (`PUBLISH_MAX_BYTES`); a batch must fit in it as a whole. */
  maxBodyBytes: number;
}

/** Adds `POST /v1/publish`, with one schema registry loaded for this gateway. */
export function publishRoutes(router: Router, parts: GatewayParts): void {
  const { config, bus, verifier, metrics } = parts;
  const registry = loadSchemaRegistry({ schemasDir: config.schemasDir });
  const validator = createEventValidator({ registry, maxEventBytes: config.publishMaxBytes });
  router.post(PUBLISH_PATH, publishRoute({ bus, verifier, metrics, validator, maxBodyBytes: config.publishMaxBytes }));
}

export function publishRoute(deps: PublishDeps): (ctx: Context) => Promise<void> {
  return async (ctx) => {
    // The media type and the token are checked before the body is read: a stranger's body costs nothing.
    const claims = await admit(ctx, deps.verifier).catch((error: unknown) => {
      refuseBody(ctx.req, ctx.res);
      throw error;
    });
    const body = parseJson(await readBody(ctx.req, ctx.res, deps.maxBodyBytes));
    const events = prepare(deps.validator, body);
    const denied = events.find((event) => !allows(claims.publish, event.channel));
    if (denied !== undefined) throw new GatewayError('forbidden', `the token may not publish to channel ${denied.channel}`);
    const ids = await store(deps.bus, events);
    deps.metrics.eventsPublished.inc(ids.length);
    ctx.status = 202;
    ctx.body = { ids };
  };
}

/** The media type (415) and the token (401) of a publish request. */
async function admit(ctx: Context, verifier: TokenVerifier): Promise<Claims> {
  checkMediaType(ctx);
  // Only the Authorization header counts: a cookie must not publish on a page's behalf (CSRF).
  const token = readToken({ authorization: ctx.headers.authorization }, new URLSearchParams());
  if (token === undefined) throw new GatewayError('unauthorized', 'a bearer token is required (Authorization: Bearer <token>)');
  return verifier.verify(token);
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

function parseJson(body: Buffer): unknown {
  try {
    return JSON.parse(body.toString('utf8'));
  } catch {
    // V8's message quotes the body; whatever was sent by mistake is not repeated back.
    throw new GatewayError('bad_request', 'the body is not valid JSON');
  }
}

/** An object is one event (paths `/data/…`), an array a batch (paths `/0/data/…`), as in the SDK. */
function prepare(validator: EventValidator, body: unknown): PreparedEvent[] {
  const batch = Array.isArray(body);
  try {
    return validator.prepare(batch ? body : [body], { batch });
  } catch (error) {
    if (error instanceof EventValidationError) {
      throw new GatewayError('invalid_event', error.message, { errors: error.errors });
    }
    throw error;
  }
}

async function store(bus: Bus, events: readonly PreparedEvent[]): Promise<string[]> {
  try {
    return await bus.publish(events);
  } catch {
    throw new GatewayError('bus_unavailable', 'the message bus did not store the events; nothing was published, retry shortly');
  }
}
