// Writes src/bundled-events.ts: the event types generated from the bundled JSON Schemas
// (schemas/src/types.ts), copied so the client's published types need no other package.
// `npm run generate-types -w @sse-gateway/client` after `npm run generate-types -w schemas`;
// with `--check` it writes nothing and exits 1 when the copy is stale (a test runs it so).
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';

const ROOT = join(import.meta.dirname, '..');
const SOURCE = join(ROOT, '..', 'schemas', 'src', 'types.ts');
const COPY = join(ROOT, 'src', 'bundled-events.ts');

const HEADER = '// Copied from schemas/src/types.ts by client/scripts/sync-event-types.ts. Do not edit.\n';

function bundledEventsSource(): string {
  const generated = readFileSync(SOURCE, 'utf8');
  // The source's own first line says where it comes from; ours says where this copy comes from.
  return HEADER + generated.slice(generated.indexOf('\n') + 1);
}

const check = process.argv.includes('--check');
const text = bundledEventsSource();
if (!check) writeFileSync(COPY, text);
else if (readFileSync(COPY, 'utf8') !== text) {
  console.error(`${COPY} is stale: run \`npm run generate-types -w @sse-gateway/client\` and commit the result`);
  process.exitCode = 1;
}
