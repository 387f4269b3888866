// The demo page (demo/public/app.js) in Chromium when its token endpoint fails during a refresh:
// the page asks again until it answers, rather than letting token() reject, which would close its
// stream for good.
import { createPublisher } from '@sse-gateway/publisher';
import { demoSite } from '../../demo/site';
import { startGateway } from '../helpers/gateway';
import { mintToken, TEST_JWT_SECRET } from '../helpers/tokens';
import { waitFor } from '../helpers/wait-for';
import { launchBrowser } from '../e2e/support/browser';

jest.setTimeout(60000);

test('a token refresh that fails is tried again: the stream reopens and the page stays live', async () => {
  const channel = 'execution:demo-token-retry';
  // 2-second page tokens: the client refreshes after 1.5 s.
  const gw = await startGateway({}, { routes: (router) => demoSite(router, { channel, secret: new TextEncoder().encode(TEST_JWT_SECRET), tokenTtlS: 2 }) });
  const publisher = createPublisher({ gatewayUrl: gw.url, token: await mintToken({ publish: ['execution:*'] }) });
  const browser = await launchBrowser();
  try {
    const page = await browser.newPage();
    let tokenRequests = 0;
    // The first refresh (the second request) fails; the others reach the demo site.
    await page.route('**/demo/token', (route) => (++tokenRequests === 2 ? route.fulfill({ status: 503, body: '' }) : route.continue()));
    const connection = (): Promise<string | null> => page.locator('#connection-text').textContent();
    await page.goto(`${gw.url}/demo/`);
    await waitFor(async () => (await connection()) === 'live', { message: 'the page to go live' });
    await waitFor(() => tokenRequests >= 3, { message: 'the token endpoint asked again after the failure', detail: () => browser.problems.join(' | ') });
    await waitFor(async () => (await connection()) === 'live', { message: 'the page live again' });
    await publisher.publish({ channel, type: 'execution.log', data: { executionId: 'retry', level: 'info', message: 'after the refresh' } });
    await waitFor(async () => (await page.locator('#log').textContent())?.includes('after the refresh'), { message: 'the event in the page' });
  } finally {
    await browser.close();
    await publisher.close();
    await gw.close();
  }
});
