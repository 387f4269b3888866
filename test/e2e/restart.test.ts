// On Redis, the gateway process is killed (SIGKILL, no drain) and started again while a worker
// keeps publishing. The demo page in Chromium — served from its own origin, following the gateway
// with @sse-gateway/client — must reconnect by itself with its cursor and end with every published
// event exactly once, in order: the log pane's ids equal the published ids.
import type { Page } from 'playwright-core';
import { createPublisher, type Publisher } from '@sse-gateway/publisher';
import { freePort } from '../helpers/free-port';
import { spawnGateway, type GatewayProcess } from '../helpers/gateway';
import { testRedisUrl, uniquePrefix } from '../helpers/redis';
import { TEST_JWT_SECRET } from '../helpers/tokens';
import { waitFor } from '../helpers/wait-for';
import { launchBrowser, type Browser } from './support/browser';
import { startDemoSite, type Site } from './support/site';

const CHANNEL = 'execution:e2e-restart';
const TOTAL = 60;

let browser: Browser;
let site: Site;
let gateway: GatewayProcess | undefined;
let publisher: Publisher;
let port: number;
let prefix: string;

const env = (): Record<string, string> => ({
  PORT: String(port),
  REDIS_URL: testRedisUrl(),
  REDIS_KEY_PREFIX: prefix,
  CORS_ORIGINS: site.origin,
  RETRY_MS: '300',
});

beforeAll(async () => {
  port = await freePort();
  prefix = uniquePrefix('e2erestart');
  site = await startDemoSite({ channel: CHANNEL, secret: new TextEncoder().encode(TEST_JWT_SECRET), gatewayUrl: `http://127.0.0.1:${port}` });
  browser = await launchBrowser();
  publisher = createPublisher({ redisUrl: testRedisUrl(), keyPrefix: prefix });
});

afterAll(async () => {
  await publisher.close();
  await gateway?.kill('SIGKILL');
  await browser.close();
  await site.close();
});

const logIds = (page: Page): Promise<string[]> => page.locator('#log li').evaluateAll((items) => items.map((li) => li.getAttribute('data-id') ?? ''));
const connectionState = (page: Page): Promise<string | null> => page.locator('#connection').getAttribute('data-state');

test('the page reconnects by itself after the gateway is killed and restarted, and shows every event exactly once', async () => {
  gateway = await spawnGateway(env());
  const page = await browser.newPage();
  const states = new Set<string>();
  const published: string[] = [];
  const publish = async (n: number): Promise<void> => {
    const { id } = await publisher.publish({ channel: CHANNEL, type: 'execution.log', data: { executionId: 'restart', level: 'info', message: `event ${n}` } });
    published.push(id);
  };
  try {
    await page.goto(`${site.origin}/demo/`);
    await waitFor(async () => (await connectionState(page)) === 'open', { message: 'the page to go live' });

    let n = 1;
    for (; n <= 20; n++) await publish(n);
    await waitFor(async () => (await logIds(page)).length >= 20, { message: 'the first 20 events on the page' });

    // Kill the gateway mid-stream; keep publishing while it is down and while it starts again.
    const killed = gateway.kill('SIGKILL');
    for (; n <= 30; n++) await publish(n);
    await killed;
    await waitFor(async () => {
      const state = await connectionState(page);
      if (state) states.add(state);
      return state !== 'open';
    }, { message: 'the page to notice the lost stream' });
    for (; n <= 40; n++) await publish(n);
    const restarting = spawnGateway(env());
    for (; n <= 50; n++) await publish(n);
    gateway = await restarting;
    for (; n <= TOTAL; n++) await publish(n);

    await waitFor(async () => (await logIds(page)).length >= TOTAL, { timeoutMs: 20000, message: `${TOTAL} events on the page` });
    await waitFor(async () => (await connectionState(page)) === 'open', { message: 'the page to be live again' });
    expect(await logIds(page)).toEqual(published);
    const texts = await page.locator('#log li .message').allTextContents();
    expect(texts).toEqual(Array.from({ length: TOTAL }, (_, i) => `event ${i + 1}`));
    expect(await page.locator('#event-count').textContent()).toBe(`${TOTAL} events`);
    // The client reconnected with its cursor and the token it had: the page never asked for a new
    // one, and nothing was lost: it says so, and there was no gap notice.
    expect(site.tokenRequests).toBe(1);
    await waitFor(async () => (await page.locator('#notice').getAttribute('data-kind')) === 'resumed', { message: 'the "nothing was missed" notice' });
    expect(await page.locator('#notice').textContent()).toContain('nothing was missed');
    expect(states).toContain('reconnecting');
  } finally {
    await page.close();
  }
});
