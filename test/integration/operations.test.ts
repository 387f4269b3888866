// Health, readiness, metrics and CORS as operators and browsers see them.
import { startGateway } from '../helpers/gateway';
import { httpJson } from '../helpers/sse-client';
import { mintToken } from '../helpers/tokens';

test('/healthz, /readyz and /metrics with every metric of the SPEC', async () => {
  const gw = await startGateway({});
  try {
    expect((await httpJson(`${gw.url}/healthz`)).status).toBe(200);
    expect((await httpJson(`${gw.url}/readyz`)).status).toBe(200);
    const metrics = await fetch(`${gw.url}/metrics`);
    expect(metrics.headers.get('content-type')).toMatch(/^text\/plain/);
    const text = await metrics.text();
    for (const [name, type] of [
      ['sse_connections', 'gauge'],
      ['sse_events_published_total', 'counter'],
      ['sse_events_delivered_total', 'counter'],
      ['sse_events_dropped_total', 'counter'],
      ['sse_slow_client_disconnects_total', 'counter'],
      ['sse_delivery_latency_seconds', 'histogram'],
      ['sse_bus_connected', 'gauge'],
    ]) {
      expect(text).toContain(`# TYPE ${name} ${type}`);
    }
    expect(text).toMatch(/^sse_bus_connected 1$/m);
    const missing = await httpJson(`${gw.url}/nope`);
    expect(missing.status).toBe(404);
    expect((missing.body as { error: { code: string } }).error.code).toBe('not_found');
  } finally {
    await gw.close();
  }
});

describe('CORS', () => {
  test('an allowlisted origin gets CORS headers with credentials; others get none', async () => {
    const gw = await startGateway({ CORS_ORIGINS: 'https://app.example.com,http://localhost:3000' });
    const token = await mintToken();
    try {
      const allowed = await fetch(`${gw.url}/v1/stream?channel=execution:c`, { headers: { Origin: 'http://localhost:3000', Cookie: `sse_token=${token}` }, signal: AbortSignal.timeout(2000) });
      expect(allowed.status).toBe(200);
      expect(allowed.headers.get('access-control-allow-origin')).toBe('http://localhost:3000');
      expect(allowed.headers.get('access-control-allow-credentials')).toBe('true');
      expect(allowed.headers.get('content-type')).toBe('text/event-stream; charset=utf-8');
      await allowed.body?.cancel();

      const other = await fetch(`${gw.url}/healthz`, { headers: { Origin: 'https://evil.example.com' } });
      expect(other.headers.get('access-control-allow-origin')).toBeNull();

      const preflight = await fetch(`${gw.url}/v1/stream`, {
        method: 'OPTIONS',
        headers: { Origin: 'https://app.example.com', 'Access-Control-Request-Method': 'GET', 'Access-Control-Request-Headers': 'authorization,last-event-id' },
      });
      expect(preflight.status).toBe(204);
      expect(preflight.headers.get('access-control-allow-origin')).toBe('https://app.example.com');
      expect(preflight.headers.get('access-control-allow-headers')?.toLowerCase()).toContain('last-event-id');
      // Errors carry CORS headers too, so the page can read them.
      const denied = await fetch(`${gw.url}/v1/stream?channel=execution:c`, { headers: { Origin: 'https://app.example.com' } });
      expect(denied.status).toBe(401);
      expect(denied.headers.get('access-control-allow-origin')).toBe('https://app.example.com');
    } finally {
      await gw.close();
    }
  });

  test('`*` allows any origin, never with credentials', async () => {
    const gw = await startGateway({ CORS_ORIGINS: '*' });
    try {
      const res = await fetch(`${gw.url}/healthz`, { headers: { Origin: 'https://anywhere.example' } });
      expect(res.headers.get('access-control-allow-origin')).toBe('*');
      expect(res.headers.get('access-control-allow-credentials')).toBeNull();
    } finally {
      await gw.close();
    }
  });

  test('without CORS_ORIGINS there are no CORS headers at all', async () => {
    const gw = await startGateway({});
    try {
      const res = await fetch(`${gw.url}/healthz`, { headers: { Origin: 'https://app.example.com' } });
      expect(res.headers.get('access-control-allow-origin')).toBeNull();
    } finally {
      await gw.close();
    }
  });
});
