// The browser bundle built from the current sources, as `npm run build` builds client/dist/browser.js
// (same script), into a scratch file: browser tests never run a stale bundle.
import { execFile } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ROOT } from '../../helpers/gateway';

export const BUNDLE_SCRIPT = join(ROOT, 'client', 'scripts', 'bundle.ts');
export const DIST_BUNDLE = join(ROOT, 'client', 'dist', 'browser.js');

/** Builds the bundle with client/scripts/bundle.ts and returns its text. */
export async function buildBundle(): Promise<string> {
  const dir = mkdtempSync(join(tmpdir(), 'sse-client-bundle-'));
  try {
    const outfile = join(dir, 'browser.js');
    await new Promise<void>((resolve, reject) =>
      execFile(process.execPath, ['--import', 'tsx', BUNDLE_SCRIPT, '--outfile', outfile], { cwd: ROOT, timeout: 60000 }, (error, _stdout, stderr) =>
        error === null ? resolve() : reject(new Error(`bundle build failed: ${stderr}`)),
      ),
    );
    return readFileSync(outfile, 'utf8');
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}
