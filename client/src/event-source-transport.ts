// The fallback where a fetch body cannot be streamed: the browser's own EventSource. It cannot send
// headers, so the token travels in the `sse_token` cookie when the gateway is on this page's host
// (cookies are per host, not per port), else in the `access_token` query parameter; the cursor in
// `lastEventId`. It hides status codes (any refusal looks the same) and heartbeats, and reconnects
// by itself: it is closed at its first error so that the link reconnects it, with a fresh cursor.
import type { Transport, TransportEnd } from './transport.js';

export const eventSourceTransport: Transport = (request, handlers) =>
  new Promise((resolve) => {
    const url = new URL(request.url, location.href);
    if (request.cursor !== undefined) url.searchParams.set('lastEventId', request.cursor);
    const byCookie = url.hostname === location.hostname;
    if (byCookie) {
      document.cookie = `sse_token=${encodeURIComponent(request.token)}; path=${url.pathname}; SameSite=Strict${url.protocol === 'https:' ? '; Secure' : ''}`;
    } else {
      url.searchParams.set('access_token', request.token);
    }
    // Credentials only to carry the cookie (to another port of this host): a gateway with
    // CORS_ORIGINS=* refuses credentialed requests, and on another host the token is in the URL.
    const source = new EventSource(url, { withCredentials: byCookie });
    let opened = false;
    const end = (result: TransportEnd): void => {
      source.close();
      request.signal.removeEventListener('abort', abort);
      resolve(result);
    };
    const abort = (): void => end({ kind: 'ended' });
    request.signal.addEventListener('abort', abort);
    source.onopen = () => {
      opened = true;
      handlers.open();
    };
    source.onerror = () => end(opened ? { kind: 'network', message: 'the stream dropped' } : { kind: 'refused' });
    for (const type of request.types()) {
      source.addEventListener(type, (event) => request.signal.aborted || handlers.message(type, String(event.data), event.lastEventId || undefined));
    }
  });
