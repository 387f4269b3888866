// The gateway's registry: its own metrics plus Node's defaults, with the open-files count read
// off the main thread (prom-client's own reads /proc/self/fd synchronously on every scrape).
import { readdirSync } from 'node:fs';
import { createMetrics } from '../../gateway/src/metrics';
import { metricValue } from '../helpers/metrics';

test('process_open_fds is still there, counts this process\'s open files, and is read asynchronously', async () => {
  const { registry } = createMetrics();
  // prom-client keeps a gauge's collect function on the instance (not in its public types).
  const gauge = registry.getSingleMetric('process_open_fds') as unknown as { collect?: () => unknown } | undefined;
  expect(gauge).toBeDefined();
  // prom-client's own collect is synchronous (it returns nothing); this one returns a promise.
  const collecting = gauge?.collect?.call(gauge);
  expect(collecting).toBeInstanceOf(Promise);
  await collecting;
  const scraped = metricValue(await registry.metrics(), 'process_open_fds');
  const now = readdirSync('/proc/self/fd').length - 1;
  expect(Math.abs(scraped - now)).toBeLessThanOrEqual(2);
});
