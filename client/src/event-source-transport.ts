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
    if (url.hostname === location.hostname) {
      document.cookie = `sse_token=${encodeURIComponent(request.token)}; path=${url.pathname}; SameSite=Strict${url.protocol === 'https:' ? '; Secure' : ''}`;
    } else {
      url.searchParams.set('access_token', request.token);
    }
    const source = new EventSource(url, { withCredentials: url.origin !== location.origin });
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
