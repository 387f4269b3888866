// docs/endpoints.md is what users read about errors and metrics: its error table lists exactly the
// codes of the gateway's catalogue (gateway/src/errors.ts), each with its status and the headers
// the catalogue adds, and its metrics table lists exactly the gateway's own metrics, with their type.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { ERRORS } from '../../gateway/src/errors';
import { createMetrics } from '../../gateway/src/metrics';
import { ROOT } from '../helpers/gateway';

const ENDPOINTS = readFileSync(join(ROOT, 'docs', 'endpoints.md'), 'utf8');

interface Row {
  cells: string[];
  line: string;
}

/** The rows of the table whose header row starts with `| first |`. */
function table(markdown: string, first: string): Row[] {
  const lines = markdown.split('\n');
  const start = lines.findIndex((line) => line.startsWith(`| ${first} |`));
  if (start < 0) return [];
  const rows: Row[] = [];
  for (const line of lines.slice(start + 2)) {
    if (!line.startsWith('|')) break;
    rows.push({ line, cells: line.slice(1, -1).split(' | ').map((cell) => cell.trim()) });
  }
  return rows;
}

/** How the docs write each header the catalogue adds to an error. */
function headerText(name: string, value: string): string {
  return name === 'Connection' && value === 'close' ? 'the connection is closed' : `${name}: ${value}`;
}

/** Where the error table and the catalogue disagree. */
function errorProblems(markdown: string): string[] {
  const rows = table(markdown, 'status');
  const problems: string[] = [];
  const documented = new Map<string, Row>();
  for (const row of rows) {
    const code = /^`([a-z_]+)`$/.exec(row.cells[1] ?? '')?.[1];
    if (code === undefined) problems.push(`not a code: ${row.line}`);
    else if (documented.has(code)) problems.push(`${code} is documented twice`);
    else documented.set(code, row);
  }
  for (const [code, spec] of Object.entries(ERRORS)) {
    const row = documented.get(code);
    if (row === undefined) {
      problems.push(`${code} (${spec.status}) is not documented`);
      continue;
    }
    if (row.cells[0] !== String(spec.status)) problems.push(`${code}: documented ${row.cells[0]}, answers ${spec.status}`);
    const headers: Record<string, string> = 'headers' in spec ? spec.headers : {};
    for (const [name, value] of Object.entries(headers)) {
      if (!row.line.includes(headerText(name, value))) problems.push(`${code}: the docs do not say "${headerText(name, value)}"`);
    }
    if (row.line.includes('Retry-After') && headers['Retry-After'] === undefined) problems.push(`${code}: documented with a Retry-After it does not send`);
  }
  for (const code of documented.keys()) if (!(code in ERRORS)) problems.push(`${code} is documented but not in the catalogue`);
  return problems;
}

test('the error table lists every code of the catalogue, with its status and headers, and no other', () => {
  expect(table(ENDPOINTS, 'status').length).toBeGreaterThanOrEqual(Object.keys(ERRORS).length);
  expect(errorProblems(ENDPOINTS)).toEqual([]);
});

test('the comparison catches a wrong status, a missing code, a wrong header and a code the gateway does not have', () => {
  const edited = ENDPOINTS
    .replace('| 403 | `forbidden` |', '| 401 | `forbidden` |')
    .replace(/^\| 404 \| `not_found` \|.*\n/m, '')
    .replace('`draining` | stream | the gateway is shutting down; `Retry-After: 1`', '`draining` | stream | the gateway is shutting down; `Retry-After: 9`')
    .replace('| 500 | `internal` |', '| 500 | `internal_error` |');
  expect(errorProblems(edited)).toEqual([
    'forbidden: documented 401, answers 403',
    'not_found (404) is not documented',
    'draining: the docs do not say "Retry-After: 1"',
    'internal (500) is not documented',
    'internal_error is documented but not in the catalogue',
  ]);
});

test('the metrics table lists every sse_ metric of the gateway with its type, and no other', async () => {
  const registry = createMetrics().registry;
  const own = (await registry.getMetricsAsJSON()).filter((metric) => metric.name.startsWith('sse_'));
  const documented = table(ENDPOINTS, 'metric').map((row) => [/^`([a-z_]+)/.exec(row.cells[0] ?? '')?.[1], row.cells[1]]);
  expect(documented.sort()).toEqual(own.map((metric) => [metric.name, metric.type]).sort());
});
