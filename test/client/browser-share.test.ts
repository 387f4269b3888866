// Ten tabs of one site in Chromium, over HTTP/1.1 (at most six connections per host). With
// `share: true` they hold one stream between them: every tab gets every event while the gateway
// counts one connection; when the leader tab closes, another takes over from the last cursor and
// every remaining tab gets every later event, none twice. Beside it, ten tabs each with a plain
// EventSource: the seventh never opens — the problem `share` solves.
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
import { recordingProxy, streamRequests, type RecordingProxy } from './support/requests';

jest.setTimeout(120000);

const CHANNEL = 'execution:browser-share';
const TABS = 10;

/** A page with a plain EventSource (the token in the URL, as EventSource needs). */
const PLAIN_PAGE = `<!doctype html><meta charset="utf-8"><title>plain</title>
<script type="module">
  const params = new URLSearchParams(location.search);
  window.result = { opened: false, messages: [] };
  const token = await fetch('/token').then((r) => r.text());
  const source = new EventSource(params.get('stream') + '&access_token=' + token);
  window.source = source;
  source.addEventListener('open', () => { window.result.opened = true; });
  source.addEventListener('execution.log', (e) => window.result.messages.push(JSON.parse(e.data).data.message));
</script>`;

let site: ClientSite;
let gw: TestGateway;
let publisher: Publisher;
let browser: Browser;

beforeAll(async () => {
  site = await startClientSite({ bundle: await buildBundle(), pages: { '/plain': PLAIN_PAGE } });
});

beforeEach(async () => {
  gw = await startGateway({ CORS_ORIGINS: site.origin, RETRY_MS: '200' });
  publisher = createPublisher({ gatewayUrl: gw.url, token: await mintToken({ publish: ['execution:*'] }) });
  browser = await launchBrowser(); // a fresh profile: its own connection pool and locks
});

afterEach(async () => {
  await browser.close();
  await publisher.close();
  await recorder?.close();
  recorder = undefined;
  await gw.close();
});

/** Tabs whose requests a test counts talk to the gateway through it. */
let recorder: RecordingProxy | undefined;

async function recorded(): Promise<RecordingProxy> {
  recorder = await recordingProxy(gw.url);
  return recorder;
}

afterAll(async () => {
  await site.close();
});

/** The gateway's `sse_connections` gauge. */
async function connections(): Promise<number> {
  const text = await (await fetch(`${gw.url}/metrics`)).text();
  return Number(/^sse_connections (\d+)$/m.exec(text)?.[1]);
}

async function waitForTabs(tabs: Page[], check: (record: PageRecord) => boolean, message: string, timeoutMs = 15000): Promise<PageRecord[]> {
  let records: PageRecord[] = [];
  await waitFor(async () => {
    records = await Promise.all(tabs.map((tab) => pageRecord(tab)));
    return records.every(check);
  }, { timeoutMs, message, detail: () => records.map((r, i) => `tab ${i}: ${r.state} ${r.events.length} events ${JSON.stringify(r.errors)}`).join('; ') });
  return records;
}

test('ten tabs with share: true hold one connection; the leader tab closes and the others miss nothing and repeat nothing', async () => {
  const { requests, url } = await recorded();
  const open = async (): Promise<Page> => {
    const tab = await browser.newPage();
    await openHarness(tab, site.origin);
    await startStream(tab, { url, channels: [CHANNEL], share: true });
    return tab;
  };
  // The first tab asks for the lock first: it leads.
  const leader = await open();
  await waitForTabs([leader], (r) => r.state === 'open', 'the first tab to open its stream');
  const followers: Page[] = [];
  for (let i = 1; i < TABS; i++) followers.push(await open());
  const tabs = [leader, ...followers];
  await waitForTabs(tabs, (r) => r.state === 'open', 'every tab open');
  expect(await connections()).toBe(1);

  const first = await publishPaced(publisher, [CHANNEL], 30, 20);
  for (const record of await waitForTabs(tabs, (r) => r.events.length >= 30, 'every tab to get the first 30 events')) {
    expect(record.events.map((e) => e.id)).toEqual(first.get(CHANNEL));
  }
  expect(await connections()).toBe(1);
  expect(streamRequests(requests)).toHaveLength(1);

  // The leader goes away while events keep coming: another tab takes over from its last cursor.
  const later = publishPaced(publisher, [CHANNEL], 40, 50);
  await leader.close();
  const next = (await later).get(CHANNEL) ?? [];
  const records = await waitForTabs(followers, (r) => r.events.length >= 70, 'every remaining tab to get every later event');
  for (const record of records) {
    expect(record.events.map((e) => e.id)).toEqual([...(first.get(CHANNEL) ?? []), ...next]);
    expect(record.errors).toEqual([]);
  }
  await waitFor(async () => (await connections()) === 1, { message: 'one connection again' });
  const opened = streamRequests(requests);
  expect(opened).toHaveLength(2);
  // The new leader resumed from the cursor of an event the tabs had, not from "now".
  expect(records[0]?.events.map((e) => e.cursor)).toContain(opened[1]?.lastEventId);
  expect(countIds(first) + next.length).toBe(70);
});

test('a leader that closes its stream hands over like a closing tab; a fatal error closes every tab', async () => {
  const { requests, url } = await recorded();
  const tabs: Page[] = [];
  for (let i = 0; i < 3; i++) {
    const tab = await browser.newPage();
    await openHarness(tab, site.origin);
    await startStream(tab, { url, channels: [CHANNEL], share: true });
    if (i === 0) await waitForTabs([tab], (r) => r.state === 'open', 'the leader to open');
    tabs.push(tab);
  }
  await waitForTabs(tabs, (r) => r.state === 'open', 'every tab open');
  const first = await publishPaced(publisher, [CHANNEL], 5, 0);
  await waitForTabs(tabs, (r) => r.events.length >= 5, 'the first events everywhere');
  await tabs[0]!.evaluate('window.stop(0)');
  const later = await publishPaced(publisher, [CHANNEL], 5, 0);
  const records = await waitForTabs(tabs.slice(1), (r) => r.events.length >= 10, 'the later events in the other tabs');
  for (const record of records) {
    expect(record.events.map((e) => e.id)).toEqual([...(first.get(CHANNEL) ?? []), ...(later.get(CHANNEL) ?? [])]);
    // Between the old leader's stream and the new one's, every tab said it was reconnecting.
    expect(record.states).toEqual(['open', 'reconnecting', 'open']);
  }
  const closed = await pageRecord(tabs[0]!);
  expect([closed.state, closed.events.length]).toEqual(['closed', 5]);
  expect(streamRequests(requests)).toHaveLength(2);
  await waitFor(async () => (await connections()) === 1, { message: 'one connection' });

  // Tabs whose token may not read the channel: the leader's 403 closes both, and nobody asks again.
  const denied: Page[] = [];
  for (let i = 0; i < 2; i++) {
    const tab = await browser.newPage();
    await openHarness(tab, site.origin);
    await startStream(tab, { url, channels: ['execution:browser-denied'], share: true }, '?subscribe=crew:*');
    denied.push(tab);
  }
  const refused = await waitForTabs(denied, (r) => r.state === 'closed', 'both denied tabs to close');
  for (const record of refused) expect(record.errors).toEqual([expect.objectContaining({ code: 'forbidden', fatal: true, status: 403 })]);
  expect(streamRequests(requests).filter((r) => r.url.includes('browser-denied')).length).toBeLessThanOrEqual(2);
});

test('beside it, ten tabs each with a plain EventSource: six open, the seventh never does', async () => {
  const stream = `${gw.url}/v1/stream?channel=${encodeURIComponent(CHANNEL)}`;
  const tabs: Page[] = [];
  for (let i = 0; i < TABS; i++) {
    const tab = await browser.newPage();
    await tab.goto(`${site.origin}/plain?stream=${encodeURIComponent(stream)}`);
    tabs.push(tab);
  }
  const result = (tab: Page): Promise<{ opened: boolean; messages: string[]; readyState: number }> =>
    tab.evaluate('({ ...window.result, readyState: window.source ? window.source.readyState : -1 })');
  await waitFor(async () => (await Promise.all(tabs.map(result))).filter((r) => r.opened).length >= 6, { message: 'six streams open' });
  await publisher.publish({ channel: CHANNEL, type: 'execution.log', data: { executionId: 'plain', level: 'info', message: 'hello' } });
  // A barrier: once the six open tabs have the event, the others have had every chance to open.
  await waitFor(async () => (await Promise.all(tabs.slice(0, 6).map(result))).every((r) => r.messages.includes('hello')), { message: 'the six open tabs to get the event' });
  const results = await Promise.all(tabs.map(result));
  expect(results.map((r) => r.opened)).toEqual([true, true, true, true, true, true, false, false, false, false]);
  expect(results.slice(6).map((r) => [r.readyState, r.messages])).toEqual(Array.from({ length: 4 }, () => [0, []])); // CONNECTING, nothing received
  expect(await connections()).toBe(6);
});
