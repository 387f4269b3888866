// Builds dist/browser.js: the client and eventsource-parser in one minified ESM file, for pages
// without a bundler (`<script type="module">import { connect } from '/…/browser.js'</script>`).
import { join } from 'node:path';
import { build } from 'esbuild';

const ROOT = join(import.meta.dirname, '..');
const BROWSER_BUNDLE = join(ROOT, 'dist', 'browser.js');

/** Writes the bundle to `outfile` (dist/browser.js by default). */
async function bundleBrowser(outfile = BROWSER_BUNDLE): Promise<void> {
  await build({
    entryPoints: [join(ROOT, 'src', 'index.ts')],
    outfile,
    bundle: true,
    format: 'esm',
    minify: true,
    // Browsers since 2021 (Chrome 91, Firefox 90, Safari 15): Web Locks, which `share` needs, are
    // about as recent, and keeping ES2022 syntax as is saves ~150 bytes gzipped over ES2020.
    target: 'es2022',
    platform: 'browser',
    legalComments: 'none',
    logLevel: 'warning',
  });
}

// `node --import tsx scripts/bundle.ts [--outfile <file>]`
if (process.argv[1] === import.meta.filename) {
  const at = process.argv.indexOf('--outfile');
  await bundleBrowser(at > 0 ? process.argv[at + 1] : undefined);
}
