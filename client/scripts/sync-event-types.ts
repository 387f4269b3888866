// Writes src/bundled-events.ts: the event types generated from the bundled JSON Schemas
// (schemas/src/types.ts), copied so that the client's published types need no other package (the
// schemas package brings ajv with it). `npm run build` runs this first; git does not track the
// copy, so it cannot drift from the schemas and the repository holds the types once.
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';

const ROOT = join(import.meta.dirname, '..');
const SOURCE = join(ROOT, '..', 'schemas', 'src', 'types.ts');
const COPY = join(ROOT, 'src', 'bundled-events.ts');

const HEADER = '// Copied from schemas/src/types.ts by client/scripts/sync-event-types.ts at build time. Do not edit.\n';

function bundledEventsSource(): string {
  const generated = readFileSync(SOURCE, 'utf8');
  // The source's own first line says where it comes from; ours says where this copy comes from.
  return HEADER + generated.slice(generated.indexOf('\n') + 1);
}

function current(): string | undefined {
  try {
    return readFileSync(COPY, 'utf8');
  } catch {
    return undefined;
  }
}

// Rewritten only when it changed: its time tells scripts/build-if-stale.js whether to rebuild.
const text = bundledEventsSource();
if (current() !== text) writeFileSync(COPY, text);
