// The benchmark's HTML page: rates placed in proportion on the chart's x axis, and every table
// inside the page's width in a real browser (the wide targets table used to run off its right edge).
import { htmlReport, niceTicks, svgChart, xScale } from '../../bench/lib/html-report';
import { launchBrowser, type Browser } from '../e2e/support/browser';
import { benchResults } from './fixture';

/** The cx of every circle of an SVG, in document order. */
function circleXs(svg: string): number[] {
  return [...svg.matchAll(/<circle cx="([\d.]+)"/g)].map((m) => Number(m[1]));
}

describe('the rate axis', () => {
  test('uneven rates sit at distances proportional to their differences', () => {
    const svg = svgChart('broadcast', [{ name: 'gateway p99', color: '#000', points: [50, 200, 400].map((x) => ({ x, y: 10, note: '' })) }]);
    const [a, b, c] = circleXs(svg) as [number, number, number];
    // 50 → 200 is three quarters of 200 → 400.
    expect((b - a) / (c - b)).toBeCloseTo(150 / 200, 2);
    // And 0 is where the axis starts: 50 is an eighth of the way from 0 to 400.
    const { x } = xScale(400);
    expect((a - x(0)) / (c - x(0))).toBeCloseTo(50 / 400, 2);
  });

  test('ticks are round numbers from 0 past the largest rate', () => {
    expect(niceTicks(800)).toEqual([0, 200, 400, 600, 800]);
    expect(niceTicks(100)).toEqual([0, 20, 40, 60, 80, 100]);
    expect(niceTicks(20_000)).toEqual([0, 5000, 10_000, 15_000, 20_000]);
    expect(niceTicks(13_700)).toEqual([0, 5000, 10_000, 15_000]);
  });

  test('the as-fast-as-possible step sits at the rate it reached, as a ring off the line', () => {
    const points = [
      { x: 1000, y: 5, note: '' },
      { x: 5000, y: 8, note: '' },
      { x: 13_700, y: 30, note: '', max: true },
    ];
    const svg = svgChart('channels', [{ name: 'gateway p99', color: '#123456', points }]);
    const { x } = xScale(13_700);
    expect(circleXs(svg)[2]).toBeCloseTo(x(13_700), 0);
    expect(svg).toMatch(/<circle [^>]*r="4" fill="white" stroke="#123456"/);
    // The line joins the fixed rates only.
    const path = /<path d="([^"]+)"/.exec(svg)![1]!;
    expect(path.split(/[ML]/).filter(Boolean)).toHaveLength(2);
  });
});

describe('the page', () => {
  let browser: Browser;

  beforeAll(async () => {
    browser = await launchBrowser();
  });
  afterAll(async () => {
    await browser.close();
  });

  test('every table fits a 1280-pixel-wide window, the goals table with one row per goal', async () => {
    const page = await browser.newPage();
    try {
      await page.setViewportSize({ width: 1280, height: 900 });
      await page.setContent(htmlReport(benchResults()));
      // A string: the test's TypeScript has no DOM types.
      const width = (await page.evaluate(`({
        page: document.documentElement.scrollWidth,
        widestTable: Math.max(...[...document.querySelectorAll('table')].map((t) => t.getBoundingClientRect().right)),
      })`)) as { page: number; widestTable: number };
      expect(width.page).toBeLessThanOrEqual(1280);
      expect(width.widestTable).toBeLessThanOrEqual(1280);
      const goals = await page.locator('h2:text("Goals") ~ table').first().locator('tbody tr').allTextContents();
      expect(goals).toHaveLength(12);
      expect(goals[0]).toMatch(/^connect 10k clients, a distinct JWT each/);
      // The storm's table too, with a row per fault.
      const storm = await page.locator('h3:text("storm:") + table').locator('tbody tr').allTextContents();
      expect(storm).toHaveLength(4);
    } finally {
      await page.close();
    }
  });

  test('names no issue: the goals are the ones bench/README.md lists', () => {
    const html = htmlReport(benchResults());
    expect(html).not.toMatch(/issue/i);
    expect(html).toContain('<h2>Goals</h2>');
  });
});
