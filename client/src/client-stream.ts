// What connect() returns: listeners, state and cursor, fed by a link (or, with `share`, by the
// tab that holds the link). Knows nothing about connections.
import type { StreamError } from './errors.js';
import type { Envelope, EventMap, Stream, StreamNotifications, StreamState } from './types.js';

type Handler = (value: never) => void;

/** The stream's own notifications: names handlers listen on that are never event types. */
const NOTIFICATIONS: ReadonlySet<string> = new Set<keyof StreamNotifications>(['gap', 'state', 'error']);

export class ClientStream implements Stream<EventMap> {
  state: StreamState = 'connecting';
  cursor: string | undefined;
  /** Ends what feeds the stream; set by whoever builds it. */
  stop: () => void = () => undefined;
  private readonly handlers = new Map<string, Set<Handler>>();

  on(type: string, handler: Handler): () => void {
    let set = this.handlers.get(type);
    if (set === undefined) this.handlers.set(type, (set = new Set()));
    set.add(handler);
    return () => set.delete(handler);
  }

  /** The event types listened to (EventSource must name them), with the gateway's own. */
  types(): string[] {
    return [...[...this.handlers.keys()].filter((type) => !NOTIFICATIONS.has(type)), 'gateway.gap', 'gateway.token_expired'];
  }

  /** An event to its listeners, a `gateway.gap` notice to the `gap` listeners; `cursor` is the stream's position after it. */
  dispatch(type: string, envelope: Envelope, cursor: string | undefined): void {
    this.cursor = cursor;
    if (type === 'gateway.gap') this.emit('gap', envelope.data as StreamNotifications['gap']);
    else this.emit(type, envelope);
  }

  setState(state: StreamState): void {
    if (state === this.state || this.state === 'closed') return;
    this.state = state;
    if (state === 'closed') this.stop();
    this.emit('state', state);
  }

  error(error: StreamError): void {
    this.emit('error', error);
  }

  close(): void {
    this.setState('closed');
  }

  private emit(type: string, value: unknown): void {
    for (const handler of [...(this.handlers.get(type) ?? [])]) {
      try {
        (handler as (value: unknown) => void)(value);
      } catch (error) {
        // A failing handler must not stop the stream or the other handlers: report it as uncaught.
        setTimeout(() => {
          throw error;
        });
      }
    }
  }
}
