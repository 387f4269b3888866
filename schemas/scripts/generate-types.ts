// Writes src/types.ts from the bundled JSON Schemas, so the TypeScript types cannot drift from
// them: `npm run generate-types -w schemas` after changing a schema. With `--check` it writes
// nothing and exits 1 when src/types.ts is stale (a test runs it so: json-schema-to-typescript's
// formatter, prettier 3, loads itself with a dynamic import that Jest's module loader refuses).
import { readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { compile } from 'json-schema-to-typescript';

const ROOT = join(__dirname, '..');
const TYPES_FILE = join(ROOT, 'src', 'types.ts');

const HEADER = `// Generated from schemas/events/*.schema.json by schemas/scripts/generate-types.ts. Do not edit.\n`;

async function generateTypes(): Promise<string> {
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

async function main(check: boolean): Promise<void> {
  const text = await generateTypes();
  if (!check) {
    writeFileSync(TYPES_FILE, text);
    return;
  }
  if (readFileSync(TYPES_FILE, 'utf8') !== text) {
    console.error(`${TYPES_FILE} is stale: run \`npm run generate-types -w schemas\` and commit the result`);
    process.exitCode = 1;
  }
}

if (require.main === module) {
  main(process.argv.includes('--check')).catch((error: unknown) => {
    console.error(error);
    process.exit(1);
  });
}
