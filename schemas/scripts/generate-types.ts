// Writes src/types.ts from the bundled JSON Schemas, so the TypeScript types cannot drift from
// them: `npm run generate-types -w schemas` after changing a schema; a test fails when it is stale.
import { readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { compile } from 'json-schema-to-typescript';

const ROOT = join(__dirname, '..');
export const TYPES_FILE = join(ROOT, 'src', 'types.ts');

const HEADER = `// Generated from schemas/events/*.schema.json by schemas/scripts/generate-types.ts. Do not edit.\n`;

export async function generateTypes(): Promise<string> {
  const files = readdirSync(join(ROOT, 'events')).filter((f) => f.endsWith('.schema.json')).sort();
  const parts: string[] = [HEADER];
  const entries: string[] = [];
  for (const file of files) {
    const type = file.slice(0, -'.schema.json'.length);
    const schema = JSON.parse(readFileSync(join(ROOT, 'events', file), 'utf8')) as { title: string };
    const ts = await compile(schema as never, schema.title, {
      bannerComment: '',
      additionalProperties: false,
      format: true,
      style: { singleQuote: true, printWidth: 110 },
    });
    parts.push(ts.trim());
    entries.push(`  '${type}': ${schema.title};`);
  }
  parts.push(`/** The \`data\` of every bundled event type, by type. */\nexport interface BundledEventMap {\n${entries.join('\n')}\n}`);
  return parts.join('\n\n') + '\n';
}

if (require.main === module) {
  generateTypes()
    .then((text) => writeFileSync(TYPES_FILE, text))
    .catch((error: unknown) => {
      console.error(error);
      process.exit(1);
    });
}
