// schemas/src/types.ts is generated from the bundled JSON Schemas. When a schema changes without
// `npm run generate-types -w schemas`, this fails: the TypeScript types cannot drift from the schemas.
// The generator runs in its own process (see the note at the top of generate-types.ts).
import { execFile } from 'node:child_process';
import { cpSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';

const SCHEMAS_ROOT = resolve(__dirname, '../../schemas');
const REPO_ROOT = resolve(SCHEMAS_ROOT, '..');

/** Runs `generate-types.ts --check` of the schemas package at `root`; resolves with its exit code and stderr. */
function check(root: string, env: NodeJS.ProcessEnv = process.env): Promise<{ code: number; stderr: string }> {
  return new Promise((done) => {
    execFile(
      process.execPath,
      ['--import', 'tsx', join(root, 'scripts', 'generate-types.ts'), '--check'],
      { cwd: REPO_ROOT, env, timeout: 60000 },
      (error, _stdout, stderr) => done({ code: error === null ? 0 : typeof error.code === 'number' ? error.code : 1, stderr }),
    );
  });
}

test('schemas/src/types.ts is what generate-types produces from schemas/events', async () => {
  const { code, stderr } = await check(SCHEMAS_ROOT);
  expect(stderr).toBe('');
  expect(code).toBe(0);
});

test('the check fails when a schema changed without regenerating', async () => {
  // A copy of the package, with one more property in a schema; its imports resolve through NODE_PATH.
  const copy = mkdtempSync(join(tmpdir(), 'sse-schemas-drift-'));
  try {
    for (const part of ['scripts', 'events', 'src']) cpSync(join(SCHEMAS_ROOT, part), join(copy, part), { recursive: true });
    const file = join(copy, 'events', 'execution.status.schema.json');
    const schema = JSON.parse(readFileSync(file, 'utf8')) as { properties: Record<string, unknown> };
    schema.properties['attempt'] = { type: 'integer' };
    writeFileSync(file, JSON.stringify(schema));
    const { code, stderr } = await check(copy, { ...process.env, NODE_PATH: join(REPO_ROOT, 'node_modules') });
    expect(code).toBe(1);
    expect(stderr).toContain('is stale');
  } finally {
    rmSync(copy, { recursive: true, force: true });
  }
});
