// The client bundle in Chromium, on a page from another origin than the gateway (CORS): short-lived
// tokens refreshed without losing or repeating an event and never put in a URL; the EventSource
// fallback with the cookie, and without credentials to another host; a 503's Retry-After read across origins; offline and online again; a
// handler that throws.
import type { Page } from 'playwright-core';
import { createPublisher, type Publisher } from '@sse-gateway/publisher';
import { startGateway, type TestGateway } from '../helpers/gateway';
import { mintToken } from '../helpers/tokens';
import { waitFor } from '../helpers/wait-for';
import { launchBrowser, type Browser } from '../e2e/support/browser';
import { buildBundle } from './support/bundle';
import { startClientSite, type ClientSite } from './support/client-site';
import { openHarness, pageRecord, startStream, type PageRecord } from './support/harness-page';
import { countIds, publishPaced } from './support/paced';
import { recordingProxy, streamRequests, type RecordingProxy, type SeenRequest } from './support/requests';

jest.setTimeout(90000);

const CHANNELS = ['execution:browser-a', 'execution:browser-b'];

let browser: Browser;
let site: ClientSite;
let gw: TestGateway;
/** Streams whose requests a test checks go through it: it records what reached the gateway. */
let proxy: RecordingProxy;
let requests: SeenRequest[];
let publisher: Publisher;
const pages: Page[] = [];

beforeAll(async () => {
  site = await startClientSite({ bundle: await buildBundle() });
  browser = await launchBrowser();
  gw = await startGateway({ CORS_ORIGINS: site.origin, RETRY_MS: '200' });
  proxy = await recordingProxy(gw.url);
  requests = proxy.requests;
  publisher = createPublisher({ gatewayUrl: gw.url, token: await mintToken({ publish: ['execution:*'] }) });
});

afterEach(async () => {
  for (const page of pages.splice(0)) await page.close();
});

afterAll(async () => {
  await publisher.close();
  await proxy.close();
  await gw.close();
  await browser.close();
  await site.close();
});

async function harness(): Promise<Page> {
  const page = await browser.newPage();
  pages.push(page);
  await openHarness(page, site.origin);
  return page;
}

async function waitForRecord(page: Page, check: (record: PageRecord) => boolean, message: string, timeoutMs = 10000, index = 0): Promise<PageRecord> {
  let last: PageRecord | undefined;
  await waitFor(async () => check((last = await pageRecord(page, index))), {
    timeoutMs,
    message,
    detail: () => `state ${last?.state}, ${last?.events.length} events, errors ${JSON.stringify(last?.errors)}; browser: ${browser.problems.slice(-5).join(' | ')}`,
  });
  return last as PageRecord;
}

/** Every published id once, per channel in order, and nothing else. */
function expectExactly(record: PageRecord, published: ReadonlyMap<string, readonly string[]>): void {
  for (const [channel, ids] of published) {
    expect({ channel, ids: record.events.filter((e) => e.channel === channel).map((e) => e.id) }).toEqual({ channel, ids });
  }
  expect(record.events).toHaveLength(countIds(published));
}

/** No token the site handed out appears in any URL that reached the gateway, nor in its logs. */
function expectNoTokenLeaked(urls: readonly string[]): void {
  expect(site.tokens.length).toBeGreaterThan(0);
  for (const token of site.tokens) {
    const signature = token.split('.')[2] as string;
    expect(urls.filter((url) => url.includes(signature))).toEqual([]);
    expect(gw.logs.filter((line) => line.includes(signature))).toEqual([]);
  }
}

test('3-second tokens for 20 seconds, an event every 100 ms: every event once, in order; no token in any URL or log', async () => {
  const page = await harness();
  const pageUrls: string[] = [];
  page.on('request', (request) => pageUrls.push(request.url()));
  const since = requests.length;
  const tokensBefore = site.tokens.length;
  await startStream(page, { url: proxy.url, channels: CHANNELS }, '?ttl=3');
  await waitForRecord(page, (r) => r.state === 'open', 'the stream to open');
  const published = await publishPaced(publisher, CHANNELS, 200, 100);
  const record = await waitForRecord(page, (r) => r.events.length >= countIds(published), 'every event in the page', 15000);
  expectExactly(record, published);
  expect(record.errors).toEqual([]);
  expect(record.states).not.toContain('closed');

  const mine = requests.slice(since);
  const streams = streamRequests(mine);
  const tokens = site.tokens.slice(tokensBefore);
  // A fresh token about every two seconds, each used once, in the Authorization header only.
  expect(tokens.length).toBeGreaterThanOrEqual(7);
  expect(streams.map((r) => r.authorization)).toEqual(tokens.map((token) => `Bearer ${token}`));
  expect(streams.map((r) => r.status)).toEqual(streams.map(() => 200));
  expect(streams.slice(1).every((r) => r.lastEventId !== undefined)).toBe(true);
  // Cross-origin with an Authorization header: the browser asked first.
  expect(mine.some((r) => r.method === 'OPTIONS' && r.url.startsWith('/v1/stream'))).toBe(true);
  expectNoTokenLeaked([...requests.map((r) => r.url), ...pageUrls]);
});

test('the EventSource fallback sends the token in the sse_token cookie, not the URL, and refreshes it', async () => {
  const page = await harness();
  const since = requests.length;
  await startStream(page, { url: proxy.url, channels: CHANNELS, transport: 'eventsource' }, '?ttl=3');
  await waitForRecord(page, (r) => r.state === 'open', 'the stream to open');
  const published = await publishPaced(publisher, CHANNELS, 50, 100);
  const record = await waitForRecord(page, (r) => r.events.length >= countIds(published), 'every event in the page');
  expectExactly(record, published);
  const streams = streamRequests(requests.slice(since));
  expect(streams.length).toBeGreaterThanOrEqual(2); // refreshed at least once
  expect(streams.every((r) => r.authorization === undefined && /(^|; )sse_token=[\w.-]+/.test(r.cookie ?? ''))).toBe(true);
  expect(streams.slice(1).every((r) => /[?&]lastEventId=/.test(r.url))).toBe(true);
  expectNoTokenLeaked(requests.map((r) => r.url));
});

test('the EventSource fallback to a gateway on another host allowing any origin: the token in access_token, no credentials', async () => {
  const anyOrigin = await startGateway({ CORS_ORIGINS: '*', RETRY_MS: '200' });
  try {
    const page = await harness();
    // `localhost` is another host than the page's 127.0.0.1: the sse_token cookie would not reach it.
    await startStream(page, { url: anyOrigin.url.replace('127.0.0.1', 'localhost'), channels: CHANNELS, transport: 'eventsource' });
    await waitForRecord(page, (r) => r.state === 'open', 'the stream to open');
    const other = createPublisher({ gatewayUrl: anyOrigin.url, token: await mintToken({ publish: ['execution:*'] }) });
    try {
      const published = await publishPaced(other, CHANNELS, 2, 0);
      expectExactly(await waitForRecord(page, (r) => r.events.length >= 2, 'both events'), published);
    } finally {
      await other.close();
    }
  } finally {
    await anyOrigin.close();
  }
});

test('a 503 from a gateway of another origin is waited out for its Retry-After (readable through CORS)', async () => {
  const full = await startGateway({ CORS_ORIGINS: site.origin, MAX_CONNECTIONS: '1', RETRY_MS: '200' });
  try {
    const page = await harness();
    await startStream(page, { url: full.url, channels: CHANNELS });
    await waitForRecord(page, (r) => r.state === 'open', 'the first stream to open');
    await startStream(page, { url: full.url, channels: CHANNELS });
    const refused = await waitForRecord(page, (r) => r.errors.length > 0, 'the 503', 10000, 1);
    expect(refused.errors).toEqual([expect.objectContaining({ code: 'unavailable', fatal: false, status: 503, gatewayCode: 'too_many_connections' })]);
    expect(refused.errors[0]?.retryInMs).toBeGreaterThanOrEqual(5000);
    await page.evaluate('window.stop(0)');
    await waitForRecord(page, (r) => r.state === 'open', 'the second stream to open', 12000, 1);
  } finally {
    await full.close();
  }
});

test('offline: the stream pauses and tries nothing; online: it resumes from its cursor', async () => {
  const page = await harness();
  const attempts: string[] = [];
  page.on('request', (request) => {
    if (request.url().includes('/v1/stream')) attempts.push(request.url());
  });
  await startStream(page, { url: gw.url, channels: CHANNELS });
  await waitForRecord(page, (r) => r.state === 'open', 'the stream to open');
  const published = await publishPaced(publisher, CHANNELS, 4, 0);
  await waitForRecord(page, (r) => r.events.length >= 4, 'the first events');
  const opened = attempts.length;
  await page.context().setOffline(true);
  try {
    await waitForRecord(page, (r) => r.state === 'reconnecting', 'the stream to pause');
    // A second of events while offline (five times the backoff base: a client that kept trying would have).
    const during = await publishPaced(publisher, CHANNELS, 20, 50);
    expect(attempts.length).toBe(opened);
    await page.context().setOffline(false);
    const record = await waitForRecord(page, (r) => r.state === 'open' && r.events.length >= 24, 'the stream to resume');
    for (const [channel, ids] of during) published.get(channel)?.push(...ids);
    expectExactly(record, published);
    expect(record.errors).toEqual([]);
    expect(attempts.length).toBe(opened + 1);
  } finally {
    await page.context().setOffline(false);
  }
});

test('a handler that throws is reported as an uncaught error; the stream and other handlers go on', async () => {
  const page = await harness();
  const pageErrors: string[] = [];
  page.on('pageerror', (error) => pageErrors.push(error.message));
  await startStream(page, { url: gw.url, channels: CHANNELS });
  await page.evaluate('window.onThrowingHandler(0)');
  await waitForRecord(page, (r) => r.state === 'open', 'the stream to open');
  const published = await publishPaced(publisher, CHANNELS, 2, 0);
  const record = await waitForRecord(page, (r) => r.events.length >= 2, 'both events');
  expectExactly(record, published);
  await waitFor(() => pageErrors.length >= 2, { message: 'both handler errors reported' });
  expect(pageErrors).toEqual(['a bug in a handler', 'a bug in a handler']);
  expect(record.state).toBe('open');
});
