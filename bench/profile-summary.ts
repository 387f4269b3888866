// Top self-time functions of a V8 .cpuprofile (from `node --cpu-prof`): the first thing to read
// before optimising. Usage: node --import tsx bench/profile-summary.ts <file.cpuprofile> [top]
import { readFileSync } from 'node:fs';

interface ProfileNode {
  id: number;
  callFrame: { functionName: string; url: string; lineNumber: number };
  hitCount?: number;
}

interface CpuProfile {
  nodes: ProfileNode[];
  samples?: number[];
  timeDeltas?: number[];
  startTime: number;
  endTime: number;
}

interface ProfileEntry {
  function: string;
  where: string;
  selfMs: number;
  selfPercent: number;
}

/** Self time per function (summed over every node of the same function and place), largest first. */
export function summarizeProfile(file: string, top = 15): { totalMs: number; idlePercent: number; entries: ProfileEntry[] } {
  const profile = JSON.parse(readFileSync(file, 'utf8')) as CpuProfile;
  const selfUs = new Map<number, number>();
  const samples = profile.samples ?? [];
  const deltas = profile.timeDeltas ?? [];
  for (let i = 0; i < samples.length; i++) {
    // A sample's time is the gap to the next sample.
    const us = deltas[i + 1] ?? 0;
    selfUs.set(samples[i]!, (selfUs.get(samples[i]!) ?? 0) + us);
  }
  const byFunction = new Map<string, { function: string; where: string; us: number }>();
  let totalUs = 0;
  let idleUs = 0;
  for (const node of profile.nodes) {
    const us = selfUs.get(node.id) ?? 0;
    totalUs += us;
    const name = node.callFrame.functionName || '(anonymous)';
    if (name === '(idle)') idleUs += us;
    const where = node.callFrame.url === '' ? '' : `${shorten(node.callFrame.url)}:${node.callFrame.lineNumber + 1}`;
    const key = `${name}@${where}`;
    const entry = byFunction.get(key) ?? { function: name, where, us: 0 };
    entry.us += us;
    byFunction.set(key, entry);
  }
  const busyUs = Math.max(1, totalUs - idleUs);
  const entries = [...byFunction.values()]
    .filter((e) => e.function !== '(idle)')
    .sort((a, b) => b.us - a.us)
    .slice(0, top)
    .map((e) => ({ function: e.function, where: e.where, selfMs: e.us / 1000, selfPercent: (100 * e.us) / busyUs }));
  return { totalMs: totalUs / 1000, idlePercent: (100 * idleUs) / Math.max(1, totalUs), entries };
}

function shorten(url: string): string {
  return url.replace(/^file:\/\//, '').replace(/^.*\/node_modules\//, '~/').replace(/^.*\/(gateway|publisher-sdk|schemas)\//, '$1/');
}

export function formatProfile(file: string, top = 15): string {
  const summary = summarizeProfile(file, top);
  const lines = [`${file}: ${summary.totalMs.toFixed(0)} ms sampled, ${summary.idlePercent.toFixed(0)}% idle; self time of the busy part:`];
  for (const e of summary.entries) lines.push(`  ${e.selfPercent.toFixed(1).padStart(5)}%  ${e.selfMs.toFixed(0).padStart(7)} ms  ${e.function}  ${e.where}`);
  return lines.join('\n');
}

if (require.main === module) {
  const [file, top] = process.argv.slice(2);
  if (file === undefined) {
    process.stderr.write('usage: node --import tsx bench/profile-summary.ts <file.cpuprofile> [top]\n');
    process.exit(2);
  }
  process.stdout.write(`${formatProfile(file, Number(top ?? 15))}\n`);
}
