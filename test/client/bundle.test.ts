// client/dist/browser.js: one ESM file for pages without a bundler, small enough to not matter.
import { readFileSync } from 'node:fs';
import { gzipSync } from 'node:zlib';
import { buildBundle, DIST_BUNDLE } from './support/bundle';

const LIMIT = 6 * 1024;

let bundle: string;

beforeAll(async () => {
  bundle = await buildBundle();
});

test(`the browser bundle is at most ${LIMIT} bytes minified and gzipped`, () => {
  const gzipped = gzipSync(bundle).length;
  expect(gzipped).toBeLessThanOrEqual(LIMIT);
  expect(gzipped).toBeGreaterThan(1000); // it is the client, not an empty file
});

test('it is one self-contained ES module exporting connect and StreamError', () => {
  expect(bundle).toMatch(/export\s*\{[^}]*\bconnect\b[^}]*\}/);
  expect(bundle).toMatch(/export\s*\{[^}]*\bStreamError\b[^}]*\}/);
  expect(bundle).not.toMatch(/\bimport\s*[{*"'(]|\brequire\(|\bprocess\.|node:/);
});

test('client/dist/browser.js is the bundle of the current sources (npm run build)', () => {
  expect(readFileSync(DIST_BUNDLE, 'utf8')).toBe(bundle);
});
