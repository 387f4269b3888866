export * from './publisher';
export * from './errors';
export type { Envelope, EventInput } from './protocol/envelope';
export type { BundledEventMap } from '@sse-gateway/schemas';
