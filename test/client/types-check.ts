// Compile-time checks of the client's types, run by `npm test`'s type-check step (tsc fails on an
// error below, or on an @ts-expect-error that no longer errs). Never executed.
import { connect, type Envelope, type Stream } from '@sse-gateway/client';

export function bundledTypes(stream: Stream): void {
  stream.on('execution.status', (event) => {
    const status: 'queued' | 'running' | 'succeeded' | 'failed' | 'cancelled' = event.data.status;
    const envelope: Envelope<'execution.status'> = event;
    void [status, envelope];
  });
  stream.on('execution.progress', (event) => void (event.data.step satisfies number));
  stream.on('gap', (gap) => void (gap.earliestId satisfies string | null));
  stream.on('state', (state) => void (state satisfies 'connecting' | 'open' | 'reconnecting' | 'closed'));
  stream.on('error', (error) => void (error.code satisfies 'unauthorized' | 'forbidden' | 'bad_request' | 'unavailable' | 'network'));
  const off: () => void = stream.on('execution.log', (event) => void (event.data.level satisfies 'debug' | 'info' | 'warn' | 'error'));
  off();
  // @ts-expect-error not a bundled type
  stream.on('execution.nope', () => undefined);
  // @ts-expect-error `status` is not a number
  stream.on('execution.status', (event) => void (event.data.status satisfies number));
  // @ts-expect-error control events are the client's business, not the page's
  stream.on('gateway.token_expired', () => undefined);
}

interface OrderShipped {
  orderId: string;
  carrier: string;
}

export function customTypes(): void {
  const stream = connect<{ 'order.shipped': OrderShipped }>({ url: '', channels: ['orders:1'], token: () => 'jwt' });
  stream.on('order.shipped', (event) => void (event.data.carrier satisfies string));
  stream.on('execution.log', (event) => void (event.data.message satisfies string));
  // @ts-expect-error no such field
  stream.on('order.shipped', (event) => void event.data.weight);
  // @ts-expect-error channels is required
  connect({ url: '', token: () => 'jwt' });
}
