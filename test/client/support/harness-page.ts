// The page the browser tests drive: it imports the client bundle and lets the test start streams
// with any options (the token comes from the site's /token), recording everything each reports.
import type { Page } from 'playwright-core';
import type { ConnectOptions, StreamState } from '@sse-gateway/client';

export const HARNESS_PAGE = `<!doctype html><meta charset="utf-8"><title>client harness</title>
<script type="module">
  import { connect } from '/client.js';
  const streams = [];
  window.start = (options, tokenQuery = '') => {
    const record = { events: [], states: [], errors: [], gaps: [] };
    const token = () => fetch('/token' + tokenQuery, { cache: 'no-store' }).then((r) => {
      if (!r.ok) throw new Error('the token endpoint answered ' + r.status);
      return r.text();
    });
    const stream = connect({ ...options, token });
    stream.on('execution.log', (e) => record.events.push({ id: e.id, channel: e.channel, message: e.data.message, cursor: stream.cursor }));
    stream.on('state', (state) => record.states.push(state));
    stream.on('gap', (gap) => record.gaps.push(gap));
    stream.on('error', (e) => record.errors.push({ code: e.code, fatal: e.fatal, status: e.status, gatewayCode: e.gatewayCode, retryInMs: e.retryInMs, message: e.message }));
    streams.push({ stream, record });
    return streams.length - 1;
  };
  window.record = (i) => ({ ...streams[i].record, state: streams[i].stream.state, cursor: streams[i].stream.cursor });
  window.stop = (i) => streams[i].stream.close();
  window.onThrowingHandler = (i) => streams[i].stream.on('execution.log', () => { throw new Error('a bug in a handler'); });
  window.ready = true;
</script>`;

export interface PageEvent {
  id: string;
  channel: string;
  message: string;
  cursor: string | undefined;
}

export interface PageRecord {
  events: PageEvent[];
  states: StreamState[];
  errors: { code: string; fatal: boolean; status?: number; gatewayCode?: string; retryInMs?: number; message: string }[];
  gaps: { channel: string; lastEventId: string; earliestId: string | null }[];
  state: StreamState;
  cursor: string | undefined;
}

type PageOptions = Omit<ConnectOptions, 'token'>;

/** Opens the harness page of `origin` in `page` and waits for its module to load. */
export async function openHarness(page: Page, origin: string): Promise<void> {
  await page.goto(`${origin}/`);
  await page.waitForFunction('window.ready === true');
}

/** Starts a stream in the page; the token comes from `/token<tokenQuery>`. Returns its index. */
export function startStream(page: Page, options: PageOptions, tokenQuery = ''): Promise<number> {
  return page.evaluate(([o, q]) => (window as unknown as { start(o: PageOptions, q: string): number }).start(o, q), [options, tokenQuery] as const);
}

export function pageRecord(page: Page, index = 0): Promise<PageRecord> {
  return page.evaluate((i) => (window as unknown as { record(i: number): PageRecord }).record(i), index);
}
