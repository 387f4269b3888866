// CORS in the real browser: a page from another origin (another port) opens an EventSource on the
// gateway. With its origin in CORS_ORIGINS it receives events; with any other origin the browser
// refuses the stream (error, CLOSED, no event) — and the same for a cross-origin publish with
// fetch. With CORS_ORIGINS=*, only requests without credentials are allowed.
import type { Page } from 'playwright-core';
import { createPublisher, type Publisher } from '@sse-gateway/publisher';
import { startGateway, type TestGateway } from '../helpers/gateway';
import { mintToken } from '../helpers/tokens';
import { waitFor } from '../helpers/wait-for';
import { launchBrowser, type Browser } from './support/browser';
import { startPageServer, type Site } from './support/site';

const CHANNEL = 'execution:e2e-cors';

/** The test page: opens the EventSource described in its URL fragment and records what happens. */
const PAGE = `<!doctype html><meta charset="utf-8"><title>cors</title>
<script>
  const params = new URLSearchParams(location.hash.slice(1));
  window.result = { opened: false, errors: 0, readyState: -1, messages: [] };
  const source = new EventSource(params.get('stream'), { withCredentials: params.get('credentials') === '1' });
  source.addEventListener('open', () => { window.result.opened = true; });
  source.addEventListener('error', () => { window.result.errors++; window.result.readyState = source.readyState; });
  source.addEventListener('execution.log', (event) => { window.result.messages.push(JSON.parse(event.data).data.message); });
  window.publish = (url, token, body) =>
    fetch(url, { method: 'POST', headers: { Authorization: 'Bearer ' + token, 'Content-Type': 'application/json' }, body })
      .then((response) => response.status, (error) => 'blocked: ' + error.name);
</script>`;

interface PageResult {
  opened: boolean;
  errors: number;
  readyState: number;
  messages: string[];
}

let browser: Browser;
let allowedSite: Site;
let otherSite: Site;
let subscribeToken: string;
let publishToken: string;

beforeAll(async () => {
  browser = await launchBrowser();
  allowedSite = await startPageServer(PAGE);
  otherSite = await startPageServer(PAGE);
  subscribeToken = await mintToken({ subscribe: [CHANNEL] });
  publishToken = await mintToken({ publish: [CHANNEL] });
});

afterAll(async () => {
  await browser.close();
  await allowedSite.close();
  await otherSite.close();
});

async function openPage(site: Site, gw: TestGateway, credentials: boolean): Promise<Page> {
  const stream = new URL('/v1/stream', gw.url);
  stream.searchParams.set('channel', CHANNEL);
  stream.searchParams.set('access_token', subscribeToken);
  const page = await browser.newPage();
  await page.goto(`${site.origin}/#stream=${encodeURIComponent(stream.href)}&credentials=${credentials ? '1' : '0'}`);
  return page;
}

const result = (page: Page): Promise<PageResult> => page.evaluate('window.result') as Promise<PageResult>;

/** Publishes `message` and waits until every page in `receivers` has it: a barrier for the others. */
async function publishAndAwait(publisher: Publisher, message: string, receivers: Page[]): Promise<void> {
  await publisher.publish({ channel: CHANNEL, type: 'execution.log', data: { executionId: 'cors', level: 'info', message } });
  for (const page of receivers) await waitFor(async () => (await result(page)).messages.includes(message), { message: `"${message}" in an allowed page` });
}

async function expectRefused(page: Page): Promise<void> {
  await waitFor(async () => (await result(page)).readyState === 2, { message: 'the browser to close the refused stream' });
  const seen = await result(page);
  expect(seen.opened).toBe(false);
  expect(seen.errors).toBeGreaterThanOrEqual(1);
  expect(seen.messages).toEqual([]);
}

describe('CORS_ORIGINS=<the allowed page\'s origin>', () => {
  let gw: TestGateway;
  let publisher: Publisher;

  beforeAll(async () => {
    gw = await startGateway({ CORS_ORIGINS: allowedSite.origin });
    publisher = createPublisher({ gatewayUrl: gw.url, token: publishToken });
  });

  afterAll(async () => {
    await publisher.close();
    await gw.close();
  });

  test('the allowed origin subscribes (with and without credentials); another origin is refused by the browser', async () => {
    expect(allowedSite.origin).not.toBe(otherSite.origin);
    const allowed = await openPage(allowedSite, gw, false);
    const allowedWithCredentials = await openPage(allowedSite, gw, true);
    const other = await openPage(otherSite, gw, false);
    try {
      await waitFor(async () => (await result(allowed)).opened && (await result(allowedWithCredentials)).opened, { message: 'the allowed pages to open their streams' });
      await expectRefused(other);
      await publishAndAwait(publisher, 'first', [allowed, allowedWithCredentials]);
      await publishAndAwait(publisher, 'second', [allowed, allowedWithCredentials]);
      expect((await result(allowed)).messages).toEqual(['first', 'second']);
      expect((await result(other)).messages).toEqual([]);
      expect(browser.problems.some((line) => line.includes('CORS policy') && line.includes(otherSite.origin))).toBe(true);
    } finally {
      for (const page of [allowed, allowedWithCredentials, other]) await page.close();
    }
  });

  test('a cross-origin publish with fetch (preflighted: Authorization header) works from the allowed origin only', async () => {
    const allowed = await openPage(allowedSite, gw, false);
    const other = await openPage(otherSite, gw, false);
    try {
      const body = JSON.stringify({ channel: CHANNEL, type: 'execution.log', data: { executionId: 'cors', level: 'info', message: 'from the browser' } });
      const call = `window.publish(${JSON.stringify(`${gw.url}/v1/publish`)}, ${JSON.stringify(publishToken)}, ${JSON.stringify(body)})`;
      expect(await allowed.evaluate(call)).toBe(202);
      expect(await other.evaluate(call)).toBe('blocked: TypeError');
    } finally {
      await allowed.close();
      await other.close();
    }
  });
});

describe('CORS_ORIGINS=*', () => {
  let gw: TestGateway;
  let publisher: Publisher;

  beforeAll(async () => {
    gw = await startGateway({ CORS_ORIGINS: '*' });
    publisher = createPublisher({ gatewayUrl: gw.url, token: publishToken });
  });

  afterAll(async () => {
    await publisher.close();
    await gw.close();
  });

  test('any origin subscribes without credentials; with credentials the browser refuses the stream', async () => {
    const anonymous = await openPage(otherSite, gw, false);
    const withCredentials = await openPage(otherSite, gw, true);
    try {
      await waitFor(async () => (await result(anonymous)).opened, { message: 'the stream without credentials to open' });
      await expectRefused(withCredentials);
      await publishAndAwait(publisher, 'to anyone', [anonymous]);
      expect((await result(withCredentials)).messages).toEqual([]);
    } finally {
      await anonymous.close();
      await withCredentials.close();
    }
  });
});

describe('no CORS_ORIGINS', () => {
  test('a page from another origin cannot subscribe', async () => {
    const gw = await startGateway({});
    const page = await openPage(otherSite, gw, false);
    try {
      await expectRefused(page);
    } finally {
      await page.close();
      await gw.close();
    }
  });
});
