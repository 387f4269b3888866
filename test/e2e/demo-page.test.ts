// The demo page in headless Chromium: what it shows after events are published (through the
// SDK's HTTP transport), its token refresh before the page's short-lived tokens expire, its gap
// notice after an in-memory gateway restart lost the history, and a screenshot of the real
// `npm run demo` into test-output/.
import { mkdirSync, statSync } from 'node:fs';
import { join } from 'node:path';
import type { Page } from 'playwright-core';
import { createPublisher, type Publisher } from '@sse-gateway/publisher';
import { demoSite } from '../../demo/site';
import { startDemo } from '../../demo/server';
import { freePort } from '../helpers/free-port';
import { ROOT, startGateway, type TestGateway } from '../helpers/gateway';
import { scratchDir } from '../helpers/scratch';
import { mintToken, TEST_JWT_SECRET } from '../helpers/tokens';
import { waitFor } from '../helpers/wait-for';
import { launchBrowser, type Browser } from './support/browser';

const SECRET = new TextEncoder().encode(TEST_JWT_SECRET);
const OUTPUT_DIR = join(ROOT, 'test-output');

let browser: Browser;

beforeAll(async () => {
  browser = await launchBrowser();
});

afterAll(async () => {
  await browser.close();
});

/** Waits until `selector`'s text equals (or, with a RegExp, matches) `expected`; fails with what the page shows. */
async function waitForText(page: Page, selector: string, expected: string | RegExp, timeoutMs = 10000): Promise<void> {
  const matches = (text: string): boolean => (typeof expected === 'string' ? text === expected : expected.test(text));
  let shown: string | null = null;
  try {
    await waitFor(async () => matches((shown = await page.locator(selector).first().textContent({ timeout: 1000 })) ?? ''), { timeoutMs, intervalMs: 50 });
  } catch {
    throw new Error(`${selector} shows ${JSON.stringify(shown)}, expected ${String(expected)}; browser: ${browser.problems.join(' | ')}`);
  }
}

/** The id (data-id) and message of every line in the page's log pane. */
const logLines = (page: Page): Promise<{ id: string; text: string }[]> =>
  page.locator('#log li').evaluateAll((items) =>
    items.map((li) => ({ id: li.getAttribute('data-id') ?? '', text: li.querySelector('.message')?.textContent ?? '' })),
  );


async function demoGateway(channel: string, env: Record<string, string> = {}, pageTokenTtlS?: number): Promise<TestGateway> {
  const secret = env['JWT_SECRET'] === undefined ? SECRET : new TextEncoder().encode(env['JWT_SECRET']);
  return startGateway(env, { routes: (router) => demoSite(router, { channel, secret, tokenTtlS: pageTokenTtlS }) });
}

describe('the demo page on a gateway (in-memory bus)', () => {
  let gw: TestGateway;
  let publisher: Publisher;

  beforeAll(async () => {
    gw = await demoGateway('execution:e2e-a');
    publisher = createPublisher({ gatewayUrl: gw.url, token: await mintToken({ publish: ['execution:*'] }) });
  });

  afterAll(async () => {
    await publisher.close();
    await gw.close();
  });

  test('shows status, agent progress, log lines and the final output as they are published', async () => {
    const page = await browser.newPage();
    try {
      await page.goto(`${gw.url}/demo/`);
      await waitForText(page, '#connection-text', 'live');
      await waitForText(page, '#channel', 'execution:e2e-a');
      const channel = 'execution:e2e-a';
      await publisher.publishMany([
        { channel, type: 'execution.status', data: { executionId: 'e2e-1', status: 'running', message: 'two agents' } },
        { channel, type: 'execution.progress', data: { executionId: 'e2e-1', step: 2, totalSteps: 4, agent: 'alpha', task: 'Think' } },
        { channel, type: 'execution.log', data: { executionId: 'e2e-1', level: 'warn', message: 'hello from the e2e test', agent: 'alpha' } },
      ]);
      await waitForText(page, '#execution-id', 'e2e-1');
      await waitForText(page, '#status', 'running');
      await waitForText(page, '#agents [data-agent="alpha"] .pct', '50%');
      await waitForText(page, '#log', /hello from the e2e test/);
      await publisher.publish({ channel, type: 'execution.output', data: { executionId: 'e2e-1', output: 'the answer is 42', final: true } });
      await publisher.publish({ channel, type: 'execution.status', data: { executionId: 'e2e-1', status: 'succeeded' } });
      await waitForText(page, '#output', 'the answer is 42');
      await waitForText(page, '#output-state', 'Final output');
      await waitForText(page, '#status', 'succeeded');
      await waitForText(page, '#event-count', '5 events');
      expect(await page.locator('#notice').isHidden()).toBe(true);
    } finally {
      await page.close();
    }
  });
});

test('with 2-second tokens the page fetches a new one before each expires and resumes: every event once', async () => {
  const channel = 'execution:e2e-exp';
  const gw = await demoGateway(channel, {}, 2);
  const publisher = createPublisher({ gatewayUrl: gw.url, token: await mintToken({ publish: ['execution:*'] }) });
  const page = await browser.newPage();
  let tokenRequests = 0;
  const streamStatuses: number[] = [];
  page.on('request', (request) => {
    if (request.url().endsWith('/demo/token')) tokenRequests++;
  });
  page.on('response', (response) => {
    if (response.url().includes('/v1/stream')) streamStatuses.push(response.status());
  });
  try {
    await page.goto(`${gw.url}/demo/`);
    await waitForText(page, '#connection-text', 'live');
    const ids: string[] = [];
    const log = async (n: number): Promise<void> => {
      ids.push((await publisher.publish({ channel, type: 'execution.log', data: { executionId: 'exp', level: 'info', message: `line ${n}` } })).id);
    };
    for (let n = 1; n <= 3; n++) await log(n);
    await waitForText(page, '#event-count', '3 events');
    // The 2 s token is about to run out; the page must get a new one and reopen the stream with it.
    // Wait on the refresh itself: the page is "not live" for only a moment, which polling can miss.
    await waitFor(() => tokenRequests >= 2, { message: 'a new token before the expiry' });
    for (let n = 4; n <= 6; n++) await log(n);
    await waitForText(page, '#event-count', '6 events');
    await waitForText(page, '#connection-text', 'live');
    expect(tokenRequests).toBeGreaterThanOrEqual(2);
    // It never tried an expired token (a 401).
    expect(streamStatuses.length).toBeGreaterThanOrEqual(2);
    expect(streamStatuses.every((status) => status === 200)).toBe(true);
    expect((await logLines(page)).map((line) => line.id)).toEqual(ids);
  } finally {
    await page.close();
    await publisher.close();
    await gw.close();
  }
});

// As when `npm run demo` is restarted: a new process, a new random secret (the page's token is
// refused), and an empty in-memory history.
test('after an in-memory gateway restart with a new secret, the page gets a new token, resumes, and shows the gap notice', async () => {
  const channel = 'execution:e2e-gap';
  const port = String(await freePort());
  const secrets = [TEST_JWT_SECRET, 'another-secret-for-the-restarted-demo-0123456789'];
  let gw = await demoGateway(channel, { PORT: port, RETRY_MS: '300', JWT_SECRET: secrets[0]! });
  const page = await browser.newPage();
  let tokenRequests = 0;
  page.on('request', (request) => {
    if (request.url().endsWith('/demo/token')) tokenRequests++;
  });
  try {
    await page.goto(`${gw.url}/demo/`);
    await waitForText(page, '#connection-text', 'live');
    const publishOne = async (message: string, secret: string): Promise<void> => {
      const publisher = createPublisher({ gatewayUrl: gw.url, token: await mintToken({ publish: ['execution:*'] }, secret) });
      try {
        await publisher.publish({ channel, type: 'execution.log', data: { executionId: 'gap', level: 'info', message } });
      } finally {
        await publisher.close();
      }
    };
    await publishOne('before the restart', secrets[0]!);
    await waitForText(page, '#event-count', '1 event');
    await gw.close();
    gw = await demoGateway(channel, { PORT: port, RETRY_MS: '300', JWT_SECRET: secrets[1]! });
    // The first POST may go out on a keep-alive connection to the old gateway, closed under it.
    await waitFor(() => publishOne('after the restart', secrets[1]!).then(() => true, () => false), { message: 'a publish to the new gateway' });
    await waitForText(page, '#notice', /Some updates were missed/);
    expect(await page.locator('#notice').getAttribute('data-kind')).toBe('gap');
    expect(tokenRequests).toBeGreaterThanOrEqual(2);
    await publishOne('live again', secrets[1]!);
    await waitForText(page, '#log', /live again/);
    await waitForText(page, '#connection-text', 'live');
  } finally {
    await page.close();
    await gw.close();
  }
});

test('screenshot of `npm run demo` (its crew publishing over HTTP) into test-output/demo.png', async () => {
  const demo = await startDemo({ PORT: '0', HOST: '127.0.0.1', LOG_LEVEL: 'warn' }, { paceMs: 120, restMs: 60000, say: () => undefined, devSecretDir: scratchDir('demo-dev-secret') });
  const page = await browser.newPage();
  try {
    await page.goto(demo.pageUrl);
    await waitForText(page, '#connection-text', 'live');
    // The first execution succeeds (every third one fails): wait for its final output.
    await waitForText(page, '#status', 'succeeded', 20000);
    await waitForText(page, '#output-state', 'Final output');
    expect(await page.locator('#agents li[data-agent]').count()).toBe(3);
    expect(await page.locator('#agents .pct').allTextContents()).toEqual(['100%', '100%', '100%']);
    expect((await logLines(page)).length).toBeGreaterThan(4);
    mkdirSync(OUTPUT_DIR, { recursive: true });
    const file = join(OUTPUT_DIR, 'demo.png');
    await page.screenshot({ path: file, fullPage: true });
    expect(statSync(file).size).toBeGreaterThan(20000);
  } finally {
    await page.close();
    await demo.stop();
  }
});
