// The event builders the tests share: valid events of the bundled types, as a publisher passes them
// (`PublishEvent`) or prepared for a bus (`PreparedEvent`).
import type { ExecutionStatus } from '@sse-gateway/schemas';
import type { PublishEvent } from '@sse-gateway/publisher';
import { createEventValidator, type PreparedEvent } from '@sse-gateway/publisher/protocol';

const validator = createEventValidator();

/** What an event may carry besides its content. */
export interface EventExtras {
  idempotencyKey?: string;
  retain?: boolean;
}

/** A valid `execution.status` event. */
export function statusEvent(channel: string, executionId = 'x', status: ExecutionStatus['status'] = 'running', extras: EventExtras = {}): PublishEvent<'execution.status'> {
  return { channel, type: 'execution.status', data: { executionId, status }, ...extras };
}

/** A valid `execution.progress` event at `step`. */
export function progressEvent(channel: string, step: number, extras: EventExtras = {}): PublishEvent<'execution.progress'> {
  return { channel, type: 'execution.progress', data: { executionId: channel, step }, ...extras };
}

/** A valid `execution.log` event at level info. */
export function logEvent(channel: string, message: string, executionId = channel): PublishEvent<'execution.log'> {
  return { channel, type: 'execution.log', data: { executionId, level: 'info', message } };
}

/** `count` progress events of `channel`, steps `from`, `from + 1`…, prepared for a bus. */
export function progressEvents(channel: string, count: number, from = 0): PreparedEvent[] {
  return validator.prepare(Array.from({ length: count }, (_, i) => progressEvent(channel, from + i)));
}

/** Events (with `idempotencyKey`, `retain`…) prepared for a bus, validated as the SDK and HTTP publish do. */
export function prepared(...events: unknown[]): PreparedEvent[] {
  return validator.prepare(events);
}
