// `npm run soak -- --minutes N`: the chaos soak (soak/lib/soak.ts). Prints the table and, last,
// `soak: <checks> checks, <n> violations`; writes soak/results/soak-<time>.json and .html (and
// each process's output in soak-<time>-logs/); exits 1 on any violation.
//
//   npm run soak -- --minutes 1                       # smoke run
//   npm run soak -- --minutes 10 --clients 2500 --library-clients 250
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { runFinalizers } from '../bench/lib/proc';
import { ALL_FAULTS } from './lib/faults';
import { htmlReport, terminalReport } from './lib/report';
import { runSoak, type SoakOptions } from './lib/soak';

const USAGE = 'usage: npm run soak -- [--minutes 10] [--clients 2500] [--library-clients 250] [--channels 100] [--rate 40] [--seed 1] [--out soak/results]';

function options(): SoakOptions & { out: string } {
  const { values } = parseArgs({
    options: {
      minutes: { type: 'string', default: '10' },
      clients: { type: 'string', default: '2500' },
      'library-clients': { type: 'string', default: '250' },
      channels: { type: 'string', default: '100' },
      rate: { type: 'string', default: '40' },
      seed: { type: 'string', default: '1' },
      out: { type: 'string', default: join(__dirname, 'results') },
      help: { type: 'boolean', default: false },
    },
  });
  if (values.help) {
    console.log(USAGE);
    process.exit(0);
  }
  const minutes = Number(values.minutes);
  const numbers = [values.clients, values['library-clients'], values.channels, values.rate, values.seed].map(Number);
  if (!(minutes > 0 && minutes <= 24 * 60) || numbers.some((n) => !Number.isInteger(n) || n < 0) || numbers[2]! < 1 || numbers[3]! <= 0) {
    console.error(USAGE);
    process.exit(2);
  }
  const [rawClients, libraryClients, channels, rate, seed] = numbers as [number, number, number, number, number];
  // The five faults once per 5 minutes (at least once): a 10-minute soak runs each twice.
  const rounds = Math.max(1, Math.floor(minutes / 5));
  const faults = Array.from({ length: rounds }, () => ALL_FAULTS).flat();
  return { durationMs: minutes * 60_000, rawClients, libraryClients, channels, rate, seed, faults, out: values.out, log: (line) => console.log(`[soak] ${line}`) };
}

async function main(): Promise<void> {
  const { out, ...soak } = options();
  const stamp = new Date().toISOString().replace(/[:.]/g, '-');
  const base = join(out, `soak-${stamp}`);
  const report = await runSoak({ ...soak, logDir: `${base}-logs` });
  mkdirSync(out, { recursive: true });
  writeFileSync(`${base}.json`, `${JSON.stringify(report, null, 2)}\n`);
  writeFileSync(`${base}.html`, htmlReport(report));
  console.log(`\n[soak] report: ${base}.json, ${base}.html; every process's output in ${base}-logs/\n`);
  console.log(terminalReport(report));
  process.exitCode = report.violations === 0 ? 0 : 1;
}

for (const signal of ['SIGINT', 'SIGTERM'] as const) {
  process.on(signal, () => {
    runFinalizers();
    process.exit(130);
  });
}

main().catch((error: unknown) => {
  console.error(`[soak] ${(error as Error).stack ?? String(error)}`);
  console.log('soak: 0 checks, 1 violations');
  process.exit(1);
});
