import type Router from '@koa/router';
import type { Metrics } from '../metrics';

interface HealthDeps {
  metrics: Metrics;
  /** Bus connected and not draining. */
  isReady: () => boolean;
}

/** /healthz (the process runs), /readyz (it can take streams), /metrics (Prometheus text). */
export function healthRoutes(router: Router, deps: HealthDeps): void {
  router.get('/healthz', (ctx) => {
    ctx.body = { status: 'ok' };
  });
  router.get('/readyz', (ctx) => {
    const ready = deps.isReady();
    ctx.status = ready ? 200 : 503;
    ctx.body = { status: ready ? 'ready' : 'not ready' };
  });
  router.get('/metrics', async (ctx) => {
    ctx.set('Content-Type', deps.metrics.registry.contentType);
    ctx.body = await deps.metrics.registry.metrics();
  });
}
