/** Channel names: `execution:42`, `crew:7:runs`. Never contains `{`, `}`, spaces or line breaks. */
export const CHANNEL_PATTERN = /^[A-Za-z0-9][A-Za-z0-9:._-]{0,199}$/;

/** Event types: `execution.status`. */
export const EVENT_TYPE_PATTERN = /^[a-z][a-z0-9_-]*(\.[a-z0-9_-]+)*$/;

/** Longest event type accepted (the pattern alone has no bound). */
export const EVENT_TYPE_MAX_LENGTH = 200;

/** Types in this namespace are the gateway's own control events; publishers may not use them. */
export const RESERVED_TYPE_PREFIX = 'gateway.';

export function isChannelName(value: unknown): value is string {
  return typeof value === 'string' && CHANNEL_PATTERN.test(value);
}

export function isEventType(value: unknown): value is string {
  return typeof value === 'string' && value.length <= EVENT_TYPE_MAX_LENGTH && EVENT_TYPE_PATTERN.test(value);
}

export function isReservedType(type: string): boolean {
  return type.startsWith(RESERVED_TYPE_PREFIX);
}
