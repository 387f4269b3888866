export { connect } from './connect.js';
export { StreamError, type StreamErrorCode, type StreamErrorDetails } from './errors.js';
export type { BundledEvents, ConnectOptions, Envelope, EventMap, Gap, Stream, StreamNotifications, StreamState } from './types.js';
export type * from './bundled-events.js';
