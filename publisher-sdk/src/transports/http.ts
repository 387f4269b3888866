import { TransportError } from '../errors';
import type { Transport } from './transport';

export interface HttpTransportOptions {
  gatewayUrl: string;
  token: string;
}

/** Publishes through a gateway's `POST /v1/publish`. */
export function httpTransport(_options: HttpTransportOptions): Transport {
  throw new TransportError('the HTTP transport ({ gatewayUrl, token }) is not available yet: publish with { redisUrl } or { redis }');
}
